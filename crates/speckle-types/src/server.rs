//! `GET /api`: the server description (name, version, routes), public.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Extra;

/// The server description, sent without an envelope. Clients use
/// `isSpeckleServer` to validate a URL.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// `true` on a Speckle server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_speckle_server: Option<bool>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// API version, `1.x.x` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Routes grouped by resource name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<BTreeMap<String, Vec<RouteInfo>>>,
    /// Installed plugins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins: Option<Vec<Value>>,
    /// Job number mask, e.g. `######-##`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jn_mask: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One route of [`ServerInfo::api`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RouteInfo {
    /// HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Absolute route URL (always under `/api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A plugin manifest from `/api/plugins`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginManifest {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// Where the plugin is served from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serve_from: Option<String>,
    /// Keys this model does not know (author, contact, homepage, git, …).
    #[serde(flatten)]
    pub extra: Extra,
}
