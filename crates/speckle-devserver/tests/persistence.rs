//! A file database survives a restart; tokens keep working with the same
//! secret; concurrent clients see one consistent database.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{client, json, send, user};
use speckle_devserver::{Config, DevServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("speckle-devserver-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("speckle.db");
    let _ = std::fs::remove_file(&file);
    let c = client();

    let server = DevServer::start(Config::default().data_file(&file))
        .await
        .unwrap();
    let base = server.url();
    let (token, _) = user(&c, &base, "keep@example.com").await;
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/streams"),
        Some(&token),
        Some(r#"{"name":"kept","objects":[{"type":"Point","value":[1,2,3]}]}"#),
    )
    .await;
    assert_eq!(s, 200);
    let sid = json(&t)["resource"]["streamId"]
        .as_str()
        .unwrap()
        .to_string();
    server.shutdown().await;

    let server = DevServer::start(Config::default().data_file(&file))
        .await
        .unwrap();
    let base = server.url();
    let (s, t) = send(
        &c,
        "GET",
        &format!("{base}/api/streams/{sid}/objects"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        json(&t)["resources"][0]["value"],
        serde_json::json!([1, 2, 3])
    );
    // The first user is still the (only) admin; registering again is refused.
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/accounts/register"),
        None,
        Some(r#"{"email":"keep@example.com","password":"correct-horse-battery"}"#),
    )
    .await;
    assert_eq!(
        (s, json(&t)["message"].clone()),
        (400, "Email taken. Please login. Thanks!".into())
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_share_one_database() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "many@example.com").await;
    let body = r#"[{"type":"Point","value":[7,7,7]}]"#;
    let url = format!("{base}/api/objects");
    let calls = (0..16).map(|_| send(&c, "POST", &url, Some(&token), Some(body)));
    let results = futures_util::future::join_all(calls).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, t)| {
            assert_eq!(*s, 200);
            json(t)["resources"][0]["_id"].as_str().unwrap().to_string()
        })
        .collect();
    // Deduplicated by hash: one object, whoever came first.
    assert_eq!(ids.len(), 1);
    drop(server);
    // Dropping stops the server: soon nothing answers on its port.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while c.get(format!("{base}/api")).send().await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still answering 10 s after the drop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
