//! Reading objects to push: a JSON array or NDJSON, every object checked
//! before anything is sent, errors naming the line.
//!
//! A JSON array is parsed whole into typed objects. NDJSON, the format of
//! large models, is checked on every core first (each line a JSON object
//! with a `type`, string `hash` and `_id` if any), without building the
//! objects; each line is then sent as written ([`RawObject`]), so a model
//! read from a file costs no more to push than one already in memory.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::thread::JoinHandle;

use serde::Deserialize;
use serde_json::error::Category;
use speckle::{PushItem, RawObject, SpeckleObject};

use crate::failure::Failure;

/// The checked contents of an input file.
pub enum Input {
    /// A JSON array, parsed.
    Parsed(Vec<SpeckleObject>),
    /// NDJSON whose lines were checked, sent as written.
    Lines(Lines),
}

impl Input {
    /// How many objects the input holds.
    pub fn len(&self) -> usize {
        match self {
            Self::Parsed(objects) => objects.len(),
            Self::Lines(lines) => lines.count,
        }
    }
}

/// NDJSON text whose every non-blank line is known to be JSON with a `type`.
pub struct Lines {
    text: String,
    count: usize,
    shown: String,
}

/// How many objects may wait for the push: enough to keep it busy, few
/// enough that memory does not follow the file's size.
const WAITING_OBJECTS: usize = 1024;

impl Lines {
    /// The objects, in order, made on a thread of their own (each line is
    /// scanned once more, off the async threads). The handle says, once the
    /// stream has ended, whether every line became an object; the check has
    /// already refused what the server would, so it reports a line only if
    /// the two disagree, and the stream then ends at that line.
    pub fn into_stream(self) -> (impl futures_util::Stream<Item = PushItem>, Built) {
        let (sender, receiver) = tokio::sync::mpsc::channel(WAITING_OBJECTS);
        let Lines { text, shown, .. } = self;
        let builder = std::thread::spawn(move || {
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let object = RawObject::from_json(line)
                    .map_err(|e| format!("{shown}: line {}: {e}", index + 1))?;
                if sender.blocking_send(PushItem::from(object)).is_err() {
                    // The push stopped: nothing more is wanted.
                    break;
                }
            }
            Ok(())
        });
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|object| (object, receiver))
        });
        (Box::pin(stream), Built(builder))
    }
}

/// Whether making the objects of [`Lines`] went through every line.
pub struct Built(JoinHandle<Result<(), String>>);

impl Built {
    /// Waits for the thread (it ends as soon as the stream is done or
    /// dropped) and returns the bad line it stopped at, if any.
    pub fn finish(self) -> Result<(), Failure> {
        match self.0.join() {
            Ok(result) => result.map_err(Failure::msg),
            Err(_) => Err(Failure::msg("reading the objects stopped unexpectedly")),
        }
    }
}

/// The checked objects of `path` (`-` for stdin).
pub fn read_objects(path: &Path) -> Result<Input, Failure> {
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
    let at = |e: String| Failure::msg(format!("{shown}: {e}"));
    if is_array(&text) {
        return parse_array(&text).map(Input::Parsed).map_err(at);
    }
    let count = check_lines(&text).map_err(at)?;
    Ok(Input::Lines(Lines {
        text,
        count,
        shown: shown.to_owned(),
    }))
}

fn is_array(text: &str) -> bool {
    text.trim_start().starts_with('[')
}

/// Below this size one thread checks the whole text: starting threads would
/// cost more than they save.
const PARALLEL_FROM_BYTES: usize = 4 << 20;

/// What checking needs of a line: its `type`, and that `hash` and `_id` are
/// strings; every other field is skipped without being built.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    // Read only to check it is a string.
    #[serde(borrow)]
    #[allow(dead_code)]
    hash: Option<Cow<'a, str>>,
    #[serde(rename = "_id", borrow)]
    id: Option<Cow<'a, str>>,
}

/// Checks every line of NDJSON on every core (the text is cut at line ends
/// into one part per thread) and counts the objects. The error reported is
/// the one of the earliest bad line, as a single pass would find it.
fn check_lines(text: &str) -> Result<usize, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let parts = if text.len() < PARALLEL_FROM_BYTES {
        1
    } else {
        threads
    };
    let pieces = split_at_line_ends(text, parts);
    let counts: Vec<Result<usize, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .skip(1)
            .map(|&(first_line, piece)| scope.spawn(move || check_piece(piece, first_line)))
            .collect();
        // The first part on this thread, the others on their own.
        let mut counts = Vec::with_capacity(pieces.len());
        counts.extend(
            pieces
                .first()
                .map(|&(line, piece)| check_piece(piece, line)),
        );
        for handle in handles {
            counts.push(
                handle
                    .join()
                    .unwrap_or_else(|_| Err("checking stopped unexpectedly".to_owned())),
            );
        }
        counts
    });
    counts.into_iter().sum()
}

/// `text` cut into at most `parts` pieces of about equal size, each ending
/// at a line end (or the end of the text), with the number of its first line.
fn split_at_line_ends(text: &str, parts: usize) -> Vec<(usize, &str)> {
    let mut pieces = Vec::with_capacity(parts);
    let (mut rest, mut first_line) = (text, 1);
    let size = text.len() / parts.max(1) + 1;
    while !rest.is_empty() {
        let end = if pieces.len() + 1 >= parts || rest.len() <= size {
            rest.len()
        } else {
            rest.as_bytes()
                .get(size..)
                .and_then(|after| after.iter().position(|&b| b == b'\n'))
                .map_or(rest.len(), |at| size + at + 1)
        };
        let (piece, tail) = rest.split_at(end);
        pieces.push((first_line, piece));
        first_line += piece.bytes().filter(|&b| b == b'\n').count();
        rest = tail;
    }
    pieces
}

/// How many objects the lines of `text` hold (its first line is
/// `first_line`), or the first bad line.
fn check_piece(text: &str, first_line: usize) -> Result<usize, String> {
    let mut count = 0;
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let kind = if line.trim_start().starts_with('{') {
            serde_json::from_str::<Head>(line)
                .map_err(|e| json_error(&e, line).1)
                .and_then(|head| match (head.kind.as_deref(), head.id) {
                    (Some("Placeholder"), None) => Err("a placeholder without `_id`".to_owned()),
                    (kind, _) => checked_kind(kind),
                })
        } else {
            // Invalid JSON says so; valid JSON that is not an object (which
            // serde would read as a struct from an array) is refused.
            serde_json::from_str::<serde::de::IgnoredAny>(line)
                .map_err(|e| json_error(&e, line).1)
                .and_then(|_| Err("not a JSON object".to_owned()))
        };
        kind.map_err(|e| format!("line {}: {e}", first_line + index))?;
        count += 1;
    }
    Ok(count)
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
    checked_kind(object.kind.as_ref().map(|kind| kind.as_str()))?;
    Ok(object)
}

fn checked_kind(kind: Option<&str>) -> Result<(), String> {
    match kind {
        Some("") => Err("`type` must not be empty".to_owned()),
        Some(_) => Ok(()),
        None => Err("the object has no `type`".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn lines(text: &str) -> Lines {
        Lines {
            count: check_lines(text).unwrap(),
            text: text.to_owned(),
            shown: "model.ndjson".to_owned(),
        }
    }

    #[test]
    fn ndjson_errors_name_the_line() {
        let text = "{\"type\":\"Point\"}\n\n{\"type\":\n";
        assert!(check_lines(text)
            .unwrap_err()
            .starts_with("line 3: invalid JSON"));
        let text = "{\"type\":\"Point\"}\n{\"name\":\"x\"}\n";
        assert_eq!(
            check_lines(text).unwrap_err(),
            "line 2: the object has no `type`"
        );
        let text = "{\"type\":\"\"}\n";
        assert_eq!(
            check_lines(text).unwrap_err(),
            "line 1: `type` must not be empty"
        );
        let text = "{\"type\":5}\n";
        assert!(check_lines(text)
            .unwrap_err()
            .starts_with("line 1: not a Speckle object"));
    }

    /// Big enough to be checked on several threads, with a bad line in the
    /// middle and another near the end: the earlier one is reported.
    #[test]
    fn parallel_checking_counts_and_finds_the_earliest_error() {
        let good = "{\"type\":\"Point\",\"value\":[1.5,2.5,3.5],\"n\":NUMBER}";
        let mut lines: Vec<String> = (0..200_000)
            .map(|n| good.replace("NUMBER", &n.to_string()))
            .collect();
        let text = lines.join("\n\n") + "\n";
        assert!(text.len() > PARALLEL_FROM_BYTES);
        assert_eq!(check_lines(&text), Ok(200_000));
        lines[150_000] = "{\"name\":\"late\"}".to_owned();
        lines[120_001] = "{\"type\":".to_owned();
        let error = check_lines(&lines.join("\n")).unwrap_err();
        assert!(error.starts_with("line 120002: invalid JSON"), "{error}");
    }

    #[tokio::test]
    async fn lines_are_sent_as_written_in_order() {
        let text: String = (0..5_000)
            .map(|n| format!("{{\"type\":\"Point\",\"value\":[{n},0,0]}}\n\n"))
            .collect();
        let (stream, built) = lines(&text).into_stream();
        let items: Vec<PushItem> = stream.collect().await;
        built.finish().unwrap();
        assert_eq!(items.len(), 5_000);
        for (n, item) in items.iter().enumerate() {
            match item {
                PushItem::Raw(raw) => {
                    assert_eq!(
                        raw.json(),
                        format!("{{\"type\":\"Point\",\"value\":[{n},0,0]}}")
                    )
                }
                other => panic!("line {n} was not sent as written: {other:?}"),
            }
        }
    }

    /// What the server would refuse is found by the check, before anything
    /// is sent, not while sending.
    #[test]
    fn the_check_refuses_what_the_server_would() {
        for (text, expected) in [
            ("[{\"type\":\"Point\"}]\n", "line 1: not a JSON object"),
            ("[\"Point\", null, null]\n", "line 1: not a JSON object"),
            ("[1,\n", "line 1: invalid JSON"),
            (
                "{\"type\":\"Point\",\"hash\":5}\n",
                "line 1: not a Speckle object",
            ),
            (
                "{\"type\":\"Point\",\"_id\":[]}\n",
                "line 1: not a Speckle object",
            ),
            (
                "{\"type\":\"Placeholder\"}\n",
                "line 1: a placeholder without `_id`",
            ),
        ] {
            let error = check_lines(text).unwrap_err();
            assert!(error.starts_with(expected), "{text}: {error}");
        }
        assert_eq!(
            check_lines("{\"type\":\"Placeholder\",\"_id\":\"a1\"}\n"),
            Ok(1)
        );
    }

    #[test]
    fn pieces_end_at_line_ends_and_count_lines() {
        let text = "a\nbb\n\nccc\ndddd\n";
        for parts in 1..8 {
            let pieces = split_at_line_ends(text, parts);
            assert!(pieces.len() <= parts);
            assert_eq!(pieces.iter().map(|p| p.1).collect::<String>(), text);
            for (first_line, piece) in pieces {
                assert!(piece.ends_with('\n'));
                let before = &text[..text.find(piece).unwrap()];
                assert_eq!(first_line, before.matches('\n').count() + 1);
            }
        }
    }

    #[test]
    fn array_errors_name_the_line_of_the_element() {
        let text = "[\n  {\"type\":\"Point\", \"s\":\"a,[{\\\"\"},\n  {\"name\":\"x\"}\n]";
        assert_eq!(
            parse_array(text).unwrap_err(),
            "line 3: object 2: the object has no `type`"
        );
        assert_eq!(parse_array("[]").unwrap().len(), 0);
    }
}
