//! The HTTP client: server address, transport and the session (tokens and
//! the logged-in user).

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use speckle_types::{Token, UserId};

use crate::base_url::ServerUrl;
use crate::retry::RetryPolicy;
use crate::transport::{ReqwestTransport, Transport};
use crate::Error;

/// The default most bytes one answer may hold: 512 MiB. The largest answers
/// of the real server are getbulk answers, and it caps neither the ids per
/// getbulk nor the size of an object beyond its 10 MB request limit: the
/// official connectors' 42 ids of such maximal objects make 420 MB, and a
/// whole 400 MB model in one getbulk still fits. Pulls split chunks whose
/// answer is over the limit, so a lower limit never makes a model unreadable.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 512 << 20;

/// The default `User-Agent`.
pub const USER_AGENT: &str = concat!("speckle-rs/", env!("CARGO_PKG_VERSION"));

/// A client of one Speckle v1 server. Cheap to clone: clones share the
/// connection pool and the session, so a login on one is seen by all.
///
/// ```no_run
/// # async fn demo() -> Result<(), speckle_http::Error> {
/// let client = speckle_http::Client::builder("https://speckle.example.com")
///     .timeout(std::time::Duration::from_secs(30))
///     .build()?;
/// client.login("alice@example.com", "correct-horse-battery").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    url: ServerUrl,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    max_response_bytes: u64,
    session: RwLock<Session>,
}

/// What a login leaves behind.
#[derive(Default, Clone)]
struct Session {
    /// Sent as `Authorization` (the session token after a login, or whatever
    /// token the user set).
    token: Option<SecretString>,
    /// The 2-year api token: the only one the websocket accepts.
    apitoken: Option<SecretString>,
    user_id: Option<UserId>,
}

impl Client {
    /// Starts configuring a client for the server at `url` (see
    /// [`ServerUrl::parse`] for the accepted forms).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            use_ssl: true,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: USER_AGENT.to_owned(),
            transport: None,
            token: None,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// A client with default settings.
    ///
    /// # Errors
    /// When the URL is unusable or the TLS backend fails to initialise.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// The server's address.
    pub fn server_url(&self) -> &ServerUrl {
        &self.inner.url
    }

    pub(crate) fn transport(&self) -> &dyn Transport {
        self.inner.transport.as_ref()
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The most bytes one answer may hold (see
    /// [`ClientBuilder::max_response_bytes`]).
    pub fn max_response_bytes(&self) -> u64 {
        self.inner.max_response_bytes
    }

    fn read<T>(&self, f: impl FnOnce(&Session) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data is still usable.
        let guard = self
            .inner
            .session
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    fn write(&self, f: impl FnOnce(&mut Session)) {
        let mut guard = self
            .inner
            .session
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut guard);
    }

    /// The token sent as `Authorization`, if any.
    pub fn token(&self) -> Option<SecretString> {
        self.read(|s| s.token.clone())
    }

    /// Sets (or clears) the token sent as `Authorization`. A token without the
    /// `JWT ` scheme gets it. Clears the remembered user id, since the token
    /// may belong to someone else; [`login_with_token`](Self::login_with_token)
    /// also fetches the profile.
    pub fn set_token(&self, token: Option<&str>) {
        let token = token.map(normalise_token);
        self.write(|s| {
            s.token = token;
            s.user_id = None;
        });
    }

    /// The user's api token (the 2-year one), needed by the websocket.
    pub fn apitoken(&self) -> Option<SecretString> {
        self.read(|s| s.apitoken.clone())
    }

    /// Sets (or clears) the api token used for websockets.
    pub fn set_apitoken(&self, token: Option<&str>) {
        let token = token.map(normalise_token);
        self.write(|s| s.apitoken = token);
    }

    /// The id of the logged-in user, once known (after register, login or
    /// `login_with_token`).
    pub fn user_id(&self) -> Option<UserId> {
        self.read(|s| s.user_id.clone())
    }

    pub(crate) fn remember(
        &self,
        token: Option<&Token>,
        apitoken: Option<&Token>,
        user_id: Option<&UserId>,
    ) {
        self.write(|s| {
            if let Some(token) = token {
                s.token = Some(normalise_token(token.expose()));
            }
            if let Some(apitoken) = apitoken {
                s.apitoken = Some(normalise_token(apitoken.expose()));
            }
            if let Some(id) = user_id {
                s.user_id = Some(id.clone());
            }
        });
    }

    /// Forgets the tokens and the user (the server has no logout route).
    pub fn logout(&self) {
        self.write(|s| *s = Session::default());
    }
}

/// Accepts `JWT xyz` (any case of the scheme) or a bare `xyz`, giving `JWT xyz`.
fn normalise_token(token: &str) -> SecretString {
    let token = token.trim();
    let bare = token
        .get(..4)
        .filter(|scheme| scheme.eq_ignore_ascii_case("jwt "))
        .and_then(|_| token.get(4..))
        .unwrap_or(token)
        .trim_start();
    SecretString::from(format!("JWT {bare}"))
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |t: &Option<SecretString>| t.as_ref().map(|_| "<redacted>");
        self.read(|s| {
            f.debug_struct("Client")
                .field("api", &self.inner.url.api().as_str())
                .field("token", &redact(&s.token))
                .field("apitoken", &redact(&s.apitoken))
                .field("user_id", &s.user_id)
                .field("transport", &self.inner.transport)
                .finish()
        })
    }
}

/// Configures a [`Client`].
#[must_use]
pub struct ClientBuilder {
    url: String,
    use_ssl: bool,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    transport: Option<Arc<dyn Transport>>,
    token: Option<String>,
    retry: RetryPolicy,
    max_response_bytes: u64,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field("use_ssl", &self.use_ssl)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// For a URL without a scheme: `https` when true (the default), `http` otherwise.
    pub fn use_ssl(mut self, use_ssl: bool) -> Self {
        self.use_ssl = use_ssl;
        self
    }

    /// The timeout of a whole request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `speckle-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Starts with this token (`JWT …` or bare), e.g. an api token from a
    /// connector's connection string.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Replaces the HTTP stack (timeouts and user agent are then the
    /// transport's business).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// How failed requests are retried (see [`RetryPolicy`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The most bytes one answer may hold (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 512 MiB). A larger answer is not read
    /// past the limit (at all when its `Content-Length` says so) and fails
    /// with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge);
    /// [`bulk::pull`](crate::bulk::pull) then asks for fewer objects at a
    /// time instead. `u64::MAX` means no limit.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// When the URL is unusable or the TLS backend fails to initialise.
    pub fn build(self) -> Result<Client, Error> {
        let url = ServerUrl::parse(&self.url, self.use_ssl)?;
        let transport: Arc<dyn Transport> = match self.transport {
            Some(transport) => transport,
            None => Arc::new(
                ReqwestTransport::new(self.timeout, self.connect_timeout, &self.user_agent)
                    .map_err(|e| {
                        Error::new(crate::ErrorKind::Transport { not_sent: true }).with_source(e)
                    })?,
            ),
        };
        let token = self.token.as_deref().map(normalise_token);
        Ok(Client {
            inner: Arc::new(Inner {
                url,
                transport,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                session: RwLock::new(Session {
                    token,
                    ..Session::default()
                }),
            }),
        })
    }
}

/// Reads a secret for the one place that must send it.
pub(crate) fn expose(secret: &SecretString) -> &str {
    secret.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_get_the_jwt_scheme_once() {
        for input in ["JWT abc", "jwt abc", "abc", "  JWT   abc "] {
            assert_eq!(normalise_token(input).expose_secret(), "JWT abc", "{input}");
        }
    }

    #[test]
    fn debug_never_shows_tokens() {
        let client = Client::builder("http://localhost:3000")
            .token("JWT secret-one")
            .build()
            .unwrap();
        client.set_apitoken(Some("JWT secret-two"));
        let printed = format!("{client:?}");
        assert!(
            !printed.contains("secret-one") && !printed.contains("secret-two"),
            "{printed}"
        );
        assert!(printed.contains("<redacted>"));
        let builder = Client::builder("x").token("secret-three");
        assert!(!format!("{builder:?}").contains("secret-three"));
    }
}
