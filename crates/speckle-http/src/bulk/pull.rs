//! Pulling objects: getbulk in chunks, several in flight, yielded in request
//! order as a `Stream`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use speckle_types::{Envelope, ObjectId, SpeckleObject};

use super::progress::{Progress, ProgressFn};
use crate::endpoints::objects::GetBulkObjects;
use crate::execute::decode_response;
use crate::query::Query;
use crate::transport::HttpResponse;
use crate::{execute_raw, missing, Client, Endpoint, EnvelopeExt, Error, ErrorKind};

/// How a pull is chunked.
///
/// The real server is fastest at about 100 ids per getbulk with 4 in flight;
/// larger chunks get slower, not faster (fact sheet performance notes).
#[derive(Debug, Clone)]
#[must_use]
pub struct PullOptions {
    /// Most ids per request (default 100).
    pub chunk_size: usize,
    /// Aimed-at answer size per request (default 4 MB). Object sizes are
    /// unknown until they arrive, so the pull measures the bytes per object
    /// of the answers so far and shrinks later requests to about this size:
    /// memory follows bytes in flight, not objects, and heavy meshes do not
    /// pile up hundreds of megabytes.
    pub target_chunk_bytes: usize,
    /// Requests in flight (default 4).
    pub concurrency: usize,
    /// `fields`/`omit`/filters applied to every request (the server always
    /// adds `_id`, `type`, `private`, `canRead`, `canWrite`, `owner`).
    pub query: Query,
    /// Called after every finished request.
    pub progress: Option<ProgressFn>,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            chunk_size: 100,
            target_chunk_bytes: 4_000_000,
            concurrency: 4,
            query: Query::new(),
            progress: None,
        }
    }
}

/// One pulled entry. Exhaustive on purpose: an id either comes back or not.
#[derive(Debug, Clone, PartialEq)]
// Entries are handed over one at a time; boxing every object would cost an
// allocation each for no gain.
#[allow(clippy::large_enum_variant)]
pub enum Pulled {
    /// The object.
    Object(SpeckleObject),
    /// The server answered its "no permission" stub: the object does not
    /// exist, is not readable, or was filtered out by the query.
    Unavailable(ObjectId),
}

impl Pulled {
    /// The object, if it was available.
    pub fn into_object(self) -> Option<SpeckleObject> {
        match self {
            Pulled::Object(object) => Some(object),
            Pulled::Unavailable(_) => None,
        }
    }
}

/// Pulls `ids` (duplicates included) and yields one entry per id, in order.
/// Memory holds at most `concurrency` chunks.
///
/// A failed request ends the stream with its error (after the client's
/// retries).
///
/// ```no_run
/// # async fn demo(client: speckle_http::Client, ids: Vec<speckle_types::ObjectId>) -> Result<(), speckle_http::Error> {
/// use futures_util::StreamExt;
/// use speckle_http::bulk::{pull, Pulled, PullOptions};
/// let mut objects = pull(&client, ids, PullOptions::default());
/// while let Some(entry) = objects.next().await {
///     match entry? {
///         Pulled::Object(object) => println!("{:?}", object.kind),
///         Pulled::Unavailable(id) => eprintln!("cannot read {id}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub fn pull<'a>(
    client: &'a Client,
    ids: Vec<ObjectId>,
    options: PullOptions,
) -> BoxStream<'a, Result<Pulled, Error>> {
    let total = ids.len() as u64;
    let query = options.query.clone();
    let progress = options.progress.clone();
    let mut state = Progress {
        objects_total: Some(total),
        ..Progress::default()
    };
    let sizing = Arc::new(ChunkSizing::new(
        options.chunk_size,
        options.target_chunk_bytes,
    ));
    let chunks = {
        let sizing = sizing.clone();
        let mut ids = ids.into_iter().peekable();
        // Chunks are cut lazily, when a request slot frees up, so each one
        // uses the sizes measured so far.
        stream::iter(std::iter::from_fn(move || {
            ids.peek()?;
            Some(
                ids.by_ref()
                    .take(sizing.next_len())
                    .collect::<Vec<ObjectId>>(),
            )
        }))
    };
    chunks
        .map(move |chunk| {
            let query = query.clone();
            let sizing = sizing.clone();
            async move { fetch(client, chunk, query, &sizing).await }
        })
        .buffered(options.concurrency.max(1))
        .map(move |result| {
            let entries = result?;
            state.objects_done += entries.len() as u64;
            state.requests_done += 1;
            if let Some(report) = &progress {
                report.report(state);
            }
            Ok(entries)
        })
        .flat_map(|result: Result<Vec<Pulled>, Error>| match result {
            Ok(entries) => stream::iter(entries.into_iter().map(Ok).collect::<Vec<_>>()).boxed(),
            Err(error) => stream::iter(vec![Err(error)]).boxed(),
        })
        .boxed()
}

async fn fetch(
    client: &Client,
    ids: Vec<ObjectId>,
    query: Query,
    sizing: &ChunkSizing,
) -> Result<Vec<Pulled>, Error> {
    let endpoint = GetBulkObjects::new(ids.iter().cloned()).with_query(query);
    let body = execute_raw(client, &endpoint).await?;
    sizing.observe(ids.len(), body.len());
    let objects = decode_off_thread(body)
        .await
        .map_err(|e| e.at(GetBulkObjects::ROUTE))?
        .into_resources()?;
    if objects.len() != ids.len() {
        return Err(missing(&format!(
            "resources: {} ids asked, {} objects returned",
            ids.len(),
            objects.len()
        )));
    }
    Ok(ids
        .into_iter()
        .zip(objects)
        .map(|(id, object)| {
            if object.is_no_permission_stub() {
                Pulled::Unavailable(id)
            } else {
                Pulled::Object(object)
            }
        })
        .collect())
}

/// Decodes a getbulk answer on a blocking thread when the runtime has
/// several, so that decoding one chunk overlaps with fetching the next
/// (decoding megabytes of coordinates is the pull's main CPU cost).
async fn decode_off_thread(body: bytes::Bytes) -> Result<Envelope<SpeckleObject>, Error> {
    let decode =
        move || decode_response::<Envelope<SpeckleObject>>(&HttpResponse::new(200, body), false);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            handle.spawn_blocking(decode).await.unwrap_or_else(|join| {
                Err(Error::new(ErrorKind::Decode {
                    path: String::new(),
                    body: String::new(),
                })
                .with_source(join))
            })
        }
        _ => decode(),
    }
}

/// How many ids the next getbulk asks for: at most `max`, and about
/// `target_bytes` of answer given the bytes per object of the latest answer
/// (the latest, not an average: models often go from thousands of small
/// objects to a few huge meshes).
#[derive(Debug)]
struct ChunkSizing {
    max: usize,
    target_bytes: usize,
    /// Bytes per object of the latest answer; 0 before the first.
    per_object: AtomicU64,
}

impl ChunkSizing {
    fn new(max: usize, target_bytes: usize) -> Self {
        Self {
            max: max.max(1),
            target_bytes: target_bytes.max(1),
            per_object: AtomicU64::new(0),
        }
    }

    fn observe(&self, objects: usize, bytes: usize) {
        if let Some(per_object) = bytes.checked_div(objects) {
            self.per_object
                .store(per_object.max(1) as u64, Ordering::Relaxed);
        }
    }

    fn next_len(&self) -> usize {
        match self.per_object.load(Ordering::Relaxed) {
            0 => self.max,
            per_object => {
                let fitting = (self.target_bytes as u64 / per_object).max(1);
                usize::try_from(fitting).unwrap_or(self.max).min(self.max)
            }
        }
    }
}
