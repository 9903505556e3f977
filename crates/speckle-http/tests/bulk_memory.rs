//! Push and pull hold the requests in flight, not the model: a counting
//! allocator measures the peak of live heap bytes while ~115 MB of objects
//! stream through a transport that answers like the server. A pull of
//! meshes keeps the answers waiting for their turn as bytes: decoded, their
//! numbers take five times the room.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unsafe_code
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use serde_json::{json, Value};
use speckle_http::bulk::{pull, push_stream, PullOptions, PushOptions};
use speckle_http::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use speckle_http::{Client, RetryPolicy};
use speckle_types::{ObjectId, Point, SpeckleObject};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OBJECTS: usize = 30_000;
const PAD: usize = 4_000;
const MB: usize = 1024 * 1024;

/// Numbers in one mesh of [`mesh_answer`].
const MESH_NUMBERS: usize = 20_000;

/// The `vertices` of every mesh: ~100 KB of JSON, 640 KB decoded.
fn mesh_vertices() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let numbers: Vec<String> = (0..MESH_NUMBERS)
            .map(|i| format!("{}.5", i % 1000))
            .collect();
        format!("[{}]", numbers.join(","))
    })
}

/// A getbulk answer of meshes, written as text (no JSON tree on this side).
fn mesh_answer(ids: &[Value]) -> Vec<u8> {
    let vertices = mesh_vertices();
    let objects: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"_id":{id},"type":"Mesh","vertices":{vertices}}}"#))
        .collect();
    format!(r#"{{"success":true,"resources":[{}]}}"#, objects.join(",")).into_bytes()
}

/// Mesh requests in flight.
const MESH_IN_FLIGHT: usize = 8;

/// Answers `POST /objects` with one placeholder per element and getbulk with
/// one ~4 KB object per id, or a mesh for ids starting with `mesh`. The
/// first mesh answer comes last of its round, as a slow answer would: the
/// others then wait for it.
#[derive(Debug)]
struct LikeTheServer {
    /// Mesh answers sent so far.
    meshes_answered: tokio::sync::watch::Sender<usize>,
}

#[async_trait]
impl Transport for LikeTheServer {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body: Vec<Value> =
            serde_json::from_slice(request.body.as_deref().unwrap_or(b"[]")).unwrap();
        let first = body.first().and_then(Value::as_str).unwrap_or_default();
        if first.starts_with("mesh") {
            if first == "mesh0" {
                let mut answered = self.meshes_answered.subscribe();
                answered
                    .wait_for(|n| *n >= MESH_IN_FLIGHT - 1)
                    .await
                    .unwrap();
            }
            let answer = mesh_answer(&body);
            self.meshes_answered.send_modify(|n| *n += 1);
            return Ok(HttpResponse::new(200, answer));
        }
        let resources: Vec<Value> = if request.url.path().ends_with("getbulk") {
            body.iter()
                .map(|id| json!({"_id": id, "type": "Point", "value": [0, 0, 0], "pad": "y".repeat(PAD)}))
                .collect()
        } else {
            body.iter()
                .map(|o| json!({"type": "Placeholder", "_id": &o["hash"].as_str().unwrap()[..24]}))
                .collect()
        };
        Ok(HttpResponse::new(
            200,
            serde_json::to_vec(&json!({"success": true, "resources": resources})).unwrap(),
        ))
    }
}

fn client() -> Client {
    Client::builder("http://speckle.test")
        .token("JWT t")
        .transport(Arc::new(LikeTheServer {
            meshes_answered: tokio::sync::watch::Sender::new(0),
        }))
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn push_and_pull_memory_stays_bounded() {
    let client = client();
    let baseline = LIVE.load(Ordering::Relaxed);

    // Push: objects are built lazily, ~4 KB each, ~115 MB in all.
    PEAK.store(baseline, Ordering::Relaxed);
    let objects = futures_util::stream::iter(0..OBJECTS)
        .map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)).with("pad", "x".repeat(PAD)));
    let outcome = push_stream(&client, objects, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.stats.uploaded, OBJECTS as u64);
    let push_peak = PEAK.load(Ordering::Relaxed) - baseline;
    let model = OBJECTS * PAD;
    println!(
        "push: model {} MB, peak heap {} MB",
        model / MB,
        push_peak / MB
    );
    assert!(
        push_peak < 48 * MB,
        "push peak {} MB for a {} MB model",
        push_peak / MB,
        model / MB
    );

    // Pull: ~115 MB comes back, consumed one object at a time.
    let ids: Vec<ObjectId> = outcome.ids.into_iter().map(Option::unwrap).collect();
    drop(outcome.failures);
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut pulled = 0usize;
    let mut stream = pull(&client, ids, PullOptions::default());
    while let Some(entry) = stream.next().await {
        entry.unwrap();
        pulled += 1;
    }
    drop(stream);
    assert_eq!(pulled, OBJECTS);
    let pull_peak = PEAK.load(Ordering::Relaxed) - baseline;
    println!("pull: peak heap {} MB", pull_peak / MB);
    assert!(pull_peak < 48 * MB, "pull peak {} MB", pull_peak / MB);

    // Pull meshes, 10 (1.4 MB of JSON, ~7 MB decoded) per answer, 8 answers
    // in flight. While the first is slow, the seven after it wait as their
    // bytes (10 MB); then the next two answers are decoded while the caller
    // holds the one before. Decoding every answer as it arrives would hold
    // seven decoded answers at once (~50 MB).
    let ids: Vec<ObjectId> = (0..400)
        .map(|i| ObjectId::new(format!("mesh{i}")))
        .collect();
    mesh_vertices();
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let options = PullOptions {
        chunk_size: 10,
        concurrency: MESH_IN_FLIGHT,
        ..PullOptions::default()
    };
    let mut stream = pull(&client, ids, options);
    let mut numbers = 0;
    while let Some(entry) = stream.next().await {
        let mesh = entry.unwrap().into_object().unwrap();
        numbers += mesh.data["vertices"].as_array().unwrap().len();
    }
    drop(stream);
    assert_eq!(numbers, 400 * MESH_NUMBERS);
    let mesh_peak = PEAK.load(Ordering::Relaxed) - baseline;
    println!("mesh pull: peak heap {} MB", mesh_peak / MB);
    assert!(mesh_peak < 40 * MB, "mesh pull peak {} MB", mesh_peak / MB);
}
