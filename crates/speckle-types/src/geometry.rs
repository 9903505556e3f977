//! Typed views of the geometry variants (the SpeckleSpecs `schemas/`).
//!
//! A [`SpeckleObject`] keeps its geometry fields as raw JSON so that nothing is
//! lost; [`SpeckleObject::geometry`] decodes them into one of these structs by
//! `type`, and `SpeckleObject::from(geometry)` goes the other way. Every
//! struct keeps unknown keys in `extra` and every field is optional, since
//! connectors disagree on which fields they write.
//!
//! Fields that hold another geometry of a fixed type (a plane's `origin`) use
//! the typed struct, whose `kind` carries the nested `"type"`; fields that can
//! hold any object (a polycurve's `segments`) use [`SpeckleObject`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Extra;
use crate::{ObjectType, SpeckleObject};

macro_rules! geometry {
    (
        $(#[$meta:meta])*
        $variant:ident => $name:ident {
            $( $(#[$fmeta:meta])* $field:ident $(as $wire:literal)? : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// The nested `"type"` key, when this value sits inside another
            /// object. `None` at the top level, where the object's own
            /// [`kind`](SpeckleObject::kind) holds it.
            #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
            pub kind: Option<ObjectType>,
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

        impl From<$name> for Geometry {
            fn from(value: $name) -> Self {
                Geometry::$variant(value)
            }
        }

        impl From<$name> for SpeckleObject {
            fn from(value: $name) -> Self {
                SpeckleObject::from(Geometry::$variant(value))
            }
        }
    };
}

geometry!(
    /// `{value: bool}`.
    Boolean => SpeckleBoolean { /** The value. */ value: bool }
);
geometry!(
    /// `{value: number}`.
    Number => SpeckleNumber { /** The value. */ value: f64 }
);
geometry!(
    /// `{value: string}`.
    String => SpeckleString { /** The value. */ value: String }
);
geometry!(
    /// A numeric interval.
    Interval => Interval { /** Start. */ start: f64, /** End. */ end: f64 }
);
geometry!(
    /// A 2D interval.
    Interval2d => Interval2d { /** U domain. */ u as "U": Interval, /** V domain. */ v as "V": Interval }
);
geometry!(
    /// A point: `value` is `[x, y, z]`.
    Point => Point { /** `[x, y, z]`. */ value: Vec<f64> }
);
geometry!(
    /// A vector: `value` is `[x, y, z]`.
    Vector => Vector { /** `[x, y, z]`. */ value: Vec<f64> }
);
geometry!(
    /// A plane.
    Plane => Plane {
        /** Origin. */ origin: Point,
        /** Normal. */ normal: Vector,
        /** X direction. */ xdir: Vector,
        /** Y direction. */ ydir: Vector,
    }
);
geometry!(
    /// A line: `value` is `[x1, y1, z1, x2, y2, z2]`.
    Line => Line { /** Flat coordinates. */ value: Vec<f64>, /** Domain. */ domain: Interval }
);
geometry!(
    /// A circle.
    Circle => Circle {
        /** Radius. */ radius: f64,
        /** Centre. */ center: Point,
        /** Normal. */ normal: Vector,
        /** Domain. */ domain: Interval,
    }
);
geometry!(
    /// An arc.
    Arc => Arc {
        /** Radius. */ radius: f64,
        /** Start angle. */ start_angle: f64,
        /** End angle. */ end_angle: f64,
        /** Sweep angle in radians. */ angle_radians: f64,
        /** Plane. */ plane: Plane,
        /** Domain. */ domain: Interval,
    }
);
geometry!(
    /// An ellipse.
    Ellipse => Ellipse {
        /** First radius. */ first_radius: f64,
        /** Second radius. */ second_radius: f64,
        /** Plane. */ plane: Plane,
        /** Domain. */ domain: Interval,
    }
);
geometry!(
    /// A curve made of segments.
    Polycurve => Polycurve { /** Segments (any curve objects). */ segments: Vec<SpeckleObject>, /** Domain. */ domain: Interval }
);
geometry!(
    /// A box.
    Box => SpeckleBox {
        /** Base plane. */ base_plane: Plane,
        /** X size. */ x_size: Interval,
        /** Y size. */ y_size: Interval,
        /** Z size. */ z_size: Interval,
    }
);
geometry!(
    /// A polyline: `value` is flat `x, y, z` coordinates.
    Polyline => Polyline { /** Closed. */ closed: bool, /** Flat coordinates. */ value: Vec<f64>, /** Domain. */ domain: Interval }
);
geometry!(
    /// A NURBS curve.
    Curve => Curve {
        /** Degree. */ degree: f64,
        /** Periodic. */ periodic: bool,
        /** Rational. */ rational: bool,
        /** Flat control point coordinates. */ points: Vec<f64>,
        /** Weights. */ weights: Vec<f64>,
        /** Knots. */ knots: Vec<f64>,
        /** Domain. */ domain: Interval,
        /** Display polyline. */ display_value: Polyline,
    }
);
geometry!(
    /// A mesh.
    Mesh => Mesh {
        /** Flat vertex coordinates. */ vertices: Vec<f64>,
        /** Face indices (encoding left to the sender). */ faces: Vec<f64>,
        /** Per-vertex colours. */ colors: Vec<f64>,
        /** Texture coordinates. */ texture_coordinates: Vec<f64>,
    }
);
geometry!(
    /// A boundary representation with a display mesh.
    Brep => Brep {
        /** Application-specific raw data. */ raw_data: Value,
        /** Which application made it. */ provenance: String,
        /** Display mesh. */ display_value: Mesh,
    }
);
geometry!(
    /// An extrusion.
    Extrusion => Extrusion {
        /** Capped ends. */ capped: bool,
        /** Profile curve. */ profile: SpeckleObject,
        /** Path start. */ path_start: Point,
        /** Path end. */ path_end: Point,
        /** Path curve. */ path_curve: SpeckleObject,
    }
);
geometry!(
    /// Text placed in space.
    Annotation => Annotation {
        /** Text. */ text: String,
        /** Text height. */ text_height: f64,
        /** Font. */ font_name: String,
        /** Bold. */ bold: bool,
        /** Italic. */ italic: bool,
        /** Location. */ location: Point,
        /** Plane. */ plane: Plane,
    }
);
geometry!(
    /// A block definition.
    Block => Block {
        /** Block name. */ block_name: String,
        /** Description. */ description: String,
        /** The block's objects. */ objects: Vec<SpeckleObject>,
    }
);
geometry!(
    /// A reflected object from an application (SpeckleCore's `SpeckleAbstract`).
    Abstract => Abstract {
        /** The original type name. */ type_name as "_type": String,
        /** The assembly (spec spelling). */ assembly: String,
        /** The assembly (SpeckleCore spelling). */ assembly_ref as "_assembly": String,
        /** Reference path. */ reference as "_ref": String,
    }
);

impl Point {
    /// A point at `(x, y, z)`, tagged `"type":"Point"` so it can be nested.
    pub fn new(x: f64, y: f64, z: f64) -> Self {
        Self {
            kind: Some(ObjectType::Point),
            value: Some(vec![x, y, z]),
            ..Self::default()
        }
    }
}

impl Vector {
    /// A vector `(x, y, z)`, tagged `"type":"Vector"` so it can be nested.
    pub fn new(x: f64, y: f64, z: f64) -> Self {
        Self {
            kind: Some(ObjectType::Vector),
            value: Some(vec![x, y, z]),
            ..Self::default()
        }
    }
}

impl Polyline {
    /// A polyline through flat vertex coordinates (`[x0, y0, z0, x1, y1, z1, …]`),
    /// closed or not, tagged `"type":"Polyline"` so it can be nested.
    ///
    /// ```
    /// use speckle_types::{Polyline, SpeckleObject};
    /// let square = Polyline::new(vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0], true);
    /// let json = serde_json::to_value(SpeckleObject::from(square)).unwrap();
    /// assert_eq!(json["type"], "Polyline");
    /// assert_eq!(json["closed"], true);
    /// assert_eq!(json["value"].as_array().unwrap().len(), 12);
    /// ```
    pub fn new(value: Vec<f64>, closed: bool) -> Self {
        Self {
            kind: Some(ObjectType::Polyline),
            value: Some(value),
            closed: Some(closed),
            ..Self::default()
        }
    }
}

impl Mesh {
    /// A mesh from flat vertex coordinates and face indices.
    pub fn new(vertices: Vec<f64>, faces: Vec<f64>) -> Self {
        Self {
            kind: Some(ObjectType::Mesh),
            vertices: Some(vertices),
            faces: Some(faces),
            ..Self::default()
        }
    }
}

/// The typed view of a [`SpeckleObject`], chosen by its (resolved) `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
// each variant is named after the type it decodes
// A short-lived view: boxing the big variants would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum Geometry {
    Null,
    Boolean(SpeckleBoolean),
    Number(SpeckleNumber),
    String(SpeckleString),
    Interval(Interval),
    Interval2d(Interval2d),
    Point(Point),
    Vector(Vector),
    Plane(Plane),
    Line(Line),
    Circle(Circle),
    Arc(Arc),
    Ellipse(Ellipse),
    Polycurve(Polycurve),
    Box(SpeckleBox),
    Polyline(Polyline),
    Curve(Curve),
    Mesh(Mesh),
    Brep(Brep),
    Extrusion(Extrusion),
    Annotation(Annotation),
    Block(Block),
    Abstract(Abstract),
    /// A reference to a stored object; see [`SpeckleObject::placeholder`].
    Placeholder,
    /// A type without a typed view (unknown, missing, or `Rectangle`): the
    /// object's [`data`](SpeckleObject::data) holds everything.
    Other,
}

impl Geometry {
    /// The object type this variant stands for (`None` for [`Geometry::Other`]).
    pub fn kind(&self) -> Option<ObjectType> {
        Some(match self {
            Geometry::Null => ObjectType::Null,
            Geometry::Boolean(_) => ObjectType::Boolean,
            Geometry::Number(_) => ObjectType::Number,
            Geometry::String(_) => ObjectType::String,
            Geometry::Interval(_) => ObjectType::Interval,
            Geometry::Interval2d(_) => ObjectType::Interval2d,
            Geometry::Point(_) => ObjectType::Point,
            Geometry::Vector(_) => ObjectType::Vector,
            Geometry::Plane(_) => ObjectType::Plane,
            Geometry::Line(_) => ObjectType::Line,
            Geometry::Circle(_) => ObjectType::Circle,
            Geometry::Arc(_) => ObjectType::Arc,
            Geometry::Ellipse(_) => ObjectType::Ellipse,
            Geometry::Polycurve(_) => ObjectType::Polycurve,
            Geometry::Box(_) => ObjectType::Box,
            Geometry::Polyline(_) => ObjectType::Polyline,
            Geometry::Curve(_) => ObjectType::Curve,
            Geometry::Mesh(_) => ObjectType::Mesh,
            Geometry::Brep(_) => ObjectType::Brep,
            Geometry::Extrusion(_) => ObjectType::Extrusion,
            Geometry::Annotation(_) => ObjectType::Annotation,
            Geometry::Block(_) => ObjectType::Block,
            Geometry::Abstract(_) => ObjectType::Abstract,
            Geometry::Placeholder => ObjectType::Placeholder,
            Geometry::Other => return None,
        })
    }

    /// The fields of the variant as a JSON object (without `type`).
    fn into_fields(self) -> Result<Extra, serde_json::Error> {
        let value = match self {
            Geometry::Null | Geometry::Placeholder | Geometry::Other => return Ok(Extra::new()),
            Geometry::Boolean(g) => serde_json::to_value(g),
            Geometry::Number(g) => serde_json::to_value(g),
            Geometry::String(g) => serde_json::to_value(g),
            Geometry::Interval(g) => serde_json::to_value(g),
            Geometry::Interval2d(g) => serde_json::to_value(g),
            Geometry::Point(g) => serde_json::to_value(g),
            Geometry::Vector(g) => serde_json::to_value(g),
            Geometry::Plane(g) => serde_json::to_value(g),
            Geometry::Line(g) => serde_json::to_value(g),
            Geometry::Circle(g) => serde_json::to_value(g),
            Geometry::Arc(g) => serde_json::to_value(g),
            Geometry::Ellipse(g) => serde_json::to_value(g),
            Geometry::Polycurve(g) => serde_json::to_value(g),
            Geometry::Box(g) => serde_json::to_value(g),
            Geometry::Polyline(g) => serde_json::to_value(g),
            Geometry::Curve(g) => serde_json::to_value(g),
            Geometry::Mesh(g) => serde_json::to_value(g),
            Geometry::Brep(g) => serde_json::to_value(g),
            Geometry::Extrusion(g) => serde_json::to_value(g),
            Geometry::Annotation(g) => serde_json::to_value(g),
            Geometry::Block(g) => serde_json::to_value(g),
            Geometry::Abstract(g) => serde_json::to_value(g),
        }?;
        Ok(match value {
            Value::Object(mut map) => {
                // The top-level object carries the type itself.
                map.remove("type");
                map
            }
            _ => Extra::new(),
        })
    }
}

impl From<Geometry> for SpeckleObject {
    /// Builds a new object from a typed geometry. Serializing these structs
    /// cannot fail (they hold only strings, numbers, bools and JSON values), so
    /// a failure would leave the object with its type and no fields.
    fn from(geometry: Geometry) -> Self {
        let kind = geometry.kind();
        let data = geometry.into_fields().unwrap_or_default();
        SpeckleObject {
            kind,
            data,
            ..SpeckleObject::default()
        }
    }
}

impl SpeckleObject {
    /// Decodes the typed geometry view of this object from its `type` and
    /// [`data`](Self::data). Unknown or missing types give [`Geometry::Other`].
    ///
    /// # Errors
    /// When the type is known but a field has the wrong JSON type (a `Point`
    /// whose `value` is a string, say). The object itself stays intact.
    pub fn geometry(&self) -> Result<Geometry, serde_json::Error> {
        fn view<T: serde::de::DeserializeOwned>(data: &Extra) -> Result<T, serde_json::Error> {
            serde_json::from_value(Value::Object(data.clone()))
        }
        let kind = match &self.kind {
            Some(kind) => kind.resolved(),
            None => return Ok(Geometry::Other),
        };
        let d = &self.data;
        Ok(match kind {
            ObjectType::Null => Geometry::Null,
            ObjectType::Placeholder => Geometry::Placeholder,
            ObjectType::Boolean => Geometry::Boolean(view(d)?),
            ObjectType::Number => Geometry::Number(view(d)?),
            ObjectType::String => Geometry::String(view(d)?),
            ObjectType::Interval => Geometry::Interval(view(d)?),
            ObjectType::Interval2d => Geometry::Interval2d(view(d)?),
            ObjectType::Point => Geometry::Point(view(d)?),
            ObjectType::Vector => Geometry::Vector(view(d)?),
            ObjectType::Plane => Geometry::Plane(view(d)?),
            ObjectType::Line => Geometry::Line(view(d)?),
            ObjectType::Circle => Geometry::Circle(view(d)?),
            ObjectType::Arc => Geometry::Arc(view(d)?),
            ObjectType::Ellipse => Geometry::Ellipse(view(d)?),
            ObjectType::Polycurve => Geometry::Polycurve(view(d)?),
            ObjectType::Box => Geometry::Box(view(d)?),
            ObjectType::Polyline => Geometry::Polyline(view(d)?),
            ObjectType::Curve => Geometry::Curve(view(d)?),
            ObjectType::Mesh => Geometry::Mesh(view(d)?),
            ObjectType::Brep => Geometry::Brep(view(d)?),
            ObjectType::Extrusion => Geometry::Extrusion(view(d)?),
            ObjectType::Annotation => Geometry::Annotation(view(d)?),
            ObjectType::Block => Geometry::Block(view(d)?),
            ObjectType::Abstract => Geometry::Abstract(view(d)?),
            ObjectType::Rectangle | ObjectType::Unknown(_) => Geometry::Other,
        })
    }
}
