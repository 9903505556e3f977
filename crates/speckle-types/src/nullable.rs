//! Serde support for fields that can be absent, `null`, or a value.
//!
//! The server writes `"name": null` on objects that have no name and leaves
//! keys out entirely under a `fields=` projection. To send back exactly what we
//! received, both cases must be told apart, so such fields are typed
//! `Option<Option<T>>`: `None` is "absent", `Some(None)` is `null`.
//!
//! ```
//! # use serde::{Deserialize, Serialize};
//! #[derive(Serialize, Deserialize, Default)]
//! struct Doc {
//!     #[serde(default, skip_serializing_if = "Option::is_none", with = "speckle_types::nullable")]
//!     name: Option<Option<String>>,
//! }
//! let doc: Doc = serde_json::from_str(r#"{"name":null}"#).unwrap();
//! assert_eq!(doc.name, Some(None));
//! assert_eq!(serde_json::to_string(&doc).unwrap(), r#"{"name":null}"#);
//! assert_eq!(serde_json::to_string(&Doc::default()).unwrap(), "{}");
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serializes `Some(None)` as `null` and `Some(Some(v))` as `v`. `None` must be
/// skipped with `skip_serializing_if = "Option::is_none"`.
pub fn serialize<T: Serialize, S: Serializer>(
    value: &Option<Option<T>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(Some(inner)) => inner.serialize(serializer),
        _ => serializer.serialize_none(),
    }
}

/// Deserializes a present key: `null` becomes `Some(None)`. Absent keys take the
/// field's `#[serde(default)]`, which is `None`.
pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}
