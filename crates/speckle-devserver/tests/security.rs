//! One regression test per security hole of the real server that this
//! server closes: each request here is one a hostile second user (or an
//! anonymous peer) can make, and each test checks that it no longer reaches
//! another user's data, permissions, identity or the server's memory.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{client, json, send, user};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use speckle_devserver::{Config, DevServer};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Two users on a fresh in-memory server: alice (the victim, registered
/// first, so the admin) and bob (the attacker).
struct Two {
    server: DevServer,
    base: String,
    c: reqwest::Client,
    alice: String,
    alice_id: String,
    bob: String,
    bob_id: String,
}

async fn two(config: Config) -> Two {
    let server = DevServer::start(config).await.expect("server");
    let base = server.url();
    let c = client();
    let (alice, alice_id) = user(&c, &base, "alice@example.com").await;
    let (bob, bob_id) = user(&c, &base, "bob@example.com").await;
    Two {
        server,
        base,
        c,
        alice,
        alice_id,
        bob,
        bob_id,
    }
}

impl Two {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let (s, t) = send(
            &self.c,
            method,
            &format!("{}/api{path}", self.base),
            token,
            body,
        )
        .await;
        (s, json(&t))
    }

    /// A new stream of `token`'s user; returns its streamId.
    async fn stream(&self, token: &str, body: &str) -> String {
        let (s, v) = self.call("POST", "/streams", Some(token), Some(body)).await;
        assert_eq!(s, 200, "{v}");
        v["resource"]["streamId"].as_str().unwrap().to_string()
    }

    /// Saves one object; returns its id.
    async fn object(&self, token: &str, body: &str) -> String {
        let (s, v) = self.call("POST", "/objects", Some(token), Some(body)).await;
        assert_eq!(s, 200, "{v}");
        v["resources"][0]["_id"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn b1_a_stream_cannot_expose_another_users_private_object() {
    let t = two(Config::default()).await;
    let secret = t
        .object(
            &t.alice,
            r#"{"type":"Secret","private":true,"value":"alice-only"}"#,
        )
        .await;
    // Putting the id in one's own stream is refused...
    let body =
        format!(r#"{{"name":"mine","objects":[{{"type":"Placeholder","_id":"{secret}"}}]}}"#);
    let (s, v) = t.call("POST", "/streams", Some(&t.bob), Some(&body)).await;
    assert_eq!(s, 400, "{v}");
    let bobs = t.stream(&t.bob, r#"{"name":"mine"}"#).await;
    let body = format!(r#"{{"objects":[{{"type":"Placeholder","_id":"{secret}"}}]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    // A full object carrying her id (and a hash nobody has) is no way in.
    let body =
        format!(r#"{{"objects":[{{"type":"Point","_id":"{secret}","hash":"nobody-has-this"}}]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    // Nor is a delta's `created` list.
    let body = format!(
        r#"{{"revisionA":{{"id":"{bobs}"}},"created":[{{"type":"Placeholder","_id":"{secret}"}}]}}"#
    );
    let (s, v) = t
        .call(
            "POST",
            &format!("/streams/{bobs}/delta"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (_, v) = t.call("GET", "/streams", Some(&t.bob), None).await;
    assert!(!v.to_string().contains(&secret), "{v}");
    // ...and an object made private after it was listed is not shown.
    let public = t
        .object(&t.alice, r#"{"type":"Note","value":"was public"}"#)
        .await;
    let body = format!(r#"{{"objects":[{{"type":"Placeholder","_id":"{public}"}}]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .call(
            "PUT",
            &format!("/objects/{public}"),
            Some(&t.alice),
            Some(r#"{"private":true}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .call(
            "GET",
            &format!("/streams/{bobs}/objects"),
            Some(&t.bob),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resources"], serde_json::json!([]), "{v}");
    // The owner of a stream still sees her own private objects in it.
    let hers = t
        .stream(
            &t.alice,
            &format!(r#"{{"name":"hers","objects":[{{"type":"Placeholder","_id":"{secret}"}}]}}"#),
        )
        .await;
    let (s, v) = t
        .call(
            "GET",
            &format!("/streams/{hers}/objects"),
            Some(&t.alice),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resources"][0]["value"], "alice-only");
}

#[tokio::test]
async fn b2_deleting_a_stream_spares_children_the_caller_cannot_delete() {
    let t = two(Config::default()).await;
    let hers = t
        .stream(&t.alice, r#"{"name":"hers","private":true}"#)
        .await;
    let bobs = t.stream(&t.bob, r#"{"name":"mine"}"#).await;
    let body = format!(r#"{{"children":["{hers}"]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .call("DELETE", &format!("/streams/{bobs}"), Some(&t.bob), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["deletedStreams"], serde_json::json!([bobs]), "{v}");
    let (s, v) = t
        .call("GET", &format!("/streams/{hers}"), Some(&t.alice), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resource"]["name"], "hers");
}

#[tokio::test]
async fn b3_a_stream_cannot_take_another_streams_id() {
    let t = two(Config::default()).await;
    let hers = t.stream(&t.alice, r#"{"name":"hers"}"#).await;
    let bobs = t.stream(&t.bob, r#"{"name":"mine"}"#).await;
    let body = format!(r#"{{"streamId":"{hers}","name":"impostor"}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    // Both streams keep their ids; only one stream answers to hers.
    let (s, v) = t
        .call("GET", &format!("/streams/{bobs}"), Some(&t.bob), None)
        .await;
    assert_eq!(
        (s, &v["resource"]["name"]),
        (200, &Value::from("mine")),
        "{v}"
    );
    let (s, v) = t.call("GET", "/streams/admin", Some(&t.alice), None).await;
    assert_eq!(s, 200, "{v}");
    let with_her_id = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["streamId"] == hers.as_str())
        .count();
    assert_eq!(with_her_id, 1, "{v}");
    // Renaming to a free id is still the real server's quirk.
    let body = r#"{"streamId":"freshIdXYZ","name":"renamed"}"#;
    let (s, v) = t
        .call("PUT", &format!("/streams/{bobs}"), Some(&t.bob), Some(body))
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn b4_a_project_cannot_grant_write_on_another_users_stream() {
    let t = two(Config::default()).await;
    let hers = t
        .stream(&t.alice, r#"{"name":"hers","private":true}"#)
        .await;
    let body = format!(r#"{{"name":"grab","streams":["{hers}"]}}"#);
    let (s, v) = t.call("POST", "/projects", Some(&t.bob), Some(&body)).await;
    assert_eq!(s, 400, "{v}");
    // The same through an update of an existing project.
    let (s, v) = t
        .call(
            "POST",
            "/projects",
            Some(&t.bob),
            Some(r#"{"name":"grab"}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let pid = v["resource"]["_id"].as_str().unwrap().to_string();
    let body = format!(r#"{{"streams":["{hers}"]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 401, "{v}");
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}/adduser/{}", t.bob_id),
            Some(&t.bob),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{hers}"),
            Some(&t.bob),
            Some(r#"{"name":"pwned"}"#),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (_, v) = t
        .call("GET", &format!("/streams/{hers}"), Some(&t.alice), None)
        .await;
    assert_eq!(v["resource"]["name"], "hers");
    assert_eq!(v["resource"]["canWrite"], serde_json::json!([]), "{v}");
}

#[tokio::test]
async fn b5_deleting_a_project_leaves_streams_the_caller_cannot_write() {
    let t = two(Config::default()).await;
    let c = client();
    let (_, carol_id) = user(&c, &t.base, "carol@example.com").await;
    // Bob's project, writable by alice, gets alice's stream legitimately.
    let body = format!(r#"{{"name":"shared","canWrite":["{}"]}}"#, t.alice_id);
    let (s, v) = t.call("POST", "/projects", Some(&t.bob), Some(&body)).await;
    assert_eq!(s, 200, "{v}");
    let pid = v["resource"]["_id"].as_str().unwrap().to_string();
    let hers = t
        .stream(&t.alice, r#"{"name":"hers","private":true}"#)
        .await;
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}/addstream/{hers}"),
            Some(&t.alice),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Alice then shares her stream with carol only; bob loses his access.
    let body = format!(r#"{{"canRead":["{carol_id}"],"canWrite":["{carol_id}"]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{hers}"),
            Some(&t.alice),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Bob names carol in his project's permissions and deletes it.
    let body =
        format!(r#"{{"permissions":{{"canRead":["{carol_id}"],"canWrite":["{carol_id}"]}}}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t
        .call("DELETE", &format!("/projects/{pid}"), Some(&t.bob), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["modifiedStreams"], serde_json::json!([]), "{v}");
    let (_, v) = t
        .call("GET", &format!("/streams/{hers}"), Some(&t.alice), None)
        .await;
    assert_eq!(
        v["resource"]["canRead"],
        serde_json::json!([carol_id]),
        "{v}"
    );
    assert_eq!(
        v["resource"]["canWrite"],
        serde_json::json!([carol_id]),
        "{v}"
    );
}

#[tokio::test]
async fn b6_other_users_emails_stay_private() {
    let t = two(Config::default()).await;
    // Alice's stream, shared with bob, with a Sender client of alice's.
    let body = format!(r#"{{"name":"hers","canRead":["{}"]}}"#, t.bob_id);
    let hers = t.stream(&t.alice, &body).await;
    let other = t.stream(&t.alice, r#"{"name":"other"}"#).await;
    let mut client_ids = Vec::new();
    for sid in [&hers, &other] {
        let body = format!(r#"{{"role":"Sender","documentType":"Rhino","streamId":"{sid}"}}"#);
        let (s, v) = t
            .call("POST", "/clients", Some(&t.alice), Some(&body))
            .await;
        assert_eq!(s, 200, "{v}");
        client_ids.push(v["resource"]["_id"].as_str().unwrap().to_string());
    }
    // Bob's own stream, which he shares with alice.
    let body = format!(r#"{{"name":"his","canRead":["{}"]}}"#, t.alice_id);
    t.stream(&t.bob, &body).await;
    let leaks = [
        ("GET", "/streams?populatePermissions=true".to_string()),
        ("GET", format!("/clients/{}", client_ids[0])),
        ("GET", format!("/streams/{hers}/delta/{other}")),
    ];
    for (method, path) in leaks {
        let (s, t_) = send(
            &t.c,
            method,
            &format!("{}/api{path}", t.base),
            Some(&t.bob),
            None,
        )
        .await;
        assert!(s == 200 || s == 400, "{path}: {s} {t_}");
        assert!(
            t_.contains(&t.alice_id) || t_.contains("Rhino"),
            "{path} answers: {t_}"
        );
        assert!(!t_.contains("alice@example.com"), "{path} leaks: {t_}");
    }
    // Her own e-mail is still shown to her.
    let (_, t_) = send(
        &t.c,
        "GET",
        &format!("{}/api/clients/{}", t.base, client_ids[0]),
        Some(&t.alice),
        None,
    )
    .await;
    assert!(t_.contains("alice@example.com"), "{t_}");
}

#[tokio::test]
async fn b7_the_token_secret_is_random_per_data_file() {
    let dir = std::env::temp_dir().join(format!("speckle-devserver-b7-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret.db");
    let _ = std::fs::remove_file(&file);
    let server = DevServer::start(Config::default().data_file(&file))
        .await
        .unwrap();
    let base = server.url();
    let c = client();
    let (token, admin_id) = user(&c, &base, "first@example.com").await;
    // A token signed with the old fixed development secret is refused.
    let claims =
        serde_json::json!({"_id": admin_id, "iat": 1_700_000_000u64, "exp": 4_000_000_000u64});
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"speckle-devserver-secret"),
    )
    .unwrap();
    let (s, t) = send(
        &c,
        "GET",
        &format!("{base}/api/accounts/admin"),
        Some(&format!("JWT {forged}")),
        None,
    )
    .await;
    assert_eq!(s, 401, "{t}");
    server.shutdown().await;
    // The same file keeps its secret: the real token still works.
    let server = DevServer::start(Config::default().data_file(&file))
        .await
        .unwrap();
    let (s, t) = send(
        &c,
        "GET",
        &format!("{}/api/accounts/admin", server.url()),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{t}");
    server.shutdown().await;
    // A given secret is used as given.
    let fixed = DevServer::start(Config::default().jwt_secret("given"))
        .await
        .unwrap();
    let (_, id) = user(&c, &fixed.url(), "given@example.com").await;
    let claims = serde_json::json!({"_id": id, "iat": 1_700_000_000u64, "exp": 4_000_000_000u64});
    let signed = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"given"),
    )
    .unwrap();
    let (s, t) = send(
        &c,
        "GET",
        &format!("{}/api/accounts", fixed.url()),
        Some(&format!("JWT {signed}")),
        None,
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let _ = std::fs::remove_dir_all(&dir);
    // A given secret never shows in a printed configuration.
    let printed = format!("{:?}", Config::default().jwt_secret("hunter2-secret"));
    assert!(!printed.contains("hunter2"), "{printed}");
}

#[tokio::test]
async fn b8_a_client_hash_never_resolves_to_another_users_object() {
    let t = two(Config::default()).await;
    let planted = t
        .object(
            &t.bob,
            r#"{"type":"Evil","hash":"shared-hash","value":"planted"}"#,
        )
        .await;
    let hers = t
        .object(
            &t.alice,
            r#"{"type":"Good","hash":"shared-hash","value":"real"}"#,
        )
        .await;
    assert_ne!(hers, planted);
    let (s, v) = t
        .call("GET", &format!("/objects/{hers}"), Some(&t.alice), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resource"]["value"], "real");
    // Her own re-upload is still deduplicated.
    let again = t
        .object(
            &t.alice,
            r#"{"type":"Good","hash":"shared-hash","value":"real"}"#,
        )
        .await;
    assert_eq!(again, hers);
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects and waits until the server has registered the socket.
async fn ws(server: &DevServer, query: &str) -> Ws {
    let before = server.socket_count();
    let url = format!("{}/?{query}", server.url().replace("http", "ws"));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    tokio::time::timeout(Duration::from_secs(10), server.wait_for_sockets(before + 1))
        .await
        .expect("socket never registered");
    ws
}

/// The next text frame; `None` once the socket is closed.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(t.to_string()),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("no frame and no close within 10 s"),
        }
    }
}

fn token_param(token: &str) -> String {
    token.replace(' ', "+")
}

#[tokio::test]
async fn b9_anonymous_sockets_cannot_speak_into_private_rooms() {
    let t = two(Config::default()).await;
    let secret = t
        .stream(&t.alice, r#"{"name":"secret","private":true}"#)
        .await;
    let q = |who: &str, token: &str| {
        format!(
            "client_id={who}&access_token={}&stream_id={secret}",
            token_param(token)
        )
    };
    let mut owner = ws(&t.server, &q("owner", &t.alice)).await;
    let mut owner2 = ws(&t.server, &q("owner2", &t.alice)).await;
    let mut anon = ws(&t.server, "client_id=anon").await;
    let broadcast = format!(
        r#"{{"eventName":"broadcast","senderId":"owner2","streamId":"{secret}","args":{{"eventType":"update-global"}}}}"#
    );
    anon.send(Message::text(broadcast)).await.unwrap();
    let dm = r#"{"eventName":"message","senderId":"owner2","recipientId":"owner","args":{"do":"send me your data"}}"#;
    anon.send(Message::text(dm)).await.unwrap();
    // Once anon's next reply arrives, its frames above have been handled.
    let join = format!(r#"{{"eventName":"join","streamId":"{secret}"}}"#);
    anon.send(Message::text(join)).await.unwrap();
    assert_eq!(
        next_text(&mut anon).await,
        Some(format!("Failed to join room stream-{secret}"))
    );
    // A member's broadcast arrives next: nothing from anon came before it.
    let marker = format!(
        r#"{{"eventName":"broadcast","senderId":"owner2","streamId":"{secret}","args":{{"n":1}}}}"#
    );
    owner2.send(Message::text(marker.clone())).await.unwrap();
    assert_eq!(next_text(&mut owner).await, Some(marker));
    // A member cannot speak as another client either: senderId is its own.
    let spoof = format!(
        r#"{{"eventName":"broadcast","senderId":"owner","streamId":"{secret}","args":{{"n":2}}}}"#
    );
    owner2.send(Message::text(spoof)).await.unwrap();
    let got: Value = serde_json::from_str(&next_text(&mut owner).await.unwrap()).unwrap();
    assert_eq!(got["senderId"], "owner2");
    assert_eq!(got["args"]["n"], 2);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b10_a_socket_that_does_not_read_is_disconnected() {
    let t = two(Config::default()).await;
    let sid = t.stream(&t.alice, r#"{"name":"room"}"#).await;
    let q = |who: &str| {
        format!(
            "client_id={who}&access_token={}&stream_id={sid}",
            token_param(&t.alice)
        )
    };
    let mut slow = ws(&t.server, &q("slow")).await;
    let mut loud = ws(&t.server, &q("loud")).await;
    let payload = "x".repeat(1024 * 1024);
    let sent = 64;
    for i in 0..sent {
        let frame = format!(
            r#"{{"eventName":"broadcast","senderId":"loud","streamId":"{sid}","args":{{"i":{i},"p":"{payload}"}}}}"#
        );
        loud.send(Message::text(frame)).await.unwrap();
    }
    // Once loud's next reply arrives, every broadcast has been handled.
    loud.send(Message::text(format!(
        r#"{{"eventName":"join","streamId":"{sid}"}}"#
    )))
    .await
    .unwrap();
    assert_eq!(
        next_text(&mut loud).await.as_deref(),
        Some("You already joined that room.")
    );
    // The slow socket gets what was already on its way, then is closed.
    let mut received = 0;
    while next_text(&mut slow).await.is_some() {
        received += 1;
    }
    assert!(
        received < sent,
        "all {received} frames were queued for a socket that did not read"
    );
    // The server still serves the others.
    let (s, _) = t.call("GET", "/streams", Some(&t.alice), None).await;
    assert_eq!(s, 200);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b11_getbulk_answers_are_streamed_not_built_whole() {
    let t = two(Config::default()).await;
    let big = format!(r#"{{"type":"Blob","value":"{}"}}"#, "y".repeat(64 * 1024));
    let id = t.object(&t.alice, &big).await;
    let private = t
        .object(&t.alice, r#"{"type":"Mine","private":true}"#)
        .await;
    // 200 ids of one 64 KiB object: a 12.5 MiB answer if built whole
    // (350,000 ids fit in one request body).
    let mut ids = vec![id.clone(); 200];
    ids.push(private.clone());
    let resp =
        t.c.post(format!("{}/api/objects/getbulk", t.base))
            .header("Content-Type", "application/json")
            .body(serde_json::to_string(&ids).unwrap())
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.content_length().is_none(),
        "the answer was built whole: {:?}",
        resp.headers()
    );
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = resp.json().await.unwrap();
    let got = body["resources"].as_array().unwrap();
    assert_eq!(got.len(), 201);
    assert!(got[..200]
        .iter()
        .all(|o| o["_id"] == id.as_str() && o["type"] == "Blob"));
    assert_eq!(
        got[200]["type"], "String",
        "anonymous callers get a stub for private objects"
    );
    assert_eq!(body["success"], true);
    t.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_answers_a_retryable_503() {
    let dir = std::env::temp_dir().join(format!("speckle-devserver-busy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("busy.db");
    let _ = std::fs::remove_file(&file);
    let server = DevServer::start(
        Config::default()
            .data_file(&file)
            .busy_timeout(Duration::from_millis(50)),
    )
    .await
    .unwrap();
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "busy@example.com").await;
    // Another process holds the write lock.
    let other = rusqlite::Connection::open(&file).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let resp = c
        .post(format!("{base}/api/streams"))
        .header("Authorization", &token)
        .header("Content-Type", "application/json")
        .body(r#"{"name":"while locked"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(
        resp.headers().contains_key("retry-after"),
        "{:?}",
        resp.headers()
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["success"], false);
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    // Reads still work in WAL mode, and writes once the lock is gone.
    let (s, _) = send(
        &c,
        "GET",
        &format!("{base}/api/streams"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    other.execute_batch("ROLLBACK").unwrap();
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/streams"),
        Some(&token),
        Some(r#"{"name":"after"}"#),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let (_, t) = send(
        &c,
        "GET",
        &format!("{base}/api/streams"),
        Some(&token),
        None,
    )
    .await;
    assert!(
        !t.contains("while locked"),
        "the refused write left nothing: {t}"
    );
    server.shutdown().await;
    drop(other);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_new_document_cannot_replace_another_users_by_its_id() {
    let t = two(Config::default()).await;
    let (s, v) = t
        .call(
            "POST",
            "/streams",
            Some(&t.alice),
            Some(r#"{"name":"hers"}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let sid = v["resource"]["streamId"].as_str().unwrap().to_string();
    let stream_doc_id = v["resource"]["_id"].as_str().unwrap().to_string();
    let (s, v) = t
        .call(
            "POST",
            "/projects",
            Some(&t.alice),
            Some(r#"{"name":"hers"}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let pid = v["resource"]["_id"].as_str().unwrap().to_string();
    // Creating a document with an `_id` in use is a duplicate key (as in
    // MongoDB), never a replacement of the other user's document.
    let body = format!(r#"{{"_id":"{stream_doc_id}","name":"taken over"}}"#);
    let (s, v) = t.call("POST", "/streams", Some(&t.bob), Some(&body)).await;
    assert_eq!(s, 400, "{v}");
    let body = format!(r#"{{"_id":"{pid}","name":"taken over"}}"#);
    let (s, v) = t.call("POST", "/projects", Some(&t.bob), Some(&body)).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = t
        .call("GET", &format!("/streams/{sid}"), Some(&t.alice), None)
        .await;
    assert_eq!(
        (s, &v["resource"]["name"]),
        (200, &Value::from("hers")),
        "{v}"
    );
    let (s, v) = t
        .call("GET", &format!("/projects/{pid}"), Some(&t.alice), None)
        .await;
    assert_eq!(
        (s, &v["resource"]["name"]),
        (200, &Value::from("hers")),
        "{v}"
    );
    assert_eq!(v["resource"]["owner"], t.alice_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_stream_objects_are_streamed_not_built_whole() {
    let t = two(Config::default()).await;
    let big = format!(r#"{{"type":"Blob","value":"{}"}}"#, "z".repeat(64 * 1024));
    let id = t.object(&t.bob, &big).await;
    // A 64 KiB object listed 200 times: a 12.5 MiB answer if built whole,
    // from a 10 KB request, readable by anyone (the stream is public); a
    // 10 MiB request could list it 250,000 times.
    let placeholders = vec![format!(r#"{{"type":"Placeholder","_id":"{id}"}}"#); 200].join(",");
    let sid = t
        .stream(
            &t.bob,
            &format!(r#"{{"name":"amplifier","objects":[{placeholders}]}}"#),
        )
        .await;
    let resp =
        t.c.get(format!("{}/api/streams/{sid}/objects", t.base))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.content_length().is_none(),
        "the answer was built whole: {:?}",
        resp.headers()
    );
    let body: Value = resp.json().await.unwrap();
    let got = body["resources"].as_array().unwrap();
    assert_eq!(got.len(), 200);
    assert!(got
        .iter()
        .all(|o| o["_id"] == id.as_str() && o["type"] == "Blob"));
    assert_eq!(
        body["message"],
        "Object list returned. If querying, duplication of objects in list will not be respected."
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn a_resource_lists_only_its_own_comments() {
    let t = two(Config::default()).await;
    let hers = t
        .stream(&t.alice, r#"{"name":"hers","private":true}"#)
        .await;
    let (s, v) = t
        .call(
            "POST",
            &format!("/comments/stream/{hers}"),
            Some(&t.alice),
            Some(r#"{"text":"alice's private note"}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let comment = v["resource"]["_id"].as_str().unwrap().to_string();
    // Bob lists her comment's id in his own stream's comments...
    let bobs = t.stream(&t.bob, r#"{"name":"mine"}"#).await;
    let body = format!(r#"{{"comments":["{comment}"]}}"#);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/streams/{bobs}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // ...and his stream's comments do not include it.
    let (s, v) = t
        .call(
            "GET",
            &format!("/comments/stream/{bobs}"),
            Some(&t.bob),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resources"], serde_json::json!([]), "{v}");
    // Her stream still lists it for her.
    let (s, v) = t
        .call(
            "GET",
            &format!("/comments/stream/{hers}"),
            Some(&t.alice),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["resources"][0]["text"], "alice's private note", "{v}");
}

#[tokio::test]
async fn a_project_writer_cannot_make_itself_the_owner() {
    let t = two(Config::default()).await;
    let body = format!(r#"{{"name":"hers","canWrite":["{}"]}}"#, t.bob_id);
    let (s, v) = t
        .call("POST", "/projects", Some(&t.alice), Some(&body))
        .await;
    assert_eq!(s, 200, "{v}");
    let pid = v["resource"]["_id"].as_str().unwrap().to_string();
    let body = format!(r#"{{"owner":"{}"}}"#, t.bob_id);
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}"),
            Some(&t.bob),
            Some(&body),
        )
        .await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(
        v["message"],
        "Protected field, you are not authorised to edit owner."
    );
    let (s, v) = t
        .call("DELETE", &format!("/projects/{pid}"), Some(&t.bob), None)
        .await;
    assert_eq!(s, 400, "{v}");
    // A writer still edits the other fields.
    let (s, v) = t
        .call(
            "PUT",
            &format!("/projects/{pid}"),
            Some(&t.bob),
            Some(r#"{"name":"ours"}"#),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_frames_are_bounded_by_the_request_limit() {
    let t = two(Config::default().request_limit(256 * 1024)).await;
    let sid = t.stream(&t.alice, r#"{"name":"room"}"#).await;
    let q = |who: &str| {
        format!(
            "client_id={who}&access_token={}&stream_id={sid}",
            token_param(&t.alice)
        )
    };
    let mut listener = ws(&t.server, &q("listener")).await;
    let mut big = ws(&t.server, &q("big")).await;
    let payload = "x".repeat(512 * 1024);
    let frame = format!(
        r#"{{"eventName":"broadcast","senderId":"big","streamId":"{sid}","args":{{"p":"{payload}"}}}}"#
    );
    // Sending may fail once the server has closed the connection.
    let _ = big.send(Message::text(frame)).await;
    assert_eq!(
        next_text(&mut big).await,
        None,
        "the server closes the socket"
    );
    // The listener got nothing from it: its next frame is a later broadcast.
    let mut other = ws(&t.server, &q("other")).await;
    let marker =
        format!(r#"{{"eventName":"broadcast","senderId":"other","streamId":"{sid}","args":{{}}}}"#);
    other.send(Message::text(marker.clone())).await.unwrap();
    assert_eq!(next_text(&mut listener).await, Some(marker));
    t.server.shutdown().await;
}
