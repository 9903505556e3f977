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
    // What a pull decodes: getbulk answers as the server sends them (every
    // object with its `_id`, owner, permissions and timestamps), at most
    // 100 objects and about 4 MB each, as the pull cuts its requests.
    let answers = getbulk_answers(objects);
    let decode_value = time(runs, || {
        answers
            .iter()
            .map(|body| {
                serde_json::from_slice::<serde_json::Value>(body)
                    .map_or(0, |v| v.as_object().map_or(0, |m| m.len()))
            })
            .sum()
    });
    let decode_sdk = time(runs, || {
        answers
            .iter()
            .map(|body| {
                serde_json::from_slice::<Envelope<SpeckleObject>>(body)
                    .map_or(0, |e| e.resources.map_or(0, |r| r.len()))
            })
            .sum()
    });
    drop(answers);
    // The whole model in one body without the server's fields, as this
    // table measured before: no pull receives such an answer, and its cost
    // is mostly the page faults of one fresh 10 MB array of objects.
    let body = serde_json::to_vec(&serde_json::json!({"success": true, "resources": objects}))
        .unwrap_or_default();
    let whole_value = time(runs, || {
        serde_json::from_slice::<serde_json::Value>(&body)
            .map_or(0, |v| v.as_object().map_or(0, |m| m.len()))
    });
    let whole_sdk = time(runs, || {
        serde_json::from_slice::<Envelope<SpeckleObject>>(&body)
            .map_or(0, |e| e.resources.map_or(0, |r| r.len()))
    });
    drop(body);
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
        "| serde_json::from_slice::<Value> getbulk answers (baseline) | {:.0} | 1.00 |",
        per(decode_value)
    );
    println!(
        "| SDK decode into Envelope<SpeckleObject> | {:.0} | {decode_ratio:.2} |",
        per(decode_sdk)
    );
    let whole_ratio = whole_sdk.as_secs_f64() / whole_value.as_secs_f64().max(1e-12);
    println!(
        "| the same objects in one body, without server fields: Value | {:.0} | 1.00 |",
        per(whole_value)
    );
    println!(
        "| the same objects in one body, without server fields: SDK | {:.0} | {whole_ratio:.2} |",
        per(whole_sdk)
    );
    println!();
    (encode_ratio, decode_ratio)
}

/// `objects` as getbulk answers: each object as the server stores it, cut
/// into answers of at most 100 objects and about 4 MB.
fn getbulk_answers(objects: &[SpeckleObject]) -> Vec<Vec<u8>> {
    const MAX_OBJECTS: usize = 100;
    const TARGET_BYTES: usize = 4_000_000;
    let mut answers = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    let mut bytes = 0;
    for (index, object) in objects.iter().enumerate() {
        let text = stored(index, object);
        if !resources.is_empty()
            && (resources.len() == MAX_OBJECTS || bytes + text.len() > TARGET_BYTES)
        {
            answers.push(answer(&resources));
            resources.clear();
            bytes = 0;
        }
        bytes += text.len();
        resources.push(text);
    }
    if !resources.is_empty() {
        answers.push(answer(&resources));
    }
    answers
}

fn answer(resources: &[String]) -> Vec<u8> {
    format!(
        r#"{{"success":true,"resources":[{}]}}"#,
        resources.join(",")
    )
    .into_bytes()
}

/// An object as getbulk answers it: the server's keys around the object's own.
fn stored(index: usize, object: &SpeckleObject) -> String {
    let mut value = serde_json::to_value(object).unwrap_or_default();
    let server = serde_json::json!({
        "_id": format!("6b0e85250e570977dd{index:06x}"),
        "owner": "6b0e85250e570977dd2df3e8",
        "private": false,
        "canRead": [],
        "canWrite": [],
        "anonymousComments": false,
        "comments": [],
        "name": null,
        "geometryHash": null,
        "hash": format!("fc94712a30fc42075ad41ac6ed{index:06x}"),
        "applicationId": null,
        "properties": null,
        "deleted": false,
        "parent": null,
        "children": [],
        "ancestors": [],
        "__v": 0,
        "createdAt": "2026-12-01T08:28:21.191Z",
        "updatedAt": "2026-12-01T08:28:21.191Z",
    });
    if let (Some(fields), serde_json::Value::Object(defaults)) = (value.as_object_mut(), server) {
        for (key, default) in defaults {
            fields.entry(key).or_insert(default);
        }
    }
    value.to_string()
}
