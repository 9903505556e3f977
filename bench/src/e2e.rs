//! End-to-end push and pull of one model through four strategies, each on a
//! fresh in-process devserver or a server given with `--server` (see
//! [`crate::target`]). What they store is recorded for the cleanup there.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use speckle_http::bulk::{encode_object, pull, push, EncodedObject, PullOptions, PushOptions};
use speckle_http::endpoints::objects::{CreateObjects, GetBulkObjects};
use speckle_http::{execute, Client, EnvelopeExt, Error, RetryPolicy};
use speckle_types::{ObjectId, SpeckleObject};

use crate::rss;
use crate::target::Created;

/// One measured transfer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measure {
    /// Wall time.
    pub time: Duration,
    /// Request or response body bytes moved.
    pub bytes: u64,
    /// Objects moved.
    pub objects: u64,
    /// Requests made.
    pub requests: u64,
    /// Peak RSS of the process during the transfer (server included).
    pub peak_rss: Option<u64>,
    /// RSS when the transfer started (the model and the server are in it).
    pub rss_before: u64,
}

impl Measure {
    /// One line of text, for the parent process.
    pub fn encode(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.time.as_nanos(),
            self.bytes,
            self.objects,
            self.requests,
            self.peak_rss.unwrap_or(0),
            self.rss_before
        )
    }

    /// Reads [`encode`](Self::encode)'s line.
    pub fn decode(line: &str) -> Option<Self> {
        let n: Vec<u128> = line
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let [time, bytes, objects, requests, peak, before] = n.as_slice() else {
            return None;
        };
        Some(Self {
            time: Duration::from_nanos(u64::try_from(*time).ok()?),
            bytes: u64::try_from(*bytes).ok()?,
            objects: u64::try_from(*objects).ok()?,
            requests: u64::try_from(*requests).ok()?,
            peak_rss: (*peak > 0).then_some(u64::try_from(*peak).ok()?),
            rss_before: u64::try_from(*before).ok()?,
        })
    }

    pub fn objects_per_s(&self) -> f64 {
        self.objects as f64 / self.time.as_secs_f64().max(1e-9)
    }
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.time.as_secs_f64().max(1e-9)
    }
}

/// A logged-in client of a fresh devserver (kept alive by the returned handle).
/// With `quadratic`, its bulk save costs like the real server's.
pub async fn fresh_server(
    quadratic: bool,
) -> Result<(speckle_devserver::DevServer, Client), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!(
        "speckle-bench-{}-{}",
        std::process::id(),
        fastish_id()
    ));
    std::fs::create_dir_all(&dir)?;
    let mut config = speckle_devserver::Config::default().data_file(dir.join("bench.db"));
    if quadratic {
        // The real server: 1,000 new points in one request cost 1.0 s.
        config = config.quadratic_save_cost(1_000, Duration::from_secs(1));
    }
    let server = speckle_devserver::DevServer::start(config).await?;
    let client = Client::builder(server.url())
        .timeout(Duration::from_secs(600))
        .retry(RetryPolicy::never())
        .build()?;
    client
        .register(speckle_http::endpoints::accounts::Register::new(
            "bench@example.com",
            "bench-password-1",
        ))
        .await?;
    Ok((server, client))
}

fn fastish_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

pub(crate) async fn measured<F, T>(f: F) -> (T, Duration, Option<u64>)
where
    F: std::future::Future<Output = T>,
{
    rss::reset_peak();
    RSS_BEFORE.store(
        rss::current().unwrap_or(0),
        std::sync::atomic::Ordering::Relaxed,
    );
    let start = Instant::now();
    let value = f.await;
    (value, start.elapsed(), rss::peak())
}

/// RSS at the start of the last measured transfer.
static RSS_BEFORE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn rss_before() -> u64 {
    RSS_BEFORE.load(std::sync::atomic::Ordering::Relaxed)
}

/// (a) The SDK with its defaults.
pub async fn sdk(
    client: &Client,
    model: &[SpeckleObject],
    created: &Created,
) -> Result<(Measure, Measure), Error> {
    let (outcome, time, peak_rss) =
        measured(push(client, model.to_vec(), &PushOptions::default())).await;
    let outcome = created.record_push(outcome)?;
    let ids: Vec<ObjectId> = outcome.ids.iter().flatten().cloned().collect();
    let push_m = Measure {
        time,
        bytes: outcome.stats.bytes,
        objects: model.len() as u64,
        requests: outcome.stats.requests,
        peak_rss,
        rss_before: rss_before(),
    };
    // Requests as the pull reports them (it sizes its chunks by bytes).
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = requests.clone();
    let options = PullOptions {
        progress: Some(speckle_http::bulk::ProgressFn::new(move |p| {
            seen.store(p.requests_done, std::sync::atomic::Ordering::Relaxed)
        })),
        ..PullOptions::default()
    };
    let (pulled, time, peak_rss) = measured(async {
        let mut stream = pull(client, ids, options);
        let mut count = 0u64;
        while let Some(entry) = stream.next().await {
            entry?;
            count += 1;
        }
        Ok::<u64, Error>(count)
    })
    .await;
    let count = pulled?;
    let requests = requests.load(std::sync::atomic::Ordering::Relaxed);
    Ok((
        push_m,
        Measure {
            time,
            bytes: 0,
            objects: count,
            requests,
            peak_rss,
            rss_before: rss_before(),
        },
    ))
}

/// (b) The official connectors: sequential ~500 KB buckets, objects over 2 MB
/// dropped; pull by getbulk of 42 ids, sequential.
pub async fn connectors(
    client: &Client,
    model: &[SpeckleObject],
    created: &Created,
) -> Result<(Measure, Measure), Error> {
    // Outside the measured block, so that what was stored is known even
    // when a request fails midway.
    let mut ids = Vec::new();
    let (result, time, peak_rss) = measured(async {
        let mut bucket = Vec::new();
        let mut bucket_bytes = 0usize;
        let mut bytes = 0u64;
        let mut requests = 0u64;
        for object in model {
            let size = serde_json::to_vec(object).map_or(0, |v| v.len());
            if size > 2_000_000 {
                continue;
            }
            bucket.push(object.clone());
            bucket_bytes += size;
            if bucket_bytes > 500_000 {
                bytes += bucket_bytes as u64;
                requests += 1;
                let placeholders =
                    execute(client, &CreateObjects::new(std::mem::take(&mut bucket)))
                        .await?
                        .into_resources()?;
                ids.extend(placeholders.into_iter().filter_map(|p| p.id));
                bucket_bytes = 0;
            }
        }
        if !bucket.is_empty() {
            bytes += bucket_bytes as u64;
            requests += 1;
            let placeholders = execute(client, &CreateObjects::new(bucket))
                .await?
                .into_resources()?;
            ids.extend(placeholders.into_iter().filter_map(|p| p.id));
        }
        Ok::<_, Error>((bytes, requests))
    })
    .await;
    created.record(ids.iter().cloned());
    let (bytes, requests) = result?;
    let push_m = Measure {
        time,
        bytes,
        objects: model.len() as u64,
        requests,
        peak_rss,
        rss_before: rss_before(),
    };
    let (pulled, time, peak_rss) = measured(async {
        let mut count = 0u64;
        for chunk in ids.chunks(42) {
            count += execute(client, &GetBulkObjects::new(chunk.iter().cloned()))
                .await?
                .into_resources()?
                .len() as u64;
        }
        Ok::<u64, Error>(count)
    })
    .await;
    let count = pulled?;
    Ok((
        push_m,
        Measure {
            time,
            bytes: 0,
            objects: count,
            requests: count.div_ceil(42),
            peak_rss,
            rss_before: rss_before(),
        },
    ))
}

/// (c) The Python client: everything in one request; when the server refuses
/// it (413), split in halves and retry, sequentially. Pull: one getbulk with
/// every id.
pub async fn python(
    client: &Client,
    model: &[SpeckleObject],
    created: &Created,
) -> Result<(Measure, Measure), Error> {
    // Outside the measured block: see `connectors`.
    let mut ids = Vec::new();
    let (result, time, peak_rss) = measured(async {
        let mut bytes = 0u64;
        let mut requests = 0u64;
        let mut pending: Vec<&[SpeckleObject]> = vec![model];
        while let Some(part) = pending.pop() {
            requests += 1;
            bytes += part
                .iter()
                .map(|o| serde_json::to_vec(o).map_or(0, |v| v.len()) as u64)
                .sum::<u64>();
            match execute(client, &CreateObjects::new(part.to_vec())).await {
                Ok(envelope) => {
                    ids.extend(envelope.into_resources()?.into_iter().filter_map(|p| p.id))
                }
                Err(error) if error.is_too_large() && part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    pending.push(second);
                    pending.push(first);
                }
                Err(error) => return Err(error),
            }
        }
        Ok::<_, Error>((bytes, requests))
    })
    .await;
    created.record(ids.iter().cloned());
    let (bytes, requests) = result?;
    let push_m = Measure {
        time,
        bytes,
        objects: model.len() as u64,
        requests,
        peak_rss,
        rss_before: rss_before(),
    };
    let (pulled, time, peak_rss) = measured(async {
        Ok::<u64, Error>(
            execute(client, &GetBulkObjects::new(ids.iter().cloned()))
                .await?
                .into_resources()?
                .len() as u64,
        )
    })
    .await;
    let count = pulled?;
    Ok((
        push_m,
        Measure {
            time,
            bytes: 0,
            objects: count,
            requests: 1,
            peak_rss,
            rss_before: rss_before(),
        },
    ))
}

/// (d) The limit: the SDK's exact request bodies, prepared beforehand, sent
/// with plain reqwest (same concurrency), no SDK logic; pull with the same
/// getbulk bodies, bytes read and not decoded.
pub async fn raw(
    client: &Client,
    base: &str,
    model: &[SpeckleObject],
    created: &Created,
) -> Result<(Measure, Measure), Box<dyn std::error::Error>> {
    let token = client
        .token()
        .map(|t| secrecy_expose(&t))
        .unwrap_or_default();
    let options = PushOptions::default();
    let mut bodies: Vec<Bytes> = Vec::new();
    let mut batch: Vec<EncodedObject> = Vec::new();
    let mut batch_bytes = 0usize;
    for object in model {
        if let Some(encoded) = encode_object(object)? {
            let size = encoded.json.len() + 1;
            if !batch.is_empty()
                && (batch.len() >= options.max_batch_objects
                    || batch_bytes + size > options.max_batch_bytes)
            {
                bodies.push(speckle_http::bulk::encode_array(&batch));
                batch.clear();
                batch_bytes = 0;
            }
            batch_bytes += size;
            batch.push(encoded);
        }
    }
    if !batch.is_empty() {
        bodies.push(speckle_http::bulk::encode_array(&batch));
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let url = format!("{base}/api/v1/objects");
    let bytes: u64 = bodies.iter().map(|b| b.len() as u64).sum();
    let requests = bodies.len() as u64;
    let (result, time, peak_rss) = measured(async {
        let answers: Vec<Result<Bytes, reqwest::Error>> = stream::iter(bodies)
            .map(|body| {
                let request = http
                    .post(&url)
                    .header("Authorization", &token)
                    .header("Content-Type", "application/json")
                    .body(body);
                async move { request.send().await?.error_for_status()?.bytes().await }
            })
            .buffered(options.concurrency)
            .collect()
            .await;
        // Every answer is read before the first error is returned, so that
        // what was stored is known.
        let mut ids = Vec::new();
        let mut first_error: Option<Box<dyn std::error::Error>> = None;
        for answer in answers {
            let value = answer
                .map_err(Box::from)
                .and_then(|a| serde_json::from_slice::<serde_json::Value>(&a).map_err(Box::from));
            let value = match value {
                Ok(value) => value,
                Err(error) => {
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            for placeholder in value
                .get("resources")
                .and_then(|r| r.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(id) = placeholder["_id"].as_str() {
                    ids.push(id.to_owned());
                }
            }
        }
        (ids, first_error)
    })
    .await;
    let (ids, first_error) = result;
    created.record(ids.iter().map(ObjectId::new));
    if let Some(error) = first_error {
        return Err(error);
    }
    let push_m = Measure {
        time,
        bytes,
        objects: model.len() as u64,
        requests,
        peak_rss,
        rss_before: rss_before(),
    };
    let url = format!("{base}/api/v1/objects/getbulk");
    let chunks: Vec<Bytes> = ids
        .chunks(PullOptions::default().chunk_size)
        .map(|c| Bytes::from(serde_json::to_vec(c).unwrap_or_default()))
        .collect();
    let pull_requests = chunks.len() as u64;
    let (result, time, peak_rss) = measured(async {
        let sizes: Vec<Result<usize, reqwest::Error>> = stream::iter(chunks)
            .map(|body| {
                let request = http
                    .post(&url)
                    .header("Authorization", &token)
                    .header("Content-Type", "application/json")
                    .body(body);
                async move {
                    Ok(request
                        .send()
                        .await?
                        .error_for_status()?
                        .bytes()
                        .await?
                        .len())
                }
            })
            .buffered(PullOptions::default().concurrency)
            .collect()
            .await;
        let mut total = 0u64;
        for size in sizes {
            total += size? as u64;
        }
        Ok::<u64, Box<dyn std::error::Error>>(total)
    })
    .await;
    let pulled_bytes = result?;
    Ok((
        push_m,
        Measure {
            time,
            bytes: pulled_bytes,
            objects: ids.len() as u64,
            requests: pull_requests,
            peak_rss,
            rss_before: rss_before(),
        },
    ))
}

pub(crate) fn secrecy_expose(secret: &speckle::SecretString) -> String {
    use speckle::ExposeSecret;
    secret.expose_secret().to_owned()
}

/// Peak RSS of a streamed push of `n` small objects built lazily.
/// `nonce`: see [`dataset::tag`](crate::dataset::tag).
pub async fn streamed_push_rss(
    client: &Client,
    n: usize,
    nonce: Option<&str>,
    created: &Created,
) -> Result<(Measure, u64), Error> {
    let objects = stream::iter(0..n).map(move |i| {
        let properties = match nonce {
            Some(nonce) => serde_json::json!({"i": i, "bench": nonce}),
            None => serde_json::json!({"i": i}),
        };
        SpeckleObject::from(speckle_types::Point::new(i as f64, 0.5, 0.25))
            .with_properties(properties)
    });
    let options = PushOptions {
        total: Some(n as u64),
        ..PushOptions::default()
    };
    let (outcome, time, peak_rss) =
        measured(speckle_http::bulk::push_stream(client, objects, &options)).await;
    let outcome = created.record_push(outcome)?;
    let m = Measure {
        time,
        bytes: outcome.stats.bytes,
        objects: n as u64,
        requests: outcome.stats.requests,
        peak_rss,
        rss_before: rss_before(),
    };
    Ok((m, outcome.stats.uploaded))
}
