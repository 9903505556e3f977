//! What the event stream yields.

use speckle_types::ClientId;

use crate::error::WsError;
use crate::incoming::Incoming;

/// The connection's state, observable through
/// [`SocketHandle::state`](crate::SocketHandle::state) /
/// [`SocketHandle::state_changes`](crate::SocketHandle::state_changes) and
/// reported as events.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// The first connection attempt is in progress.
    Connecting,
    /// Connected, settled, rooms re-joined: frames are being delivered.
    Open,
    /// The connection failed or was lost; waiting out the backoff or dialing
    /// again. `attempt` counts from 1 and resets once a connection opens.
    Reconnecting {
        /// The number of this reconnection attempt (1-based).
        attempt: u32,
    },
    /// Finished for good; the event stream has ended or is about to.
    Closed,
}

impl ConnectionState {
    /// Whether frames are currently being delivered.
    pub fn is_open(self) -> bool {
        self == Self::Open
    }

    /// Whether the socket has finished for good.
    pub fn is_closed(self) -> bool {
        self == Self::Closed
    }
}

/// Why the socket finished for good.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum CloseReason {
    /// [`SocketHandle::close`](crate::SocketHandle::close) was called.
    Requested,
    /// [`SocketConfig::max_reconnect_attempts`](crate::SocketConfig::max_reconnect_attempts)
    /// consecutive reconnection attempts failed.
    ReconnectAttemptsExhausted {
        /// How many reconnection attempts were made.
        attempts: u32,
        /// The error of the last one.
        last_error: WsError,
    },
    /// The background task stopped without saying why: it panicked or its
    /// tokio runtime shut down. Reported by the [`EventStream`](crate::EventStream)
    /// itself so that the end is never silent.
    TaskStopped,
}

/// One item of the [`EventStream`](crate::EventStream).
///
/// The stream is `Stream<Item = Event>`, not `Item = Result<…>`: errors
/// that the socket recovers from (a failed connect, a lost connection, a
/// heartbeat timeout) are ordinary [`Event::Error`] items followed by more
/// events, and the end is always announced by one final [`Event::Closed`]
/// carrying the reason. The stream never ends without it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The connection state changed to `Connecting`, `Open` or
    /// `Reconnecting`. (The change to [`ConnectionState::Closed`] is
    /// reported as [`Event::Closed`], which carries the reason.)
    State(ConnectionState),
    /// A frame from the server. `ping` is answered internally and never
    /// appears here; a client-id reassignment appears as
    /// [`Event::ClientIdChanged`].
    Frame(Incoming),
    /// The server reassigned this socket's client id because the id was
    /// already connected elsewhere (it then warns and assigns a new id). The socket already
    /// uses `current` as `senderId` and for reconnecting.
    ClientIdChanged {
        /// The id used until now.
        previous: ClientId,
        /// The id assigned by the server.
        current: ClientId,
        /// The server's warning text.
        message: String,
    },
    /// Something went wrong that the socket deals with by itself, usually
    /// followed by [`ConnectionState::Reconnecting`].
    Error(WsError),
    /// The socket finished for good. Always the last item.
    Closed(CloseReason),
}

impl Event {
    /// The state this event moves to, if it is a state change.
    pub fn state(&self) -> Option<ConnectionState> {
        match self {
            Self::State(state) => Some(*state),
            Self::Closed(_) => Some(ConnectionState::Closed),
            _ => None,
        }
    }

    /// The frame, if this event carries one.
    pub fn frame(&self) -> Option<&Incoming> {
        match self {
            Self::Frame(frame) => Some(frame),
            _ => None,
        }
    }
}
