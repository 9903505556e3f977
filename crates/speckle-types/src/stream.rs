//! Data streams and their layers.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::common::{Access, Extra, Timestamps};
use crate::{DocumentId, MissingField, SpeckleObject, StreamId};

/// A data stream: a named, ordered list of objects plus layers and metadata.
///
/// Read routes return `objects` as placeholders (`{type:"Placeholder",_id}`).
/// The same struct is the body of create and update: only the fields that are
/// set are sent, so an update never wipes `objects`, `layers` or `children` by
/// accident (the Python client's bug: it sends unset lists as `[]`).
///
/// ```
/// use speckle_types::Stream;
/// let patch = Stream { name: Some("Renamed".into()), ..Default::default() };
/// assert_eq!(serde_json::to_string(&patch).unwrap(), r#"{"name":"Renamed"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stream {
    /// The Mongo `_id` of the stream document (streams are addressed by
    /// [`stream_id`](Self::stream_id) instead).
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<DocumentId>,
    /// The stream's public id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<StreamId>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Message of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Conventionally `{units, tolerance, angleTolerance}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_properties: Option<Value>,
    /// Free-form measures (Grasshopper puts computed inputs/outputs here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_measures: Option<Value>,
    /// Whether the stream holds a computed result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_computed_result: Option<bool>,
    /// The objects, in order: placeholders on read; full objects or
    /// placeholders on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<SpeckleObject>>,
    /// Layers: each covers `objects[startIndex .. startIndex + objectCount]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<Layer>>,
    /// Viewer layers (free-form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_layers: Option<Vec<Value>>,
    /// The stream this one was cloned from (`null` for originals).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    pub parent: Option<Option<StreamId>>,
    /// Clones of this stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<StreamId>>,
    /// Never set by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ancestors: Option<Vec<Value>>,
    /// Soft-delete flag (the server never sets it; `DELETE` hard-deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Whether the stream may be edited in the web UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_editable: Option<bool>,
    /// Job number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_number: Option<String>,
    /// Owner and permissions.
    #[serde(flatten)]
    pub access: Access,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Keys this model does not know (streams are schema-less on the server).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Stream {
    /// The stream's public id (`streamId`), which every stream the server
    /// returns carries (create, get, list): no `Option` to unwrap.
    ///
    /// ```
    /// use speckle_types::Stream;
    /// let created: Stream = serde_json::from_str(r#"{"streamId":"S1","name":"Site"}"#).unwrap();
    /// assert_eq!(created.required_id().unwrap().as_str(), "S1");
    /// ```
    ///
    /// # Errors
    /// [`MissingField`] when there is none: a stream built locally, or read
    /// with a `fields` projection without `streamId`.
    pub fn required_id(&self) -> Result<&StreamId, MissingField> {
        self.stream_id
            .as_ref()
            .ok_or(MissingField::new("stream", "streamId"))
    }
}

/// A layer of a stream (SpeckleSpecs `Layer`; the server does not validate it).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Unique id; diff compares layers by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Position in the layer list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_index: Option<Number>,
    /// Index of the first object of the layer in the stream's objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<Number>,
    /// Number of objects in the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_count: Option<Number>,
    /// Grasshopper-style tree topology, e.g. `"0;0-3 "`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<String>,
    /// Display properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<LayerProperties>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Display properties of a [`Layer`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerProperties {
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<LayerColor>,
    /// Visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
    /// Point size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointsize: Option<Value>,
    /// Line width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linewidth: Option<Value>,
    /// Shininess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shininess: Option<Value>,
    /// Smooth shading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smooth: Option<bool>,
    /// Whether edges are drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_edges: Option<bool>,
    /// Wireframe display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireframe: Option<bool>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A layer colour: alpha plus a hex string or colour name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LayerColor {
    /// Alpha.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Value>,
    /// `#rrggbb` or a name such as `Black`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
