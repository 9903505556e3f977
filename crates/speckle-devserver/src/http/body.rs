//! body-parser's `json({limit, strict: true})`.
//!
//! Only `application/json` bodies are read; anything else leaves `{}`.
//! gzip and deflate bodies are inflated and the limit applies to the
//! inflated size. Oversized bodies get 413, undecodable ones 400, unknown
//! encodings or charsets 415 — all as Express HTML pages.

use std::io::Read;

use futures_util::StreamExt;

use axum::body::Body;
use axum::http::{header, HeaderMap};

use super::{html, Reply};
use crate::json::{self, Json};

/// Bodies larger than this are parsed on a blocking thread.
const PARSE_INLINE_MAX: usize = 256 * 1024;

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `type-is`'s check for `application/json`, and the charset parameter.
fn json_type(headers: &HeaderMap) -> Option<Option<String>> {
    let ct = header_str(headers, header::CONTENT_TYPE)?;
    let mut parts = ct.split(';');
    let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if mime != "application/json" {
        return None;
    }
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    });
    Some(charset)
}

/// Reads and parses the body, or answers the error page.
pub(super) async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Json, Reply> {
    let empty = || Json::obj();
    let Some(charset) = json_type(headers) else {
        return Ok(empty());
    };
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    let declared =
        header_str(headers, header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if !chunked && declared.is_none() {
        return Ok(empty());
    }
    if let Some(cs) = charset {
        if !cs.starts_with("utf-") {
            return Err(html::error(
                415,
                &format!(
                    "UnsupportedMediaTypeError: unsupported charset \"{}\"",
                    cs.to_uppercase()
                ),
                "jsonParser (body-parser/lib/types/json.js)",
            ));
        }
    }
    let encoding = header_str(headers, header::CONTENT_ENCODING)
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let encoded = match encoding.as_str() {
        "identity" | "" => false,
        "gzip" | "deflate" => true,
        other => {
            return Err(html::error(
                415,
                &format!("UnsupportedMediaTypeError: unsupported content encoding \"{other}\""),
                "contentstream (body-parser/lib/read.js)",
            ))
        }
    };
    // raw-body refuses a declared length over the limit before reading.
    if !encoded && declared.is_some_and(|n| n > limit as u64) {
        drain(body).await;
        return Err(html::too_large());
    }
    // An encoded body's raw size is not limited by itself (its inflated size
    // is), but reading is still bounded so a client cannot stream forever.
    let raw_cap = if encoded {
        limit.saturating_mul(4).max(1 << 20)
    } else {
        limit
    };
    let raw = match read_capped(body, raw_cap).await {
        Ok(b) => b,
        Err(Some(())) => return Err(html::too_large()),
        Err(None) => {
            return Err(html::error(
                400,
                "BadRequestError: request aborted",
                "IncomingMessage.onAborted (raw-body/index.js)",
            ))
        }
    };
    let bytes = if encoded {
        let gzip = encoding == "gzip";
        match tokio::task::spawn_blocking(move || inflate(&raw, gzip, limit)).await {
            Ok(Ok(b)) => b,
            Ok(Err(reply)) => return Err(reply),
            Err(_) => return Err(html::crash("Error: inflate failed")),
        }
    } else {
        raw
    };
    if bytes.is_empty() {
        return Ok(empty());
    }
    if bytes.len() > PARSE_INLINE_MAX {
        match tokio::task::spawn_blocking(move || parse_strict(&bytes)).await {
            Ok(r) => r,
            Err(_) => Err(html::crash("Error: parse failed")),
        }
    } else {
        parse_strict(&bytes)
    }
}

/// Most a refused body is read (and thrown away) so that a client that
/// writes its whole body before reading the answer still gets the 413.
const DRAIN_MAX: usize = 1024 * 1024 * 1024;

/// Reads at most `cap` bytes. `Err(Some(()))`: too large (the rest is
/// drained); `Err(None)`: the client went away.
async fn read_capped(body: Body, cap: usize) -> Result<Vec<u8>, Option<()>> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| None)?;
        if out.len() + chunk.len() > cap {
            let mut seen = out.len() + chunk.len();
            while let Some(Ok(c)) = stream.next().await {
                seen += c.len();
                if seen > DRAIN_MAX {
                    break;
                }
            }
            return Err(Some(()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(c)) = stream.next().await {
        seen += c.len();
        if seen > DRAIN_MAX {
            break;
        }
    }
}

fn inflate(raw: &[u8], gzip: bool, limit: usize) -> Result<Vec<u8>, Reply> {
    let mut out = Vec::new();
    let cap = limit as u64 + 1;
    let result = if gzip {
        flate2::read::MultiGzDecoder::new(raw)
            .take(cap)
            .read_to_end(&mut out)
    } else {
        flate2::read::ZlibDecoder::new(raw)
            .take(cap)
            .read_to_end(&mut out)
    };
    match result {
        Err(e) => Err(html::error(
            400,
            &format!("Error: {e}"),
            "Zlib.zlibOnError [as onerror] (node:zlib)",
        )),
        Ok(_) if out.len() > limit => Err(html::too_large()),
        Ok(_) => Ok(out),
    }
}

/// strict mode: the first non-whitespace character must open an object or
/// an array; then `JSON.parse`.
fn parse_strict(bytes: &[u8]) -> Result<Json, Reply> {
    let first = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    match first.and_then(|i| bytes.get(i)) {
        Some(b'{' | b'[') => json::parse(bytes).map_err(|e| html::bad_json(&e.message)),
        None => Err(html::bad_json("Unexpected end of JSON input")),
        Some(_) => {
            // body-parser re-parses the text up to that character with a '#'
            // in its place, then puts the character back in the message.
            let i = first.unwrap_or(0);
            let lead = String::from_utf8_lossy(bytes.get(..i).unwrap_or_default()).into_owned();
            let ch = String::from_utf8_lossy(bytes.get(i..).unwrap_or_default())
                .chars()
                .next()
                .unwrap_or('#');
            Err(html::bad_json(&format!(
                "Unexpected token '{ch}', \"{lead}{ch}\" is not valid JSON"
            )))
        }
    }
}
