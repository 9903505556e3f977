//! Push and pull hold the requests in flight, not the model: a counting
//! allocator measures the peak of live heap bytes while ~115 MB of objects
//! stream through a transport that answers like the server.
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

/// Answers `POST /objects` with one placeholder per element and getbulk with
/// one ~4 KB object per id.
#[derive(Debug)]
struct LikeTheServer;

#[async_trait]
impl Transport for LikeTheServer {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body: Vec<Value> =
            serde_json::from_slice(request.body.as_deref().unwrap_or(b"[]")).unwrap();
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
        .transport(Arc::new(LikeTheServer))
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
}
