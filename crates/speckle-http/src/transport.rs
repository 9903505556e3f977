//! The pluggable layer under [`execute`](crate::execute): something that sends
//! one HTTP request and returns the status and body.
//!
//! The default is [`ReqwestTransport`]. Tests and users can plug in their own
//! (a recording proxy, a mock, a different HTTP stack) with
//! [`ClientBuilder::transport`](crate::ClientBuilder::transport).

use std::fmt;
use std::time::Duration;

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
            .finish()
    }
}

/// What came back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
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
}

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection could not be opened: the request was never sent.
    #[error("could not connect: {0}")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// Any other failure after the request may have been sent.
    #[error("request failed: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
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
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(classify)?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}
