#![doc = include_str!("../README.md")]

mod callbacks;
mod config;
mod driver;
mod error;
mod event;
mod frame;
mod handle;
mod incoming;
mod redact;
mod socket;
mod tls;
mod url;

pub use callbacks::Callbacks;
pub use config::{
    SocketConfig, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_EVENT_CAPACITY, DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_QUEUE_CAPACITY,
    DEFAULT_SETTLE_DELAY,
};
pub use error::{WsError, WsErrorKind};
pub use event::{CloseReason, ConnectionState, Event};
pub use frame::{Outgoing, Room};
pub use handle::SocketHandle;
pub use incoming::{ClientIdReassigned, Incoming, Notice, RoomJoined, SocketEnvelope};

/// The old name of [`SocketEnvelope`], which read like the HTTP answer
/// envelope `speckle_types::Envelope`.
#[deprecated(since = "0.1.0", note = "renamed to `SocketEnvelope`")]
pub type Envelope = SocketEnvelope;
pub use redact::redact_access_token;
/// Re-exported so that `SecretString` can be named without a direct
/// dependency on `secrecy`.
pub use secrecy::SecretString;
pub use socket::{EventStream, SpeckleSocket};
/// The id types used by this crate, from `speckle-types`.
pub use speckle_types::{ClientId, StreamId};
pub use tls::TLS_BACKEND;
