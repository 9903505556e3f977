//! Endpoints and the one HTTP executor of the Speckle v1 server API.
//!
//! - [`Endpoint`]: one small type per server route ([`endpoints`]), describing
//!   method, path, query and body, and the type its answer decodes into.
//! - [`execute`]: the only code that sends requests. It attaches the token,
//!   retries what is safe to retry, turns every non-success answer (JSON,
//!   plain text or HTML) into a typed [`Error`], and decodes the rest.
//! - [`Client`]: server address, transport and session; [`Client::register`],
//!   [`Client::login`] and [`Client::login_with_token`] fill the session.
//! - [`query`]: a typed builder for the server's query strings.
//! - [`bulk`]: fast, lossless push and pull of many objects.
//!
//! ```no_run
//! use speckle_http::{execute, Client};
//! use speckle_http::endpoints::streams::{CreateStream, GetStream};
//! use speckle_types::Stream;
//!
//! # async fn demo() -> Result<(), speckle_http::Error> {
//! let client = Client::new("https://speckle.example.com")?;
//! client.login("alice@example.com", "correct-horse-battery").await?;
//! let created = execute(&client, &CreateStream::new(Stream {
//!     name: Some("Site model".into()),
//!     ..Default::default()
//! })).await?;
//! let id = created.resource.and_then(|s| s.stream_id).expect("the server returns the stream");
//! let fetched = execute(&client, &GetStream::new(id).fields(["name"])).await?;
//! println!("{:?}", fetched.resource);
//! # Ok(()) }
//! ```
//!
//! # TLS
//! `rustls` (default) or `native-tls`; with both on, rustls is used. Without
//! either, only `http://` servers can be reached.
//!
//! # Websocket errors
//! `ws` (default): the [`Error`] type also carries the errors of live
//! connections (the `speckle-ws` crate), so `?` mixes HTTP calls and
//! sockets. Without it, nothing of the websocket stack is compiled in.

mod auth;
mod base_url;
pub mod bulk;
mod client;
mod endpoint;
pub mod endpoints;
mod envelope_ext;
mod error;
mod execute;
mod explain;
pub mod query;
mod redact;
mod retry;
pub mod transport;

pub use base_url::ServerUrl;
pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, USER_AGENT};
pub use endpoint::{AuthMode, Endpoint, Method, Mount, Route};
pub use endpoints::ALL_ROUTES;
pub use envelope_ext::{missing, EnvelopeExt};
pub use error::{Error, ErrorKind};
pub use execute::{execute, execute_raw};
pub use retry::RetryPolicy;
pub use speckle_types as types;
pub use transport::TLS_BACKEND;
