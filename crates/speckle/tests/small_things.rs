//! Small things users hit: a created stream's id without `Option`
//! gymnastics, `ServerUrl` printed, `Polyline::new`.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::{Polyline, Register, SpeckleClient, SpeckleObject, Stream};
use speckle_devserver::{Config, DevServer};

async fn created_id(client: &SpeckleClient) -> Result<speckle::StreamId, speckle::Error> {
    let stream = client
        .streams()
        .create(Stream {
            name: Some("Site".into()),
            ..Default::default()
        })
        .await?;
    // `?` turns a missing id into the SDK's error.
    Ok(stream.required_id()?.clone())
}

#[tokio::test]
async fn a_created_stream_gives_its_id_and_a_polyline_round_trips() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let client = SpeckleClient::new(server.url()).unwrap();
    assert_eq!(client.server_url().to_string(), server.url());
    client
        .register(Register::new("small@example.com", "small-things-123").name("S"))
        .await
        .unwrap();
    let id = created_id(&client).await.unwrap();
    assert_eq!(
        client.streams().get(&id).await.unwrap().stream_id,
        Some(id.clone())
    );

    let outline = Polyline::new(vec![0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 4.0, 3.0, 0.0], true);
    let placeholders = client
        .objects()
        .create([SpeckleObject::from(outline.clone())])
        .await
        .unwrap();
    let stored = client
        .objects()
        .get(placeholders[0].id.clone().unwrap())
        .await
        .unwrap();
    match stored.geometry().unwrap() {
        speckle::Geometry::Polyline(polyline) => {
            assert_eq!(polyline.closed, Some(true));
            assert_eq!(polyline.value, outline.value);
        }
        other => panic!("{other:?}"),
    }

    // A projection without `streamId` is a clear error, not a panic.
    let projected = client
        .streams()
        .get_with(&id, speckle::Query::new().omit(["streamId"]))
        .await
        .unwrap();
    let error: speckle::Error = projected.required_id().unwrap_err().into();
    assert!(error.is_decode(), "{error:?}");
    assert!(error.to_string().contains("streamId"), "{error}");
}
