//! Fields shared by several server documents.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{CommentId, UserId};

/// A JSON object holding the keys a model does not know. Every model keeps one
/// (flattened), so user data and fields from newer servers survive a
/// fetch → modify → send round trip.
pub type Extra = Map<String, Value>;

/// A user reference: a bare id, or the user document the server populated in
/// its place (`GET /clients/:id` populates `owner`; `?populatePermissions`
/// populates `canRead`/`canWrite`).
///
/// ```
/// use speckle_types::UserRef;
/// let plain: UserRef = serde_json::from_str(r#""6b0c43a184c96928c7155337""#).unwrap();
/// assert!(matches!(plain, UserRef::Id(_)));
/// let populated: UserRef = serde_json::from_str(r#"{"_id": "6b0c43a184c96928c7155337", "name": "Ada"}"#).unwrap();
/// assert_eq!(populated.id(), plain.id());
/// ```
// Deserialize is written by hand (below): every stored object carries an
// `owner`, and the derived code for an untagged enum copies each value into
// an intermediate tree before trying the variants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum UserRef {
    /// The user's `_id`.
    Id(UserId),
    /// A populated user summary.
    Populated(Box<UserSummary>),
}

impl UserRef {
    /// The referenced user's id, whichever form the server used.
    pub fn id(&self) -> Option<&UserId> {
        match self {
            UserRef::Id(id) => Some(id),
            UserRef::Populated(user) => user.id.as_ref(),
        }
    }
}

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UserRefVisitor;

        impl<'de> serde::de::Visitor<'de> for UserRefVisitor {
            type Value = UserRef;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a user id or a user document")
            }

            fn visit_str<E: serde::de::Error>(self, id: &str) -> Result<UserRef, E> {
                Ok(UserRef::Id(UserId::from(id)))
            }

            fn visit_string<E: serde::de::Error>(self, id: String) -> Result<UserRef, E> {
                Ok(UserRef::Id(UserId::from(id)))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<UserRef, A::Error> {
                UserSummary::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|user| UserRef::Populated(Box::new(user)))
            }
        }

        deserializer.deserialize_any(UserRefVisitor)
    }
}

impl From<UserId> for UserRef {
    fn from(id: UserId) -> Self {
        UserRef::Id(id)
    }
}

/// The populated form of a user (`{_id, name, surname, email, company}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    /// The user's id.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Email, when the server exposes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Ownership and access fields carried by streams, projects, objects and api
/// clients (not comments). Fact sheet §7.2 and §3.
///
/// Every field is optional: a `fields=` projection can drop any of them, and an
/// update only sends the fields that are set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    /// The owner (an id, or populated on some routes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserRef>,
    /// `false` makes the resource readable by anyone, including anonymous callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// Users who may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_read: Option<Vec<UserRef>>,
    /// Users who may write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_write: Option<Vec<UserRef>>,
    /// Whether guests may comment on a public resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_comments: Option<bool>,
    /// Ids of the comments attached to the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<CommentId>>,
}

/// Mongoose bookkeeping present on every stored document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timestamps {
    /// ISO-8601 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// ISO-8601 time of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Mongoose document version (`__v`).
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        ///
        /// Values this SDK does not know decode to `Unknown` and serialize back unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this SDK does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The value as the server writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match $name::from(value.as_str()) {
                    $name::Unknown(_) => $name::Unknown(value),
                    known => known,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        // A known value is matched on the borrowed text, without
        // allocating a `String` only to drop it.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct OpenVisitor;

                impl serde::de::Visitor<'_> for OpenVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(OpenVisitor)
            }
        }
    };
}
pub(crate) use open_enum;
