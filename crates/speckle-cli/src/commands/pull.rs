//! `speckle pull`: a stream's objects to NDJSON or JSON.

use std::io::{BufWriter, Write};

use futures_util::StreamExt;
use speckle::{PullOptions, Pulled, Query};

use crate::cli::{Global, PullArgs, PullFormat};
use crate::commands::until_interrupted;
use crate::failure::Failure;
use crate::progress::Bar;
use crate::session;

/// Writes the stream's objects in the stream's order.
pub async fn run(global: &Global, args: PullArgs) -> Result<(), Failure> {
    let client = session::client(global)?;
    let mut query = Query::new();
    if !args.fields.is_empty() {
        query = query.fields(args.fields.iter().map(String::as_str));
    }
    if !args.omit.is_empty() {
        query = query.omit(args.omit.iter().map(String::as_str));
    }
    let bar = Bar::new("pulled");
    let options = PullOptions {
        query,
        progress: bar.callback(),
        ..PullOptions::default()
    };
    let result = until_interrupted(async {
        // The stream first: an unknown one must not leave an empty file.
        let mut pulled = client
            .streams()
            .pull_objects(args.stream.as_str(), options)
            .await?;
        let sink: Box<dyn Write> = match args.output.as_deref() {
            Some(path) if path.as_os_str() != "-" => Box::new(
                std::fs::File::create(path)
                    .map_err(|e| Failure::msg(format!("{}: {e}", path.display())))?,
            ),
            _ => Box::new(std::io::stdout().lock()),
        };
        let mut out = BufWriter::new(sink);
        let mut unavailable = Vec::new();
        let mut first = true;
        if matches!(args.format, PullFormat::Json) {
            out.write_all(b"[")?;
        }
        while let Some(entry) = pulled.next().await {
            match entry? {
                Pulled::Object(object) => {
                    if matches!(args.format, PullFormat::Json) && !first {
                        out.write_all(b",")?;
                    }
                    first = false;
                    serde_json::to_writer(&mut out, &object)?;
                    if matches!(args.format, PullFormat::Ndjson) {
                        out.write_all(b"\n")?;
                    }
                }
                Pulled::Unavailable(id) => unavailable.push(id),
            }
        }
        if matches!(args.format, PullFormat::Json) {
            out.write_all(b"]\n")?;
        }
        out.flush()?;
        Ok(unavailable)
    })
    .await;
    bar.finish();
    let unavailable = result?;
    if let Some(first) = unavailable.first() {
        return Err(Failure::msg(format!(
            "{} object(s) of the stream are missing or not readable (the first: {first}); the rest were written",
            unavailable.len()
        )));
    }
    Ok(())
}
