//! Bulk saves and getbulk stay linear: one request with many objects, one
//! getbulk with many ids, in request order.

mod common;

use std::time::Instant;

use common::{client, json, send, start, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_save_and_getbulk_scale_linearly() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "bulk@example.com").await;
    // BULK_N raises the count for a manual benchmark run.
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
    let t0 = Instant::now();
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/objects"),
        Some(&token),
        Some(&body),
    )
    .await;
    let save = t0.elapsed();
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
    // getbulk answers in request order, reversed here.
    let mut wanted = ids.clone();
    wanted.reverse();
    let t0 = Instant::now();
    let (s, t) = send(
        &c,
        "POST",
        &format!("{base}/api/objects/getbulk"),
        None,
        Some(&serde_json::to_string(&wanted).unwrap()),
    )
    .await;
    let bulk = t0.elapsed();
    assert_eq!(s, 200);
    let got = json(&t);
    let got = got["resources"].as_array().unwrap();
    assert_eq!(got.len() as i64, n);
    assert_eq!(got[0]["_id"], wanted[0]);
    assert_eq!(got[0]["value"][0], (n - 1) as f64);
    println!("bulk: saved {n} objects in {save:?}, fetched them in {bulk:?}");
    server.shutdown().await;
}
