//! Reading objects to push: a JSON array or NDJSON, every object checked
//! before anything is sent, errors naming the line.

use std::io::Read;
use std::path::Path;

use serde_json::error::Category;
use speckle::SpeckleObject;

use crate::failure::Failure;

/// The objects of `path` (`-` for stdin), in order.
pub fn read_objects(path: &Path) -> Result<Vec<SpeckleObject>, Failure> {
    let name = path.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| Failure::msg(format!("{name}: {e}")))?;
    }
    let shown = if name == "-" { "stdin" } else { name.as_str() };
    parse_objects(&text).map_err(|e| Failure::msg(format!("{shown}: {e}")))
}

/// Parses a JSON array of objects (when the text starts with `[`) or one
/// object per line (NDJSON; blank lines are skipped).
pub fn parse_objects(text: &str) -> Result<Vec<SpeckleObject>, String> {
    if text.trim_start().starts_with('[') {
        parse_array(text)
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                // Straight into the typed object: a detour through `Value`
                // would cost as much again on large files.
                let object = serde_json::from_str::<SpeckleObject>(line)
                    .map_err(|e| json_error(&e, line).1)
                    .and_then(checked);
                object.map_err(|e| format!("line {}: {e}", index + 1))
            })
            .collect()
    }
}

fn parse_array(text: &str) -> Result<Vec<SpeckleObject>, String> {
    let objects: Vec<SpeckleObject> = serde_json::from_str(text).map_err(|e| {
        let (line, message) = json_error(&e, text);
        format!("line {line}: {message}")
    })?;
    let mut starts = None;
    objects
        .into_iter()
        .enumerate()
        .map(|(index, object)| {
            checked(object).map_err(|e| {
                // Elements have no line of their own once parsed: find where
                // each starts by scanning the text (only when one is bad).
                let starts = starts.get_or_insert_with(|| element_lines(text));
                match starts.get(index) {
                    Some(line) => format!("line {line}: object {}: {e}", index + 1),
                    None => format!("object {}: {e}", index + 1),
                }
            })
        })
        .collect()
}

/// The line on which each top-level element of a JSON array starts.
fn element_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut depth, mut line) = (0usize, 1usize);
    let (mut in_string, mut escaped, mut expecting) = (false, false, false);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if expecting && depth == 1 && !c.is_whitespace() && c != ']' {
            lines.push(line);
            expecting = false;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    lines
}

/// Whether `text` was not JSON or JSON of the wrong shape, with the line
/// of the error. Typed parsing stops at the first wrong shape even where the
/// text is not JSON further on, so a shape error is checked against plain
/// JSON parsing, whose error then wins.
fn json_error(e: &serde_json::Error, text: &str) -> (usize, String) {
    if e.classify() == Category::Data {
        if let Err(syntax) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return (syntax.line(), format!("invalid JSON: {syntax}"));
        }
        return (e.line(), format!("not a Speckle object: {e}"));
    }
    (e.line(), format!("invalid JSON: {e}"))
}

/// The server refuses objects without a `type`; say so before sending.
fn checked(object: SpeckleObject) -> Result<SpeckleObject, String> {
    match &object.kind {
        Some(kind) if !kind.as_str().is_empty() => Ok(object),
        Some(_) => Err("`type` must not be empty".to_owned()),
        None => Err("the object has no `type`".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_errors_name_the_line() {
        let text = "{\"type\":\"Point\"}\n\n{\"type\":\n";
        assert!(parse_objects(text)
            .unwrap_err()
            .starts_with("line 3: invalid JSON"));
        let text = "{\"type\":\"Point\"}\n{\"name\":\"x\"}\n";
        assert_eq!(
            parse_objects(text).unwrap_err(),
            "line 2: the object has no `type`"
        );
    }

    #[test]
    fn array_errors_name_the_line_of_the_element() {
        let text = "[\n  {\"type\":\"Point\", \"s\":\"a,[{\\\"\"},\n  {\"name\":\"x\"}\n]";
        assert_eq!(
            parse_objects(text).unwrap_err(),
            "line 3: object 2: the object has no `type`"
        );
        assert_eq!(parse_objects("[]").unwrap().len(), 0);
    }
}
