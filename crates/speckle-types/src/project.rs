//! Projects: a set of streams shared with a set of users.

use serde::{Deserialize, Serialize};

use crate::common::{Access, Extra, Timestamps, UserRef};
use crate::{ProjectId, StreamId};

/// A project.
///
/// The top-level [`Access`] lists govern the project itself; [`permissions`]
/// holds the users that are propagated to the project's streams.
///
/// [`permissions`]: Project::permissions
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project's id.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ProjectId>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The streams of the project. Prefer the add/remove stream routes to
    /// editing this list: they also propagate permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<Vec<StreamId>>,
    /// Users propagated to the project's streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<ProjectPermissions>,
    /// Soft-delete flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Job number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_number: Option<String>,
    /// Owner and access to the project itself.
    #[serde(flatten)]
    pub access: Access,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// [`Project::permissions`]: the users given read or write on every stream of
/// the project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPermissions {
    /// Readers of the project's streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_read: Option<Vec<UserRef>>,
    /// Writers of the project's streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_write: Option<Vec<UserRef>>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
