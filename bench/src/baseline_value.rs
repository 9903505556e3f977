//! (e) The honest limit of a pull: the SDK's own requests (the same ids per
//! chunk, sized the same way, the same concurrency) sent with plain reqwest,
//! each answer decoded into `serde_json::Value`. A typed pull does the same
//! work plus building typed objects, so its ratio to (e) is its overhead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use speckle_http::bulk::{push, PullOptions, PushOptions};
use speckle_http::Client;
use speckle_types::{ObjectId, SpeckleObject};

use crate::e2e::{measured, rss_before, Measure};
use crate::target::Created;

/// Pushes the model with the SDK (not measured), then pulls it as (e).
pub async fn raw_value_pull(
    client: &Client,
    base: &str,
    token: String,
    model: &[SpeckleObject],
    created: &Created,
) -> Result<Measure, Box<dyn std::error::Error>> {
    let ids: Vec<ObjectId> = created
        .record_push(push(client, model.to_vec(), &PushOptions::default()).await)?
        .ids
        .into_iter()
        .flatten()
        .collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let url = format!("{base}/api/v1/objects/getbulk");
    let options = PullOptions::default();
    // The SDK's chunk sizing: at most `chunk_size` ids, and about the target
    // answer size given the bytes per object of the latest answer.
    let per_object = Arc::new(AtomicU64::new(0));
    let cut = {
        let per_object = per_object.clone();
        let mut rest = ids.into_iter().peekable();
        std::iter::from_fn(move || {
            rest.peek()?;
            let len = match per_object.load(Ordering::Relaxed) {
                0 => options.chunk_size,
                per => ((options.target_chunk_bytes as u64 / per).max(1) as usize)
                    .min(options.chunk_size),
            };
            Some(rest.by_ref().take(len).collect::<Vec<ObjectId>>())
        })
    };
    let requests = Arc::new(AtomicU64::new(0));
    let (result, time, peak_rss) = measured(async {
        let counts: Vec<Result<u64, Box<dyn std::error::Error>>> = stream::iter(cut)
            .map(|chunk| {
                let body = Bytes::from(serde_json::to_vec(&chunk).unwrap_or_default());
                let request = http
                    .post(&url)
                    .header("Authorization", &token)
                    .header("Content-Type", "application/json")
                    .body(body);
                let per_object = per_object.clone();
                let requests = requests.clone();
                async move {
                    let answer = request.send().await?.error_for_status()?.bytes().await?;
                    requests.fetch_add(1, Ordering::Relaxed);
                    per_object.store(
                        (answer.len() / chunk.len().max(1)).max(1) as u64,
                        Ordering::Relaxed,
                    );
                    // Decoded off the async threads, as the SDK does.
                    let value = tokio::task::spawn_blocking(move || {
                        serde_json::from_slice::<serde_json::Value>(&answer)
                    })
                    .await??;
                    Ok(value
                        .get("resources")
                        .and_then(|r| r.as_array())
                        .map_or(0, |r| r.len()) as u64)
                }
            })
            .buffered(options.concurrency)
            .collect()
            .await;
        let mut total = 0u64;
        for count in counts {
            total += count?;
        }
        Ok::<u64, Box<dyn std::error::Error>>(total)
    })
    .await;
    let objects = result?;
    Ok(Measure {
        time,
        bytes: 0,
        objects,
        requests: requests.load(Ordering::Relaxed),
        peak_rss,
        rss_before: rss_before(),
    })
}
