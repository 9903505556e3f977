//! A running pull: requests in flight, answers waiting for their turn, and
//! the one answer being decoded.
//!
//! Answers wait for their turn as the bytes they arrived as: decoded, a
//! mesh's numbers take several times the bytes of their JSON text. Only the
//! answers handed out next are decoded (one per decoding thread, see
//! [`Decoder`]) while the caller goes through the previous one, so memory
//! holds the answers in flight plus at most three decoded ones.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use speckle_types::{Envelope, ObjectId, SpeckleObject};

use super::decoder::Decoder;
use super::progress::{Progress, ProgressFn};
use super::pull::{check_answer, PullOptions, Pulled};
use super::pull_schedule::Schedule;
use super::pull_sizing::{answer_cap, ChunkSizing};
use crate::endpoints::objects::GetBulkObjects;
use crate::execute::{client_redactor, decode_response, execute_raw_within};
use crate::query::Query;
use crate::transport::HttpResponse;
use crate::{Client, Endpoint, EnvelopeExt, Error, ErrorKind};

/// What happened to one request.
enum Event {
    /// Its answer arrived (or the request failed).
    Fetched(Range<usize>, Result<Bytes, Error>),
    /// Its answer was decoded (or could not be).
    Decoded(Range<usize>, Result<Vec<Pulled>, Error>),
}

/// An answer waiting for its turn.
struct Waiting {
    range: Range<usize>,
    /// The size of the answer, for the progress report.
    bytes: usize,
    stage: Stage,
}

enum Stage {
    /// As it arrived.
    Body(Bytes),
    /// On the decoding thread.
    Decoding,
    /// Ready to hand out.
    Done(Result<Vec<Pulled>, Error>),
}

/// What every request of a pull shares.
struct Shared {
    client: Client,
    query: Query,
    ids: Arc<[ObjectId]>,
    decoder: Decoder,
}

/// The state of a pull between two answers handed out.
pub(super) struct Puller {
    shared: Arc<Shared>,
    schedule: Schedule,
    sizing: ChunkSizing,
    /// See [`answer_cap`].
    cap: u64,
    events: FuturesUnordered<BoxFuture<'static, Event>>,
    /// By position.
    waiting: BTreeMap<usize, Waiting>,
    progress: Option<ProgressFn>,
    state: Progress,
    /// After a failure was handed out.
    ended: bool,
}

impl Puller {
    pub(super) fn new(client: &Client, ids: Vec<ObjectId>, options: PullOptions) -> Self {
        Self {
            schedule: Schedule::new(ids.len(), options.concurrency),
            sizing: ChunkSizing::new(options.chunk_size, options.target_chunk_bytes),
            cap: answer_cap(options.target_chunk_bytes),
            progress: options.progress,
            state: Progress {
                objects_total: Some(ids.len() as u64),
                ..Progress::default()
            },
            shared: Arc::new(Shared {
                client: client.clone(),
                query: options.query,
                ids: ids.into(),
                decoder: Decoder::default(),
            }),
            events: FuturesUnordered::new(),
            waiting: BTreeMap::new(),
            ended: false,
        }
    }

    /// The entries of the next request in position order, or the failure
    /// that ends the pull.
    pub(super) async fn next_answer(&mut self) -> Option<Result<Vec<Pulled>, Error>> {
        loop {
            if self.ended || self.schedule.finished() {
                return None;
            }
            if let Some(answer) = self.take_next() {
                // The next one decodes while the caller goes through this.
                self.decode_next();
                return Some(answer);
            }
            self.decode_next();
            self.send_requests();
            // Nothing to wait for with positions left would be a
            // bookkeeping bug; ending beats waiting forever.
            match self.events.next().await? {
                Event::Fetched(range, Ok(body)) => {
                    self.sizing.observe(range.len(), body.len() as u64);
                    let bytes = body.len();
                    let stage = Stage::Body(body);
                    self.wait(range, bytes, stage);
                }
                Event::Fetched(range, Err(error))
                    if range.len() > 1 && error.is_response_too_large() =>
                {
                    self.resize_after(&error, range.len());
                    self.schedule.give_back(range);
                }
                Event::Fetched(range, Err(error)) => {
                    // Ids not asked for yet never will be; the failure
                    // waits for the entries before it.
                    self.schedule.stop_new_ids();
                    self.wait(range, 0, Stage::Done(Err(error)));
                }
                Event::Decoded(range, result) => {
                    if let Some(waiting) = self.waiting.get_mut(&range.start) {
                        waiting.stage = Stage::Done(result);
                    }
                }
            }
        }
    }

    fn wait(&mut self, range: Range<usize>, bytes: usize, stage: Stage) {
        self.waiting.insert(
            range.start,
            Waiting {
                range,
                bytes,
                stage,
            },
        );
    }

    /// The next answer in position order, if it is decoded.
    fn take_next(&mut self) -> Option<Result<Vec<Pulled>, Error>> {
        let next = self.schedule.next_to_hand_out();
        if !matches!(self.waiting.get(&next)?.stage, Stage::Done(_)) {
            return None;
        }
        let Waiting {
            range,
            bytes,
            stage,
        } = self.waiting.remove(&next)?;
        self.schedule.handed_out(&range);
        let Stage::Done(result) = stage else {
            return None;
        };
        match result {
            Ok(entries) => {
                self.state.objects_done += entries.len() as u64;
                self.state.requests_done += 1;
                self.state.bytes_done += bytes as u64;
                if let Some(report) = &self.progress {
                    report.report(self.state);
                }
                Some(Ok(entries))
            }
            Err(error) => {
                self.ended = true;
                Some(Err(error))
            }
        }
    }

    /// Starts decoding the answers handed out next, in order, as many at
    /// once as the pull has decoding threads, as far as they have arrived
    /// without a gap.
    fn decode_next(&mut self) {
        let mut next = self.schedule.next_to_hand_out();
        for _ in 0..Decoder::threads() {
            let Some(waiting) = self.waiting.get(&next) else {
                return;
            };
            let end = waiting.range.end;
            self.decode_at(next);
            next = end;
        }
    }

    /// Starts decoding the answer at position `next`, unless it is
    /// decoding or decoded already.
    fn decode_at(&mut self, next: usize) {
        let Some(waiting) = self.waiting.get_mut(&next) else {
            return;
        };
        if !matches!(waiting.stage, Stage::Body(_)) {
            return;
        }
        let Stage::Body(body) = std::mem::replace(&mut waiting.stage, Stage::Decoding) else {
            return;
        };
        let range = waiting.range.clone();
        let shared = self.shared.clone();
        self.events.push(Box::pin(async move {
            let job = {
                let shared = shared.clone();
                let range = range.clone();
                move || decode(&shared, &range, body)
            };
            let result = shared.decoder.run(job).await.unwrap_or_else(|gone| {
                Err(Error::new(ErrorKind::Decode {
                    path: String::new(),
                    body: String::new(),
                })
                .with_source(gone)
                .at(GetBulkObjects::ROUTE))
            });
            Event::Decoded(range, result)
        }));
    }

    /// Sends requests while slots are free.
    fn send_requests(&mut self) {
        while let Some(range) = self.schedule.next_request(self.sizing.next_len()) {
            // A single object may be as large as the client allows.
            let limit = if range.len() > 1 { self.cap } else { u64::MAX };
            let shared = self.shared.clone();
            self.events.push(Box::pin(async move {
                let result = fetch(&shared, &range, limit).await;
                Event::Fetched(range, result)
            }));
        }
    }

    /// Learns from an answer for `len` ids that was over a limit.
    fn resize_after(&mut self, error: &Error, len: usize) {
        let ErrorKind::ResponseTooLarge { limit, announced } = *error.kind() else {
            return;
        };
        // Past the caller's own limit, later requests ask for fewer ids
        // too (past the cap, the sizes below do that).
        if limit >= self.shared.client.max_response_bytes() {
            self.sizing.halve(len);
        }
        // The announced size gives the bytes per object of these ids. An
        // answer without one was cut off at the limit and is larger by an
        // unknown amount: taken as twice the limit, so that the next
        // requests aim below the target rather than above it (a request
        // sized from the limit alone would bring at least the target).
        self.sizing
            .observe(len, announced.unwrap_or(limit.saturating_mul(2)));
    }
}

/// One getbulk request for the ids at `range`, its answer cut off past
/// `limit` bytes.
async fn fetch(shared: &Shared, range: &Range<usize>, limit: u64) -> Result<Bytes, Error> {
    let ids = shared.ids.get(range.clone()).unwrap_or_default();
    let endpoint = GetBulkObjects::new(ids.iter().cloned()).with_query(shared.query.clone());
    execute_raw_within(&shared.client, &endpoint, limit).await
}

/// Decodes and checks the answer for the ids at `range`.
fn decode(shared: &Shared, range: &Range<usize>, body: Bytes) -> Result<Vec<Pulled>, Error> {
    let ids = shared.ids.get(range.clone()).unwrap_or_default();
    let redactor = client_redactor(&shared.client);
    let objects =
        decode_response::<Envelope<SpeckleObject>>(&HttpResponse::new(200, body), false, &redactor)
            .and_then(|envelope| envelope.into_resources())
            .map_err(|e| e.at(GetBulkObjects::ROUTE))?;
    check_answer(ids, &objects, &redactor).map_err(|e| e.at(GetBulkObjects::ROUTE))?;
    Ok(ids
        .iter()
        .zip(objects)
        .map(|(id, object)| {
            if object.is_no_permission_stub() {
                Pulled::Unavailable(id.clone())
            } else {
                Pulled::Object(object)
            }
        })
        .collect())
}
