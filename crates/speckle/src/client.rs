//! [`SpeckleClient`]: the entry point, with the Python client's resource
//! accessors.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use speckle_http::endpoints::accounts::Register;
use speckle_http::endpoints::server::{GetPlugins, GetServerInfo};
use speckle_http::transport::Transport;
use speckle_http::{execute, Client, RetryPolicy, ServerUrl};
use speckle_types::{PluginManifest, ServerInfo, User, UserId};

use crate::resources::{Accounts, ApiClients, Comments, Objects, Projects, Streams};
use crate::{Error, ErrorKind};

/// A client of one Speckle v1 server: `client.streams().list()`,
/// `client.objects().get_bulk(ids)` … Cheap to clone; clones share the
/// connection pool and the session.
///
/// ```no_run
/// # async fn demo() -> Result<(), speckle::Error> {
/// let client = speckle::SpeckleClient::new("https://speckle.example.com")?;
/// client.login("alice@example.com", "correct-horse-battery").await?;
/// for stream in client.streams().list().await? {
///     println!("{:?} {:?}", stream.stream_id, stream.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SpeckleClient {
    http: Client,
}

impl SpeckleClient {
    /// A client for the server at `url`: `https://host`, `host` (https), a
    /// full `…/api/v1` or `…/api` URL.
    ///
    /// # Errors
    /// When the URL is unusable.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// Configures a client (timeouts, retries, `use_ssl`, a token, a custom
    /// transport).
    pub fn builder(url: impl Into<String>) -> SpeckleClientBuilder {
        SpeckleClientBuilder {
            inner: Client::builder(url),
        }
    }

    /// A client for the server named by `SPECKLE_SERVER`, logged in from the
    /// environment, the way the examples are configured:
    ///
    /// - `SPECKLE_TOKEN` (an api token or session token, `JWT …` or bare):
    ///   [`login_with_token`](Self::login_with_token);
    /// - otherwise `SPECKLE_EMAIL` and `SPECKLE_PASSWORD`: [`login`](Self::login);
    /// - otherwise the client stays anonymous (public streams only).
    ///
    /// Empty variables count as unset. The password and token are never part
    /// of an error message.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), speckle::Error> {
    /// // SPECKLE_SERVER=https://speckle.example.com SPECKLE_TOKEN=… cargo run
    /// let client = speckle::SpeckleClient::from_env().await?;
    /// println!("{} as {:?}", client.server_url(), client.user_id());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `SPECKLE_SERVER` unset or unusable, `SPECKLE_EMAIL` without
    /// `SPECKLE_PASSWORD` (or the reverse), or the login's error.
    pub async fn from_env() -> Result<Self, Error> {
        Self::from_vars(|name| std::env::var(name).ok()).await
    }

    /// [`from_env`](Self::from_env) over any lookup of variables.
    async fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let url = var("SPECKLE_SERVER").ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput(
                "SPECKLE_SERVER is not set: give the server's address, e.g. \
                 SPECKLE_SERVER=https://speckle.example.com"
                    .into(),
            ))
        })?;
        let client = Self::new(url)?;
        match (
            var("SPECKLE_TOKEN"),
            var("SPECKLE_EMAIL"),
            var("SPECKLE_PASSWORD"),
        ) {
            (Some(token), _, _) => {
                client.login_with_token(&token).await?;
            }
            (None, Some(email), Some(password)) => {
                client.login(&email, &password).await?;
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err(Error::new(ErrorKind::InvalidInput(
                    "set both SPECKLE_EMAIL and SPECKLE_PASSWORD to log in, or SPECKLE_TOKEN"
                        .into(),
                )));
            }
            (None, None, None) => {}
        }
        Ok(client)
    }

    /// Wraps an already configured HTTP client.
    pub fn from_http(http: Client) -> Self {
        Self { http }
    }

    /// The HTTP client, for executing endpoints directly
    /// (`speckle::http::execute(client.http(), &endpoint)`).
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// The server's address.
    pub fn server_url(&self) -> &ServerUrl {
        self.http.server_url()
    }

    /// Registers a user, logs in and keeps the tokens.
    ///
    /// # Errors
    /// The server's 400 (email taken, password too short…) or 401 (invite only).
    pub async fn register(&self, registration: Register) -> Result<User, Error> {
        self.http.register(registration).await
    }

    /// Logs in with email and password.
    ///
    /// # Errors
    /// 401 for bad credentials, 403 for archived users.
    pub async fn login(&self, email: &str, password: &str) -> Result<User, Error> {
        self.http.login(email, password).await
    }

    /// Uses an existing token (`JWT …` or bare) and fetches the profile.
    ///
    /// # Errors
    /// 401 when the token is invalid or expired.
    pub async fn login_with_token(&self, token: &str) -> Result<User, Error> {
        self.http.login_with_token(token).await
    }

    /// Forgets the session.
    pub fn logout(&self) {
        self.http.logout();
    }

    /// The token sent with requests.
    pub fn token(&self) -> Option<SecretString> {
        self.http.token()
    }

    /// Sets the token sent with requests.
    pub fn set_token(&self, token: Option<&str>) {
        self.http.set_token(token);
    }

    /// The api token (what websockets authenticate with).
    pub fn apitoken(&self) -> Option<SecretString> {
        self.http.apitoken()
    }

    /// The logged-in user's id, once known.
    pub fn user_id(&self) -> Option<UserId> {
        self.http.user_id()
    }

    /// `GET /api`: the server description (`is_speckle_server` validates a URL).
    ///
    /// # Errors
    /// When the server cannot be reached or is not a Speckle server.
    pub async fn server_info(&self) -> Result<ServerInfo, Error> {
        execute(&self.http, &GetServerInfo::new()).await
    }

    /// `GET /api/plugins`: the installed plugins.
    ///
    /// # Errors
    /// When the server cannot be reached.
    pub async fn plugins(&self) -> Result<Vec<PluginManifest>, Error> {
        execute(&self.http, &GetPlugins::new()).await
    }

    /// User accounts.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(&self.http)
    }

    /// Projects.
    pub fn projects(&self) -> Projects<'_> {
        Projects::new(&self.http)
    }

    /// Streams.
    pub fn streams(&self) -> Streams<'_> {
        Streams::new(&self.http)
    }

    /// Api clients (connected documents).
    pub fn api_clients(&self) -> ApiClients<'_> {
        ApiClients::new(&self.http)
    }

    /// Comments.
    pub fn comments(&self) -> Comments<'_> {
        Comments::new(&self.http)
    }

    /// Objects.
    pub fn objects(&self) -> Objects<'_> {
        Objects::new(&self.http)
    }
}

/// Configures a [`SpeckleClient`].
#[derive(Debug)]
#[must_use]
pub struct SpeckleClientBuilder {
    inner: speckle_http::ClientBuilder,
}

impl SpeckleClientBuilder {
    /// For URLs without a scheme: https when true (the default).
    pub fn use_ssl(mut self, use_ssl: bool) -> Self {
        self.inner = self.inner.use_ssl(use_ssl);
        self
    }

    /// Timeout of a whole request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// Timeout to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.connect_timeout(timeout);
        self
    }

    /// The `User-Agent`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.inner = self.inner.user_agent(user_agent);
        self
    }

    /// Starts with a token (`JWT …` or bare).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.inner = self.inner.token(token);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.inner = self.inner.retry(policy);
        self
    }

    /// The most bytes one answer may hold (default 512 MiB); a larger one
    /// fails with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge)
    /// without being read whole, and pulls ask for fewer objects at a time.
    ///
    /// ```
    /// let client = speckle::SpeckleClient::builder("http://localhost:3000")
    ///     .max_response_bytes(64 << 20)
    ///     .build()?;
    /// assert_eq!(client.http().max_response_bytes(), 64 << 20);
    /// # Ok::<(), speckle::Error>(())
    /// ```
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.inner = self.inner.max_response_bytes(bytes);
        self
    }

    /// A custom HTTP transport.
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.inner = self.inner.transport(transport);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// When the URL is unusable or TLS cannot be initialised.
    pub fn build(self) -> Result<SpeckleClient, Error> {
        Ok(SpeckleClient {
            http: self.inner.build()?,
        })
    }
}
