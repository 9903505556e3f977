//! Frames the server sends (JSON envelopes relayed from other clients, and
//! plain-text notices), decoded without ever failing.
//!
//! The server mixes JSON and plain text, relays whatever other clients wrote
//! (the server does not validate relayed frames beyond `eventName`), and adds
//! notices over time. So [`Incoming::parse`] is total: every frame becomes
//! *some* variant, and anything it does not recognise is kept raw
//! ([`Incoming::Text`], [`Incoming::Json`], [`Incoming::Binary`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use speckle_types::{ClientId, StreamId};

/// One frame from the server.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A `broadcast` relayed from another client in one of our rooms.
    Broadcast(SocketEnvelope),
    /// A direct `message` relayed from another client.
    Message(SocketEnvelope),
    /// A relayed JSON frame with another `eventName` (the server only relays
    /// `broadcast` and `message`, so this is rare; kept for completeness).
    OtherEvent(SocketEnvelope),
    /// `{"message":"Room joined.","roomName":…}`: a resource-form join
    /// succeeded. Stream-form joins are never confirmed.
    RoomJoined(RoomJoined),
    /// `{"message":…,"newId":…}`: the client id was already connected
    /// elsewhere, so the server gave this socket a new one. The socket adopts
    /// it by itself and reports it as
    /// [`Event::ClientIdChanged`](crate::Event::ClientIdChanged).
    ClientIdReassigned(ClientIdReassigned),
    /// The heartbeat text `ping`. The socket answers `alive` by itself and
    /// does not forward pings as events.
    Ping,
    /// A plain-text notice the server is known to send.
    Notice(Notice),
    /// JSON that is none of the above (for example without `eventName`).
    Json(Value),
    /// Text that is not JSON and not a known notice.
    Text(String),
    /// A binary frame (the server never sends one; kept raw).
    Binary(Vec<u8>),
}

impl Incoming {
    /// Decodes a text frame. Never fails.
    ///
    /// ```
    /// use speckle_ws::{Incoming, Notice};
    /// assert_eq!(
    ///     Incoming::parse("You already joined that room."),
    ///     Incoming::Notice(Notice::AlreadyJoined),
    /// );
    /// assert_eq!(Incoming::parse("not json"), Incoming::Text("not json".into()));
    /// ```
    pub fn parse(text: &str) -> Self {
        if text == "ping" {
            return Self::Ping;
        }
        if let Some(notice) = Notice::parse(text) {
            return Self::Notice(notice);
        }
        match serde_json::from_str::<Value>(text) {
            Ok(value) => Self::from_json(value),
            Err(_) => Self::Text(text.to_owned()),
        }
    }

    fn from_json(value: Value) -> Self {
        let Some(object) = value.as_object() else {
            return Self::Json(value);
        };
        if let Some(name) = object.get("eventName").and_then(Value::as_str) {
            let kind = match name {
                "broadcast" => Self::Broadcast,
                "message" => Self::Message,
                _ => Self::OtherEvent,
            };
            // A frame from a foreign client with, say, a numeric senderId is
            // still delivered, raw, instead of being lost to a decode error.
            return match SocketEnvelope::deserialize(&value) {
                Ok(envelope) => kind(envelope),
                Err(_) => Self::Json(value),
            };
        }
        if object.contains_key("newId") {
            if let Ok(reassigned) = ClientIdReassigned::deserialize(&value) {
                return Self::ClientIdReassigned(reassigned);
            }
        } else if object.contains_key("roomName") {
            if let Ok(joined) = RoomJoined::deserialize(&value) {
                return Self::RoomJoined(joined);
            }
        }
        Self::Json(value)
    }
}

/// A relayed `broadcast`/`message` frame of the socket, exactly as its
/// sender wrote it (not the HTTP answer envelope `speckle_types::Envelope`).
///
/// The server adds nothing, so `sender_id` is whatever the sender claimed
/// (every SDK sets it, but it is not verified). Unknown keys are kept in
/// [`SocketEnvelope::extra`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocketEnvelope {
    /// `broadcast`, `message`, …
    pub event_name: String,
    /// The sender's client id, as claimed by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<ClientId>,
    /// For `message`: the recipient (this socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<ClientId>,
    /// For stream broadcasts: the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<StreamId>,
    /// For resource-room broadcasts: the resource type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// For resource-room broadcasts: the resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// An explicit room name, if the sender gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_name: Option<String>,
    /// The free payload (`null` when absent).
    #[serde(default)]
    pub args: Value,
    /// Keys not listed above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SocketEnvelope {
    /// `args.eventType`, the application-level event name (the
    /// connectors' convention: the server relays it without reading it), e.g.
    /// `update-global`.
    pub fn event_type(&self) -> Option<&str> {
        self.args.get("eventType").and_then(Value::as_str)
    }

    /// The room the server routed a broadcast through: `stream-<streamId>` if
    /// `streamId` is present and non-blank, else `<resourceType>-<resourceId>`.
    pub fn room(&self) -> Option<String> {
        if let Some(stream) = self
            .stream_id
            .as_ref()
            .filter(|s| !s.as_str().trim().is_empty())
        {
            return Some(format!("stream-{stream}"));
        }
        match (&self.resource_type, &self.resource_id) {
            (Some(kind), Some(id)) => Some(format!("{kind}-{id}")),
            _ => None,
        }
    }
}

/// `{"message":"Room joined.","roomName":…}`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomJoined {
    /// The room, e.g. `project-6b0c43a384c96928c715534f`.
    pub room_name: String,
    /// The server's text (`Room joined.`).
    #[serde(default)]
    pub message: String,
    /// Keys not listed above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"message":"Warning: this client is open in another file.","newId":…}`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientIdReassigned {
    /// The id this socket has from now on.
    pub new_id: ClientId,
    /// The server's warning text.
    #[serde(default)]
    pub message: String,
    /// Keys not listed above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A plain-text (non-JSON) notice from the server (its heartbeat `ping`,
/// and its warnings and errors).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `You already joined that room.`
    AlreadyJoined,
    /// `Failed to join room stream-<id>`: a legacy join of a missing stream,
    /// or of a private one without `read` access.
    JoinFailed {
        /// The room, e.g. `stream-doesNotExist`.
        room: String,
    },
    /// `You are an anonymous client. You cannot access this resource.`
    /// (the socket has no valid apitoken; the 24 h session token never works
    /// here).
    AnonymousClient,
    /// `Anonymous room join for private resource.` (follows
    /// [`Notice::AnonymousClient`]).
    AnonymousPrivateJoin,
    /// `You are not authorised to …` (a failed permission check).
    NotAuthorised {
        /// The full text, e.g. `You are not authorised to read.`
        text: String,
    },
    /// `Warning: you missed 5 mins of pings. …` (the heartbeat is failing).
    MissedPingsWarning {
        /// The full text.
        text: String,
    },
    /// `You missed 10 minutes of pings. Bye!`, sent right before the server
    /// terminates the socket.
    MissedPingsKicked {
        /// The full text.
        text: String,
    },
    /// `You must provide a client_id. …`, sent before the server closes a
    /// socket that connected without one.
    MissingClientId {
        /// The full text.
        text: String,
    },
}

impl Notice {
    /// Recognises a server notice; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        let owned = || text.to_owned();
        Some(match text {
            "You already joined that room." => Self::AlreadyJoined,
            "You are an anonymous client. You cannot access this resource." => {
                Self::AnonymousClient
            }
            "Anonymous room join for private resource." => Self::AnonymousPrivateJoin,
            _ => {
                if let Some(room) = text.strip_prefix("Failed to join room ") {
                    Self::JoinFailed {
                        room: room.to_owned(),
                    }
                } else if text.starts_with("You are not authorised") {
                    Self::NotAuthorised { text: owned() }
                } else if text.starts_with("Warning: you missed") {
                    Self::MissedPingsWarning { text: owned() }
                } else if text.starts_with("You missed") && text.contains("pings") {
                    Self::MissedPingsKicked { text: owned() }
                } else if text.starts_with("You must provide a client_id") {
                    Self::MissingClientId { text: owned() }
                } else {
                    return None;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Every frame received by a client in the server transcripts
    // (seq 2015–2057), verbatim.
    const BROADCAST_STREAM: &str = r#"{"eventName": "broadcast", "senderId": "6b0c43a384c96928c7155350", "streamId": "KZEstGdMW", "resourceType": "stream", "resourceId": "KZEstGdMW", "args": {"eventType": "update-global"}}"#;
    const BROADCAST_CHILDREN: &str = r#"{"eventName": "broadcast", "senderId": "6b0c43a384c96928c7155351", "streamId": "KZEstGdMW", "args": {"eventType": "update-children", "n": 2}}"#;
    const MESSAGE: &str = r#"{"eventName": "message", "senderId": "6b0c43a384c96928c7155350", "recipientId": "temp-6b0c43a384c96928c7155352", "args": {"hello": "C"}}"#;
    const BROADCAST_PROJECT: &str = r#"{"eventName": "broadcast", "senderId": "6b0c43a384c96928c7155351", "resourceType": "project", "resourceId": "6b0c43a384c96928c715534f", "args": {"eventType": "project-update"}}"#;
    const ROOM_JOINED: &str =
        r#"{"message":"Room joined.","roomName":"project-6b0c43a384c96928c715534f"}"#;
    const NEW_ID: &str = r#"{"message":"Warning: this client is open in another file.","newId":"6b0c43ad84c96928c7155353"}"#;
    const MISSING_CLIENT_ID: &str = "You must provide a client_id. You can generate an anonymous temporary one by sending an anonymous request to POST /clients (see https://speckleworks.github.io/SpeckleSpecs/#clientcreate).";

    #[test]
    fn decodes_recorded_broadcasts_and_messages() {
        let Incoming::Broadcast(b) = Incoming::parse(BROADCAST_STREAM) else {
            panic!("not a broadcast");
        };
        assert_eq!(b.sender_id, Some(ClientId::new("6b0c43a384c96928c7155350")));
        assert_eq!(b.event_type(), Some("update-global"));
        assert_eq!(b.room().as_deref(), Some("stream-KZEstGdMW"));

        let Incoming::Broadcast(b) = Incoming::parse(BROADCAST_CHILDREN) else {
            panic!("not a broadcast");
        };
        assert_eq!(b.args, json!({"eventType": "update-children", "n": 2}));

        let Incoming::Broadcast(b) = Incoming::parse(BROADCAST_PROJECT) else {
            panic!("not a broadcast");
        };
        assert_eq!(
            b.room().as_deref(),
            Some("project-6b0c43a384c96928c715534f")
        );

        let Incoming::Message(m) = Incoming::parse(MESSAGE) else {
            panic!("not a message");
        };
        assert_eq!(
            m.recipient_id,
            Some(ClientId::new("temp-6b0c43a384c96928c7155352"))
        );
        assert_eq!(m.args, json!({"hello": "C"}));
        assert!(m.extra.is_empty());
    }

    #[test]
    fn decodes_recorded_server_json() {
        let Incoming::RoomJoined(joined) = Incoming::parse(ROOM_JOINED) else {
            panic!("not room joined");
        };
        assert_eq!(joined.room_name, "project-6b0c43a384c96928c715534f");
        assert_eq!(joined.message, "Room joined.");

        let Incoming::ClientIdReassigned(re) = Incoming::parse(NEW_ID) else {
            panic!("not a reassignment");
        };
        assert_eq!(re.new_id, ClientId::new("6b0c43ad84c96928c7155353"));
        assert_eq!(re.message, "Warning: this client is open in another file.");
    }

    #[test]
    fn decodes_recorded_plain_text() {
        let cases = [
            ("ping", Incoming::Ping),
            (
                "You already joined that room.",
                Incoming::Notice(Notice::AlreadyJoined),
            ),
            (
                "Failed to join room stream-doesNotExist",
                Incoming::Notice(Notice::JoinFailed {
                    room: "stream-doesNotExist".into(),
                }),
            ),
            (
                "You are an anonymous client. You cannot access this resource.",
                Incoming::Notice(Notice::AnonymousClient),
            ),
            (
                "Anonymous room join for private resource.",
                Incoming::Notice(Notice::AnonymousPrivateJoin),
            ),
            (
                "You are not authorised to read.",
                Incoming::Notice(Notice::NotAuthorised {
                    text: "You are not authorised to read.".into(),
                }),
            ),
            (
                "Warning: you missed 5 mins of pings. After 10, you will be kicked!",
                Incoming::Notice(Notice::MissedPingsWarning {
                    text: "Warning: you missed 5 mins of pings. After 10, you will be kicked!"
                        .into(),
                }),
            ),
            (
                "You missed 10 minutes of pings. Bye!",
                Incoming::Notice(Notice::MissedPingsKicked {
                    text: "You missed 10 minutes of pings. Bye!".into(),
                }),
            ),
            (
                MISSING_CLIENT_ID,
                Incoming::Notice(Notice::MissingClientId {
                    text: MISSING_CLIENT_ID.into(),
                }),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Incoming::parse(text), expected, "{text}");
        }
    }

    #[test]
    fn keeps_unrecognised_frames_raw() {
        assert_eq!(
            Incoming::parse("not json"),
            Incoming::Text("not json".into())
        );
        assert_eq!(
            Incoming::parse(r#"{"foo": 1}"#),
            Incoming::Json(json!({"foo": 1}))
        );
        assert_eq!(Incoming::parse("[1,2]"), Incoming::Json(json!([1, 2])));
        assert_eq!(Incoming::parse("42"), Incoming::Json(json!(42)));
        // A foreign client's frame with a numeric senderId is still delivered.
        let odd = r#"{"eventName":"broadcast","senderId":7}"#;
        assert_eq!(
            Incoming::parse(odd),
            Incoming::Json(json!({"eventName": "broadcast", "senderId": 7}))
        );
        let Incoming::OtherEvent(other) = Incoming::parse(r#"{"eventName": "nonsense"}"#) else {
            panic!("not another event");
        };
        assert_eq!(other.event_name, "nonsense");
        assert_eq!(other.args, Value::Null);
    }

    #[test]
    fn keeps_unknown_envelope_fields() {
        let text =
            r#"{"eventName":"broadcast","senderId":"a","streamId":"s","args":{},"custom":[1]}"#;
        let Incoming::Broadcast(b) = Incoming::parse(text) else {
            panic!("not a broadcast");
        };
        assert_eq!(b.extra.get("custom"), Some(&json!([1])));
        let back: Value = serde_json::to_value(&b).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }
}
