//! Where one strategy runs: a fresh in-process devserver (the default), or
//! the server given with `--server`, logged in as the given user, in a stream
//! of its own, with objects new to that server, all deleted afterwards.

use std::sync::Mutex;
use std::time::Duration;

use speckle_http::bulk::PushOutcome;
use speckle_http::endpoints::server::GetServerInfo;
use speckle_http::endpoints::streams::{CreateStream, UpdateStream};
use speckle_http::{execute, Client, EnvelopeExt, Error, RetryPolicy};
use speckle_types::{ObjectId, SpeckleObject, Stream, StreamId};

use crate::args::{Args, Credentials, Remote};
use crate::cleanup::{self, Cleanup};
use crate::{dataset, e2e};

/// One strategy's server and session.
pub struct Target {
    /// Logged in; no retries, so that the measures count every request.
    pub client: Client,
    /// The server's root as people type it (`http://host:3000`), without
    /// credentials.
    pub url: String,
    /// What `client` sends as `Authorization`.
    pub token: String,
    /// This strategy's own stream, on a server given with `--server`.
    pub stream: Option<StreamId>,
    /// The objects this strategy stored, to delete afterwards.
    pub created: Created,
    /// Put in every object of a server given with `--server`.
    nonce: Option<String>,
    keep: bool,
    /// Keeps the in-process devserver running.
    _devserver: Option<speckle_devserver::DevServer>,
}

impl Target {
    /// A fresh devserver, or a session and a stream on the given server.
    pub async fn open(args: &Args, strategy: &str) -> Result<Self, Box<dyn std::error::Error>> {
        match &args.remote {
            None => {
                let (server, client) = e2e::fresh_server(args.quadratic).await?;
                Ok(Self {
                    token: token_of(&client),
                    url: server.url(),
                    client,
                    stream: None,
                    created: Created::default(),
                    nonce: None,
                    keep: true,
                    _devserver: Some(server),
                })
            }
            Some(remote) => Self::remote(remote, strategy, args.round).await,
        }
    }

    async fn remote(
        remote: &Remote,
        strategy: &str,
        round: usize,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let client = login(remote, RetryPolicy::never()).await?;
        let name = format!("speckle-rs bench {strategy} {}", remote.run_id);
        let stream = execute(
            &client,
            &CreateStream::new(Stream {
                name: Some(name),
                description: Some(
                    "Made by `cargo xtask bench --server`, which deletes it with its objects \
                     when it is done (unless run with --keep)."
                        .into(),
                ),
                ..Stream::default()
            }),
        )
        .await?
        .into_resource()?
        .stream_id
        .ok_or("the server created a stream without saying its id")?;
        eprintln!("bench: {strategy} works in stream {stream}");
        Ok(Self {
            token: token_of(&client),
            url: client.server_url().to_string(),
            client,
            stream: Some(stream),
            created: Created {
                ids: Some(Mutex::default()),
            },
            // Each round stores objects of its own, also with `--keep`.
            nonce: Some(nonce(&remote.run_id, &format!("{strategy}#{round}"))),
            keep: remote.keep,
            _devserver: None,
        })
    }

    /// The bench model, made new to the server when it is not a fresh one.
    pub fn model(&self, args: &Args) -> Vec<SpeckleObject> {
        let mut model = dataset::model(args.points, args.meshes, args.coordinates);
        if let Some(nonce) = &self.nonce {
            dataset::tag(&mut model, nonce);
        }
        model
    }

    /// See [`model`](Self::model).
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// After the strategy (not measured): on a server given with
    /// `--server`, sets what it stored as its stream's objects when it
    /// succeeded and `link` is on, so a run with `--keep` leaves streams
    /// one can open; then, unless `--keep`, deletes the stream and those
    /// objects. Nothing to do on a fresh devserver, which goes away.
    pub async fn finish(self, link: bool) -> Cleanup {
        let Some(stream) = self.stream.clone() else {
            return Cleanup::default();
        };
        let ids = self.created.take();
        let mut linked = Ok(());
        if link && !ids.is_empty() {
            let placeholders = ids
                .iter()
                .cloned()
                .map(SpeckleObject::placeholder)
                .collect();
            let patch = Stream {
                objects: Some(placeholders),
                ..Stream::default()
            };
            linked = execute(&self.client, &UpdateStream::new(stream.clone(), patch))
                .await
                .map(drop);
        }
        if let Err(error) = &linked {
            eprintln!("bench: could not set the objects of stream {stream}: {error}");
        }
        if self.keep {
            eprintln!("bench: kept stream {stream} and its {} objects", ids.len());
            return Cleanup::default();
        }
        // Cleanup may repeat a request the measures would not have.
        let client = match cleanup_client(&self.url, &self.token) {
            Ok(client) => client,
            Err(error) => {
                eprintln!("bench: cannot clean up stream {stream}: {error}");
                return Cleanup::failed(ids.len());
            }
        };
        cleanup::delete(&client, &stream, ids).await
    }
}

/// The ids of the objects a strategy stored, as it learns them (also from
/// a push that failed midway). Keeps nothing on a fresh devserver, where
/// nothing is deleted.
#[derive(Default)]
pub struct Created {
    ids: Option<Mutex<Vec<ObjectId>>>,
}

impl Created {
    pub fn record(&self, ids: impl IntoIterator<Item = ObjectId>) {
        if let Some(all) = &self.ids {
            all.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(ids);
        }
    }

    /// Records what a push stored, whether it succeeded or not.
    pub fn record_push(&self, pushed: Result<PushOutcome, Error>) -> Result<PushOutcome, Error> {
        let outcome = match &pushed {
            Ok(outcome) => Some(outcome),
            Err(error) => error.push_outcome(),
        };
        if let Some(outcome) = outcome {
            self.record(outcome.ids.iter().flatten().cloned());
        }
        pushed
    }

    fn take(&self) -> Vec<ObjectId> {
        self.ids.as_ref().map_or_else(Vec::new, |all| {
            std::mem::take(
                &mut *all
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        })
    }
}

/// A client of the `--server` server, logged in as the given user.
pub async fn login(remote: &Remote, retry: RetryPolicy) -> Result<Client, Error> {
    let client = Client::builder(remote.url.as_str())
        .timeout(Duration::from_secs(600))
        .retry(retry)
        .build()?;
    match &remote.credentials {
        Credentials::Password { email, password } => client.login(email, password).await?,
        Credentials::Token(token) => client.login_with_token(token).await?,
    };
    Ok(client)
}

/// The server as the header shows it: its address without credentials, and
/// its name and version from `GET /api`. Logs in first, so that wrong
/// credentials stop the run before it starts.
pub async fn describe(remote: &Remote) -> Result<String, Error> {
    let client = login(remote, RetryPolicy::default()).await?;
    let info = execute(&client, &GetServerInfo::new()).await?;
    Ok(format!(
        "{} ({}, version {})",
        client.server_url(),
        info.server_name
            .map_or_else(|| "no name".to_owned(), |name| format!("\"{name}\"")),
        info.version.as_deref().unwrap_or("unknown")
    ))
}

fn cleanup_client(url: &str, token: &str) -> Result<Client, Error> {
    Client::builder(url)
        .timeout(Duration::from_secs(600))
        .token(token)
        .build()
}

fn token_of(client: &Client) -> String {
    client
        .token()
        .map(|t| e2e::secrecy_expose(&t))
        .unwrap_or_default()
}

/// The run id and a fixed-width digest of the strategy's name: distinct per
/// strategy (each stores its own objects) and of one length for all.
pub fn nonce(run_id: &str, strategy: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike the std hasher.
    let digest = strategy.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    format!("{run_id}-{digest:08x}")
}

#[cfg(test)]
mod tests {
    use super::nonce;

    #[test]
    fn nonces_differ_by_strategy_and_share_a_length() {
        let names: Vec<&str> = crate::RUN_ORDER.into_iter().chain(["streamed"]).collect();
        let nonces: Vec<String> = names.iter().map(|n| nonce("0123456789abcdef", n)).collect();
        for (i, a) in nonces.iter().enumerate() {
            assert_eq!(a.len(), nonces[0].len());
            assert!(nonces[i + 1..].iter().all(|b| a != b), "{a} repeats");
        }
    }
}
