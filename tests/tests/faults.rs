//! Bulk transfers through a fault-injecting proxy in front of a real
//! devserver: nothing is lost, nothing is stored twice. And the server's 413
//! both splits requests and singles out an object that cannot fit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use speckle_contract_tests::fault_proxy::{FaultProxy, Faults};
use speckle_http::bulk::{pull, push, PullOptions, Pulled, PushOptions};
use speckle_http::endpoints::accounts::Register;
use speckle_http::transport::ReqwestTransport;
use speckle_http::{Client, RetryPolicy};
use speckle_types::{Point, SpeckleObject};

async fn server_and_token(
    config: speckle_devserver::Config,
) -> (speckle_devserver::DevServer, String) {
    let server = speckle_devserver::DevServer::start(config).await.unwrap();
    let direct = Client::new(server.url()).unwrap();
    direct
        .register(Register::new("faults@example.com", "fault-password"))
        .await
        .unwrap();
    let token = speckle::ExposeSecret::expose_secret(&direct.token().unwrap()).to_owned();
    (server, token)
}

fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

fn model(n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| {
            SpeckleObject::from(Point::new(i as f64, (i % 7) as f64, 0.5))
                .with_properties(json!({"i": i}))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_pull_through_ten_percent_faults_lose_nothing() {
    let (server, token) = server_and_token(speckle_devserver::Config::default()).await;
    let proxy = FaultProxy::start(address(&server.url()), Faults::evenly(0.10), 0x5eed)
        .await
        .unwrap();
    // One connection per request, so the proxy's rates apply per request.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let client = Client::builder(proxy.url())
        .transport(Arc::new(ReqwestTransport::from_client(http)))
        .token(token)
        .retry(
            RetryPolicy::default()
                .max_retries(12)
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(100)),
        )
        .build()
        .unwrap();

    let objects = model(20_000);
    let options = PushOptions {
        max_batch_objects: 100,
        ..PushOptions::default()
    };
    let outcome = push(&client, objects.clone(), &options).await.unwrap();
    assert!(
        outcome.failures.is_empty(),
        "{:?}",
        outcome.failures.first()
    );
    let ids: Vec<_> = outcome.ids.iter().map(|id| id.clone().unwrap()).collect();
    let distinct: HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 20_000, "each object has its own id");
    assert_eq!(
        server.object_count().await.unwrap(),
        20_000,
        "each object stored exactly once"
    );

    let pulled: Vec<SpeckleObject> = pull(
        &client,
        ids.clone(),
        PullOptions {
            chunk_size: 100,
            ..PullOptions::default()
        },
    )
    .map(|entry| match entry.unwrap() {
        Pulled::Object(object) => object,
        other => panic!("{other:?}"),
    })
    .collect()
    .await;
    assert_eq!(pulled.len(), objects.len());
    for ((sent, got), id) in objects.iter().zip(&pulled).zip(&ids) {
        assert_eq!(got.id.as_ref(), Some(id));
        assert_eq!(got.kind, sent.kind);
        assert_eq!(got.geometry().unwrap(), sent.geometry().unwrap());
        assert_eq!(got.properties, sent.properties);
    }

    let counts = proxy.counts();
    println!(
        "connections {}, dropped {}, reset {}, delayed {}, 502/503/429 {}",
        counts.connections.load(Ordering::Relaxed),
        counts.dropped.load(Ordering::Relaxed),
        counts.reset.load(Ordering::Relaxed),
        counts.delayed.load(Ordering::Relaxed),
        counts.statuses.load(Ordering::Relaxed)
    );
    assert!(counts.dropped.load(Ordering::Relaxed) > 0);
    assert!(counts.reset.load(Ordering::Relaxed) > 0);
    assert!(counts.statuses.load(Ordering::Relaxed) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_413_splits_batches_and_singles_out_an_oversize_object() {
    let limit = 64 * 1024;
    let (server, token) =
        server_and_token(speckle_devserver::Config::default().request_limit(limit)).await;
    let client = Client::builder(server.url())
        .token(token)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();

    let mut objects = model(2_000);
    let big = SpeckleObject::from(Point::new(-1.0, -1.0, -1.0))
        .with_properties(json!({"pad": "x".repeat(100 * 1024)}));
    objects.insert(1_234, big);
    // Batches far over the server's limit: it answers 413 and the SDK splits.
    let options = PushOptions {
        max_batch_objects: 1_000,
        max_batch_bytes: 10_000_000,
        ..PushOptions::default()
    };
    let outcome = push(&client, objects, &options).await.unwrap();
    assert!(
        outcome.stats.requests > 3,
        "the batches were split: {:?}",
        outcome.stats
    );
    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(outcome.failures[0].index, 1_234);
    assert!(outcome.failures[0].error.is_too_large());
    assert!(outcome.failures[0].hash.is_some());
    assert_eq!(outcome.ids.iter().filter(|id| id.is_some()).count(), 2_000);
    assert_eq!(server.object_count().await.unwrap(), 2_000);
}
