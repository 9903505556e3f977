//! `/comments…`: comments on streams, objects, projects and comments.
//! Effectively only a comment's owner or an admin can
//! read, edit or reply to it.

use speckle_types::{Comment, CommentEditResponse, CommentId, Envelope, ResourceType};

use super::{query_setters, MessageResponse};
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::query::Query;
use crate::Error;

/// `GET /comments`: comments the caller owns or is assigned to. Honours
/// filters, fields/omit, sort, offset and limit.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListComments {
    query: Query,
}

impl ListComments {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListComments);

impl Endpoint for ListComments {
    type Response = Envelope<Comment>;
    const ROUTE: Route = Route::api(Method::Get, "/comments", AuthMode::Token);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /comments/assigned`: comments assigned to the caller (no query support).
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListAssignedComments;

impl ListAssignedComments {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for ListAssignedComments {
    type Response = Envelope<Comment>;
    const ROUTE: Route = Route::api(Method::Get, "/comments/assigned", AuthMode::Token);
}

/// `POST /comments/:resourceType/:resourceId`: comments on a resource (the
/// streamId for streams, the `_id` otherwise). `text` is required. Replying to
/// a comment uses [`ResourceType::Comment`].
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CreateComment {
    resource_type: ResourceType,
    resource_id: String,
    comment: Comment,
}

impl CreateComment {
    /// The request.
    pub fn new(
        resource_type: ResourceType,
        resource_id: impl Into<String>,
        comment: Comment,
    ) -> Self {
        Self {
            resource_type,
            resource_id: resource_id.into(),
            comment,
        }
    }
}

impl Endpoint for CreateComment {
    type Response = Envelope<Comment>;
    const ROUTE: Route = Route::api(
        Method::Post,
        "/comments/:resourceType/:resourceId",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.resource_type.as_str(), self.resource_id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.comment.text.as_deref().is_none_or(|t| t.is_empty()) {
            return Err(Error::invalid_input("a comment needs a `text`"));
        }
        json_body(&self.comment)
    }
}

/// `GET /comments/:resourceType/:resourceId`: the comments of a resource.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListResourceComments {
    resource_type: ResourceType,
    resource_id: String,
}

impl ListResourceComments {
    /// The request.
    pub fn new(resource_type: ResourceType, resource_id: impl Into<String>) -> Self {
        Self {
            resource_type,
            resource_id: resource_id.into(),
        }
    }
}

impl Endpoint for ListResourceComments {
    type Response = Envelope<Comment>;
    const ROUTE: Route = Route::api(
        Method::Get,
        "/comments/:resourceType/:resourceId",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.resource_type.as_str(), self.resource_id.as_str()]
    }
}

/// `GET /comments/:commentId`: one comment (owner or admin only; others get 404).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetComment {
    id: CommentId,
}

impl GetComment {
    /// The request.
    pub fn new(id: impl Into<CommentId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for GetComment {
    type Response = Envelope<Comment>;
    const ROUTE: Route = Route::api(Method::Get, "/comments/:commentId", AuthMode::Optional);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}

/// `PUT /comments/:commentId`: edits the fields set (owner or admin); the
/// answer lists the edited keys.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateComment {
    id: CommentId,
    patch: Comment,
}

impl UpdateComment {
    /// The request. Only the fields set on `patch` are sent.
    pub fn new(id: impl Into<CommentId>, patch: Comment) -> Self {
        Self {
            id: id.into(),
            patch,
        }
    }
}

impl Endpoint for UpdateComment {
    type Response = CommentEditResponse;
    const ROUTE: Route = Route::api(Method::Put, "/comments/:commentId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut patch = self.patch.clone();
        patch.id = None;
        json_body(&patch)
    }
}

/// `DELETE /comments/:commentId` (owner or admin). The parent's comment list
/// is not updated by the server.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeleteComment {
    id: CommentId,
}

impl DeleteComment {
    /// The request.
    pub fn new(id: impl Into<CommentId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteComment {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Delete, "/comments/:commentId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}
