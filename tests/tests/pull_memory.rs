//! A pull's memory follows the bytes it asked for, measured where the
//! operating system measures it (the resident set, allocator arenas and
//! all), not only the Rust heap. The model turns from small points to heavy
//! meshes: the requests cut while points were arriving would otherwise bring
//! a hundred meshes each, all at once, and a decoded mesh takes several
//! times the bytes of its JSON.
//!
//! Linux only (it reads `/proc/self/status`); alone in its test binary so
//! no other test's memory is counted. Runs against an in-process devserver,
//! whose own memory for the answers is counted too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use futures_util::StreamExt;
use speckle_devserver::{Config, DevServer};
use speckle_http::bulk::{pull, push, PullOptions, PushOptions};
use speckle_http::endpoints::accounts::Register;
use speckle_http::Client;
use speckle_types::{Mesh, ObjectId, Point, SpeckleObject};

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mesh(seed: usize, coordinates: usize) -> SpeckleObject {
    let vertices: Vec<f64> = (0..coordinates)
        .map(|v| seed as f64 + v as f64 * 0.001)
        .collect();
    let faces: Vec<f64> = (0..coordinates / 3).map(|f| f as f64).collect();
    SpeckleObject::from(Mesh::new(vertices, faces))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulling_points_then_heavy_meshes_adds_memory_near_the_bytes_in_flight() {
    if status_kb("VmHWM:").is_none() {
        eprintln!("SKIPPED: no /proc/self/status here");
        return;
    }
    let server = DevServer::start(Config::default()).await.unwrap();
    let client = Client::builder(server.url())
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    client
        .register(Register::new("memory@example.com", "memory-password-1"))
        .await
        .unwrap();
    // 400 points, then 240 meshes of ~400 KB of JSON each (~100 MB).
    let mut model: Vec<SpeckleObject> = (0..400)
        .map(|i| SpeckleObject::from(Point::new(i as f64, 1.0, 2.0)))
        .collect();
    model.extend((0..240).map(|m| mesh(m, 20_000)));
    let ids: Vec<ObjectId> = push(&client, model, &PushOptions::default())
        .await
        .unwrap()
        .ids
        .into_iter()
        .map(Option::unwrap)
        .collect();

    let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = requests.clone();
    let options = PullOptions {
        progress: Some(speckle_http::bulk::ProgressFn::new(move |p| {
            seen.store(p.requests_done, std::sync::atomic::Ordering::Relaxed)
        })),
        ..PullOptions::default()
    };
    let bound_mb = 4 * (options.concurrency * options.target_chunk_bytes) as u64 / 1_000_000 + 64;
    // Start the peak from here (the kernel resets VmHWM to the current RSS).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before_kb = status_kb("VmRSS:").unwrap();
    let started = std::time::Instant::now();
    let mut objects = pull(&client, ids, options);
    let mut pulled = 0;
    while let Some(entry) = objects.next().await {
        assert!(entry.unwrap().into_object().is_some());
        pulled += 1;
    }
    assert_eq!(pulled, 640);
    let added_mb = status_kb("VmHWM:").unwrap().saturating_sub(before_kb) / 1_000;
    eprintln!(
        "pull added {added_mb} MB of peak RSS (bound {bound_mb} MB) in {} requests, {:.1} s",
        requests.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    assert!(
        added_mb <= bound_mb,
        "the pull added {added_mb} MB of peak RSS, over {bound_mb} MB"
    );
}
