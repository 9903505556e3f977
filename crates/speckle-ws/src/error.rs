//! The crate's one error type.
//!
//! Shaped like twilight's errors: a struct with a `#[non_exhaustive]` kind and
//! an optional source. Two deliberate differences:
//!
//! - The source is stored as *text that has already been scrubbed* of the
//!   access token ([`crate::redact_access_token`]), not as the original
//!   error value. Transport errors (tungstenite, rustls, HTTP responses from
//!   proxies) may quote the request URL, and that URL carries the apitoken;
//!   keeping only scrubbed text makes a leak through `Display`, `Debug` or a
//!   `tracing` field impossible by construction.
//! - It is `Clone` (the source sits behind an `Arc`), so it can travel inside
//!   [`Event`](crate::Event)s, which are `Clone` for fan-out.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::redact::redact_access_token;

/// What went wrong. Use [`WsError::kind`] to branch on it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsErrorKind {
    /// The base URL cannot be turned into a websocket URL (unparsable, no
    /// host, or a scheme other than `http`, `https`, `ws` or `wss`).
    InvalidUrl,
    /// A configuration value is unusable (for example an empty client id,
    /// which the real server answers by crashing its worker, or a zero
    /// capacity).
    InvalidConfig,
    /// [`SpeckleSocket::connect`](crate::SpeckleSocket::connect) was called
    /// outside a tokio runtime, so the background task cannot be spawned.
    NoRuntime,
    /// Opening the connection failed (DNS, TCP, TLS or the HTTP upgrade).
    /// The socket retries with backoff.
    Connect,
    /// Opening the connection took longer than the configured connect timeout.
    /// The socket retries with backoff.
    ConnectTimeout,
    /// An open connection failed while reading or writing, or the peer went
    /// away without a close frame. The socket reconnects.
    ConnectionLost,
    /// The server sent a websocket close frame. The socket reconnects.
    ServerClosed,
    /// Nothing at all arrived for the configured heartbeat timeout (the server
    /// pings every 30 s), so the connection was presumed dead and dropped. The
    /// socket reconnects.
    HeartbeatTimeout,
    /// The outgoing queue is full: the frame was **not** accepted. Nothing
    /// was dropped silently; retry later or raise
    /// [`SocketConfig::queue_capacity`](crate::SocketConfig::queue_capacity).
    QueueFull,
    /// The socket is closed (after [`SocketHandle::close`](crate::SocketHandle::close)
    /// or after giving up reconnecting), so nothing can be sent any more.
    Closed,
    /// Frames that were still queued when the socket closed while
    /// disconnected were discarded (reported so that it is never silent).
    Discarded,
    /// A frame could not be encoded as JSON.
    Encode,
}

impl WsErrorKind {
    /// Whether the socket deals with this error by reconnecting (the error is
    /// then only informative).
    pub fn is_retried(self) -> bool {
        matches!(
            self,
            Self::Connect
                | Self::ConnectTimeout
                | Self::ConnectionLost
                | Self::ServerClosed
                | Self::HeartbeatTimeout
        )
    }

    fn sentence(self) -> &'static str {
        match self {
            Self::InvalidUrl => "invalid websocket base URL",
            Self::InvalidConfig => "invalid websocket configuration",
            Self::NoRuntime => "no tokio runtime to drive the websocket",
            Self::Connect => "websocket connection failed",
            Self::ConnectTimeout => "websocket connection timed out",
            Self::ConnectionLost => "websocket connection lost",
            Self::ServerClosed => "server closed the websocket",
            Self::HeartbeatTimeout => "websocket heartbeat timed out",
            Self::QueueFull => "websocket send queue is full",
            Self::Closed => "websocket is closed",
            Self::Discarded => "queued websocket frames were discarded",
            Self::Encode => "websocket frame could not be encoded",
        }
    }
}

/// An error from the websocket client.
///
/// `Display` is a single line: the kind's sentence plus a short detail. The
/// underlying transport error, if any, is available through
/// [`std::error::Error::source`] as already-redacted text.
#[derive(Clone)]
pub struct WsError {
    kind: WsErrorKind,
    detail: Option<String>,
    source: Option<Arc<ScrubbedSource>>,
}

impl WsError {
    pub(crate) fn new(kind: WsErrorKind) -> Self {
        Self {
            kind,
            detail: None,
            source: None,
        }
    }

    /// Adds a one-line detail; it is scrubbed like a source.
    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(redact_access_token(&detail.into()).into_owned());
        self
    }

    /// Keeps `source` as scrubbed text (the whole `source()` chain flattened
    /// into one line), never as the original value.
    pub(crate) fn with_source(mut self, source: &(dyn StdError + 'static)) -> Self {
        let mut text = source.to_string();
        let mut next = source.source();
        while let Some(err) = next {
            text.push_str(": ");
            text.push_str(&err.to_string());
            next = err.source();
        }
        self.source = Some(Arc::new(ScrubbedSource(
            redact_access_token(&text).into_owned(),
        )));
        self
    }

    pub(crate) fn queue_full(capacity: usize) -> Self {
        Self::new(WsErrorKind::QueueFull)
            .with_detail(format!("{capacity} frames are already waiting"))
    }

    pub(crate) fn closed() -> Self {
        Self::new(WsErrorKind::Closed)
    }

    pub(crate) fn heartbeat_timeout(silent_for: Duration) -> Self {
        Self::new(WsErrorKind::HeartbeatTimeout)
            .with_detail(format!("no frame received for {silent_for:?}"))
    }

    /// `Display` plus the (scrubbed) source, for log lines.
    pub(crate) fn report(&self) -> String {
        match &self.source {
            Some(source) => format!("{self}: {}", source.0),
            None => self.to_string(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> WsErrorKind {
        self.kind
    }

    /// The short detail shown after the kind's sentence, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Whether the socket handles this error by reconnecting.
    pub fn is_retried(&self) -> bool {
        self.kind.is_retried()
    }

    /// Whether a send was refused because the outgoing queue is full.
    pub fn is_queue_full(&self) -> bool {
        self.kind == WsErrorKind::QueueFull
    }

    /// Whether a send was refused because the socket is closed.
    pub fn is_closed(&self) -> bool {
        self.kind == WsErrorKind::Closed
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.sentence())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("WsError");
        s.field("kind", &self.kind);
        if let Some(detail) = &self.detail {
            s.field("detail", detail);
        }
        if let Some(source) = &self.source {
            s.field("source", &source.0);
        }
        s.finish()
    }
}

impl StdError for WsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

impl PartialEq for WsError {
    /// Errors compare by kind and detail; the source text is informative only.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.detail == other.detail
    }
}

/// A transport error reduced to scrubbed text.
#[derive(Debug)]
struct ScrubbedSource(String);

impl fmt::Display for ScrubbedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for ScrubbedSource {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_detail() {
        let err = WsError::queue_full(3);
        assert_eq!(
            err.to_string(),
            "websocket send queue is full: 3 frames are already waiting"
        );
        assert!(err.is_queue_full());
        assert!(!err.is_retried());
    }

    #[test]
    fn sources_are_scrubbed_of_tokens() {
        let io = std::io::Error::other(
            "GET ws://h/?client_id=c&access_token=JWT%20abc.def&stream_id=s failed",
        );
        let err = WsError::new(WsErrorKind::Connect).with_source(&io);
        let debug = format!("{err:?}");
        let source = err.source().map(ToString::to_string).unwrap_or_default();
        for text in [debug, source] {
            assert!(!text.contains("abc.def"), "{text}");
            assert!(text.contains("access_token=<redacted>"), "{text}");
        }
    }
}
