//! The cloneable sender side and the state it shares with the background task.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use speckle_types::{ClientId, StreamId};
use tokio::sync::{mpsc, watch, Notify};

use crate::error::WsError;
use crate::event::ConnectionState;
use crate::frame::{Outgoing, Room};

/// State shared by every [`SocketHandle`] clone and the background task.
pub(crate) struct Shared {
    /// Frames accepted but not yet written. Bounded by `capacity`; a std
    /// mutex because it is never held across an `.await`.
    queue: Mutex<Queue>,
    capacity: usize,
    /// Wakes the task: a frame was queued or close was requested.
    pub(crate) wake: Notify,
    close_requested: AtomicBool,
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) client_id: watch::Sender<ClientId>,
}

struct Queue {
    frames: VecDeque<Outgoing>,
    /// Set by the task, under the lock, when it stops: after that nothing is
    /// accepted, so no frame can slip in after the final count of discarded
    /// frames.
    finished: bool,
}

impl Shared {
    pub(crate) fn new(capacity: usize, client_id: ClientId) -> Self {
        Self {
            queue: Mutex::new(Queue {
                frames: VecDeque::new(),
                finished: false,
            }),
            capacity,
            wake: Notify::new(),
            close_requested: AtomicBool::new(false),
            state: watch::Sender::new(ConnectionState::Connecting),
            client_id: watch::Sender::new(client_id),
        }
    }

    /// A panic elsewhere while holding the lock cannot leave the queue in a
    /// torn state (every critical section is a single push/pop), so a
    /// poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, frame: Outgoing) -> Result<(), WsError> {
        {
            let mut queue = self.lock();
            if queue.finished || self.close_requested() {
                return Err(WsError::closed());
            }
            if queue.frames.len() >= self.capacity {
                return Err(WsError::queue_full(self.capacity));
            }
            queue.frames.push_back(frame);
        }
        self.wake.notify_one();
        Ok(())
    }

    pub(crate) fn pop_front(&self) -> Option<Outgoing> {
        self.lock().frames.pop_front()
    }

    /// Puts back a frame whose write failed, so it is the first one sent
    /// after reconnecting. This may briefly exceed the capacity by one.
    pub(crate) fn push_front(&self, frame: Outgoing) {
        self.lock().frames.push_front(frame);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().frames.len()
    }

    /// Stops accepting frames and returns how many were still waiting.
    pub(crate) fn finish(&self) -> usize {
        let mut queue = self.lock();
        queue.finished = true;
        let left = queue.frames.len();
        queue.frames.clear();
        left
    }

    pub(crate) fn request_close(&self) {
        self.close_requested.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn close_requested(&self) -> bool {
        self.close_requested.load(Ordering::Acquire)
    }

    pub(crate) fn current_client_id(&self) -> ClientId {
        self.client_id.borrow().clone()
    }
}

/// The sending side of a socket: cheap to clone, usable from any task.
///
/// Every send method only *queues* the frame and returns at once: `Ok` means
/// the frame was accepted and will be written once the connection is open
/// and settled (immediately, if it already is), exactly once, in order. If
/// the connection drops before it is written, it waits for the reconnect.
/// A frame that was handed to the operating system just before an abrupt
/// drop may still be lost with the connection: the protocol has no
/// acknowledgements.
///
/// # Errors
///
/// The send methods fail with [`WsErrorKind::QueueFull`](crate::WsErrorKind::QueueFull)
/// when [`SocketConfig::queue_capacity`](crate::SocketConfig::queue_capacity)
/// frames are already waiting (the frame is not queued; nothing is dropped
/// silently) and with [`WsErrorKind::Closed`](crate::WsErrorKind::Closed)
/// after [`close`](Self::close) or once the socket has given up.
#[derive(Clone)]
pub struct SocketHandle {
    shared: Arc<Shared>,
    /// Never sent on: the task learns that every handle is gone when this
    /// channel closes.
    _alive: mpsc::Sender<()>,
}

impl SocketHandle {
    pub(crate) fn new(shared: Arc<Shared>, alive: mpsc::Sender<()>) -> Self {
        Self {
            shared,
            _alive: alive,
        }
    }

    /// Queues any frame.
    pub fn send(&self, frame: Outgoing) -> Result<(), WsError> {
        self.shared.push(frame)
    }

    /// Joins the room of a stream (`{"eventName":"join","streamId":…}`).
    /// The server does not confirm; joining twice gets
    /// [`Notice::AlreadyJoined`](crate::Notice::AlreadyJoined). The room is
    /// re-joined after every reconnect.
    pub fn join_stream(&self, stream_id: impl Into<StreamId>) -> Result<(), WsError> {
        self.send(Outgoing::Join(Room::stream(stream_id)))
    }

    /// Leaves a stream's room; it is no longer re-joined after reconnects.
    pub fn leave_stream(&self, stream_id: impl Into<StreamId>) -> Result<(), WsError> {
        self.send(Outgoing::Leave(Room::stream(stream_id)))
    }

    /// Joins the room of any resource (`project`, `object`, `comment`,
    /// `stream`, …). Success is confirmed with
    /// [`Incoming::RoomJoined`](crate::Incoming::RoomJoined). The room is
    /// re-joined after every reconnect.
    pub fn join(
        &self,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Result<(), WsError> {
        self.send(Outgoing::Join(Room::resource(resource_type, resource_id)))
    }

    /// Leaves a resource room; it is no longer re-joined after reconnects.
    pub fn leave(
        &self,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Result<(), WsError> {
        self.send(Outgoing::Leave(Room::resource(resource_type, resource_id)))
    }

    /// Broadcasts `args` to every other socket in the stream's room.
    pub fn broadcast_to_stream(
        &self,
        stream_id: impl Into<StreamId>,
        args: Value,
    ) -> Result<(), WsError> {
        self.send(Outgoing::Broadcast {
            room: Room::stream(stream_id),
            args,
        })
    }

    /// Broadcasts `args` to every other socket in a resource room.
    pub fn broadcast_to_room(
        &self,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
        args: Value,
    ) -> Result<(), WsError> {
        self.send(Outgoing::Broadcast {
            room: Room::resource(resource_type, resource_id),
            args,
        })
    }

    /// Sends `args` to the one socket whose client id is `recipient`. The
    /// server reports nothing if there is no such socket.
    pub fn message(&self, recipient: impl Into<ClientId>, args: Value) -> Result<(), WsError> {
        self.send(Outgoing::Message {
            recipient: recipient.into(),
            args,
        })
    }

    /// Sends a text frame exactly as given (no `senderId` is added).
    pub fn send_raw(&self, text: impl Into<String>) -> Result<(), WsError> {
        self.send(Outgoing::Raw(text.into()))
    }

    /// Asks the socket to close: frames already queued are written if the
    /// connection is open, then a websocket close handshake is made and the
    /// event stream ends with [`CloseReason::Requested`](crate::CloseReason::Requested).
    /// If it is not connected at that moment it stops at once, and frames
    /// still queued are reported as discarded. Idempotent; sends after this
    /// fail with [`WsErrorKind::Closed`](crate::WsErrorKind::Closed).
    pub fn close(&self) {
        self.shared.request_close();
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        *self.shared.state.borrow()
    }

    /// A receiver of state changes, e.g. to wait for the connection:
    /// `handle.state_changes().wait_for(|s| s.is_open()).await`.
    pub fn state_changes(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// The client id the socket currently uses as `senderId` (the server may
    /// have reassigned it; see [`Event::ClientIdChanged`](crate::Event::ClientIdChanged)).
    pub fn client_id(&self) -> ClientId {
        self.shared.current_client_id()
    }

    /// How many frames are waiting to be written.
    pub fn queued(&self) -> usize {
        self.shared.len()
    }
}

impl fmt::Debug for SocketHandle {
    /// Shows state and identity only; the handle never holds the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketHandle")
            .field("client_id", &self.client_id())
            .field("state", &self.state())
            .field("queued", &self.queued())
            .finish_non_exhaustive()
    }
}
