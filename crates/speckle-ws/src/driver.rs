//! The background task that owns the connection.
//!
//! One loop: connect (or wait out the backoff and reconnect), then run a
//! session until the connection is lost, close is requested, or nobody is
//! listening any more. Everything that can happen is turned into an
//! [`Event`]; nothing in here panics or returns early without saying why.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use speckle_types::StreamId;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::{debug, info, trace, warn};

use crate::config::SocketConfig;
use crate::error::{WsError, WsErrorKind};
use crate::event::{CloseReason, ConnectionState, Event};
use crate::frame::{Outgoing, Room};
use crate::handle::Shared;
use crate::incoming::{ClientIdReassigned, Incoming};
use crate::tls::{self, Connector};
use speckle_types::backoff::backoff_delay;

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsSink = SplitSink<Ws, Message>;
type WsSource = SplitStream<Ws>;

/// How long a requested close waits for the server's close reply.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The exact heartbeat answer the server counts (the server marks a
/// socket alive only on this text); protocol-level pongs do not count.
const ALIVE: &str = "alive";

/// Why the task stops without the connection having failed.
enum Stop {
    /// `close()` was called.
    Close,
    /// Every handle and the event stream are gone: nobody can send or
    /// listen, so there is no point in keeping the connection.
    Abandoned,
}

/// How a session (one open connection) ended.
enum End {
    Stop(Stop),
    Lost(WsError),
}

pub(crate) struct Driver {
    config: SocketConfig,
    shared: Arc<Shared>,
    events: mpsc::Sender<Event>,
    /// Closes when the last `SocketHandle` is dropped.
    handles: mpsc::Receiver<()>,
    handles_alive: bool,
    /// Rooms to re-join after a reconnect, by server room name, in join
    /// order. Updated when a join/leave is *written*, so a join still waiting
    /// in the queue is not sent twice.
    rooms: Vec<(String, Room)>,
    /// The room the URL's `stream_id` puts us in on every connect.
    url_room: Option<(String, StreamId)>,
    connector: Option<Connector>,
}

impl Driver {
    pub(crate) fn new(
        config: SocketConfig,
        shared: Arc<Shared>,
        events: mpsc::Sender<Event>,
        handles: mpsc::Receiver<()>,
    ) -> Self {
        let url_room = config
            .stream_id
            .clone()
            .map(|id| (Room::Stream(id.clone()).name(), id));
        let rooms = url_room
            .iter()
            .map(|(name, id)| (name.clone(), Room::Stream(id.clone())))
            .collect();
        Self {
            config,
            shared,
            events,
            handles,
            handles_alive: true,
            rooms,
            url_room,
            connector: None,
        }
    }

    pub(crate) async fn run(mut self) {
        let reason = self.run_until_stopped().await;
        self.finish(reason).await;
    }

    /// Returns the close reason, or `None` when abandoned.
    async fn run_until_stopped(&mut self) -> Option<CloseReason> {
        let mut attempt: u32 = 0;
        let mut last_error: Option<WsError> = None;
        loop {
            if attempt == 0 {
                self.set_state(ConnectionState::Connecting).await;
            } else {
                if self
                    .config
                    .max_reconnect_attempts
                    .is_some_and(|max| attempt > max)
                {
                    let last_error =
                        last_error.unwrap_or_else(|| WsError::new(WsErrorKind::ConnectionLost));
                    warn!(attempts = attempt - 1, error = %last_error.report(), "websocket gave up reconnecting");
                    return Some(CloseReason::ReconnectAttemptsExhausted {
                        attempts: attempt - 1,
                        last_error,
                    });
                }
                self.set_state(ConnectionState::Reconnecting { attempt })
                    .await;
                // The SDK's one backoff schedule, shared with HTTP retries.
                let delay = backoff_delay(
                    attempt,
                    self.config.backoff_base,
                    self.config.backoff_max,
                    fastrand::f64(),
                );
                debug!(attempt, ?delay, "websocket reconnect backoff");
                let pause = tokio::time::sleep(delay);
                tokio::pin!(pause);
                tokio::select! {
                    () = &mut pause => {}
                    stop = self.stopped() => return stop_reason(stop),
                }
            }

            let ws = match self.dial().await {
                Ok(Ok(ws)) => ws,
                Ok(Err(err)) => {
                    warn!(error = %err.report(), attempt, "websocket connect failed");
                    self.emit(Event::Error(err.clone())).await;
                    last_error = Some(err);
                    attempt = attempt.saturating_add(1);
                    continue;
                }
                Err(stop) => return stop_reason(stop),
            };

            match self.session(ws).await {
                End::Stop(stop) => return stop_reason(stop),
                End::Lost(err) => {
                    warn!(error = %err.report(), "websocket connection lost");
                    self.emit(Event::Error(err.clone())).await;
                    last_error = Some(err);
                    attempt = 1;
                }
            }
        }
    }

    /// One connection attempt, abandoned early if the socket is stopped.
    async fn dial(&mut self) -> Result<Result<Ws, WsError>, Stop> {
        let url = match self.config.url_for(&self.shared.current_client_id()) {
            Ok(url) => url,
            Err(err) => return Ok(Err(err)),
        };
        let connector = if url.is_tls() {
            match self.tls_connector() {
                Ok(connector) => Some(connector),
                Err(err) => return Ok(Err(err)),
            }
        } else {
            None
        };
        info!(url = %url, "websocket connecting");
        let timeout = self.config.connect_timeout;
        // The request owns its copy of the URL; it is only ever formatted
        // through `url` (redacted).
        let request = url.expose_secret().to_owned();
        let connect = tokio::time::timeout(timeout, tls::connect(request, connector));
        tokio::select! {
            result = connect => Ok(match result {
                Ok(Ok(ws)) => {
                    info!(url = %url, "websocket connected");
                    Ok(ws)
                }
                Ok(Err(err)) => Err(WsError::new(WsErrorKind::Connect).with_source(&err)),
                Err(_elapsed) => Err(WsError::new(WsErrorKind::ConnectTimeout)
                    .with_detail(format!("no connection after {timeout:?}"))),
            }),
            stop = self.stopped() => Err(stop),
        }
    }

    fn tls_connector(&mut self) -> Result<Connector, WsError> {
        if let Some(connector) = &self.connector {
            return Ok(connector.clone());
        }
        let connector = tls::connector()?;
        self.connector = Some(connector.clone());
        Ok(connector)
    }

    /// Runs one open connection until it ends.
    async fn session(&mut self, ws: Ws) -> End {
        let (mut sink, mut source) = ws.split();
        let settle = tokio::time::sleep(self.config.settle_delay);
        tokio::pin!(settle);
        let mut settled = false;
        let mut last_frame = Instant::now();

        loop {
            if self.shared.close_requested() && (settled || self.shared.len() == 0) {
                return self.close(sink, source).await;
            }
            if settled {
                if let Err(err) = self.flush_queue(&mut sink).await {
                    return End::Lost(err);
                }
            }
            if self.is_abandoned() {
                // Best effort: say goodbye, but do not wait for the reply.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(close_frame())).await;
                return End::Stop(Stop::Abandoned);
            }

            let deadline = last_frame + self.config.heartbeat_timeout;
            tokio::select! {
                // Order matters: settle first so a busy connection cannot
                // starve it; incoming data before the deadline so a backlog
                // read after a slow consumer is not mistaken for silence.
                biased;
                () = &mut settle, if !settled => {
                    settled = true;
                    if !self.shared.close_requested() {
                        if let Err(err) = self.rejoin(&mut sink).await {
                            return End::Lost(err);
                        }
                        self.set_state(ConnectionState::Open).await;
                    }
                }
                frame = source.next() => {
                    last_frame = Instant::now();
                    match frame {
                        Some(Ok(message)) => {
                            if let Err(end) = self.on_message(message, &mut sink).await {
                                return end;
                            }
                        }
                        Some(Err(err)) => {
                            return End::Lost(WsError::new(WsErrorKind::ConnectionLost).with_source(&err));
                        }
                        None => {
                            return End::Lost(WsError::new(WsErrorKind::ConnectionLost)
                                .with_detail("the server went away without a close frame"));
                        }
                    }
                }
                () = self.shared.wake.notified() => {}
                alive = self.handles.recv(), if self.handles_alive => {
                    self.handles_alive = alive.is_some();
                }
                () = self.events.closed(), if !self.handles_alive => {}
                () = tokio::time::sleep_until(deadline) => {
                    return End::Lost(WsError::heartbeat_timeout(self.config.heartbeat_timeout));
                }
            }
        }
    }

    async fn on_message(&mut self, message: Message, sink: &mut WsSink) -> Result<(), End> {
        let incoming = match message {
            Message::Text(text) => Incoming::parse(text.as_str()),
            Message::Binary(bytes) => Incoming::Binary(bytes.to_vec()),
            Message::Close(frame) => {
                let detail = match frame {
                    Some(frame) => format!(
                        "code {}, reason {:?}",
                        u16::from(frame.code),
                        frame.reason.as_str()
                    ),
                    None => "no close code".to_owned(),
                };
                return Err(End::Lost(
                    WsError::new(WsErrorKind::ServerClosed).with_detail(detail),
                ));
            }
            // Protocol-level ping/pong is handled by tungstenite and does not
            // count as the Speckle heartbeat; it still proves liveness.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
        };
        match incoming {
            Incoming::Ping => {
                trace!("websocket ping, answering alive");
                sink.send(Message::text(ALIVE)).await.map_err(|err| {
                    End::Lost(WsError::new(WsErrorKind::ConnectionLost).with_source(&err))
                })?;
            }
            Incoming::ClientIdReassigned(ClientIdReassigned {
                new_id, message, ..
            }) => {
                let previous = self.shared.client_id.send_replace(new_id.clone());
                info!(%previous, current = %new_id, "websocket client id reassigned by the server");
                self.emit(Event::ClientIdChanged {
                    previous,
                    current: new_id,
                    message,
                })
                .await;
            }
            other => {
                debug!(frame = ?other, "websocket frame");
                self.emit(Event::Frame(other)).await;
            }
        }
        Ok(())
    }

    /// Writes every queued frame. A frame whose write fails is put back
    /// first in line for the next connection.
    async fn flush_queue(&mut self, sink: &mut WsSink) -> Result<(), WsError> {
        while let Some(frame) = self.shared.pop_front() {
            let text = match frame.encode(&self.shared.current_client_id()) {
                Ok(text) => text,
                Err(err) => {
                    // Already accepted from the caller, so report it here.
                    self.emit(Event::Error(err)).await;
                    continue;
                }
            };
            if let Err(err) = sink.send(Message::text(text)).await {
                self.shared.push_front(frame);
                return Err(WsError::new(WsErrorKind::ConnectionLost).with_source(&err));
            }
            trace!(frame = ?frame, "websocket frame sent");
            self.track_rooms(&frame);
        }
        Ok(())
    }

    fn track_rooms(&mut self, frame: &Outgoing) {
        match frame {
            Outgoing::Join(room) => {
                let name = room.name();
                if !self.rooms.iter().any(|(known, _)| *known == name) {
                    self.rooms.push((name, room.clone()));
                }
            }
            Outgoing::Leave(room) => {
                let name = room.name();
                self.rooms.retain(|(known, _)| *known != name);
            }
            _ => {}
        }
    }

    /// Restores room membership on a fresh connection: joins every room we
    /// were in, except the URL's stream room, which the URL restores; and
    /// leaves that one again if the user had left it.
    async fn rejoin(&mut self, sink: &mut WsSink) -> Result<(), WsError> {
        let url_room = self.url_room.clone();
        let mut frames: Vec<Outgoing> = self
            .rooms
            .iter()
            .filter(|(name, _)| url_room.as_ref().is_none_or(|(url, _)| url != name))
            .map(|(_, room)| Outgoing::Join(room.clone()))
            .collect();
        if let Some((name, stream)) = url_room {
            if !self.rooms.iter().any(|(known, _)| *known == name) {
                frames.push(Outgoing::Leave(Room::Stream(stream)));
            }
        }
        let sender = self.shared.current_client_id();
        for frame in frames {
            let text = frame.encode(&sender)?;
            debug!(frame = ?frame, "websocket restoring room");
            sink.send(Message::text(text))
                .await
                .map_err(|err| WsError::new(WsErrorKind::ConnectionLost).with_source(&err))?;
        }
        Ok(())
    }

    /// The requested close: deliver what is queued, then the close handshake.
    async fn close(&mut self, mut sink: WsSink, mut source: WsSource) -> End {
        if let Err(err) = self.flush_queue(&mut sink).await {
            debug!(error = %err.report(), "websocket flush before close failed");
        }
        let handshake = async {
            sink.send(close_frame()).await.ok()?;
            // Read until the server's close reply ends the stream.
            while let Some(Ok(_)) = source.next().await {}
            Some(())
        };
        if tokio::time::timeout(CLOSE_TIMEOUT, handshake)
            .await
            .is_err()
        {
            debug!("websocket close handshake timed out");
        }
        End::Stop(Stop::Close)
    }

    /// Resolves when the socket should stop: close was requested, or
    /// nobody holds a handle or the event stream any more.
    async fn stopped(&mut self) -> Stop {
        loop {
            if self.shared.close_requested() {
                return Stop::Close;
            }
            if self.is_abandoned() {
                return Stop::Abandoned;
            }
            tokio::select! {
                () = self.shared.wake.notified() => {}
                alive = self.handles.recv(), if self.handles_alive => {
                    self.handles_alive = alive.is_some();
                }
                () = self.events.closed(), if !self.handles_alive => {}
            }
        }
    }

    fn is_abandoned(&self) -> bool {
        !self.handles_alive && self.events.is_closed()
    }

    async fn set_state(&mut self, state: ConnectionState) {
        self.shared.state.send_replace(state);
        info!(?state, "websocket state");
        if state != ConnectionState::Closed {
            self.emit(Event::State(state)).await;
        }
    }

    /// Sends an event, waiting if the consumer is behind. Dropped events
    /// (nobody listening) are fine: the handles may still be in use.
    async fn emit(&mut self, event: Event) {
        let _ = self.events.send(event).await;
    }

    async fn finish(mut self, reason: Option<CloseReason>) {
        let discarded = self.shared.finish();
        self.shared.state.send_replace(ConnectionState::Closed);
        if discarded > 0 {
            let err = WsError::new(WsErrorKind::Discarded).with_detail(format!(
                "{discarded} queued frames were not sent because the socket closed while disconnected"
            ));
            warn!(error = %err.report(), "websocket discarded frames");
            self.emit(Event::Error(err)).await;
        }
        match reason {
            Some(reason) => {
                info!(?reason, "websocket closed");
                self.emit(Event::Closed(reason)).await;
            }
            None => debug!("websocket stopped: every handle and the event stream were dropped"),
        }
    }
}

fn stop_reason(stop: Stop) -> Option<CloseReason> {
    match stop {
        Stop::Close => Some(CloseReason::Requested),
        Stop::Abandoned => None,
    }
}

fn close_frame() -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
}
