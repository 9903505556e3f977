//! Deleting what a strategy left on a server given with `--server`: its
//! stream, then its objects (deleting a stream keeps its objects), a few
//! requests in flight. Never measured.

use futures_util::{stream, StreamExt};
use speckle_http::endpoints::objects::DeleteObject;
use speckle_http::endpoints::streams::DeleteStream;
use speckle_http::{execute, Client};
use speckle_types::{ObjectId, StreamId};

/// Deletes in flight: quick on a server that answers fast, and not a flood
/// on one that does not.
const IN_FLIGHT: usize = 8;

/// What a cleanup did, summed over the strategies by the parent process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleanup {
    pub streams_deleted: u64,
    pub objects_deleted: u64,
    pub streams_left: u64,
    pub objects_left: u64,
}

impl Cleanup {
    /// Nothing could be deleted.
    pub fn failed(objects: usize) -> Self {
        Self {
            streams_left: 1,
            objects_left: objects as u64,
            ..Self::default()
        }
    }

    /// One line of text, for the parent process.
    pub fn encode(&self) -> String {
        format!(
            "{} {} {} {}",
            self.streams_deleted, self.objects_deleted, self.streams_left, self.objects_left
        )
    }

    /// Reads [`encode`](Self::encode)'s line.
    pub fn decode(line: &str) -> Option<Self> {
        let n: Vec<u64> = line
            .split_whitespace()
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        let [streams_deleted, objects_deleted, streams_left, objects_left] = n.as_slice() else {
            return None;
        };
        Some(Self {
            streams_deleted: *streams_deleted,
            objects_deleted: *objects_deleted,
            streams_left: *streams_left,
            objects_left: *objects_left,
        })
    }

    pub fn add(&mut self, other: Self) {
        self.streams_deleted += other.streams_deleted;
        self.objects_deleted += other.objects_deleted;
        self.streams_left += other.streams_left;
        self.objects_left += other.objects_left;
    }
}

/// Deletes `stream`, then `objects`; says on stderr what could not be.
pub async fn delete(client: &Client, stream: &StreamId, mut objects: Vec<ObjectId>) -> Cleanup {
    let mut done = Cleanup::default();
    match execute(client, &DeleteStream::new(stream.clone())).await {
        Ok(_) => done.streams_deleted += 1,
        Err(error) => {
            eprintln!("bench: could not delete stream {stream}: {error}");
            done.streams_left += 1;
        }
    }
    // A model with repeated objects stores them once.
    objects.sort_unstable();
    objects.dedup();
    let results: Vec<_> = stream::iter(objects)
        .map(|id| async move {
            execute(client, &DeleteObject::new(id.clone()))
                .await
                .map_err(|error| (id, error))
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut first_failure = None;
    for result in results {
        match result {
            Ok(_) => done.objects_deleted += 1,
            Err(failure) => {
                done.objects_left += 1;
                first_failure.get_or_insert(failure);
            }
        }
    }
    if let Some((id, error)) = first_failure {
        eprintln!(
            "bench: {} objects of stream {stream} could not be deleted (the first, {id}: {error})",
            done.objects_left
        );
    }
    done
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Cleanup;

    #[test]
    fn cleanups_travel_as_one_line() {
        let cleanup = Cleanup {
            streams_deleted: 1,
            objects_deleted: 20_200,
            streams_left: 0,
            objects_left: 3,
        };
        assert_eq!(Cleanup::decode(&cleanup.encode()), Some(cleanup));
        assert_eq!(Cleanup::decode("1 2 x 4"), None);
    }
}
