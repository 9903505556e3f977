//! Where the contract suite runs: an in-process devserver by default, or the
//! server named by `SPECKLE_TEST_SERVER` (`cargo xtask test --server URL`).
//!
//! Every test that exercises server behaviour runs against either. A check
//! that needs the devserver's knobs (its object count) says so and prints
//! why it is skipped when a server is given ([`report_skip`]): a user checking
//! a deployment must see what was not checked.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use speckle_devserver::{Config, DevServer};
use speckle_http::endpoints::route_for;
use speckle_http::transport::{
    HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError,
};
use speckle_http::Route;

/// The environment variable naming a server to test against.
pub const SERVER_VARIABLE: &str = "SPECKLE_TEST_SERVER";

/// The server given in `SPECKLE_TEST_SERVER`, if any.
pub fn given_server() -> Option<String> {
    std::env::var(SERVER_VARIABLE)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// Says, past the test harness's output capture, that a test or a check was
/// skipped and why: a skip must be seen, not guessed from a green run.
pub fn report_skip(what: &str, why: &str) {
    say(&format!("SKIPPED {what}: {why}"));
}

/// Writes a line to stderr directly: libtest captures `println!` and
/// `eprintln!` of passing tests, not writes to the stream itself.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A server to test against.
pub struct Target {
    url: String,
    server: Option<DevServer>,
}

impl Target {
    /// The server given in `SPECKLE_TEST_SERVER`, else an in-process
    /// devserver with the default configuration.
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    /// The server given in `SPECKLE_TEST_SERVER`, else an in-process
    /// devserver with `config` (which a given server cannot honour).
    ///
    /// # Panics
    /// When the devserver cannot start (a test harness failure).
    pub async fn start_with(config: Config) -> Self {
        if let Some(url) = given_server() {
            return Self { url, server: None };
        }
        #[allow(clippy::expect_used)] // test harness: no server, no test
        let server = DevServer::start(config)
            .await
            .expect("the embedded devserver starts");
        Self {
            url: server.url(),
            server: Some(server),
        }
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The in-process devserver, when the suite started one (`None` against a
    /// given server).
    pub fn devserver(&self) -> Option<&DevServer> {
        self.server.as_ref()
    }

    /// Whether the suite started this server itself: it is then empty, and
    /// its first registered user is an admin.
    pub fn is_embedded(&self) -> bool {
        self.server.is_some()
    }

    /// The server's TCP address, for a proxy to forward to. Only plain
    /// `http://` can be proxied byte for byte; for `https://` the reason is
    /// returned instead.
    pub async fn upstream(&self) -> Result<SocketAddr, String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| format!("{}: {e}", self.url))?;
        if url.scheme() != "http" {
            return Err(format!(
                "the fault proxy forwards plain TCP and cannot stand in for {} (TLS)",
                url.scheme()
            ));
        }
        let host = url
            .host_str()
            .ok_or("the server URL has no host")?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let mut addresses = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("{host}:{port} does not resolve: {e}"))?;
        addresses
            .next()
            .ok_or_else(|| format!("{host}:{port} resolves to nothing"))
    }

    /// The server's URL with its scheme and authority replaced by `proxy`'s
    /// (`http://127.0.0.1:<port>`), keeping any path prefix.
    pub fn through(&self, proxy: &str) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(url) => format!(
                "{}{}",
                proxy.trim_end_matches('/'),
                url.path().trim_end_matches('/')
            ),
            Err(_) => proxy.to_owned(),
        }
    }
}

/// A suffix that makes names and object contents unique: across runs (the
/// clock), and across the tests of one run (the counter). Objects carry it so
/// that their content hashes never meet an earlier run's objects, which the
/// server would hand back, owned by an earlier user, instead of storing ours.
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn given(url: &str) -> Target {
        Target {
            url: url.to_owned(),
            server: None,
        }
    }

    #[tokio::test]
    async fn a_plain_http_server_can_be_proxied_and_https_says_why_not() {
        let address = given("http://127.0.0.1:3999/").upstream().await.unwrap();
        assert_eq!(address, "127.0.0.1:3999".parse().unwrap());
        let default_port = given("http://127.0.0.1").upstream().await.unwrap();
        assert_eq!(default_port.port(), 80);
        let refused = given("https://speckle.example.com")
            .upstream()
            .await
            .unwrap_err();
        assert!(refused.contains("TLS"), "{refused}");
    }

    #[test]
    fn the_proxy_url_keeps_the_servers_path_prefix() {
        let proxy = "http://127.0.0.1:4000";
        assert_eq!(given("http://10.0.0.5:3000/").through(proxy), proxy);
        assert_eq!(
            given("http://speckle.lan/speckle/").through(proxy),
            "http://127.0.0.1:4000/speckle"
        );
    }
}
