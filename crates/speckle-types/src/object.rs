//! Speckle objects: the geometry and data that streams hold, stored once
//! per content hash.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::common::{open_enum, Access, Extra, Timestamps};
use crate::ObjectId;

open_enum!(
    /// The `type` of a Speckle object. The server accepts any string; the
    /// values below are the ones with a typed [`Geometry`](crate::Geometry) view.
    ObjectType {
        /// No value.
        Null = "Null",
        /// `value: bool`.
        Boolean = "Boolean",
        /// `value: number`.
        Number = "Number",
        /// `value: string` (also the type of getbulk's "no permission" stubs).
        String = "String",
        /// `start`, `end`.
        Interval = "Interval",
        /// `U`, `V` intervals.
        Interval2d = "Interval2d",
        /// `value: [x, y, z]`.
        Point = "Point",
        /// `value: [x, y, z]`.
        Vector = "Vector",
        /// `origin`, `normal`, `xdir`, `ydir`.
        Plane = "Plane",
        /// `value: [x1, y1, z1, x2, y2, z2]`.
        Line = "Line",
        /// Listed by the spec without a schema.
        Rectangle = "Rectangle",
        /// `radius`, `center`, `normal`.
        Circle = "Circle",
        /// `radius`, angles, `plane`.
        Arc = "Arc",
        /// Two radii and a `plane`.
        Ellipse = "Ellipse",
        /// `segments`.
        Polycurve = "Polycurve",
        /// `basePlane` and three size intervals.
        Box = "Box",
        /// Flat `value` coordinates.
        Polyline = "Polyline",
        /// A NURBS curve.
        Curve = "Curve",
        /// `vertices`, `faces`, `colors`.
        Mesh = "Mesh",
        /// Raw data plus a display mesh.
        Brep = "Brep",
        /// Text placed in space.
        Annotation = "Annotation",
        /// A profile swept along a path.
        Extrusion = "Extrusion",
        /// A block definition with its objects.
        Block = "Block",
        /// A reflected non-geometry object (`_type`, `_assembly`, …).
        Abstract = "Abstract",
        /// `{type:"Placeholder", _id}`: a reference to a stored object.
        Placeholder = "Placeholder",
    }
);

impl ObjectType {
    /// Resolves hierarchical types such as `"Base/Sub/Point"` to their right-most
    /// piece, as SpeckleCore does; other values are returned unchanged.
    ///
    /// ```
    /// use speckle_types::ObjectType;
    /// assert_eq!(ObjectType::from("Custom/Point").resolved(), ObjectType::Point);
    /// assert_eq!(ObjectType::from("Wall").resolved(), ObjectType::from("Wall"));
    /// ```
    pub fn resolved(&self) -> ObjectType {
        match self {
            ObjectType::Unknown(name) => match name.rsplit('/').next() {
                Some(last) if last != name => ObjectType::from(last),
                _ => self.clone(),
            },
            known => known.clone(),
        }
    }
}

/// The text of the stub getbulk returns for objects the caller may not read.
pub const NO_PERMISSION_TEXT: &str = "You do not have permissions to view this object";

/// A Speckle object: base fields typed, every other key (the geometry and any
/// user data) kept in [`data`](Self::data), so an object fetched and sent back
/// is the same JSON value.
///
/// ```
/// use speckle_types::{Geometry, ObjectType, Point, SpeckleObject};
/// let object = SpeckleObject::from(Point::new(1.0, 2.0, 3.0));
/// assert_eq!(object.kind, Some(ObjectType::Point));
/// let json = serde_json::to_value(&object).unwrap();
/// assert_eq!(json, serde_json::json!({"type": "Point", "value": [1.0, 2.0, 3.0]}));
/// match object.geometry().unwrap() {
///     Geometry::Point(p) => assert_eq!(p.value, Some(vec![1.0, 2.0, 3.0])),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
// Deserialize is written by hand (below): objects are the bulk of every
// transfer, and the derived code for flattened fields buffers each object
// into an intermediate tree before decoding it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeckleObject {
    /// The stored object's id. Do not set it on new objects: the server
    /// neither inserts nor validates objects that arrive with an `_id` and an
    /// unknown hash: it takes them for existing objects.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ObjectId>,
    /// The object's type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ObjectType>,
    /// Name (`null` when unset).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub name: Option<Option<String>>,
    /// The deduplication key. The server computes it from the JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// A hash of the geometry only; stored, never computed, by the server.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub geometry_hash: Option<Option<String>>,
    /// The id of the object in the authoring application.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub application_id: Option<Option<String>>,
    /// User properties (`null` by default on the server).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub properties: Option<Option<Value>>,
    /// Soft-delete flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// A single parent object id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub parent: Option<Option<ObjectId>>,
    /// Child object ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<ObjectId>>,
    /// Ancestor object ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ancestors: Option<Vec<ObjectId>>,
    /// Owner and permissions (objects are public by default).
    #[serde(flatten)]
    pub access: Access,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Every other key: geometry fields (`value`, `vertices`, …), `transform`
    /// and arbitrary user data.
    #[serde(flatten)]
    pub data: Extra,
}

impl SpeckleObject {
    /// An empty object of the given type.
    pub fn new(kind: impl Into<ObjectType>) -> Self {
        Self {
            kind: Some(kind.into()),
            ..Self::default()
        }
    }

    /// A placeholder `{type:"Placeholder", _id}`: how streams reference stored objects.
    ///
    /// ```
    /// use speckle_types::SpeckleObject;
    /// let p = SpeckleObject::placeholder("6b0c43a284c96928c7155341");
    /// assert!(p.is_placeholder());
    /// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"_id":"6b0c43a284c96928c7155341","type":"Placeholder"}"#);
    /// ```
    pub fn placeholder(id: impl Into<ObjectId>) -> Self {
        Self {
            id: Some(id.into()),
            kind: Some(ObjectType::Placeholder),
            ..Self::default()
        }
    }

    /// Whether this is a placeholder.
    pub fn is_placeholder(&self) -> bool {
        self.kind == Some(ObjectType::Placeholder)
    }

    /// Whether this is getbulk's stub for an object that was not found, not
    /// readable or filtered out (`{type:"String", value:"You do not have
    /// permissions to view this object"}`).
    pub fn is_no_permission_stub(&self) -> bool {
        self.kind == Some(ObjectType::String)
            && self.data.get("value").and_then(Value::as_str) == Some(NO_PERMISSION_TEXT)
            && self.hash.is_none()
    }

    /// Sets the `_id`.
    pub fn with_id(mut self, id: impl Into<ObjectId>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets [`properties`](Self::properties), the conventional place for user data.
    pub fn with_properties(mut self, properties: impl Into<Value>) -> Self {
        self.properties = Some(Some(properties.into()));
        self
    }

    /// Sets a key of [`data`](Self::data) (a geometry field or user data).
    /// Keys of the typed fields (`properties`, `name`, `hash`…) belong in those
    /// fields: a key set in both would be written twice.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data.insert(key.into(), value.into());
        self
    }
}

/// Gives back the room a large array grew into while it was decoded. An
/// array of unknown length doubles as it fills, so a mesh's 20,000
/// numbers end in room for 32,768: up to twice the memory, for as long as
/// the object lives. Small arrays keep theirs (a page or less is not worth
/// a call to the allocator).
fn trim_array(value: &mut Value) {
    const WORTH_TRIMMING: usize = 4096 / std::mem::size_of::<Value>();
    if let Value::Array(items) = value {
        if items.capacity() - items.len() >= WORTH_TRIMMING {
            items.shrink_to_fit();
        }
    }
}

/// `Option<Option<T>>` from a present key: `null` is `Some(None)`.
fn nullable<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Option<T>>, A::Error> {
    map.next_value::<Option<T>>().map(Some)
}

/// The keys of an object, known ones without allocating.
enum Key {
    Id,
    Type,
    Name,
    Hash,
    GeometryHash,
    ApplicationId,
    Properties,
    Deleted,
    Parent,
    Children,
    Ancestors,
    Owner,
    Private,
    CanRead,
    CanWrite,
    AnonymousComments,
    Comments,
    CreatedAt,
    UpdatedAt,
    Version,
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "_id" => Key::Id,
                    "type" => Key::Type,
                    "name" => Key::Name,
                    "hash" => Key::Hash,
                    "geometryHash" => Key::GeometryHash,
                    "applicationId" => Key::ApplicationId,
                    "properties" => Key::Properties,
                    "deleted" => Key::Deleted,
                    "parent" => Key::Parent,
                    "children" => Key::Children,
                    "ancestors" => Key::Ancestors,
                    "owner" => Key::Owner,
                    "private" => Key::Private,
                    "canRead" => Key::CanRead,
                    "canWrite" => Key::CanWrite,
                    "anonymousComments" => Key::AnonymousComments,
                    "comments" => Key::Comments,
                    "createdAt" => Key::CreatedAt,
                    "updatedAt" => Key::UpdatedAt,
                    "__v" => Key::Version,
                    other => Key::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for SpeckleObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = SpeckleObject;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Speckle object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpeckleObject, A::Error> {
                let mut o = SpeckleObject::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Id => o.id = map.next_value()?,
                        Key::Type => o.kind = map.next_value()?,
                        Key::Name => o.name = nullable(&mut map)?,
                        Key::Hash => o.hash = map.next_value()?,
                        Key::GeometryHash => o.geometry_hash = nullable(&mut map)?,
                        Key::ApplicationId => o.application_id = nullable(&mut map)?,
                        Key::Properties => o.properties = nullable(&mut map)?,
                        Key::Deleted => o.deleted = map.next_value()?,
                        Key::Parent => o.parent = nullable(&mut map)?,
                        Key::Children => o.children = map.next_value()?,
                        Key::Ancestors => o.ancestors = map.next_value()?,
                        Key::Owner => o.access.owner = map.next_value()?,
                        Key::Private => o.access.private = map.next_value()?,
                        Key::CanRead => o.access.can_read = map.next_value()?,
                        Key::CanWrite => o.access.can_write = map.next_value()?,
                        Key::AnonymousComments => o.access.anonymous_comments = map.next_value()?,
                        Key::Comments => o.access.comments = map.next_value()?,
                        Key::CreatedAt => o.timestamps.created_at = map.next_value()?,
                        Key::UpdatedAt => o.timestamps.updated_at = map.next_value()?,
                        Key::Version => o.timestamps.version = map.next_value()?,
                        Key::Other(key) => {
                            let mut value: Value = map.next_value()?;
                            trim_array(&mut value);
                            o.data.insert(key, value);
                        }
                    }
                }
                Ok(o)
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_array_keeps_no_room_it_grew_into() {
        let numbers: Vec<String> = (0..20_000).map(|i| format!("{i}.5")).collect();
        let json = format!(
            r#"{{"type":"Mesh","vertices":[{}],"value":[1,2,3]}}"#,
            numbers.join(",")
        );
        let object: SpeckleObject = serde_json::from_str(&json).unwrap();
        let vertices = object.data["vertices"].as_array().unwrap();
        assert_eq!(vertices.len(), 20_000);
        assert_eq!(vertices.capacity(), 20_000);
        assert_eq!(object.data["value"], serde_json::json!([1, 2, 3]));
    }
}
