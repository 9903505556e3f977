//! Connection settings.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use speckle_types::{ClientId, StreamId};

use crate::error::{WsError, WsErrorKind};
use crate::url::{ws_url, WsUrl};

/// Default [`SocketConfig::heartbeat_timeout`]: 2.5 × the server's 30 s ping
/// interval, so one late ping never causes a reconnect but a dead link is
/// noticed within about a minute.
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(75);
/// Default first reconnection delay (before jitter).
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Default cap on the reconnection delay.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Default [`SocketConfig::settle_delay`].
pub const DEFAULT_SETTLE_DELAY: Duration = Duration::from_millis(200);
/// Default [`SocketConfig::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`SocketConfig::queue_capacity`].
pub const DEFAULT_QUEUE_CAPACITY: usize = 256;
/// Default [`SocketConfig::event_capacity`].
pub const DEFAULT_EVENT_CAPACITY: usize = 256;

/// Everything needed to open a [`SpeckleSocket`](crate::SpeckleSocket).
///
/// ```
/// use std::time::Duration;
/// use speckle_ws::SocketConfig;
///
/// let config = SocketConfig::new("https://hestia.speckle.works/api/v1", "6b0c43a384c96928c7155350")
///     .access_token("JWT eyJhbGciOi…") // the account's apitoken
///     .stream_id("KZEstGdMW")
///     .backoff(Duration::from_secs(1), Duration::from_secs(60));
/// assert_eq!(
///     config.redacted_url().unwrap(),
///     "wss://hestia.speckle.works/?client_id=6b0c43a384c96928c7155350\
///      &access_token=<redacted>&stream_id=KZEstGdMW",
/// );
/// // The token never shows up in Debug output.
/// assert!(!format!("{config:?}").contains("eyJ"));
/// ```
#[derive(Clone)]
#[must_use = "a SocketConfig does nothing until passed to SpeckleSocket::connect"]
pub struct SocketConfig {
    pub(crate) base_url: String,
    pub(crate) client_id: ClientId,
    pub(crate) access_token: Option<SecretString>,
    pub(crate) stream_id: Option<StreamId>,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) max_reconnect_attempts: Option<u32>,
    pub(crate) queue_capacity: usize,
    pub(crate) event_capacity: usize,
    pub(crate) settle_delay: Duration,
    pub(crate) connect_timeout: Duration,
}

impl SocketConfig {
    /// Settings for `client_id` on the server at `base_url`.
    ///
    /// `base_url` is the HTTP API base the REST client uses:
    /// `http(s)://host[:port]` with or without `/api` or `/api/v1` (the path
    /// is dropped; `ws://`/`wss://` are accepted too). It is validated by
    /// [`SpeckleSocket::connect`](crate::SpeckleSocket::connect) and
    /// [`SocketConfig::redacted_url`]. `client_id` is normally the `_id` of an
    /// api client created with `POST /clients` (anonymous callers get
    /// `temp-<id>`); it must not be empty.
    pub fn new(base_url: impl AsRef<str>, client_id: impl Into<ClientId>) -> Self {
        Self {
            base_url: base_url.as_ref().to_owned(),
            client_id: client_id.into(),
            access_token: None,
            stream_id: None,
            heartbeat_timeout: DEFAULT_HEARTBEAT_TIMEOUT,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_max: DEFAULT_BACKOFF_MAX,
            max_reconnect_attempts: None,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            settle_delay: DEFAULT_SETTLE_DELAY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The account's **apitoken** (`JWT …`, as returned in `resource.apitoken`
    /// by login/register or `GET /accounts`).
    ///
    /// Not the 24 h session `token`: the websocket compares the string with
    /// the stored apitoken, so a session token silently gives an anonymous
    /// socket that cannot join private streams (the Python
    /// client's sockets are anonymous for that reason).
    /// A bare JWT without the `JWT ` prefix gets the prefix added, for the
    /// same reason. Without a token the socket is anonymous.
    pub fn access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// A stream whose room (`stream-<id>`) the socket is put in at connect
    /// time, through the URL. Since it is part of the URL it is restored on
    /// every reconnect without a `join` frame. (The server does no permission
    /// check for it.)
    pub fn stream_id(mut self, stream_id: impl Into<StreamId>) -> Self {
        self.stream_id = Some(stream_id.into());
        self
    }

    /// How long the connection may stay completely silent before it is
    /// considered dead and replaced. The server pings every 30 s, so keep
    /// this comfortably above that. Default: 75 s.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = timeout;
        self
    }

    /// Reconnection delays: attempt `n` waits a random time between half and
    /// all of `min(max, base × 2^(n-1))`. Default: 500 ms up to 30 s.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// Give up after this many consecutive failed reconnection attempts
    /// (the stream then ends with
    /// [`CloseReason::ReconnectAttemptsExhausted`](crate::CloseReason::ReconnectAttemptsExhausted)).
    /// `None` (the default) retries forever; `Some(0)` never reconnects.
    pub fn max_reconnect_attempts(mut self, attempts: impl Into<Option<u32>>) -> Self {
        self.max_reconnect_attempts = attempts.into();
        self
    }

    /// How many outgoing frames may wait for delivery (typically while
    /// disconnected). A send beyond that fails with
    /// [`WsErrorKind::QueueFull`]. Default: 256.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// How many events may wait for the consumer of the event stream. When
    /// the consumer falls this far behind, the socket stops reading from the
    /// network until it catches up (the server tolerates several minutes
    /// without a heartbeat answer). Default: 256.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Pause between the websocket opening and the first frame sent on it.
    ///
    /// The server sends no "ready" frame and registers the socket
    /// asynchronously after its token lookup; a `join` or `message` that
    /// arrives before that is silently ignored. Queued
    /// frames and re-joins therefore wait this long. Default: 200 ms.
    pub fn settle_delay(mut self, delay: Duration) -> Self {
        self.settle_delay = delay;
        self
    }

    /// Limit for one connection attempt (TCP, TLS and upgrade). Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The base URL as given.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The configured client id (the socket may be given another one by the
    /// server; see [`SocketHandle::client_id`](crate::SocketHandle::client_id)).
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The stream joined through the URL, if any.
    pub fn url_stream_id(&self) -> Option<&StreamId> {
        self.stream_id.as_ref()
    }

    /// Whether an access token is set.
    pub fn has_access_token(&self) -> bool {
        self.access_token.is_some()
    }

    /// The websocket URL with `access_token=<redacted>`, safe to log.
    ///
    /// # Errors
    ///
    /// [`WsErrorKind::InvalidUrl`] if the base URL is unusable.
    pub fn redacted_url(&self) -> Result<String, WsError> {
        Ok(self.url_for(&self.client_id)?.redacted().to_owned())
    }

    /// The URL for a connection attempt as `client_id` (which changes when
    /// the server reassigns it).
    pub(crate) fn url_for(&self, client_id: &ClientId) -> Result<WsUrl, WsError> {
        ws_url(
            &self.base_url,
            client_id,
            self.access_token.as_ref(),
            self.stream_id.as_ref(),
        )
    }

    /// Checks everything that can be checked without connecting.
    pub(crate) fn validate(&self) -> Result<(), WsError> {
        let invalid =
            |detail: &str| Err(WsError::new(WsErrorKind::InvalidConfig).with_detail(detail));
        // The real server crashes its worker on a missing client_id
        // (transcript seq 2056–2069 drops every socket), so never send one.
        if self.client_id.as_str().trim().is_empty() {
            return invalid("client_id must not be empty");
        }
        if self.queue_capacity == 0 {
            return invalid("queue_capacity must be at least 1");
        }
        if self.event_capacity == 0 {
            return invalid("event_capacity must be at least 1");
        }
        if self.heartbeat_timeout.is_zero() {
            return invalid("heartbeat_timeout must be positive");
        }
        if self.backoff_base.is_zero() {
            return invalid("backoff base must be positive");
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout must be positive");
        }
        self.url_for(&self.client_id).map(drop)
    }
}

impl fmt::Debug for SocketConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketConfig")
            .field(
                "base_url",
                &crate::redact::redact_access_token(&self.base_url),
            )
            .field("client_id", &self.client_id)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| Redacted),
            )
            .field("stream_id", &self.stream_id)
            .field("heartbeat_timeout", &self.heartbeat_timeout)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .field("max_reconnect_attempts", &self.max_reconnect_attempts)
            .field("queue_capacity", &self.queue_capacity)
            .field("event_capacity", &self.event_capacity)
            .field("settle_delay", &self.settle_delay)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// Prints `<redacted>` in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_token() {
        let config = SocketConfig::new("http://h/api", "c").access_token("JWT top.secret");
        let debug = format!("{config:?}");
        assert!(debug.contains("access_token: Some(<redacted>)"), "{debug}");
        assert!(!debug.contains("top.secret"), "{debug}");
    }

    #[test]
    fn accepts_a_url_or_a_string() {
        let url = url::Url::parse("https://h:8443/api/v1").unwrap();
        let from_url = SocketConfig::new(&url, "c").redacted_url().unwrap();
        let from_str = SocketConfig::new(url.as_str(), "c").redacted_url().unwrap();
        assert_eq!(from_url, "wss://h:8443/?client_id=c");
        assert_eq!(from_url, from_str);
    }

    #[test]
    fn validation_catches_unusable_values() {
        let ok = SocketConfig::new("http://h/api", "c");
        assert!(ok.validate().is_ok());
        let bad = [
            SocketConfig::new("http://h/api", " "),
            ok.clone().queue_capacity(0),
            ok.clone().event_capacity(0),
            ok.clone().heartbeat_timeout(Duration::ZERO),
            ok.clone().backoff(Duration::ZERO, Duration::from_secs(1)),
            ok.clone().connect_timeout(Duration::ZERO),
        ];
        for config in bad {
            let err = config.validate().unwrap_err();
            assert_eq!(err.kind(), WsErrorKind::InvalidConfig, "{config:?}");
        }
        let err = SocketConfig::new("gopher://h", "c").validate().unwrap_err();
        assert_eq!(err.kind(), WsErrorKind::InvalidUrl);
    }
}
