//! The resource accessors of [`SpeckleClient`](crate::SpeckleClient), one per
//! file, with the Python client's method names.

mod accounts;
mod announce;
mod api_clients;
mod comments;
mod objects;
mod projects;
mod streams;

pub use accounts::Accounts;
pub use api_clients::ApiClients;
pub use comments::Comments;
pub use objects::Objects;
pub use projects::Projects;
pub use streams::Streams;

use speckle_http::endpoints::comments::{CreateComment, ListResourceComments};
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{Comment, ResourceType};

use crate::Error;

/// `comment_get` of every resource: `GET /comments/:type/:id`.
async fn comments_of(
    http: &Client,
    resource_type: ResourceType,
    id: &str,
) -> Result<Vec<Comment>, Error> {
    execute(http, &ListResourceComments::new(resource_type, id))
        .await?
        .into_resources()
}

/// `comment_create` of every resource: `POST /comments/:type/:id`.
async fn comment_on(
    http: &Client,
    resource_type: ResourceType,
    id: &str,
    comment: Comment,
) -> Result<Comment, Error> {
    execute(http, &CreateComment::new(resource_type, id, comment))
        .await?
        .into_resource()
}
