//! State shared by every request and socket.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::db::Store;
use crate::json::{from_serde, js_set, Json};
use crate::ws::Hub;

/// The configuration as handlers use it.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) server_name: String,
    pub(crate) public_registration: bool,
    pub(crate) expose_emails: bool,
    /// Log one line per request to stderr.
    pub(crate) log_requests: bool,
    pub(crate) public_streams: bool,
    pub(crate) jwt_secret: crate::auth::Secret,
    pub(crate) request_limit: usize,
    pub(crate) ping_interval: Duration,
    /// `CANONICAL_URL`: the server's own URL.
    pub(crate) canonical_url: String,
    /// The plugin manifests (a JSON array).
    pub(crate) plugins: Json,
    /// The test-only extra cost of bulk saves (see `Config::quadratic_save_cost`).
    pub(crate) quadratic_save_cost: Option<QuadraticCost>,
    /// The test-only fixed cost of bulk saves (see `Config::fixed_save_cost`).
    pub(crate) fixed_save_cost: Duration,
}

/// An extra cost of `cost × (n / reference)²` for saving `n` new objects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QuadraticCost {
    pub(crate) reference: usize,
    pub(crate) cost: Duration,
}

impl QuadraticCost {
    /// The extra time a save of `new_objects` new objects takes.
    pub(crate) fn of(&self, new_objects: usize) -> Duration {
        let ratio = new_objects as f64 / self.reference as f64;
        self.cost.mul_f64(ratio * ratio)
    }
}

impl Settings {
    pub(crate) fn new(config: &Config, url: &str, jwt_secret: crate::auth::Secret) -> Settings {
        let plugins = config
            .plugins
            .iter()
            .map(|p| {
                let mut v = from_serde(p);
                if let Json::Obj(m) = &mut v {
                    if !m.contains_key("canonicalUrl") {
                        let serve_from =
                            m.get("serveFrom").map(Json::js_string).unwrap_or_default();
                        js_set(
                            m,
                            "canonicalUrl".into(),
                            Json::Str(format!("{url}{serve_from}")),
                        );
                    }
                }
                v
            })
            .collect();
        Settings {
            server_name: config.server_name.clone(),
            public_registration: config.public_registration,
            expose_emails: config.expose_emails,
            log_requests: config.log_requests,
            public_streams: config.public_streams,
            jwt_secret,
            request_limit: config.request_limit,
            ping_interval: config.ping_interval,
            canonical_url: url.to_string(),
            plugins: Json::Arr(plugins),
            quadratic_save_cost: config.quadratic_save_cost,
            fixed_save_cost: config.fixed_save_cost,
        }
    }
}

/// Handles to everything a request needs; cheap to clone.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) settings: Arc<Settings>,
    pub(crate) store: Store,
    pub(crate) hub: Arc<Hub>,
}
