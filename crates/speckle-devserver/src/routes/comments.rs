//! `/comments`: comments on streams, objects, projects and other comments.
//!
//! Comments have no member lists, so PermissionCheck crashes (404) for
//! anyone but the comment's owner or an admin, as on the real server.

use super::{by_id, into_map, listed, query, save, str_of, success, Fail};
use crate::db::{Coll, Db};
use crate::http::{html, Ctx, Reply};
use crate::json::{js_set, Json, Map};
use crate::model::{self, hydrated, Model};
use crate::perm::{self, Actor, Kind, Op};
use crate::q2m::{matches, QVal};

fn actor(ctx: &Ctx) -> Actor<'_> {
    Actor::of(ctx.user.as_ref())
}

/// GetResourceByType: the commented resource, by its URL type.
fn target(db: &Db, kind: &str, id: &str) -> Result<Option<(Model, Map)>, Fail> {
    let model = match kind {
        "stream" | "streams" => {
            return Ok(super::stream(db, id)?.map(|s| (Model::Stream, s)));
        }
        "object" | "objects" => Model::Object,
        "project" | "projects" => Model::Project,
        "comment" | "comments" => Model::Comment,
        "user" => Model::User,
        _ => {
            return Err(Fail::type_error(
                "Cannot read properties of undefined (reading 'findOne')",
            ))
        }
    };
    Ok(by_id(db, model, id)?.map(|d| (model, d)))
}

fn kind_of(model: Model) -> Kind {
    if model == Model::User {
        Kind::User
    } else {
        Kind::Other
    }
}

/// GET /comments — the caller's own and assigned comments, with q2m.
pub(crate) fn list(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let uid = ctx.user_id().to_string();
    let result = (|| {
        let docs: Vec<Json> = db
            .all(Coll::Comments)?
            .into_iter()
            .filter(|c| {
                c.get("owner").and_then(Json::as_str) == Some(uid.as_str())
                    || c.as_obj()
                        .is_some_and(|m| model::id_list(m, "assignedTo").contains(&uid))
            })
            .filter(|c| matches(c, &q.criteria))
            .collect();
        Ok::<_, Fail>(
            listed(docs, &q, Model::Comment)
                .into_iter()
                .map(Json::Obj)
                .collect::<Vec<_>>(),
        )
    })();
    match result {
        Ok(list) => success(vec![("resources", Json::Arr(list))]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// GET /comments/assigned
pub(crate) fn assigned(db: &mut Db, ctx: &Ctx) -> Reply {
    let uid = ctx.user_id().to_string();
    let criteria = vec![("assignedTo".to_string(), QVal::Str(uid))];
    match db.all(Coll::Comments) {
        Ok(all) => success(vec![(
            "resources",
            Json::Arr(
                all.into_iter()
                    .filter(|c| matches(c, &criteria))
                    .filter_map(into_map)
                    .map(|c| Json::Obj(hydrated(Model::Comment, &c)))
                    .collect(),
            ),
        )]),
        Err(e) => Reply::fail(404, e.to_string()),
    }
}

/// POST /comments/:resourceType/:resourceId
pub(crate) fn create(db: &mut Db, ctx: &Ctx) -> Reply {
    let kind = ctx.param(0).to_string();
    let id = ctx.param(1).to_string();
    let result = (|| {
        let found = target(db, &kind, &id)?;
        let (model, resource) = match found {
            Some((m, r)) => (Some(m), Some(r)),
            None => (None, None),
        };
        let k = model.map_or(Kind::Other, kind_of);
        perm::check(actor(ctx), Op::Comment, resource.as_ref(), k, None)?;
        let (Some(model), Some(before)) = (model, resource) else {
            return Err(Fail::error("Resource not found."));
        };
        let (mut comment, invalid) = model::new_doc(Model::Comment, &ctx.body_obj(), true);
        let comment_id = str_of(&comment, "_id").to_string();
        // The target is saved with the new id before the comment is
        // validated, so a failing comment leaves a dangling id behind.
        let mut after = before.clone();
        match after.get_mut("comments") {
            Some(Json::Arr(c)) => c.push(Json::Str(comment_id)),
            _ => {
                return Err(Fail::type_error(
                    "Cannot read properties of undefined (reading 'push')",
                ))
            }
        }
        save(db, model, &before, &mut after)?;
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Comment)));
        }
        if !comment
            .get("text")
            .is_some_and(|t| !matches!(t, Json::Null) && t != &Json::str(""))
        {
            let mut inv = model::Invalid::default();
            inv.push_required("text");
            return Err(Fail::validation(inv.message(Model::Comment)));
        }
        let mut res = Map::new();
        res.insert("resourceType".into(), Json::Str(kind.clone()));
        res.insert("resourceId".into(), Json::Str(id.clone()));
        comment.insert("resource".into(), Json::Obj(res));
        if !comment.contains_key("otherResources") {
            comment.insert("otherResources".into(), Json::Arr(Vec::new()));
        }
        let owner = match &ctx.user {
            Some(_) => Json::str(ctx.user_id()),
            None => Json::Null,
        };
        js_set(&mut comment, "owner".into(), owner);
        model::finish_new(&mut comment);
        db.insert(Coll::Comments, &comment)?;
        Ok(comment)
    })();
    match result {
        Ok(c) => success(vec![
            (
                "message",
                Json::str("Stop talking and chatting and do some work."),
            ),
            ("resource", Json::Obj(hydrated(Model::Comment, &c))),
        ]),
        Err(Fail::Js {
            name: "TypeError",
            message,
        }) if message.contains("'findOne'") => {
            // An unknown resource type throws before any promise: a 500.
            html::crash(&format!("TypeError: {message}"))
        }
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// GET /comments/:resourceType/:resourceId — the target's comments.
pub(crate) fn of_resource(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let found = target(db, ctx.param(0), ctx.param(1))?;
        let k = found.as_ref().map_or(Kind::Other, |(m, _)| kind_of(*m));
        let model = found.as_ref().map(|(m, _)| *m);
        let resource = found.map(|(_, r)| r);
        perm::check(actor(ctx), Op::Read, resource.as_ref(), k, None)?;
        let resource = resource.unwrap_or_default();
        let Some(Json::Arr(ids)) = resource.get("comments") else {
            // Users have no comments: `resources` is undefined, so absent.
            return Ok(None);
        };
        let own_key = match model {
            Some(Model::Stream) => str_of(&resource, "streamId"),
            _ => str_of(&resource, "_id"),
        };
        let mut list = Vec::new();
        for id in ids {
            if let Some(c) = db.get(Coll::Comments, &id.js_string())?.and_then(into_map) {
                // A writer can put any comment id in `comments`: show only
                // comments made on this resource (the real server shows
                // whatever the list names, comments are private otherwise).
                if is_about(&c, own_key) {
                    list.push(Json::Obj(hydrated(Model::Comment, &c)));
                }
            }
        }
        Ok::<_, Fail>(Some(list))
    })();
    match result {
        Ok(Some(list)) => success(vec![("resources", Json::Arr(list))]),
        Ok(None) => success(vec![]),
        Err(Fail::Js {
            name: "TypeError",
            message,
        }) if message.contains("'findOne'") => html::crash(&format!("TypeError: {message}")),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// Whether a comment was made on the resource whose streamId or `_id` is
/// `key` (its `resource.resourceId`, as the URL gave it).
fn is_about(comment: &Map, key: &str) -> bool {
    let Some(rid) = comment
        .get("resource")
        .and_then(|r| r.get("resourceId"))
        .map(Json::js_string)
    else {
        return false;
    };
    rid == key || crate::ids::cast_object_id(&rid).as_deref() == Some(key)
}

fn checked(db: &Db, ctx: &Ctx, op: Op, keys: Option<&[String]>) -> Result<Map, Fail> {
    let found = by_id(db, Model::Comment, ctx.param(0))?;
    perm::check(actor(ctx), op, found.as_ref(), Kind::Other, keys)?;
    found.ok_or_else(|| Fail::error("Resource not found."))
}

/// GET /comments/:commentId
pub(crate) fn get(db: &mut Db, ctx: &Ctx) -> Reply {
    match checked(db, ctx, Op::Read, None) {
        Ok(c) => success(vec![("resource", Json::Obj(hydrated(Model::Comment, &c)))]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// PUT /comments/:commentId
pub(crate) fn update(db: &mut Db, ctx: &Ctx) -> Reply {
    let keys = ctx.body_keys();
    let result = checked(db, ctx, Op::Write, Some(&keys)).and_then(|before| {
        let mut after = before.clone();
        let mut invalid = model::Invalid::default();
        model::set_fields(Model::Comment, &mut after, &ctx.body_obj(), &mut invalid);
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Comment)));
        }
        save(db, Model::Comment, &before, &mut after)
    });
    match result {
        Ok(()) => success(vec![
            ("message", Json::str("Comment edited")),
            (
                "fields",
                Json::Arr(keys.into_iter().map(Json::Str).collect()),
            ),
        ]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// DELETE /comments/:commentId — the parent's list is left as it is.
pub(crate) fn delete(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = checked(db, ctx, Op::Delete, None).and_then(|c| {
        db.delete(Coll::Comments, str_of(&c, "_id"))?;
        Ok(())
    });
    match result {
        Ok(()) => success(vec![("message", Json::str("Comment deleted."))]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}
