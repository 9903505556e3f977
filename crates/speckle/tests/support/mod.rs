//! Shared by the facade's devserver tests: users, a request log, and a wait
//! for a socket's room membership.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Sockets exist only with the `ws` feature.
#[cfg(feature = "ws")]
mod room;
#[cfg(feature = "ws")]
pub use room::wait_until_in_stream_room;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use speckle::http::transport::{
    HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError,
};
use speckle::{Register, RetryPolicy, SpeckleClient};

/// The real HTTP transport, with a log of `METHOD path` per request.
#[derive(Debug)]
pub struct RequestLog {
    inner: ReqwestTransport,
    lines: Mutex<Vec<String>>,
}

impl RequestLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: ReqwestTransport::new(
                Duration::from_secs(30),
                Duration::from_secs(10),
                "speckle-tests",
            )
            .unwrap(),
            lines: Mutex::new(Vec::new()),
        })
    }

    /// The requests made so far, as `POST /api/v1/objects`.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// How many requests uploaded objects.
    pub fn object_uploads(&self) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.as_str() == "Post /api/v1/objects")
            .count()
    }
}

#[async_trait]
impl Transport for RequestLog {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.lines
            .lock()
            .unwrap()
            .push(format!("{:?} {}", request.method, request.url.path()));
        self.inner.send(request).await
    }
}

/// A unique e-mail address for a new user.
pub fn unique_email(who: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{who}-{stamp}-{}@example.com",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A newly registered, logged-in user on `url`, whose requests go through
/// `log` when given.
pub async fn user(url: &str, who: &str, log: Option<Arc<RequestLog>>) -> SpeckleClient {
    let mut builder = SpeckleClient::builder(url).retry(
        RetryPolicy::default()
            .with_max_retries(1)
            .with_base_delay(Duration::from_millis(5)),
    );
    if let Some(log) = log {
        builder = builder.transport(log);
    }
    let client = builder.build().unwrap();
    client
        .register(Register::new(unique_email(who), "test-password-123").name(who))
        .await
        .unwrap();
    client
}
