//! Talking to the server: rooms, broadcasts, direct messages, odd frames,
//! client-id reassignment and the callback adapter.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::{Arc, Mutex};

use serde_json::json;
use speckle_ws::{Callbacks, CloseReason, ConnectionState, Event, Incoming, Notice, SpeckleSocket};
use support::{connect_open, expect, fast_config, ServerConfig, TestServer, WAIT};
use tokio_tungstenite::tungstenite::Message;

const STREAM: &str = "KZEstGdMW";
const PROJECT: &str = "6b0c43a384c96928c715534f";

fn is_broadcast_with(event: &Event, key: &str, value: &serde_json::Value) -> bool {
    matches!(event, Event::Frame(Incoming::Broadcast(b)) if b.args.get(key) == Some(value))
}

#[tokio::test]
async fn two_clients_exchange_broadcasts_and_direct_messages() {
    let server = TestServer::start_with(ServerConfig {
        deny_streams: vec!["doesNotExist".into()],
        ..ServerConfig::default()
    })
    .await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a").stream_id(STREAM)).await;
    let (b, mut b_events) = connect_open(fast_config(&server, "client-b").stream_id(STREAM)).await;
    assert_eq!(a.state(), ConnectionState::Open);

    // Stream broadcast: B gets it with A's senderId; A (the sender) does not.
    a.broadcast_to_stream(STREAM, json!({"eventType": "update-global", "n": 1}))
        .unwrap();
    let event = expect(&mut b_events, "A's broadcast", |e| {
        is_broadcast_with(e, "n", &json!(1))
    })
    .await;
    let Event::Frame(Incoming::Broadcast(broadcast)) = event else {
        unreachable!()
    };
    assert_eq!(
        broadcast.sender_id.as_ref().map(|id| id.as_str()),
        Some("client-a")
    );
    assert_eq!(
        broadcast.stream_id.as_ref().map(|id| id.as_str()),
        Some(STREAM)
    );
    assert_eq!(broadcast.event_type(), Some("update-global"));

    // Direct message B → A.
    b.message("client-a", json!({"hello": "A"})).unwrap();
    let (event, skipped) = support::next_matching(&mut a_events, "B's message", |e| {
        matches!(e, Event::Frame(Incoming::Message(_)))
    })
    .await;
    // Broadcasts skip the sender: A's own broadcast never came back to it.
    assert!(skipped.iter().all(|e| e.frame().is_none()), "{skipped:?}");
    let Event::Frame(Incoming::Message(message)) = event else {
        unreachable!()
    };
    assert_eq!(
        message.sender_id.as_ref().map(|id| id.as_str()),
        Some("client-b")
    );
    assert_eq!(
        message.recipient_id.as_ref().map(|id| id.as_str()),
        Some("client-a")
    );
    assert_eq!(message.args, json!({"hello": "A"}));

    // Resource rooms: joins are confirmed, broadcasts reach the other member.
    b.join("project", PROJECT).unwrap();
    expect(&mut b_events, "B's Room joined", |e| {
        matches!(e, Event::Frame(Incoming::RoomJoined(j)) if j.room_name == format!("project-{PROJECT}"))
    })
    .await;
    a.join("project", PROJECT).unwrap();
    expect(&mut a_events, "A's Room joined", |e| {
        matches!(e, Event::Frame(Incoming::RoomJoined(_)))
    })
    .await;
    b.broadcast_to_room("project", PROJECT, json!({"eventType": "project-update"}))
        .unwrap();
    let (event, skipped) = support::next_matching(&mut a_events, "B's room broadcast", |e| {
        matches!(e, Event::Frame(Incoming::Broadcast(_)))
    })
    .await;
    let Event::Frame(Incoming::Broadcast(room_broadcast)) = event else {
        unreachable!()
    };
    assert_eq!(
        room_broadcast.room().as_deref(),
        Some(format!("project-{PROJECT}").as_str())
    );
    assert_eq!(
        room_broadcast.sender_id.as_ref().map(|id| id.as_str()),
        Some("client-b")
    );
    assert!(skipped.iter().all(|e| e.frame().is_none()), "{skipped:?}");

    // The server's plain-text answers arrive as typed notices.
    a.join("project", PROJECT).unwrap();
    expect(&mut a_events, "already joined", |e| {
        matches!(e, Event::Frame(Incoming::Notice(Notice::AlreadyJoined)))
    })
    .await;
    a.join_stream("doesNotExist").unwrap();
    expect(&mut a_events, "failed join", |e| {
        matches!(e, Event::Frame(Incoming::Notice(Notice::JoinFailed { room })) if room == "stream-doesNotExist")
    })
    .await;

    // The wire frames carry senderId, as SpeckleCore's do.
    server
        .wait_for("B's message logged", |s| {
            s.received.iter().any(|(from, text)| {
                from == "client-b"
                    && serde_json::from_str::<serde_json::Value>(text).unwrap()
                        == json!({"eventName": "message", "senderId": "client-b",
                                  "recipientId": "client-a", "args": {"hello": "A"}})
            })
        })
        .await;
}

#[tokio::test]
async fn unknown_frames_do_not_end_the_stream() {
    let server = TestServer::start().await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a").stream_id(STREAM)).await;
    let (b, _b_events) = connect_open(fast_config(&server, "client-b")).await;

    server.send_to("client-a", Message::text("not json"));
    server.send_to("client-a", Message::text(r#"{"foo": 1}"#));
    server.send_to("client-a", Message::binary(vec![1u8, 2, 3]));
    server.send_to("client-a", Message::text(r#"{"eventName": "nonsense"}"#));
    server.send_to("client-a", Message::text("You are not authorised to read."));
    b.broadcast_to_stream(STREAM, json!({"after": "garbage"}))
        .unwrap();

    let (_, skipped) = support::next_matching(&mut a_events, "broadcast after garbage", |e| {
        is_broadcast_with(e, "after", &json!("garbage"))
    })
    .await;
    let frames: Vec<Incoming> = skipped.iter().filter_map(|e| e.frame().cloned()).collect();
    assert_eq!(frames.len(), 5, "{skipped:#?}");
    assert_eq!(frames[0], Incoming::Text("not json".into()));
    assert_eq!(frames[1], Incoming::Json(json!({"foo": 1})));
    assert_eq!(frames[2], Incoming::Binary(vec![1, 2, 3]));
    assert!(matches!(&frames[3], Incoming::OtherEvent(e) if e.event_name == "nonsense"));
    assert!(matches!(
        &frames[4],
        Incoming::Notice(Notice::NotAuthorised { .. })
    ));
    assert!(
        !skipped
            .iter()
            .any(|e| matches!(e, Event::Error(_) | Event::State(_))),
        "garbage must not disturb the connection: {skipped:#?}"
    );
    assert_eq!(a.state(), ConnectionState::Open);
    assert_eq!(server.read(|s| s.connects_of("client-a")), 1);
}

#[tokio::test]
async fn client_id_reassignment_is_adopted() {
    let server = TestServer::start().await;
    let (a, mut a_events) = connect_open(fast_config(&server, "shared-id").stream_id(STREAM)).await;

    // A second socket with the same client id gets a new one from the server.
    let (c, mut c_events) =
        SpeckleSocket::connect(fast_config(&server, "shared-id").stream_id(STREAM))
            .unwrap()
            .into_parts();
    let event = expect(&mut c_events, "client id change", |e| {
        matches!(e, Event::ClientIdChanged { .. })
    })
    .await;
    let Event::ClientIdChanged {
        previous,
        current,
        message,
    } = event
    else {
        unreachable!()
    };
    assert_eq!(previous.as_str(), "shared-id");
    assert_eq!(message, "Warning: this client is open in another file.");
    let assigned = server.read(|s| s.connects.last().unwrap().assigned_id.clone().unwrap());
    assert_eq!(current.as_str(), assigned);
    assert_eq!(c.client_id(), current);
    assert_eq!(a.client_id().as_str(), "shared-id");
    support::expect_open(&mut c_events).await;

    // C's frames now carry the new id, so A can answer it.
    c.broadcast_to_stream(STREAM, json!({"from": "C"})).unwrap();
    let event = expect(&mut a_events, "C's broadcast", |e| {
        is_broadcast_with(e, "from", &json!("C"))
    })
    .await;
    let Event::Frame(Incoming::Broadcast(b)) = event else {
        unreachable!()
    };
    assert_eq!(b.sender_id.as_ref(), Some(&current));
    a.message(current.clone(), json!({"reply": "to C"}))
        .unwrap();
    expect(
        &mut c_events,
        "A's reply",
        |e| matches!(e, Event::Frame(Incoming::Message(m)) if m.args == json!({"reply": "to C"})),
    )
    .await;
}

#[tokio::test]
async fn callbacks_mirror_pyspeckle() {
    let server = TestServer::start().await;
    let (b, _b_events) = connect_open(fast_config(&server, "client-b").stream_id(STREAM)).await;
    let socket =
        SpeckleSocket::connect(fast_config(&server, "client-a").stream_id(STREAM)).unwrap();

    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::unbounded_channel();
    let (on_open_log, on_message_log, on_close_log) = (log.clone(), log.clone(), log.clone());
    let run = tokio::spawn(
        Callbacks::new()
            .on_open(move |ws| {
                on_open_log
                    .lock()
                    .unwrap()
                    .push(format!("open {}", ws.client_id()));
                let _ = opened_tx.send(());
            })
            .on_message(move |ws, message| {
                if let Incoming::Broadcast(b) = message {
                    on_message_log
                        .lock()
                        .unwrap()
                        .push(format!("broadcast {}", b.args));
                    // Callbacks can act on the socket, like PySpeckle's `ws`.
                    ws.close();
                }
            })
            .on_error(|_ws, error| panic!("unexpected error {error}"))
            .on_close(move |_ws, reason| {
                on_close_log
                    .lock()
                    .unwrap()
                    .push(format!("close {reason:?}"));
            })
            .run(socket),
    );

    tokio::time::timeout(WAIT, opened_rx.recv())
        .await
        .unwrap()
        .unwrap();
    b.broadcast_to_stream(STREAM, json!({"n": 7})).unwrap();
    let reason = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(reason, CloseReason::Requested);
    assert_eq!(
        *log.lock().unwrap(),
        ["open client-a", "broadcast {\"n\":7}", "close Requested"]
    );
}
