//! Announcing the writes of [`Streams`] on a socket (the `ws` feature):
//! the v1 server never tells sockets about REST writes, so the SDK sends
//! the broadcast the desktop connectors send. Without `ws` there is no
//! socket to announce on and the checks are no-ops.

#[cfg(feature = "ws")]
use serde_json::{json, Value};
#[cfg(feature = "ws")]
use speckle_http::ErrorKind;
#[cfg(feature = "ws")]
use speckle_ws::SocketHandle;

use speckle_types::StreamId;

use super::Streams;
use crate::Error;

/// The frame receivers of a stream's room treat as "objects changed, fetch
/// the whole stream again", as the desktop connectors send it.
#[cfg(feature = "ws")]
fn update_global() -> Value {
    json!({"eventType": "update-global"})
}

#[cfg(feature = "ws")]
impl<'a> Streams<'a> {
    /// Announces every successful [`update`](Self::update) and
    /// [`push_objects`](Self::push_objects) made through the returned value
    /// on `socket`: a broadcast of `{"eventType":"update-global"}` to the
    /// stream's room, so that receivers fetch the stream again.
    ///
    /// The v1 server never tells sockets about changes made through its REST
    /// routes; the desktop connectors send this broadcast themselves after
    /// each send, and receivers (connectors, viewers) listen for it. The
    /// server relays a broadcast to every socket in the room but the sender,
    /// whether or not the sender is in the room.
    ///
    /// A socket that is already closed fails the call before anything is
    /// written. The broadcast is queued on the socket and delivered once it
    /// is connected; if it cannot be queued after the write succeeded (the
    /// socket's queue is full or it closed meanwhile), the call fails with an
    /// error that says the write itself went through (for a push, with its
    /// outcome in [`Error::push_outcome`]).
    ///
    /// Needs the `ws` feature (on by default).
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use speckle::{Point, SpeckleObject};
    /// let socket = client.websockets("60uCme_s0", "my-client-id")?;
    /// let model = (0..100).map(|i| SpeckleObject::from(Point::new(i as f64, 0.0, 0.0)));
    /// client
    ///     .streams()
    ///     .announce(socket.handle())
    ///     .push_objects("60uCme_s0", model, &Default::default())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn announce(mut self, socket: &'a SocketHandle) -> Self {
        self.announce = Some(socket);
        self
    }

    /// Fails when the socket writes are to be announced on is closed.
    pub(super) fn check_announcer(&self) -> Result<(), Error> {
        match self.announce {
            Some(socket) if socket.state().is_closed() => Err(Error::new(ErrorKind::InvalidInput(
                "the socket to announce the write on is closed; nothing was written".into(),
            ))),
            _ => Ok(()),
        }
    }

    /// Broadcasts `update-global` for a write that succeeded.
    pub(super) fn announce_write(&self, id: &StreamId) -> Result<(), Error> {
        let Some(socket) = self.announce else {
            return Ok(());
        };
        socket
            .broadcast_to_stream(id.clone(), update_global())
            .map_err(|e| {
                Error::new(ErrorKind::InvalidInput(format!(
                    "stream {id} was written, but its update-global announcement \
                     could not be queued on the socket: {e}"
                )))
            })
    }
}

#[cfg(not(feature = "ws"))]
impl Streams<'_> {
    /// Nothing can be announced without `ws`: never fails.
    pub(super) fn check_announcer(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Nothing can be announced without `ws`: never fails.
    pub(super) fn announce_write(&self, _id: &StreamId) -> Result<(), Error> {
        Ok(())
    }
}
