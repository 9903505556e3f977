//! The one error type of the SDK.
//!
//! An [`Error`] is a kind ([`ErrorKind`]), the request it happened on, and an
//! optional source. Its `Display` is one line, `METHOD URL: cause (hint: …)`,
//! with the real URL of the request (ids included); the raw body of an answer
//! (the server's `Unauthorized` text, HTML 404/413/500 pages, JSON error
//! bodies) is kept and readable through [`Error::body`], never thrown away.
//!
//! `Display` never repeats what [`source`](std::error::Error::source) yields,
//! so an error reporter that prints the error and then walks its sources
//! prints each cause once:
//!
//! ```
//! fn report(error: &speckle_http::Error) -> String {
//!     let mut text = error.to_string();
//!     let mut source = std::error::Error::source(error);
//!     while let Some(cause) = source {
//!         text.push_str(&format!("\n  caused by: {cause}"));
//!         source = cause.source();
//!     }
//!     text
//! }
//! # let _ = report;
//! ```
//!
//! No error ever holds a token, an api token or a password: bodies, messages
//! and sources are redacted when the error is made, for every kind.

use std::error::Error as StdError;
use std::fmt;

use serde_json::Value;
use speckle_types::message_text;

use crate::endpoint::Route;

/// What went wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error: a non-2xx status, or a JSON body with
    /// `success: false`.
    Api {
        /// HTTP status.
        status: u16,
        /// The `message` of a JSON error body: any JSON value (the server
        /// sometimes sends `{}` or `"{}"`).
        message: Option<Value>,
        /// The raw body (`Unauthorized`, an HTML page, the JSON), truncated
        /// to a few KiB, secrets redacted; `None` when empty.
        body: Option<String>,
    },
    /// The request never got an answer: DNS, connect, TLS or I/O failure.
    Transport {
        /// Whether the request provably never reached the server (the
        /// connection could not be opened), which makes a retry safe even for
        /// non-idempotent requests.
        not_sent: bool,
    },
    /// No answer within the configured timeout.
    Timeout,
    /// The server answered 2xx but the body is not what the route returns.
    Decode {
        /// The JSON path where decoding failed, e.g. `resource.layers[0]`.
        path: String,
        /// The body (truncated to a few KiB, secrets redacted).
        body: String,
    },
    /// The answer was larger than the client accepts (see
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    /// It was not read past the limit.
    ResponseTooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The size the server announced (`Content-Length`), when it did.
        announced: Option<u64>,
    },
    /// A request body could not be serialized.
    Encode,
    /// The caller's input cannot make a valid request (checked before sending).
    InvalidInput(String),
    /// The route needs a token and the client has none: log in first.
    NotAuthenticated,
    /// What was asked for does not exist, known from an answer of the
    /// server without a route of its own saying so (a user missing from the
    /// admin listing that `set_role` reads).
    NotFound(String),
    /// A live connection (websocket) failed; [`Error::websocket`] gives the
    /// websocket error to branch on its kind. Only with the `ws` feature.
    #[cfg(feature = "ws")]
    WebSocket(speckle_ws::WsError),
}

/// The error of every SDK call.
///
/// ```
/// # async fn demo(client: speckle_http::Client) {
/// use speckle_http::endpoints::streams::GetStream;
/// match speckle_http::execute(&client, &GetStream::new("doesNotExist")).await {
///     Ok(envelope) => println!("{:?}", envelope.resource),
///     Err(error) if error.is_not_found() => println!("no such stream"),
///     Err(error) => eprintln!("{error}"),
/// }
/// # }
/// ```
pub struct Error {
    kind: ErrorKind,
    route: Option<Route>,
    /// Boxed: errors travel in every `Result`, so they stay small.
    context: Option<Box<Context>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// What a failed push had stored before it failed (see [`Error::push_outcome`]).
    push_outcome: Option<Box<crate::bulk::PushOutcome>>,
}

/// What an error says beyond its kind.
#[derive(Debug, Clone, Default)]
struct Context {
    /// `METHOD URL` of the request that failed, secrets redacted.
    request: Option<String>,
    /// Size of the request body, for errors about its size.
    request_bytes: Option<u64>,
    /// The cause in words, shown after the kind (secrets redacted). Never the
    /// text of `source`, so that a reporter walking sources prints it once.
    detail: Option<String>,
    /// What to do about it, when one thing is obvious.
    hint: Option<String>,
}

impl Error {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            route: None,
            context: None,
            source: None,
            push_outcome: None,
        }
    }

    /// For a failed push: what was stored before it failed (ids of the
    /// objects stored, `None` for the rest, and the counters). Pushing the
    /// same objects again is safe: the server keeps one object per hash.
    pub fn push_outcome(&self) -> Option<&crate::bulk::PushOutcome> {
        self.push_outcome.as_deref()
    }

    /// Takes the partial outcome of a failed push out of the error.
    pub fn take_push_outcome(&mut self) -> Option<crate::bulk::PushOutcome> {
        self.push_outcome.take().map(|outcome| *outcome)
    }

    /// The error, carrying what a failed push had stored.
    #[must_use]
    pub fn with_push_outcome(mut self, outcome: crate::bulk::PushOutcome) -> Self {
        self.push_outcome = Some(Box::new(outcome));
        self
    }

    fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Box::default)
    }

    fn context(&self) -> Option<&Context> {
        self.context.as_deref()
    }

    /// The same error about a different subject: the kind, request and
    /// size of `self`, with `context` said first. Used to report a failure
    /// kept elsewhere (a push's per-object failure) without losing its kind.
    pub(crate) fn restated(&self, context: String) -> Self {
        let mut restated = self.context().cloned().unwrap_or_default();
        restated.detail = Some(match restated.detail {
            Some(detail) => format!("{context}: {detail}"),
            None => context,
        });
        Self {
            kind: self.kind.clone(),
            route: self.route,
            context: Some(Box::new(restated)),
            source: None,
            push_outcome: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.context_mut().detail = Some(detail.into());
        self
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.context_mut().hint = Some(hint.into());
        self
    }

    /// Names the request: `request` is `METHOD URL`, already redacted.
    pub(crate) fn on_request(mut self, request: String, body_bytes: Option<u64>) -> Self {
        let context = self.context_mut();
        context.request = Some(request);
        context.request_bytes = body_bytes;
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_boxed_source(mut self, source: Box<dyn StdError + Send + Sync>) -> Self {
        self.source = Some(source);
        self
    }

    pub(crate) fn at(mut self, route: Route) -> Self {
        self.route = Some(route);
        self
    }

    pub(crate) fn invalid_input(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput(reason.into()))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The route (method and path template) the error happened on, if any.
    pub fn route(&self) -> Option<&Route> {
        self.route.as_ref()
    }

    /// The request that failed, `METHOD URL` with the real ids
    /// (`GET https://host/api/v1/streams/abc`), when one was made.
    pub fn request(&self) -> Option<&str> {
        self.context().and_then(|c| c.request.as_deref())
    }

    /// The size in bytes of the request body that was sent, when the error
    /// is about it (a body over the server's limit).
    pub fn request_bytes(&self) -> Option<u64> {
        self.context().and_then(|c| c.request_bytes)
    }

    /// What to do about the error, when one thing is obvious (also shown
    /// by `Display`).
    pub fn hint(&self) -> Option<&str> {
        self.context().and_then(|c| c.hint.as_deref())
    }

    /// The websocket error, for an error of a live connection. Only with
    /// the `ws` feature.
    #[cfg(feature = "ws")]
    pub fn websocket(&self) -> Option<&speckle_ws::WsError> {
        match &self.kind {
            ErrorKind::WebSocket(error) => Some(error),
            _ => None,
        }
    }

    /// A live connection (websocket) failed. Only with the `ws` feature.
    #[cfg(feature = "ws")]
    pub fn is_websocket(&self) -> bool {
        matches!(self.kind, ErrorKind::WebSocket(_))
    }

    /// The caller's input could not make a valid request; nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidInput(_))
    }

    /// Consumes the error, giving its kind and source.
    pub fn into_parts(self) -> (ErrorKind, Option<Box<dyn StdError + Send + Sync>>) {
        (self.kind, self.source)
    }

    /// The HTTP status of a server error.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's `message` value, whatever its JSON type.
    pub fn message(&self) -> Option<&Value> {
        match &self.kind {
            ErrorKind::Api { message, .. } => message.as_ref(),
            _ => None,
        }
    }

    /// The server's message as text: the JSON `message` when it is a real
    /// string, else (when the answer had no `message`) a plain-text body such
    /// as `Unauthorized` (HTML pages are not text messages).
    pub fn server_message(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Api {
                message: Some(message),
                ..
            } => message_text(message),
            ErrorKind::Api {
                message: None,
                body,
                ..
            } => body
                .as_deref()
                .filter(|b| !looks_like_html(b))
                .map(str::trim),
            _ => None,
        }
    }

    /// The raw body of the server's answer (text, HTML or JSON), truncated
    /// to a few KiB, secrets redacted.
    pub fn body(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Api { body, .. } => body.as_deref(),
            ErrorKind::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    fn message_contains(&self, needle: &str) -> bool {
        self.server_message()
            .is_some_and(|m| m.to_ascii_lowercase().contains(needle))
    }

    /// The request was not authenticated: a 401 (`Unauthorized`, bad
    /// credentials, not an admin) or no token on the client.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.kind, ErrorKind::NotAuthenticated) || self.status() == Some(401)
    }

    /// The caller is authenticated but not allowed: a 403 (archived user), or
    /// one of the permission rejections that the server sends with 400, 401
    /// or 404 (`You are not authorised to …`, `Protected field …`, `You do
    /// not own the stream.`, `Only admins can access this route`).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
            || self.message_contains("authorised")
            || self.message_contains("do not own")
            || self.message_contains("only admins")
    }

    /// The resource does not exist: a 404, or a not-found message under the
    /// 400 some routes use (`Error: Resource not found.`, `no users found`).
    /// An HTML 404 (unknown route) counts too.
    pub fn is_not_found(&self) -> bool {
        if self.is_forbidden() {
            return false;
        }
        matches!(self.kind, ErrorKind::NotFound(_))
            || self.status() == Some(404)
            || self.message_contains("not found")
    }

    /// The body was over the server's size limit (413), also when reported
    /// for one object of a push that the server refused alone.
    pub fn is_too_large(&self) -> bool {
        self.status() == Some(413)
    }

    /// The server's answer was over the client's size limit (see
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    pub fn is_response_too_large(&self) -> bool {
        matches!(self.kind, ErrorKind::ResponseTooLarge { .. })
    }

    /// A 400 that is not a permission or not-found case.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(400) && !self.is_forbidden() && !self.is_not_found()
    }

    /// A 5xx (the real server answers HTML 500 on uncaught exceptions).
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| (500..600).contains(&s))
    }

    /// The request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout)
    }

    /// The connection failed (no HTTP answer).
    pub fn is_transport(&self) -> bool {
        matches!(self.kind, ErrorKind::Transport { .. })
    }

    /// A 2xx body did not match the route's model.
    pub fn is_decode(&self) -> bool {
        matches!(self.kind, ErrorKind::Decode { .. })
    }
}

pub(crate) fn looks_like_html(body: &str) -> bool {
    let start = body.trim_start();
    start.starts_with("<!DOCTYPE") || start.starts_with("<html") || start.starts_with("<!doctype")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.request(), &self.route) {
            (Some(request), _) => write!(f, "{request}: ")?,
            (None, Some(route)) => write!(f, "{route}: ")?,
            (None, None) => {}
        }
        match &self.kind {
            ErrorKind::Api { status, body, .. } => {
                write!(f, "server answered {status}")?;
                if *status == 413 {
                    f.write_str(": the request body")?;
                    if let Some(bytes) = self.request_bytes() {
                        write!(f, " of {bytes} bytes")?;
                    }
                    f.write_str(
                        " is over the server's body limit (REQ_SIZE, 10 MB unless the \
                         server sets it; gzipped bodies count unzipped)",
                    )?;
                } else if let Some(text) = self.server_message() {
                    write!(f, ": {}", one_line(text))?;
                } else if let Some(body) = body.as_deref().filter(|b| looks_like_html(b)) {
                    write!(f, " (HTML page, {} bytes)", body.len())?;
                }
                Ok(())
            }
            ErrorKind::Transport { not_sent: true } => f.write_str("could not connect"),
            ErrorKind::Transport { not_sent: false } => f.write_str("the connection failed"),
            ErrorKind::Timeout => f.write_str("the request timed out"),
            ErrorKind::Decode { path, .. } => {
                write!(f, "unexpected response body")?;
                if !path.is_empty() && path != "." {
                    write!(f, " at `{path}`")?;
                }
                Ok(())
            }
            ErrorKind::ResponseTooLarge { limit, announced } => {
                write!(f, "the answer is larger than the limit of {limit} bytes")?;
                if let Some(size) = announced {
                    write!(f, " (announced: {size} bytes)")?;
                }
                Ok(())
            }
            ErrorKind::Encode => f.write_str("the request body could not be serialized"),
            ErrorKind::InvalidInput(reason) => write!(f, "invalid input: {reason}"),
            ErrorKind::NotFound(what) => write!(f, "not found: {what}"),
            ErrorKind::NotAuthenticated => {
                f.write_str("this route needs a token: log in or set a token first")
            }
            #[cfg(feature = "ws")]
            ErrorKind::WebSocket(error) => write!(f, "{error}"),
        }?;
        if let Some(detail) = self.context().and_then(|c| c.detail.as_deref()) {
            write!(f, ": {}", one_line(detail))?;
        }
        if let Some(hint) = self.hint() {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

fn one_line(text: &str) -> String {
    let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| line.is_char_boundary(*i))
            .unwrap_or(0);
        line.truncate(cut);
        line.push('…');
    }
    line
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("route", &self.route)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            // Display shows the websocket error itself: its cause is next.
            #[cfg(feature = "ws")]
            ErrorKind::WebSocket(error) => error.source(),
            _ => self
                .source
                .as_deref()
                .map(|s| s as &(dyn StdError + 'static)),
        }
    }
}

/// Websocket errors are SDK errors too, so `?` works across HTTP calls and
/// live connections in one function. The websocket error is already
/// scrubbed of the access token.
#[cfg(feature = "ws")]
impl From<speckle_ws::WsError> for Error {
    fn from(error: speckle_ws::WsError) -> Self {
        Self::new(ErrorKind::WebSocket(error))
    }
}
