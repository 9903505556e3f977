//! Frames the client sends: `join`, `leave`, `message` and `broadcast`, and
//! the `alive` heartbeat answer.
//!
//! Every JSON frame carries `senderId`. The server neither injects nor checks
//! sender information and relays the raw text unchanged, so without it a
//! receiver cannot tell who broadcast; SpeckleCore always sets it and so do we.
//! The sender id is added at encoding time, by the socket, because the server
//! may reassign the id mid-session (`newId`).

use serde::Serialize;
use serde_json::Value;
use speckle_types::{ClientId, StreamId};

use crate::error::{WsError, WsErrorKind};

/// A room on the server.
///
/// Rooms are named `<resourceType>-<resourceId>`, e.g. `stream-60uCme_s0`. The two
/// forms are addressed differently on the wire and answered differently by
/// the server: joining by stream gets **no** confirmation, joining by
/// resource gets a `Room joined.` frame. `Room::Stream(s)` and
/// `Room::resource("stream", s)` name the same room.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Room {
    /// The legacy form, `{"streamId": …}`: room `stream-<streamId>`.
    Stream(StreamId),
    /// The resource form, `{"resourceType": …, "resourceId": …}`.
    Resource {
        /// `stream`, `project`, `object`, `comment`, … (the server also
        /// accepts plural forms, which name *different* rooms).
        resource_type: String,
        /// The streamId for streams, the `_id` for everything else.
        resource_id: String,
    },
}

impl Room {
    /// The legacy stream room.
    pub fn stream(stream_id: impl Into<StreamId>) -> Self {
        Self::Stream(stream_id.into())
    }

    /// A room addressed by resource type and id.
    pub fn resource(resource_type: impl Into<String>, resource_id: impl Into<String>) -> Self {
        Self::Resource {
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
        }
    }

    /// The server's room name, e.g. `stream-KZEstGdMW` or
    /// `project-6b0c43a384c96928c715534f`.
    pub fn name(&self) -> String {
        match self {
            Self::Stream(id) => format!("stream-{id}"),
            Self::Resource {
                resource_type,
                resource_id,
            } => format!("{resource_type}-{resource_id}"),
        }
    }
}

/// A frame to send.
///
/// Built by the [`SocketHandle`](crate::SocketHandle) methods; use
/// [`SocketHandle::send`](crate::SocketHandle::send) to send one directly.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// `join`: enter a room. The socket remembers it and re-joins it after
    /// every reconnect.
    Join(Room),
    /// `leave`: leave a room (silently; the server never answers). The room
    /// is forgotten and not re-joined.
    Leave(Room),
    /// `broadcast`: relayed to every other socket in the room (not to the
    /// sender). The sender need not be in the room.
    Broadcast {
        /// Where to broadcast.
        room: Room,
        /// Free payload; by convention `{"eventType": …}` (the server relays it
        /// unread).
        args: Value,
    },
    /// `message`: relayed to the one socket whose client id is `recipient`.
    Message {
        /// The recipient's (possibly reassigned) client id.
        recipient: ClientId,
        /// Free payload.
        args: Value,
    },
    /// A text frame sent exactly as given, with no `senderId` added.
    Raw(String),
}

/// The JSON envelope, fields in SpeckleCore's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    event_name: &'a str,
    sender_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<&'a Value>,
}

impl<'a> Wire<'a> {
    fn new(event_name: &'a str, sender: &'a ClientId) -> Self {
        Self {
            event_name,
            sender_id: sender.as_str(),
            recipient_id: None,
            stream_id: None,
            resource_type: None,
            resource_id: None,
            args: None,
        }
    }

    fn room(mut self, room: &'a Room) -> Self {
        match room {
            Room::Stream(id) => self.stream_id = Some(id.as_str()),
            Room::Resource {
                resource_type,
                resource_id,
            } => {
                self.resource_type = Some(resource_type);
                self.resource_id = Some(resource_id);
            }
        }
        self
    }
}

impl Outgoing {
    /// Encodes the frame as the text the server expects, with `senderId` set
    /// to `sender`.
    ///
    /// ```
    /// use speckle_ws::{Outgoing, Room};
    /// use speckle_types::ClientId;
    /// let frame = Outgoing::Join(Room::stream("KZEstGdMW"));
    /// assert_eq!(
    ///     frame.encode(&ClientId::new("c1")).unwrap(),
    ///     r#"{"eventName":"join","senderId":"c1","streamId":"KZEstGdMW"}"#,
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`WsErrorKind::Encode`] if serialization fails (not expected for
    /// `serde_json::Value` payloads).
    pub fn encode(&self, sender: &ClientId) -> Result<String, WsError> {
        let wire = match self {
            Self::Raw(text) => return Ok(text.clone()),
            Self::Join(room) => Wire::new("join", sender).room(room),
            Self::Leave(room) => Wire::new("leave", sender).room(room),
            Self::Broadcast { room, args } => {
                let mut wire = Wire::new("broadcast", sender).room(room);
                wire.args = Some(args);
                wire
            }
            Self::Message { recipient, args } => {
                let mut wire = Wire::new("message", sender);
                wire.recipient_id = Some(recipient.as_str());
                wire.args = Some(args);
                wire
            }
        };
        serde_json::to_string(&wire)
            .map_err(|err| WsError::new(WsErrorKind::Encode).with_source(&err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Frames sent by the reference clients in the server transcripts
    /// (seq 2014–2036); ours must be the same JSON.
    #[test]
    fn encodes_like_the_recorded_frames() {
        let a = ClientId::new("6b0c43a384c96928c7155350");
        let b = ClientId::new("6b0c43a384c96928c7155351");
        let c = ClientId::new("temp-6b0c43a384c96928c7155352");
        let project = "6b0c43a384c96928c715534f";
        let cases = [
            (
                Outgoing::Join(Room::stream("KZEstGdMW")),
                &c,
                r#"{"eventName": "join", "senderId": "temp-6b0c43a384c96928c7155352", "streamId": "KZEstGdMW"}"#,
            ),
            (
                Outgoing::Leave(Room::stream("KZEstGdMW")),
                &c,
                r#"{"eventName": "leave", "senderId": "temp-6b0c43a384c96928c7155352", "streamId": "KZEstGdMW"}"#,
            ),
            (
                Outgoing::Broadcast {
                    room: Room::stream("KZEstGdMW"),
                    args: json!({"eventType": "update-children", "n": 2}),
                },
                &b,
                r#"{"eventName": "broadcast", "senderId": "6b0c43a384c96928c7155351", "streamId": "KZEstGdMW", "args": {"eventType": "update-children", "n": 2}}"#,
            ),
            (
                Outgoing::Message {
                    recipient: c.clone(),
                    args: json!({"hello": "C"}),
                },
                &a,
                r#"{"eventName": "message", "senderId": "6b0c43a384c96928c7155350", "recipientId": "temp-6b0c43a384c96928c7155352", "args": {"hello": "C"}}"#,
            ),
            (
                Outgoing::Join(Room::resource("project", project)),
                &a,
                r#"{"eventName": "join", "senderId": "6b0c43a384c96928c7155350", "resourceType": "project", "resourceId": "6b0c43a384c96928c715534f"}"#,
            ),
            (
                Outgoing::Broadcast {
                    room: Room::resource("project", project),
                    args: json!({"eventType": "project-update"}),
                },
                &b,
                r#"{"eventName": "broadcast", "senderId": "6b0c43a384c96928c7155351", "resourceType": "project", "resourceId": "6b0c43a384c96928c715534f", "args": {"eventType": "project-update"}}"#,
            ),
        ];
        for (frame, sender, recorded) in cases {
            let ours = frame.encode(sender).unwrap();
            let ours: Value = serde_json::from_str(&ours).unwrap();
            let recorded: Value = serde_json::from_str(recorded).unwrap();
            assert_eq!(ours, recorded, "{frame:?}");
        }
    }

    #[test]
    fn keeps_speckle_core_key_order_and_raw_text() {
        let frame = Outgoing::Broadcast {
            room: Room::stream("s"),
            args: json!({"eventType": "update-global"}),
        };
        assert_eq!(
            frame.encode(&ClientId::new("c")).unwrap(),
            r#"{"eventName":"broadcast","senderId":"c","streamId":"s","args":{"eventType":"update-global"}}"#
        );
        let raw = Outgoing::Raw("not json".into());
        assert_eq!(raw.encode(&ClientId::new("c")).unwrap(), "not json");
    }

    #[test]
    fn room_names_follow_the_server() {
        assert_eq!(Room::stream("S").name(), "stream-S");
        assert_eq!(Room::resource("stream", "S").name(), "stream-S");
        assert_eq!(Room::resource("streams", "S").name(), "streams-S");
        assert_eq!(Room::resource("project", "p1").name(), "project-p1");
    }
}
