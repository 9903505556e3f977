//! `/projects…`: projects, their streams and their members.
//!
//! Adding a stream or a user to a project propagates the project's
//! `permissions` to its streams; removing them takes them back unless another
//! project grants the same.

use speckle_types::{
    DeleteProjectResponse, DowngradeUserResponse, Envelope, Project, ProjectId,
    ProjectStreamResponse, RemoveUserResponse, StreamId, UserId,
};

use super::{query_setters, MessageResponse};
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::query::Query;
use crate::Error;

/// `POST /projects`: creates a project owned by the caller (private by default).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CreateProject {
    project: Project,
}

impl CreateProject {
    /// The request. Only the fields set on `project` are sent.
    pub fn new(project: Project) -> Self {
        Self { project }
    }
}

impl Endpoint for CreateProject {
    type Response = Envelope<Project>;
    const ROUTE: Route = Route::api(Method::Post, "/projects", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.project)
    }
}

/// `GET /projects`: projects the caller owns or is a (top-level) member of.
/// Honours filters, fields/omit, sort, offset and limit.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListProjects {
    query: Query,
}

impl ListProjects {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListProjects);

impl Endpoint for ListProjects {
    type Response = Envelope<Project>;
    const ROUTE: Route = Route::api(Method::Get, "/projects", AuthMode::Token);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /projects/admin` (admin only): every project matching the query.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListAllProjects {
    query: Query,
}

impl ListAllProjects {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListAllProjects);

impl Endpoint for ListAllProjects {
    type Response = Envelope<Project>;
    const ROUTE: Route = Route::api(Method::Get, "/projects/admin", AuthMode::Admin);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /projects/:projectId`: one project (read permission).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetProject {
    id: ProjectId,
}

impl GetProject {
    /// The request.
    pub fn new(id: impl Into<ProjectId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for GetProject {
    type Response = Envelope<Project>;
    const ROUTE: Route = Route::api(Method::Get, "/projects/:projectId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}

/// `PUT /projects/:projectId`: sets the fields given, and only those (the
/// Python client's defaults empty the stream list). Editing `permissions`
/// here does not propagate to the streams: use the member routes.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateProject {
    id: ProjectId,
    patch: Project,
}

impl UpdateProject {
    /// The request.
    pub fn new(id: impl Into<ProjectId>, patch: Project) -> Self {
        Self {
            id: id.into(),
            patch,
        }
    }
}

impl Endpoint for UpdateProject {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/projects/:projectId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut patch = self.patch.clone();
        patch.id = None;
        json_body(&patch)
    }
}

macro_rules! member_route {
    (
        $(#[$meta:meta])*
        $name:ident, $method:ident, $template:literal, $member:ident, $response:ty
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        #[must_use = "endpoints do nothing until executed"]
        pub struct $name {
            project: ProjectId,
            member: $member,
        }

        impl $name {
            /// The request.
            pub fn new(project: impl Into<ProjectId>, member: impl Into<$member>) -> Self {
                Self {
                    project: project.into(),
                    member: member.into(),
                }
            }
        }

        impl Endpoint for $name {
            type Response = $response;
            const ROUTE: Route = Route::api(Method::$method, $template, AuthMode::Token);
            fn path_params(&self) -> Vec<&str> {
                vec![self.project.as_str(), self.member.as_str()]
            }
        }
    };
}

member_route!(
    /// `PUT /projects/:projectId/addstream/:streamId`: adds a stream and gives
    /// the project's readers, writers and owner access to it (write on both).
    AddProjectStream, Put, "/projects/:projectId/addstream/:streamId", StreamId,
    ProjectStreamResponse
);
member_route!(
    /// `DELETE /projects/:projectId/removestream/:streamId`: removes a stream and
    /// the access the project gave on it.
    RemoveProjectStream, Delete, "/projects/:projectId/removestream/:streamId",
    StreamId, ProjectStreamResponse
);
member_route!(
    /// `PUT /projects/:projectId/adduser/:userId`: makes the user a project
    /// member with write on all project streams. The id is not validated.
    AddProjectUser, Put, "/projects/:projectId/adduser/:userId", UserId,
    MessageResponse
);
member_route!(
    /// `DELETE /projects/:projectId/removeuser/:userId`: removes the member and
    /// the stream access no other project grants.
    RemoveProjectUser, Delete, "/projects/:projectId/removeuser/:userId", UserId,
    RemoveUserResponse
);
member_route!(
    /// `PUT /projects/:projectId/upgradeuser/:userId`: read and write on all
    /// project streams.
    UpgradeProjectUser, Put, "/projects/:projectId/upgradeuser/:userId", UserId,
    MessageResponse
);
member_route!(
    /// `PUT /projects/:projectId/downgradeuser/:userId`: write becomes read on
    /// the project streams where no other project grants write.
    DowngradeProjectUser, Put, "/projects/:projectId/downgradeuser/:userId",
    UserId, DowngradeUserResponse
);

/// `DELETE /projects/:projectId` (owner or admin): strips the project's
/// members from its streams (unless another project grants the same), then
/// deletes it.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeleteProject {
    id: ProjectId,
}

impl DeleteProject {
    /// The request.
    pub fn new(id: impl Into<ProjectId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteProject {
    type Response = DeleteProjectResponse;
    const ROUTE: Route = Route::api(Method::Delete, "/projects/:projectId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}
