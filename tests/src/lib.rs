//! Shared helpers of the workspace-level contract suite (`tests/tests/*.rs`).
//!
//! The recorded transcripts of a real SpeckleServer 1.6.0
//! (`fixtures/speckle-v1-server-transcripts.jsonl`) are the reference: the
//! suite replays them through the SDK and checks the SDK's reading of each.

use serde_json::Value;

pub mod cleanup;
pub mod fault_proxy;
pub mod rooms;
pub mod target;
pub mod users;
pub mod wait;

/// The recorded transcripts, one JSON record per line.
pub const TRANSCRIPTS: &str = include_str!("../../fixtures/speckle-v1-server-transcripts.jsonl");

/// One recorded HTTP exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Sequence number in the transcripts.
    pub seq: u64,
    /// What the recorder called it.
    pub label: String,
    /// Request method.
    pub method: String,
    /// Request path (from `/api…`).
    pub path: String,
    /// Request query string, without `?`.
    pub query: Option<String>,
    /// Request body (`null` when none).
    pub request_body: Value,
    /// Response status.
    pub status: u16,
    /// Response `Content-Type`.
    pub content_type: String,
    /// Response body: JSON, or a string for text and HTML bodies.
    pub response_body: Value,
}

/// Every recorded HTTP exchange (websocket records are skipped).
pub fn http_exchanges() -> Vec<Exchange> {
    TRANSCRIPTS
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|record| {
            let request = record.get("request")?;
            let response = record.get("response")?;
            let url = request.get("url")?.as_str()?;
            let after_host = url.split("://").nth(1)?;
            let path_and_query = &after_host[after_host.find('/')?..];
            let (path, query) = match path_and_query.split_once('?') {
                Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
                None => (path_and_query.to_owned(), None),
            };
            Some(Exchange {
                seq: record.get("seq")?.as_u64()?,
                label: record
                    .get("label")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                method: request.get("method")?.as_str()?.to_owned(),
                path,
                query,
                request_body: request.get("body").cloned().unwrap_or(Value::Null),
                status: u16::try_from(response.get("status")?.as_u64()?).ok()?,
                content_type: response
                    .pointer("/headers/Content-Type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                response_body: response.get("body").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}
