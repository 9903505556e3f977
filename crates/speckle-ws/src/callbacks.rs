//! Callback style, for code ported from PySpeckle.
//!
//! PySpeckle's `client.websockets(stream_id, client_id, on_open, on_message,
//! on_error, on_close)` hands four callbacks to `websocket-client`. This
//! adapter offers the same four hooks on top of the event stream. Each
//! callback gets the [`SocketHandle`], so it can reply, join rooms or close.

use std::fmt;

use serde_json::Map;

use crate::error::WsError;
use crate::event::{CloseReason, ConnectionState, Event};
use crate::handle::SocketHandle;
use crate::incoming::{ClientIdReassigned, Incoming};
use crate::socket::SpeckleSocket;

type OnOpen = Box<dyn FnMut(&SocketHandle) + Send>;
type OnMessage = Box<dyn FnMut(&SocketHandle, Incoming) + Send>;
type OnError = Box<dyn FnMut(&SocketHandle, WsError) + Send>;
type OnClose = Box<dyn FnOnce(&SocketHandle, &CloseReason) + Send>;

/// The four PySpeckle-style hooks; unset hooks ignore their events.
///
/// ```no_run
/// use speckle_ws::{Callbacks, Incoming, SocketConfig, SpeckleSocket};
///
/// # async fn run() -> Result<(), speckle_ws::WsError> {
/// let socket = SpeckleSocket::connect(
///     SocketConfig::new("http://localhost:3000/api", "my-client-id").stream_id("KZEstGdMW"),
/// )?;
/// let reason = Callbacks::new()
///     .on_open(|ws| println!("open as {}", ws.client_id()))
///     .on_message(|_ws, message| {
///         if let Incoming::Broadcast(b) = message {
///             println!("{:?}", b.event_type());
///         }
///     })
///     .on_error(|_ws, error| eprintln!("{error}"))
///     .on_close(|_ws, reason| println!("closed: {reason:?}"))
///     .run(socket)
///     .await;
/// # let _ = reason; Ok(()) }
/// ```
#[must_use = "callbacks do nothing until `run` is awaited"]
#[derive(Default)]
pub struct Callbacks {
    on_open: Option<OnOpen>,
    on_message: Option<OnMessage>,
    on_error: Option<OnError>,
    on_close: Option<OnClose>,
}

impl Callbacks {
    /// No hooks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Called every time the connection is open (first connect and every
    /// reconnect), after rooms were re-joined.
    pub fn on_open(mut self, f: impl FnMut(&SocketHandle) + Send + 'static) -> Self {
        self.on_open = Some(Box::new(f));
        self
    }

    /// Called for every frame from the server (not for `ping`, which is
    /// answered internally). A client-id reassignment arrives here as
    /// [`Incoming::ClientIdReassigned`], after the socket adopted the new id.
    pub fn on_message(mut self, f: impl FnMut(&SocketHandle, Incoming) + Send + 'static) -> Self {
        self.on_message = Some(Box::new(f));
        self
    }

    /// Called for every error; the socket keeps reconnecting unless it gave
    /// up, in which case `on_close` follows.
    pub fn on_error(mut self, f: impl FnMut(&SocketHandle, WsError) + Send + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// Called once, when the socket has finished for good.
    pub fn on_close(
        mut self,
        f: impl FnOnce(&SocketHandle, &CloseReason) + Send + 'static,
    ) -> Self {
        self.on_close = Some(Box::new(f));
        self
    }

    /// Drives `socket` until it closes, calling the hooks; returns why it
    /// closed.
    pub async fn run(mut self, socket: SpeckleSocket) -> CloseReason {
        let (handle, mut events) = socket.into_parts();
        // `EventStream` always ends with `Event::Closed`, so the fallback
        // below is only reached if that promise is ever broken.
        let mut reason = CloseReason::TaskStopped;
        while let Some(event) = events.recv().await {
            match event {
                Event::State(ConnectionState::Open) => {
                    if let Some(f) = &mut self.on_open {
                        f(&handle);
                    }
                }
                Event::Frame(frame) => {
                    if let Some(f) = &mut self.on_message {
                        f(&handle, frame);
                    }
                }
                Event::ClientIdChanged {
                    current, message, ..
                } => {
                    if let Some(f) = &mut self.on_message {
                        f(
                            &handle,
                            Incoming::ClientIdReassigned(ClientIdReassigned {
                                new_id: current,
                                message,
                                extra: Map::new(),
                            }),
                        );
                    }
                }
                Event::Error(error) => {
                    if let Some(f) = &mut self.on_error {
                        f(&handle, error);
                    }
                }
                Event::Closed(closed) => {
                    reason = closed;
                    break;
                }
                Event::State(_) => {}
            }
        }
        if let Some(f) = self.on_close.take() {
            f(&handle, &reason);
        }
        reason
    }
}

impl fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("on_open", &self.on_open.is_some())
            .field("on_message", &self.on_message.is_some())
            .field("on_error", &self.on_error.is_some())
            .field("on_close", &self.on_close.is_some())
            .finish()
    }
}
