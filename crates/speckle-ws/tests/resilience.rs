//! Staying alive: forced drops, restarts, the outgoing queue, heartbeats,
//! giving up, closing and shutting down.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use serde_json::json;
use speckle_ws::{
    CloseReason, ConnectionState, Event, Incoming, Notice, SpeckleSocket, WsErrorKind,
};
use support::{
    connect_open, expect, expect_open, fast_config, ServerConfig, TestServer, KICKED, WAIT,
};
use tokio_tungstenite::tungstenite::Message;

const STREAM: &str = "KZEstGdMW";
const URL_STREAM: &str = "urlStream1";
const PROJECT: &str = "6b0c43a384c96928c715534f";

fn is_broadcast_with(event: &Event, key: &str, value: &serde_json::Value) -> bool {
    matches!(event, Event::Frame(Incoming::Broadcast(b)) if b.args.get(key) == Some(value))
}

fn is_already_joined(event: &Event) -> bool {
    matches!(event, Event::Frame(Incoming::Notice(Notice::AlreadyJoined)))
}

/// A port on which nothing listens.
async fn dead_base_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/api")
}

#[tokio::test]
async fn survives_three_forced_drops_and_rejoins_its_rooms() {
    let server = TestServer::start().await;
    // A is in URL_STREAM through the URL and joins STREAM and PROJECT itself.
    let (a, mut a_events) =
        connect_open(fast_config(&server, "client-a").stream_id(URL_STREAM)).await;
    let (b, mut b_events) = connect_open(fast_config(&server, "client-b")).await;
    a.join_stream(STREAM).unwrap();
    a.join("project", PROJECT).unwrap();
    expect(&mut a_events, "Room joined", |e| {
        matches!(e, Event::Frame(Incoming::RoomJoined(_)))
    })
    .await;

    for round in 1..=3 {
        server.drop_all();
        let (_, before_open) = support::next_matching(&mut a_events, "reconnect", |e| {
            matches!(e, Event::State(ConnectionState::Open))
        })
        .await;
        assert!(
            before_open
                .iter()
                .any(|e| matches!(e, Event::Error(err) if err.is_retried())),
            "round {round}: the drop is reported: {before_open:#?}"
        );
        assert!(
            before_open.iter().any(|e| matches!(
                e,
                Event::State(ConnectionState::Reconnecting { attempt: 1 })
            )),
            "round {round}: {before_open:#?}"
        );
        expect_open(&mut b_events).await;
        server
            .wait_for("A back in its rooms", |s| {
                s.is_member(&format!("stream-{STREAM}"), "client-a")
                    && s.is_member(&format!("project-{PROJECT}"), "client-a")
                    && s.is_member(&format!("stream-{URL_STREAM}"), "client-a")
            })
            .await;

        b.broadcast_to_stream(STREAM, json!({"stream_round": round}))
            .unwrap();
        b.broadcast_to_room("project", PROJECT, json!({"project_round": round}))
            .unwrap();
        b.broadcast_to_stream(URL_STREAM, json!({"url_round": round}))
            .unwrap();
        for key in ["stream_round", "project_round", "url_round"] {
            let (_, skipped) = support::next_matching(&mut a_events, key, |e| {
                is_broadcast_with(e, key, &json!(round))
            })
            .await;
            // Re-joining never duplicates a membership (the URL room is
            // restored by the URL, not by a second join).
            assert!(!skipped.iter().any(is_already_joined), "{skipped:#?}");
        }
    }
    assert_eq!(server.read(|s| s.connects_of("client-a")), 4);

    // A room that was left is not re-joined after the next drop.
    a.leave("project", PROJECT).unwrap();
    a.leave_stream(URL_STREAM).unwrap();
    server
        .wait_for("A left", |s| {
            !s.is_member(&format!("project-{PROJECT}"), "client-a")
                && !s.is_member(&format!("stream-{URL_STREAM}"), "client-a")
        })
        .await;
    server.drop_all();
    expect_open(&mut a_events).await;
    // Frames on one connection are handled in order, so once this marker
    // is in, the re-join frames before it have been handled too.
    a.send_raw("marker").unwrap();
    server
        .wait_for("marker", |s| {
            s.received
                .iter()
                .any(|(from, text)| from == "client-a" && text == "marker")
        })
        .await;
    server.read(|s| {
        assert!(s.is_member(&format!("stream-{STREAM}"), "client-a"));
        assert!(!s.is_member(&format!("project-{PROJECT}"), "client-a"));
        // The URL still says stream_id, so the socket left that room again.
        assert!(!s.is_member(&format!("stream-{URL_STREAM}"), "client-a"));
    });
}

#[tokio::test]
async fn survives_a_server_restart_on_the_same_port() {
    let server = TestServer::start().await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a").stream_id(STREAM)).await;

    server.stop();
    // While nothing listens, attempts fail and are counted.
    let event = expect(
        &mut a_events,
        "a failed reconnect",
        |e| matches!(e, Event::Error(err) if err.kind() == WsErrorKind::Connect),
    )
    .await;
    assert!(event.state().is_none());
    expect(&mut a_events, "a second attempt", |e| {
        matches!(
            e,
            Event::State(ConnectionState::Reconnecting { attempt: 2 })
        )
    })
    .await;
    assert!(matches!(a.state(), ConnectionState::Reconnecting { .. }));

    server.restart().await;
    expect_open(&mut a_events).await;
    let (b, _b_events) = connect_open(fast_config(&server, "client-b")).await;
    b.broadcast_to_stream(STREAM, json!({"after": "restart"}))
        .unwrap();
    expect(&mut a_events, "broadcast after restart", |e| {
        is_broadcast_with(e, "after", &json!("restart"))
    })
    .await;
}

#[tokio::test]
async fn frames_queued_while_disconnected_arrive_exactly_once() {
    let server = TestServer::start().await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a")).await;
    let (_b, mut b_events) = connect_open(fast_config(&server, "client-b")).await;

    // Drop A and keep it out, so that what it sends must wait in the queue.
    server.refuse_client("client-a", true);
    server.drop_client("client-a");
    expect(&mut a_events, "A disconnected", |e| {
        matches!(e, Event::State(ConnectionState::Reconnecting { .. }))
    })
    .await;
    for n in 0..5 {
        a.message("client-b", json!({"n": n})).unwrap();
    }
    a.message("client-b", json!({"last": true})).unwrap();
    assert_eq!(a.queued(), 6);
    // They survive failed reconnection attempts too.
    expect(
        &mut a_events,
        "a refused reconnect",
        |e| matches!(e, Event::Error(err) if err.kind() == WsErrorKind::Connect),
    )
    .await;
    assert_eq!(a.queued(), 6);

    server.refuse_client("client-a", false);
    expect_open(&mut a_events).await;
    let (_, skipped) = support::next_matching(
        &mut b_events,
        "the last queued message",
        |e| matches!(e, Event::Frame(Incoming::Message(m)) if m.args == json!({"last": true})),
    )
    .await;
    let got: Vec<_> = skipped
        .iter()
        .filter_map(|e| match e {
            Event::Frame(Incoming::Message(m)) => Some(m.args.clone()),
            _ => None,
        })
        .collect();
    // In order, each exactly once.
    assert_eq!(got, (0..5).map(|n| json!({"n": n})).collect::<Vec<_>>());
    server.read(|s| {
        for n in 0..5 {
            assert_eq!(s.frames_with("client-a", "n", &json!(n)), 1, "frame {n}");
        }
    });
    assert_eq!(a.queued(), 0);
}

#[tokio::test]
async fn queue_overflow_is_reported_to_the_sender() {
    let server = TestServer::start().await;
    server.refuse_client("client-a", true);
    let (a, mut a_events) =
        SpeckleSocket::connect(fast_config(&server, "client-a").queue_capacity(3))
            .unwrap()
            .into_parts();
    expect(
        &mut a_events,
        "the refused connect",
        |e| matches!(e, Event::Error(err) if err.kind() == WsErrorKind::Connect),
    )
    .await;

    for n in 0..3 {
        a.broadcast_to_stream(STREAM, json!({"n": n})).unwrap();
    }
    let err = a.broadcast_to_stream(STREAM, json!({"n": 3})).unwrap_err();
    assert_eq!(err.kind(), WsErrorKind::QueueFull);
    assert!(err.is_queue_full());
    assert_eq!(
        err.to_string(),
        "websocket send queue is full: 3 frames are already waiting"
    );
    assert_eq!(a.queued(), 3);

    // The accepted frames are all delivered once the server lets A in; the
    // refused one never is.
    server.refuse_client("client-a", false);
    expect_open(&mut a_events).await;
    a.send_raw("marker").unwrap();
    server
        .wait_for("marker", |s| {
            s.received.iter().any(|(_, text)| text == "marker")
        })
        .await;
    server.read(|s| {
        for n in 0..3 {
            assert_eq!(s.frames_with("client-a", "n", &json!(n)), 1, "frame {n}");
        }
        assert_eq!(s.frames_with("client-a", "n", &json!(3)), 0);
    });
}

#[tokio::test]
async fn answers_ping_with_alive_and_hides_it() {
    let server = TestServer::start_with(ServerConfig {
        ping_interval: Duration::from_millis(20),
        kick_after: 3,
        ..ServerConfig::default()
    })
    .await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a")).await;

    // A client that does not answer is kicked by this server ...
    let (mut mute, _) = tokio_tungstenite::connect_async(server.ws_url("client_id=mute"))
        .await
        .unwrap();
    let kicked = tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = mute.next().await {
            if message == Message::text(KICKED) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(kicked);

    // ... while our socket keeps answering and stays on its first connection.
    server
        .wait_for("ten alive answers", |s| {
            s.alive_answers.get("client-a").copied().unwrap_or(0) >= 10
        })
        .await;
    server.read(|s| {
        assert_eq!(s.kicked, ["mute"]);
        assert_eq!(s.connects_of("client-a"), 1);
        assert!(s.is_connected("client-a"));
    });
    assert_eq!(a.state(), ConnectionState::Open);
    // Pings are not surfaced as events.
    while let Some(Some(event)) = a_events.recv().now_or_never() {
        assert!(!matches!(event, Event::Frame(Incoming::Ping)), "{event:?}");
        assert!(
            event.frame().is_none() && !matches!(event, Event::Error(_)),
            "{event:?}"
        );
    }
    let _ = mute.close(None).await;
}

#[tokio::test]
async fn a_silent_server_triggers_a_reconnect() {
    let server = TestServer::start_with(ServerConfig {
        ping_interval: Duration::from_millis(20),
        ..ServerConfig::default()
    })
    .await;
    let config = fast_config(&server, "client-a").heartbeat_timeout(Duration::from_millis(300));
    let (a, mut a_events) = connect_open(config).await;

    server.set_silent(true);
    let event = expect(&mut a_events, "heartbeat timeout", |e| {
        matches!(e, Event::Error(_))
    })
    .await;
    let Event::Error(err) = event else {
        unreachable!()
    };
    assert_eq!(err.kind(), WsErrorKind::HeartbeatTimeout);
    expect(&mut a_events, "reconnecting", |e| {
        matches!(
            e,
            Event::State(ConnectionState::Reconnecting { attempt: 1 })
        )
    })
    .await;
    server.set_silent(false);
    expect_open(&mut a_events).await;
    assert_eq!(a.state(), ConnectionState::Open);
    assert!(server.read(|s| s.connects_of("client-a")) >= 2);
}

#[tokio::test]
async fn gives_up_after_max_reconnect_attempts_with_a_final_event() {
    let config = speckle_ws::SocketConfig::new(dead_base_url().await, "client-a")
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .max_reconnect_attempts(2);
    let (a, mut events) = SpeckleSocket::connect(config).unwrap().into_parts();

    let mut seen = Vec::new();
    let collect = async {
        while let Some(event) = events.recv().await {
            seen.push(event);
        }
    };
    tokio::time::timeout(WAIT, collect).await.unwrap();

    let states: Vec<_> = seen.iter().filter_map(Event::state).collect();
    assert_eq!(
        states,
        [
            ConnectionState::Connecting,
            ConnectionState::Reconnecting { attempt: 1 },
            ConnectionState::Reconnecting { attempt: 2 },
            ConnectionState::Closed,
        ]
    );
    let errors = seen.iter().filter(|e| matches!(e, Event::Error(_))).count();
    assert_eq!(errors, 3, "one per attempt: {seen:#?}");
    let Some(Event::Closed(CloseReason::ReconnectAttemptsExhausted {
        attempts,
        last_error,
    })) = seen.last()
    else {
        panic!("last event must say why: {seen:#?}");
    };
    assert_eq!(*attempts, 2);
    assert_eq!(last_error.kind(), WsErrorKind::Connect);
    assert_eq!(a.state(), ConnectionState::Closed);
    assert!(a.join_stream(STREAM).unwrap_err().is_closed());
}

#[tokio::test]
async fn close_delivers_queued_frames_then_ends_the_stream() {
    let server = TestServer::start().await;
    let (a, mut a_events) = connect_open(fast_config(&server, "client-a")).await;

    a.send_raw("last words").unwrap();
    a.close();
    assert!(a.send_raw("too late").unwrap_err().is_closed());
    let event = expect(&mut a_events, "Closed", |e| matches!(e, Event::Closed(_))).await;
    assert_eq!(event, Event::Closed(CloseReason::Requested));
    assert_eq!(
        tokio::time::timeout(WAIT, a_events.recv()).await.unwrap(),
        None
    );
    assert_eq!(a.state(), ConnectionState::Closed);
    server
        .wait_for("A gone", |s| !s.is_connected("client-a"))
        .await;
    server.read(|s| {
        let texts: Vec<_> = s.received.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["last words"]);
    });
}

#[tokio::test]
async fn close_while_disconnected_reports_discarded_frames() {
    let (a, mut events) = SpeckleSocket::connect(
        speckle_ws::SocketConfig::new(dead_base_url().await, "client-a")
            .backoff(Duration::from_secs(30), Duration::from_secs(30)),
    )
    .unwrap()
    .into_parts();
    expect(&mut events, "reconnecting", |e| {
        matches!(e, Event::State(ConnectionState::Reconnecting { .. }))
    })
    .await;
    a.send_raw("never sent").unwrap();
    a.close();
    let event = expect(&mut events, "discarded", |e| matches!(e, Event::Error(_))).await;
    let Event::Error(err) = event else {
        unreachable!()
    };
    assert_eq!(err.kind(), WsErrorKind::Discarded);
    assert_eq!(
        tokio::time::timeout(WAIT, events.recv()).await.unwrap(),
        Some(Event::Closed(CloseReason::Requested))
    );
}

#[tokio::test]
async fn dropping_the_stream_keeps_sending_and_dropping_everything_stops() {
    let server = TestServer::start().await;
    let (a, a_events) = connect_open(fast_config(&server, "client-a")).await;
    let (_b, mut b_events) = connect_open(fast_config(&server, "client-b")).await;

    // Without the stream the handle still works.
    drop(a_events);
    a.message("client-b", json!({"still": "here"})).unwrap();
    expect(&mut b_events, "message from A", |e| {
        matches!(e, Event::Frame(Incoming::Message(_)))
    })
    .await;

    // One handle of two gone: the socket keeps its connection. A frame sent
    // through the other one and seen by the server proves the task has run
    // since the drop and is still on its first connection.
    let copy = a.clone();
    drop(a);
    copy.send_raw("after one handle dropped").unwrap();
    server
        .wait_for("the frame sent after one handle dropped", |s| {
            s.received
                .iter()
                .any(|(from, text)| from == "client-a" && text == "after one handle dropped")
        })
        .await;
    server.read(|s| {
        assert!(s.is_connected("client-a"));
        assert_eq!(s.connects_of("client-a"), 1);
    });
    assert_eq!(copy.state(), ConnectionState::Open);

    // Without any handle either, the task closes the connection.
    drop(copy);
    server
        .wait_for("A's connection closed", |s| !s.is_connected("client-a"))
        .await;
}
