//! Pushing objects: hashed, deduplicated, packed by bytes and by count,
//! several requests in flight, split on 413, results in input order.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, Stream, StreamExt};
use speckle_types::{ObjectId, SpeckleObject};

use super::adaptive::{batching_for, Batching};
use super::cache::ObjectCache;
use super::prepare::{check, encode_into, upload_kind, Check, HashKey, UploadKind};
use super::progress::{Progress, ProgressFn};
use super::raw::{encode_raw_into, sort, PushItem, Sorted};
use crate::endpoints::objects::CreateObjects;
use crate::{execute, missing, Client, EnvelopeExt, Error, ErrorKind};

/// How a push is packed and sent.
///
/// The defaults follow measurements of the real server: its cost per request grows faster than
/// linearly with the objects in it, so requests are capped at a few hundred
/// objects as well as by bytes, with a few in flight.
#[derive(Debug, Clone)]
#[must_use]
pub struct PushOptions {
    /// Most objects per request (default 250); with
    /// [`adaptive`](Self::adaptive) on, where requests start from.
    pub max_batch_objects: usize,
    /// Most JSON bytes per request (default 2 MB, well under the server's
    /// 10 MB); a maximum with [`adaptive`](Self::adaptive) on too.
    pub max_batch_bytes: usize,
    /// Requests in flight (default 4).
    pub concurrency: usize,
    /// Gzip request bodies (default off: the server inflates them, but on a
    /// fast network compression costs more than it saves).
    pub gzip: bool,
    /// Skip objects this cache says the server has; record what is uploaded.
    pub cache: Option<Arc<ObjectCache>>,
    /// Called after every finished request.
    pub progress: Option<ProgressFn>,
    /// The number of objects, when the caller knows it (for progress).
    pub total: Option<u64>,
    /// Adapt the objects per request to the rate the server gives (default
    /// on): starting from `max_batch_objects`, requests grow while the
    /// objects per second grow and shrink when they drop, so a server whose
    /// cost per request grows faster than linearly settles near its best
    /// size and one without such a cost gets large requests. Bodies never
    /// exceed `max_batch_bytes` (and shrink with the objects). Off: every
    /// request uses the two limits as given.
    pub adaptive: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            max_batch_objects: 250,
            max_batch_bytes: 2_000_000,
            concurrency: 4,
            gzip: false,
            cache: None,
            progress: None,
            total: None,
            adaptive: true,
        }
    }
}

/// An object that could not be stored; the push went on without it.
#[derive(Debug)]
#[non_exhaustive]
pub struct PushFailure {
    /// Its position in the input.
    pub index: usize,
    /// Its hash, when it got that far.
    pub hash: Option<String>,
    /// Why: an input error (no `type`…), or the server's 413 for an object
    /// that alone exceeds the server's body limit.
    pub error: Error,
}

/// Counters of a push.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushStats {
    /// Objects in the input.
    pub objects: u64,
    /// Objects sent to the server.
    pub uploaded: u64,
    /// Objects identical to an earlier one of the same push (sent once).
    pub deduplicated: u64,
    /// Objects the cache knew (not sent).
    pub cached: u64,
    /// Placeholders in the input (not sent).
    pub placeholders: u64,
    /// Requests made (including 413 splits).
    pub requests: u64,
    /// Request body bytes sent (before gzip).
    pub bytes: u64,
    /// Objects in the largest request sent.
    pub largest_request_objects: u64,
    /// The objects-per-request limit at the end of the push (what
    /// [`PushOptions::adaptive`] settled on; the option itself when off).
    pub final_batch_objects: u64,
    /// The bytes-per-request limit at the end of the push.
    pub final_batch_bytes: u64,
}

/// The result of a push: one id per input object, in input order.
#[derive(Debug, Default)]
pub struct PushOutcome {
    /// The stored id of each input object; `None` for failed ones.
    pub ids: Vec<Option<ObjectId>>,
    /// The objects that could not be stored.
    pub failures: Vec<PushFailure>,
    /// Counters.
    pub stats: PushStats,
}

impl PushOutcome {
    /// The placeholders to put in a stream, in input order.
    ///
    /// # Errors
    /// The first failure, when any object could not be stored: a stream must
    /// not silently miss objects.
    pub fn placeholders(&self) -> Result<Vec<SpeckleObject>, Error> {
        if let Some(failure) = self.failures.first() {
            // The first failure's kind is kept (a 413 stays `is_too_large`).
            return Err(failure.error.restated(format!(
                "{} object(s) could not be stored; the first is at index {}",
                self.failures.len(),
                failure.index
            )));
        }
        self.ids
            .iter()
            .map(|id| {
                id.clone()
                    .map(SpeckleObject::placeholder)
                    .ok_or_else(|| missing("resources"))
            })
            .collect()
    }
}

/// One object of a batch: where its JSON sits in the batch body.
struct Entry {
    index: u32,
    hash: String,
    start: usize,
    end: usize,
}

/// A request body being filled: a JSON array the objects are serialized
/// straight into, and where each one is.
struct Batch {
    body: Vec<u8>,
    entries: Vec<Entry>,
    /// The epoch of the limits it was cut with (for adaptive batching).
    epoch: u64,
}

impl Batch {
    fn new(capacity: usize) -> Self {
        let mut body = Vec::with_capacity(capacity);
        body.push(b'[');
        Self {
            body,
            entries: Vec::new(),
            epoch: 0,
        }
    }

    /// A batch made of some entries of another (for 413 splits).
    fn from_entries(source: &[u8], entries: Vec<Entry>) -> Self {
        let mut batch = Batch::new(entries.iter().map(|e| e.end - e.start + 1).sum::<usize>() + 2);
        for entry in entries {
            if !batch.entries.is_empty() {
                batch.body.push(b',');
            }
            let start = batch.body.len();
            batch
                .body
                .extend_from_slice(source.get(entry.start..entry.end).unwrap_or_default());
            let end = batch.body.len();
            batch.entries.push(Entry {
                start,
                end,
                ..entry
            });
        }
        batch
    }

    fn finish(mut self) -> (Bytes, Vec<Entry>) {
        self.body.push(b']');
        (Bytes::from(self.body), self.entries)
    }
}

/// Builds the JSON array body of one `POST /objects` exactly as push does:
/// each object serialized straight into the body, its content hash written
/// in place, `_id` dropped. For callers with their own sending loop, and for
/// measuring the per-object cost of push.
///
/// ```
/// use speckle_http::bulk::BodyBuilder;
/// use speckle_types::{Point, SpeckleObject};
/// let mut body = BodyBuilder::new();
/// let hash = body.add(&SpeckleObject::from(Point::new(1.0, 2.0, 3.0))).unwrap();
/// assert!(hash.is_some());
/// assert_eq!(body.len(), 1);
/// let json = body.finish();
/// assert!(json.starts_with(b"[{\"hash\":"));
/// ```
pub struct BodyBuilder {
    batch: Batch,
}

impl Default for BodyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyBuilder {
    /// An empty body.
    pub fn new() -> Self {
        Self {
            batch: Batch::new(64 * 1024),
        }
    }

    /// Appends an object and returns its hash; placeholders are not sent and
    /// give `None`.
    ///
    /// # Errors
    /// An object without `type`, or a placeholder without `_id`.
    pub fn add(&mut self, object: &SpeckleObject) -> Result<Option<String>, Error> {
        if upload_kind(object).map_err(Error::invalid_input)? == UploadKind::Placeholder {
            return Ok(None);
        }
        let mark = self.batch.body.len();
        if !self.batch.entries.is_empty() {
            self.batch.body.push(b',');
        }
        let start = self.batch.body.len();
        match encode_into(object, &mut self.batch.body) {
            Ok((_, hash)) => {
                let end = self.batch.body.len();
                self.batch.entries.push(Entry {
                    index: 0,
                    hash: hash.clone(),
                    start,
                    end,
                });
                Ok(Some(hash))
            }
            Err(error) => {
                self.batch.body.truncate(mark);
                Err(error)
            }
        }
    }

    /// Objects in the body.
    pub fn len(&self) -> usize {
        self.batch.entries.len()
    }

    /// Whether no object was added.
    pub fn is_empty(&self) -> bool {
        self.batch.entries.is_empty()
    }

    /// Bytes so far (without the closing bracket).
    pub fn byte_len(&self) -> usize {
        self.batch.body.len()
    }

    /// The finished JSON array.
    pub fn finish(self) -> Bytes {
        self.batch.finish().0
    }
}

/// What the packing stage hands to the sending stage.
enum Work {
    Batch(Batch),
    Resolved(u32, ObjectId, Source),
    Duplicate(u32, u32),
    Failed(u32, Option<String>, Error),
}

#[derive(Clone, Copy)]
enum Source {
    Placeholder,
    Cache,
}

/// What a finished piece of work produced.
#[derive(Default)]
struct Done {
    resolved: Vec<(u32, ObjectId)>,
    failures: Vec<PushFailure>,
    duplicates: Vec<(u32, u32)>,
    requests: u64,
    bytes: u64,
    uploaded: u64,
    cached: u64,
    placeholders: u64,
    /// The request failure that ended this piece of work early.
    error: Option<Error>,
    /// For a batch: the epoch of its limits and its objects.
    batch: Option<(u64, u64)>,
}

/// Packs the input into batches, lazily: only what the sending stage asks
/// for is read, so memory holds the batches in flight, not the model.
struct Packer<S> {
    input: S,
    next_index: u32,
    seen: HashMap<HashKey, u32>,
    batch: Batch,
    ready: VecDeque<Work>,
    cache: Option<Arc<ObjectCache>>,
    max_objects: usize,
    max_bytes: usize,
    batching: Arc<Batching>,
    exhausted: bool,
}

impl<S> Packer<S>
where
    S: Stream + Unpin,
    S::Item: Into<PushItem>,
{
    fn flush(&mut self) {
        if !self.batch.entries.is_empty() {
            let mut full = std::mem::replace(
                &mut self.batch,
                Batch::new(self.max_bytes.min(1 << 24) + 64),
            );
            full.epoch = self.batching.limits().epoch;
            self.ready.push_back(Work::Batch(full));
        }
    }

    fn accept(&mut self, item: PushItem) {
        let limits = self.batching.limits();
        (self.max_objects, self.max_bytes) = (limits.objects, limits.bytes);
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        let sorted = match sort(item) {
            Ok(Sorted::Typed(object)) => check(object).map(|checked| match checked {
                Check::Placeholder(id) => Sorted::Placeholder(id),
                Check::Object(object) => Sorted::Typed(object),
            }),
            other => other,
        };
        let sorted = match sorted {
            Err(error) => return self.ready.push_back(Work::Failed(index, None, error)),
            Ok(Sorted::Placeholder(id)) => {
                return self
                    .ready
                    .push_back(Work::Resolved(index, id, Source::Placeholder))
            }
            Ok(sorted) => sorted,
        };
        // Serialize straight into the batch body; undo if it is not sent.
        let mark = self.batch.body.len();
        if !self.batch.entries.is_empty() {
            self.batch.body.push(b',');
        }
        let start = self.batch.body.len();
        let encoded = match sorted {
            Sorted::Raw(json, hash) => Ok(encode_raw_into(&json, hash, &mut self.batch.body)),
            Sorted::Typed(object) => encode_into(&object, &mut self.batch.body),
            Sorted::Placeholder(_) => {
                self.batch.body.truncate(mark);
                return;
            }
        };
        let (key, hash) = match encoded {
            Ok(encoded) => encoded,
            Err(error) => {
                self.batch.body.truncate(mark);
                return self.ready.push_back(Work::Failed(index, None, error));
            }
        };
        let end = self.batch.body.len();
        if let Some(first) = self.seen.get(&key) {
            self.batch.body.truncate(mark);
            return self.ready.push_back(Work::Duplicate(index, *first));
        }
        self.seen.insert(key, index);
        if let Some(id) = self.cache.as_ref().and_then(|c| c.lookup(&key)) {
            self.batch.body.truncate(mark);
            return self
                .ready
                .push_back(Work::Resolved(index, id, Source::Cache));
        }
        let entry = Entry {
            index,
            hash,
            start,
            end,
        };
        let over = self.batch.entries.len() >= self.max_objects || end + 1 > self.max_bytes;
        if !self.batch.entries.is_empty() && over {
            // It does not fit: close the batch without it and start the next with it.
            let json = self.batch.body.get(start..end).unwrap_or_default().to_vec();
            self.batch.body.truncate(mark);
            self.flush();
            let start = self.batch.body.len();
            self.batch.body.extend_from_slice(&json);
            let end = self.batch.body.len();
            self.batch.entries.push(Entry {
                start,
                end,
                ..entry
            });
        } else {
            self.batch.entries.push(entry);
        }
        if self.batch.entries.len() >= self.max_objects
            || self.batch.body.len() + 1 >= self.max_bytes
        {
            self.flush();
        }
    }

    async fn next_work(&mut self) -> Option<Work> {
        loop {
            if let Some(work) = self.ready.pop_front() {
                return Some(work);
            }
            if self.exhausted {
                return None;
            }
            match self.input.next().await {
                Some(item) => self.accept(item.into()),
                None => {
                    self.exhausted = true;
                    self.flush();
                }
            }
        }
    }
}

/// Pushes objects from a `Stream` (see [`PushOptions`]). Identical objects are
/// sent once; objects without a hash get one ([`content_hash`](super::content_hash));
/// a 413 splits the request in halves down to single objects, and an object
/// that alone is too large is reported in [`PushOutcome::failures`], never
/// dropped silently.
///
/// # Errors
/// A request that failed for another reason (after the client's retries).
/// The push then stops reading its input, lets the requests already in
/// flight finish, and returns the error with what was stored until then in
/// [`Error::push_outcome`]: the ids of the objects stored (`None` for the
/// others) and the counters. Pushing the same objects again is safe and
/// stores nothing twice, since the server keeps one object per hash; with a
/// [`PushOptions::cache`], the objects already stored are not even sent again.
///
/// A request the server refused as too large, or whose connection broke
/// while its body was being sent, is split; a server that cannot be reached
/// at all fails the push after the retry policy's attempts, without splitting.
pub async fn push_stream<S>(
    client: &Client,
    objects: S,
    options: &PushOptions,
) -> Result<PushOutcome, Error>
where
    S: Stream + Unpin + Send,
    S::Item: Into<PushItem>,
{
    let batching = Arc::new(batching_for(options));
    let packer = Packer {
        input: objects,
        next_index: 0,
        seen: HashMap::new(),
        batch: Batch::new(options.max_batch_bytes.clamp(1, 1 << 24) + 64),
        ready: VecDeque::new(),
        cache: options.cache.clone(),
        max_objects: options.max_batch_objects.max(1),
        max_bytes: options.max_batch_bytes.max(1),
        batching: batching.clone(),
        exhausted: false,
    };
    // Set on the first failure: no new work is read after it, while the
    // requests in flight finish so that what they stored is reported.
    let stopped = Arc::new(AtomicBool::new(false));
    let read = Arc::new(AtomicU64::new(0));
    let work = {
        let stopped = stopped.clone();
        let read = read.clone();
        stream::unfold(packer, move |mut packer| {
            let stopped = stopped.clone();
            let read = read.clone();
            async move {
                if stopped.load(Ordering::Relaxed) {
                    return None;
                }
                let work = packer.next_work().await?;
                read.store(u64::from(packer.next_index), Ordering::Relaxed);
                Some((work, packer))
            }
        })
    };
    let results = work
        .map(|work| run(client, work, options))
        .buffer_unordered(options.concurrency.max(1));
    let mut results = std::pin::pin!(results);

    let mut outcome = PushOutcome::default();
    let mut duplicates = Vec::new();
    let mut first_error = None;
    let mut progress = Progress {
        objects_total: options.total,
        ..Progress::default()
    };
    while let Some(done) = results.next().await {
        if let Some(error) = done.error {
            stopped.store(true, Ordering::Relaxed);
            first_error.get_or_insert(error);
        } else if let Some((epoch, objects)) = done.batch {
            batching.finished(epoch, objects, done.bytes, Instant::now());
            outcome.stats.largest_request_objects =
                outcome.stats.largest_request_objects.max(objects);
        }
        let handled = done.resolved.len() + done.failures.len() + done.duplicates.len();
        for (index, id) in done.resolved {
            set(&mut outcome.ids, index, Some(id));
        }
        for failure in done.failures {
            set(&mut outcome.ids, failure.index as u32, None);
            outcome.failures.push(failure);
        }
        duplicates.extend(done.duplicates);
        let stats = &mut outcome.stats;
        stats.requests += done.requests;
        stats.bytes += done.bytes;
        stats.uploaded += done.uploaded;
        stats.cached += done.cached;
        stats.placeholders += done.placeholders;
        progress.objects_done += handled as u64;
        progress.bytes_done += done.bytes;
        progress.requests_done += done.requests;
        if let Some(report) = &options.progress {
            report.report(progress);
        }
    }
    for (index, first) in duplicates {
        let id = outcome.ids.get(first as usize).cloned().flatten();
        // After a failed push, the first copy may simply not have been sent.
        if id.is_none() && first_error.is_none() {
            outcome.failures.push(PushFailure {
                index: index as usize,
                hash: None,
                error: Error::invalid_input(format!(
                    "identical to object {first}, which could not be stored"
                )),
            });
        }
        set(&mut outcome.ids, index, id);
        outcome.stats.deduplicated += 1;
    }
    outcome.failures.sort_by_key(|f| f.index);
    let read = usize::try_from(read.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
    if outcome.ids.len() < read {
        outcome.ids.resize(read, None);
    }
    outcome.stats.objects = outcome.ids.len() as u64;
    let limits = batching.limits();
    outcome.stats.final_batch_objects = limits.objects as u64;
    outcome.stats.final_batch_bytes = limits.bytes as u64;
    // Flushed on failure too: what was stored is known to the next push.
    let flushed = match &options.cache {
        Some(cache) => cache.flush(),
        None => Ok(()),
    };
    match first_error {
        Some(error) => Err(error.with_push_outcome(outcome)),
        None => flushed.map(|()| outcome),
    }
}

/// [`push_stream`] for anything iterable (a `Vec`, an iterator that builds
/// objects lazily). The total for progress is taken from the iterator's size
/// hint when exact.
///
/// # Errors
/// See [`push_stream`].
pub async fn push<I>(
    client: &Client,
    objects: I,
    options: &PushOptions,
) -> Result<PushOutcome, Error>
where
    I: IntoIterator,
    I::Item: Into<PushItem>,
    I::IntoIter: Send,
{
    let iter = objects.into_iter();
    let mut options = options.clone();
    if options.total.is_none() {
        if let (low, Some(high)) = iter.size_hint() {
            if low == high {
                options.total = Some(low as u64);
            }
        }
    }
    push_stream(client, stream::iter(iter), &options).await
}

fn set(ids: &mut Vec<Option<ObjectId>>, index: u32, id: Option<ObjectId>) {
    let index = index as usize;
    if ids.len() <= index {
        ids.resize(index + 1, None);
    }
    if let Some(slot) = ids.get_mut(index) {
        *slot = id;
    }
}

async fn run(client: &Client, work: Work, options: &PushOptions) -> Done {
    let mut done = Done::default();
    match work {
        Work::Resolved(index, id, source) => {
            match source {
                Source::Cache => done.cached += 1,
                Source::Placeholder => done.placeholders += 1,
            }
            done.resolved.push((index, id));
        }
        Work::Duplicate(index, first) => done.duplicates.push((index, first)),
        Work::Failed(index, hash, error) => done.failures.push(PushFailure {
            index: index as usize,
            hash,
            error,
        }),
        Work::Batch(batch) => {
            done.batch = Some((batch.epoch, batch.entries.len() as u64));
            // What parts of a split batch stored stays in `done`.
            if let Err(error) = send(client, batch, options, &mut done).await {
                done.error = Some(error);
            }
        }
    }
    done
}

/// Whether the connection failed after it was opened (the request may have
/// been cut while its body was written).
fn broke_mid_request(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Transport { not_sent: false })
}

/// Sends one batch; on 413 sends its halves, down to single objects.
fn send<'a>(
    client: &'a Client,
    batch: Batch,
    options: &'a PushOptions,
    done: &'a mut Done,
) -> BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        let (body, mut entries) = batch.finish();
        let count = entries.len();
        done.requests += 1;
        done.bytes += body.len() as u64;
        let endpoint = CreateObjects::prepared(body.clone(), count).gzip(options.gzip);
        match execute(client, &endpoint).await {
            Ok(envelope) => {
                let placeholders = envelope.into_resources()?;
                if placeholders.len() != count {
                    return Err(missing(&format!(
                        "resources: {count} objects sent, {} placeholders returned",
                        placeholders.len()
                    )));
                }
                for (entry, placeholder) in entries.into_iter().zip(placeholders) {
                    let id = placeholder.id.ok_or_else(|| missing("resources[]._id"))?;
                    if let Some(cache) = &options.cache {
                        cache.insert(&entry.hash, &id)?;
                    }
                    done.uploaded += 1;
                    done.resolved.push((entry.index, id));
                }
                Ok(())
            }
            // A server that refuses a body early may close the connection
            // while it is still being written, which looks like a broken
            // pipe rather than a 413. Halving never loses an object (they are
            // content-addressed), so a multi-object batch whose connection
            // broke after it was opened is split too. A connection that could
            // not be opened says nothing about size: splitting would only
            // multiply the attempts against a server that is not there.
            Err(error) if (error.is_too_large() || broke_mid_request(&error)) && count > 1 => {
                let second = entries.split_off(count / 2);
                send(client, Batch::from_entries(&body, entries), options, done).await?;
                send(client, Batch::from_entries(&body, second), options, done).await
            }
            Err(error) if error.is_too_large() => {
                let entry = entries.into_iter().next();
                done.failures.push(PushFailure {
                    index: entry.as_ref().map_or(0, |e| e.index as usize),
                    hash: entry.map(|e| e.hash),
                    error,
                });
                Ok(())
            }
            Err(error) => Err(error),
        }
    })
}
