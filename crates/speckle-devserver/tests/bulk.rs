//! Bulk saves and getbulk at size: one request with many objects, saved
//! once and deduplicated when re-sent, then one getbulk with every id,
//! answered in request order. How long they take is the bench's business
//! (`bench/`), not a test's.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{client, json, send, start, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_save_dedup_and_getbulk_keep_every_object_in_order() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "bulk@example.com").await;
    // BULK_N raises the count for a manual run.
    let n: i64 = std::env::var("BULK_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let body = format!(
        "[{}]",
        (0..n)
            .map(|i| format!(
                r#"{{"type":"Point","value":[{i},{},{}]}}"#,
                i as f64 * 0.5,
                -i
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/objects"),
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(s, 200);
    let ids: Vec<String> = json(&t)["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len() as i64, n);
    // Pushing the same objects again maps every one to its first copy.
    let (_, t) = send(
        &c,
        "POST",
        &format!("{base}/api/objects"),
        Some(&token),
        Some(&body),
    )
    .await;
    let again: Vec<String> = json(&t)["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(again, ids);
    assert_eq!(
        server.object_count().await.unwrap(),
        n as u64,
        "stored once"
    );
    // getbulk answers in request order, reversed here.
    let mut wanted = ids.clone();
    wanted.reverse();
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/objects/getbulk"),
        None,
        Some(&serde_json::to_string(&wanted).unwrap()),
    )
    .await;
    assert_eq!(s, 200);
    let got = json(&t);
    let got = got["resources"].as_array().unwrap();
    assert_eq!(got.len() as i64, n);
    for (k, (object, id)) in got.iter().zip(&wanted).enumerate() {
        assert_eq!(object["_id"], id.as_str(), "entry {k}");
        // Entry k is object n-1-k, whose value starts with its index.
        assert_eq!(object["value"][0], (n - 1 - k as i64) as f64, "entry {k}");
    }
    server.shutdown().await;
}
