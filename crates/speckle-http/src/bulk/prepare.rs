//! Turning an object into the bytes of one array element: content hash set,
//! client-side `_id` dropped, serialized once.

use speckle_types::SpeckleObject;
use twox_hash::XxHash3_128;

use crate::{Error, ErrorKind};

/// An object as push sends it: its hash and its JSON (`_id` dropped, `hash`
/// included). For callers that assemble request bodies themselves, and for
/// benchmarks of the per-object cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedObject {
    /// The object's hash (its own, or the content hash given to it).
    pub hash: String,
    /// The JSON sent for it.
    pub json: Vec<u8>,
}

/// Encodes one object exactly as [`push`](super::push) does. Placeholders
/// give `None` (push sends nothing for them).
///
/// ```
/// use speckle_http::bulk::{encode_array, encode_object};
/// use speckle_types::{Point, SpeckleObject};
/// let encoded = encode_object(&SpeckleObject::from(Point::new(0.0, 0.0, 1.0))).unwrap().unwrap();
/// let body = encode_array(&[encoded.clone()]);
/// assert!(body.starts_with(b"[{\"hash\":"));
/// ```
///
/// # Errors
/// An object without `type` or a placeholder without `_id`.
pub fn encode_object(object: &SpeckleObject) -> Result<Option<EncodedObject>, Error> {
    if upload_kind(object).map_err(Error::invalid_input)? == UploadKind::Placeholder {
        return Ok(None);
    }
    let mut json = Vec::new();
    let (_, hash) = encode_into(object, &mut json)?;
    Ok(Some(EncodedObject { hash, json }))
}

/// Joins encoded objects into the JSON array body of `POST /objects`.
pub fn encode_array(objects: &[EncodedObject]) -> bytes::Bytes {
    join_array(objects.iter().map(|o| o.json.as_slice()))
}

/// `[a,b,c]` from already serialized elements, in one allocation.
pub(crate) fn join_array<'a>(elements: impl Iterator<Item = &'a [u8]> + Clone) -> bytes::Bytes {
    let size = elements.clone().map(|e| e.len() + 1).sum::<usize>() + 1;
    let mut body = Vec::with_capacity(size);
    body.push(b'[');
    for (i, element) in elements.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(element);
    }
    body.push(b']');
    bytes::Bytes::from(body)
}

/// A 128-bit content hash.
pub type HashKey = [u8; 16];

/// The content hash the SDK gives objects that have none: XXH3-128 of the
/// object's JSON without `_id` and `hash`, as 32 hex digits.
///
/// The server treats `hash` as an opaque deduplication key,
/// so any deterministic content hash works; the JSON of a model is stable
/// because unknown keys live in sorted maps. Identical objects get identical
/// hashes, so they are sent once and deduplicated by the server across pushes.
///
/// ```
/// use speckle_http::bulk::content_hash;
/// use speckle_types::{Point, SpeckleObject};
/// let a = SpeckleObject::from(Point::new(1.0, 2.0, 3.0));
/// let mut b = a.clone();
/// b.id = Some("whatever".into());
/// assert_eq!(content_hash(&a).unwrap(), content_hash(&b).unwrap());
/// assert_eq!(content_hash(&a).unwrap().len(), 32);
/// ```
///
/// # Errors
/// When the object cannot be serialized.
pub fn content_hash(object: &SpeckleObject) -> Result<String, Error> {
    let mut bare = object.clone();
    bare.id = None;
    bare.hash = None;
    let json = serde_json::to_vec(&bare).map_err(encode_error)?;
    Ok(content_hash_of_json(&json))
}

/// The content hash of an object's JSON (without `_id` and `hash`).
pub(crate) fn content_hash_of_json(json: &[u8]) -> String {
    hex(&key_of(json))
}

fn key_of(json: &[u8]) -> HashKey {
    XxHash3_128::oneshot(json).to_be_bytes()
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            // A nibble is always a valid hex digit.
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// The key of an existing hash string (any text: the caller's own hashes are
/// kept as they are, and keyed by their own bytes).
pub(crate) fn key_of_hash(hash: &str) -> HashKey {
    key_of(hash.as_bytes())
}

fn encode_error(e: serde_json::Error) -> Error {
    Error::new(ErrorKind::Encode).with_source(e)
}

/// What push does with one input object.
#[derive(Debug)]
// Moved once into the encoder; boxing would add an allocation per object.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Check {
    /// A new object to encode.
    Object(SpeckleObject),
    /// A placeholder: nothing to upload, its `_id` is the result.
    Placeholder(speckle_types::ObjectId),
}

/// Sorts an input object: placeholders pass through, objects the server
/// would refuse are input errors.
pub(crate) fn check(object: SpeckleObject) -> Result<Check, Error> {
    match (
        upload_kind(&object).map_err(Error::invalid_input)?,
        object.id,
    ) {
        (UploadKind::Placeholder, Some(id)) => Ok(Check::Placeholder(id)),
        (_, id) => Ok(Check::Object(SpeckleObject { id, ..object })),
    }
}

/// What an object given for upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UploadKind {
    /// A placeholder with its `_id`: nothing to send, the id is the result.
    Placeholder,
    /// A full object to store.
    Object,
}

/// The one check of an object before any upload (bulk push, the object
/// upload route): the server rejects the whole batch for a placeholder
/// without `_id` and refuses an object without `type`, so neither is sent.
/// The error is the reason, for the caller to place (which object).
pub(crate) fn upload_kind(object: &SpeckleObject) -> Result<UploadKind, &'static str> {
    if object.is_placeholder() {
        return match object.id {
            Some(_) => Ok(UploadKind::Placeholder),
            None => Err("a placeholder without `_id`"),
        };
    }
    match object.kind {
        Some(_) => Ok(UploadKind::Object),
        None => Err("an object without `type`, which the server requires"),
    }
}

/// Appends the object's JSON to `out`, serialized once: without `_id` (the
/// server would neither store nor validate a new object carrying one) and,
/// when it has no hash, with `"hash":"<content hash>"` written in front. The
/// hash covers exactly the JSON of the object without `_id` and `hash`
/// ([`content_hash`]). On error `out` is left as it was.
pub(crate) fn encode_into(
    object: &SpeckleObject,
    out: &mut Vec<u8>,
) -> Result<(HashKey, String), Error> {
    if object.id.is_some() {
        // Rare: new objects normally have no id. Send a copy without it.
        let mut bare = object.clone();
        bare.id = None;
        return encode_into(&bare, out);
    }
    let start = out.len();
    if let Some(hash) = object.hash.clone() {
        if let Err(e) = serde_json::to_writer(&mut *out, object) {
            out.truncate(start);
            return Err(encode_error(e));
        }
        return Ok((key_of_hash(&hash), hash));
    }
    // `{"hash":"<32 placeholder digits>"` then the object's own `{…}`, whose
    // opening brace becomes the comma: one serialization, no copy.
    out.extend_from_slice(b"{\"hash\":\"");
    let digits = out.len();
    out.extend_from_slice(&[b'0'; 32]);
    out.push(b'"');
    let body = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, &object) {
        out.truncate(start);
        return Err(encode_error(e));
    }
    let hash = content_hash_of_json(out.get(body..).unwrap_or_default());
    if let Some(slot) = out.get_mut(digits..digits + 32) {
        slot.copy_from_slice(hash.as_bytes());
    }
    if out.len() - body == 2 {
        // `{}`: close the object after the hash.
        out.truncate(body);
        out.push(b'}');
    } else if let Some(brace) = out.get_mut(body) {
        *brace = b',';
    }
    Ok((key_of_hash(&hash), hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use speckle_types::{ObjectType, Point};

    #[test]
    fn prepared_json_is_the_object_with_its_hash() {
        let object = SpeckleObject::from(Point::new(1.0, 2.0, 3.0)).with("note", "x");
        let Some(EncodedObject { hash, json }) = encode_object(&object).unwrap() else {
            panic!()
        };
        let mut expected = object;
        expected.hash = Some(hash.clone());
        let sent: SpeckleObject = serde_json::from_slice(&json).unwrap();
        assert_eq!(sent, expected);
        assert_eq!(hash, content_hash(&expected).unwrap());
    }

    #[test]
    fn existing_hashes_and_ids() {
        let mut object = SpeckleObject::new(ObjectType::Point);
        object.hash = Some("mine".into());
        object.id = Some("client-side".into());
        let Some(EncodedObject { hash, json }) = encode_object(&object).unwrap() else {
            panic!()
        };
        assert_eq!(hash, "mine");
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"type":"Point","hash":"mine"}"#
        );
        assert!(encode_object(&SpeckleObject::placeholder("p"))
            .unwrap()
            .is_none());
        assert!(encode_object(&SpeckleObject::default()).is_err());
    }

    #[test]
    fn encoding_appends_and_restores_on_error() {
        let mut out = b"[".to_vec();
        let (_, hash) = encode_into(&SpeckleObject::new(ObjectType::Null), &mut out).unwrap();
        assert_eq!(
            out,
            format!(r#"[{{"hash":"{hash}","type":"Null"}}"#).into_bytes()
        );
        let mut empty = Vec::new();
        let (_, hash) = encode_into(&SpeckleObject::default(), &mut empty).unwrap();
        assert_eq!(empty, format!(r#"{{"hash":"{hash}"}}"#).into_bytes());
    }
}
