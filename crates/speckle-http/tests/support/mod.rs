//! Shared test support: recorded fixtures, a mock server with a catch-all
//! that names unexpected requests, and an exact request matcher.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde_json::Value;
use speckle_http::{Client, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// The token the test client sends.
pub const TOKEN: &str = "JWT test-token.abc.def";

const TRANSCRIPTS: &str = include_str!("../../../../fixtures/speckle-v1-server-transcripts.jsonl");
const SYNTHETIC: &str = include_str!("../fixtures/synthetic-responses.json");

/// A recorded exchange from the real server (SpeckleServer 1.6.0).
pub struct Recorded {
    pub status: u16,
    pub request_body: Value,
    pub response_body: Value,
    pub url: String,
}

/// The exchange with sequence number `seq` in the transcripts.
pub fn recorded(seq: u64) -> Recorded {
    for line in TRANSCRIPTS.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        if record["seq"] == seq {
            return Recorded {
                status: record["response"]["status"].as_u64().unwrap() as u16,
                request_body: record["request"]["body"].clone(),
                response_body: record["response"]["body"].clone(),
                url: record["request"]["url"].as_str().unwrap().to_owned(),
            };
        }
    }
    panic!("no recorded exchange {seq}");
}

/// A response shape of the real server, documented but not recorded, for a route the transcripts do not
/// cover with a success (see `fixtures/synthetic-responses.json`).
pub fn synthetic(name: &str) -> Value {
    let all: Value = serde_json::from_str(SYNTHETIC).unwrap();
    all.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no synthetic response {name}"))
}

/// A mock server whose last-resort mock answers 599 with a description of the
/// request it did not expect, so a failing test says what was sent.
pub async fn mock_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(599)
                .set_body_string(format!("unexpected request: {}", describe(request)))
        })
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

pub fn describe(request: &Request) -> String {
    format!(
        "{} {}{} auth={:?} body={}",
        request.method,
        request.url.path(),
        request
            .url
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        String::from_utf8_lossy(&request.body)
    )
}

/// A client of the mock server, logged in with [`TOKEN`], without retries.
pub fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .token(TOKEN)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// A client of the mock server without any token.
pub fn anonymous_client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// Matches one exact request: method, path, query string (or none),
/// `Authorization` (or none) and JSON body (or none).
#[derive(Debug, Clone)]
pub struct Exact {
    pub method: &'static str,
    pub path: String,
    pub query: Option<String>,
    pub auth: Option<String>,
    pub body: Option<Value>,
}

impl Exact {
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: None,
            auth: Some(TOKEN.to_owned()),
            body: None,
        }
    }
    pub fn query(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }
    pub fn no_auth(mut self) -> Self {
        self.auth = None;
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Match for Exact {
    fn matches(&self, request: &Request) -> bool {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Option<Value> = if request.body.is_empty() {
            None
        } else {
            serde_json::from_slice(&request.body).ok()
        };
        let json_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        request.method.as_str() == self.method
            && request.url.path() == self.path
            && request.url.query().map(str::to_owned) == self.query
            && auth == self.auth
            && body == self.body
            && (self.body.is_none() || json_type)
    }
}

/// Mounts `expected` answering `status` with `body` (JSON), expecting exactly one call.
pub async fn expect(server: &MockServer, expected: Exact, status: u16, body: &Value) {
    Mock::given(expected)
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

/// Shared handle for transports in tests.
pub type Shared<T> = Arc<T>;

/// One canned outcome of [`FakeTransport`].
pub enum Canned {
    /// An HTTP answer.
    Answer(speckle_http::transport::HttpResponse),
    /// A failure without answer.
    Fail(fn() -> speckle_http::transport::TransportError),
}

/// A transport that answers from a script, in order, repeating the last
/// entry, and counts the requests it saw.
#[derive(Debug)]
pub struct FakeTransport {
    script: std::sync::Mutex<Vec<Canned>>,
    pub requests: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Canned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Canned::Answer(response) => write!(f, "Answer({})", response.status),
            Canned::Fail(_) => f.write_str("Fail"),
        }
    }
}

impl FakeTransport {
    pub fn new(script: Vec<Canned>) -> Arc<Self> {
        assert!(!script.is_empty());
        Arc::new(Self {
            script: std::sync::Mutex::new(script),
            requests: Default::default(),
        })
    }

    /// Always the same answer.
    pub fn answering(status: u16, body: impl Into<bytes::Bytes>) -> Arc<Self> {
        Self::new(vec![Canned::Answer(
            speckle_http::transport::HttpResponse::new(status, body),
        )])
    }

    /// A client of this transport, logged in with [`TOKEN`].
    pub fn client(self: &Arc<Self>, retry: RetryPolicy) -> Client {
        Client::builder("http://fake.invalid")
            .token(TOKEN)
            .retry(retry)
            .transport(self.clone())
            .build()
            .unwrap()
    }

    pub fn count(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl speckle_http::transport::Transport for FakeTransport {
    async fn send(
        &self,
        _request: speckle_http::transport::HttpRequest,
    ) -> Result<speckle_http::transport::HttpResponse, speckle_http::transport::TransportError>
    {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut script = self.script.lock().unwrap();
        let next = if script.len() > 1 {
            script.remove(0)
        } else {
            match &script[0] {
                Canned::Answer(response) => Canned::Answer(response.clone()),
                Canned::Fail(make) => Canned::Fail(*make),
            }
        };
        match next {
            Canned::Answer(response) => Ok(response),
            Canned::Fail(make) => Err(make()),
        }
    }
}

/// Everything `tracing` writes while it is installed, at every level: the
/// secrets tests read it to prove no token reaches a log line.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Installs a TRACE-level subscriber writing here, for as long as the
    /// returned guard lives (this thread only).
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
