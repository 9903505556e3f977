//! The pluggable layer under [`execute`](crate::execute): something that sends
//! one HTTP request and returns the status and body.
//!
//! The default is [`ReqwestTransport`]. Tests and users can plug in their own
//! (a recording proxy, a mock, a different HTTP stack) with
//! [`ClientBuilder::transport`](crate::ClientBuilder::transport).

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};

use crate::endpoint::Method;

/// A request ready to send.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, query included. Never carries credentials.
    pub url: url::Url,
    /// The `Authorization` header value (`JWT …`), kept apart from other
    /// headers so that it is never printed.
    pub authorization: Option<SecretString>,
    /// The JSON body (sent with `Content-Type: application/json`).
    pub body: Option<Bytes>,
    /// `Content-Encoding` of the body (`gzip` when compressed).
    pub content_encoding: Option<&'static str>,
    /// Per-request timeout, overriding the transport's default.
    pub timeout: Option<Duration>,
    /// The most body bytes the caller accepts: a transport stops reading
    /// past it and fails with [`TransportError::TooLarge`].
    pub max_response_bytes: Option<u64>,
}

impl HttpRequest {
    /// A request without body, token or timeout.
    pub fn new(method: Method, url: url::Url) -> Self {
        Self {
            method,
            url,
            authorization: None,
            body: None,
            content_encoding: None,
            timeout: None,
            max_response_bytes: None,
        }
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("body_bytes", &self.body.as_ref().map(Bytes::len))
            .field("content_encoding", &self.content_encoding)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What came back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// How long `Retry-After` asks to wait (seconds or an HTTP date, see
    /// [`parse_retry_after`]), when the server sent one.
    pub retry_after: Option<Duration>,
    /// The body bytes.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with a status and a body.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            retry_after: None,
            body: body.into(),
        }
    }

    /// The same response, with the wait its `Retry-After` asked for.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection could not be opened: the request was never sent.
    /// (`Display` leaves the cause to `source()`, so it is printed once.)
    #[error("could not connect")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// Any other failure after the request may have been sent.
    #[error("request failed")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer's body is larger than
    /// [`HttpRequest::max_response_bytes`]; it was not read past the limit.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
        /// The `Content-Length` the server announced, if any.
        announced: Option<u64>,
    },
}

/// The wait a `Retry-After` header value asks for: delay-seconds (`120`) or
/// an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, counted from `now`; a date
/// in the past means no wait). `None` when the value is neither.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use speckle_http::transport::parse_retry_after;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Sends HTTP requests. Implement it to replace the HTTP stack.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends one request and returns the whole response.
    ///
    /// # Errors
    /// When no HTTP answer arrived.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Which TLS library serves `https://` in this build: `"rustls"` (the
/// default, and the choice when both TLS features are on), `"native-tls"`, or
/// `"none"` (plain `http://` only).
///
/// ```
/// // "rustls" with the default features.
/// assert!(["rustls", "native-tls", "none"].contains(&speckle_http::TLS_BACKEND));
/// ```
pub const TLS_BACKEND: &str = if cfg!(feature = "rustls") {
    "rustls"
} else if cfg!(feature = "native-tls") {
    "native-tls"
} else {
    "none"
};

/// The default transport: a pooled `reqwest` client, on the TLS library
/// named by [`TLS_BACKEND`].
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with the given default timeout, connect timeout and
    /// `User-Agent`.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(
        timeout: Duration,
        connect_timeout: Duration,
        user_agent: &str,
    ) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .user_agent(user_agent);
        // reqwest picks native-tls whenever its feature is on; the crate's
        // promise is rustls when both are enabled, so ask for it by name.
        #[cfg(feature = "rustls")]
        let builder = builder.use_rustls_tls();
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        let builder = builder.use_native_tls();
        let client = builder
            .build()
            .map_err(|e| TransportError::Other(Box::new(e)))?;
        Ok(Self { client })
    }

    /// Wraps a `reqwest::Client` configured by the caller (proxies, roots, …).
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect(Box::new(error.without_url()))
    } else {
        TransportError::Other(Box::new(error.without_url()))
    }
}

/// Reads a body chunk by chunk, refusing it as soon as it passes `limit`
/// (at once when its `Content-Length` already does), so a huge answer never
/// sits whole in memory.
async fn read_body(
    mut response: reqwest::Response,
    limit: Option<u64>,
) -> Result<Bytes, TransportError> {
    let announced = response.content_length();
    let limit = limit.unwrap_or(u64::MAX);
    let too_large = || TransportError::TooLarge { limit, announced };
    if announced.is_some_and(|size| size > limit) {
        return Err(too_large());
    }
    // A body that arrives in one piece (most small answers) is handed on
    // as it came, without a copy.
    let Some(first) = response.chunk().await.map_err(classify)? else {
        return Ok(Bytes::new());
    };
    if first.len() as u64 > limit {
        return Err(too_large());
    }
    let Some(second) = response.chunk().await.map_err(classify)? else {
        return Ok(first);
    };
    // A declared length is trusted for the first allocation only up to a few
    // MiB: the body may end early, and the limit can be large.
    let expected = usize::try_from(announced.unwrap_or(0).min(8 << 20)).unwrap_or(0);
    let mut body = Vec::with_capacity(expected.max(first.len().saturating_add(second.len())));
    body.extend_from_slice(&first);
    drop(first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        let total = (body.len() as u64).saturating_add(chunk.len() as u64);
        if total > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(classify)?;
    }
    // Growing by doubling leaves up to as much room again, held for as long
    // as the answer waits for its turn; giving it back does not copy.
    body.shrink_to_fit();
    Ok(Bytes::from(body))
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, request.url);
        if let Some(token) = &request.authorization {
            let mut value = reqwest::header::HeaderValue::from_str(token.expose_secret())
                .map_err(|e| TransportError::Other(Box::new(e)))?;
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(body) = request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
            if let Some(encoding) = request.content_encoding {
                builder = builder.header(reqwest::header::CONTENT_ENCODING, encoding);
            }
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        let response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = read_body(response, request.max_response_bytes).await?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}
