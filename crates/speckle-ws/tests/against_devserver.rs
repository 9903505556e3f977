//! The socket against the real server implementation (speckle-devserver)
//! over loopback, not against the fake server in `support/`: connecting
//! with the apitoken, room joins and leaves answered as typed [`Incoming`]
//! frames, resource-room broadcasts, a reassigned client id that is adopted
//! and reachable by direct message, and a reconnect after the server is
//! stopped and started again on the same port.
//!
//! The server registers a socket asynchronously and sends no "ready" frame,
//! so the tests never sleep: they synchronise on a marker. The socket joins
//! a stream that does not exist and the server answers, to that socket only,
//! `Failed to join room stream-<marker>`. A socket's frames are handled in
//! order, so the answer proves the socket is registered and everything it
//! sent before was handled; frames to a socket are queued in order, so
//! whatever the server sent it before arrives before the answer. That is
//! also how "nothing else arrived" is shown.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use speckle_devserver::{Config, DevServer};
use speckle_ws::{
    ConnectionState, Event, EventStream, Incoming, Notice, SocketConfig, SocketHandle,
    SpeckleSocket,
};

/// Bounds every wait; only reached when a test is about to fail.
const DEADLINE: Duration = Duration::from_secs(10);

/// A user of the devserver, a public stream and a private project of
/// Alice's that Bob may not read.
struct World {
    server: DevServer,
    alice: String,
    bob: String,
    stream: String,
    project: String,
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api{path}"))
        .json(&body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "POST {path}");
    response.json().await.expect("JSON body")
}

/// Registers a user and returns the account's apitoken (`JWT …`).
async fn apitoken(base: &str, email: &str) -> String {
    let password = "correct-horse-battery";
    post(
        base,
        "/accounts/register",
        None,
        json!({"email": email, "password": password, "name": "U"}),
    )
    .await;
    let login = post(
        base,
        "/accounts/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await;
    login["resource"]["apitoken"]
        .as_str()
        .expect("apitoken")
        .to_string()
}

async fn world(config: Config) -> World {
    let server = DevServer::start(config).await.expect("devserver starts");
    let base = server.url();
    let alice = apitoken(&base, "alice@example.com").await;
    let bob = apitoken(&base, "bob@example.com").await;
    let stream = post(&base, "/streams", Some(&alice), json!({"name": "live"})).await;
    let project = post(&base, "/projects", Some(&alice), json!({"name": "team"})).await;
    World {
        server,
        alice,
        bob,
        stream: stream["resource"]["streamId"].as_str().unwrap().into(),
        project: project["resource"]["_id"].as_str().unwrap().into(),
    }
}

fn config(server: &DevServer, client_id: &str) -> SocketConfig {
    SocketConfig::new(format!("{}/api", server.url()), client_id)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
}

fn open(config: SocketConfig) -> (SocketHandle, EventStream) {
    SpeckleSocket::connect(config)
        .expect("valid config")
        .into_parts()
}

async fn next_event(events: &mut EventStream, waiting_for: &str) -> Event {
    tokio::time::timeout(DEADLINE, events.recv())
        .await
        .unwrap_or_else(|_| panic!("no event within {DEADLINE:?} while waiting for {waiting_for}"))
        .unwrap_or_else(|| panic!("the event stream ended while waiting for {waiting_for}"))
}

/// Sends a marker and returns every event (but state changes) that arrives
/// before the server's answer to it.
async fn sync(handle: &SocketHandle, events: &mut EventStream) -> Vec<Event> {
    static MARKERS: AtomicU32 = AtomicU32::new(0);
    let marker = format!("wsMarker{}", MARKERS.fetch_add(1, Ordering::Relaxed));
    // Raw, so the socket does not remember the room and re-join it later.
    handle
        .send_raw(format!(
            r#"{{"eventName": "join", "streamId": "{marker}"}}"#
        ))
        .expect("queued");
    let answer = format!("stream-{marker}");
    let mut before = Vec::new();
    loop {
        match next_event(events, &answer).await {
            Event::Frame(Incoming::Notice(Notice::JoinFailed { room })) if room == answer => {
                return before
            }
            Event::State(_) => {}
            Event::Closed(reason) => panic!("closed while waiting for {answer}: {reason:?}"),
            other => before.push(other),
        }
    }
}

fn notice(notice: Notice) -> Event {
    Event::Frame(Incoming::Notice(notice))
}

/// Waits until the socket has lost its connection and opened a new one.
async fn reopened(events: &mut EventStream) -> Vec<Event> {
    let mut seen = Vec::new();
    let mut lost = false;
    loop {
        match next_event(events, "a reconnect").await {
            Event::State(ConnectionState::Reconnecting { .. }) => lost = true,
            Event::State(ConnectionState::Open) if lost => return seen,
            Event::Closed(reason) => panic!("gave up: {reason:?}"),
            Event::State(_) | Event::Error(_) => {}
            other => seen.push(other),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_and_leaves_are_answered_as_typed_frames() {
    let w = world(Config::default()).await;
    let (alice, mut alice_events) = open(config(&w.server, "alice-app").access_token(&*w.alice));
    let (bob, mut bob_events) = open(config(&w.server, "bob-app").access_token(&*w.bob));
    let (anon, mut anon_events) = open(config(&w.server, "temp-anonymous"));
    for (handle, events) in [
        (&alice, &mut alice_events),
        (&bob, &mut bob_events),
        (&anon, &mut anon_events),
    ] {
        assert_eq!(sync(handle, events).await, [], "{handle:?}");
    }

    // The apitoken authenticates: the owner's join of the private project
    // is confirmed (an anonymous socket would be refused).
    let pid = w.project.as_str();
    alice.join("project", pid).unwrap();
    let frames = sync(&alice, &mut alice_events).await;
    let [Event::Frame(Incoming::RoomJoined(joined))] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(joined.room_name, format!("project-{pid}"));
    assert_eq!(joined.message, "Room joined.");
    alice.join("project", pid).unwrap();
    assert_eq!(
        sync(&alice, &mut alice_events).await,
        [notice(Notice::AlreadyJoined)]
    );

    // Another user may not read it; an anonymous socket is told twice.
    bob.join("project", pid).unwrap();
    assert_eq!(
        sync(&bob, &mut bob_events).await,
        [notice(Notice::NotAuthorised {
            text: "You are not authorised to read.".into()
        })]
    );
    anon.join("project", pid).unwrap();
    assert_eq!(
        sync(&anon, &mut anon_events).await,
        [
            notice(Notice::AnonymousClient),
            notice(Notice::AnonymousPrivateJoin)
        ]
    );

    // Stream joins: silent on success, a notice for a missing stream.
    bob.join_stream(w.stream.as_str()).unwrap();
    bob.join_stream("doesNotExist").unwrap();
    assert_eq!(
        sync(&bob, &mut bob_events).await,
        [notice(Notice::JoinFailed {
            room: "stream-doesNotExist".into()
        })]
    );

    // Bob is in the stream's room until he leaves it.
    alice
        .broadcast_to_stream(w.stream.as_str(), json!({"eventType": "before-leave"}))
        .unwrap();
    assert_eq!(sync(&alice, &mut alice_events).await, []);
    let frames = sync(&bob, &mut bob_events).await;
    let [Event::Frame(Incoming::Broadcast(b))] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(b.event_type(), Some("before-leave"));
    bob.leave_stream(w.stream.as_str()).unwrap();
    assert_eq!(sync(&bob, &mut bob_events).await, []);
    alice
        .broadcast_to_stream(w.stream.as_str(), json!({"eventType": "after-leave"}))
        .unwrap();
    assert_eq!(sync(&alice, &mut alice_events).await, []);
    assert_eq!(sync(&bob, &mut bob_events).await, [], "left the room");
    w.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_room_broadcasts_reach_the_other_members_only() {
    let w = world(Config::default()).await;
    let pid = w.project.as_str();
    // Two documents of the owner in the project's room, one outsider.
    let (editor, mut editor_events) =
        open(config(&w.server, "alice-editor").access_token(&*w.alice));
    let (viewer, mut viewer_events) =
        open(config(&w.server, "alice-viewer").access_token(&*w.alice));
    let (outsider, mut outsider_events) = open(config(&w.server, "outsider"));
    for (handle, events) in [(&editor, &mut editor_events), (&viewer, &mut viewer_events)] {
        handle.join("project", pid).unwrap();
        let frames = sync(handle, events).await;
        assert!(
            matches!(frames.as_slice(), [Event::Frame(Incoming::RoomJoined(_))]),
            "{frames:?}"
        );
    }
    assert_eq!(sync(&outsider, &mut outsider_events).await, []);

    editor
        .broadcast_to_room(
            "project",
            pid,
            json!({"eventType": "project-update", "n": 1}),
        )
        .unwrap();
    // The sender is skipped, the other member gets the frame as sent.
    assert_eq!(sync(&editor, &mut editor_events).await, []);
    let frames = sync(&viewer, &mut viewer_events).await;
    let [Event::Frame(Incoming::Broadcast(b))] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(
        b.sender_id.as_ref().map(|s| s.as_str()),
        Some("alice-editor")
    );
    assert_eq!(b.room(), Some(format!("project-{pid}")));
    assert_eq!(b.args, json!({"eventType": "project-update", "n": 1}));
    assert_eq!(sync(&outsider, &mut outsider_events).await, []);
    w.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassigned_client_id_is_adopted_and_reachable() {
    let w = world(Config::default()).await;
    let sid = w.stream.as_str();
    let (first, mut first_events) = open(
        config(&w.server, "shared-doc")
            .access_token(&*w.alice)
            .stream_id(sid),
    );
    assert_eq!(sync(&first, &mut first_events).await, []);
    // The same client id again: the server gives the second socket a new one.
    let (second, mut second_events) = open(
        config(&w.server, "shared-doc")
            .access_token(&*w.alice)
            .stream_id(sid),
    );
    let frames = sync(&second, &mut second_events).await;
    let [Event::ClientIdChanged {
        previous,
        current,
        message,
    }] = frames.as_slice()
    else {
        panic!("{frames:?}");
    };
    assert_eq!(previous.as_str(), "shared-doc");
    assert_eq!(message, "Warning: this client is open in another file.");
    assert!(
        current.as_str().len() == 24 && current.as_str().bytes().all(|b| b.is_ascii_hexdigit()),
        "{current}"
    );
    assert_eq!(&second.client_id(), current);
    assert_eq!(first.client_id().as_str(), "shared-doc");

    // A direct message to the new id reaches the second socket only.
    first
        .message(current.clone(), json!({"eventType": "get-definition-io"}))
        .unwrap();
    assert_eq!(sync(&first, &mut first_events).await, []);
    let frames = sync(&second, &mut second_events).await;
    let [Event::Frame(Incoming::Message(m))] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(m.recipient_id.as_ref(), Some(current));
    assert_eq!(m.sender_id.as_ref().map(|s| s.as_str()), Some("shared-doc"));
    assert_eq!(m.event_type(), Some("get-definition-io"));

    // The second socket now sends as the new id, so the answer can be
    // addressed back to it.
    second
        .broadcast_to_stream(sid, json!({"eventType": "get-def-io-response"}))
        .unwrap();
    assert_eq!(sync(&second, &mut second_events).await, []);
    let frames = sync(&first, &mut first_events).await;
    let [Event::Frame(Incoming::Broadcast(b))] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(b.sender_id.as_ref(), Some(current));
    w.server.shutdown().await;
}

/// Starts a server on `port`, retrying while the previous one still holds
/// it (the retry ends as soon as the bind succeeds).
async fn restart_on(port: u16, data_file: &std::path::Path) -> DevServer {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match DevServer::start(Config::default().port(port).data_file(data_file)).await {
            Ok(server) => return server,
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::debug!("port {port} not free yet: {e}");
                // Polling the condition (the port is free), not a guess.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("port {port} stayed taken: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_and_rejoins_after_the_server_restarts_on_the_same_port() {
    // A file database, so the users, the stream and the project are still
    // there after the restart.
    let dir = std::env::temp_dir().join(format!("speckle-ws-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("speckle.db");
    let _ = std::fs::remove_file(&file);
    let w = world(Config::default().data_file(&file)).await;
    let (sid, pid) = (w.stream.as_str(), w.project.as_str());
    let port = w.server.port();

    let (listener, mut listener_events) = open(
        config(&w.server, "listener")
            .access_token(&*w.alice)
            .stream_id(sid),
    );
    let (talker, mut talker_events) = open(config(&w.server, "talker").access_token(&*w.alice));
    listener.join("project", pid).unwrap();
    let frames = sync(&listener, &mut listener_events).await;
    assert!(
        matches!(frames.as_slice(), [Event::Frame(Incoming::RoomJoined(_))]),
        "{frames:?}"
    );
    assert_eq!(sync(&talker, &mut talker_events).await, []);

    w.server.shutdown().await;
    let server = restart_on(port, &file).await;

    // The listener is back in the stream's room (from the URL) and re-joined
    // the project's room by itself, which the server confirms again.
    let mut frames = reopened(&mut listener_events).await;
    frames.extend(sync(&listener, &mut listener_events).await);
    assert!(
        matches!(frames.as_slice(), [Event::Frame(Incoming::RoomJoined(j))] if j.room_name == format!("project-{pid}")),
        "{frames:?}"
    );
    let mut frames = reopened(&mut talker_events).await;
    frames.extend(sync(&talker, &mut talker_events).await);
    assert_eq!(frames, []);

    talker
        .broadcast_to_stream(sid, json!({"eventType": "update-global"}))
        .unwrap();
    talker
        .broadcast_to_room("project", pid, json!({"eventType": "project-update"}))
        .unwrap();
    assert_eq!(sync(&talker, &mut talker_events).await, []);
    let frames = sync(&listener, &mut listener_events).await;
    let types: Vec<_> = frames
        .iter()
        .map(|e| match e {
            Event::Frame(Incoming::Broadcast(b)) => b.event_type().map(String::from),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        types,
        [Some("update-global".into()), Some("project-update".into())]
    );
    listener.close();
    talker.close();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
