use futures_util::stream::{BoxStream, Stream, StreamExt};
use serde_json::{Map, Value};
use speckle_http::bulk::{self, PullOptions, Pulled, PushItem, PushOptions, PushOutcome};
use speckle_http::endpoints::objects::{
    DeleteObject, DeriveObjects, GetObject, UpdateObject, UpdateObjectProperties,
};
use speckle_http::query::Query;
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{
    Comment, ObjectId, ObjectType, ResourceType, SpeckleObject, NO_PERMISSION_TEXT,
};

use super::{comment_on, comments_of};
use crate::Error;

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
    /// in input order. Uses the bulk uploader with its defaults (requests
    /// packed by bytes and count, several in flight, identical objects sent
    /// once, 413s split), so any number of objects can be given.
    ///
    /// # Errors
    /// A failed request, or an object that could not be stored (no `type`, too
    /// large alone): none is silently left out. Use [`push`](Self::push) to get
    /// per-object failures instead.
    pub async fn create(
        &self,
        objects: impl IntoIterator<Item: Into<PushItem>, IntoIter: Send>,
    ) -> Result<Vec<SpeckleObject>, Error> {
        self.push(objects).await?.placeholders()
    }

    /// Pushes objects (see [`speckle_http::bulk`]) with default options and
    /// returns the id of each, in input order, with per-object failures.
    ///
    /// # Errors
    /// A request that failed after retries. The error's
    /// [`push_outcome`](crate::Error::push_outcome) says what was stored
    /// before it; pushing the same objects again is safe and stores nothing
    /// twice (the server keeps one object per hash).
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), speckle::Error> {
    /// use speckle::{Point, SpeckleObject};
    /// let model = (0..100_000).map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)));
    /// let outcome = client.objects().push(model).await?;
    /// println!("{} uploaded, {} failed", outcome.stats.uploaded, outcome.failures.len());
    /// # Ok(()) }
    /// ```
    pub async fn push(
        &self,
        objects: impl IntoIterator<Item: Into<PushItem>, IntoIter: Send>,
    ) -> Result<PushOutcome, Error> {
        bulk::push(self.http, objects, &PushOptions::default()).await
    }

    /// [`push`](Self::push) with options (batch sizes, concurrency, gzip, a
    /// local cache, progress). Options are taken by value, as by
    /// [`pull_with`](Self::pull_with).
    ///
    /// # Errors
    /// A request that failed after retries.
    pub async fn push_with(
        &self,
        objects: impl IntoIterator<Item: Into<PushItem>, IntoIter: Send>,
        options: PushOptions,
    ) -> Result<PushOutcome, Error> {
        bulk::push(self.http, objects, &options).await
    }

    /// Pushes objects from an async `Stream`, holding only the requests in
    /// flight in memory. The items are typed [`SpeckleObject`]s or
    /// [`RawObject`](crate::RawObject)s: JSON text checked once and sent as
    /// written, for objects read from files (no typed object is built only to
    /// be serialized again).
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), speckle::Error> {
    /// use speckle::RawObject;
    /// let lines = ["{\"type\":\"Point\",\"value\":[0,0,1]}", "{\"type\":\"Point\",\"value\":[0,0,2]}"];
    /// let objects = lines.iter().map(|line| RawObject::from_json(*line)).collect::<Result<Vec<_>, _>>()?;
    /// let outcome = client
    ///     .objects()
    ///     .push_stream(futures_util::stream::iter(objects), Default::default())
    ///     .await?;
    /// assert_eq!(outcome.ids.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A request that failed after retries.
    pub async fn push_stream<S>(
        &self,
        objects: S,
        options: PushOptions,
    ) -> Result<PushOutcome, Error>
    where
        S: Stream + Unpin + Send,
        S::Item: Into<PushItem>,
    {
        bulk::push_stream(self.http, objects, &options).await
    }

    /// Pulls objects by id as a `Stream`, in order, several getbulk requests in
    /// flight; unreadable ids are [`Pulled::Unavailable`]. The stream owns a
    /// clone of the client, so it can be moved into `tokio::spawn`.
    pub fn pull<I: Into<ObjectId>>(
        &self,
        ids: impl IntoIterator<Item = I>,
    ) -> BoxStream<'static, Result<Pulled, Error>> {
        self.pull_with(ids, PullOptions::default())
    }

    /// [`pull`](Self::pull) with options (chunk size, concurrency, fields/omit, progress).
    pub fn pull_with<I: Into<ObjectId>>(
        &self,
        ids: impl IntoIterator<Item = I>,
        options: PullOptions,
    ) -> BoxStream<'static, Result<Pulled, Error>> {
        bulk::pull(
            self.http,
            ids.into_iter().map(Into::into).collect(),
            options,
        )
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
    /// missing or unreadable come back as the server's stubs
    /// ([`SpeckleObject::is_no_permission_stub`]), like the Python client;
    /// [`pull`](Self::pull) types them instead. Fetched in chunks, several in flight.
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
        let options = PullOptions {
            query,
            ..PullOptions::default()
        };
        let mut stream = self.pull_with(ids, options);
        let mut objects = Vec::new();
        while let Some(entry) = stream.next().await {
            objects.push(match entry? {
                Pulled::Object(object) => object,
                Pulled::Unavailable(id) => SpeckleObject::new(ObjectType::String)
                    .with_id(id)
                    .with("value", NO_PERMISSION_TEXT),
            });
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
