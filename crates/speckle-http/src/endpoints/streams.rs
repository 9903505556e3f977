//! `/streams…`: data streams, their clones, diffs, deltas, objects and
//! clients.

use serde::Serialize;
use speckle_types::{
    ApiClient, CloneResponse, DeleteStreamResponse, Delta, DeltaResponse, DiffResponse, Envelope,
    SpeckleObject, Stream, StreamId,
};

use super::{query_setters, MessageResponse};
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::query::Query;
use crate::Error;

/// `POST /streams`: creates a stream owned by the caller. `objects` may hold
/// full objects (stored and deduplicated) and placeholders.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CreateStream {
    stream: Stream,
}

impl CreateStream {
    /// The request. Only the fields set on `stream` are sent.
    pub fn new(stream: Stream) -> Self {
        Self { stream }
    }
}

impl Endpoint for CreateStream {
    type Response = Envelope<Stream>;
    const ROUTE: Route = Route::api(Method::Post, "/streams", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_placeholders(self.stream.objects.as_deref())?;
        json_body(&self.stream)
    }
}

/// `GET /streams`: the streams the caller owns or is a member of (not other
/// public streams). Honours filters, fields/omit, sort, offset and limit.
/// Streams flagged `deleted` are included; filter with
/// `Filter::eq("deleted", false)` if needed.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListStreams {
    query: Query,
}

impl ListStreams {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns `canRead`/`canWrite` as user summaries instead of ids.
    pub fn populate_permissions(mut self) -> Self {
        self.query = self.query.flag("populatePermissions");
        self
    }
}
query_setters!(ListStreams);

impl Endpoint for ListStreams {
    type Response = Envelope<Stream>;
    const ROUTE: Route = Route::api(Method::Get, "/streams", AuthMode::Token);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /streams/admin` (admin only): every stream matching the query.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListAllStreams {
    query: Query,
}

impl ListAllStreams {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListAllStreams);

impl Endpoint for ListAllStreams {
    type Response = Envelope<Stream>;
    const ROUTE: Route = Route::api(Method::Get, "/streams/admin", AuthMode::Admin);
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /streams/:streamId`: one stream, objects as placeholders. Honours
/// fields/omit only. A stream literally named `admin` cannot be fetched (the
/// admin listing shadows it).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetStream {
    id: StreamId,
    query: Query,
}

impl GetStream {
    /// The request.
    pub fn new(id: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            query: Query::default(),
        }
    }
}
query_setters!(GetStream);

impl Endpoint for GetStream {
    type Response = Envelope<Stream>;
    const ROUTE: Route = Route::api(Method::Get, "/streams/:streamId", AuthMode::Optional);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn query(&self) -> Query {
        self.query.projection_only()
    }
}

/// `PUT /streams/:streamId`: changes the fields set on the patch, and only
/// those (the Python client's defaults wipe objects, layers and children).
///
/// Two server traps are closed here:
/// - `streamId` (and `_id`) are never sent: the server keeps a `streamId`
///   that happens to be the body's first key, renaming the stream.
/// - `objects` must be all placeholders or all new objects: the server drops
///   placeholders sent alongside full objects. Upload first (see
///   `CreateObjects`), then send placeholders; a mixed list is refused.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateStream {
    id: StreamId,
    patch: Stream,
}

impl UpdateStream {
    /// The request.
    pub fn new(id: impl Into<StreamId>, patch: Stream) -> Self {
        Self {
            id: id.into(),
            patch,
        }
    }
}

impl Endpoint for UpdateStream {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/streams/:streamId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if let Some(objects) = &self.patch.objects {
            let placeholders = objects.iter().filter(|o| o.is_placeholder()).count();
            if placeholders != 0 && placeholders != objects.len() {
                return Err(Error::invalid_input(
                    "a stream update with objects must send only placeholders or only new \
                     objects: the server drops placeholders mixed with full objects",
                ));
            }
            check_placeholders(Some(objects))?;
        }
        let mut patch = self.patch.clone();
        patch.stream_id = None;
        patch.id = None;
        json_body(&patch)
    }
}

/// Placeholders without `_id` make the server reject the whole batch.
pub(crate) fn check_placeholders(objects: Option<&[SpeckleObject]>) -> Result<(), Error> {
    match objects
        .unwrap_or_default()
        .iter()
        .position(|o| o.is_placeholder() && o.id.is_none())
    {
        Some(index) => Err(Error::invalid_input(format!(
            "object {index} is a placeholder without `_id`"
        ))),
        None => Ok(()),
    }
}

/// `DELETE /streams/:streamId` (owner or admin): hard-deletes the stream and
/// its direct children (clones). Objects are kept.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeleteStream {
    id: StreamId,
}

impl DeleteStream {
    /// The request.
    pub fn new(id: impl Into<StreamId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteStream {
    type Response = DeleteStreamResponse;
    const ROUTE: Route = Route::api(Method::Delete, "/streams/:streamId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}

/// `POST /streams/:streamId/clone`: copies the stream (a "version"); the
/// answer has both streams without objects and layers.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CloneStream {
    id: StreamId,
    name: Option<String>,
}

impl CloneStream {
    /// The request (the clone is named `<name> (clone)` unless named).
    pub fn new(id: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            name: None,
        }
    }
    /// The clone's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl Endpoint for CloneStream {
    type Response = CloneResponse;
    const ROUTE: Route = Route::api(Method::Post, "/streams/:streamId/clone", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'a str>,
        }
        json_body(&Body {
            name: self.name.as_deref(),
        })
    }
}

/// `GET /streams/:streamId/diff/:otherId`: object ids and layers in both,
/// only in A, only in B.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DiffStreams {
    id: StreamId,
    other: StreamId,
}

impl DiffStreams {
    /// The request.
    pub fn new(id: impl Into<StreamId>, other: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            other: other.into(),
        }
    }
}

impl Endpoint for DiffStreams {
    type Response = DiffResponse;
    const ROUTE: Route = Route::api(
        Method::Get,
        "/streams/:streamId/diff/:otherId",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str(), self.other.as_str()]
    }
}

/// `GET /streams/:streamId/delta/:otherId`: the delta from A to B. The server
/// answers 400 with `success: true` and the full delta when a stream has no
/// `Sender` client; this endpoint returns the delta either way (its
/// `message` says which clients were missing).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetStreamDelta {
    id: StreamId,
    other: StreamId,
}

impl GetStreamDelta {
    /// The request.
    pub fn new(id: impl Into<StreamId>, other: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            other: other.into(),
        }
    }
}

impl Endpoint for GetStreamDelta {
    type Response = DeltaResponse;
    const ROUTE: Route = Route::api(
        Method::Get,
        "/streams/:streamId/delta/:otherId",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str(), self.other.as_str()]
    }
    fn success_despite_status(&self) -> bool {
        true
    }
}

/// `POST /streams/:streamId/delta`: applies a delta in place. The server
/// first clones the stream (named `delta.name` or `<name> (clone)`), even if
/// the delta then fails; `delta.revision_a.id` must equal the stream id.
/// Errors come back as the message `"{}"`: the server loses their text.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct ApplyStreamDelta {
    id: StreamId,
    delta: Delta,
}

impl ApplyStreamDelta {
    /// The request.
    pub fn new(id: impl Into<StreamId>, delta: Delta) -> Self {
        Self {
            id: id.into(),
            delta,
        }
    }
}

impl Endpoint for ApplyStreamDelta {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Post, "/streams/:streamId/delta", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        // The server would clone the stream and then fail on these, with no
        // error text: check them before sending.
        let revision = self.delta.revision_a.as_ref().and_then(|r| r.id.as_deref());
        if revision != Some(self.id.as_str()) {
            return Err(Error::invalid_input(format!(
                "delta.revisionA.id must be the stream id `{}`",
                self.id
            )));
        }
        json_body(&self.delta)
    }
}

/// `GET /streams/:streamId/objects`: the stream's objects in stream order
/// (duplicates repeated). Honours filters, fields, offset and limit; `sort`
/// does not change the order, and omitting `_id` empties the list.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListStreamObjects {
    id: StreamId,
    query: Query,
}

impl ListStreamObjects {
    /// The request.
    pub fn new(id: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            query: Query::default(),
        }
    }
}
query_setters!(ListStreamObjects);

impl Endpoint for ListStreamObjects {
    type Response = Envelope<SpeckleObject>;
    const ROUTE: Route = Route::api(
        Method::Get,
        "/streams/:streamId/objects",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn query(&self) -> Query {
        self.query.clone()
    }
}

/// `GET /streams/:streamId/clients`: the api clients connected to a stream.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListStreamClients {
    id: StreamId,
    query: Query,
}

impl ListStreamClients {
    /// The request.
    pub fn new(id: impl Into<StreamId>) -> Self {
        Self {
            id: id.into(),
            query: Query::default(),
        }
    }
}
query_setters!(ListStreamClients);

impl Endpoint for ListStreamClients {
    type Response = Envelope<ApiClient>;
    const ROUTE: Route = Route::api(
        Method::Get,
        "/streams/:streamId/clients",
        AuthMode::Optional,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn query(&self) -> Query {
        self.query.clone()
    }
}
