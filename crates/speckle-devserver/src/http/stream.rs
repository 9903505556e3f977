//! Answers written while the client reads them, so their size never sits
//! in memory whole: getbulk's pieces and lists that repeat documents.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};

use super::JSON_TYPE;

/// A 200 JSON answer sent as chunks arrive (no `Content-Length`); an `Err`
/// chunk aborts the response, so the client sees a broken transfer rather
/// than a truncated but well-formed answer.
pub(super) fn streamed(
    chunks: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
    head_only: bool,
) -> Response<Body> {
    let stream = futures_util::stream::unfold(chunks, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let body = if head_only {
        Body::empty()
    } else {
        Body::from_stream(stream)
    };
    json_200(body)
}

/// About how many bytes each piece of a [`Reply::Repeated`] answer holds.
const PIECE_BYTES: usize = 1024 * 1024;

/// Writes a [`Reply::Repeated`] answer lazily, a piece at a time.
pub(super) fn repeated(
    head: String,
    parts: Vec<String>,
    order: Vec<usize>,
    tail: String,
    head_only: bool,
) -> Response<Body> {
    if head_only {
        return json_200(Body::empty());
    }
    // (next entry of `order`, whether the tail was sent)
    let state = (Some(head), 0usize, false);
    let stream = futures_util::stream::unfold(state, move |(head, mut next, done)| {
        let piece = if done {
            None
        } else {
            let mut out = head.unwrap_or_default();
            while next < order.len() && out.len() < PIECE_BYTES {
                if next > 0 {
                    out.push(',');
                }
                if let Some(part) = order.get(next).and_then(|i| parts.get(*i)) {
                    out.push_str(part);
                }
                next += 1;
            }
            let finished = next >= order.len();
            if finished {
                out.push_str(&tail);
            }
            Some((
                Ok::<_, std::convert::Infallible>(out),
                (None, next, finished),
            ))
        };
        std::future::ready(piece)
    });
    json_200(Body::from_stream(stream))
}

/// A 200 JSON response of unknown length.
fn json_200(body: Body) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header("Access-Control-Allow-Origin", "*")
        .header(header::CONTENT_TYPE, HeaderValue::from_static(JSON_TYPE))
        .body(body)
        .unwrap_or_default()
}
