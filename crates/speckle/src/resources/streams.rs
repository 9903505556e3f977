use futures_util::stream::BoxStream;
use speckle_http::bulk::{self, PullOptions, Pulled, PushOptions, PushOutcome};
use speckle_http::endpoints::streams::{
    ApplyStreamDelta, CloneStream, CreateStream, DeleteStream, DiffStreams, GetStream,
    GetStreamDelta, ListAllStreams, ListStreamClients, ListStreamObjects, ListStreams,
    UpdateStream,
};
use speckle_http::query::Query;
use speckle_http::{execute, missing, Client, EnvelopeExt};
use speckle_types::{
    ApiClient, Comment, Delta, DeltaResponse, DiffResponse, ResourceType, SpeckleObject, Stream,
    StreamId,
};
#[cfg(feature = "ws")]
use speckle_ws::SocketHandle;

use super::{comment_on, comments_of, Objects};
use crate::Error;

/// `client.streams()`: streams, their objects, clones, diffs and deltas.
#[derive(Debug, Clone, Copy)]
pub struct Streams<'a> {
    http: &'a Client,
    /// Where successful writes are announced, if anywhere (see
    /// `announce.rs`).
    #[cfg(feature = "ws")]
    pub(super) announce: Option<&'a SocketHandle>,
}

impl<'a> Streams<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self {
            http,
            #[cfg(feature = "ws")]
            announce: None,
        }
    }

    /// `GET /streams?omit=objects`: the caller's streams (owned or shared),
    /// without their object lists, like the Python client's default.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list(&self) -> Result<Vec<Stream>, Error> {
        self.list_with(Query::new().omit(["objects"])).await
    }

    /// `GET /streams?…` with filters, projection, sort and paging.
    ///
    /// # Errors
    /// 401 without a token.
    pub async fn list_with(&self, query: Query) -> Result<Vec<Stream>, Error> {
        execute(self.http, &ListStreams::new().with_query(query))
            .await?
            .into_resources()
    }

    /// `GET /streams/admin` (admin): every stream matching `query`.
    ///
    /// # Errors
    /// 401 for non-admins.
    pub async fn list_all(&self, query: Query) -> Result<Vec<Stream>, Error> {
        execute(self.http, &ListAllStreams::new().with_query(query))
            .await?
            .into_resources()
    }

    /// `POST /streams`: creates a stream.
    ///
    /// # Errors
    /// 400 on failure.
    pub async fn create(&self, stream: Stream) -> Result<Stream, Error> {
        execute(self.http, &CreateStream::new(stream))
            .await?
            .into_resource()
    }

    /// `GET /streams/:id`: the stream, objects as placeholders.
    ///
    /// # Errors
    /// 401 for a private stream without access, 404 when missing.
    pub async fn get(&self, id: impl Into<StreamId>) -> Result<Stream, Error> {
        self.get_with(id, Query::new()).await
    }

    /// `GET /streams/:id?fields=…|omit=…`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_with(&self, id: impl Into<StreamId>, query: Query) -> Result<Stream, Error> {
        execute(self.http, &GetStream::new(id).with_query(query))
            .await?
            .into_resource()
    }

    /// `PUT /streams/:id`: changes the fields set on `patch`, and only those.
    ///
    /// If `patch.objects` holds full objects, they are uploaded first
    /// (`POST /objects`) and the stream gets their placeholders, in order: the
    /// server would otherwise drop every placeholder sent alongside them.
    ///
    #[cfg_attr(
        feature = "ws",
        doc = "With [`announce`](Self::announce), a successful update is broadcast \
               as `update-global` to the stream's room.\n"
    )]
    /// # Errors
    /// 400 for everything (not found, not permitted).
    pub async fn update(&self, id: impl Into<StreamId>, mut patch: Stream) -> Result<(), Error> {
        self.check_announcer()?;
        let id = id.into();
        if let Some(objects) = patch.objects.take() {
            patch.objects = Some(self.as_placeholders(objects).await?);
        }
        execute(self.http, &UpdateStream::new(id.clone(), patch)).await?;
        self.announce_write(&id)
    }

    /// Uploads the full objects of `objects` and returns the list with every
    /// entry a placeholder, order kept.
    async fn as_placeholders(
        &self,
        objects: Vec<SpeckleObject>,
    ) -> Result<Vec<SpeckleObject>, Error> {
        if objects.iter().all(SpeckleObject::is_placeholder) {
            return Ok(objects);
        }
        let (positions, full): (Vec<usize>, Vec<SpeckleObject>) = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| !o.is_placeholder())
            .map(|(i, o)| (i, o.clone()))
            .unzip();
        let uploaded = Objects::new(self.http).create(full).await?;
        let mut result = objects;
        for (position, placeholder) in positions.into_iter().zip(uploaded) {
            if let Some(slot) = result.get_mut(position) {
                *slot = placeholder;
            }
        }
        Ok(result)
    }

    /// Pushes objects ([`Objects::push`](super::Objects::push)) and then sets
    /// the stream's objects to their placeholders, in order, the way the
    /// connectors do. The stream is left untouched if any object could not be
    /// stored.
    ///
    /// Before uploading anything, it checks that the stream exists and that
    /// the caller may write it ([`bulk::check_writable`]): a push to a
    /// missing or read-only stream fails at once instead of after the upload.
    #[cfg_attr(
        feature = "ws",
        doc = "With [`announce`](Self::announce), the finished push is broadcast as \
               `update-global` to the stream's room."
    )]
    ///
    /// # Errors
    /// - the stream is missing (`is_not_found`) or not writable
    ///   (`is_forbidden`), found before any object was sent;
    /// - a failed request, or the first object that could not be stored. When
    ///   objects were stored before the failure, [`Error::push_outcome`] says
    ///   which; pushing again is safe (the server keeps one object per hash).
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), speckle::Error> {
    /// use speckle::{Point, SpeckleObject};
    /// let model = (0..10_000).map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)));
    /// let outcome = client.streams().push_objects("60uCme_s0", model, &Default::default()).await?;
    /// println!("{:?}", outcome.stats);
    /// # Ok(()) }
    /// ```
    pub async fn push_objects(
        &self,
        id: impl Into<StreamId>,
        objects: impl IntoIterator<Item = SpeckleObject, IntoIter: Send>,
        options: &PushOptions,
    ) -> Result<PushOutcome, Error> {
        self.check_announcer()?;
        let id = id.into();
        bulk::check_writable(self.http, &id).await?;
        let outcome = bulk::push(self.http, objects, options).await?;
        let placeholders = match outcome.placeholders() {
            Ok(placeholders) => placeholders,
            Err(error) => return Err(error.with_push_outcome(outcome)),
        };
        let patch = Stream {
            objects: Some(placeholders),
            ..Stream::default()
        };
        if let Err(error) = execute(self.http, &UpdateStream::new(id.clone(), patch)).await {
            return Err(error.with_push_outcome(outcome));
        }
        match self.announce_write(&id) {
            Ok(()) => Ok(outcome),
            Err(error) => Err(error.with_push_outcome(outcome)),
        }
    }

    /// Pulls the stream's objects, in stream order, as a `Stream` (reads the
    /// stream's placeholders, then getbulk in chunks, several in flight).
    ///
    /// # Errors
    /// When the stream cannot be read; request failures later end the stream
    /// with their error.
    pub async fn pull_objects(
        &self,
        id: impl Into<StreamId>,
        options: PullOptions,
    ) -> Result<BoxStream<'static, Result<Pulled, Error>>, Error> {
        let stream = self.get_with(id, Query::new().fields(["objects"])).await?;
        let ids = stream
            .objects
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| o.id)
            .collect();
        Ok(bulk::pull(self.http, ids, options))
    }

    /// `DELETE /streams/:id` (owner or admin): deletes the stream and its
    /// direct clones; returns the deleted stream ids.
    ///
    /// # Errors
    /// 404 for everything.
    pub async fn delete(&self, id: impl Into<StreamId>) -> Result<Vec<StreamId>, Error> {
        Ok(execute(self.http, &DeleteStream::new(id))
            .await?
            .deleted_streams
            .unwrap_or_default())
    }

    /// `POST /streams/:id/clone`: returns `(clone, parent)`, both without
    /// objects and layers.
    ///
    /// # Errors
    /// 400 when not readable or missing.
    pub async fn clone(
        &self,
        id: impl Into<StreamId>,
        name: Option<&str>,
    ) -> Result<(Stream, Stream), Error> {
        let mut endpoint = CloneStream::new(id);
        if let Some(name) = name {
            endpoint = endpoint.name(name);
        }
        let response = execute(self.http, &endpoint).await?;
        let clone = response.clone.ok_or_else(|| missing("clone"))?;
        let parent = response.parent.ok_or_else(|| missing("parent"))?;
        Ok((clone, parent))
    }

    /// `GET /streams/:id/diff/:other`.
    ///
    /// # Errors
    /// 400 for the same stream twice, missing or unreadable streams.
    pub async fn diff(
        &self,
        id: impl Into<StreamId>,
        other: impl Into<StreamId>,
    ) -> Result<DiffResponse, Error> {
        execute(self.http, &DiffStreams::new(id, other)).await
    }

    /// `GET /streams/:id/delta/:other`: the delta from `id` to `other`, also
    /// when the server flags it with a 400 for missing sender clients.
    ///
    /// # Errors
    /// As [`diff`](Self::diff).
    pub async fn delta(
        &self,
        id: impl Into<StreamId>,
        other: impl Into<StreamId>,
    ) -> Result<DeltaResponse, Error> {
        execute(self.http, &GetStreamDelta::new(id, other)).await
    }

    /// `POST /streams/:id/delta`: applies a delta in place (after the server
    /// saves a clone of the current state).
    ///
    /// # Errors
    /// An input error when `revision_a.id` is not `id`; 400 `"{}"` otherwise.
    pub async fn apply_delta(&self, id: impl Into<StreamId>, delta: Delta) -> Result<(), Error> {
        execute(self.http, &ApplyStreamDelta::new(id, delta))
            .await
            .map(drop)
    }

    /// `GET /streams/:id/objects`: the full objects, in stream order.
    ///
    /// # Errors
    /// 404 for everything, including not permitted.
    pub async fn list_objects(&self, id: impl Into<StreamId>) -> Result<Vec<SpeckleObject>, Error> {
        self.list_objects_with(id, Query::new()).await
    }

    /// `GET /streams/:id/objects?…` with filters, fields, offset and limit.
    ///
    /// # Errors
    /// 404 for everything.
    pub async fn list_objects_with(
        &self,
        id: impl Into<StreamId>,
        query: Query,
    ) -> Result<Vec<SpeckleObject>, Error> {
        execute(self.http, &ListStreamObjects::new(id).with_query(query))
            .await?
            .into_resources()
    }

    /// `GET /streams/:id/clients`: the api clients connected to the stream.
    ///
    /// # Errors
    /// 401/404.
    pub async fn list_clients(&self, id: impl Into<StreamId>) -> Result<Vec<ApiClient>, Error> {
        execute(self.http, &ListStreamClients::new(id))
            .await?
            .into_resources()
    }

    /// `GET /comments/stream/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_get(&self, id: impl Into<StreamId>) -> Result<Vec<Comment>, Error> {
        comments_of(self.http, ResourceType::Stream, id.into().as_str()).await
    }

    /// `POST /comments/stream/:id`.
    ///
    /// # Errors
    /// 401/404.
    pub async fn comment_create(
        &self,
        id: impl Into<StreamId>,
        comment: Comment,
    ) -> Result<Comment, Error> {
        comment_on(self.http, ResourceType::Stream, id.into().as_str(), comment).await
    }
}
