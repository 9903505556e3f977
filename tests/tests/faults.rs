//! Bulk transfers through a fault-injecting proxy in front of the server:
//! nothing is lost, nothing is stored twice. And the server's 413 both splits
//! requests and singles out an object that cannot fit.
//!
//! Runs against an in-process devserver, or `SPECKLE_TEST_SERVER` (the proxy
//! then stands in front of its host and port; plain `http://` only). Objects
//! carry the run's nonce and are deleted afterwards.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use speckle::SpeckleClient;
use speckle_contract_tests::cleanup::with_cleanup;
use speckle_contract_tests::fault_proxy::{FaultProxy, Faults};
use speckle_contract_tests::target::{report_skip, say, unique, Target};
use speckle_contract_tests::users::fresh_user;
use speckle_http::bulk::{pull, push, PullOptions, Pulled, PushOptions};
use speckle_http::transport::ReqwestTransport;
use speckle_http::{Client, RetryPolicy};
use speckle_types::{Point, SpeckleObject};

/// A fresh user on the target, and its token for the low-level clients.
async fn user_and_token(target: &Target) -> (SpeckleClient, String) {
    let user = fresh_user(target.url(), "faults").await;
    let token = speckle::ExposeSecret::expose_secret(&user.token().unwrap()).to_owned();
    (user, token)
}

/// Points with the run's nonce in their content.
fn model(run: &str, n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| {
            SpeckleObject::from(Point::new(i as f64, (i % 7) as f64, 0.5))
                .with_properties(json!({"i": i, "run": run}))
        })
        .collect()
}

/// Objects pushed and pulled through the faults.
const OBJECTS: usize = 5_000;

/// Objects per push request and per pull request.
const OBJECTS_PER_REQUEST: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_pull_through_ten_percent_faults_lose_nothing() {
    const TEST: &str = "push_and_pull_through_ten_percent_faults_lose_nothing";
    let target = Arc::new(Target::start().await);
    let upstream = match target.upstream().await {
        Ok(address) => address,
        Err(why) => return report_skip(TEST, &why),
    };
    let proxy = FaultProxy::start(upstream, Faults::evenly(0.10), 0x5eed)
        .await
        .unwrap();
    let proxied_url = target.through(&proxy.url());
    let day = target.clone();
    let counts = with_cleanup(|ledger| async move {
        let target = &*day;
        let (user, token) = user_and_token(target).await;
        // One connection per request, so the proxy's rates apply per request.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let client = Client::builder(proxied_url)
            .transport(Arc::new(ReqwestTransport::from_client(http)))
            .token(token)
            .retry(
                RetryPolicy::default()
                    .with_max_retries(12)
                    .with_base_delay(Duration::from_millis(5))
                    .with_max_delay(Duration::from_millis(100)),
            )
            .build()
            .unwrap();

        // 200 requests each way, small ones: the faults hit requests, and
        // fewer objects keep the cleanup (one request per object) short.
        let objects = model(&unique(), OBJECTS);
        let options = PushOptions {
            max_batch_objects: OBJECTS_PER_REQUEST,
            ..PushOptions::default()
        };
        let outcome = push(&client, objects.clone(), &options).await.unwrap();
        ledger.objects(&user, &outcome.ids);
        assert!(
            outcome.failures.is_empty(),
            "{:?}",
            outcome.failures.first()
        );
        let ids: Vec<_> = outcome.ids.iter().map(|id| id.clone().unwrap()).collect();
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), OBJECTS, "each object has its own id");
        match target.devserver() {
            Some(server) => assert_eq!(
                server.object_count().await.unwrap(),
                OBJECTS as u64,
                "each object stored exactly once"
            ),
            None => report_skip(
                "the check that each object is stored exactly once",
                "devserver-only: the v1 API cannot count a server's objects",
            ),
        }

        let pulled: Vec<SpeckleObject> = pull(
            &client,
            ids.clone(),
            PullOptions {
                chunk_size: OBJECTS_PER_REQUEST,
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
        proxy
    })
    .await;

    let counts = counts.counts();
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

/// The body limit the suite gives its own devserver, small so that the test
/// is cheap.
const DEVSERVER_LIMIT: usize = 64 * 1024;

/// The body limit of a given server: the real server's default (`10mb`, as
/// body-parser counts it). A server configured otherwise fails this test, and
/// says so.
const GIVEN_SERVER_LIMIT: usize = 10 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_413_splits_batches_and_singles_out_an_oversize_object() {
    let target = Arc::new(
        Target::start_with(speckle_devserver::Config::default().request_limit(DEVSERVER_LIMIT))
            .await,
    );
    let limit = if target.is_embedded() {
        DEVSERVER_LIMIT
    } else {
        say(&format!(
            "the 413 test assumes the given server's body limit is {GIVEN_SERVER_LIMIT} bytes \
             (the real server's default) and sends about six times that"
        ));
        GIVEN_SERVER_LIMIT
    };
    let day = target.clone();
    with_cleanup(|ledger| async move {
        let target = &*day;
        let (user, token) = user_and_token(target).await;
        let client = Client::builder(target.url())
            .token(token)
            .retry(RetryPolicy::never())
            .build()
            .unwrap();

        // Three objects of 0.4 limits fit two to a request; the one of 1.05
        // limits fits none. All four in one request (2.25 limits) is refused,
        // so is its first half (1.45), then each part goes alone or in two.
        let run = unique();
        let padded = |i: usize, size: usize| {
            SpeckleObject::from(Point::new(i as f64, 0.0, 0.0))
                .with_properties(json!({"run": run, "pad": "x".repeat(size)}))
        };
        let fits = limit * 2 / 5;
        let objects = vec![
            padded(0, fits),
            padded(1, limit + limit / 20),
            padded(2, fits),
            padded(3, fits),
        ];
        let options = PushOptions {
            max_batch_objects: 1_000,
            max_batch_bytes: limit * 100,
            ..PushOptions::default()
        };
        let outcome = push(&client, objects.clone(), &options).await.unwrap();
        let facade = SpeckleClient::from_http(client.clone());
        ledger.objects(&facade, &outcome.ids);
        assert!(
            outcome.stats.requests > 3,
            "the batches were split: {:?}",
            outcome.stats
        );
        assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
        assert_eq!(outcome.failures[0].index, 1);
        assert!(
            outcome.failures[0].error.is_too_large(),
            "{}",
            outcome.failures[0].error
        );
        assert!(outcome.failures[0].hash.is_some());
        let stored: Vec<_> = outcome.ids.iter().map(Option::is_some).collect();
        assert_eq!(stored, [true, false, true, true]);
        if let Some(server) = target.devserver() {
            assert_eq!(server.object_count().await.unwrap(), 3);
        }

        // What went up in split requests comes back whole.
        let ids: Vec<_> = outcome.ids.iter().flatten().cloned().collect();
        let pulled = user.objects().get_bulk(ids.clone()).await.unwrap();
        let sent = [&objects[0], &objects[2], &objects[3]];
        assert_eq!(pulled.len(), 3);
        for ((got, sent), id) in pulled.iter().zip(sent).zip(&ids) {
            assert_eq!(got.id.as_ref(), Some(id));
            assert_eq!(got.properties, sent.properties);
        }
    })
    .await;
}
