use serde_json::{Map, Value};
use speckle_http::endpoints::objects::{
    CreateObjects, DeleteObject, DeriveObjects, GetBulkObjects, GetObject, UpdateObject,
    UpdateObjectProperties,
};
use speckle_http::query::Query;
use speckle_http::{execute, Client, EnvelopeExt, ErrorKind};
use speckle_types::{Comment, ObjectId, ResourceType, SpeckleObject};

use super::{comment_on, comments_of};
use crate::Error;

/// How [`Objects::create`] splits uploads. The real server's cost per request
/// grows faster than linearly with the objects in it, so requests are capped
/// by count as well as by bytes (defaults near the measured optimum: a few
/// hundred objects, well under the 10 MB body limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Most objects per request (default 250).
    pub max_objects: usize,
    /// Most JSON bytes per request (default 2 MB).
    pub max_bytes: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_objects: 250,
            max_bytes: 2_000_000,
        }
    }
}

/// Ids per getbulk request: the real server is fastest around 100.
const GETBULK_CHUNK: usize = 100;

/// `client.objects()`: storing and reading Speckle objects.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    http: &'a Client,
}

impl<'a> Objects<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self { http }
    }

    /// `POST /objects`: stores objects and returns one placeholder per object,
    /// in input order. Large inputs are sent in several requests (see
    /// [`UploadLimits`]), so no body exceeds the server's limit.
    ///
    /// # Errors
    /// The first failing request's error (earlier batches stay stored: objects
    /// are content-addressed, so sending them again is harmless). An object
    /// whose JSON alone exceeds the byte limit is an input error naming it.
    pub async fn create(
        &self,
        objects: impl IntoIterator<Item = SpeckleObject>,
    ) -> Result<Vec<SpeckleObject>, Error> {
        self.create_with_limits(objects, UploadLimits::default())
            .await
    }

    /// [`create`](Self::create) with explicit batch limits.
    ///
    /// # Errors
    /// See [`create`](Self::create).
    pub async fn create_with_limits(
        &self,
        objects: impl IntoIterator<Item = SpeckleObject>,
        limits: UploadLimits,
    ) -> Result<Vec<SpeckleObject>, Error> {
        let mut placeholders = Vec::new();
        let mut batch: Vec<SpeckleObject> = Vec::new();
        let mut batch_bytes = 0usize;
        for (index, object) in objects.into_iter().enumerate() {
            let size = serde_json::to_vec(&object)
                .map_err(|e| Error::new(ErrorKind::InvalidInput(format!("object {index}: {e}"))))?
                .len()
                + 1;
            if size > limits.max_bytes {
                return Err(Error::new(ErrorKind::InvalidInput(format!(
                    "object {index} is {size} bytes of JSON, over the {} byte request limit",
                    limits.max_bytes
                ))));
            }
            if !batch.is_empty()
                && (batch.len() >= limits.max_objects.max(1)
                    || batch_bytes + size > limits.max_bytes)
            {
                placeholders.extend(self.send_batch(std::mem::take(&mut batch)).await?);
                batch_bytes = 0;
            }
            batch_bytes += size;
            batch.push(object);
        }
        if !batch.is_empty() {
            placeholders.extend(self.send_batch(batch).await?);
        }
        Ok(placeholders)
    }

    async fn send_batch(&self, batch: Vec<SpeckleObject>) -> Result<Vec<SpeckleObject>, Error> {
        let sent = batch.len();
        let placeholders = execute(self.http, &CreateObjects::new(batch))
            .await?
            .into_resources()?;
        if placeholders.len() != sent {
            // The connectors map placeholders back by position; a short answer
            // would silently attach ids to the wrong objects.
            return Err(speckle_http::missing(&format!(
                "resources: {sent} objects sent, {} placeholders returned",
                placeholders.len()
            )));
        }
        Ok(placeholders)
    }

    /// `GET /objects/:id`.
    ///
    /// # Errors
    /// 400 for everything (not found, not permitted).
    pub async fn get(&self, id: impl Into<ObjectId>) -> Result<SpeckleObject, Error> {
        self.get_with(id, Query::new()).await
    }

    /// `GET /objects/:id?fields=…|omit=…`.
    ///
    /// # Errors
    /// 400 for everything.
    pub async fn get_with(
        &self,
        id: impl Into<ObjectId>,
        query: Query,
    ) -> Result<SpeckleObject, Error> {
        execute(self.http, &GetObject::new(id).with_query(query))
            .await?
            .into_resource()
    }

    /// `POST /objects/getbulk`: one object per id, in order. Ids that are
    /// missing or unreadable come back as stubs
    /// ([`SpeckleObject::is_no_permission_stub`]). Sent in chunks of 100 ids.
    ///
    /// # Errors
    /// 404 for a malformed id.
    pub async fn get_bulk<I: Into<ObjectId>>(
        &self,
        ids: impl IntoIterator<Item = I>,
    ) -> Result<Vec<SpeckleObject>, Error> {
        self.get_bulk_with(ids, Query::new()).await
    }

    /// [`get_bulk`](Self::get_bulk) with fields/omit and filters.
    ///
    /// # Errors
    /// 404 for a malformed id.
    pub async fn get_bulk_with<I: Into<ObjectId>>(
        &self,
        ids: impl IntoIterator<Item = I>,
        query: Query,
    ) -> Result<Vec<SpeckleObject>, Error> {
        let ids: Vec<ObjectId> = ids.into_iter().map(Into::into).collect();
        let mut objects = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(GETBULK_CHUNK) {
            let endpoint = GetBulkObjects::new(chunk.iter().cloned()).with_query(query.clone());
            let got = execute(self.http, &endpoint).await?.into_resources()?;
            if got.len() != chunk.len() {
                return Err(speckle_http::missing(&format!(
                    "resources: {} ids asked, {} objects returned",
                    chunk.len(),
                    got.len()
                )));
            }
            objects.extend(got);
        }
        Ok(objects)
    }

    /// `PUT /objects/:id`: sets the fields set on `patch` (the hash is not
    /// recomputed by the server).
    ///
    /// # Errors
    /// 400 for everything.
    pub async fn update(&self, id: impl Into<ObjectId>, patch: SpeckleObject) -> Result<(), Error> {
        execute(self.http, &UpdateObject::new(id, patch))
            .await
            .map(drop)
    }

    /// `PUT /objects/:id/properties`: shallow-merges into `properties`.
    ///
    /// # Errors
    /// 400 for everything.
    pub async fn set_properties(
        &self,
        id: impl Into<ObjectId>,
        properties: Map<String, Value>,
    ) -> Result<(), Error> {
        execute(self.http, &UpdateObjectProperties::new(id, properties))
            .await
            .map(drop)
    }

    /// `POST /objects/derive`: new objects from `{_id, …overrides}` (deep merge).
    ///
    /// # Errors
    /// 400 when an input has no `_id` (checked before sending) or on failure.
    pub async fn derive(
        &self,
        overrides: impl IntoIterator<Item = SpeckleObject>,
    ) -> Result<Vec<SpeckleObject>, Error> {
        execute(self.http, &DeriveObjects::new(overrides))
            .await?
            .into_resources()
    }

    /// `DELETE /objects/:id` (owner or admin).
    ///
    /// # Errors
    /// 404 for everything.
    pub async fn delete(&self, id: impl Into<ObjectId>) -> Result<(), Error> {
        execute(self.http, &DeleteObject::new(id)).await.map(drop)
    }

    /// `GET /comments/object/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_get(&self, id: impl Into<ObjectId>) -> Result<Vec<Comment>, Error> {
        comments_of(self.http, ResourceType::Object, id.into().as_str()).await
    }

    /// `POST /comments/object/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_create(
        &self,
        id: impl Into<ObjectId>,
        comment: Comment,
    ) -> Result<Comment, Error> {
        comment_on(self.http, ResourceType::Object, id.into().as_str(), comment).await
    }
}
