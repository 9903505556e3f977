//! `/objects…`: create, derive, read, bulk read, update and delete objects.

use std::borrow::Cow;

use serde_json::{Map, Value};
use speckle_types::{Envelope, ObjectId, SpeckleObject};

use super::{query_setters, MessageResponse};
use crate::bulk::prepare::upload_kind;
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::query::Query;
use crate::Error;

/// `POST /objects`: stores objects and returns one placeholder per input, in
/// input order. Objects with a known `hash` are deduplicated server-side (the
/// existing id comes back).
///
/// The `_id` of non-placeholder objects is not sent: the server neither
/// stores nor validates an object that arrives with an `_id` and an unknown
/// hash, which would leave a dangling reference. Placeholders keep their
/// `_id` and come back unchanged.
///
/// The whole body must fit the server's size limit (10 MB by default); for
/// large models use the batched upload of the facade.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct CreateObjects {
    body: ObjectsBody,
    gzip: bool,
}

#[derive(Debug, Clone)]
enum ObjectsBody {
    Objects(Vec<SpeckleObject>),
    /// A JSON array already serialized by the bulk uploader, and its length.
    Prepared(bytes::Bytes, usize),
}

impl CreateObjects {
    /// The request.
    pub fn new(objects: impl IntoIterator<Item = SpeckleObject>) -> Self {
        Self {
            body: ObjectsBody::Objects(objects.into_iter().collect()),
            gzip: false,
        }
    }

    /// A request whose body is a JSON array of `count` objects serialized
    /// beforehand (by [`crate::bulk`], which checks them). Sent as is.
    pub fn prepared(json_array: bytes::Bytes, count: usize) -> Self {
        Self {
            body: ObjectsBody::Prepared(json_array, count),
            gzip: false,
        }
    }

    /// Gzip the body (the server inflates it).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// How many objects the request carries.
    pub fn len(&self) -> usize {
        match &self.body {
            ObjectsBody::Objects(objects) => objects.len(),
            ObjectsBody::Prepared(_, count) => *count,
        }
    }

    /// Whether the request carries no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Endpoint for CreateObjects {
    type Response = Envelope<SpeckleObject>;
    const ROUTE: Route = Route::api(Method::Post, "/objects", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        let objects = match &self.body {
            ObjectsBody::Prepared(json, _) => return Ok(Some(json.to_vec())),
            ObjectsBody::Objects(objects) => objects,
        };
        for (index, object) in objects.iter().enumerate() {
            upload_kind(object)
                .map_err(|reason| Error::invalid_input(format!("object {index}: {reason}")))?;
        }
        let body: Vec<Cow<'_, SpeckleObject>> = objects
            .iter()
            .map(|o| {
                if o.id.is_some() && !o.is_placeholder() {
                    let mut owned = o.clone();
                    owned.id = None;
                    Cow::Owned(owned)
                } else {
                    Cow::Borrowed(o)
                }
            })
            .collect();
        json_body(&body)
    }
    /// Objects are content-addressed: sending them twice stores them once.
    fn idempotent(&self) -> bool {
        true
    }
    fn gzip(&self) -> bool {
        self.gzip
    }
}

/// `POST /objects/derive`: new objects made from existing ones with
/// overrides (deep-merged). Each input needs the `_id` of its original;
/// unreadable or missing originals are skipped silently by the server, and
/// the answer follows the database's order, not the input's.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeriveObjects {
    overrides: Vec<SpeckleObject>,
}

impl DeriveObjects {
    /// The request: each element is `{_id: <original>, …overrides}`.
    pub fn new(overrides: impl IntoIterator<Item = SpeckleObject>) -> Self {
        Self {
            overrides: overrides.into_iter().collect(),
        }
    }
}

impl Endpoint for DeriveObjects {
    type Response = Envelope<SpeckleObject>;
    const ROUTE: Route = Route::api(Method::Post, "/objects/derive", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if let Some(index) = self.overrides.iter().position(|o| o.id.is_none()) {
            return Err(Error::invalid_input(format!(
                "derive input {index} has no `_id` of the object to derive from"
            )));
        }
        json_body(&self.overrides)
    }
}

/// `GET /objects/:objectId`: one object (public by default). Honours
/// fields/omit only; every failure is a 400.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetObject {
    id: ObjectId,
    query: Query,
}

impl GetObject {
    /// The request.
    pub fn new(id: impl Into<ObjectId>) -> Self {
        Self {
            id: id.into(),
            query: Query::default(),
        }
    }
}
query_setters!(GetObject);

impl Endpoint for GetObject {
    type Response = Envelope<SpeckleObject>;
    const ROUTE: Route = Route::api(Method::Get, "/objects/:objectId", AuthMode::Optional);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn query(&self) -> Query {
        self.query.projection_only()
    }
}

/// `POST /objects/getbulk`: the objects with these ids, exactly one per id in
/// request order. Ids that are missing, unreadable or filtered out come back
/// as `{type:"String", value:"You do not have permissions to view this
/// object"}` stubs ([`SpeckleObject::is_no_permission_stub`]). Honours
/// filters, fields/omit and sort; offset and limit are ignored.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetBulkObjects {
    ids: Vec<ObjectId>,
    query: Query,
}

impl GetBulkObjects {
    /// The request.
    pub fn new<I: Into<ObjectId>>(ids: impl IntoIterator<Item = I>) -> Self {
        Self {
            ids: ids.into_iter().map(Into::into).collect(),
            query: Query::default(),
        }
    }

    /// The requested ids.
    pub fn ids(&self) -> &[ObjectId] {
        &self.ids
    }
}
query_setters!(GetBulkObjects);

impl Endpoint for GetBulkObjects {
    type Response = Envelope<SpeckleObject>;
    const ROUTE: Route = Route::api(Method::Post, "/objects/getbulk", AuthMode::Optional);
    fn query(&self) -> Query {
        self.query.clone()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.ids)
    }
    /// A read sent as POST.
    fn idempotent(&self) -> bool {
        true
    }
}

/// `PUT /objects/:objectId`: sets the fields given (write permission). The
/// server does not recompute the hash. `_id` is not sent.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateObject {
    id: ObjectId,
    patch: SpeckleObject,
}

impl UpdateObject {
    /// The request. Only the fields set on `patch` are sent.
    pub fn new(id: impl Into<ObjectId>, patch: SpeckleObject) -> Self {
        Self {
            id: id.into(),
            patch,
        }
    }
}

impl Endpoint for UpdateObject {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/objects/:objectId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut patch = self.patch.clone();
        patch.id = None;
        json_body(&patch)
    }
}

/// `PUT /objects/:objectId/properties`: shallow-merges keys into the object's
/// `properties` (top-level keys replaced, others kept). Sends exactly the
/// given map: nothing like the Python client's injected `geometryHash`.
///
/// On an object whose `properties` is `null` the server changes nothing but
/// still answers success.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateObjectProperties {
    id: ObjectId,
    properties: Map<String, Value>,
}

impl UpdateObjectProperties {
    /// The request.
    pub fn new(id: impl Into<ObjectId>, properties: Map<String, Value>) -> Self {
        Self {
            id: id.into(),
            properties,
        }
    }
}

impl Endpoint for UpdateObjectProperties {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(
        Method::Put,
        "/objects/:objectId/properties",
        AuthMode::Token,
    );
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.properties)
    }
}

/// `DELETE /objects/:objectId` (owner or admin). Streams referencing the
/// object are not updated.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct DeleteObject {
    id: ObjectId,
}

impl DeleteObject {
    /// The request.
    pub fn new(id: impl Into<ObjectId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteObject {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Delete, "/objects/:objectId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}
