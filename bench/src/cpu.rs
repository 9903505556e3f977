//! Per-object CPU cost of the SDK's encoding (hash + serialize + batch) and of
//! decoding getbulk answers, against plain `serde_json` on the same data.

use std::time::{Duration, Instant};

use speckle_http::bulk::BodyBuilder;
use speckle_types::{Envelope, SpeckleObject};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn time(runs: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut samples = Vec::with_capacity(runs);
    let mut sink = 0usize;
    for _ in 0..runs {
        let start = Instant::now();
        sink = sink.wrapping_add(f());
        samples.push(start.elapsed());
    }
    std::hint::black_box(sink);
    median(samples)
}

/// Prints the table and returns (encode ratio, decode ratio).
pub fn run(objects: &[SpeckleObject], runs: usize) -> (f64, f64) {
    let n = objects.len() as f64;
    // Both sides serialize by reference (the caller's objects are neither
    // cloned nor dropped inside the timing): the SDK side adds the content
    // hash and packs 250-object request bodies with push's own BodyBuilder.
    let baseline = time(runs, || {
        objects
            .iter()
            .map(|o| serde_json::to_vec(o).map_or(0, |v| v.len()))
            .sum()
    });
    let sdk = time(runs, || {
        let mut body = BodyBuilder::new();
        let mut total = 0usize;
        for object in objects {
            let _ = body.add(object);
            if body.len() == 250 {
                total += std::mem::take(&mut body).finish().len();
            }
        }
        total + body.finish().len()
    });
    let body = serde_json::to_vec(&serde_json::json!({"success": true, "resources": objects}))
        .unwrap_or_default();
    let decode_value = time(runs, || {
        serde_json::from_slice::<serde_json::Value>(&body)
            .map_or(0, |v| v.as_object().map_or(0, |m| m.len()))
    });
    let decode_sdk = time(runs, || {
        serde_json::from_slice::<Envelope<SpeckleObject>>(&body)
            .map_or(0, |e| e.resources.map_or(0, |r| r.len()))
    });
    let per = |d: Duration| d.as_secs_f64() * 1e9 / n;
    let encode_ratio = sdk.as_secs_f64() / baseline.as_secs_f64().max(1e-12);
    let decode_ratio = decode_sdk.as_secs_f64() / decode_value.as_secs_f64().max(1e-12);
    println!(
        "CPU per object ({} objects, median of {runs} runs)",
        objects.len()
    );
    println!("| step | ns/object | ratio |");
    println!("|---|---|---|");
    println!(
        "| serde_json::to_vec (baseline) | {:.0} | 1.00 |",
        per(baseline)
    );
    println!(
        "| SDK content hash + serialize + pack into request bodies | {:.0} | {encode_ratio:.2} |",
        per(sdk)
    );
    println!(
        "| serde_json::from_slice::<Value> getbulk body (baseline) | {:.0} | 1.00 |",
        per(decode_value)
    );
    println!(
        "| SDK decode into Envelope<SpeckleObject> | {:.0} | {decode_ratio:.2} |",
        per(decode_sdk)
    );
    println!();
    (encode_ratio, decode_ratio)
}
