//! `speckle watch`: a stream's live events until Ctrl-C.

use futures_util::StreamExt;
use serde_json::{json, Value};
use speckle::ws::{ConnectionState, Event, Incoming};
use speckle::ClientRole;

use crate::cli::{Global, WatchArgs};
use crate::failure::Failure;
use crate::session;

/// Joins the stream's room as a receiver and prints one line per event.
pub async fn run(global: &Global, args: WatchArgs) -> Result<(), Failure> {
    let client = session::client(global)?;
    let mut socket = client
        .websockets_with_new_client(args.stream.as_str(), ClientRole::Receiver)
        .await?;
    // One listener for the whole watch: a Ctrl-C that arrives while an
    // event is being printed must not be lost (a listener made anew each
    // turn misses it, and the watch would never end).
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let event = tokio::select! {
            event = socket.next() => event,
            _ = &mut interrupted => return Ok(()),
        };
        let Some(event) = event else { return Ok(()) };
        let closed = matches!(event, Event::Closed(_));
        if let Some((kind, detail)) = describe(&event) {
            if global.json {
                println!("{}", json!({"event": kind, "detail": detail}));
            } else {
                println!("{kind:<10} {}", text_of(&detail));
            }
        }
        if closed {
            return Err(Failure::msg("the connection closed for good"));
        }
    }
}

fn text_of(detail: &Value) -> String {
    match detail {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The event's kind and what to show of it; `None` for what is not news.
fn describe(event: &Event) -> Option<(&'static str, Value)> {
    Some(match event {
        Event::State(ConnectionState::Open) => ("connected", json!("joined the stream's room")),
        Event::State(ConnectionState::Reconnecting { .. }) => ("reconnect", json!("reconnecting")),
        Event::State(_) => return None,
        Event::Frame(Incoming::Broadcast(envelope)) => (
            "broadcast",
            json!({"from": envelope.sender_id, "args": envelope.args}),
        ),
        Event::Frame(Incoming::Message(envelope)) => (
            "message",
            json!({"from": envelope.sender_id, "args": envelope.args}),
        ),
        Event::Frame(Incoming::RoomJoined(joined)) => ("joined", json!(format!("{joined:?}"))),
        Event::Frame(other) => ("frame", json!(format!("{other:?}"))),
        Event::ClientIdChanged { current, .. } => ("client-id", json!(current)),
        Event::Error(error) => ("error", json!(error.to_string())),
        Event::Closed(reason) => ("closed", json!(format!("{reason:?}"))),
        _ => ("event", json!(format!("{event:?}"))),
    })
}
