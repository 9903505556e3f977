//! Typed identifiers.
//!
//! The server addresses streams by their `streamId` (a short id such as
//! `60uCme_s0`) and every other resource by its 24-hex MongoDB `_id`. Mixing
//! them up is the most common way to get a confusing 404 from the server, so
//! each kind of id gets its own type. All of them serialize as the plain string
//! the server expects (`#[serde(transparent)]`) and never validate their
//! content: the server, not the client, decides what an id looks like.

use std::borrow::Borrow;
use std::fmt;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw id string. Nothing is validated: the server is the
            /// authority on which ids exist.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as the server writes it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the raw string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// A stream's `streamId` (a shortid such as `60uCme_s0`), not its `_id`.
    ///
    /// ```
    /// use speckle_types::StreamId;
    /// let id = StreamId::new("60uCme_s0");
    /// assert_eq!(serde_json::to_string(&id).unwrap(), "\"60uCme_s0\"");
    /// ```
    StreamId
);
string_id!(
    /// The `_id` of a Speckle object (24 hex characters on the real server).
    ObjectId
);
string_id!(
    /// The `_id` of a user account.
    UserId
);
string_id!(
    /// The `_id` of a project.
    ProjectId
);
string_id!(
    /// The `_id` of an api client (a `UserAppClient`), also used as the
    /// websocket `client_id`. Anonymous clients get `temp-<hex>` ids.
    ClientId
);
string_id!(
    /// The `_id` of a comment.
    CommentId
);
string_id!(
    /// The Mongo `_id` of a document whose kind is not known statically
    /// (for example the `_id` of a stream document, which is distinct from
    /// its [`StreamId`]).
    DocumentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = ObjectId::new("6b0c43a284c96928c7155341");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"6b0c43a284c96928c7155341\"");
        let back: ObjectId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(format!("{id}"), "6b0c43a284c96928c7155341");
        assert_eq!(format!("{id:?}"), "ObjectId(\"6b0c43a284c96928c7155341\")");
    }
}
