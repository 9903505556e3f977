//! Who is connected, under which client id, in which rooms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch, Notify};

use crate::ids;

/// A frame for a socket's writer. Shared: a broadcast to many sockets is
/// one copy in memory, not one per recipient.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Text(Arc<str>),
}

/// How many bytes of frames may wait for one socket's writer. A socket
/// that falls this far behind (it does not read) is disconnected, so what
/// others send it never piles up in the server (the real server queues
/// without limit).
pub(crate) const OUTBOX_BYTES: usize = 8 * 1024 * 1024;

/// A socket's queue of outgoing frames, bounded by bytes.
pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
    queued: AtomicUsize,
    overflowed: Notify,
}

impl Outbox {
    /// A new outbox and the receiving end for the socket's writer.
    pub(crate) fn new() -> (Arc<Outbox>, mpsc::UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Outbox {
            tx,
            queued: AtomicUsize::new(0),
            overflowed: Notify::new(),
        };
        (Arc::new(outbox), rx)
    }

    /// Queues a frame; `false` (and the socket told to close) when it
    /// would pass [`OUTBOX_BYTES`]. One frame alone always fits.
    pub(crate) fn push(&self, text: impl Into<Arc<str>>) -> bool {
        let text: Arc<str> = text.into();
        let len = text.len();
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        if before > 0 && before + len > OUTBOX_BYTES {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            self.overflowed.notify_one();
            return false;
        }
        if self.tx.send(Out::Text(text)).is_err() {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// The writer took this frame off the queue.
    pub(crate) fn taken(&self, out: &Out) {
        let Out::Text(t) = out;
        self.queued.fetch_sub(t.len(), Ordering::AcqRel);
    }

    /// Resolves once a frame did not fit.
    pub(crate) async fn overflowed(&self) {
        self.overflowed.notified().await;
    }
}

struct Peer {
    client_id: String,
    /// Joined rooms, each with whether its resource was private when
    /// joined (so the room was entered through a permission check).
    rooms: HashMap<String, bool>,
    outbox: Arc<Outbox>,
}

impl Peer {
    fn in_private_room(&self) -> bool {
        self.rooms.values().any(|private| *private)
    }

    fn shares_a_room(&self, other: &Peer) -> bool {
        self.rooms.keys().any(|r| other.rooms.contains_key(r))
    }
}

/// The connected sockets of this server.
pub(crate) struct Hub {
    peers: Mutex<HashMap<u64, Peer>>,
    next: AtomicU64,
    stop: watch::Sender<bool>,
    /// Woken whenever a socket is registered.
    registered: Notify,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

/// A room joined at registration: its name and whether it is private.
pub(crate) type Room = (String, bool);

impl Hub {
    pub(crate) fn new() -> Hub {
        Hub {
            peers: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            stop: watch::channel(false).0,
            registered: Notify::new(),
        }
    }

    fn peers(&self) -> MutexGuard<'_, HashMap<u64, Peer>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every update is one insert or remove), so keep going.
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves when the server shuts down.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Closes every socket.
    pub(crate) fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Registers a socket, already in `room` when given (so nothing sent
    /// to the room once it is counted can miss it). When `client_id` is
    /// already connected the socket gets a new id, returned as the second
    /// value.
    pub(crate) fn register(
        &self,
        client_id: &str,
        outbox: Arc<Outbox>,
        room: Option<Room>,
    ) -> (u64, String, Option<String>) {
        let mut peers = self.peers();
        let taken = peers.values().any(|p| p.client_id == client_id);
        let (id, renamed) = if taken {
            let fresh = ids::object_id();
            (fresh.clone(), Some(fresh))
        } else {
            (client_id.to_string(), None)
        };
        let conn = self.next.fetch_add(1, Ordering::Relaxed);
        peers.insert(
            conn,
            Peer {
                client_id: id.clone(),
                rooms: room.into_iter().collect(),
                outbox,
            },
        );
        drop(peers);
        self.registered.notify_waiters();
        (conn, id, renamed)
    }

    pub(crate) fn remove(&self, conn: u64) {
        self.peers().remove(&conn);
    }

    /// Joins a room; `false` when already in it.
    pub(crate) fn join(&self, conn: u64, room: &str, private: bool) -> bool {
        let mut peers = self.peers();
        let Some(p) = peers.get_mut(&conn) else {
            return false;
        };
        if p.rooms.contains_key(room) {
            return false;
        }
        p.rooms.insert(room.to_string(), private);
        true
    }

    pub(crate) fn leave(&self, conn: u64, room: &str) {
        if let Some(p) = self.peers().get_mut(&conn) {
            p.rooms.remove(room);
        }
    }

    /// Whether the socket is in the room.
    pub(crate) fn is_in(&self, conn: u64, room: &str) -> bool {
        self.peers()
            .get(&conn)
            .is_some_and(|p| p.rooms.contains_key(room))
    }

    /// Sends `text` to every socket in `room` except the sender (compared by
    /// the server-side client id).
    pub(crate) fn broadcast(&self, room: &str, sender_client_id: &str, text: &str) {
        let shared: Arc<str> = Arc::from(text);
        let mut peers = self.peers();
        let mut overflowed = Vec::new();
        for (conn, p) in peers.iter() {
            if p.client_id != sender_client_id
                && p.rooms.contains_key(room)
                && !p.outbox.push(shared.clone())
            {
                overflowed.push(*conn);
            }
        }
        for conn in overflowed {
            peers.remove(&conn);
        }
    }

    /// Sends `text` from socket `from` to the socket whose client id is
    /// `recipient`. A socket in a private room hears only from sockets
    /// that share one of its rooms, so nobody outside can reach it.
    pub(crate) fn message(&self, from: u64, recipient: &str, text: &str) {
        let shared: Arc<str> = Arc::from(text);
        let mut peers = self.peers();
        let mut overflowed = Vec::new();
        let sender = peers.get(&from);
        for (conn, p) in peers.iter() {
            if p.client_id != recipient {
                continue;
            }
            let allowed = !p.in_private_room() || sender.is_some_and(|s| s.shares_a_room(p));
            if allowed && !p.outbox.push(shared.clone()) {
                overflowed.push(*conn);
            }
        }
        for conn in overflowed {
            peers.remove(&conn);
        }
    }

    /// Number of connected sockets.
    pub(crate) fn len(&self) -> usize {
        self.peers().len()
    }

    /// Returns once at least `count` sockets are registered.
    pub(crate) async fn wait_for_len(&self, count: usize) {
        loop {
            // Listen before looking, so a registration in between is seen.
            let registered = self.registered.notified();
            tokio::pin!(registered);
            registered.as_mut().enable();
            if self.len() >= count {
                return;
            }
            registered.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(hub: &Hub, id: &str) -> (u64, String, Option<String>, mpsc::UnboundedReceiver<Out>) {
        let (outbox, rx) = Outbox::new();
        let (conn, cid, renamed) = hub.register(id, outbox, None);
        (conn, cid, renamed, rx)
    }

    #[test]
    fn duplicate_client_ids_are_renamed() {
        let hub = Hub::new();
        let (_, a, none, _rx1) = peer(&hub, "A");
        assert_eq!((a.as_str(), none), ("A", None));
        let (_, b, renamed, _rx2) = peer(&hub, "A");
        assert_eq!(Some(b.clone()), renamed);
        assert_eq!(b.len(), 24);
    }

    #[test]
    fn broadcast_skips_the_sender_and_other_rooms() {
        let hub = Hub::new();
        let (ca, _, _, mut ra) = peer(&hub, "A");
        let (cb, _, _, mut rb) = peer(&hub, "B");
        let (cc, _, _, mut rc) = peer(&hub, "C");
        assert!(hub.join(ca, "stream-S", false));
        assert!(!hub.join(ca, "stream-S", false));
        assert!(hub.join(cb, "stream-S", false));
        assert!(hub.join(cc, "stream-S", false));
        hub.broadcast("stream-S", "A", "hello");
        // One copy of the frame, shared by every recipient.
        let (Ok(Out::Text(to_b)), Ok(Out::Text(to_c))) = (rb.try_recv(), rc.try_recv()) else {
            panic!("both recipients get the frame");
        };
        assert_eq!(&*to_b, "hello");
        assert!(Arc::ptr_eq(&to_b, &to_c));
        assert!(ra.try_recv().is_err());
        hub.leave(cc, "stream-S");
        hub.leave(cb, "stream-S");
        hub.broadcast("stream-S", "A", "again");
        assert!(rb.try_recv().is_err());
        hub.message(ca, "C", "direct");
        assert_eq!(rc.try_recv(), Ok(Out::Text("direct".into())));
        // In a private room, C hears only from sockets sharing a room.
        assert!(hub.join(cc, "stream-P", true));
        hub.message(cb, "C", "from outside");
        assert!(rc.try_recv().is_err());
        assert!(hub.join(cb, "stream-P", true));
        hub.message(cb, "C", "from inside");
        assert_eq!(rc.try_recv(), Ok(Out::Text("from inside".into())));
        hub.remove(ca);
        assert_eq!(hub.len(), 2);
    }

    #[test]
    fn a_socket_that_falls_behind_is_dropped() {
        let hub = Hub::new();
        let (ca, _, _, _ra) = peer(&hub, "A");
        let (cb, _, _, mut rb) = peer(&hub, "B");
        hub.join(ca, "r", false);
        hub.join(cb, "r", false);
        let big = "x".repeat(OUTBOX_BYTES / 2 + 1);
        hub.broadcast("r", "A", &big);
        assert_eq!(hub.len(), 2, "one frame always fits");
        hub.broadcast("r", "A", &big);
        assert_eq!(hub.len(), 1, "the second would pass the bound");
        assert_eq!(rb.try_recv(), Ok(Out::Text(big.into())));
        assert!(rb.try_recv().is_err());
    }
}
