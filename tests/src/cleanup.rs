//! Deleting what a test created on the server, whether the test passed or
//! failed midway: on a shared server a failed run must not leave its streams,
//! projects, comments, api clients and objects behind.
//!
//! A test registers each thing it creates in a [`Ledger`] as soon as the
//! server answers; [`with_cleanup`] runs the test body as a task, then deletes
//! everything in the ledger (newest first, so an api client goes before its
//! stream), then re-raises the body's panic, if any. Deleting what the body
//! already deleted itself is fine: "not found" counts as gone.
//!
//! Users cannot be deleted: the v1 API has no route for it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::{stream, StreamExt};
use speckle::{ClientId, CommentId, ObjectId, ProjectId, SpeckleClient, StreamId};

/// How many object deletions run at once: one request per object.
const OBJECT_DELETIONS_IN_FLIGHT: usize = 8;

/// Something deletable a test created, with the client of its owner.
enum Created {
    Stream(StreamId),
    Project(ProjectId),
    Comment(CommentId),
    ApiClient(ClientId),
    Objects(Vec<ObjectId>),
}

/// What a test created, to be deleted at the end. Cheap to clone.
#[derive(Clone, Default)]
pub struct Ledger {
    created: Arc<Mutex<Vec<(SpeckleClient, Created)>>>,
}

impl Ledger {
    fn note(&self, owner: &SpeckleClient, created: Created) {
        if let Ok(mut list) = self.created.lock() {
            list.push((owner.clone(), created));
        }
    }

    /// A stream `owner` may delete.
    pub fn stream(&self, owner: &SpeckleClient, id: &StreamId) {
        self.note(owner, Created::Stream(id.clone()));
    }

    /// A project `owner` may delete.
    pub fn project(&self, owner: &SpeckleClient, id: &ProjectId) {
        self.note(owner, Created::Project(id.clone()));
    }

    /// A comment (or reply) `owner` wrote.
    pub fn comment(&self, owner: &SpeckleClient, id: &CommentId) {
        self.note(owner, Created::Comment(id.clone()));
    }

    /// An api client on a stream `owner` may write.
    pub fn api_client(&self, owner: &SpeckleClient, id: &ClientId) {
        self.note(owner, Created::ApiClient(id.clone()));
    }

    /// Objects `owner` stored (duplicates and `None`s are fine).
    pub fn objects<'a>(
        &self,
        owner: &SpeckleClient,
        ids: impl IntoIterator<Item = &'a Option<ObjectId>>,
    ) {
        let mut ids: Vec<ObjectId> = ids.into_iter().flatten().cloned().collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids.dedup();
        self.note(owner, Created::Objects(ids));
    }

    /// Deletes everything noted, newest first; returns what could not be
    /// deleted (a thing already gone is not a failure).
    pub async fn delete_all(&self) -> Vec<String> {
        let created = match self.created.lock() {
            Ok(mut list) => std::mem::take(&mut *list),
            Err(_) => return vec!["the ledger's lock was poisoned".to_owned()],
        };
        let mut failures = Vec::new();
        for (owner, thing) in created.into_iter().rev() {
            match thing {
                Created::Stream(id) => {
                    let result = owner.streams().delete(&id).await.map(drop);
                    note_failure(&mut failures, format!("stream {id}"), result);
                }
                Created::Project(id) => {
                    // A missing project is answered 400 with an empty
                    // message, not "not found": ask whether it still exists.
                    let result = match owner.projects().delete(&id).await {
                        Ok(_) => Ok(()),
                        Err(error) => match owner.projects().get(&id).await {
                            Err(gone) if gone.is_not_found() => Ok(()),
                            _ => Err(error),
                        },
                    };
                    note_failure(&mut failures, format!("project {id}"), result);
                }
                Created::Comment(id) => {
                    let result = owner.comments().delete(&id).await;
                    note_failure(&mut failures, format!("comment {id}"), result);
                }
                Created::ApiClient(id) => {
                    let result = owner.api_clients().delete(&id).await;
                    note_failure(&mut failures, format!("api client {id}"), result);
                }
                Created::Objects(ids) => {
                    let results: Vec<_> = stream::iter(ids)
                        .map(|id| {
                            let owner = owner.clone();
                            async move {
                                let result = owner.objects().delete(&id).await;
                                (id, result)
                            }
                        })
                        .buffer_unordered(OBJECT_DELETIONS_IN_FLIGHT)
                        .collect()
                        .await;
                    for (id, result) in results {
                        note_failure(&mut failures, format!("object {id}"), result);
                    }
                }
            }
        }
        failures
    }
}

fn note_failure(failures: &mut Vec<String>, what: String, result: Result<(), speckle::Error>) {
    match result {
        Ok(()) => {}
        Err(error) if error.is_not_found() => {} // deleted already: gone is gone
        Err(error) => failures.push(format!("{what}: {error}")),
    }
}

/// Runs `body` with a fresh ledger, then deletes everything it noted, then
/// gives the body's result or re-raises its panic. A clean body with a failed cleanup fails too:
/// the suite promises to leave nothing deletable behind.
///
/// # Panics
/// When the body panicked (its own panic), or something could not be deleted.
#[allow(clippy::panic)] // test harness: a failed test is a panic
pub async fn with_cleanup<T, F, Fut>(body: F) -> T
where
    F: FnOnce(Ledger) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let ledger = Ledger::default();
    // A task, so that a failed assertion ends the body, not the test: the
    // cleanup below still runs.
    let outcome = tokio::spawn(body(ledger.clone())).await;
    let failures = ledger.delete_all().await;
    match outcome {
        Ok(value) => {
            assert!(failures.is_empty(), "left behind: {failures:?}");
            value
        }
        Err(error) => {
            if !failures.is_empty() {
                crate::target::say(&format!("also left behind: {}", failures.join("; ")));
            }
            match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(error) => panic!("the test body did not finish: {error}"),
            }
        }
    }
}
