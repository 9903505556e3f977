//! A sender and a receiver on one stream, live.
//!
//! `cargo run --example live` (embedded devserver) or with `SPECKLE_SERVER`.
//! The sender broadcasts `update-global` to the stream's room, the way the
//! connectors announce new data; the receiver reacts by fetching the stream.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use speckle::ws::{Event, Incoming};
use speckle::{ClientRole, Stream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _server) = support::server().await?;
    let client = support::logged_in(&url, "live").await?;
    let stream = client
        .streams()
        .create(Stream {
            name: Some("Live demo".into()),
            ..Default::default()
        })
        .await?;
    let stream_id = stream
        .stream_id
        .clone()
        .ok_or("the server returned no streamId")?;

    // Each side registers an api client (its id is the socket's client id).
    let mut receiver = client
        .websockets_with_new_client(&stream_id, ClientRole::Receiver)
        .await?;
    let sender = client
        .websockets_with_new_client(&stream_id, ClientRole::Sender)
        .await?;
    println!(
        "stream {stream_id}: sender {} and receiver {} connected",
        sender.handle().client_id(),
        receiver.handle().client_id()
    );

    // The server sends no "ready" frame: give both sockets a moment to register.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sender
        .handle()
        .broadcast_to_stream(&stream_id, json!({"eventType": "update-global"}))?;

    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = receiver.next().await {
            match event {
                Event::Frame(Incoming::Broadcast(envelope)) => return Some(envelope),
                Event::State(state) => println!("receiver: {state:?}"),
                _ => {}
            }
        }
        None
    })
    .await?;
    let envelope = got.ok_or("the receiver's stream ended")?;
    println!(
        "receiver got {:?} from {:?}",
        envelope.event_type(),
        envelope.sender_id
    );
    let fresh = client.streams().get(&stream_id).await?;
    println!("receiver fetched the stream again: {:?}", fresh.name);

    sender.handle().close();
    receiver.handle().close();
    client.streams().delete(&stream_id).await?;
    Ok(())
}
