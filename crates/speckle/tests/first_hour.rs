//! The first-hour example runs, as shipped, against a devserver: its `main`
//! reads the server and the login from `SPECKLE_*` variables, as a user runs
//! it.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
#[path = "../examples/first_hour.rs"]
mod first_hour;

use speckle::{Register, SpeckleClient};
use speckle_devserver::{Config, DevServer};

#[test]
fn the_first_hour_example_runs_against_a_server() {
    // The server runs on a runtime of its own; the example makes its own.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(DevServer::start(Config::default()))
        .unwrap();
    let url = server.url();
    let password = "first-hour-123";
    runtime
        .block_on(async {
            SpeckleClient::new(&url)
                .unwrap()
                .register(Register::new("first@example.com", password).name("First"))
                .await
        })
        .unwrap();

    std::env::remove_var("SPECKLE_TOKEN");
    std::env::set_var("SPECKLE_SERVER", &url);
    std::env::set_var("SPECKLE_EMAIL", "first@example.com");
    std::env::set_var("SPECKLE_PASSWORD", password);
    first_hour::main().unwrap();

    // It cleaned up the stream it made, and stored the 10,000 points.
    let (objects, streams) = runtime.block_on(async {
        let client = SpeckleClient::new(&url).unwrap();
        client.login("first@example.com", password).await.unwrap();
        (
            server.object_count().await.unwrap(),
            client.streams().list().await.unwrap(),
        )
    });
    assert_eq!(objects, 10_000);
    assert!(streams.is_empty(), "{streams:?}");
}

#[test]
fn the_first_hour_steps_report_what_they_did() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = DevServer::start(Config::default()).await.unwrap();
        let client = SpeckleClient::new(server.url()).unwrap();
        client
            .register(Register::new("steps@example.com", "first-hour-456").name("Steps"))
            .await
            .unwrap();
        let summary = first_hour::run(&client, 1_000).await.unwrap();
        assert_eq!(summary.pushed, 1_000);
        assert_eq!(summary.pulled, 1_000);
        assert_eq!(summary.heard, "update-global");
    });
}
