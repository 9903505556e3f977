//! `streams().push_objects` against a real devserver: it checks the stream
//! before uploading, keeps what it stored when the server goes away, and
//! can announce the write to the stream's room.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::PathBuf;

use speckle::{Point, ProgressFn, PushOptions, SpeckleObject, Stream};
use speckle_devserver::{Config, DevServer};
use support::{user, RequestLog};

fn points(n: usize) -> Vec<SpeckleObject> {
    (0..n)
        .map(|i| SpeckleObject::from(Point::new(i as f64, 1.0, 2.0)))
        .collect()
}

async fn new_stream(client: &speckle::SpeckleClient, private: bool) -> speckle::StreamId {
    let mut stream = Stream {
        name: Some("push target".into()),
        ..Default::default()
    };
    stream.access.private = Some(private);
    client
        .streams()
        .create(stream)
        .await
        .unwrap()
        .stream_id
        .unwrap()
}

#[tokio::test]
async fn a_push_to_a_missing_or_read_only_stream_uploads_nothing() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let owner = user(&server.url(), "owner", None).await;
    let public = new_stream(&owner, false).await;
    let private = new_stream(&owner, true).await;
    let log = RequestLog::new();
    let other = user(&server.url(), "other", Some(log.clone())).await;

    let missing = other
        .streams()
        .push_objects("doesNotExist", points(50), &PushOptions::default())
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    // Readable by anyone, writable by its owner only.
    let read_only = other
        .streams()
        .push_objects(&public, points(50), &PushOptions::default())
        .await
        .unwrap_err();
    assert!(read_only.is_forbidden(), "{read_only}");

    let unreadable = other
        .streams()
        .push_objects(&private, points(50), &PushOptions::default())
        .await
        .unwrap_err();
    assert!(unreadable.is_forbidden(), "{unreadable}");

    assert_eq!(log.object_uploads(), 0, "{:?}", log.lines());
    assert_eq!(server.object_count().await.unwrap(), 0);

    // A writer in canWrite may push.
    let mut patch = Stream::default();
    patch.access.can_write = Some(vec![other.user_id().unwrap().into()]);
    owner.streams().update(&public, patch).await.unwrap();
    let outcome = other
        .streams()
        .push_objects(&public, points(50), &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.stats.uploaded, 50);

    // The server's first user is an admin, who may write any stream.
    let others = new_stream(&other, true).await;
    let outcome = owner
        .streams()
        .push_objects(&others, points(60), &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.stats.objects, 60);
}

fn data_file(name: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("speckle-{name}-{stamp}.db"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_cut_by_a_server_stop_keeps_its_outcome_and_resumes_without_duplicates() {
    let file = data_file("resume");
    let config = Config::default().data_file(&file).jwt_secret("resume-test");
    let server = DevServer::start(config.clone()).await.unwrap();
    let port = server.port();
    let client = user(&server.url(), "resumer", None).await;
    let stream_id = new_stream(&client, false).await;

    // Stop the server as soon as the first request has stored its batch.
    let (first_done, stored_one) = tokio::sync::mpsc::unbounded_channel::<()>();
    let stopper = tokio::spawn(async move {
        let mut stored_one = stored_one;
        stored_one.recv().await;
        server.shutdown().await;
    });
    let options = PushOptions {
        concurrency: 1,
        progress: Some(ProgressFn::new(move |_| {
            let _ = first_done.send(());
        })),
        ..PushOptions::default()
    };
    let model = points(10_000);
    let error = client
        .streams()
        .push_objects(&stream_id, model.clone(), &options)
        .await
        .unwrap_err();
    stopper.await.unwrap();
    let partial = error.push_outcome().expect("the partial outcome");
    let stored = partial.ids.iter().filter(|id| id.is_some()).count() as u64;
    assert!(stored > 0, "the first batch was stored: {error}");
    assert!(stored < 10_000, "the push was cut: {error}");
    assert_eq!(partial.stats.uploaded, stored);

    // The same server, the same data, back on the same port.
    let server = DevServer::start(config.port(port)).await.unwrap();
    // A request in flight at the stop may have been stored without its
    // answer arriving; everything the outcome names was stored.
    assert!(server.object_count().await.unwrap() >= stored);
    let outcome = client
        .streams()
        .push_objects(&stream_id, model, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.stats.objects, 10_000);
    // Nothing stored twice, and what was stored kept its id.
    assert_eq!(server.object_count().await.unwrap(), 10_000);
    for (before, after) in partial.ids.iter().zip(&outcome.ids) {
        if before.is_some() {
            assert_eq!(before, after);
        }
    }
    server.shutdown().await;
    let _ = std::fs::remove_file(&file);
}

/// Announcing needs sockets: the `ws` feature.
#[cfg(feature = "ws")]
mod announced {
    use std::time::Duration;

    use futures_util::StreamExt;
    use speckle::ws::{Event, Incoming};
    use speckle::{PushOptions, Stream};
    use speckle_devserver::{Config, DevServer};

    use super::support::{user, wait_until_in_stream_room};
    use super::{new_stream, points};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_announced_push_reaches_the_other_sockets_of_the_room() {
        let server = DevServer::start(Config::default()).await.unwrap();
        let client = user(&server.url(), "announcer", None).await;
        let stream_id = new_stream(&client, false).await;

        let mut receiver = client.websockets(&stream_id, "receiver-1").unwrap();
        let mut sender = client.websockets(&stream_id, "sender-1").unwrap();
        // Both must be registered: the server drops frames of a socket it has
        // not registered yet, and relays broadcasts only to room members.
        let receiver_handle = receiver.handle().clone();
        wait_until_in_stream_room(&receiver_handle, &mut receiver, &stream_id).await;
        let sender_handle = sender.handle().clone();
        wait_until_in_stream_room(&sender_handle, &mut sender, &stream_id).await;

        client
            .streams()
            .announce(&sender_handle)
            .push_objects(&stream_id, points(20), &PushOptions::default())
            .await
            .unwrap();

        let heard = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(event) = receiver.next().await {
                if let Event::Frame(Incoming::Broadcast(envelope)) = event {
                    return envelope;
                }
            }
            panic!("the receiver's socket ended");
        })
        .await
        .expect("no announcement within 20 s");
        assert_eq!(heard.event_type(), Some("update-global"));
        assert_eq!(
            heard.sender_id.as_ref().map(|s| s.as_str()),
            Some("sender-1")
        );

        // An update is announced too.
        client
            .streams()
            .announce(&sender_handle)
            .update(
                &stream_id,
                Stream {
                    name: Some("renamed".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let heard = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(event) = receiver.next().await {
                if let Event::Frame(Incoming::Broadcast(envelope)) = event {
                    return envelope;
                }
            }
            panic!("the receiver's socket ended");
        })
        .await
        .expect("no announcement within 20 s");
        assert_eq!(heard.event_type(), Some("update-global"));

        // A closed socket fails the call before anything is written.
        sender_handle.close();
        let mut states = sender_handle.state_changes();
        tokio::time::timeout(Duration::from_secs(10), states.wait_for(|s| s.is_closed()))
            .await
            .unwrap()
            .unwrap();
        let before = server.object_count().await.unwrap();
        let error = client
            .streams()
            .announce(&sender_handle)
            .push_objects(&stream_id, points(30), &PushOptions::default())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("closed"), "{error}");
        assert_eq!(server.object_count().await.unwrap(), before);
        receiver_handle.close();
    }
}
