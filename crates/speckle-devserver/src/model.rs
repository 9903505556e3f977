//! The mongoose models: defaults, key order, casting and validation.
//!
//! Documents are stored "lean" (as MongoDB holds them: `_id` first, then the
//! schema's defaulted paths, then the other keys in the order they were
//! set). Routes that answer with mongoose documents instead of lean objects
//! show the defaulted paths first, then `_id`, then the rest, with empty
//! objects removed (`minimize`); [`hydrated`] reproduces that.

use crate::db::Coll;
use crate::ids;
use crate::json::{js_set, minimize, Json, Map};

/// One of the server's models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    User,
    Stream,
    Object,
    Client,
    Comment,
    Project,
}

/// A schema path type, for casting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Bool,
    Id,
    StrArr,
    IdArr,
    Mixed,
}

const COMMON: [(&str, Ty); 6] = [
    ("owner", Ty::Id),
    ("private", Ty::Bool),
    ("canRead", Ty::IdArr),
    ("canWrite", Ty::IdArr),
    ("anonymousComments", Ty::Bool),
    ("comments", Ty::IdArr),
];

impl Model {
    /// The mongoose model name (used in error messages).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Model::User => "User",
            Model::Stream => "DataStream",
            Model::Object => "SpeckleObject",
            Model::Client => "UserAppClient",
            Model::Comment => "Comment",
            Model::Project => "Project",
        }
    }

    pub(crate) fn coll(self) -> Coll {
        match self {
            Model::User => Coll::Users,
            Model::Stream => Coll::Streams,
            Model::Object => Coll::Objects,
            Model::Client => Coll::Clients,
            Model::Comment => Coll::Comments,
            Model::Project => Coll::Projects,
        }
    }

    /// Strict schemas drop keys they do not declare.
    fn strict(self) -> bool {
        matches!(self, Model::Client | Model::Comment | Model::User)
    }

    /// The defaulted paths, in schema order: what a new document starts
    /// with, and what mongoose documents print before `_id`.
    pub(crate) fn template(self) -> &'static [&'static str] {
        match self {
            Model::User => &[
                "name", "surname", "logins", "role", "private", "verified", "archived",
            ],
            Model::Stream => &[
                "private",
                "canRead",
                "canWrite",
                "anonymousComments",
                "comments",
                "name",
                "description",
                "tags",
                "isComputedResult",
                "objects",
                "layers",
                "viewerLayers",
                "parent",
                "children",
                "ancestors",
                "deleted",
                "onlineEditable",
                "jobNumber",
            ],
            Model::Object => &[
                "private",
                "canRead",
                "canWrite",
                "anonymousComments",
                "comments",
                "name",
                "geometryHash",
                "hash",
                "applicationId",
                "properties",
                "deleted",
                "parent",
                "children",
                "ancestors",
            ],
            Model::Client => &[
                "private",
                "canRead",
                "canWrite",
                "anonymousComments",
                "comments",
                "online",
            ],
            Model::Comment => &[
                "resource",
                "comments",
                "flagged",
                "closed",
                "assignedTo",
                "labels",
            ],
            Model::Project => &[
                "permissions",
                "private",
                "canRead",
                "canWrite",
                "anonymousComments",
                "comments",
                "name",
                "description",
                "tags",
                "streams",
                "deleted",
                "jobNumber",
            ],
        }
    }

    fn ty(self, key: &str) -> Option<Ty> {
        if self != Model::User && self != Model::Comment {
            if let Some((_, t)) = COMMON.iter().find(|(k, _)| *k == key) {
                return Some(*t);
            }
        }
        let t = match (self, key) {
            (Model::User, "name" | "surname" | "email" | "company" | "role" | "avatar") => Ty::Str,
            (Model::User, "archived" | "verified" | "private") => Ty::Bool,
            (Model::User, "logins" | "providerProfiles") => Ty::Mixed,
            (
                Model::Stream,
                "name" | "description" | "commitMessage" | "parent" | "jobNumber" | "streamId",
            ) => Ty::Str,
            (Model::Stream, "tags" | "children" | "ancestors") => Ty::StrArr,
            (Model::Stream, "isComputedResult" | "deleted" | "onlineEditable") => Ty::Bool,
            (Model::Stream, "objects") => Ty::IdArr,
            (Model::Object, "type" | "name" | "geometryHash" | "hash" | "applicationId") => Ty::Str,
            (Model::Object, "deleted") => Ty::Bool,
            (Model::Object, "parent") => Ty::Id,
            (Model::Object, "children" | "ancestors") => Ty::IdArr,
            (
                Model::Client,
                "role" | "documentName" | "documentGuid" | "documentType" | "documentLocation"
                | "streamId",
            ) => Ty::Str,
            (Model::Client, "online") => Ty::Bool,
            (Model::Comment, "owner") => Ty::Id,
            (Model::Comment, "comments" | "assignedTo") => Ty::IdArr,
            (Model::Comment, "text" | "priority" | "status" | "screenshot") => Ty::Str,
            (Model::Comment, "flagged" | "closed") => Ty::Bool,
            (Model::Comment, "labels") => Ty::StrArr,
            (Model::Comment, "view" | "otherResources" | "resource") => Ty::Mixed,
            (Model::Project, "name" | "description" | "jobNumber") => Ty::Str,
            (Model::Project, "tags" | "streams") => Ty::StrArr,
            (Model::Project, "deleted") => Ty::Bool,
            (Model::Project, "permissions") => Ty::Mixed,
            (_, "_id") => Ty::Id,
            _ => return None,
        };
        Some(t)
    }

    /// The default values of the template paths.
    pub(crate) fn defaults(self, public_streams: bool) -> Vec<(&'static str, Json)> {
        let arr = || Json::Arr(Vec::new());
        let common = |private: bool| {
            vec![
                ("private", Json::Bool(private)),
                ("canRead", arr()),
                ("canWrite", arr()),
                ("anonymousComments", Json::Bool(false)),
                ("comments", arr()),
            ]
        };
        match self {
            Model::User => vec![
                ("name", Json::str("John")),
                ("surname", Json::str("Doe")),
                ("logins", arr()),
                ("role", Json::str("user")),
                ("private", Json::Bool(true)),
                ("verified", Json::Bool(false)),
                ("archived", Json::Bool(false)),
            ],
            Model::Stream => {
                let mut v = common(!public_streams);
                v.extend([
                    ("name", Json::str("Speckle Stream")),
                    ("description", Json::str("This is a simple speckle stream.")),
                    ("tags", arr()),
                    ("isComputedResult", Json::Bool(false)),
                    ("objects", arr()),
                    ("layers", arr()),
                    ("viewerLayers", arr()),
                    ("parent", Json::Null),
                    ("children", arr()),
                    ("ancestors", arr()),
                    ("deleted", Json::Bool(false)),
                    ("onlineEditable", Json::Bool(false)),
                    ("jobNumber", Json::str("")),
                ]);
                v
            }
            Model::Object => {
                let mut v = common(false);
                v.extend([
                    ("name", Json::Null),
                    ("geometryHash", Json::Null),
                    ("hash", Json::Null),
                    ("applicationId", Json::Null),
                    ("properties", Json::Null),
                    ("deleted", Json::Bool(false)),
                    ("parent", Json::Null),
                    ("children", arr()),
                    ("ancestors", arr()),
                ]);
                v
            }
            Model::Client => {
                let mut v = common(false);
                v.push(("online", Json::Bool(true)));
                v
            }
            Model::Comment => vec![
                ("resource", Json::obj()),
                ("comments", arr()),
                ("flagged", Json::Bool(false)),
                ("closed", Json::Bool(false)),
                ("assignedTo", arr()),
                ("labels", arr()),
            ],
            Model::Project => {
                let mut perms = Map::new();
                perms.insert("canRead".into(), arr());
                perms.insert("canWrite".into(), arr());
                let mut v = vec![("permissions", Json::Obj(perms))];
                v.extend(common(true));
                v.extend([
                    ("name", Json::str("A Simple Speckle Project")),
                    (
                        "description",
                        Json::str(
                            "This is a project, which basically helps you share a set a of streams with a set of users.",
                        ),
                    ),
                    ("tags", arr()),
                    ("streams", arr()),
                    ("deleted", Json::Bool(false)),
                    ("jobNumber", Json::str("")),
                ]);
                v
            }
        }
    }
}

/// Validation failures of one document, worded like mongoose.
#[derive(Debug, Default, Clone)]
pub(crate) struct Invalid {
    pub(crate) errors: Vec<(String, String)>,
}

impl Invalid {
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub(crate) fn push_required(&mut self, path: &str) {
        self.errors
            .push((path.to_string(), format!("Path `{path}` is required.")));
    }

    /// `path: message, path: message`.
    pub(crate) fn details(&self) -> String {
        self.errors
            .iter()
            .map(|(p, m)| format!("{p}: {m}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `<Model> validation failed: path: message` (a document's `save()`).
    pub(crate) fn message(&self, model: Model) -> String {
        format!("{} validation failed: {}", model.name(), self.details())
    }
}

fn cast_fail(kind: &str, v: &Json, path: &str) -> (String, String) {
    let shown = match v {
        Json::Str(s) => s.clone(),
        other => other.to_text(),
    };
    (
        path.to_string(),
        format!("Cast to {kind} failed for value \"{shown}\" at path \"{path}\""),
    )
}

fn cast_str(v: &Json) -> Option<Json> {
    match v {
        Json::Null => Some(Json::Null),
        Json::Str(_) => Some(v.clone()),
        Json::Num(_) | Json::Bool(_) => Some(Json::Str(v.js_string())),
        _ => None,
    }
}

fn cast_bool(v: &Json) -> Option<Json> {
    match v {
        Json::Null => Some(Json::Null),
        Json::Bool(_) => Some(v.clone()),
        Json::Num(n) if *n == 1.0 => Some(Json::Bool(true)),
        Json::Num(n) if *n == 0.0 => Some(Json::Bool(false)),
        Json::Str(s) => match s.as_str() {
            "true" | "1" | "yes" => Some(Json::Bool(true)),
            "false" | "0" | "no" => Some(Json::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

fn cast_id(v: &Json) -> Option<Json> {
    match v {
        Json::Null => Some(Json::Null),
        Json::Str(s) => ids::cast_object_id(s).map(Json::Str),
        // A populated document casts to its _id.
        Json::Obj(m) => m.get("_id").and_then(cast_id),
        _ => None,
    }
}

/// Casts `value` for `key` of `model`; `Err` carries mongoose's message.
pub(crate) fn cast(model: Model, key: &str, value: &Json) -> Result<Json, (String, String)> {
    let Some(ty) = model.ty(key) else {
        return Ok(value.clone());
    };
    let arr = |each: fn(&Json) -> Option<Json>, kind: &str| -> Result<Json, (String, String)> {
        match value {
            Json::Null => Ok(Json::Arr(Vec::new())),
            Json::Arr(items) => items
                .iter()
                .map(|i| each(i).ok_or_else(|| cast_fail(kind, value, key)))
                .collect::<Result<Vec<_>, _>>()
                .map(Json::Arr),
            single => each(single)
                .map(|v| Json::Arr(vec![v]))
                .ok_or_else(|| cast_fail(kind, value, key)),
        }
    };
    match ty {
        Ty::Str => cast_str(value).ok_or_else(|| cast_fail("String", value, key)),
        Ty::Bool => cast_bool(value).ok_or_else(|| cast_fail("Boolean", value, key)),
        Ty::Id => cast_id(value).ok_or_else(|| cast_fail("ObjectId", value, key)),
        Ty::StrArr => arr(cast_str, "[String]"),
        Ty::IdArr => arr(cast_id, "[ObjectId]"),
        Ty::Mixed => Ok(value.clone()),
    }
}

/// Whether a strict model keeps `key`.
pub(crate) fn declared(model: Model, key: &str) -> bool {
    !model.strict() || model.ty(key).is_some() || model.template().contains(&key)
}

/// Keys the timestamps plugin and versioning own; user input never sets them.
pub(crate) fn managed(key: &str) -> bool {
    matches!(key, "createdAt" | "updatedAt" | "__v")
}

/// `new Model(body)`: `_id`, the defaults, then the body's keys (cast).
/// Returns the document and the cast failures (reported on save).
pub(crate) fn new_doc(model: Model, body: &Map, public_streams: bool) -> (Map, Invalid) {
    let mut doc = Map::new();
    let mut invalid = Invalid::default();
    let id = body
        .get("_id")
        .and_then(cast_id)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(ids::object_id);
    doc.insert("_id".into(), Json::Str(id));
    for (k, v) in model.defaults(public_streams) {
        doc.insert(k.to_string(), v);
    }
    set_fields(model, &mut doc, body, &mut invalid);
    (doc, invalid)
}

/// `doc.set(body)`: casts and assigns every declared key.
pub(crate) fn set_fields(model: Model, doc: &mut Map, body: &Map, invalid: &mut Invalid) {
    for (k, v) in body {
        if k == "_id" || managed(k) || !declared(model, k) {
            continue;
        }
        match cast(model, k, v) {
            Ok(cv) => js_set(doc, k.clone(), cv),
            Err(e) => invalid.errors.push(e),
        }
    }
}

/// Appends `createdAt`, `updatedAt` and `__v` like `save()` of a new
/// document, and applies `minimize` as MongoDB stores it.
pub(crate) fn finish_new(doc: &mut Map) {
    let now = ids::now_iso();
    doc.insert("createdAt".into(), Json::Str(now.clone()));
    doc.insert("updatedAt".into(), Json::Str(now));
    doc.insert("__v".into(), Json::Num(0.0));
    minimize(doc);
}

/// A stored document as a mongoose document prints it.
pub(crate) fn hydrated(model: Model, doc: &Map) -> Map {
    let mut out = Map::new();
    for k in model.template() {
        if let Some(v) = doc.get(*k) {
            out.insert((*k).to_string(), v.clone());
        }
    }
    if let Some(id) = doc.get("_id") {
        out.insert("_id".into(), id.clone());
    }
    for (k, v) in doc {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    minimize(&mut out);
    out
}

/// MongoDB's key checks on insert: no key may start with `$` or contain `.`.
pub(crate) fn check_keys(doc: &Map) -> Result<(), String> {
    for (k, child) in doc {
        if k.starts_with('$') {
            return Err(format!("key {k} must not start with '$'"));
        }
        if k.contains('.') {
            return Err(format!("key {k} must not contain '.'"));
        }
        check_value_keys(child)?;
    }
    Ok(())
}

fn check_value_keys(v: &Json) -> Result<(), String> {
    match v {
        Json::Obj(m) => check_keys(m),
        Json::Arr(items) => items.iter().try_for_each(check_value_keys),
        _ => Ok(()),
    }
}

/// The ids in an id list field (`canRead`, `canWrite`, ...), nulls dropped.
pub(crate) fn id_list(doc: &Map, key: &str) -> Vec<String> {
    match doc.get(key) {
        Some(Json::Arr(items)) => items
            .iter()
            .filter_map(|v| match v {
                Json::Str(s) => Some(s.clone()),
                Json::Obj(m) => m.get("_id").and_then(Json::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Bumps `updatedAt` (and `__v` when an array changed), like `save()` of a
/// modified document.
pub(crate) fn touch(doc: &mut Map, array_changed: bool) {
    doc.insert("updatedAt".into(), Json::Str(ids::now_iso()));
    if array_changed {
        bump_version(doc);
    }
}

/// `__v + 1`.
pub(crate) fn bump_version(doc: &mut Map) {
    let v = match doc.get("__v") {
        Some(Json::Num(n)) => *n,
        _ => 0.0,
    };
    doc.insert("__v".into(), Json::Num(v + 1.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn new_stream_has_schema_order_and_hydrates_like_mongoose() {
        let body =
            parse(br#"{"name":"S","baseProperties":{"units":"m"},"extra":1,"tags":"x"}"#).unwrap();
        let (mut doc, invalid) = new_doc(Model::Stream, body.as_obj().unwrap(), true);
        assert!(invalid.is_empty());
        finish_new(&mut doc);
        let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
        assert_eq!(keys.first(), Some(&"_id"));
        assert_eq!(doc.get("tags"), Some(&parse(br#"["x"]"#).unwrap()));
        let h = hydrated(Model::Stream, &doc);
        let hk: Vec<&str> = h.keys().map(String::as_str).collect();
        let id_pos = hk.iter().position(|k| *k == "_id").unwrap();
        assert_eq!(hk.get(id_pos - 1), Some(&"jobNumber"));
        assert_eq!(hk.get(id_pos + 1), Some(&"baseProperties"));
    }

    #[test]
    fn casts_report_mongoose_messages() {
        let body = parse(br#"{"online":"maybe","documentName":5,"bogus":1}"#).unwrap();
        let (doc, invalid) = new_doc(Model::Client, body.as_obj().unwrap(), true);
        assert_eq!(doc.get("documentName"), Some(&Json::str("5")));
        assert!(!doc.contains_key("bogus"));
        assert_eq!(
            invalid.message(Model::Client),
            "UserAppClient validation failed: online: Cast to Boolean failed for value \"maybe\" at path \"online\""
        );
    }

    #[test]
    fn key_checks() {
        assert_eq!(
            check_value_keys(&parse(br#"{"p":{"a.b":1}}"#).unwrap()),
            Err("key a.b must not contain '.'".into())
        );
        assert_eq!(
            check_value_keys(&parse(br#"[{"$x":1}]"#).unwrap()),
            Err("key $x must not start with '$'".into())
        );
    }
}
