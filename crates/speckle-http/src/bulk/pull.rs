//! Pulling objects: getbulk in chunks, several in flight, yielded in request
//! order as a `Stream`.

use futures_util::stream::{self, BoxStream, StreamExt};
use speckle_types::{ObjectId, SpeckleObject};

use super::progress::ProgressFn;
use super::pull_driver::Puller;
use crate::query::Query;
use crate::redact::Redactor;
use crate::{Client, Error, ErrorKind};

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
    /// pile up hundreds of megabytes. Where objects suddenly grow (points,
    /// then meshes), a request for several ids stops reading its answer
    /// past twice this size (at least 1 MiB) and its ids are asked again in
    /// smaller requests.
    pub target_chunk_bytes: usize,
    /// Requests in flight, counting answers that wait for an earlier one to
    /// be handed out (default 4).
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
/// Memory holds at most `concurrency` answers of about `target_chunk_bytes`
/// each (see [`PullOptions`]); they wait for their turn undecoded, and are
/// decoded (on up to two threads of the pull's own) just before they are
/// handed out.
///
/// The stream owns a clone of the client (clones share the connection pool
/// and the session), so it can be moved into a spawned task.
///
/// A failed request ends the stream with its error (after the client's
/// retries), yielded after the entries of the ids before it.
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
    let puller = Puller::new(client, ids, options);
    stream::unfold(puller, |mut puller| async move {
        let answer = puller.next_answer().await?;
        Some((answer, puller))
    })
    .flat_map(|answer: Result<Vec<Pulled>, Error>| match answer {
        Ok(entries) => stream::iter(entries.into_iter().map(Ok)).left_stream(),
        Err(error) => stream::iter(Some(Err(error))).right_stream(),
    })
    .boxed()
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
