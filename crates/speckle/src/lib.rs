//! # speckle: the Rust SDK for the Speckle v1 server API
//!
//! [`SpeckleClient`] has the shape of the Python client (`SpeckleApiClient`),
//! in idiomatic Rust: resource accessors with the same method names
//! (`client.streams().list()`, `client.objects().get_bulk(ids)` …), typed
//! models that never lose a field, one typed [`Error`], and none of the Python
//! client's bugs (partial updates only send what you set; search, set_role
//! and token login work; the websocket uses the api token).
//!
//! ## A whole round trip
//!
//! Log in, create a stream, push objects into it, read them back:
//!
//! ```no_run
//! use speckle::{Mesh, Point, SpeckleClient, SpeckleObject, Stream};
//!
//! # async fn demo() -> Result<(), speckle::Error> {
//! let client = SpeckleClient::new("https://speckle.example.com")?;
//! client.login("alice@example.com", "correct-horse-battery").await?;
//!
//! let stream = client
//!     .streams()
//!     .create(Stream { name: Some("Site model".into()), ..Default::default() })
//!     .await?;
//! let stream_id = stream.stream_id.clone().ok_or_else(|| speckle::http::missing("streamId"))?;
//!
//! // Objects carry typed geometry plus any user data.
//! let objects = vec![
//!     SpeckleObject::from(Point::new(0.0, 0.0, 0.0)).with("level", "L1"),
//!     SpeckleObject::from(Mesh::new(
//!         vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
//!         vec![0.0, 0.0, 1.0, 2.0], // face: triangle flag, then three vertex indices
//!     )),
//! ];
//! // Uploaded in batches sized for the server; placeholders come back in order.
//! let placeholders = client.objects().create(objects).await?;
//! client
//!     .streams()
//!     .update(&stream_id, Stream { objects: Some(placeholders.clone()), ..Default::default() })
//!     .await?;
//!
//! let ids = placeholders.iter().filter_map(|p| p.id.clone());
//! for object in client.objects().get_bulk(ids).await? {
//!     println!("{:?}: {:?}", object.kind, object.geometry());
//! }
//! # Ok(()) }
//! ```
//!
//! ## Which method for which job
//!
//! | job | method |
//! |---|---|
//! | upload objects, any number (**the** bulk upload) | [`objects().push`](resources::Objects::push) / [`push_with`](resources::Objects::push_with) (options) / [`push_stream`](resources::Objects::push_stream) (from an async stream) |
//! | upload and get placeholders, failing on any bad object | [`objects().create`](resources::Objects::create) (the Python name; `push` underneath) |
//! | download objects, any number (**the** bulk download) | [`objects().pull`](resources::Objects::pull) / [`pull_with`](resources::Objects::pull_with) (options), a stream in order |
//! | download a few objects in one request | [`objects().get_bulk`](resources::Objects::get_bulk) (the Python name) |
//! | one object | [`objects().get`](resources::Objects::get) |
//! | upload into a stream after checking write access | [`streams().push_objects`](resources::Streams::push_objects) |
//! | set a stream's object list (placeholders) | [`streams().update`](resources::Streams::update) |
//! | any route with full control | [`http::execute`] with an [`http::endpoints`] type |
//! | live events of a stream (`ws` feature) | [`SpeckleClient::websockets`][websockets] |
//!
//! ## Layers
//!
//! - [`types`] (`speckle-types`): the serde models, usable without HTTP.
//! - [`http`] (`speckle-http`): one [`Endpoint`](http::Endpoint) type per
//!   server route and [`execute`](http::execute), for full control
//!   (`speckle::http::execute(client.http(), &endpoint)`).
//! - [`ws`][ws-module] (`speckle-ws`, with the `ws` feature): live stream
//!   websockets ([`SpeckleClient::websockets`][websockets]).
//! - [`SpeckleClient`]: the convenient API over all of them.
//!
//! ## Features
//!
//! - `rustls` (default): TLS through rustls.
//! - `native-tls`: TLS through the platform library.
//! - `ws` (default): live stream websockets: `speckle::ws`,
//!   `SpeckleClient::websockets`, `Streams::announce`, and websocket errors
//!   inside [`Error`]. A program that only makes HTTP calls turns it off
//!   (`default-features = false, features = ["rustls"]`) and builds without
//!   the websocket stack (`speckle-ws`, `tokio-tungstenite`).
//! - `accounts`: `speckle::accounts::AccountStore`, the user's accounts in
//!   the local cache shared with the other Speckle tools, and
//!   `SpeckleClient::from_default_account()`.
//!
//! The websocket items of these docs exist only with `ws`: without it, the
//! links to them lead here.
//!
#![cfg_attr(feature = "ws", doc = "[websockets]: SpeckleClient::websockets")]
#![cfg_attr(feature = "ws", doc = "[ws-module]: crate::ws")]
#![cfg_attr(not(feature = "ws"), doc = "[websockets]: #features")]
#![cfg_attr(not(feature = "ws"), doc = "[ws-module]: #features")]

#[cfg(feature = "accounts")]
pub mod accounts;
mod client;
#[cfg(feature = "accounts")]
mod client_accounts;
#[cfg(feature = "ws")]
mod client_ws;
pub mod resources;

pub use client::{SpeckleClient, SpeckleClientBuilder};

/// The serde models of the v1 API (the `speckle-types` crate), usable
/// without HTTP.
pub mod types {
    #[doc(inline)]
    pub use speckle_types::*;
}

/// One [`Endpoint`](http::Endpoint) type per server route and
/// [`execute`](http::execute), the function that sends them (the
/// `speckle-http` crate): `speckle::http::execute(client.http(), &endpoint)`.
pub mod http {
    #[doc(inline)]
    pub use speckle_http::*;
}

/// Live stream websockets (the `speckle-ws` crate): a
/// [`SpeckleSocket`] is a `Stream` of [`Event`]s with a cloneable
/// [`SocketHandle`] to send; it reconnects, re-joins its rooms and answers heartbeats.
/// Only with the `ws` feature (on by default).
#[cfg(feature = "ws")]
pub mod ws {
    #[doc(inline)]
    pub use speckle_ws::*;
}

/// What a program using the SDK needs in scope: the client, the error, the
/// common models, `json!` for free-form payloads, and `StreamExt` to consume
/// [`pull`](resources::Objects::pull) streams and socket events with
/// `.next().await`; with it, `speckle` and `tokio` are the only dependencies
/// a program needs. The socket types (`SpeckleSocket`, `Event`, `Incoming`)
/// come with the `ws` feature.
///
/// ```no_run
/// use speckle::prelude::*;
///
/// # async fn demo(client: SpeckleClient) -> Result<(), Error> {
/// let mut objects = client.objects().pull(["5b0c7f0a3a9f", "5b0c7f0a3a9e"]);
/// while let Some(pulled) = objects.next().await {
///     println!("{:?}", pulled?);
/// }
/// # Ok(()) }
/// ```
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::{Error, Point, SpeckleClient, SpeckleObject, Stream};
    #[cfg(feature = "ws")]
    #[doc(no_inline)]
    pub use crate::{Event, Incoming, SpeckleSocket};
    #[doc(no_inline)]
    pub use futures_util::{Stream as AsyncStream, StreamExt};
    #[doc(no_inline)]
    pub use serde_json::{json, Value};
}

#[doc(inline)]
pub use speckle_http::bulk::{
    ObjectCache, Progress, ProgressFn, PullOptions, Pulled, PushFailure, PushItem, PushOptions,
    PushOutcome, PushStats, RawObject,
};
#[doc(inline)]
pub use speckle_http::endpoints::accounts::{AdminUserUpdate, ProfileUpdate, Register};
#[doc(inline)]
pub use speckle_http::query::{Filter, Query};
#[doc(inline)]
pub use speckle_http::{Error, ErrorKind, RetryPolicy, ServerUrl};
#[doc(inline)]
pub use speckle_types::{
    ApiClient, ClientId, ClientRole, Comment, CommentId, Delta, Geometry, Layer, Mesh, ObjectId,
    ObjectType, PluginManifest, Point, Polyline, Project, ProjectId, ResourceType, Role,
    ServerInfo, SpeckleObject, Stream, StreamId, User, UserId, Vector,
};
#[cfg(feature = "ws")]
#[doc(inline)]
pub use speckle_ws::{
    Event, Incoming, SocketConfig, SocketHandle, SpeckleSocket, WsError, WsErrorKind,
};

/// The README's examples, compiled as doc tests so they cannot rot. They
/// show the default features, live sockets included, so they need `ws`.
#[doc = include_str!("../../../README.md")]
#[cfg(all(doctest, feature = "ws"))]
pub struct ReadmeDoctests;

/// Re-exported so callers can read tokens: `client.apitoken().map(|t| t.expose_secret().to_owned())`.
pub use secrecy::{ExposeSecret, SecretString};
