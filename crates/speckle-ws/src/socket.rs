//! Opening a socket, and the receiving side.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

use crate::config::SocketConfig;
use crate::driver::Driver;
use crate::error::{WsError, WsErrorKind};
use crate::event::{CloseReason, Event};
use crate::handle::{Shared, SocketHandle};

/// A live connection to the Speckle websocket: a [`SocketHandle`] to send
/// with plus the [`EventStream`] of what happens.
///
/// `SpeckleSocket` is itself a `Stream<Item = Event>` (it forwards to its
/// event stream); use [`into_parts`](Self::into_parts) to move the two
/// halves to different tasks.
///
/// A background tokio task owns the connection: it connects, answers the
/// server's `ping` with `alive`, watches for silence, reconnects with
/// backoff, re-joins rooms and delivers queued frames. It stops after
/// [`SocketHandle::close`], after giving up reconnecting, or once every
/// handle **and** the event stream have been dropped.
///
/// # Example
///
/// ```no_run
/// use futures_util::StreamExt;
/// use serde_json::json;
/// use speckle_ws::{Event, Incoming, SocketConfig, SpeckleSocket};
///
/// # async fn run() -> Result<(), speckle_ws::WsError> {
/// let config = SocketConfig::new("https://hestia.speckle.works/api", "6b0c43a384c96928c7155350")
///     .access_token("JWT eyJhbGciOi…")
///     .stream_id("KZEstGdMW");
/// let mut socket = SpeckleSocket::connect(config)?;
/// socket
///     .handle()
///     .broadcast_to_stream("KZEstGdMW", json!({"eventType": "update-global"}))?;
/// while let Some(event) = socket.next().await {
///     match event {
///         Event::Frame(Incoming::Broadcast(b)) => println!("{:?} from {:?}", b.event_type(), b.sender_id),
///         Event::Closed(reason) => println!("closed: {reason:?}"),
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct SpeckleSocket {
    handle: SocketHandle,
    events: EventStream,
}

impl SpeckleSocket {
    /// Validates `config` and starts the background task, which connects in
    /// the background: this returns at once, with the state
    /// [`Connecting`](crate::ConnectionState::Connecting). A failed first
    /// connection is retried like a reconnect and reported as events.
    ///
    /// # Errors
    ///
    /// - [`WsErrorKind::InvalidUrl`] / [`WsErrorKind::InvalidConfig`] for
    ///   unusable settings;
    /// - [`WsErrorKind::NoRuntime`] when called outside a tokio runtime.
    pub fn connect(config: SocketConfig) -> Result<Self, WsError> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|err| WsError::new(WsErrorKind::NoRuntime).with_source(&err))?;
        let shared = Arc::new(Shared::new(config.queue_capacity, config.client_id.clone()));
        let (events_tx, events_rx) = mpsc::channel(config.event_capacity);
        let (alive_tx, alive_rx) = mpsc::channel(1);
        let driver = Driver::new(config, Arc::clone(&shared), events_tx, alive_rx);
        drop(runtime.spawn(driver.run()));
        Ok(Self {
            handle: SocketHandle::new(shared, alive_tx),
            events: EventStream::new(events_rx),
        })
    }

    /// The sending side.
    pub fn handle(&self) -> &SocketHandle {
        &self.handle
    }

    /// The next event; `None` after [`Event::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is never lost by dropping this future.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Splits into the sending and the receiving side.
    pub fn into_parts(self) -> (SocketHandle, EventStream) {
        (self.handle, self.events)
    }
}

impl Stream for SpeckleSocket {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

impl fmt::Debug for SpeckleSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpeckleSocket")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// The receiving side: a `Stream<Item = Event>`.
///
/// It always ends with exactly one [`Event::Closed`]. Should the background
/// task stop without sending one (it panicked, or the runtime shut down),
/// the stream makes one up, with [`CloseReason::TaskStopped`], so the end
/// is never silent.
pub struct EventStream {
    rx: mpsc::Receiver<Event>,
    ended: bool,
}

impl EventStream {
    fn new(rx: mpsc::Receiver<Event>) -> Self {
        Self { rx, ended: false }
    }

    /// The next event; `None` after [`Event::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is never lost by dropping this future.
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(event)) => {
                if matches!(event, Event::Closed(_)) {
                    self.ended = true;
                }
                Poll::Ready(Some(event))
            }
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(Some(Event::Closed(CloseReason::TaskStopped)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_event(cx)
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The halves move freely between tasks; the handle is shared by clones.
    #[test]
    fn auto_traits() {
        fn send<T: Send>() {}
        fn send_sync_clone<T: Send + Sync + Clone>() {}
        fn unpin<T: Unpin>() {}
        send::<SpeckleSocket>();
        send::<EventStream>();
        unpin::<SpeckleSocket>();
        unpin::<EventStream>();
        send_sync_clone::<SocketHandle>();
        send_sync_clone::<SocketConfig>();
        send_sync_clone::<Event>();
        send_sync_clone::<WsError>();
    }

    #[test]
    fn connect_outside_a_runtime_is_an_error() {
        let err = SpeckleSocket::connect(SocketConfig::new("http://127.0.0.1:1/api", "c"))
            .map(drop)
            .unwrap_err();
        assert_eq!(err.kind(), WsErrorKind::NoRuntime);
    }

    #[tokio::test]
    async fn connect_rejects_bad_settings_before_spawning() {
        let err = SpeckleSocket::connect(SocketConfig::new("ftp://h", "c"))
            .map(drop)
            .unwrap_err();
        assert_eq!(err.kind(), WsErrorKind::InvalidUrl);
        let err = SpeckleSocket::connect(SocketConfig::new("http://h", ""))
            .map(drop)
            .unwrap_err();
        assert_eq!(err.kind(), WsErrorKind::InvalidConfig);
    }
}
