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
