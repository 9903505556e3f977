//! Adaptive batching against servers of both shapes: a push finds large
//! requests on a server whose cost per request is mostly fixed (played by
//! the devserver with a test-only fixed cost per save: the plain devserver
//! in a debug build is nearly flat between 250 and 1,000 objects per
//! request, so the direction there is noise), and stays near a few hundred
//! objects on one whose cost grows with their square (the real server's
//! bulk save, played by the devserver's test-only quadratic cost).
//! Directions only: the exact sizes depend on the machine's speed and load.
//!
//! Always runs against in-process devservers: the shapes come from their
//! configuration, which a given server cannot honour.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Mutex;
use std::time::Duration;

use speckle_devserver::{Config, DevServer};
use speckle_http::bulk::{push, PushOptions, PushStats};
use speckle_http::endpoints::accounts::Register;
use speckle_http::Client;
use speckle_types::{Point, SpeckleObject};

fn points(n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| {
            SpeckleObject::from(Point::new(i as f64, 0.5, 0.25))
                .with_properties(serde_json::json!({"i": i}))
        })
        .collect()
}

/// One push at a time: the pushes measure their rate, and another test's
/// server hashing a password (bcrypt) on the same two cores would make a
/// slow moment look like a slow request size.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Pushes `n` fresh points to a devserver with `config` and returns the
/// push's counters, after checking every object was stored.
// The lock only orders the tests of this file; each has its own runtime.
#[allow(clippy::await_holding_lock)]
async fn push_to(config: Config, n: usize, options: PushOptions) -> PushStats {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = DevServer::start(config).await.unwrap();
    let client = Client::builder(server.url())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    client
        .register(Register::new("adaptive@example.com", "adaptive-password-1"))
        .await
        .unwrap();
    let outcome = push(&client, points(n), &options).await.unwrap();
    assert!(outcome.failures.is_empty());
    assert_eq!(outcome.ids.iter().flatten().count(), n);
    outcome.stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_linear_server_requests_grow_well_past_the_starting_size() {
    // 50 ms per request whatever its size (200 µs per object at 250
    // objects, 50 µs at 1,000), against the debug devserver's own cost of
    // the order of 100 µs per object.
    let config = Config::default().fixed_save_cost(Duration::from_millis(50));
    let stats = push_to(config, 20_000, PushOptions::default()).await;
    // Starts at 250 objects; a server without a superlinear cost moves
    // more objects per second with fewer, larger requests.
    assert!(
        stats.largest_request_objects >= 1_000,
        "largest request: {stats:?}"
    );
    assert!(stats.final_batch_objects > 250, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_quadratic_server_requests_stay_near_the_best_size() {
    // 1,000 new objects in one request cost 400 ms more, 250 cost 25 ms,
    // 125 cost 6 ms: the best request is around a hundred objects, and
    // doubling past 250 makes each object twice as slow.
    let config = Config::default().quadratic_save_cost(1_000, Duration::from_millis(400));
    let stats = push_to(config, 6_000, PushOptions::default()).await;
    assert!(stats.final_batch_objects <= 250, "{stats:?}");
    // One probe above the start is allowed; growing on is not.
    assert!(stats.largest_request_objects <= 500, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_adaptation_every_request_keeps_the_given_limits() {
    let options = PushOptions {
        adaptive: false,
        ..PushOptions::default()
    };
    let stats = push_to(Config::default(), 5_000, options).await;
    assert_eq!(stats.largest_request_objects, 250);
    assert_eq!(stats.final_batch_objects, 250);
    assert_eq!(stats.requests, 20);
}
