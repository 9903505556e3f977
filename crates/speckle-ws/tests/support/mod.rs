//! A websocket server that behaves like the Speckle v1 server's `app/ws/`
//! (the behaviour listed below), over real loopback sockets, with millisecond timers.
//!
//! - `client_id` is required (else a text notice and a close); a client id
//!   that is already connected gets a fresh 24-hex id and the JSON
//!   `{"message":"Warning: this client is open in another file.","newId":…}`.
//! - `stream_id` in the URL puts the socket in room `stream-<id>`.
//! - `join` by `streamId`: no confirmation; twice → `You already joined that
//!   room.`; streams listed in `deny_streams` → `Failed to join room stream-<id>`.
//!   `join` by `resourceType`/`resourceId` → `{"message":"Room joined.",…}`.
//! - `leave` by `streamId`, `roomName` or `resourceType`/`resourceId`, silent.
//! - `broadcast` relays the raw text to every *other* socket in the room;
//!   `message` relays it to the socket with client id `recipientId`.
//! - Every `ping_interval`: a socket that answered the last `ping` with
//!   `alive` gets a new `ping`; one that did not gets a miss, and after
//!   `kick_after` misses it is told `You missed 10 minutes of pings. Bye!`
//!   and dropped.
//! - Test controls: drop every connection abruptly (no close frame), stop
//!   listening and listen again on the same port, go silent (no pings),
//!   refuse one client's upgrades, inject arbitrary frames.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use speckle_ws::{ConnectionState, Event, EventStream, SocketConfig, SpeckleSocket};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

/// Bound on every wait in the tests. Generous, because a test only waits
/// this long when it is about to fail.
pub const WAIT: Duration = Duration::from_secs(10);

pub const MISSING_CLIENT_ID: &str = "You must provide a client_id. You can generate an anonymous temporary one by sending an anonymous request to POST /clients (see https://speckleworks.github.io/SpeckleSpecs/#clientcreate).";
pub const ALREADY_JOINED: &str = "You already joined that room.";
pub const KICKED: &str = "You missed 10 minutes of pings. Bye!";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub ping_interval: Duration,
    pub kick_after: u32,
    pub deny_streams: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(50),
            kick_after: 10,
            deny_streams: Vec::new(),
        }
    }
}

/// One accepted upgrade, as the server saw it.
#[derive(Clone, Debug)]
pub struct Connect {
    pub requested_id: Option<String>,
    pub assigned_id: Option<String>,
    /// Decoded like the server does (`+` and `%20` are spaces).
    pub access_token: Option<String>,
    pub stream_id: Option<String>,
    pub path: String,
}

struct Conn {
    client_id: String,
    tx: mpsc::UnboundedSender<Cmd>,
    alive: bool,
    misses: u32,
}

enum Cmd {
    Send(Message),
    /// Drop the TCP connection without a websocket close.
    Drop,
}

#[derive(Default)]
pub struct State {
    next_conn: u64,
    conns: HashMap<u64, Conn>,
    by_client: HashMap<String, u64>,
    pub rooms: HashMap<String, HashSet<String>>,
    /// Every text frame received, as (server-side client id, text).
    pub received: Vec<(String, String)>,
    pub alive_answers: HashMap<String, u32>,
    pub connects: Vec<Connect>,
    pub kicked: Vec<String>,
    tasks: Vec<AbortHandle>,
    refused: HashSet<String>,
    silent: bool,
}

impl State {
    pub fn is_member(&self, room: &str, client: &str) -> bool {
        self.rooms.get(room).is_some_and(|m| m.contains(client))
    }

    pub fn is_connected(&self, client: &str) -> bool {
        self.by_client.contains_key(client)
    }

    pub fn connects_of(&self, client: &str) -> usize {
        self.connects
            .iter()
            .filter(|c| c.requested_id.as_deref() == Some(client))
            .count()
    }

    /// Text frames received from `client` whose JSON `args` contain
    /// `key == value`.
    pub fn frames_with(&self, client: &str, key: &str, value: &Value) -> usize {
        self.received
            .iter()
            .filter(|(from, text)| {
                from == client
                    && serde_json::from_str::<Value>(text)
                        .ok()
                        .and_then(|v| v.get("args").and_then(|a| a.get(key)).cloned())
                        .as_ref()
                        == Some(value)
            })
            .count()
    }

    fn send_to(&self, client: &str, message: Message) {
        if let Some(conn) = self.by_client.get(client).and_then(|id| self.conns.get(id)) {
            let _ = conn.tx.send(Cmd::Send(message));
        }
    }

    fn drop_everything(&mut self) {
        for conn in self.conns.values() {
            let _ = conn.tx.send(Cmd::Drop);
        }
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.conns.clear();
        self.by_client.clear();
        self.rooms.clear();
    }
}

struct Inner {
    config: ServerConfig,
    state: Mutex<State>,
    version: watch::Sender<u64>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Mutates the state and wakes every `wait_until`.
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.version.send_modify(|v| *v += 1);
        out
    }
}

pub struct TestServer {
    inner: Arc<Inner>,
    addr: SocketAddr,
    listener_task: Mutex<Option<AbortHandle>>,
    ping_task: AbortHandle,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(ServerConfig::default()).await
    }

    pub async fn start_with(config: ServerConfig) -> Self {
        let inner = Arc::new(Inner {
            config,
            state: Mutex::new(State::default()),
            version: watch::Sender::new(0),
        });
        let listener = bind("127.0.0.1:0".parse().unwrap());
        let addr = listener.local_addr().unwrap();
        let listener_task = tokio::spawn(accept_loop(Arc::clone(&inner), listener)).abort_handle();
        let ping_task = tokio::spawn(ping_loop(Arc::clone(&inner))).abort_handle();
        Self {
            inner,
            addr,
            listener_task: Mutex::new(Some(listener_task)),
            ping_task,
        }
    }

    /// The REST-style base URL a client would be configured with.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/?{query}", self.addr)
    }

    /// Drops every connection abruptly (no close frame).
    pub fn drop_all(&self) {
        self.inner.update(State::drop_everything);
    }

    /// Drops one client's connection abruptly.
    pub fn drop_client(&self, client: &str) {
        self.inner.update(|s| {
            if let Some(conn) = s.by_client.get(client).and_then(|id| s.conns.get(id)) {
                let _ = conn.tx.send(Cmd::Drop);
            }
        });
    }

    /// Stops listening and drops every connection.
    pub fn stop(&self) {
        if let Some(task) = self.listener_task.lock().unwrap().take() {
            task.abort();
        }
        self.drop_all();
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        // Make sure the aborted accept loop released the port.
        tokio::task::yield_now().await;
        let listener = bind(self.addr);
        let task = tokio::spawn(accept_loop(Arc::clone(&self.inner), listener)).abort_handle();
        *self.listener_task.lock().unwrap() = Some(task);
    }

    /// Stops (or resumes) sending pings, like a hung server.
    pub fn set_silent(&self, silent: bool) {
        self.inner.update(|s| s.silent = silent);
    }

    /// Refuses (or again accepts) upgrades that ask for this client id.
    pub fn refuse_client(&self, client: &str, refuse: bool) {
        self.inner.update(|s| {
            if refuse {
                s.refused.insert(client.to_owned());
            } else {
                s.refused.remove(client);
            }
        });
    }

    /// Sends a frame to a connected client.
    pub fn send_to(&self, client: &str, message: Message) {
        self.inner.lock().send_to(client, message);
    }

    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.inner.lock())
    }

    /// Waits (bounded by [`WAIT`]) until `f` returns `Some`.
    pub async fn wait_until<T>(&self, what: &str, f: impl Fn(&State) -> Option<T>) -> T {
        let mut version = self.inner.version.subscribe();
        let wait = async {
            loop {
                if let Some(out) = f(&self.inner.lock()) {
                    return out;
                }
                version.changed().await.unwrap();
            }
        };
        match tokio::time::timeout(WAIT, wait).await {
            Ok(out) => out,
            Err(_) => panic!("server: timed out waiting for {what}"),
        }
    }

    pub async fn wait_for(&self, what: &str, f: impl Fn(&State) -> bool) {
        self.wait_until(what, |s| f(s).then_some(())).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.listener_task.lock().unwrap().take() {
            task.abort();
        }
        self.ping_task.abort();
        self.inner.lock().drop_everything();
    }
}

/// Binds with `SO_REUSEADDR` so a restart can take the same port back while
/// old connections linger in `TIME_WAIT`.
fn bind(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(128).unwrap()
}

async fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let task = tokio::spawn(connection(Arc::clone(&inner), tcp));
        inner.lock().tasks.push(task.abort_handle());
    }
}

async fn ping_loop(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(inner.config.ping_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let kick_after = inner.config.kick_after;
        inner.update(|s| {
            if s.silent {
                return;
            }
            let mut kicked = Vec::new();
            for conn in s.conns.values_mut() {
                if conn.alive {
                    conn.alive = false;
                    let _ = conn.tx.send(Cmd::Send(Message::text("ping")));
                } else {
                    conn.misses += 1;
                    if conn.misses >= kick_after {
                        let _ = conn.tx.send(Cmd::Send(Message::text(KICKED)));
                        let _ = conn.tx.send(Cmd::Drop);
                        kicked.push(conn.client_id.clone());
                    }
                }
            }
            s.kicked.extend(kicked);
        });
    }
}

fn query_param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

// The handshake callback must return tungstenite's `ErrorResponse` as is.
#[allow(clippy::result_large_err)]
async fn connection(inner: Arc<Inner>, tcp: TcpStream) {
    let mut seen: Option<(String, String)> = None;
    let refused: HashSet<String> = inner.lock().refused.clone();
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let path = req.uri().path().to_owned();
        if query_param(&query, "client_id").is_some_and(|id| refused.contains(&id)) {
            let mut refusal = ErrorResponse::new(Some("refused by test".into()));
            *refusal.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(refusal);
        }
        seen = Some((path, query));
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    let Some((path, query)) = seen else { return };
    let requested = query_param(&query, "client_id");
    let stream_id = query_param(&query, "stream_id");
    let access_token = query_param(&query, "access_token");

    let Some(requested_id) = requested.clone().filter(|id| !id.is_empty()) else {
        inner.update(|s| {
            s.connects.push(Connect {
                requested_id: None,
                assigned_id: None,
                access_token,
                stream_id,
                path,
            })
        });
        let _ = ws.send(Message::text(MISSING_CLIENT_ID)).await;
        let _ = ws.close(None).await;
        return;
    };

    let (tx, mut rx) = mpsc::unbounded_channel();
    let (conn_id, client_id) = inner.update(|s| {
        let reassigned = s.by_client.contains_key(&requested_id);
        let client_id = if reassigned {
            let new_id = format!("{:024x}", fastrand::u128(..) >> 32);
            let warning = serde_json::json!({
                "message": "Warning: this client is open in another file.",
                "newId": new_id,
            });
            let _ = tx.send(Cmd::Send(Message::text(warning.to_string())));
            new_id
        } else {
            requested_id.clone()
        };
        let conn_id = s.next_conn;
        s.next_conn += 1;
        s.conns.insert(
            conn_id,
            Conn {
                client_id: client_id.clone(),
                tx: tx.clone(),
                alive: true,
                misses: 0,
            },
        );
        s.by_client.insert(client_id.clone(), conn_id);
        if let Some(stream) = &stream_id {
            s.rooms
                .entry(format!("stream-{stream}"))
                .or_default()
                .insert(client_id.clone());
        }
        s.connects.push(Connect {
            requested_id: Some(requested_id.clone()),
            assigned_id: Some(client_id.clone()),
            access_token,
            stream_id: stream_id.clone(),
            path,
        });
        (conn_id, client_id)
    });

    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Cmd::Send(message)) => {
                    if ws.send(message).await.is_err() {
                        break;
                    }
                }
                Some(Cmd::Drop) | None => break,
            },
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => handle_text(&inner, &client_id, text.as_str()),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    // Forget this connection unless `drop_all` already did (and a newer
    // connection may have taken the client id since).
    inner.update(|s| {
        if s.conns.remove(&conn_id).is_some() {
            if s.by_client.get(&client_id) == Some(&conn_id) {
                s.by_client.remove(&client_id);
            }
            for members in s.rooms.values_mut() {
                members.remove(&client_id);
            }
        }
    });
}

fn handle_text(inner: &Inner, client: &str, text: &str) {
    inner.update(|s| {
        if text == "alive" {
            if let Some(conn) = s.by_client.get(client).and_then(|id| s.conns.get_mut(id)) {
                conn.alive = true;
                conn.misses = 0;
            }
            *s.alive_answers.entry(client.to_owned()).or_default() += 1;
            return;
        }
        s.received.push((client.to_owned(), text.to_owned()));
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let field = |name: &str| {
            frame
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_owned)
        };
        let stream_room = field("streamId").map(|id| format!("stream-{id}"));
        let resource_room = match (field("resourceType"), field("resourceId")) {
            (Some(kind), Some(id)) => Some(format!("{kind}-{id}")),
            _ => None,
        };
        match field("eventName").as_deref() {
            Some("join") => {
                if let Some(room) = stream_room {
                    let stream = room.trim_start_matches("stream-").to_owned();
                    if inner.config.deny_streams.contains(&stream) {
                        s.send_to(client, Message::text(format!("Failed to join room {room}")));
                    } else if s.is_member(&room, client) {
                        s.send_to(client, Message::text(ALREADY_JOINED));
                    } else {
                        s.rooms.entry(room).or_default().insert(client.to_owned());
                    }
                } else if let Some(room) = resource_room {
                    if s.is_member(&room, client) {
                        s.send_to(client, Message::text(ALREADY_JOINED));
                    } else {
                        s.rooms
                            .entry(room.clone())
                            .or_default()
                            .insert(client.to_owned());
                        let joined =
                            serde_json::json!({"message": "Room joined.", "roomName": room});
                        s.send_to(client, Message::text(joined.to_string()));
                    }
                }
            }
            Some("leave") => {
                if let Some(room) = stream_room.or(field("roomName")).or(resource_room) {
                    if let Some(members) = s.rooms.get_mut(&room) {
                        members.remove(client);
                    }
                }
            }
            Some("broadcast") => {
                if let Some(room) = stream_room.or(resource_room) {
                    let members: Vec<String> = s
                        .rooms
                        .get(&room)
                        .map(|m| m.iter().filter(|c| *c != client).cloned().collect())
                        .unwrap_or_default();
                    for member in members {
                        s.send_to(&member, Message::text(text));
                    }
                }
            }
            Some("message") => {
                if let Some(recipient) = field("recipientId") {
                    s.send_to(&recipient, Message::text(text));
                }
            }
            _ => {}
        }
    });
}

// ---------------------------------------------------------------- client side

/// Client settings with millisecond timers.
pub fn fast_config(server: &TestServer, client_id: &str) -> SocketConfig {
    SocketConfig::new(server.base_url(), client_id)
        .settle_delay(Duration::from_millis(20))
        .backoff(Duration::from_millis(10), Duration::from_millis(100))
        .heartbeat_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
}

/// Waits (bounded by [`WAIT`]) for the first event matching `pred`, and
/// returns it together with the events skipped on the way.
pub async fn next_matching(
    events: &mut EventStream,
    what: &str,
    pred: impl Fn(&Event) -> bool,
) -> (Event, Vec<Event>) {
    let mut skipped = Vec::new();
    let wait = async {
        loop {
            match events.recv().await {
                Some(event) if pred(&event) => return event,
                Some(event) => skipped.push(event),
                None => panic!("stream ended while waiting for {what}"),
            }
        }
    };
    match tokio::time::timeout(WAIT, wait).await {
        Ok(event) => (event, skipped),
        Err(_) => panic!("client: timed out waiting for {what}; got {skipped:#?}"),
    }
}

/// Waits for the event matching `pred`, discarding the ones before it.
pub async fn expect(events: &mut EventStream, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    next_matching(events, what, pred).await.0
}

/// Waits for the socket to be open (settled and rooms restored).
pub async fn expect_open(events: &mut EventStream) -> Vec<Event> {
    next_matching(events, "Open", |e| {
        matches!(e, Event::State(ConnectionState::Open))
    })
    .await
    .1
}

/// Connects and waits until open.
pub async fn connect_open(config: SocketConfig) -> (speckle_ws::SocketHandle, EventStream) {
    let (handle, mut events) = SpeckleSocket::connect(config).unwrap().into_parts();
    expect_open(&mut events).await;
    (handle, events)
}
