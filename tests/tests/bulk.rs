//! Bulk push and pull through the facade against a real server: a few
//! thousand objects unique to this run go up in many requests, into a stream,
//! and come back identical and in order, by the stream and by id. Pushing
//! the same model again is answered with the same ids (the server stores an
//! object once per content).
//!
//! Runs against an in-process devserver, or `SPECKLE_TEST_SERVER`; deletes
//! its stream and objects afterwards.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::json;
use speckle::{Mesh, Point, PullOptions, PushOptions, SpeckleObject, Stream};
use speckle_contract_tests::cleanup::with_cleanup;
use speckle_contract_tests::target::{unique, Target};
use speckle_contract_tests::users::fresh_user;

/// Points and meshes, each with the run's nonce, and one object repeated.
fn model(run: &str, n: usize) -> Vec<SpeckleObject> {
    let mut objects: Vec<SpeckleObject> = (0..n)
        .map(|i| {
            let object = if i % 10 == 9 {
                let x = i as f64;
                SpeckleObject::from(Mesh::new(
                    vec![x, 0.0, 0.0, x + 1.0, 0.0, 0.0, x, 1.0, 0.0],
                    vec![0.0, 0.0, 1.0, 2.0],
                ))
            } else {
                SpeckleObject::from(Point::new(i as f64, (i % 7) as f64, 0.25))
            };
            object.with_properties(json!({"i": i, "run": run}))
        })
        .collect();
    // The same content twice: one object, one id, at both positions.
    let repeated = objects[17].clone();
    objects.push(repeated);
    objects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_objects_go_up_and_come_back_identical_and_in_order() {
    let target = Arc::new(Target::start().await);
    let url = target.url().to_owned();
    with_cleanup(|ledger| async move {
        let client = fresh_user(&url, "bulk").await;
        let run = unique();
        let objects = model(&run, 3_000);
        let streams = client.streams();
        let stream = streams
            .create(Stream {
                name: Some(format!("bulk-{run}")),
                ..Default::default()
            })
            .await
            .unwrap();
        let sid = stream.stream_id.unwrap();
        ledger.stream(&client, &sid);

        let options = PushOptions {
            max_batch_objects: 200,
            // The per-request cap is what is checked below.
            adaptive: false,
            ..PushOptions::default()
        };
        let outcome = streams
            .push_objects(&sid, objects.clone(), &options)
            .await
            .unwrap();
        ledger.objects(&client, &outcome.ids);
        assert!(
            outcome.failures.is_empty(),
            "{:?}",
            outcome.failures.first()
        );
        assert_eq!(outcome.ids.len(), objects.len());
        let ids: Vec<_> = outcome.ids.iter().map(|id| id.clone().unwrap()).collect();
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 3_000, "one id per distinct object");
        assert_eq!(ids[3_000], ids[17], "the repeated object has one id");
        assert_eq!(outcome.stats.deduplicated, 1, "{:?}", outcome.stats);
        assert_eq!(outcome.stats.uploaded, 3_000, "{:?}", outcome.stats);
        assert!(
            outcome.stats.requests >= 15,
            "200 objects per request at most: {:?}",
            outcome.stats
        );

        // The stream lists the placeholders in input order.
        let placeholders = streams.get(&sid).await.unwrap().objects.unwrap();
        let listed: Vec<_> = placeholders.iter().map(|p| p.id.clone().unwrap()).collect();
        assert_eq!(listed, ids);

        // Back by the stream, and by id, both in order and identical.
        let by_stream: Vec<SpeckleObject> = streams
            .pull_objects(&sid, PullOptions::default())
            .await
            .unwrap()
            .map(|entry| entry.unwrap().into_object().unwrap())
            .collect()
            .await;
        let by_id: Vec<SpeckleObject> = client
            .objects()
            .pull_with(
                ids.clone(),
                PullOptions {
                    chunk_size: 97,
                    ..PullOptions::default()
                },
            )
            .map(|entry| entry.unwrap().into_object().unwrap())
            .collect()
            .await;
        for pulled in [&by_stream, &by_id] {
            assert_eq!(pulled.len(), objects.len());
            for ((sent, got), id) in objects.iter().zip(pulled).zip(&ids) {
                assert_eq!(got.id.as_ref(), Some(id));
                assert_eq!(got.kind, sent.kind);
                assert_eq!(got.geometry().unwrap(), sent.geometry().unwrap());
                assert_eq!(got.properties, sent.properties);
            }
        }

        // The same content again: the server hands back the stored objects.
        let again = client.objects().push(objects.clone()).await.unwrap();
        assert_eq!(again.ids, outcome.ids);
    })
    .await;
}
