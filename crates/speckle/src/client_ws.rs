//! Live connections of a [`SpeckleClient`] (the `ws` feature, on by
//! default): a program that only makes HTTP calls builds without the
//! websocket stack.

use speckle_types::{ApiClient, ClientId, ClientRole, StreamId};
use speckle_ws::{SocketConfig, SpeckleSocket};

use crate::{Error, SpeckleClient};

impl SpeckleClient {
    /// The websocket settings for a live connection to `stream_id`'s room as
    /// `client_id`, authenticated with the user's **api token** (the only token
    /// the server's websocket accepts; the Python client sends the session
    /// token and is always anonymous). Adjust them (heartbeat, backoff, queue)
    /// and connect with [`SpeckleSocket::connect`].
    ///
    /// Without an api token (not logged in) the socket is anonymous: it can
    /// join public streams only.
    ///
    /// Needs the `ws` feature (on by default).
    pub fn websocket_config(
        &self,
        stream_id: impl Into<StreamId>,
        client_id: impl Into<ClientId>,
    ) -> SocketConfig {
        let mut config = SocketConfig::new(self.http().server_url().root().as_str(), client_id)
            .stream_id(stream_id);
        if let Some(token) = self.http().apitoken() {
            config = config.access_token(token);
        }
        config
    }

    /// Opens a live connection to `stream_id`'s room as `client_id` (the
    /// Python client's `websockets(stream_id, client_id)`). The returned
    /// socket is a `Stream` of events and hands out a cloneable sender; it
    /// reconnects with backoff, re-joins its rooms and answers heartbeats.
    ///
    /// Must be called inside a tokio runtime.
    ///
    /// Needs the `ws` feature (on by default).
    ///
    /// # Errors
    /// When the configuration is unusable or no runtime is running: an
    /// [`Error`] whose [`websocket`](Error::websocket) is the socket's error,
    /// so `?` mixes HTTP calls and sockets in one function.
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), speckle::Error> {
    /// use speckle::prelude::*;
    /// let mut socket = client.websockets("60uCme_s0", "my-client-id")?;
    /// socket.handle().broadcast_to_stream("60uCme_s0", serde_json::json!({"eventType": "update-global"}))?;
    /// while let Some(event) = socket.next().await {
    ///     println!("{event:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn websockets(
        &self,
        stream_id: impl Into<StreamId>,
        client_id: impl Into<ClientId>,
    ) -> Result<SpeckleSocket, Error> {
        Ok(SpeckleSocket::connect(
            self.websocket_config(stream_id, client_id),
        )?)
    }

    /// Registers an api client for `stream_id` (`POST /clients`, as the Python
    /// client does when no client id is given) and opens a live connection
    /// with its id. Anonymous callers get a temporary `temp-…` id.
    ///
    /// Needs the `ws` feature (on by default).
    ///
    /// **Every call stores a new api client on the server**, and nothing
    /// deletes it: the server lists it under the stream's clients
    /// ([`Streams::list_clients`](crate::resources::Streams::list_clients))
    /// for good. Delete it when done (its id is the socket's client id, read
    /// it before closing: the server may reassign it on a clash), or register
    /// one api client per document once and reuse its id with
    /// [`websockets`](Self::websockets), as the desktop connectors do.
    ///
    /// ```no_run
    /// # async fn demo(client: speckle::SpeckleClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use speckle::ClientRole;
    /// let socket = client.websockets_with_new_client("60uCme_s0", ClientRole::Receiver).await?;
    /// let api_client = socket.handle().client_id();
    /// // … use the socket …
    /// socket.handle().close();
    /// client.api_clients().delete(api_client).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The `POST /clients` error, or a websocket configuration error
    /// ([`Error::is_websocket`]).
    pub async fn websockets_with_new_client(
        &self,
        stream_id: impl Into<StreamId>,
        role: ClientRole,
    ) -> Result<SpeckleSocket, Error> {
        let stream_id = stream_id.into();
        let registration = ApiClient {
            stream_id: Some(stream_id.clone()),
            role: Some(role),
            ..ApiClient::default()
        };
        let client = self.api_clients().create(registration).await?;
        let id = client
            .id
            .ok_or_else(|| speckle_http::missing("resource._id"))?;
        self.websockets(stream_id, id)
    }
}
