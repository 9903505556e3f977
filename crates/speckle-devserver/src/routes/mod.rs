//! Route handlers, one file per resource, each following the real server's
//! handler: same checks in the same order, same messages, same statuses.

pub(crate) mod accounts;
pub(crate) mod clients;
pub(crate) mod comments;
pub(crate) mod objects;
pub(crate) mod projects;
pub(crate) mod server;
pub(crate) mod streams;

use crate::db::{Db, DbError};
use crate::http::{html, Ctx, Reply};
use crate::ids::cast_object_id;
use crate::json::{Json, Map};
use crate::model::{self, Model};
use crate::perm::Denied;
use crate::q2m::{self, Query};

/// A failure inside a handler, as the JavaScript error it would be.
#[derive(Debug)]
pub(crate) enum Fail {
    /// An `Error` subclass: `name` and `message`.
    Js { name: &'static str, message: String },
    /// Storage trouble.
    Db(DbError),
}

impl Fail {
    pub(crate) fn error(message: impl Into<String>) -> Fail {
        Fail::Js {
            name: "Error",
            message: message.into(),
        }
    }

    pub(crate) fn type_error(message: impl Into<String>) -> Fail {
        Fail::Js {
            name: "TypeError",
            message: message.into(),
        }
    }

    /// Reading a property of a missing document.
    pub(crate) fn null_read(prop: &str) -> Fail {
        Fail::type_error(format!("Cannot read properties of null (reading '{prop}')"))
    }

    /// mongoose's CastError for an `_id`.
    pub(crate) fn cast(value: &str, model: Model) -> Fail {
        Fail::Js {
            name: "CastError",
            message: format!(
                "Cast to ObjectId failed for value \"{value}\" at path \"_id\" for model \"{}\"",
                model.name()
            ),
        }
    }

    /// A document's ValidationError.
    pub(crate) fn validation(message: String) -> Fail {
        Fail::Js {
            name: "ValidationError",
            message,
        }
    }

    /// `err.toString()`.
    pub(crate) fn text(&self) -> String {
        match self {
            Fail::Js { name, message } => format!("{name}: {message}"),
            Fail::Db(e) => format!("Error: {e}"),
        }
    }

    /// `err.message`.
    pub(crate) fn message(&self) -> String {
        match self {
            Fail::Js { message, .. } => message.clone(),
            Fail::Db(e) => e.to_string(),
        }
    }

    /// `err.message.indexOf('authorised') >= 0 ? 401 : 404`.
    pub(crate) fn status_401_or_404(&self) -> u16 {
        if self.message().contains("authorised") {
            401
        } else {
            404
        }
    }
}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        Fail::Db(e)
    }
}

impl From<Denied> for Fail {
    fn from(d: Denied) -> Self {
        if d.type_error {
            Fail::type_error(d.message)
        } else {
            Fail::error(d.message)
        }
    }
}

/// `{success: true, ...fields}`.
pub(crate) fn success(fields: Vec<(&str, Json)>) -> Reply {
    let mut m = Map::new();
    m.insert("success".into(), Json::Bool(true));
    for (k, v) in fields {
        m.insert(k.to_string(), v);
    }
    Reply::ok(Json::Obj(m))
}

/// `{type: "Placeholder", _id}` (`_id` left out when undefined, as
/// JSON.stringify does).
pub(crate) fn placeholder(id: Option<Json>) -> Json {
    let mut m = Map::new();
    m.insert("type".into(), Json::str("Placeholder"));
    if let Some(id) = id {
        m.insert("_id".into(), id);
    }
    Json::Obj(m)
}

/// q2m, or Express's 500 page when it throws.
pub(crate) fn query(ctx: &Ctx) -> Result<Query, Reply> {
    q2m::q2m(&ctx.query).map_err(|e| html::crash(&e.js_text()))
}

/// A document by `_id` (path parameter): cast first, like mongoose.
pub(crate) fn by_id(db: &Db, model: Model, raw: &str) -> Result<Option<Map>, Fail> {
    let id = cast_object_id(raw).ok_or_else(|| Fail::cast(raw, model))?;
    Ok(db.get(model.coll(), &id)?.and_then(into_map))
}

/// A stream by streamId.
pub(crate) fn stream(db: &Db, stream_id: &str) -> Result<Option<Map>, Fail> {
    Ok(db.stream(stream_id)?.and_then(into_map))
}

/// What q2m does to a list once the criteria matched: sort, skip/limit and
/// project; the documents then get their model's defaults.
pub(crate) fn listed(
    mut docs: Vec<Json>,
    q: &crate::q2m::Query,
    model: crate::model::Model,
) -> Vec<Map> {
    crate::q2m::sort_docs(&mut docs, &q.sort);
    let projection = q.projection();
    q.page(docs)
        .into_iter()
        .filter_map(into_map)
        .map(|doc| {
            let doc = projection.as_ref().map(|p| p.apply(&doc)).unwrap_or(doc);
            crate::model::hydrated(model, &doc)
        })
        .collect()
}

pub(crate) fn into_map(v: Json) -> Option<Map> {
    match v {
        Json::Obj(m) => Some(m),
        _ => None,
    }
}

pub(crate) fn str_of<'a>(m: &'a Map, key: &str) -> &'a str {
    m.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// Saves a modified existing document the way `doc.save()` does: bumps
/// `updatedAt` when something changed, `__v` when an array changed, and
/// (for a document that was loaded whole) stores the defaults mongoose
/// applied on load.
pub(crate) fn save(db: &Db, model: Model, before: &Map, after: &mut Map) -> Result<(), Fail> {
    if model == Model::Stream {
        for key in ["baseProperties", "globalMeasures"] {
            if !after.contains_key(key) {
                after.insert(key.into(), Json::obj());
            }
        }
    }
    let changed = before != after;
    if changed {
        let array_changed = after
            .iter()
            .any(|(k, v)| matches!(v, Json::Arr(_)) && before.get(k) != Some(v))
            || before
                .iter()
                .any(|(k, v)| matches!(v, Json::Arr(_)) && !after.contains_key(k));
        model::touch(after, array_changed);
    }
    db.update(model.coll(), after)?;
    Ok(())
}

/// A populated user (`{name, surname, _id, email, company}` in mongoose
/// order); `None` when the user does not exist. The e-mail is shown only
/// to that user, to admins, or when the server exposes e-mails (the real
/// server shows it to anyone who can see the populated field).
pub(crate) fn populated_user(db: &Db, ctx: &Ctx, id: &str) -> Result<Option<Json>, Fail> {
    let viewer_is_admin = ctx
        .user
        .as_ref()
        .and_then(|u| u.get("role"))
        .and_then(Json::as_str)
        == Some("admin");
    let show_email = ctx.settings.expose_emails || viewer_is_admin || ctx.user_id() == id;
    let Some(user) = cast_object_id(id)
        .map(|i| db.get(crate::db::Coll::Users, &i))
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(user.and_then(into_map).map(|u| {
        let mut out = Map::new();
        for k in ["name", "surname", "_id", "email", "company"] {
            if k == "email" && !show_email {
                continue;
            }
            if let Some(v) = u.get(k) {
                out.insert(k.into(), v.clone());
            }
        }
        Json::Obj(out)
    }))
}

/// The keys of a body, `Object.keys(body).toString()`.
pub(crate) fn keys_text(ctx: &Ctx) -> String {
    ctx.body_keys().join(",")
}

/// Checks that the caller may read every existing object among `ids`
/// before they are put in a stream: a stream's readers see its objects,
/// so listing an object there must not reach further than the caller's
/// own read right (the real server checks nothing, and object ids are
/// sequential). Unknown ids pass, as placeholders always did.
pub(crate) fn check_object_refs(db: &Db, ctx: &Ctx, ids: &[Json]) -> Result<(), Fail> {
    let actor = crate::perm::Actor::of(ctx.user.as_ref());
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = ids
        .iter()
        .map(Json::js_string)
        .filter(|id| seen.insert(id.clone()))
        .collect();
    for (id, access) in unique.iter().zip(db.objects_access(&unique)?) {
        let Some(access) = access else {
            continue;
        };
        if access.public || access.owner.as_deref() == Some(ctx.user_id()) {
            continue;
        }
        let doc = db.get(crate::db::Coll::Objects, id)?.and_then(into_map);
        crate::perm::check(
            actor,
            crate::perm::Op::Read,
            doc.as_ref(),
            crate::perm::Kind::Other,
            None,
        )?;
    }
    Ok(())
}

/// Whether `ctx`'s caller may do `op` on `resource` (one another resource
/// names: a project's streams, a stream's children or objects).
pub(crate) fn may(ctx: &Ctx, op: crate::perm::Op, resource: &Map) -> bool {
    crate::perm::check(
        crate::perm::Actor::of(ctx.user.as_ref()),
        op,
        Some(resource),
        crate::perm::Kind::Other,
        None,
    )
    .is_ok()
}
