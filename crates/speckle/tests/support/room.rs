//! A wait for a socket's room membership.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::json;
use speckle::ws::{Event, Incoming, Notice, SocketHandle};
use speckle::StreamId;

/// How long one membership probe may go unanswered before it is sent again:
/// the server drops frames that arrive before the socket is registered.
const PROBE_AGAIN_AFTER: Duration = Duration::from_millis(500);

/// Waits until the server answers a join of `stream_id`'s room with
/// "already joined": the socket is registered and in the room (it was put
/// there by the `stream_id` of its URL). Events read meanwhile are dropped.
pub async fn wait_until_in_stream_room<S>(
    handle: &SocketHandle,
    events: &mut S,
    stream_id: &StreamId,
) where
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
            handle.send_raw(probe.clone()).unwrap();
            let answer = tokio::time::timeout(PROBE_AGAIN_AFTER, async {
                loop {
                    match events.next().await {
                        Some(Event::Frame(Incoming::Notice(Notice::AlreadyJoined))) => return,
                        Some(Event::Frame(Incoming::RoomJoined(joined))) => {
                            panic!("the socket was not in {}", joined.room_name)
                        }
                        Some(_) => {}
                        None => panic!("the event stream ended"),
                    }
                }
            })
            .await;
            if answer.is_ok() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("no answer to the membership probe within 20 s");
}
