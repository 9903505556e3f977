//! A faithful single-binary Speckle v1 server with an embedded SQLite
//! database: the SDK's test target and the tour's default server.
//!
//! It answers every route of the real SpeckleServer 1.6.0 under `/api` and
//! `/api/v1` with the same status codes, envelopes and messages (quirks
//! included, security holes closed; see the crate README), and serves the
//! websocket protocol on the same port.
//!
//! ```no_run
//! # async fn demo() -> Result<(), speckle_devserver::Error> {
//! use speckle_devserver::{Config, DevServer};
//!
//! let server = DevServer::start(Config::default()).await?;
//! println!("listening on {}", server.url()); // http://127.0.0.1:<port>
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod app;
mod auth;
mod config;
mod db;
mod error;
mod http;
mod ids;
mod json;
mod model;
mod perm;
mod q2m;
mod routes;
mod server;
mod ws;

pub use config::Config;
pub use error::Error;
pub use server::DevServer;
