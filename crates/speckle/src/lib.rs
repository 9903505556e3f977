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
//! ## Layers
//!
//! - [`types`] (`speckle-types`): the serde models, usable without HTTP.
//! - [`http`] (`speckle-http`): one [`Endpoint`](http::Endpoint) type per
//!   server route and [`execute`](http::execute), for full control
//!   (`speckle::http::execute(client.http(), &endpoint)`).
//! - [`ws`] (`speckle-ws`): live stream websockets
//!   ([`SpeckleClient::websockets`]).
//! - [`SpeckleClient`]: the convenient API over all of them.
//!
//! ## Features
//!
//! - `rustls` (default): TLS through rustls.
//! - `native-tls`: TLS through the platform library.
//! - `accounts`: `speckle::accounts::AccountStore`, the user's accounts in
//!   the local cache shared with the other Speckle tools, and
//!   `SpeckleClient::from_default_account()`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(feature = "accounts")]
pub mod accounts;
mod client;
#[cfg(feature = "accounts")]
mod client_accounts;
pub mod resources;

pub use client::{LiveError, SpeckleClient, SpeckleClientBuilder};
pub use speckle_http as http;
pub use speckle_types as types;
pub use speckle_ws as ws;

#[doc(inline)]
pub use speckle_http::bulk::{
    ObjectCache, Progress, ProgressFn, PullOptions, Pulled, PushOptions, PushOutcome,
};
#[doc(inline)]
pub use speckle_http::endpoints::accounts::{AdminUserUpdate, ProfileUpdate, Register};
#[doc(inline)]
pub use speckle_http::query::{Filter, Query};
#[doc(inline)]
pub use speckle_http::{Error, ErrorKind, RetryPolicy};
#[doc(inline)]
pub use speckle_types::{
    ApiClient, ClientId, ClientRole, Comment, CommentId, Delta, Geometry, Layer, Mesh, ObjectId,
    ObjectType, Point, Polyline, Project, ProjectId, ResourceType, Role, SpeckleObject, Stream,
    StreamId, User, UserId, Vector,
};

/// The README's examples, compiled as doc tests so they cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Re-exported so callers can read tokens: `client.apitoken().map(|t| t.expose_secret().to_owned())`.
pub use secrecy::{ExposeSecret, SecretString};
