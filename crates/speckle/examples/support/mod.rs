//! Shared by the examples: a server to talk to and a logged-in client.

use speckle::{Register, SpeckleClient};

/// The server the examples use: `SPECKLE_SERVER` if set, else an embedded
/// devserver started in this process (kept alive by the returned guard).
pub async fn server(
) -> Result<(String, Option<speckle_devserver::DevServer>), Box<dyn std::error::Error>> {
    match std::env::var("SPECKLE_SERVER") {
        Ok(url) if !url.trim().is_empty() => Ok((url, None)),
        _ => {
            let server =
                speckle_devserver::DevServer::start(speckle_devserver::Config::default()).await?;
            Ok((server.url(), Some(server)))
        }
    }
}

/// A client logged in as `SPECKLE_EMAIL`/`SPECKLE_PASSWORD` when set, else as
/// a freshly registered user with a unique email.
pub async fn logged_in(url: &str, who: &str) -> Result<SpeckleClient, Box<dyn std::error::Error>> {
    let client = SpeckleClient::new(url)?;
    match (
        std::env::var("SPECKLE_EMAIL"),
        std::env::var("SPECKLE_PASSWORD"),
    ) {
        (Ok(email), Ok(password)) => {
            client.login(&email, &password).await?;
        }
        _ => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis();
            let email = format!("{who}-{stamp}@example.com");
            client
                .register(Register::new(email, "tour-password-123").name(who))
                .await?;
        }
    }
    Ok(client)
}

/// Broadcasts `args` from `sender` to the stream's room until `receiver`
/// hears a broadcast, and returns it.
///
/// The v1 server sends no "ready" frame and registers a socket in its rooms
/// a moment after the connection opens, so a broadcast sent too early is
/// lost without a trace. Waiting for both sockets to be open and then
/// repeating the broadcast until it is heard waits for the real condition,
/// not for a guessed delay.
pub async fn broadcast_until_heard(
    sender: &speckle::ws::SpeckleSocket,
    receiver: &mut speckle::ws::SpeckleSocket,
    stream_id: &speckle::StreamId,
    args: serde_json::Value,
) -> Result<speckle::ws::SocketEnvelope, Box<dyn std::error::Error>> {
    use futures_util::StreamExt;
    use speckle::ws::{Event, Incoming};
    use std::time::Duration;

    let patience = Duration::from_secs(10);
    for socket in [sender.handle(), receiver.handle()] {
        tokio::time::timeout(patience, socket.state_changes().wait_for(|s| s.is_open()))
            .await
            .map_err(|_| "a socket did not open within 10 s")??;
    }
    let deadline = tokio::time::Instant::now() + patience;
    while tokio::time::Instant::now() < deadline {
        sender
            .handle()
            .broadcast_to_stream(stream_id.clone(), args.clone())?;
        let heard = tokio::time::timeout(Duration::from_millis(500), async {
            while let Some(event) = receiver.next().await {
                if let Event::Frame(Incoming::Broadcast(envelope)) = event {
                    return Some(envelope);
                }
            }
            None
        })
        .await;
        match heard {
            Ok(Some(envelope)) => return Ok(envelope),
            Ok(None) => return Err("the receiver's socket closed".into()),
            Err(_not_yet) => continue,
        }
    }
    Err("the receiver heard no broadcast within 10 s".into())
}

/// Prints `error` and each of its causes once, one a line, and gives the
/// failure exit code.
pub fn report(error: &(dyn std::error::Error + 'static)) -> std::process::ExitCode {
    eprintln!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    std::process::ExitCode::FAILURE
}
