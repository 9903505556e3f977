//! Who is connected, under which client id, in which rooms.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};

use crate::ids;

/// A frame for a socket's writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Text(String),
}

struct Peer {
    client_id: String,
    rooms: HashSet<String>,
    tx: mpsc::UnboundedSender<Out>,
}

/// The connected sockets of this server.
pub(crate) struct Hub {
    peers: Mutex<HashMap<u64, Peer>>,
    next: AtomicU64,
    stop: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub(crate) fn new() -> Hub {
        Hub {
            peers: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            stop: watch::channel(false).0,
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

    /// Registers a socket. When `client_id` is already connected the socket
    /// gets a new id, returned as the second value.
    pub(crate) fn register(
        &self,
        client_id: &str,
        tx: mpsc::UnboundedSender<Out>,
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
                rooms: HashSet::new(),
                tx,
            },
        );
        (conn, id, renamed)
    }

    pub(crate) fn remove(&self, conn: u64) {
        self.peers().remove(&conn);
    }

    /// Joins a room; `false` when already in it.
    pub(crate) fn join(&self, conn: u64, room: &str) -> bool {
        self.peers()
            .get_mut(&conn)
            .is_some_and(|p| p.rooms.insert(room.to_string()))
    }

    pub(crate) fn leave(&self, conn: u64, room: &str) {
        if let Some(p) = self.peers().get_mut(&conn) {
            p.rooms.remove(room);
        }
    }

    /// Sends `text` to every socket in `room` except the sender (compared by
    /// the server-side client id).
    pub(crate) fn broadcast(&self, room: &str, sender_client_id: &str, text: &str) {
        for p in self.peers().values() {
            if p.client_id != sender_client_id && p.rooms.contains(room) {
                let _ = p.tx.send(Out::Text(text.to_string()));
            }
        }
    }

    /// Sends `text` to the socket whose client id is `recipient`.
    pub(crate) fn message(&self, recipient: &str, text: &str) {
        for p in self.peers().values() {
            if p.client_id == recipient {
                let _ = p.tx.send(Out::Text(text.to_string()));
            }
        }
    }

    /// Number of connected sockets.
    pub(crate) fn len(&self) -> usize {
        self.peers().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(hub: &Hub, id: &str) -> (u64, String, Option<String>, mpsc::UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (conn, cid, renamed) = hub.register(id, tx);
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
        let (_, _, _, mut rc) = peer(&hub, "C");
        assert!(hub.join(ca, "stream-S"));
        assert!(!hub.join(ca, "stream-S"));
        assert!(hub.join(cb, "stream-S"));
        hub.broadcast("stream-S", "A", "hello");
        assert_eq!(rb.try_recv(), Ok(Out::Text("hello".into())));
        assert!(ra.try_recv().is_err());
        assert!(rc.try_recv().is_err());
        hub.leave(cb, "stream-S");
        hub.broadcast("stream-S", "A", "again");
        assert!(rb.try_recv().is_err());
        hub.message("C", "direct");
        assert_eq!(rc.try_recv(), Ok(Out::Text("direct".into())));
        hub.remove(ca);
        assert_eq!(hub.len(), 2);
    }
}
