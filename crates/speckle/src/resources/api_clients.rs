use speckle_http::endpoints::clients::{
    CreateClient, DeleteClient, GetClient, ListClients, UpdateClient,
};
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{ApiClient, ClientId};

use crate::Error;

/// `client.api_clients()`: the records of documents connected to streams.
/// Their ids are websocket client ids.
#[derive(Debug, Clone, Copy)]
pub struct ApiClients<'a> {
    http: &'a Client,
}

impl<'a> ApiClients<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self { http }
    }

    /// `GET /clients`: the caller's clients.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list(&self) -> Result<Vec<ApiClient>, Error> {
        execute(self.http, &ListClients::new())
            .await?
            .into_resources()
    }

    /// `POST /clients`: registers a client (anonymous callers get an unsaved
    /// `temp-…` id).
    ///
    /// # Errors
    /// 400 on a server failure.
    pub async fn create(&self, client: ApiClient) -> Result<ApiClient, Error> {
        execute(self.http, &CreateClient::new(client))
            .await?
            .into_resource()
    }

    /// `GET /clients/:id`.
    ///
    /// # Errors
    /// 400 for everything, including not found and not permitted.
    pub async fn get(&self, id: impl Into<ClientId>) -> Result<ApiClient, Error> {
        execute(self.http, &GetClient::new(id))
            .await?
            .into_resource()
    }

    /// `PUT /clients/:id`: changes the fields set on `patch`.
    ///
    /// # Errors
    /// 400 for everything.
    pub async fn update(&self, id: impl Into<ClientId>, patch: ApiClient) -> Result<(), Error> {
        execute(self.http, &UpdateClient::new(id, patch))
            .await
            .map(drop)
    }

    /// `DELETE /clients/:id`.
    ///
    /// # Errors
    /// 404 for everything.
    pub async fn delete(&self, id: impl Into<ClientId>) -> Result<(), Error> {
        execute(self.http, &DeleteClient::new(id)).await.map(drop)
    }
}
