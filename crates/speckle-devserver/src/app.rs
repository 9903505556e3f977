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
    pub(crate) public_streams: bool,
    pub(crate) jwt_secret: crate::auth::Secret,
    pub(crate) request_limit: usize,
    pub(crate) ping_interval: Duration,
    /// `CANONICAL_URL`: the server's own URL.
    pub(crate) canonical_url: String,
    /// The plugin manifests (a JSON array).
    pub(crate) plugins: Json,
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
            public_streams: config.public_streams,
            jwt_secret,
            request_limit: config.request_limit,
            ping_interval: config.ping_interval,
            canonical_url: url.to_string(),
            plugins: Json::Arr(plugins),
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
