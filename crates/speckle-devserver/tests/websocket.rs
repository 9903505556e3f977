//! The websocket protocol over a real socket: rooms, broadcast that
//! skips the sender, direct messages, joins and their exact replies, the
//! heartbeat and its kick, client-id reassignment, and the missing
//! client_id notice (which must not take the server down).
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use speckle_devserver::{Config, DevServer};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects and waits until the server has registered the socket (and put
/// it in its connect-time room), so nothing sent to it afterwards is lost.
async fn connect(server: &DevServer, query: &str) -> Ws {
    let before = server.socket_count();
    let ws = connect_only(&server.url(), query).await;
    tokio::time::timeout(Duration::from_secs(10), server.wait_for_sockets(before + 1))
        .await
        .expect("the socket was never registered");
    ws
}

/// Connects without waiting for registration (for sockets the server
/// refuses to register).
async fn connect_only(base: &str, query: &str) -> Ws {
    let url = format!("{}/?{query}", base.replace("http", "ws"));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    ws
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("send");
}

/// The next text frame, or `None` after `wait`.
async fn next_text(ws: &mut Ws, wait: Duration) -> Option<String> {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(t.to_string()),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn expect(ws: &mut Ws, want: &str) {
    assert_eq!(
        next_text(ws, Duration::from_secs(3)).await.as_deref(),
        Some(want)
    );
}

struct World {
    server: DevServer,
    base: String,
    alice: String,
    bob: String,
    stream: String,
    private_stream: String,
    project: String,
}

async fn world(config: Config) -> World {
    let server = DevServer::start(config).await.expect("server");
    let base = server.url();
    let c = common::client();
    let (alice, _) = common::user(&c, &base, "alice@example.com").await;
    let (bob, _) = common::user(&c, &base, "bob@example.com").await;
    let post = |path: &'static str, body: &'static str| {
        let (c, base, alice) = (c.clone(), base.clone(), alice.clone());
        async move {
            let (s, t) = common::send(
                &c,
                "POST",
                &format!("{base}{path}"),
                Some(&alice),
                Some(body),
            )
            .await;
            assert_eq!(s, 200, "{t}");
            common::json(&t)
        }
    };
    let stream = post("/api/streams", r#"{"name":"WS stream"}"#).await["resource"]["streamId"]
        .as_str()
        .unwrap()
        .to_string();
    let private_stream = post("/api/streams", r#"{"name":"secret","private":true}"#).await
        ["resource"]["streamId"]
        .as_str()
        .unwrap()
        .to_string();
    let project = post("/api/projects", r#"{"name":"WS project"}"#).await["resource"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    World {
        server,
        base,
        alice,
        bob,
        stream,
        private_stream,
        project,
    }
}

fn token_param(token: &str) -> String {
    token.replace(' ', "+")
}

#[tokio::test]
async fn rooms_broadcast_message_join_leave() {
    let w = world(Config::default()).await;
    let sid = &w.stream;
    let mut a = connect(
        &w.server,
        &format!(
            "access_token={}&stream_id={sid}&client_id=A",
            token_param(&w.alice)
        ),
    )
    .await;
    let mut b = connect(
        &w.server,
        &format!(
            "access_token={}&stream_id={sid}&client_id=B",
            token_param(&w.bob)
        ),
    )
    .await;
    let mut c = connect(&w.server, "client_id=temp-C").await;

    // Broadcast reaches the room, never the sender, and is relayed as sent.
    let frame = format!(
        r#"{{"eventName": "broadcast", "senderId": "A", "streamId": "{sid}", "args": {{"eventType": "update-global"}}}}"#
    );
    send(&mut a, &frame).await;
    expect(&mut b, &frame).await;
    // A's next frame is the reply to its own next request: its broadcast
    // did not come back to it.
    let join = format!(r#"{{"eventName": "join", "senderId": "A", "streamId": "{sid}"}}"#);
    send(&mut a, &join).await;
    expect(&mut a, "You already joined that room.").await;

    // Legacy join of a public stream: no reply, then "already joined" (so
    // C, outside the room until now, got neither the broadcast nor a reply
    // to its first join).
    let join = format!(r#"{{"eventName": "join", "senderId": "temp-C", "streamId": "{sid}"}}"#);
    send(&mut c, &join).await;
    send(&mut c, &join).await;
    expect(&mut c, "You already joined that room.").await;

    let frame = format!(
        r#"{{"eventName": "broadcast", "senderId": "B", "streamId": "{sid}", "args": {{"n": 2}}}}"#
    );
    send(&mut b, &frame).await;
    expect(&mut a, &frame).await;
    expect(&mut c, &frame).await;

    // Direct message by recipientId.
    let msg = r#"{"eventName": "message", "senderId": "A", "recipientId": "temp-C", "args": {"hello": "C"}}"#;
    send(&mut a, msg).await;
    expect(&mut c, msg).await;

    // Leave: C no longer hears the room. C's reply to a later request
    // shows the leave was handled.
    send(
        &mut c,
        &format!(r#"{{"eventName": "leave", "streamId": "{sid}"}}"#),
    )
    .await;
    send(
        &mut c,
        r#"{"eventName": "join", "streamId": "doesNotExist"}"#,
    )
    .await;
    expect(&mut c, "Failed to join room stream-doesNotExist").await;
    let frame = format!(
        r#"{{"eventName": "broadcast", "senderId": "A", "streamId": "{sid}", "args": {{}}}}"#
    );
    send(&mut a, &frame).await;
    // B's next frame is this broadcast: the direct message to C skipped B.
    expect(&mut b, &frame).await;
    let marker = r#"{"eventName": "message", "senderId": "A", "recipientId": "temp-C", "args": {"after": "leave"}}"#;
    send(&mut a, marker).await;
    expect(&mut c, marker).await;

    // A public stream's room hears a socket that could join it, even one
    // outside the room (the real server's rule, kept for public rooms).
    let frame = format!(
        r#"{{"eventName": "broadcast", "senderId": "temp-C", "streamId": "{sid}", "args": {{"from": "outside"}}}}"#
    );
    send(&mut c, &frame).await;
    expect(&mut b, &frame).await;
    expect(&mut a, &frame).await;

    // Resource joins of a private project.
    let pid = &w.project;
    let join =
        format!(r#"{{"eventName": "join", "resourceType": "project", "resourceId": "{pid}"}}"#);
    send(&mut c, &join).await;
    expect(
        &mut c,
        "You are an anonymous client. You cannot access this resource.",
    )
    .await;
    expect(&mut c, "Anonymous room join for private resource.").await;
    send(&mut b, &join).await;
    expect(&mut b, "You are not authorised to read.").await;
    send(&mut a, &join).await;
    let reply: Value =
        serde_json::from_str(&next_text(&mut a, Duration::from_secs(3)).await.unwrap()).unwrap();
    assert_eq!(
        reply,
        serde_json::json!({"message": "Room joined.", "roomName": format!("project-{pid}")})
    );
    send(&mut a, &join).await;
    expect(&mut a, "You already joined that room.").await;

    // Security fix: a socket that may not read a private resource cannot
    // broadcast into its room (the real server relays it). A's next frame
    // is B's later direct message (they share the stream's room).
    let frame = format!(
        r#"{{"eventName": "broadcast", "resourceType": "project", "resourceId": "{pid}", "args": {{}}}}"#
    );
    send(&mut b, &frame).await;
    let marker = r#"{"eventName": "message", "senderId": "B", "recipientId": "A", "args": {}}"#;
    send(&mut b, marker).await;
    expect(&mut a, marker).await;

    // Garbage is dropped silently: A's next frame answers its next request.
    for junk in [
        "not json",
        r#"{"foo": 1}"#,
        r#"{"eventName": "nonsense"}"#,
        "alive",
    ] {
        send(&mut a, junk).await;
    }
    send(&mut a, &join).await;
    expect(&mut a, "You already joined that room.").await;

    // A missing stream.
    send(
        &mut b,
        r#"{"eventName": "join", "streamId": "doesNotExist"}"#,
    )
    .await;
    expect(&mut b, "Failed to join room stream-doesNotExist").await;
    w.server.shutdown().await;
}

#[tokio::test]
async fn private_stream_rooms_need_read_access() {
    let w = world(Config::default()).await;
    let ps = &w.private_stream;
    // Security fix: the connect-time room is checked too.
    let mut anon = connect(&w.server, &format!("client_id=X&stream_id={ps}")).await;
    expect(&mut anon, &format!("Failed to join room stream-{ps}")).await;
    let with_alice = |id: &str| {
        format!(
            "client_id={id}&access_token={}&stream_id={ps}",
            token_param(&w.alice)
        )
    };
    let mut owner = connect(&w.server, &with_alice("O")).await;
    let mut owner2 = connect(&w.server, &with_alice("O2")).await;
    // The token must be the apitoken, exactly; without the prefix it is anonymous.
    let bare = w.alice.trim_start_matches("JWT ");
    let mut d = connect(&w.server, &format!("client_id=D&access_token={bare}")).await;
    // Security fix: an anonymous socket cannot broadcast into the room.
    let frame = format!(r#"{{"eventName": "broadcast", "streamId": "{ps}", "args": {{}}}}"#);
    send(&mut d, &frame).await;
    send(
        &mut d,
        &format!(r#"{{"eventName": "join", "streamId": "{ps}"}}"#),
    )
    .await;
    expect(&mut d, &format!("Failed to join room stream-{ps}")).await;
    // The owner's first frame is a member's later broadcast: it got no
    // connect-time reply and nothing from D.
    let marker = format!(r#"{{"eventName": "broadcast", "streamId": "{ps}", "args": {{"n": 1}}}}"#);
    send(&mut owner2, &marker).await;
    expect(&mut owner, &marker).await;
    // The anonymous socket is not in the room: its next frame answers its
    // own next request, not the member's broadcast.
    send(
        &mut anon,
        &format!(r#"{{"eventName": "join", "streamId": "{ps}"}}"#),
    )
    .await;
    expect(&mut anon, &format!("Failed to join room stream-{ps}")).await;
    w.server.shutdown().await;
}

#[tokio::test]
async fn duplicate_client_id_gets_a_new_id() {
    let w = world(Config::default()).await;
    let _a = connect(&w.server, "client_id=same").await;
    let mut e = connect(&w.server, "client_id=same").await;
    let reply: Value =
        serde_json::from_str(&next_text(&mut e, Duration::from_secs(3)).await.unwrap()).unwrap();
    assert_eq!(
        reply["message"],
        "Warning: this client is open in another file."
    );
    let new_id = reply["newId"].as_str().unwrap().to_string();
    assert_eq!(new_id.len(), 24);
    // Messages to the new id reach the new socket.
    let mut other = connect(&w.server, "client_id=other").await;
    let msg = format!(r#"{{"eventName": "message", "recipientId": "{new_id}"}}"#);
    send(&mut other, &msg).await;
    expect(&mut e, &msg).await;
    w.server.shutdown().await;
}

#[tokio::test]
async fn missing_client_id_is_refused_without_crashing() {
    let w = world(Config::default()).await;
    let mut alive = connect(&w.server, "client_id=stays").await;
    let mut f = connect_only(&w.base, &format!("stream_id={}", w.stream)).await;
    let text = next_text(&mut f, Duration::from_secs(3)).await.unwrap();
    assert!(text.starts_with("You must provide a client_id."), "{text}");
    assert_eq!(
        next_text(&mut f, Duration::from_secs(3)).await,
        None,
        "closed"
    );
    // Everyone else is still connected, and HTTP still answers.
    let mut other = connect(&w.server, "client_id=x").await;
    let msg = r#"{"eventName": "message", "recipientId": "stays"}"#;
    send(&mut other, msg).await;
    expect(&mut alive, msg).await;
    let (s, _) = common::send(
        &common::client(),
        "GET",
        &format!("{}/api", w.base),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    w.server.shutdown().await;
}

#[tokio::test]
async fn heartbeat_pings_warns_and_kicks() {
    // The real server's 30 s heartbeat, on tokio's paused clock: the test
    // takes no real time, and the counts below do not depend on the load.
    let w = world(Config::default()).await;
    let mut good = connect(&w.server, "client_id=good").await;
    let mut lazy = connect(&w.server, "client_id=lazy").await;
    tokio::time::pause();
    // The good socket answers every ping with "alive" and is never warned.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let keeper = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            tokio::select! {
                frame = next_text(&mut good, Duration::from_secs(3600)) => match frame {
                    Some(t) => {
                        if t == "ping" {
                            send(&mut good, "alive").await;
                        }
                        seen.push(t);
                    }
                    None => break,
                },
                _ = &mut stopped => break,
            }
        }
        (good, seen)
    });
    let mut frames = Vec::new();
    while let Some(t) = next_text(&mut lazy, Duration::from_secs(3600)).await {
        frames.push(t);
    }
    let _ = stop.send(());
    // pings, then a warning on every tick after 5 misses, then the kick.
    let warn = "Warning: you missed 5 mins of pings. After 10, you will be kicked!";
    let bye = "You missed 10 minutes of pings. Bye!";
    assert_eq!(frames.first().map(String::as_str), Some("ping"));
    assert_eq!(frames.last().map(String::as_str), Some(bye), "{frames:?}");
    assert_eq!(
        frames.iter().filter(|f| *f == warn).count(),
        6,
        "{frames:?}"
    );
    assert_eq!(
        frames.iter().filter(|f| *f == "ping").count(),
        11,
        "{frames:?}"
    );
    let (_good, seen) = keeper.await.unwrap();
    assert!(
        seen.iter().filter(|f| *f == "ping").count() >= 10,
        "{seen:?}"
    );
    assert!(seen.iter().all(|f| f == "ping"), "{seen:?}");
    w.server.shutdown().await;
}
