//! Response envelopes.
//!
//! Most routes answer `{success, message?, resource?|resources?}`; some add
//! their own keys. Each shape has a struct here; all of them keep unknown keys,
//! and `message` is any JSON value because the server sometimes sends `{}` or
//! the string `"{}"` instead of text.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Extra;
use crate::{Delta, Layer, ObjectId, Project, Stream, StreamId};

/// Reads the human text out of a `message` value: a string as is; `{}`, the
/// string `"{}"`, `null` and anything else give `None`.
///
/// ```
/// use serde_json::json;
/// use speckle_types::message_text;
/// assert_eq!(message_text(&json!("Invalid credentials.")), Some("Invalid credentials."));
/// assert_eq!(message_text(&json!({})), None);
/// assert_eq!(message_text(&json!("{}")), None);
/// ```
pub fn message_text(message: &Value) -> Option<&str> {
    match message.as_str() {
        Some("{}") | Some("") | None => None,
        Some(text) => Some(text),
    }
}

macro_rules! envelope {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$t:ident>)? {
            $( $(#[$fmeta:meta])* $field:ident $(as $wire:literal)? : $ty:ty ),* $(,)?
        }
    ) => {
        envelope!(@ [Deserialize] $(#[$meta])* pub struct $name $(<$t>)? { $( $(#[$fmeta])* $field $(as $wire)? : $ty ),* });
    };
    (
        @ [$($derive:ident)?]
        $(#[$meta:meta])*
        pub struct $name:ident $(<$t:ident>)? {
            $( $(#[$fmeta:meta])* $field:ident $(as $wire:literal)? : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize $(, $derive)?)]
        #[serde(rename_all = "camelCase")]
        pub struct $name $(<$t>)? {
            /// `true` on success. Note that delta GET answers 400 with `success: true`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub success: Option<bool>,
            /// The server's message: usually a string, sometimes `{}` or `"{}"`.
            /// Read it with [`message_text`].
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub message: Option<Value>,
            $(
                $(#[$fmeta])*
                $(#[serde(rename = $wire)])?
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Keys this model does not know.
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl $(<$t>)? $name $(<$t>)? {
            /// The message as text, if it is a real message (see [`message_text`]).
            pub fn message_text(&self) -> Option<&str> {
                self.message.as_ref().and_then(message_text)
            }
        }

        impl $(<$t>)? Default for $name $(<$t>)? {
            fn default() -> Self {
                Self {
                    success: None,
                    message: None,
                    $($field: None,)*
                    extra: Extra::new(),
                }
            }
        }
    };
}

envelope!(@ []
    /// The common envelope: `{success, message, resource, resources}`.
    ///
    /// `T` is the resource type (for `GET /accounts/admin`, whose list sits under
    /// `resource`, it is a `Vec`).
    ///
    /// ```
    /// use speckle_types::{Envelope, Stream};
    /// let body = r#"{"success":true,"message":"Delivered stream.","resource":{"streamId":"60uCme_s0"}}"#;
    /// let envelope: Envelope<Stream> = serde_json::from_str(body).unwrap();
    /// assert_eq!(envelope.resource.unwrap().stream_id.unwrap(), "60uCme_s0");
    /// ```
    pub struct Envelope<T> {
        /// One document.
        resource: T,
        /// A list of documents.
        resources: Vec<T>,
    }
);

envelope!(
    /// `POST /streams/:id/clone`: the new stream and the original, both
    /// without `objects` and `layers`.
    pub struct CloneResponse {
        /// The clone.
        clone: Stream,
        /// The original (its `children` now lists the clone).
        parent: Stream,
    }
);

envelope!(
    /// `GET /streams/:a/diff/:b`.
    pub struct DiffResponse {
        /// Object ids in both, only in A, only in B.
        objects: DiffSets<ObjectId>,
        /// Layers compared by `guid`.
        layers: DiffSets<Layer>,
    }
);

/// The three sets of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSets<T> {
    /// In both streams.
    #[serde(default = "Vec::new")]
    pub common: Vec<T>,
    /// Only in the first stream.
    #[serde(rename = "inA", default = "Vec::new")]
    pub in_a: Vec<T>,
    /// Only in the second stream.
    #[serde(rename = "inB", default = "Vec::new")]
    pub in_b: Vec<T>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

envelope!(
    /// `GET /streams/:a/delta/:b`. Returned with status 200 only when both
    /// streams have a `Sender` client, otherwise 400 with `success: true`; the
    /// SDK returns it either way.
    pub struct DeltaResponse {
        /// Server-locale time string.
        revision_datetime: String,
        /// A's sender's owner, or the string `"undefined"`.
        author: Value,
        /// The delta.
        delta: Delta,
    }
);

envelope!(
    /// `DELETE /streams/:id`.
    pub struct DeleteStreamResponse {
        /// The deleted stream and its direct children.
        deleted_streams: Vec<StreamId>,
    }
);

envelope!(
    /// `PUT /projects/:id/addstream/:sid` and `DELETE …/removestream/:sid`.
    pub struct ProjectStreamResponse {
        /// The updated project.
        project: Project,
        /// The stream's `_id, canRead, canWrite, name, streamId, owner`.
        stream: Stream,
    }
);

envelope!(
    /// `DELETE /projects/:id/removeuser/:uid`.
    pub struct RemoveUserResponse {
        /// The updated project.
        project: Project,
        /// Streams the user lost read and write on.
        streams_to_pull_both_from: Vec<Value>,
        /// Streams the user lost write on.
        streams_to_pull_write_from: Vec<Value>,
        /// Streams the user lost read on.
        streams_to_pull_read_from: Vec<Value>,
    }
);

envelope!(
    /// `PUT /projects/:id/downgradeuser/:uid`.
    pub struct DowngradeUserResponse {
        /// The updated project.
        project: Project,
        /// Streams where write was replaced by read.
        streams_to_add_read_and_pull_write: Vec<Value>,
        /// Streams where read was (re)added.
        streams_to_add_to_read: Vec<Value>,
    }
);

envelope!(
    /// `DELETE /projects/:id`.
    pub struct DeleteProjectResponse {
        /// Streams whose permissions were stripped.
        modified_streams: Vec<Value>,
    }
);

envelope!(
    /// `PUT /comments/:id`.
    pub struct CommentEditResponse {
        /// The keys that were edited.
        fields: Vec<String>,
    }
);

// Written by hand for the same reason as `SpeckleObject`'s: getbulk answers
// are megabytes of objects, and the derived code for a flattened map buffers
// the whole answer before decoding it.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for EnvelopeVisitor<T> {
            type Value = Envelope<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a response envelope")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Envelope<T>, A::Error> {
                let mut envelope = Envelope::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "success" => envelope.success = map.next_value()?,
                        "message" => envelope.message = map.next_value()?,
                        "resource" => envelope.resource = map.next_value()?,
                        "resources" => envelope.resources = map.next_value()?,
                        _ => {
                            let value: Value = map.next_value()?;
                            envelope.extra.insert(key, value);
                        }
                    }
                }
                Ok(envelope)
            }
        }

        deserializer.deserialize_map(EnvelopeVisitor(std::marker::PhantomData))
    }
}
