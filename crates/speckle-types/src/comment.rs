//! Comments on streams, objects, projects and other comments.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{open_enum, Extra, Timestamps, UserRef};
use crate::CommentId;

open_enum!(
    /// The kind of resource a comment is attached to. The server accepts the
    /// singular and plural forms and stores what the URL said.
    ResourceType {
        /// A stream (addressed by its streamId).
        Stream = "stream",
        /// A stream, plural form.
        Streams = "streams",
        /// An object.
        Object = "object",
        /// An object, plural form.
        Objects = "objects",
        /// A project.
        Project = "project",
        /// A project, plural form.
        Projects = "projects",
        /// A comment (a reply).
        Comment = "comment",
        /// A comment, plural form.
        Comments = "comments",
        /// A user (the server accepts it in the URL but cannot store comments on users).
        User = "user",
    }
);

/// `{resourceType, resourceId}`: what a comment is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// Kind of resource.
    pub resource_type: ResourceType,
    /// The streamId for streams, the `_id` otherwise.
    pub resource_id: String,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResourceRef {
    /// A reference to a resource.
    pub fn new(resource_type: ResourceType, resource_id: impl Into<String>) -> Self {
        Self {
            resource_type,
            resource_id: resource_id.into(),
            extra: Extra::new(),
        }
    }
}

/// A comment. Comments have no `private`/`canRead`/`canWrite`: effectively only
/// their owner or an admin can read or edit them.
///
/// ```
/// use speckle_types::Comment;
/// let comment = Comment { text: Some("Check this beam".into()), ..Default::default() };
/// assert_eq!(serde_json::to_string(&comment).unwrap(), r#"{"text":"Check this beam"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// The comment's id.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CommentId>,
    /// The text (required on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The author; `null` for anonymous comments.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub owner: Option<Option<UserRef>>,
    /// What the comment is attached to (set by the server from the URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
    /// Other resources the comment refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_resources: Option<Vec<ResourceRef>>,
    /// Replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<CommentId>>,
    /// Users the comment is assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Vec<UserRef>>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Priority (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Status (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Camera view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<Value>,
    /// Screenshot, e.g. a data URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    /// Whether the comment is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
    /// Whether the comment is flagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<bool>,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
