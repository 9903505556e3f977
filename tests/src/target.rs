//! Where the contract suite runs: an in-process devserver by default, or the
//! server named by `SPECKLE_TEST_SERVER` (`cargo xtask test --server URL`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use speckle_http::endpoints::route_for;
use speckle_http::transport::{
    HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError,
};
use speckle_http::Route;

/// A server to test against.
pub struct Target {
    url: String,
    /// Whether the suite started this server itself (so its first user is admin).
    pub embedded: bool,
    _server: Option<speckle_devserver::DevServer>,
}

impl Target {
    /// Starts an in-process devserver, unless `SPECKLE_TEST_SERVER` is set.
    ///
    /// # Panics
    /// When the devserver cannot start (a test harness failure).
    pub async fn start() -> Self {
        match std::env::var("SPECKLE_TEST_SERVER") {
            Ok(url) if !url.trim().is_empty() => Self {
                url,
                embedded: false,
                _server: None,
            },
            _ => {
                #[allow(clippy::expect_used)] // test harness: no server, no test
                let server =
                    speckle_devserver::DevServer::start(speckle_devserver::Config::default())
                        .await
                        .expect("the embedded devserver starts");
                Self {
                    url: server.url(),
                    embedded: true,
                    _server: Some(server),
                }
            }
        }
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A suffix that makes names unique on a shared server.
pub fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A transport that forwards to reqwest and notes every route it sends to.
#[derive(Debug)]
pub struct RouteRecorder {
    inner: ReqwestTransport,
    hits: Arc<Mutex<Vec<Route>>>,
}

impl RouteRecorder {
    /// A recorder writing into `hits`.
    ///
    /// # Panics
    /// When the HTTP client cannot be built.
    pub fn new(hits: Arc<Mutex<Vec<Route>>>) -> Self {
        #[allow(clippy::expect_used)] // test harness
        let inner = ReqwestTransport::new(
            std::time::Duration::from_secs(120),
            std::time::Duration::from_secs(10),
            "speckle-rs-contract-tests",
        )
        .expect("reqwest client");
        Self { inner, hits }
    }
}

#[async_trait]
impl Transport for RouteRecorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Some(route) = route_for(request.method, request.url.path()) {
            if let Ok(mut hits) = self.hits.lock() {
                hits.push(route);
            }
        }
        self.inner.send(request).await
    }
}
