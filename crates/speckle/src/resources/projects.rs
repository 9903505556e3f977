use speckle_http::endpoints::projects::{
    AddProjectStream, AddProjectUser, CreateProject, DeleteProject, DowngradeProjectUser,
    GetProject, ListAllProjects, ListProjects, RemoveProjectStream, RemoveProjectUser,
    UpdateProject, UpgradeProjectUser,
};
use speckle_http::query::Query;
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{
    Comment, DeleteProjectResponse, DowngradeUserResponse, Project, ProjectId,
    ProjectStreamResponse, RemoveUserResponse, ResourceType, StreamId, UserId,
};

use super::{comment_on, comments_of};
use crate::Error;

/// `client.projects()`: projects, their streams and members. Member changes
/// propagate to the project's streams.
#[derive(Debug, Clone, Copy)]
pub struct Projects<'a> {
    http: &'a Client,
}

impl<'a> Projects<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self { http }
    }

    /// `GET /projects`: projects the caller owns or is a member of.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list(&self) -> Result<Vec<Project>, Error> {
        self.list_with(Query::new()).await
    }

    /// `GET /projects?…` with filters, projection, sort and paging.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list_with(&self, query: Query) -> Result<Vec<Project>, Error> {
        execute(self.http, &ListProjects::new().with_query(query))
            .await?
            .into_resources()
    }

    /// `GET /projects/admin` (admin): every project matching `query`.
    ///
    /// # Errors
    /// 401 for non-admins.
    pub async fn list_all(&self, query: Query) -> Result<Vec<Project>, Error> {
        execute(self.http, &ListAllProjects::new().with_query(query))
            .await?
            .into_resources()
    }

    /// `POST /projects`.
    ///
    /// # Errors
    /// 400 on failure.
    pub async fn create(&self, project: Project) -> Result<Project, Error> {
        execute(self.http, &CreateProject::new(project))
            .await?
            .into_resource()
    }

    /// `GET /projects/:id`.
    ///
    /// # Errors
    /// 401 when not permitted, 404 when missing.
    pub async fn get(&self, id: impl Into<ProjectId>) -> Result<Project, Error> {
        execute(self.http, &GetProject::new(id))
            .await?
            .into_resource()
    }

    /// `PUT /projects/:id`: sets only the fields set on `patch`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn update(&self, id: impl Into<ProjectId>, patch: Project) -> Result<(), Error> {
        execute(self.http, &UpdateProject::new(id, patch))
            .await
            .map(drop)
    }

    /// `DELETE /projects/:id` (owner or admin).
    ///
    /// # Errors
    /// 400 with message `{}` on failure (the server loses the text).
    pub async fn delete(&self, id: impl Into<ProjectId>) -> Result<DeleteProjectResponse, Error> {
        execute(self.http, &DeleteProject::new(id)).await
    }

    /// `PUT /projects/:id/addstream/:streamId`.
    ///
    /// # Errors
    /// 400 when either is missing or not writable.
    pub async fn add_stream(
        &self,
        id: impl Into<ProjectId>,
        stream: impl Into<StreamId>,
    ) -> Result<ProjectStreamResponse, Error> {
        execute(self.http, &AddProjectStream::new(id, stream)).await
    }

    /// `DELETE /projects/:id/removestream/:streamId`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn remove_stream(
        &self,
        id: impl Into<ProjectId>,
        stream: impl Into<StreamId>,
    ) -> Result<ProjectStreamResponse, Error> {
        execute(self.http, &RemoveProjectStream::new(id, stream)).await
    }

    /// `PUT /projects/:id/adduser/:userId`: write on all project streams.
    ///
    /// # Errors
    /// 401/404.
    pub async fn add_user(
        &self,
        id: impl Into<ProjectId>,
        user: impl Into<UserId>,
    ) -> Result<(), Error> {
        execute(self.http, &AddProjectUser::new(id, user))
            .await
            .map(drop)
    }

    /// `DELETE /projects/:id/removeuser/:userId`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn remove_user(
        &self,
        id: impl Into<ProjectId>,
        user: impl Into<UserId>,
    ) -> Result<RemoveUserResponse, Error> {
        execute(self.http, &RemoveProjectUser::new(id, user)).await
    }

    /// `PUT /projects/:id/upgradeuser/:userId`: read and write on all project streams.
    ///
    /// # Errors
    /// 401/404.
    pub async fn upgrade_user(
        &self,
        id: impl Into<ProjectId>,
        user: impl Into<UserId>,
    ) -> Result<(), Error> {
        execute(self.http, &UpgradeProjectUser::new(id, user))
            .await
            .map(drop)
    }

    /// `PUT /projects/:id/downgradeuser/:userId`: write becomes read.
    ///
    /// # Errors
    /// 401/404.
    pub async fn downgrade_user(
        &self,
        id: impl Into<ProjectId>,
        user: impl Into<UserId>,
    ) -> Result<DowngradeUserResponse, Error> {
        execute(self.http, &DowngradeProjectUser::new(id, user)).await
    }

    /// `GET /comments/project/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_get(&self, id: impl Into<ProjectId>) -> Result<Vec<Comment>, Error> {
        comments_of(self.http, ResourceType::Project, id.into().as_str()).await
    }

    /// `POST /comments/project/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_create(
        &self,
        id: impl Into<ProjectId>,
        comment: Comment,
    ) -> Result<Comment, Error> {
        comment_on(
            self.http,
            ResourceType::Project,
            id.into().as_str(),
            comment,
        )
        .await
    }
}
