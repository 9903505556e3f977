//! `/clients…`: api clients, the records of connected documents.

use speckle_types::{ApiClient, ClientId, Envelope};

use super::{query_setters, MessageResponse};
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::query::Query;
use crate::Error;

/// `POST /clients`: registers an api client. Anonymous callers (or
/// `isAnonymous: true`) get an unsaved `temp-…` id, usable as a websocket
/// `client_id`.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CreateClient {
    client: ApiClient,
}

impl CreateClient {
    /// The request. Only the fields set on `client` are sent.
    pub fn new(client: ApiClient) -> Self {
        Self { client }
    }
}

impl Endpoint for CreateClient {
    type Response = Envelope<ApiClient>;
    const ROUTE: Route = Route::api(Method::Post, "/clients", AuthMode::Optional);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.client)
    }
}

/// `GET /clients`: the caller's own clients. Honours fields/omit, sort,
/// offset and limit; filters are ignored by the server.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListClients {
    query: Query,
}

impl ListClients {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListClients);

impl Endpoint for ListClients {
    type Response = Envelope<ApiClient>;
    const ROUTE: Route = Route::api(Method::Get, "/clients", AuthMode::Token);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /clients/:clientId`: one client, its owner populated. Readable by
/// those who can read the client's stream (every failure is a 400).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetClient {
    id: ClientId,
}

impl GetClient {
    /// The request.
    pub fn new(id: impl Into<ClientId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for GetClient {
    type Response = Envelope<ApiClient>;
    const ROUTE: Route = Route::api(Method::Get, "/clients/:clientId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}

/// `PUT /clients/:clientId`: updates the fields set on the client (needs
/// write on its stream). Unlike the Python client, no `documentGuid` is
/// invented.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateClient {
    id: ClientId,
    client: ApiClient,
}

impl UpdateClient {
    /// The request. Only the fields set on `client` are sent.
    pub fn new(id: impl Into<ClientId>, client: ApiClient) -> Self {
        Self {
            id: id.into(),
            client,
        }
    }
}

impl Endpoint for UpdateClient {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/clients/:clientId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.client)
    }
}

/// `DELETE /clients/:clientId` (needs write on its stream; every failure is a 404).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeleteClient {
    id: ClientId,
}

impl DeleteClient {
    /// The request.
    pub fn new(id: impl Into<ClientId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteClient {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Delete, "/clients/:clientId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}
