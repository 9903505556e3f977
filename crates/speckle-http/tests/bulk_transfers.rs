//! Bulk transfers that respect the caller's time: a push fails fast against a
//! server that is not there, keeps what it stored when it fails midway, and
//! splits only requests the server refused for their size or whose
//! connection broke; pull progress counts the answer bytes, and a pull
//! stream can move into a spawned task.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use serde_json::{json, Value};
use speckle_http::bulk::{pull, push, ProgressFn, PullOptions, Pulled, PushOptions};
use speckle_http::transport::{
    HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError,
};
use speckle_http::{Client, ErrorKind, RetryPolicy};
use speckle_types::{ObjectId, Point, SpeckleObject};

fn points(n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)))
        .collect()
}

/// Retries without waiting long: the tests count attempts, not time.
fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(max_retries)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(2))
}

/// Passes requests to the real HTTP transport and records the body size of
/// each one.
#[derive(Debug)]
struct Recording {
    inner: ReqwestTransport,
    bodies: Mutex<Vec<usize>>,
}

#[async_trait]
impl Transport for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.bodies
            .lock()
            .unwrap()
            .push(request.body.as_ref().map_or(0, |b| b.len()));
        self.inner.send(request).await
    }
}

#[tokio::test]
async fn a_push_to_a_refused_port_fails_after_the_retries_without_splitting() {
    // A port nothing listens on: bind, learn the port, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let transport = Arc::new(Recording {
        inner: ReqwestTransport::new(
            Duration::from_secs(10),
            Duration::from_secs(10),
            "bulk-test",
        )
        .unwrap(),
        bodies: Mutex::new(Vec::new()),
    });
    let max_retries = 2;
    let client = Client::builder(format!("http://127.0.0.1:{port}"))
        .token("JWT t")
        .transport(transport.clone())
        .retry(quick_retries(max_retries))
        .build()
        .unwrap();
    let options = PushOptions {
        concurrency: 1,
        ..PushOptions::default()
    };
    let error = push(&client, points(600), &options).await.unwrap_err();

    assert!(
        matches!(error.kind(), ErrorKind::Transport { not_sent: true }),
        "{error:?}"
    );
    let bodies = transport.bodies.lock().unwrap().clone();
    assert_eq!(
        bodies.len(),
        1 + max_retries as usize,
        "one batch, tried 1 + max_retries times and never split: {bodies:?}"
    );
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every attempt sends the whole first batch: {bodies:?}"
    );
    let outcome = error.push_outcome().expect("the partial outcome");
    assert_eq!(outcome.stats.uploaded, 0);
    assert!(outcome.ids.iter().all(Option::is_none));
}

/// Stores objects like the server (placeholders in input order) until it has
/// answered `healthy` requests; after that every connection is refused, or,
/// with `break_multi`, a request with more than one object loses its
/// connection mid-body.
#[derive(Debug)]
struct Flaky {
    healthy: u64,
    break_multi: bool,
    answered: AtomicU64,
    attempts: Mutex<Vec<usize>>,
}

impl Flaky {
    fn new(healthy: u64, break_multi: bool) -> Self {
        Self {
            healthy,
            break_multi,
            answered: AtomicU64::new(0),
            attempts: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Transport for Flaky {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let objects: Vec<Value> = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        self.attempts.lock().unwrap().push(objects.len());
        if self.break_multi && objects.len() > 1 {
            return Err(TransportError::Other("connection reset by peer".into()));
        }
        if self.answered.fetch_add(1, Ordering::SeqCst) >= self.healthy {
            return Err(TransportError::Connect("connection refused".into()));
        }
        let placeholders: Vec<Value> = objects
            .iter()
            .map(|o| json!({"type": "Placeholder", "_id": format!("id-{}", o["hash"].as_str().unwrap())}))
            .collect();
        let body = json!({"success": true, "resources": placeholders});
        Ok(HttpResponse::new(200, serde_json::to_vec(&body).unwrap()))
    }
}

fn client_over(transport: Arc<dyn Transport>, retries: u32) -> Client {
    Client::builder("http://127.0.0.1:9")
        .token("JWT t")
        .transport(transport)
        .retry(quick_retries(retries))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_push_that_fails_midway_returns_what_it_stored() {
    for concurrency in [1, 4] {
        let flaky = Arc::new(Flaky::new(3, false));
        let client = client_over(flaky.clone(), 0);
        let options = PushOptions {
            max_batch_objects: 10,
            concurrency,
            ..PushOptions::default()
        };
        let input = points(100);
        let error = push(&client, input.clone(), &options).await.unwrap_err();
        assert!(error.is_transport(), "{error:?}");
        let outcome = error.push_outcome().expect("the partial outcome");
        // Exactly the three answered batches are reported as stored, with
        // the ids the server gave, at their input positions.
        let stored: Vec<usize> = (0..outcome.ids.len())
            .filter(|i| outcome.ids[*i].is_some())
            .collect();
        assert_eq!(stored.len(), 30, "concurrency {concurrency}");
        assert_eq!(outcome.stats.uploaded, 30, "concurrency {concurrency}");
        for index in stored {
            let hash = speckle_http::bulk::content_hash(&input[index]).unwrap();
            assert_eq!(
                outcome.ids[index],
                Some(ObjectId::new(format!("id-{hash}")))
            );
        }
        assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
        // The push stopped reading: not every batch was tried.
        let tried = flaky.attempts.lock().unwrap().len();
        assert!(tried < 10, "concurrency {concurrency}: {tried} requests");
    }
}

#[tokio::test]
async fn a_connection_broken_mid_body_still_splits_the_batch() {
    let flaky = Arc::new(Flaky::new(u64::MAX, true));
    let client = client_over(flaky.clone(), 0);
    let options = PushOptions {
        max_batch_objects: 4,
        concurrency: 1,
        ..PushOptions::default()
    };
    let outcome = push(&client, points(4), &options).await.unwrap();
    assert_eq!(outcome.stats.uploaded, 4);
    assert!(outcome.ids.iter().all(Option::is_some));
    // 4 → 2 + 2 → 1 + 1 + 1 + 1.
    assert_eq!(*flaky.attempts.lock().unwrap(), vec![4, 2, 1, 1, 2, 1, 1]);
}

/// getbulk like the server: one entry per id, in order; records the bytes
/// of every answer.
#[derive(Debug, Default)]
struct GetBulk {
    answered_bytes: AtomicU64,
}

#[async_trait]
impl Transport for GetBulk {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let ids: Vec<String> = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        let objects: Vec<Value> = ids
            .iter()
            .map(|id| json!({"_id": id, "type": "Point", "value": [1.5, 2.5, 3.5], "hash": format!("h{id}")}))
            .collect();
        let body = serde_json::to_vec(&json!({"success": true, "resources": objects})).unwrap();
        self.answered_bytes
            .fetch_add(body.len() as u64, Ordering::SeqCst);
        Ok(HttpResponse::new(200, body))
    }
}

#[tokio::test]
async fn pull_progress_counts_the_answer_bytes() {
    let server = Arc::new(GetBulk::default());
    let client = client_over(server.clone(), 0);
    let last = Arc::new(Mutex::new(None));
    let seen = last.clone();
    let options = PullOptions {
        chunk_size: 7,
        progress: Some(ProgressFn::new(move |p| *seen.lock().unwrap() = Some(p))),
        ..PullOptions::default()
    };
    let ids: Vec<ObjectId> = (0..50).map(|i| ObjectId::new(format!("o{i}"))).collect();
    let pulled: Vec<_> = pull(&client, ids, options).collect().await;
    assert_eq!(pulled.len(), 50);
    let progress = last.lock().unwrap().unwrap();
    assert_eq!(progress.objects_done, 50);
    assert_eq!(progress.requests_done, 8);
    assert_eq!(
        progress.bytes_done,
        server.answered_bytes.load(Ordering::SeqCst)
    );
    assert!(progress.bytes_done > 0);
}

#[tokio::test]
async fn a_pull_stream_moves_into_a_spawned_task() {
    let client = client_over(Arc::new(GetBulk::default()), 0);
    let ids: Vec<ObjectId> = (0..20).map(|i| ObjectId::new(format!("o{i}"))).collect();
    // The stream owns what it needs: the client may even be dropped first.
    let stream = pull(&client, ids, PullOptions::default());
    drop(client);
    let task = tokio::spawn(async move {
        stream
            .filter_map(|entry| async move { entry.ok().and_then(Pulled::into_object) })
            .count()
            .await
    });
    assert_eq!(task.await.unwrap(), 20);
}
