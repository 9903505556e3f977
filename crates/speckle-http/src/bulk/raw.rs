//! Objects given as JSON text, pushed as they are: for tools that read
//! objects from files (the `speckle` command's NDJSON), where building typed
//! objects only to serialize them again would cost more than the upload.

use std::borrow::Cow;

use serde::Deserialize;
use speckle_types::{ObjectId, SpeckleObject};

use super::prepare::{content_hash_of_json, key_of_hash, HashKey};
use crate::Error;

/// One object for [`push`](super::push) and [`push_stream`](super::push_stream):
/// a typed [`SpeckleObject`] or a [`RawObject`]. Both convert into it, so
/// either can be pushed (or a mix of both).
#[derive(Debug, Clone)]
// Moved once into the packer; boxing would add an allocation per object.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
pub enum PushItem {
    /// A typed object.
    Object(SpeckleObject),
    /// An object as JSON text.
    Raw(RawObject),
}

impl From<SpeckleObject> for PushItem {
    fn from(object: SpeckleObject) -> Self {
        Self::Object(object)
    }
}

impl From<RawObject> for PushItem {
    fn from(object: RawObject) -> Self {
        Self::Raw(object)
    }
}

/// An object as the JSON text of one JSON object, checked once and sent as
/// it is: no typed object is built and nothing is serialized again.
///
/// What is checked is what the server needs: the text is one JSON object
/// with a string `type`; `hash` and `_id`, when present, are strings; a
/// `Placeholder` has an `_id`. Other fields go to the server as written.
///
/// Pushed like a typed object: a placeholder stores nothing and gives its
/// `_id`; an object with a `hash` keeps it; one without gets the content
/// hash of its text, which is the one [`content_hash`](super::content_hash)
/// gives the same object typed when the text is compact JSON with its keys
/// in the SDK's order (as `serde_json` writes a [`SpeckleObject`]). Text
/// with an `_id` (a copy of a stored object) is pushed as a typed object,
/// since the `_id` must be dropped.
///
/// ```
/// use speckle_http::bulk::{content_hash, encode_object, RawObject};
/// use speckle_types::{Point, SpeckleObject};
/// let point = SpeckleObject::from(Point::new(1.0, 2.0, 3.0));
/// let text = serde_json::to_string(&point).unwrap();
/// let raw = RawObject::from_json(text).unwrap();
/// assert_eq!(raw.hash().unwrap(), content_hash(&point).unwrap());
/// assert!(RawObject::from_json(r#"{"name":"no type"}"#).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct RawObject {
    json: String,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    /// Sent as written, with its own hash or the content hash of the text.
    AsWritten { hash: Option<String> },
    /// Nothing to send: the `_id` is the result.
    Placeholder(ObjectId),
    /// Carries an `_id` to drop: pushed through the typed path.
    WithId,
}

/// The fields checked; every other one is skipped without being built.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    hash: Option<Cow<'a, str>>,
    #[serde(rename = "_id", borrow)]
    id: Option<Cow<'a, str>>,
}

impl RawObject {
    /// Checks `json` (see [`RawObject`]) and keeps it for pushing.
    ///
    /// # Errors
    /// [`Error::is_invalid_input`] when the text is not one JSON object, has
    /// no string `type`, a `hash` or `_id` that is not a string, or is a
    /// `Placeholder` without `_id`.
    pub fn from_json(json: impl Into<String>) -> Result<Self, Error> {
        let mut json = json.into();
        let trimmed = json.trim();
        if trimmed.len() != json.len() {
            json = trimmed.to_owned();
        }
        if !json.starts_with('{') {
            return Err(Error::invalid_input("the text is not a JSON object"));
        }
        let head: Head = serde_json::from_str(&json)
            .map_err(|e| Error::invalid_input(format!("not a Speckle object: {e}")))?;
        let shape = match (head.kind.as_deref(), head.id) {
            (None, _) => {
                return Err(Error::invalid_input(
                    "an object without `type`, which the server requires",
                ))
            }
            (Some("Placeholder"), Some(id)) => Shape::Placeholder(ObjectId::from(id.as_ref())),
            (Some("Placeholder"), None) => {
                return Err(Error::invalid_input("a placeholder without `_id`"))
            }
            (Some(_), Some(_)) => Shape::WithId,
            (Some(_), None) => Shape::AsWritten {
                hash: head.hash.map(Cow::into_owned),
            },
        };
        Ok(Self { json, shape })
    }

    /// The JSON text, without surrounding whitespace.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The hash this object is pushed with: its own, or the content hash of
    /// its text. `None` for a placeholder, and for text with an `_id` (its
    /// hash is the typed object's).
    pub fn hash(&self) -> Option<String> {
        match &self.shape {
            Shape::AsWritten { hash: Some(hash) } => Some(hash.clone()),
            Shape::AsWritten { hash: None } => Some(content_hash_of_json(self.json.as_bytes())),
            Shape::Placeholder(_) | Shape::WithId => None,
        }
    }
}

/// A push item sorted for the packer.
// Short-lived, moved once; boxing would add an allocation per object.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sorted {
    /// A typed object, for the typed check and encoding.
    Typed(SpeckleObject),
    /// A placeholder: nothing to upload, its `_id` is the result.
    Placeholder(ObjectId),
    /// Text to send as written, with its own hash if it has one.
    Raw(String, Option<String>),
}

/// Sorts a push item; text with an `_id` becomes a typed object here.
pub(crate) fn sort(item: PushItem) -> Result<Sorted, Error> {
    let raw = match item {
        PushItem::Object(object) => return Ok(Sorted::Typed(object)),
        PushItem::Raw(raw) => raw,
    };
    match raw.shape {
        Shape::AsWritten { hash } => Ok(Sorted::Raw(raw.json, hash)),
        Shape::Placeholder(id) => Ok(Sorted::Placeholder(id)),
        Shape::WithId => serde_json::from_str(&raw.json)
            .map(Sorted::Typed)
            .map_err(|e| Error::invalid_input(format!("not a Speckle object: {e}"))),
    }
}

/// Appends the raw object's bytes to `out` as push sends them: as written
/// when it has a hash, else with `"hash":"<content hash>"` written in front
/// (the same bytes the typed encoding gives a compact object).
pub(crate) fn encode_raw_into(
    json: &str,
    hash: Option<String>,
    out: &mut Vec<u8>,
) -> (HashKey, String) {
    if let Some(hash) = hash {
        out.extend_from_slice(json.as_bytes());
        return (key_of_hash(&hash), hash);
    }
    let hash = content_hash_of_json(json.as_bytes());
    out.extend_from_slice(b"{\"hash\":\"");
    out.extend_from_slice(hash.as_bytes());
    out.push(b'"');
    // The text starts with `{` (checked); what follows is the closing brace
    // or the first member, which then needs a comma.
    let rest = json.get(1..).unwrap_or_default();
    if !rest.trim_start().starts_with('}') {
        out.push(b',');
    }
    out.extend_from_slice(rest.as_bytes());
    (key_of_hash(&hash), hash)
}

#[cfg(test)]
mod tests {
    use speckle_types::{Mesh, Point};

    use super::*;
    use crate::bulk::encode_object;

    fn raw_encoding(raw: RawObject) -> Vec<u8> {
        let mut out = Vec::new();
        match sort(raw.into()).unwrap() {
            Sorted::Raw(json, hash) => {
                encode_raw_into(&json, hash, &mut out);
            }
            _ => panic!("not sent as written"),
        }
        out
    }

    /// Text as serde_json writes a typed object is sent byte for byte as the
    /// typed object would be, with the same hash: pushing a model from a
    /// file or from memory stores the same objects.
    #[test]
    fn compact_text_encodes_like_the_typed_object() {
        let mut point = SpeckleObject::from(Point::new(1.0, 2.5, -3.0));
        point
            .data
            .insert("note".into(), serde_json::json!({"b": [1, 2], "a": "x"}));
        let mesh = SpeckleObject::from(Mesh::new(vec![0.0, 1.0, 2.0], vec![0.0, 0.0, 0.0, 0.0]));
        let mut hashed = SpeckleObject::from(Point::new(0.0, 0.0, 0.0));
        hashed.hash = Some("my-own-hash".into());
        for object in [point, mesh, hashed] {
            let text = serde_json::to_string(&object).unwrap();
            let typed = encode_object(&object).unwrap().unwrap();
            let raw = RawObject::from_json(text).unwrap();
            assert_eq!(raw.hash().as_deref(), Some(typed.hash.as_str()));
            assert_eq!(
                String::from_utf8(raw_encoding(raw)).unwrap(),
                String::from_utf8(typed.json).unwrap()
            );
        }
    }

    #[test]
    fn loose_text_is_sent_as_written_with_a_hash_in_front() {
        let raw =
            RawObject::from_json("  { \"type\" : \"Point\", \"value\": [1, 2, 3] }\n").unwrap();
        let hash = raw.hash().unwrap();
        let sent = String::from_utf8(raw_encoding(raw)).unwrap();
        assert_eq!(
            sent,
            format!("{{\"hash\":\"{hash}\", \"type\" : \"Point\", \"value\": [1, 2, 3] }}")
        );
        let value: serde_json::Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(value["value"], serde_json::json!([1, 2, 3]));
    }

    #[test]
    fn placeholders_and_ids_are_handled_as_typed_objects_are() {
        let placeholder = RawObject::from_json(r#"{"type":"Placeholder","_id":"5c7e"}"#).unwrap();
        assert!(
            matches!(sort(placeholder.into()), Ok(Sorted::Placeholder(id)) if id.as_str() == "5c7e")
        );
        let copy =
            RawObject::from_json(r#"{"type":"Point","_id":"5c7e","value":[1,2,3]}"#).unwrap();
        assert_eq!(copy.hash(), None);
        match sort(copy.into()) {
            Ok(Sorted::Typed(object)) => assert_eq!(object.id.unwrap().as_str(), "5c7e"),
            _ => panic!("a copy with `_id` must go through the typed path"),
        }
    }

    #[test]
    fn what_the_server_would_refuse_is_an_input_error() {
        for bad in [
            "",
            "[{\"type\":\"Point\"}]",
            "{\"type\":\"Point\"",
            "{\"type\":\"Point\"} {}",
            "{\"name\":\"no type\"}",
            "{\"type\":5}",
            "{\"type\":\"Point\",\"hash\":5}",
            "{\"type\":\"Point\",\"_id\":[]}",
            "{\"type\":\"Placeholder\"}",
        ] {
            let error = RawObject::from_json(bad).unwrap_err();
            assert!(error.is_invalid_input(), "{bad}: {error}");
        }
    }
}
