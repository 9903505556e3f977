//! Stream deltas: what differs between two streams (`GET /streams/:a/delta/:b`)
//! and how to apply it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Extra;
use crate::SpeckleObject;

/// The change from stream A to stream B: returned by delta GET, accepted by
/// delta apply (where `revision_a.id` must be the target stream's id).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// Objects in B and not in A (placeholders or full objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Vec<SpeckleObject>>,
    /// Objects in A and not in B.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<SpeckleObject>>,
    /// Objects in both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common: Option<Vec<SpeckleObject>>,
    /// The base revision.
    #[serde(rename = "revisionA", default, skip_serializing_if = "Option::is_none")]
    pub revision_a: Option<Revision>,
    /// The target revision.
    #[serde(rename = "revisionB", default, skip_serializing_if = "Option::is_none")]
    pub revision_b: Option<Revision>,
    /// Server-locale time string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// On apply: the name of the clone the server makes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One side of a [`Delta`]. Missing values are the string `"undefined"`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// The streamId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The sender client's `updatedAt`, or `"undefined"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Value>,
    /// The sender client's document type, or `"undefined"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Value>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
