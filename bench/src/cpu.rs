//! Per-object CPU cost of the SDK's encoding (hash + serialize + batch) and of
//! decoding getbulk answers, against plain `serde_json` on the same data.

use std::time::{Duration, Instant};

use speckle_http::bulk::{encode_array, encode_object, EncodedObject};
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
    // For context: serializing by reference, nothing dropped.
    let by_reference = time(runs, || {
        objects
            .iter()
            .map(|o| serde_json::to_vec(o).map_or(0, |v| v.len()))
            .sum()
    });
    // The baseline: both sides start from owned clones (cloning is outside
    // the timing) and consume them, since push takes the objects it sends;
    // dropping them is timed on both sides.
    let baseline = {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let owned: Vec<SpeckleObject> = objects.to_vec();
            let start = Instant::now();
            let mut total = 0usize;
            for object in owned {
                total += serde_json::to_vec(&object).map_or(0, |v| v.len());
            }
            samples.push(start.elapsed());
            std::hint::black_box(total);
        }
        median(samples)
    };
    let sdk = {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let owned: Vec<SpeckleObject> = objects.to_vec();
            let start = Instant::now();
            let mut batch: Vec<EncodedObject> = Vec::with_capacity(250);
            let mut total = 0usize;
            for object in owned {
                if let Ok(Some(encoded)) = encode_object(object) {
                    batch.push(encoded);
                }
                if batch.len() == 250 {
                    total += encode_array(&batch).len();
                    batch.clear();
                }
            }
            total += encode_array(&batch).len();
            samples.push(start.elapsed());
            std::hint::black_box(total);
        }
        median(samples)
    };
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
        "| serde_json::to_vec by reference, objects kept (context) | {:.0} | {:.2} |",
        per(by_reference),
        by_reference.as_secs_f64() / baseline.as_secs_f64().max(1e-12)
    );
    println!(
        "| serde_json::to_vec consuming the objects (baseline) | {:.0} | 1.00 |",
        per(baseline)
    );
    println!(
        "| SDK hash + serialize + batch, consuming the objects | {:.0} | {encode_ratio:.2} |",
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
