//! (a0) The SDK's push with adaptive batching off: today's fixed limits
//! (≤ 250 objects, ≤ 2 MB, 4 in flight), to show what adapting gains.

use speckle_http::bulk::{push, PushOptions};
use speckle_http::{Client, Error};
use speckle_types::SpeckleObject;

use crate::e2e::{measured, rss_before, Measure};
use crate::target::Created;

/// Pushes the model with fixed batches of the given size.
pub async fn fixed_push(
    client: &Client,
    model: &[SpeckleObject],
    max_batch_objects: usize,
    created: &Created,
) -> Result<Measure, Error> {
    let options = PushOptions {
        adaptive: false,
        max_batch_objects,
        ..PushOptions::default()
    };
    let (outcome, time, peak_rss) = measured(push(client, model.to_vec(), &options)).await;
    let outcome = created.record_push(outcome)?;
    Ok(Measure {
        time,
        bytes: outcome.stats.bytes,
        objects: model.len() as u64,
        requests: outcome.stats.requests,
        peak_rss,
        rss_before: rss_before(),
    })
}
