//! Pulling objects: getbulk in chunks, several in flight, yielded in request
//! order as a `Stream`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use speckle_types::{Envelope, ObjectId, SpeckleObject};

use super::progress::{Progress, ProgressFn};
use crate::endpoints::objects::GetBulkObjects;
use crate::execute::{client_redactor, decode_response};
use crate::query::Query;
use crate::redact::Redactor;
use crate::transport::HttpResponse;
use crate::{execute_raw, Client, Endpoint, EnvelopeExt, Error, ErrorKind};

/// How a pull is chunked.
///
/// The real server is fastest at about 100 ids per getbulk with 4 in flight;
/// larger chunks get slower, not faster.
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
/// The stream owns a clone of the client (clones share the connection pool
/// and the session), so it can be moved into a spawned task.
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
pub fn pull(
    client: &Client,
    ids: Vec<ObjectId>,
    options: PullOptions,
) -> BoxStream<'static, Result<Pulled, Error>> {
    let client = client.clone();
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
            let client = client.clone();
            async move { fetch(&client, chunk, query, &sizing).await }
        })
        .buffered(options.concurrency.max(1))
        .map(move |result| {
            let Fetched {
                entries,
                requests,
                bytes,
            } = result?;
            state.objects_done += entries.len() as u64;
            state.requests_done += requests;
            state.bytes_done += bytes;
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

/// One chunk's entries, and the requests and answer bytes it took.
struct Fetched {
    entries: Vec<Pulled>,
    requests: u64,
    bytes: u64,
}

async fn fetch(
    client: &Client,
    ids: Vec<ObjectId>,
    query: Query,
    sizing: &ChunkSizing,
) -> Result<Fetched, Error> {
    // A chunk whose answer is over the client's size limit is asked again
    // in halves, down to single objects: the limit bounds memory, it must
    // not make a model with heavy meshes unreadable.
    let mut pending = vec![ids];
    let mut fetched = Fetched {
        entries: Vec::new(),
        requests: 0,
        bytes: 0,
    };
    while let Some(ids) = pending.pop() {
        match fetch_chunk(client, &ids, &query, sizing).await {
            Ok((entries, bytes)) => {
                fetched.entries.extend(entries);
                fetched.requests += 1;
                fetched.bytes += bytes as u64;
            }
            Err(error) if error.is_response_too_large() && ids.len() > 1 => {
                sizing.halve(ids.len());
                let mut first = ids;
                let second = first.split_off(first.len() / 2);
                pending.push(second);
                pending.push(first);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(fetched)
}

async fn fetch_chunk(
    client: &Client,
    ids: &[ObjectId],
    query: &Query,
    sizing: &ChunkSizing,
) -> Result<(Vec<Pulled>, usize), Error> {
    let endpoint = GetBulkObjects::new(ids.iter().cloned()).with_query(query.clone());
    let body = execute_raw(client, &endpoint).await?;
    let bytes = body.len();
    sizing.observe(ids.len(), bytes);
    let redactor = client_redactor(client);
    let objects = decode_off_thread(body, redactor.clone())
        .await
        .map_err(|e| e.at(GetBulkObjects::ROUTE))?
        .into_resources()
        .map_err(|e| e.at(GetBulkObjects::ROUTE))?;
    check_answer(ids, &objects, &redactor).map_err(|e| e.at(GetBulkObjects::ROUTE))?;
    let entries = ids
        .iter()
        .zip(objects)
        .map(|(id, object)| {
            if object.is_no_permission_stub() {
                Pulled::Unavailable(id.clone())
            } else {
                Pulled::Object(object)
            }
        })
        .collect();
    Ok((entries, bytes))
}

/// Checks a getbulk answer against its request: the server answers exactly
/// one object per requested id, in request order (an unreadable id as a stub
/// carrying that id), so anything else is a broken answer, never data to
/// hand out under the wrong id.
pub(crate) fn check_answer(
    asked: &[ObjectId],
    objects: &[SpeckleObject],
    redactor: &Redactor,
) -> Result<(), Error> {
    // The message quotes the `_id` the server sent: whatever it holds.
    let mismatch = |path: String, what: String| {
        Error::new(ErrorKind::Decode {
            path,
            body: String::new(),
        })
        .with_detail(redactor.text(&what))
    };
    if objects.len() != asked.len() {
        return Err(mismatch(
            "resources".to_owned(),
            format!(
                "the getbulk answer has {} objects for {} requested ids",
                objects.len(),
                asked.len()
            ),
        ));
    }
    for (index, (id, object)) in asked.iter().zip(objects).enumerate() {
        let returned = object.id.as_ref().map(|r| r.as_str());
        // Object ids are hex; the database answers them in lower case.
        if returned.is_some_and(|r| r.eq_ignore_ascii_case(id.as_str())) {
            continue;
        }
        let what = match returned {
            Some(other) => format!(
                "object {index} of the getbulk answer is `{other}`, the request asked for `{id}` there{}",
                if asked.iter().any(|a| a.as_str().eq_ignore_ascii_case(other)) {
                    " (the server's order differs from the request's)"
                } else {
                    " (an id that was not requested)"
                },
                id = id.as_str(),
            ),
            None => format!(
                "object {index} of the getbulk answer has no `_id`, the request asked for `{}` there",
                id.as_str()
            ),
        };
        return Err(mismatch(format!("resources[{index}]._id"), what));
    }
    Ok(())
}

/// Decodes a getbulk answer on a blocking thread when the runtime has
/// several, so that decoding one chunk overlaps with fetching the next
/// (decoding megabytes of coordinates is the pull's main CPU cost).
async fn decode_off_thread(
    body: bytes::Bytes,
    redactor: Redactor,
) -> Result<Envelope<SpeckleObject>, Error> {
    let decode = move || {
        decode_response::<Envelope<SpeckleObject>>(&HttpResponse::new(200, body), false, &redactor)
    };
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
    /// Most ids per request; lowered when an answer was over the size limit.
    max: AtomicUsize,
    target_bytes: usize,
    /// Bytes per object of the latest answer; 0 before the first.
    per_object: AtomicU64,
}

impl ChunkSizing {
    fn new(max: usize, target_bytes: usize) -> Self {
        Self {
            max: AtomicUsize::new(max.max(1)),
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

    /// After an answer of `failed_len` objects went over the size limit:
    /// later chunks ask for at most half as many.
    fn halve(&self, failed_len: usize) {
        self.max
            .fetch_min((failed_len / 2).max(1), Ordering::Relaxed);
    }

    fn next_len(&self) -> usize {
        let max = self.max.load(Ordering::Relaxed);
        match self.per_object.load(Ordering::Relaxed) {
            0 => max,
            per_object => {
                let fitting = (self.target_bytes as u64 / per_object).max(1);
                usize::try_from(fitting).unwrap_or(max).min(max)
            }
        }
    }
}
