//! `--server` against a devserver this test starts, with a tiny model: the
//! tables are complete, and every run cleans up after itself and stores
//! objects of its own (never matched to an earlier run's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use speckle::ExposeSecret;
use speckle_devserver::{Config, DevServer};
use speckle_http::endpoints::accounts::Register;
use speckle_http::endpoints::streams::ListStreams;
use speckle_http::{execute, Client, EnvelopeExt};

/// Objects in the model of [`bench`]: 40 points and 2 meshes.
const MODEL: u64 = 42;

/// Strategies that push (each its own objects) and the rows they print.
const PUSH_ROWS: [&str; 9] = [
    "(a) SDK defaults",
    "(b) connectors strategy",
    "(c) Python client strategy",
    "(d) raw HTTP, SDK bodies",
    "(f) SDK, fixed batches of ≤ 250 objects",
    "(f) SDK, fixed batches of ≤ 1,000 objects",
    "(f) SDK, fixed batches of ≤ 4,000 objects",
    "(g0) SDK push, then set as a stream's objects",
    "(g) `speckle push` from an NDJSON file (reads, checks, pushes, sets the stream's objects)",
];
const PULL_ROWS: [&str; 5] = [
    "(a) SDK defaults",
    "(b) connectors strategy",
    "(c) Python client strategy",
    "(d) raw HTTP, SDK bodies",
    "(e) raw HTTP, answers decoded into Value",
];
/// Every strategy pushes the model once, (e) too (before its pull).
const STRATEGIES: u64 = 10;

/// Runs the benchmark against `url`; returns what it printed.
async fn bench(url: &str, token: &str, extra: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_speckle-bench"));
    command
        .args(["--server", url])
        .args(["--points", "40", "--meshes", "2", "--coordinates", "30"])
        .args(["--streamed", "0", "--runs", "1", "--no-cpu"])
        .args(extra)
        .env("SPECKLE_BENCH_TOKEN", token)
        .env_remove("SPECKLE_BENCH_PASSWORD");
    // The devserver runs on this runtime: wait off its threads.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "the benchmark failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_complete_tables(out: &str) {
    let (push, pull) = out.split_once("\nPull\n").expect(out);
    for name in PUSH_ROWS {
        assert!(
            push.contains(&format!("| {name} | ")),
            "no push row {name}:\n{out}"
        );
    }
    for name in PULL_ROWS {
        assert!(
            pull.contains(&format!("| {name} | ")),
            "no pull row {name}:\n{out}"
        );
    }
    assert!(
        out.contains("ratios (objects/s): SDK/(b) connectors"),
        "{out}"
    );
}

async fn stream_names(client: &Client) -> Vec<String> {
    execute(client, &ListStreams::new())
        .await
        .unwrap()
        .into_resources()
        .unwrap()
        .into_iter()
        .map(|s| s.name.unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_clean_up_after_themselves_and_store_fresh_objects() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let client = Client::new(server.url()).unwrap();
    client
        .register(Register::new("bench-user@example.com", "bench-password-1"))
        .await
        .unwrap();
    let token = client.token().unwrap().expose_secret().to_owned();

    let out = bench(&server.url(), &token, &[]).await;
    assert_complete_tables(&out);
    assert!(out.contains(&format!("server: {}", server.url())), "{out}");
    assert!(!out.contains(token.trim_start_matches("JWT ")), "{out}");
    assert_eq!(server.object_count().await.unwrap(), 0);
    assert_eq!(stream_names(&client).await, Vec::<String>::new());
    assert!(out.contains(&format!(
        "deleted {STRATEGIES} streams and {} objects",
        STRATEGIES * MODEL
    )));

    // Kept: each strategy stored objects of its own, in its own stream.
    let out = bench(&server.url(), &token, &["--keep"]).await;
    assert_complete_tables(&out);
    let kept = server.object_count().await.unwrap();
    assert_eq!(kept, STRATEGIES * MODEL);
    let streams = stream_names(&client).await;
    assert_eq!(streams.len() as u64, STRATEGIES, "{streams:?}");
    assert!(streams.iter().all(|n| n.starts_with("speckle-rs bench ")));

    // A run after it stores and deletes its own objects: had it sent the
    // same objects again, the server would have answered with the kept
    // ones, and they would be gone now.
    let out = bench(&server.url(), &token, &[]).await;
    assert_complete_tables(&out);
    assert_eq!(server.object_count().await.unwrap(), kept);
    assert_eq!(stream_names(&client).await, streams);
}
