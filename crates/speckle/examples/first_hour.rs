//! Your first hour with the SDK, in one program: log in, create a stream,
//! push 10,000 points with progress, pull them back, and hear the push
//! announced on the stream's live connection. It needs only `speckle` and
//! `tokio`.
//!
//! Against any v1 server (a local one: `cargo run -p speckle-devserver --
//! --memory`, then register a user, e.g. from the web page or with
//! `SpeckleClient::register`):
//!
//! ```sh
//! SPECKLE_SERVER=http://127.0.0.1:3000 SPECKLE_EMAIL=you@example.com \
//!   SPECKLE_PASSWORD=… cargo run --example first_hour
//! ```
//!
//! `SPECKLE_TOKEN` (an api token) works instead of e-mail and password.

use std::time::Duration;

use speckle::prelude::StreamExt;
use speckle::ws::{Event, Incoming, Notice, SpeckleSocket};
use speckle::{
    Point, ProgressFn, PullOptions, Pulled, PushOptions, SpeckleClient, SpeckleObject, Stream,
    StreamId,
};

/// Errors of any layer (HTTP, websockets, the program's own checks).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What one run did.
#[derive(Debug)]
pub struct Summary {
    /// The stream it made (deleted at the end).
    pub stream_id: StreamId,
    /// Objects pushed.
    pub pushed: u64,
    /// Objects pulled back, identical to the ones pushed.
    pub pulled: usize,
    /// The `eventType` the listening socket heard after the push.
    pub heard: String,
}

/// Logs in from `SPECKLE_*` variables and runs the tour with 10,000 points.
#[tokio::main]
pub async fn main() -> Result<(), BoxError> {
    let client = SpeckleClient::from_env().await?;
    println!(
        "connected to {} as user {:?}",
        client.server_url(),
        client.user_id()
    );
    let summary = run(&client, 10_000).await?;
    println!(
        "stream {}: pushed {}, pulled {} back unchanged, heard `{}`",
        summary.stream_id, summary.pushed, summary.pulled, summary.heard
    );
    Ok(())
}

/// The whole tour on a logged-in client, with `points` points.
///
/// # Errors
/// Any failed step.
pub async fn run(client: &SpeckleClient, points: usize) -> Result<Summary, BoxError> {
    // 1. A stream. Streams the server returns always carry their id.
    let stream = client
        .streams()
        .create(Stream {
            name: Some("My first hour".into()),
            ..Default::default()
        })
        .await?;
    let stream_id = stream.required_id()?.clone();
    println!("created stream {stream_id}");

    // 2. Two live connections to the stream's room: one listens, one
    //    announces our writes (a connector and a viewer, say). The server
    //    never tells sockets about REST writes itself.
    let mut listener = client.websockets(&stream_id, "first-hour-listener")?;
    let mut announcer = client.websockets(&stream_id, "first-hour-announcer")?;
    until_in_room(&mut listener, &stream_id).await?;
    until_in_room(&mut announcer, &stream_id).await?;
    let heard = tokio::spawn(async move {
        while let Some(event) = listener.next().await {
            if let Event::Frame(Incoming::Broadcast(envelope)) = event {
                listener.handle().close();
                return envelope.event_type().map(str::to_owned);
            }
        }
        None
    });

    // 3. Push, with progress, and announce it on the room.
    let model: Vec<SpeckleObject> = (0..points)
        .map(|i| {
            let x = i as f64;
            SpeckleObject::from(Point::new(x, (x * 0.01).sin(), 0.0)).with("index", i)
        })
        .collect();
    let options = PushOptions {
        progress: Some(ProgressFn::new(|p| {
            if p.requests_done % 10 == 0 || Some(p.objects_done) == p.objects_total {
                println!(
                    "  pushed {}/{} objects, {} kB",
                    p.objects_done,
                    p.objects_total.unwrap_or_default(),
                    p.bytes_done / 1000
                );
            }
        })),
        ..PushOptions::default()
    };
    let outcome = client
        .streams()
        .announce(announcer.handle())
        .push_objects(&stream_id, model.clone(), &options)
        .await?;

    // 4. Pull it back. The pull stream owns what it needs, so it can run in
    //    a task of its own.
    let mut pull = client
        .streams()
        .pull_objects(&stream_id, PullOptions::default())
        .await?;
    let pulled = tokio::spawn(async move {
        let mut objects = Vec::new();
        while let Some(entry) = pull.next().await {
            match entry? {
                Pulled::Object(object) => objects.push(object),
                Pulled::Unavailable(id) => return Err(format!("cannot read {id}").into()),
            }
        }
        Ok::<_, BoxError>(objects)
    })
    .await??;
    let unchanged = model
        .iter()
        .zip(&pulled)
        .all(|(sent, got)| sent.geometry().ok() == got.geometry().ok());
    if pulled.len() != model.len() || !unchanged {
        return Err("the pulled objects differ from the pushed ones".into());
    }

    // 5. What the listener heard.
    let heard = tokio::time::timeout(Duration::from_secs(30), heard)
        .await
        .map_err(|_| "the listener heard nothing within 30 s")??
        .ok_or("the listener's connection ended")?;

    announcer.handle().close();
    client.streams().delete(&stream_id).await?;
    Ok(Summary {
        stream_id,
        pushed: outcome.stats.objects,
        pulled: pulled.len(),
        heard,
    })
}

/// Waits until the server has `socket` in the stream's room.
///
/// The v1 server sends no "ready" frame and ignores what a socket sends
/// before it has registered it, so a broadcast sent too early is lost. A
/// join is answered once the socket is registered ("Room joined.", or
/// "You already joined that room." for a socket its URL put there): ask
/// until it answers.
async fn until_in_room(socket: &mut SpeckleSocket, stream_id: &StreamId) -> Result<(), BoxError> {
    for _ in 0..40 {
        socket.handle().join("stream", stream_id.as_str())?;
        let answered = tokio::time::timeout(Duration::from_millis(500), async {
            while let Some(event) = socket.next().await {
                match event {
                    Event::Frame(Incoming::RoomJoined(_))
                    | Event::Frame(Incoming::Notice(Notice::AlreadyJoined)) => return Ok(()),
                    Event::Frame(Incoming::Notice(notice)) => {
                        return Err(format!("the server refused the room: {notice:?}"))
                    }
                    _ => {}
                }
            }
            Err("the connection ended".to_owned())
        })
        .await;
        match answered {
            Ok(result) => return Ok(result?),
            Err(_not_yet) => continue,
        }
    }
    Err("the server did not confirm the room within 20 s".into())
}
