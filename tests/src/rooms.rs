//! Waiting until the server has a live socket in a stream's room.
//!
//! The server registers a socket and puts it in the room of its URL's
//! `stream_id` asynchronously, and says nothing when it is done: a broadcast
//! sent right after the socket opened can miss it. A join (resource form) of
//! a room the socket is already in is answered with `You already joined that
//! room.`, so that answer proves both the registration and the membership;
//! a socket that was not in the room gets `Room joined.` instead, which is
//! reported, not taken as success (the probe itself would have put it there).

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::json;
use speckle::ws::{Event, Incoming, Notice, SocketHandle};
use speckle::StreamId;

/// How long one probe may go unanswered before it is sent again. The real
/// server drops a join that arrives before the socket is registered, so an
/// unanswered probe is repeated rather than awaited for ever.
const PROBE_AGAIN_AFTER: Duration = Duration::from_millis(500);

/// Bound on the whole wait: only reached when the test is about to fail.
const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

/// Waits until the server answers a join of `stream_id`'s room with
/// "already joined", i.e. the socket is registered and was in the room.
///
/// The probe is a raw frame, so the socket does not add the room to the ones
/// it re-joins after a reconnect. Events read from `events` meanwhile are
/// discarded; call it when nothing else is expected.
///
/// # Errors
/// When the socket was not in the room, the server refuses the join, the
/// stream ends, or no answer comes within ten seconds.
pub async fn wait_until_in_stream_room<S>(
    handle: &SocketHandle,
    events: &mut S,
    stream_id: &StreamId,
) -> Result<(), String>
where
    S: Stream<Item = Event> + Unpin,
{
    let probe = json!({
        "eventName": "join",
        "resourceType": "stream",
        "resourceId": stream_id.as_str(),
    })
    .to_string();
    let wait = async {
        loop {
            handle
                .send_raw(probe.clone())
                .map_err(|e| format!("the probe was not queued: {e}"))?;
            let answer = tokio::time::timeout(PROBE_AGAIN_AFTER, async {
                loop {
                    match events.next().await {
                        Some(Event::Frame(Incoming::Notice(Notice::AlreadyJoined))) => {
                            return Ok(());
                        }
                        Some(Event::Frame(Incoming::RoomJoined(joined))) => {
                            return Err(format!(
                                "the socket was not in {}: the probe joined it",
                                joined.room_name
                            ));
                        }
                        Some(Event::Frame(Incoming::Notice(
                            notice @ (Notice::JoinFailed { .. }
                            | Notice::AnonymousClient
                            | Notice::NotAuthorised { .. }),
                        ))) => {
                            return Err(format!("the server refused the probe: {notice:?}"));
                        }
                        Some(_) => {}
                        None => return Err("the event stream ended".to_owned()),
                    }
                }
            })
            .await;
            if let Ok(outcome) = answer {
                return outcome;
            }
        }
    };
    tokio::time::timeout(GIVE_UP_AFTER, wait)
        .await
        .map_err(|_| format!("stream-{stream_id}: no answer to the membership probe"))?
}
