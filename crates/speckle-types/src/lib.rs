//! Serde models of the [Speckle](https://speckle.systems) v1 server API.
//!
//! This crate has no HTTP and no async runtime: depend on it alone to read or
//! write Speckle v1 JSON (`speckle-http` executes requests, `speckle` is the
//! client most users want).
//!
//! Three rules hold for every model:
//! - **Lossless.** Unknown keys are kept in a flattened map (`extra`, or
//!   `data` on objects), so a document fetched and sent back unchanged is the
//!   same JSON value. User properties are never dropped.
//! - **Never fails on new values.** Enums that mirror server strings have an
//!   `Unknown(String)` variant; unknown object types decode as generic objects.
//! - **Optional where the server may omit.** A `fields=` projection can drop any
//!   key, so fields are `Option`s; fields the server writes as `null` are
//!   `Option<Option<T>>` (see [`nullable`]). Because unset fields are not
//!   serialized, the same structs are safe partial-update bodies.
//!
//! Every optional field therefore carries
//! `#[serde(default, skip_serializing_if = "Option::is_none")]`. It is
//! written out on purpose: folding it needs `serde_with` (a proc-macro
//! dependency this serde-only crate does not take) or a macro of our own
//! that would hide the field attributes reviewers check. A field that lacks
//! it serializes `null` when unset, which the round-trip tests of recorded
//! answers catch for every field those answers omit.
//!
//! ```
//! use speckle_types::{Envelope, Geometry, SpeckleObject};
//!
//! let body = r#"{"success":true,"resource":{"_id":"6b0c43a284c96928c7155341","type":"Point",
//!     "value":[0,0,0],"properties":{"tag":"a"},"name":null,"myField":42}}"#;
//! let envelope: Envelope<SpeckleObject> = serde_json::from_str(body).unwrap();
//! let point = envelope.resource.unwrap();
//! assert!(matches!(point.geometry().unwrap(), Geometry::Point(_)));
//! assert_eq!(point.data["myField"], 42);
//!
//! // Round trip: the same JSON value comes back.
//! let original: serde_json::Value = serde_json::from_str(body).unwrap();
//! let again = serde_json::to_value(Envelope { resource: Some(point), ..envelope }).unwrap();
//! assert_eq!(again, original);
//! ```

pub mod backoff;
mod client;
mod comment;
mod common;
mod delta;
mod envelope;
mod geometry;
pub mod ids;
mod missing;
pub mod nullable;
mod object;
pub mod percent;
mod project;
pub mod secret;
mod server;
mod stream;
mod user;

pub use client::{ApiClient, ClientRole};
pub use comment::{Comment, ResourceRef, ResourceType};
pub use common::{Access, Extra, Timestamps, UserRef, UserSummary};
pub use delta::{Delta, Revision};
pub use envelope::{
    message_text, CloneResponse, CommentEditResponse, DeleteProjectResponse, DeleteStreamResponse,
    DeltaResponse, DiffResponse, DiffSets, DowngradeUserResponse, Envelope, ProjectStreamResponse,
    RemoveUserResponse,
};
pub use geometry::{
    Abstract, Annotation, Arc, Block, Brep, Circle, Curve, Ellipse, Extrusion, Geometry, Interval,
    Interval2d, Line, Mesh, Plane, Point, Polycurve, Polyline, SpeckleBoolean, SpeckleBox,
    SpeckleNumber, SpeckleString, Vector,
};
pub use ids::{ClientId, CommentId, DocumentId, ObjectId, ProjectId, StreamId, UserId};
pub use missing::MissingField;
pub use object::{ObjectType, SpeckleObject, NO_PERMISSION_TEXT};
pub use project::{Project, ProjectPermissions};
pub use secret::Token;
pub use server::{PluginManifest, RouteInfo, ServerInfo};
pub use stream::{Layer, LayerColor, LayerProperties, Stream};
pub use user::{LoginRecord, Registration, Role, User};
