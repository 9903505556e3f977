//! Errors of starting and stopping a server.

use std::net::SocketAddr;

/// Why a [`DevServer`](crate::DevServer) could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The SQLite database could not be opened or prepared.
    #[error("cannot open the database: {0}")]
    Database(String),
}
