//! Push and pull against a mock server that behaves like the real one where
//! it matters: placeholders in input order, 413 over a size limit, getbulk in
//! request order with stubs.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use speckle_http::bulk::{
    content_hash, pull, push, ObjectCache, ProgressFn, PullOptions, Pulled, PushOptions,
};
use speckle_http::{Client, RetryPolicy};
use speckle_types::{ObjectId, Point, SpeckleObject};
use support::TOKEN;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Stores objects like the server: an id per hash, placeholders in input
/// order; answers 413 when the inflated body is over `limit` bytes.
#[derive(Clone)]
struct FakeObjects {
    limit: usize,
    stored: Arc<Mutex<Vec<Value>>>,
    requests: Arc<AtomicU64>,
    gzipped: Arc<AtomicU64>,
}

impl FakeObjects {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            stored: Arc::default(),
            requests: Arc::default(),
            gzipped: Arc::default(),
        }
    }
}

impl Respond for FakeObjects {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let mut body = request.body.clone();
        if request
            .headers
            .get("content-encoding")
            .is_some_and(|v| v == "gzip")
        {
            self.gzipped.fetch_add(1, Ordering::SeqCst);
            let mut inflated = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut inflated)
                .unwrap();
            body = inflated;
        }
        if body.len() > self.limit {
            return ResponseTemplate::new(413)
                .set_body_string("<!DOCTYPE html><html><pre>PayloadTooLargeError</pre></html>");
        }
        let objects: Vec<Value> = serde_json::from_slice(&body).unwrap();
        let placeholders: Vec<Value> = objects
            .iter()
            .map(|o| json!({"type": "Placeholder", "_id": format!("id-{}", o["hash"].as_str().unwrap())}))
            .collect();
        self.stored.lock().unwrap().extend(objects);
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "message": "Saved objects to database.", "resources": placeholders}))
    }
}

async fn server_with(fake: FakeObjects) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects"))
        .respond_with(fake)
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .token(TOKEN)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

fn points(n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)))
        .collect()
}

#[tokio::test]
async fn batches_by_count_and_keeps_input_order() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let objects = points(600);
    let expected: Vec<String> = objects
        .iter()
        .map(|o| format!("id-{}", content_hash(o).unwrap()))
        .collect();
    let outcome = push(
        &client(&server),
        objects,
        &PushOptions {
            max_batch_objects: 250,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(outcome.failures.is_empty());
    let ids: Vec<String> = outcome
        .ids
        .iter()
        .map(|id| id.clone().unwrap().into_string())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3, "250 + 250 + 100");
    assert_eq!(outcome.stats.uploaded, 600);
    assert_eq!(outcome.placeholders().unwrap().len(), 600);
}

#[tokio::test]
async fn batches_by_bytes() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let big: Vec<SpeckleObject> = (0..10)
        .map(|i| {
            SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)).with("pad", "x".repeat(10_000))
        })
        .collect();
    let outcome = push(
        &client(&server),
        big,
        &PushOptions {
            max_batch_bytes: 25_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(outcome.stats.uploaded, 10);
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        5,
        "two ~10 KB objects per 25 KB request"
    );
}

#[tokio::test]
async fn identical_objects_are_sent_once() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let mut objects = points(5);
    objects.extend(std::iter::repeat_n(
        SpeckleObject::from(Point::new(9.0, 9.0, 9.0)),
        10,
    ));
    let outcome = push(&client(&server), objects, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(fake.stored.lock().unwrap().len(), 6);
    assert_eq!(outcome.stats.deduplicated, 9);
    assert_eq!(outcome.ids.len(), 15);
    assert!(outcome.ids[5..].iter().all(|id| id == &outcome.ids[5]));
}

#[tokio::test]
async fn a_413_splits_the_batch_until_it_fits() {
    let fake = FakeObjects::new(8_000);
    let server = server_with(fake.clone()).await;
    let outcome = push(
        &client(&server),
        points(400),
        &PushOptions {
            max_batch_objects: 400,
            max_batch_bytes: 10_000_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(outcome.failures.is_empty());
    assert_eq!(
        fake.stored.lock().unwrap().len(),
        400,
        "each object stored once"
    );
    assert!(fake.requests.load(Ordering::SeqCst) > 2);
    assert_eq!(outcome.stats.requests, fake.requests.load(Ordering::SeqCst));
}

#[tokio::test]
async fn an_object_too_large_alone_is_reported_not_dropped() {
    let fake = FakeObjects::new(50_000);
    let server = server_with(fake.clone()).await;
    let mut objects = points(20);
    objects.insert(
        7,
        SpeckleObject::from(Point::new(-1.0, 0.0, 0.0)).with("pad", "x".repeat(100_000)),
    );
    let hash = content_hash(&objects[7]).unwrap();
    let outcome = push(&client(&server), objects, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.failures.len(), 1);
    let failure = &outcome.failures[0];
    assert_eq!(failure.index, 7);
    assert_eq!(failure.hash.as_deref(), Some(hash.as_str()));
    assert!(failure.error.is_too_large());
    assert_eq!(
        outcome.ids.iter().filter(|id| id.is_some()).count(),
        20,
        "the others are stored"
    );
    assert!(outcome.ids[7].is_none());
    assert!(
        outcome.placeholders().is_err(),
        "a stream must not silently miss it"
    );
}

#[tokio::test]
async fn invalid_objects_are_reported_by_index() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let mut objects = points(3);
    objects.insert(1, SpeckleObject::default());
    let outcome = push(&client(&server), objects, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(outcome.failures[0].index, 1);
    assert_eq!(fake.stored.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn the_cache_skips_what_the_server_has() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let cache = Arc::new(ObjectCache::in_memory());
    let options = PushOptions {
        cache: Some(cache.clone()),
        ..Default::default()
    };
    let first = push(&client(&server), points(100), &options).await.unwrap();
    assert_eq!(first.stats.uploaded, 100);
    let mut changed = points(100);
    changed[42] = SpeckleObject::from(Point::new(42.0, 1.0, 0.0));
    let second = push(&client(&server), changed, &options).await.unwrap();
    assert_eq!(second.stats.uploaded, 1);
    assert_eq!(second.stats.cached, 99);
    assert_eq!(second.ids[0], first.ids[0]);
}

#[tokio::test]
async fn gzip_bodies_are_inflated_by_the_server() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let outcome = push(
        &client(&server),
        points(50),
        &PushOptions {
            gzip: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(outcome.stats.uploaded, 50);
    assert_eq!(fake.gzipped.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn placeholders_pass_through_and_progress_reaches_the_total() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    let last = Arc::new(Mutex::new(None));
    let seen = last.clone();
    let options = PushOptions {
        max_batch_objects: 10,
        progress: Some(ProgressFn::new(move |p| *seen.lock().unwrap() = Some(p))),
        ..Default::default()
    };
    let mut objects = points(30);
    objects.push(SpeckleObject::placeholder("existing"));
    let outcome = push(&client(&server), objects, &options).await.unwrap();
    assert_eq!(outcome.ids[30], Some(ObjectId::new("existing")));
    let progress = last.lock().unwrap().unwrap();
    assert_eq!(progress.objects_done, 31);
    assert_eq!(progress.objects_total, Some(31));
    assert_eq!(progress.requests_done, 3);
}

/// getbulk like the server: one entry per id, in order; unknown ids get the stub.
struct FakeGetBulk;

impl Respond for FakeGetBulk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<String> = serde_json::from_slice(&request.body).unwrap();
        let objects: Vec<Value> = ids
            .iter()
            .map(|id| {
                if id.starts_with("big") {
                    json!({"_id": id, "type": "Mesh", "vertices": vec![0.5; 12_000], "hash": format!("h{id}")})
                } else if id.starts_with("missing") {
                    json!({"_id": id, "type": "String", "value": "You do not have permissions to view this object"})
                } else {
                    json!({"_id": id, "type": "Point", "value": [0, 0, 0], "hash": format!("h{id}")})
                }
            })
            .collect();
        // Later chunks answer faster, so responses arrive out of order.
        let delay = 40u64.saturating_sub(
            ids.first()
                .and_then(|i| {
                    i.trim_start_matches(|c: char| !c.is_ascii_digit())
                        .parse::<u64>()
                        .ok()
                })
                .unwrap_or(0)
                / 10,
        );
        ResponseTemplate::new(200)
            .set_delay(Duration::from_millis(delay))
            .set_body_json(json!({"success": true, "resources": objects}))
    }
}

#[tokio::test]
async fn pull_yields_in_request_order_with_stubs_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(FakeGetBulk)
        .mount(&server)
        .await;
    let mut ids: Vec<ObjectId> = (0..350).map(|i| ObjectId::new(format!("o{i}"))).collect();
    ids.insert(123, ObjectId::new("missing-1"));
    ids.push(ObjectId::new("o5")); // duplicates repeat
    let client = client(&server);
    let pulled: Vec<Pulled> = pull(
        &client,
        ids.clone(),
        PullOptions {
            chunk_size: 50,
            concurrency: 4,
            ..Default::default()
        },
    )
    .map(Result::unwrap)
    .collect()
    .await;
    assert_eq!(pulled.len(), ids.len());
    for (id, entry) in ids.iter().zip(&pulled) {
        match entry {
            Pulled::Object(object) => assert_eq!(object.id.as_ref(), Some(id)),
            Pulled::Unavailable(missing) => assert_eq!(missing, id),
        }
    }
    assert!(matches!(&pulled[123], Pulled::Unavailable(id) if id == "missing-1"));
    assert_eq!(server.received_requests().await.unwrap().len(), 8);
}

#[tokio::test]
async fn a_failed_pull_request_ends_the_stream_with_its_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"success": false, "message": "Cast to ObjectId failed"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let results: Vec<_> = pull(&client, vec![ObjectId::new("bad")], PullOptions::default())
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn pull_shrinks_requests_to_the_bytes_it_aims_for() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(FakeGetBulk)
        .mount(&server)
        .await;
    // 200 small objects, then 200 meshes of ~50 KB of JSON each.
    let ids: Vec<ObjectId> = (0..200)
        .map(|i| ObjectId::new(format!("o{i}")))
        .chain((0..200).map(|i| ObjectId::new(format!("big{i}"))))
        .collect();
    let client = client(&server);
    let options = PullOptions {
        chunk_size: 100,
        concurrency: 1,
        target_chunk_bytes: 500_000,
        ..Default::default()
    };
    let pulled: Vec<Pulled> = pull(&client, ids.clone(), options)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pulled.len(), 400);
    for (id, entry) in ids.iter().zip(&pulled) {
        assert!(matches!(entry, Pulled::Object(o) if o.id.as_ref() == Some(id)));
    }
    let requests = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            serde_json::from_slice::<Vec<String>>(&r.body)
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(&sizes[..2], &[100, 100], "small objects go 100 at a time");
    let biggest_later = sizes[4..].iter().max().copied().unwrap();
    assert!(
        biggest_later <= 10,
        "mesh requests shrink to ~500 KB of answer: {sizes:?}"
    );
}

#[tokio::test]
async fn pull_cuts_off_answers_far_over_the_target_where_objects_grow() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(FakeGetBulk)
        .mount(&server)
        .await;
    // 200 small objects, then 200 meshes of ~50 KB of JSON each. With 4
    // requests in flight, the first 4 are cut before any answer is known:
    // two of them ask for 100 meshes (~5 MB) each.
    let ids: Vec<ObjectId> = (0..200)
        .map(|i| ObjectId::new(format!("o{i}")))
        .chain((0..200).map(|i| ObjectId::new(format!("big{i}"))))
        .collect();
    let reports = Arc::new(Mutex::new(vec![0]));
    let seen = reports.clone();
    let options = PullOptions {
        chunk_size: 100,
        concurrency: 4,
        target_chunk_bytes: 500_000,
        // One report per answer handed out.
        progress: Some(ProgressFn::new(move |p| {
            seen.lock().unwrap().push(p.bytes_done)
        })),
        ..Default::default()
    };
    let pulled: Vec<Pulled> = pull(&client(&server), ids.clone(), options)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pulled.len(), 400);
    for (id, entry) in ids.iter().zip(&pulled) {
        assert!(matches!(entry, Pulled::Object(o) if o.id.as_ref() == Some(id)));
    }
    // Twice the target, at least 1 MiB.
    let cap = 1 << 20;
    let answers: Vec<u64> = reports
        .lock()
        .unwrap()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    assert!(
        answers.iter().all(|bytes| *bytes <= cap),
        "an answer over {cap} bytes was read: {answers:?}"
    );
}

/// getbulk answering like [`FakeGetBulk`], then reshaped by `change`.
struct ReshapedGetBulk(fn(&mut Vec<Value>));

impl Respond for ReshapedGetBulk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<String> = serde_json::from_slice(&request.body).unwrap();
        let mut objects: Vec<Value> = ids
            .iter()
            .map(|id| json!({"_id": id, "type": "Point", "value": [0, 0, 0]}))
            .collect();
        (self.0)(&mut objects);
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "resources": objects}))
    }
}

async fn pull_error(change: fn(&mut Vec<Value>)) -> speckle_http::Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(ReshapedGetBulk(change))
        .mount(&server)
        .await;
    let client = client(&server);
    let ids: Vec<ObjectId> = ["6b0c43a284c96928c7155341", "6b0c43a284c96928c7155342", "x3"]
        .map(ObjectId::new)
        .to_vec();
    let results: Vec<_> = pull(&client, ids, PullOptions::default()).collect().await;
    // The whole chunk is refused: no entry of a wrong answer is handed out.
    assert_eq!(results.len(), 1, "{results:?}");
    results.into_iter().next().unwrap().unwrap_err()
}

#[tokio::test]
async fn pull_refuses_an_answer_in_another_order_and_says_so() {
    let error = pull_error(|objects| objects.swap(0, 1)).await;
    assert!(error.is_decode());
    let text = error.to_string();
    assert!(text.contains("resources[0]._id"), "{text}");
    assert!(
        text.contains("6b0c43a284c96928c7155342") && text.contains("6b0c43a284c96928c7155341"),
        "names what came and what was asked: {text}"
    );
    assert!(text.contains("order"), "{text}");
    assert!(text.contains("POST /api/objects/getbulk"), "{text}");
}

#[tokio::test]
async fn pull_refuses_ids_that_were_not_asked_for_or_missing() {
    let error = pull_error(|objects| objects[2]["_id"] = "someone-else".into()).await;
    let text = error.to_string();
    assert!(
        text.contains("resources[2]._id") && text.contains("someone-else"),
        "{text}"
    );
    assert!(text.contains("not requested"), "{text}");
    let error = pull_error(|objects| {
        objects[1].as_object_mut().unwrap().remove("_id");
    })
    .await;
    assert!(error.to_string().contains("no `_id`"), "{error}");
}

#[tokio::test]
async fn pull_refuses_a_wrong_count_and_says_how_many() {
    let error = pull_error(|objects| {
        objects.pop();
    })
    .await;
    assert!(error.is_decode());
    assert!(
        error.to_string().contains("2 objects for 3 requested ids"),
        "{error}"
    );
    let error = pull_error(|objects| objects.push(objects[0].clone())).await;
    assert!(
        error.to_string().contains("4 objects for 3 requested ids"),
        "{error}"
    );
}

#[tokio::test]
async fn pull_accepts_ids_in_another_case_and_stubs_in_place() {
    // The database answers object ids in lower case; a stub carries the id
    // as asked.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(ReshapedGetBulk(|objects| {
            objects[0]["_id"] = "6b0c43a284c96928c7155341".into();
            objects[1]["type"] = "String".into();
            objects[1]["value"] = "You do not have permissions to view this object".into();
        }))
        .mount(&server)
        .await;
    let ids: Vec<ObjectId> = ["6B0C43A284C96928C7155341", "gone"]
        .map(ObjectId::new)
        .to_vec();
    let pulled: Vec<Pulled> = pull(&client(&server), ids, PullOptions::default())
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(matches!(&pulled[0], Pulled::Object(_)));
    assert!(matches!(&pulled[1], Pulled::Unavailable(id) if id == "gone"));
}

#[tokio::test]
async fn pull_splits_chunks_whose_answer_is_over_the_size_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(FakeGetBulk)
        .mount(&server)
        .await;
    // Meshes of ~50 KB of JSON each; answers may hold 150 KB.
    let ids: Vec<ObjectId> = (0..10).map(|i| ObjectId::new(format!("big{i}"))).collect();
    let client = Client::builder(server.uri())
        .token(TOKEN)
        .retry(RetryPolicy::never())
        .max_response_bytes(150_000)
        .build()
        .unwrap();
    let options = PullOptions {
        chunk_size: 10,
        concurrency: 1,
        ..Default::default()
    };
    let pulled: Vec<Pulled> = pull(&client, ids.clone(), options)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(pulled.len(), 10);
    for (id, entry) in ids.iter().zip(&pulled) {
        assert!(matches!(entry, Pulled::Object(o) if o.id.as_ref() == Some(id)));
    }
    let sizes: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<Vec<String>>(&r.body)
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes[0], 10, "{sizes:?}");
    assert!(sizes[1..].iter().all(|n| *n <= 5), "{sizes:?}");
}

#[tokio::test]
async fn a_mismatch_message_never_quotes_a_token() {
    // Found by the decoder fuzzing: the message quotes the `_id` the server
    // sent, whatever it holds.
    let error = pull_error(|objects| {
        objects[1]["_id"] = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiIxIn0.mismatch-SECRET".into()
    })
    .await;
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{:?}", std::error::Error::source(&error)),
    ] {
        assert!(!text.contains("mismatch-SECRET"), "{text}");
    }
    assert!(error.to_string().contains("resources[1]._id"), "{error}");
}

#[tokio::test]
async fn zero_and_huge_bulk_options_work_instead_of_panicking() {
    let fake = FakeObjects::new(usize::MAX);
    let server = server_with(fake.clone()).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/objects/getbulk"))
        .respond_with(FakeGetBulk)
        .mount(&server)
        .await;
    let client = client(&server);
    for (count, bytes, concurrency) in [(0, 0, 0), (usize::MAX, usize::MAX, usize::MAX)] {
        let options = PushOptions {
            max_batch_objects: count,
            max_batch_bytes: bytes,
            concurrency,
            ..Default::default()
        };
        let outcome = push(&client, points(5), &options).await.unwrap();
        assert_eq!(outcome.placeholders().unwrap().len(), 5);
        let ids: Vec<ObjectId> = (0..5).map(|i| ObjectId::new(format!("o{i}"))).collect();
        let options = PullOptions {
            chunk_size: count,
            target_chunk_bytes: bytes,
            concurrency,
            ..Default::default()
        };
        let pulled: Vec<Pulled> = pull(&client, ids, options)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(pulled.len(), 5);
    }
}
