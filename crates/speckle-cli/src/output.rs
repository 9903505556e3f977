//! Printing data: aligned tables for people, JSON for scripts.

use std::io::Write;

use serde::Serialize;

use crate::failure::Failure;

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints rows under a header, columns padded to the widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> Result<(), Failure> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(&mut header.iter().copied()))?;
    for row in rows {
        writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// A cell from an optional value.
pub fn cell<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Prints a listing as JSON or as a table.
pub fn listing<T: Serialize>(
    as_json: bool,
    items: &[T],
    header: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> Result<(), Failure> {
    if as_json {
        return json(items);
    }
    let rows: Vec<Vec<String>> = items.iter().map(row).collect();
    table(header, &rows)
}

/// Prints one resource as JSON, or as `field  value` lines.
pub fn record<T: Serialize>(
    as_json: bool,
    item: &T,
    fields: &[(&str, String)],
) -> Result<(), Failure> {
    if as_json {
        return json(item);
    }
    let rows: Vec<Vec<String>> = fields
        .iter()
        .map(|(name, value)| vec![(*name).to_owned(), value.clone()])
        .collect();
    let mut out = std::io::stdout().lock();
    let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for row in rows {
        if let [name, value] = row.as_slice() {
            writeln!(out, "{name:<width$}  {value}")?;
        }
    }
    Ok(())
}

/// Prints what a command did: a sentence for people, JSON for scripts.
pub fn done(as_json: bool, sentence: &str, value: &serde_json::Value) -> Result<(), Failure> {
    if as_json {
        return json(value);
    }
    println!("{sentence}");
    Ok(())
}
