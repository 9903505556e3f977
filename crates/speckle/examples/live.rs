//! A sender and a receiver on one stream, live.
//!
//! `cargo run --example live` (embedded devserver) or with `SPECKLE_SERVER`.
//! The sender broadcasts `update-global` to the stream's room, the way the
//! connectors announce new data; the receiver reacts by fetching the stream.

mod support;

use serde_json::json;
use speckle::{ClientRole, Stream};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `Display` plus the source chain, as a program should print errors
    // (`Debug` from returning the error out of `main` is for developers).
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => support::report(&*error),
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
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

    let api_clients = [sender.handle().client_id(), receiver.handle().client_id()];

    // The server sends no "ready" frame and registers sockets a moment after
    // they open: the sender repeats its broadcast until the receiver hears it.
    let heard = support::broadcast_until_heard(
        &sender,
        &mut receiver,
        &stream_id,
        json!({"eventType": "update-global"}),
    )
    .await;
    let envelope = heard?;
    println!(
        "receiver got {:?} from {:?}",
        envelope.event_type(),
        envelope.sender_id
    );
    let fresh = client.streams().get(&stream_id).await?;
    println!("receiver fetched the stream again: {:?}", fresh.name);

    sender.handle().close();
    receiver.handle().close();
    // Clean up what the demo made: the stream and the two api clients.
    for id in api_clients {
        client.api_clients().delete(id).await?;
    }
    client.streams().delete(&stream_id).await?;
    Ok(())
}
