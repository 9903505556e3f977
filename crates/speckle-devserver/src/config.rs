//! Server configuration: a builder over the real server's `.env` knobs.

use std::path::PathBuf;
use std::time::Duration;

/// How to run a [`DevServer`](crate::DevServer).
///
/// `Config::default()` is an in-memory database on an ephemeral loopback
/// port, with the real server's `.env-base` settings: public streams,
/// public registration, e-mails hidden, a 10 MB request limit and a 30 s
/// websocket heartbeat.
///
/// ```
/// use speckle_devserver::Config;
/// use std::time::Duration;
///
/// let config = Config::default()
///     .port(0)
///     .server_name("My test server")
///     .ping_interval(Duration::from_millis(200))
///     .request_limit(1024 * 1024);
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) port: u16,
    pub(crate) data_file: Option<PathBuf>,
    pub(crate) request_limit: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) server_name: String,
    pub(crate) public_registration: bool,
    pub(crate) expose_emails: bool,
    pub(crate) public_streams: bool,
    pub(crate) jwt_secret: Option<crate::auth::Secret>,
    pub(crate) plugins: Vec<serde_json::Value>,
    pub(crate) busy_timeout: Duration,
    pub(crate) quadratic_save_cost: Option<crate::app::QuadraticCost>,
    pub(crate) fixed_save_cost: Duration,
    pub(crate) log_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            data_file: None,
            request_limit: 10 * 1024 * 1024,
            ping_interval: Duration::from_secs(30),
            server_name: "Speckle Dev Server".into(),
            public_registration: true,
            expose_emails: false,
            public_streams: true,
            jwt_secret: None,
            plugins: Vec::new(),
            busy_timeout: Duration::from_secs(5),
            quadratic_save_cost: None,
            fixed_save_cost: Duration::ZERO,
            log_requests: false,
        }
    }
}

impl Config {
    /// The loopback port to listen on; 0 (the default) picks a free one.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Keeps the data in this SQLite file (created if missing, WAL mode).
    #[must_use]
    pub fn data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    /// Keeps the data in memory only (the default): gone on shutdown.
    #[must_use]
    pub fn in_memory(mut self) -> Self {
        self.data_file = None;
        self
    }

    /// The largest request body accepted, in bytes, measured after gzip or
    /// deflate decoding (`REQ_SIZE`; default 10 MiB). Larger bodies get 413;
    /// a larger websocket message closes its socket.
    #[must_use]
    pub fn request_limit(mut self, bytes: usize) -> Self {
        self.request_limit = bytes;
        self
    }

    /// How often websockets are sent the text `ping` (default 30 s).
    #[must_use]
    pub fn ping_interval(mut self, every: Duration) -> Self {
        self.ping_interval = every;
        self
    }

    /// The `serverName` shown by `GET /api` (`SERVER_NAME`).
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = name.into();
        self
    }

    /// Whether `POST /accounts/register` is open (`PUBLIC_REGISTRATION`;
    /// default true). When false it answers 401.
    #[must_use]
    pub fn public_registration(mut self, open: bool) -> Self {
        self.public_registration = open;
        self
    }

    /// Whether each request is logged to stderr as one line: method, path
    /// (never the query, which can hold a websocket's token), status and
    /// time taken (default false; the binary's `--log`, or any `RUST_LOG`).
    #[must_use]
    pub fn log_requests(mut self, log: bool) -> Self {
        self.log_requests = log;
        self
    }

    /// Whether `GET /accounts/:id` and `POST /accounts/search` show e-mails
    /// (`EXPOSE_EMAILS`; default false).
    #[must_use]
    pub fn expose_emails(mut self, expose: bool) -> Self {
        self.expose_emails = expose;
        self
    }

    /// Whether new streams are public by default (`PUBLIC_STREAMS`; default
    /// true, as in the real server's `.env-base`).
    #[must_use]
    pub fn public_streams(mut self, public: bool) -> Self {
        self.public_streams = public;
        self
    }

    /// The HS256 secret tokens are signed with (`SESSION_SECRET`). Without
    /// one, a data file gets a random secret on first use and keeps it (so
    /// tokens survive restarts of the same file), and an in-memory server a
    /// fresh random one.
    #[must_use]
    pub fn jwt_secret(mut self, secret: impl Into<String>) -> Self {
        self.jwt_secret = Some(crate::auth::Secret::new(secret));
        self
    }

    /// How long a write waits for a data file locked by another process
    /// (another server, a backup, the `sqlite3` shell) before the request
    /// is answered `503` with `Retry-After` (default 5 s).
    #[must_use]
    pub fn busy_timeout(mut self, wait: Duration) -> Self {
        self.busy_timeout = wait;
        self
    }

    /// Plugin manifests served by `/api/plugins` and listed in `GET /api`
    /// (default none). A manifest without `canonicalUrl` gets the server's
    /// URL followed by its `serveFrom`.
    #[must_use]
    pub fn plugins(mut self, manifests: Vec<serde_json::Value>) -> Self {
        self.plugins = manifests;
        self
    }

    /// **Tests and benchmarks only**: makes `POST /objects` cost
    /// `cost × (n / reference)²` more for a request that inserts `n` new
    /// objects, like the real server's bulk save, whose work grows with the
    /// square of the new objects in one request. The wait holds the storage
    /// thread (as the real server's one worker is held), so concurrent
    /// requests queue behind it. Deterministic and CPU-free (a sleep), so
    /// that clients can be tested against a server whose best request size
    /// is a few hundred objects. Off by default; never for real use.
    ///
    /// ```
    /// use speckle_devserver::Config;
    /// use std::time::Duration;
    /// // 1,000 new objects in one request: 1 s extra; 250: 62.5 ms.
    /// let config = Config::default().quadratic_save_cost(1_000, Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn quadratic_save_cost(mut self, reference: usize, cost: Duration) -> Self {
        self.quadratic_save_cost = Some(crate::app::QuadraticCost {
            reference: reference.max(1),
            cost,
        });
        self
    }

    /// **Tests and benchmarks only**: makes every `POST /objects` that
    /// inserts new objects cost `cost` more, whatever their number: a
    /// server whose cost per request is mostly fixed (a slow disk's commit,
    /// a long round trip), where larger requests move objects faster. Held
    /// on the storage thread like [`Config::quadratic_save_cost`]. Off by
    /// default; never for real use.
    #[must_use]
    pub fn fixed_save_cost(mut self, cost: Duration) -> Self {
        self.fixed_save_cost = cost;
        self
    }
}
