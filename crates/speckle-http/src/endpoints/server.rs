//! The server description and plugins.

use speckle_types::{PluginManifest, ServerInfo};

use crate::endpoint::{AuthMode, Endpoint, Method, Mount, Route};

/// `GET /api` (and `/api/v1`): the server description, without envelope.
/// Use it to check that a URL is a Speckle server.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetServerInfo;

impl GetServerInfo {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetServerInfo {
    type Response = ServerInfo;
    const ROUTE: Route = Route::api(Method::Get, "/", AuthMode::None);
}

/// `GET /api/plugins`: the plugin manifests (an array, no envelope). Mounted
/// at the server root only, not under `/api/v1`.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetPlugins;

impl GetPlugins {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetPlugins {
    type Response = Vec<PluginManifest>;
    const ROUTE: Route = Route {
        method: Method::Get,
        template: "/api/plugins",
        auth: AuthMode::None,
        mount: Mount::Root,
    };
}
