//! RadioTower's events: `message`, `broadcast`, `join`, `leave`.

use crate::db::{Coll, Db};
use crate::ids::cast_object_id;
use crate::json::{Json, Map};
use crate::perm::{self, Actor, Kind, Op};

/// A client frame worth acting on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Message { recipient: String },
    Broadcast { room: String, target: Target },
    JoinStream { stream_id: String },
    JoinResource { kind: String, id: String },
    Leave { room: String },
}

fn text(m: &Map, key: &str) -> Option<String> {
    m.get(key).filter(|v| v.truthy()).map(Json::js_string)
}

/// What a room is about, to check a socket's right to speak in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// `{streamId}`: the legacy stream room.
    Stream(String),
    /// `{resourceType, resourceId}`.
    Resource { kind: String, id: String },
}

/// A room from `streamId` (non-blank), else from `resourceType` and
/// `resourceId`.
fn target_of(m: &Map) -> Option<(String, Target)> {
    if let Some(sid) = text(m, "streamId").filter(|s| !s.trim().is_empty()) {
        return Some((format!("stream-{sid}"), Target::Stream(sid)));
    }
    match (text(m, "resourceType"), text(m, "resourceId")) {
        (Some(t), Some(i)) => Some((format!("{t}-{i}"), Target::Resource { kind: t, id: i })),
        _ => None,
    }
}

fn room_of(m: &Map) -> Option<String> {
    target_of(m).map(|(room, _)| room)
}

/// The frame with `senderId` set to the socket's own client id when it
/// names someone else, so nobody can speak as another socket; frames that
/// name their sender truly (or not at all) are relayed unchanged.
pub(crate) fn with_true_sender(frame: &str, client_id: &str) -> Option<String> {
    let Ok(Json::Obj(mut m)) = crate::json::parse(frame.as_bytes()) else {
        return None;
    };
    match m.get("senderId") {
        None => None,
        Some(Json::Str(s)) if s == client_id => None,
        Some(_) => {
            m.insert("senderId".into(), Json::str(client_id));
            Some(Json::Obj(m).to_text())
        }
    }
}

/// Parses a frame; anything that is not JSON with an `eventName` the
/// server knows is dropped silently.
pub(crate) fn parse(frame: &str) -> Option<Event> {
    let Ok(Json::Obj(m)) = crate::json::parse(frame.as_bytes()) else {
        return None;
    };
    match text(&m, "eventName")?.as_str() {
        "message" => text(&m, "recipientId").map(|recipient| Event::Message { recipient }),
        "broadcast" => target_of(&m).map(|(room, target)| Event::Broadcast { room, target }),
        "join" => {
            if let Some(sid) = text(&m, "streamId").filter(|s| !s.trim().is_empty()) {
                return Some(Event::JoinStream { stream_id: sid });
            }
            match (text(&m, "resourceType"), text(&m, "resourceId")) {
                (Some(kind), Some(id)) => Some(Event::JoinResource { kind, id }),
                _ => None,
            }
        }
        "leave" => {
            if let Some(sid) = text(&m, "streamId").filter(|s| !s.trim().is_empty()) {
                return Some(Event::Leave {
                    room: format!("stream-{sid}"),
                });
            }
            if let Some(room) = text(&m, "roomName") {
                return Some(Event::Leave { room });
            }
            room_of(&m).map(|room| Event::Leave { room })
        }
        _ => None,
    }
}

/// What a join resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Join {
    /// Enter the room; `confirm` sends `Room joined.` (resource form only);
    /// `private` when the resource is not public (entered by permission).
    Enter {
        room: String,
        confirm: bool,
        private: bool,
    },
    /// Refused, with these text frames.
    Refuse(Vec<String>),
}

/// The legacy `{streamId}` join (also used for `stream_id` at connect):
/// public streams are open; private ones need an authenticated socket with
/// read access, checked as a bare `{_id}` (so the admin role is not seen).
pub(crate) fn join_stream(db: &Db, user: Option<&Map>, stream_id: &str) -> Join {
    let room = format!("stream-{stream_id}");
    let refuse = || Join::Refuse(vec![format!("Failed to join room {room}")]);
    let Ok(Some(Json::Obj(stream))) = db.stream(stream_id) else {
        return refuse();
    };
    if matches!(stream.get("private"), Some(Json::Bool(false))) {
        return Join::Enter {
            room,
            confirm: false,
            private: false,
        };
    }
    let Some(user) = user else {
        return refuse();
    };
    let actor = Actor {
        id: user.get("_id").and_then(Json::as_str).unwrap_or_default(),
        role: None,
    };
    match perm::check(actor, Op::Read, Some(&stream), Kind::Other, None) {
        Ok(()) => Join::Enter {
            room,
            confirm: false,
            private: true,
        },
        Err(_) => refuse(),
    }
}

/// The `{resourceType, resourceId}` join.
pub(crate) fn join_resource(db: &Db, user: Option<&Map>, kind: &str, id: &str) -> Join {
    let room = format!("{kind}-{id}");
    let (coll, model_name, kind_check) = match kind {
        "stream" | "streams" => (None, "DataStream", Kind::Other),
        "object" | "objects" => (Some(Coll::Objects), "SpeckleObject", Kind::Other),
        "project" | "projects" => (Some(Coll::Projects), "Project", Kind::Other),
        "comment" | "comments" => (Some(Coll::Comments), "Comment", Kind::Other),
        "user" => (Some(Coll::Users), "User", Kind::User),
        _ => {
            return Join::Refuse(vec![
                "Cannot read properties of undefined (reading 'private')".into(),
            ])
        }
    };
    let found = match coll {
        None => db.stream(id),
        Some(c) => match cast_object_id(id) {
            Some(oid) => db.get(c, &oid),
            None => {
                return Join::Refuse(vec![format!(
                    "Cast to ObjectId failed for value \"{id}\" at path \"_id\" for model \"{model_name}\""
                )])
            }
        },
    };
    let Ok(Some(Json::Obj(resource))) = found else {
        return Join::Refuse(vec![
            "Cannot read properties of null (reading 'private')".into()
        ]);
    };
    if matches!(resource.get("private"), Some(Json::Bool(false))) {
        return Join::Enter {
            room,
            confirm: true,
            private: false,
        };
    }
    let Some(user) = user else {
        return Join::Refuse(vec![
            "You are an anonymous client. You cannot access this resource.".into(),
            "Anonymous room join for private resource.".into(),
        ]);
    };
    match perm::check(
        Actor::of(Some(user)),
        Op::Read,
        Some(&resource),
        kind_check,
        None,
    ) {
        Ok(()) => Join::Enter {
            room,
            confirm: true,
            private: true,
        },
        Err(d) => Join::Refuse(vec![d.message]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_like_radio_tower() {
        assert_eq!(parse("not json"), None);
        assert_eq!(parse(r#"{"foo":1}"#), None);
        assert_eq!(parse(r#"{"eventName":"nonsense"}"#), None);
        assert_eq!(
            parse(
                r#"{"eventName":"broadcast","streamId":"S","resourceType":"project","resourceId":"P"}"#
            ),
            Some(Event::Broadcast {
                room: "stream-S".into(),
                target: Target::Stream("S".into()),
            })
        );
        assert_eq!(
            parse(
                r#"{"eventName":"broadcast","streamId":" ","resourceType":"project","resourceId":"P"}"#
            ),
            Some(Event::Broadcast {
                room: "project-P".into(),
                target: Target::Resource {
                    kind: "project".into(),
                    id: "P".into()
                },
            })
        );
        assert_eq!(parse(r#"{"eventName":"broadcast"}"#), None);
        assert_eq!(
            parse(r#"{"eventName":"message","recipientId":"X"}"#),
            Some(Event::Message {
                recipient: "X".into()
            })
        );
        assert_eq!(parse(r#"{"eventName":"message"}"#), None);
        assert_eq!(
            parse(r#"{"eventName":"join","resourceType":"streams","resourceId":"S"}"#),
            Some(Event::JoinResource {
                kind: "streams".into(),
                id: "S".into()
            })
        );
        assert_eq!(
            parse(r#"{"eventName":"leave","roomName":"project-P"}"#),
            Some(Event::Leave {
                room: "project-P".into()
            })
        );
    }
}
