use speckle_http::endpoints::comments::{
    DeleteComment, GetComment, ListAssignedComments, ListComments, UpdateComment,
};
use speckle_http::query::Query;
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{Comment, CommentId, ResourceType};

use super::{comment_on, comments_of};
use crate::Error;

/// `client.comments()`: comments and replies. Effectively only a comment's
/// owner (or an admin) can read, edit or reply to it.
#[derive(Debug, Clone, Copy)]
pub struct Comments<'a> {
    http: &'a Client,
}

impl<'a> Comments<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self { http }
    }

    /// `GET /comments`: comments the caller owns or is assigned to.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list(&self) -> Result<Vec<Comment>, Error> {
        self.list_with(Query::new()).await
    }

    /// `GET /comments?…` with filters, projection, sort and paging.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list_with(&self, query: Query) -> Result<Vec<Comment>, Error> {
        execute(self.http, &ListComments::new().with_query(query))
            .await?
            .into_resources()
    }

    /// `GET /comments/assigned`: comments assigned to the caller.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn get_assigned(&self) -> Result<Vec<Comment>, Error> {
        execute(self.http, &ListAssignedComments::new())
            .await?
            .into_resources()
    }

    /// `GET /comments/:id`.
    ///
    /// # Errors
    /// 404 when missing or not the caller's.
    pub async fn get(&self, id: impl Into<CommentId>) -> Result<Comment, Error> {
        execute(self.http, &GetComment::new(id))
            .await?
            .into_resource()
    }

    /// `PUT /comments/:id`: edits the fields set; returns the edited keys.
    ///
    /// # Errors
    /// 401/404 when not permitted or missing.
    pub async fn update(
        &self,
        id: impl Into<CommentId>,
        patch: Comment,
    ) -> Result<Vec<String>, Error> {
        Ok(execute(self.http, &UpdateComment::new(id, patch))
            .await?
            .fields
            .unwrap_or_default())
    }

    /// `DELETE /comments/:id`.
    ///
    /// # Errors
    /// 404 for non-owners.
    pub async fn delete(&self, id: impl Into<CommentId>) -> Result<(), Error> {
        execute(self.http, &DeleteComment::new(id)).await.map(drop)
    }

    /// `GET /comments/comment/:id`: the replies to a comment.
    ///
    /// # Errors
    /// 401/404 when not permitted or missing.
    pub async fn comment_get(&self, id: impl Into<CommentId>) -> Result<Vec<Comment>, Error> {
        comments_of(self.http, ResourceType::Comment, id.into().as_str()).await
    }

    /// `POST /comments/comment/:id`: replies to a comment.
    ///
    /// # Errors
    /// 404 when the comment is not the caller's (a server limitation).
    pub async fn comment_create(
        &self,
        id: impl Into<CommentId>,
        reply: Comment,
    ) -> Result<Comment, Error> {
        comment_on(self.http, ResourceType::Comment, id.into().as_str(), reply).await
    }
}
