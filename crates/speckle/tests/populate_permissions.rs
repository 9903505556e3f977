//! `populatePermissions` populates: the server acts on the switch only when
//! its value is truthy, so a bare `?populatePermissions` gave plain ids.
//! Checked against a real devserver, which reads the switch like the real
//! server does.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::http::endpoints::streams::ListStreams;
use speckle::http::execute;
use speckle::types::UserRef;
use speckle::{Register, SpeckleClient, Stream};
use speckle_devserver::{Config, DevServer};

async fn user(url: &str, name: &str) -> SpeckleClient {
    let client = SpeckleClient::new(url).expect("client");
    client
        .register(Register::new(format!("{name}@example.com"), "populate-password").name(name))
        .await
        .expect("register");
    client
}

#[tokio::test]
async fn populate_permissions_returns_user_summaries() {
    let server = DevServer::start(Config::default()).await.expect("server");
    let alice = user(&server.url(), "alice").await;
    let bob = user(&server.url(), "bob").await;
    let bob_id = bob.user_id().expect("bob's id");

    let stream = alice
        .streams()
        .create(Stream {
            name: Some("shared".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    let stream_id = stream.stream_id.expect("stream id");
    let mut patch = Stream::default();
    patch.access.can_read = Some(vec![UserRef::Id(bob_id.clone())]);
    alice
        .streams()
        .update(&stream_id, patch)
        .await
        .expect("share with bob");

    let listed = |populate: bool| {
        let alice = &alice;
        let stream_id = stream_id.clone();
        async move {
            let mut endpoint = ListStreams::new();
            if populate {
                endpoint = endpoint.populate_permissions();
            }
            let envelope = execute(alice.http(), &endpoint).await.expect("list");
            envelope
                .resources
                .expect("resources")
                .into_iter()
                .find(|s| s.stream_id.as_ref() == Some(&stream_id))
                .expect("the shared stream is listed")
                .access
                .can_read
                .expect("canRead")
        }
    };

    let plain = listed(false).await;
    assert_eq!(plain, vec![UserRef::Id(bob_id.clone())]);

    let populated = listed(true).await;
    assert_eq!(populated.len(), 1, "{populated:?}");
    match &populated[0] {
        UserRef::Populated(summary) => {
            assert_eq!(summary.id.as_ref(), Some(&bob_id));
            assert_eq!(summary.name.as_deref(), Some("bob"));
        }
        other => panic!("canRead was not populated: {other:?}"),
    }
}
