//! `/streams`: create, list, get, patch, delete, clone, diff, delta, and a
//! stream's objects and clients.

use std::collections::{HashMap, HashSet};

use super::objects::bulk_save;
use super::{
    check_object_refs, into_map, listed, may, placeholder, populated_user, query, save, str_of,
    success, Fail,
};
use crate::db::{Coll, Db};
use crate::http::{Ctx, Reply};
use crate::ids;
use crate::json::{js_set, Json, Map};
use crate::model::{self, hydrated, Model};
use crate::perm::{self, Actor, Kind, Op};
use crate::q2m::{self, matches, sort_docs, Fields, QVal, Query};

fn actor(ctx: &Ctx) -> Actor<'_> {
    Actor::of(ctx.user.as_ref())
}

/// The ids of `stream.objects` as strings.
fn object_ids(stream: &Map) -> Vec<String> {
    match stream.get("objects") {
        Some(Json::Arr(items)) => items.iter().map(Json::js_string).collect(),
        _ => Vec::new(),
    }
}

/// The placeholder list a stream's `objects` become in every answer.
fn placeholders(stream: &mut Map, id_first: bool) {
    if let Some(Json::Arr(items)) = stream.get_mut("objects") {
        for item in items.iter_mut() {
            let id = std::mem::replace(item, Json::Null);
            *item = if id_first {
                let mut m = Map::new();
                m.insert("_id".into(), Json::Str(id.js_string()));
                m.insert("type".into(), Json::str("Placeholder"));
                Json::Obj(m)
            } else {
                placeholder(Some(id))
            };
        }
    }
}

/// StreamGet's generated layer when a stream has none.
fn default_layer(name: &str, count: usize) -> Json {
    let mut color = Map::new();
    color.insert("a".into(), Json::Num(1.0));
    color.insert("hex".into(), Json::str("Black"));
    let mut props = Map::new();
    props.insert("color".into(), Json::Obj(color));
    let mut l = Map::new();
    l.insert("name".into(), Json::str(name));
    l.insert("guid".into(), Json::Str(ids::uuid_v4()));
    l.insert("orderIndex".into(), Json::Num(0.0));
    l.insert("startIndex".into(), Json::Num(0.0));
    l.insert("objectCount".into(), Json::from(count));
    l.insert("topology".into(), Json::Str(format!("0;0-{count} ")));
    l.insert("properties".into(), Json::Obj(props));
    Json::Obj(l)
}

/// `objects` from a body: `BulkObjectSave` wants an array.
fn body_objects(body: &Map) -> Result<Vec<Json>, Fail> {
    match body.get("objects") {
        None => Ok(Vec::new()),
        Some(v) if !v.truthy() => Ok(Vec::new()),
        Some(Json::Arr(items)) => Ok(items.clone()),
        Some(_) => Err(Fail::type_error("objects.forEach is not a function")),
    }
}

/// The saved objects' ids as `stream.objects` (cast to ObjectIds).
fn ids_of(saved: &[Json]) -> Result<Vec<Json>, Fail> {
    let mut out = Vec::new();
    for o in saved {
        match o.get("_id") {
            None => {}
            Some(id) => match model::cast(Model::Stream, "objects", id) {
                Ok(Json::Arr(mut v)) => out.append(&mut v),
                Ok(_) => {}
                Err(e) => {
                    return Err(Fail::validation(format!(
                        "DataStream validation failed: {}: {}",
                        e.0, e.1
                    )))
                }
            },
        }
    }
    Ok(out)
}

/// POST /streams
pub(crate) fn create(db: &mut Db, ctx: &Ctx) -> Reply {
    match create_stream(db, ctx) {
        Ok(r) => r,
        Err(f) => Reply::fail(400, f.text()),
    }
}

fn create_stream(db: &Db, ctx: &Ctx) -> Result<Reply, Fail> {
    let mut body = ctx.body_obj();
    let objects = body_objects(&body)?;
    let saved = bulk_save(db, objects, ctx.user_id())?;
    let ids = ids_of(&saved)?;
    check_object_refs(db, ctx, &ids)?;
    body.shift_remove("objects");
    let (mut doc, invalid) = model::new_doc(Model::Stream, &body, ctx.settings.public_streams);
    if !invalid.is_empty() {
        return Err(Fail::validation(invalid.message(Model::Stream)));
    }
    js_set(&mut doc, "owner".into(), Json::str(ctx.user_id()));
    js_set(&mut doc, "streamId".into(), Json::Str(new_stream_id(db)?));
    js_set(&mut doc, "objects".into(), Json::Arr(ids));
    model::finish_new(&mut doc);
    model::check_keys(&doc).map_err(Fail::error)?;
    db.insert(Coll::Streams, &doc)?;
    let mut resource = hydrated(Model::Stream, &doc);
    placeholders(&mut resource, false);
    Ok(success(vec![
        ("resource", Json::Obj(resource)),
        ("message", Json::str("Created stream")),
    ]))
}

fn new_stream_id(db: &Db) -> Result<String, Fail> {
    loop {
        let id = ids::short_id();
        if !db.stream_id_taken(&id)? {
            return Ok(id);
        }
    }
}

/// Removes `populatePermissions` from the criteria when its value is
/// truthy (a falsy one stays, and then matches no stream).
fn drop_populate(q: &mut Query) {
    q.criteria.retain(|(k, v)| {
        k != "populatePermissions"
            || !match v {
                QVal::Bool(b) => *b,
                QVal::Num(n) => *n != 0.0 && !n.is_nan(),
                QVal::Str(s) => !s.is_empty(),
                QVal::Null => false,
                _ => true,
            }
    });
}

/// `?populatePermissions` as Express sees it: a non-empty value.
fn populate_requested(raw: &str) -> bool {
    q2m::qs::parse(raw).iter().any(|(k, v)| {
        k == "populatePermissions" && !matches!(v, q2m::qs::Qs::Str(s) if s.is_empty())
    })
}

fn list_streams(
    db: &Db,
    ctx: &Ctx,
    only_mine: bool,
    populate_perms: bool,
) -> Result<Vec<Json>, Reply> {
    let mut q = query(ctx)?;
    drop_populate(&mut q);
    if q.bad_skip() {
        return Err(Reply::fail(400, "Something failed."));
    }
    let uid = ctx.user_id();
    let all = db
        .all(Coll::Streams)
        .map_err(|_| Reply::fail(400, "Something failed."))?;
    let mut docs: Vec<Json> = all
        .into_iter()
        .filter(|s| {
            let Some(m) = s.as_obj() else { return false };
            !only_mine
                || str_of(m, "owner") == uid
                || model::id_list(m, "canWrite").iter().any(|i| i == uid)
                || model::id_list(m, "canRead").iter().any(|i| i == uid)
        })
        .filter(|s| matches(s, &q.criteria))
        .collect();
    sort_docs(&mut docs, &q.sort);
    let mut fields = q.fields.clone();
    if only_mine {
        // populate() adds the populated paths to an inclusive projection.
        if let Some(Fields::Include(f)) = &mut fields {
            for k in ["canRead", "canWrite"] {
                if !f.iter().any(|x| x == k) {
                    f.push(k.into());
                }
            }
        }
    }
    let proj = fields.as_ref().map(q2m::Projection::new);
    let mut out = Vec::new();
    for doc in q.page(docs).into_iter().filter_map(into_map) {
        let doc = proj.as_ref().map(|p| p.apply(&doc)).unwrap_or(doc);
        let mut h = hydrated(Model::Stream, &doc);
        if populate_perms {
            for key in ["canRead", "canWrite"] {
                if h.contains_key(key) {
                    let mut users = Vec::new();
                    for id in model::id_list(&h, key) {
                        if let Ok(Some(u)) = populated_user(db, ctx, &id) {
                            users.push(u);
                        }
                    }
                    h.insert(key.into(), Json::Arr(users));
                }
            }
        }
        placeholders(&mut h, true);
        out.push(Json::Obj(h));
    }
    Ok(out)
}

/// GET /streams — owned and shared streams (public ones are not listed).
pub(crate) fn list(db: &mut Db, ctx: &Ctx) -> Reply {
    let populate = populate_requested(&ctx.query);
    match list_streams(db, ctx, true, populate) {
        Ok(list) => success(vec![
            (
                "message",
                Json::str("Stream list returned. Contains both owned and shared with streams."),
            ),
            ("resources", Json::Arr(list)),
        ]),
        Err(r) => r,
    }
}

/// GET /streams/admin — every stream.
pub(crate) fn admin_list(db: &mut Db, ctx: &Ctx) -> Reply {
    match list_streams(db, ctx, false, false) {
        Ok(list) => success(vec![
            ("message", Json::str("Master stream list returned.")),
            ("resources", Json::Arr(list)),
        ]),
        Err(r) => r,
    }
}

/// GET /streams/:streamId — lean, PrepareQuery projection, default layer.
pub(crate) fn get(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q2m::prepare(q),
        Err(r) => return r,
    };
    let found = match super::stream(db, ctx.param(0)) {
        Ok(s) => s,
        Err(f) => return Reply::fail(404, f.message()),
    };
    let stream = found.map(|s| q.projection().map(|p| p.apply(&s)).unwrap_or(s));
    if let Err(d) = perm::check(actor(ctx), Op::Read, stream.as_ref(), Kind::Other, None) {
        return Reply::fail(d.status_401_or_404(), d.message);
    }
    let Some(mut stream) = stream else {
        return Reply::fail(404, "Resource not found.");
    };
    let no_layers = match stream.get("layers") {
        None | Some(Json::Null) => true,
        Some(Json::Arr(a)) => a.is_empty(),
        Some(Json::Str(s)) => s.is_empty(),
        Some(v) => !v.truthy(),
    };
    if no_layers {
        let layers = match stream.get("objects") {
            Some(v) if v.truthy() => {
                let n = v.as_arr().map_or(0, Vec::len);
                vec![default_layer("Default Generated Speckle Layer", n)]
            }
            _ => Vec::new(),
        };
        js_set(&mut stream, "layers".into(), Json::Arr(layers));
    }
    placeholders(&mut stream, false);
    success(vec![
        ("message", Json::str("Delivered stream.")),
        ("resource", Json::Obj(stream)),
    ])
}

/// PUT /streams/:streamId — every failure is a 400.
pub(crate) fn update(db: &mut Db, ctx: &Ctx) -> Reply {
    let mut body = ctx.body_obj();
    // `if (Object.keys(req.body).indexOf('streamId')) delete req.body.streamId`:
    // kept only when it is the first key.
    if body.get_index_of("streamId").is_some_and(|i| i > 0) {
        body.shift_remove("streamId");
    }
    let keys: Vec<String> = match &ctx.body {
        Json::Obj(_) => body.keys().cloned().collect(),
        _ => ctx.body_keys(),
    };
    match update_stream(db, ctx, &mut body, &keys) {
        Ok(()) => success(vec![(
            "message",
            Json::Str(format!("Patched stream fields: {}", keys.join(","))),
        )]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

fn update_stream(db: &Db, ctx: &Ctx, body: &mut Map, keys: &[String]) -> Result<(), Fail> {
    let found = super::stream(db, ctx.param(0))?;
    perm::check(
        actor(ctx),
        Op::Write,
        found.as_ref(),
        Kind::Other,
        Some(keys),
    )?;
    let Some(before) = found else {
        return Err(Fail::error("Resource not found."));
    };
    // A rename (the real server's quirk) may not take an id in use: two
    // streams with one id would let the newcomer answer for the other.
    if let Some(new_id) = body.get("streamId").map(Json::js_string) {
        if new_id != str_of(&before, "streamId") && db.stream_id_taken(&new_id)? {
            return Err(Fail::error(format!("The stream id {new_id} is taken.")));
        }
    }
    let mut after = before.clone();
    let new_objects = if body.get("objects").is_some_and(Json::truthy) {
        let objects = body_objects(body)?;
        let full: Vec<Json> = objects
            .iter()
            .filter(|o| o.get("type").and_then(Json::as_str) != Some("Placeholder"))
            .cloned()
            .collect();
        Some(if full.is_empty() {
            // All placeholders: mongoose casts each `{type, _id}` to its id.
            ids_of(&objects)?
        } else {
            // Only the newly saved objects remain in the stream.
            ids_of(&bulk_save(db, full, ctx.user_id())?)?
        })
    } else {
        None
    };
    body.shift_remove("objects");
    let mut invalid = model::Invalid::default();
    model::set_fields(Model::Stream, &mut after, body, &mut invalid);
    if !invalid.is_empty() {
        return Err(Fail::validation(invalid.message(Model::Stream)));
    }
    if let Some(ids) = new_objects {
        check_object_refs(db, ctx, &ids)?;
        after.insert("objects".into(), Json::Arr(ids));
    }
    model::check_keys(&after).map_err(Fail::error)?;
    save(db, Model::Stream, &before, &mut after)
}

/// DELETE /streams/:streamId — hard delete of the stream and its children.
pub(crate) fn delete(db: &mut Db, ctx: &Ctx) -> Reply {
    let sid = ctx.param(0).to_string();
    let result = (|| {
        let found = super::stream(db, &sid)?;
        perm::check(actor(ctx), Op::Delete, found.as_ref(), Kind::Other, None)?;
        let children: Vec<String> = match found.as_ref().and_then(|s| s.get("children")) {
            Some(Json::Arr(c)) => c.iter().map(Json::js_string).collect(),
            _ => Vec::new(),
        };
        // Children are named by the parent's writers: delete only those
        // the caller could delete on their own.
        let mut targets = Vec::new();
        for child in children {
            match super::stream(db, &child)? {
                Some(s) if !may(ctx, Op::Delete, &s) => {}
                _ => targets.push(child),
            }
        }
        targets.push(sid.clone());
        db.delete_streams(&targets)?;
        Ok::<_, Fail>(targets)
    })();
    match result {
        Ok(targets) => success(vec![
            (
                "message",
                Json::Str(format!("Stream {sid} and its children have been deleted.")),
            ),
            (
                "deletedStreams",
                Json::Arr(targets.into_iter().map(Json::Str).collect()),
            ),
        ]),
        Err(f) => Reply::fail(404, f.text()),
    }
}

/// Builds and stores a clone of `stream`, pushes it onto the
/// original's children and saves both. Returns (clone, saved original).
fn make_clone(db: &Db, ctx: &Ctx, stream: &Map, name: Option<&Json>) -> Result<(Map, Map), Fail> {
    let mut fields = stream.clone();
    for k in ["_id", "createdAt", "updatedAt", "__v"] {
        fields.shift_remove(k);
    }
    let (mut clone, invalid) = model::new_doc(Model::Stream, &fields, ctx.settings.public_streams);
    if !invalid.is_empty() {
        return Err(Fail::validation(invalid.message(Model::Stream)));
    }
    let clone_id = new_stream_id(db)?;
    clone.insert("streamId".into(), Json::Str(clone_id.clone()));
    clone.insert(
        "parent".into(),
        stream.get("streamId").cloned().unwrap_or(Json::Null),
    );
    clone.insert("children".into(), Json::Arr(Vec::new()));
    let new_name = match name {
        Some(n) if n.truthy() => Json::Str(n.js_string()),
        _ => Json::Str(format!(
            "{} (clone)",
            stream
                .get("name")
                .map(Json::js_string)
                .unwrap_or_else(|| "undefined".into())
        )),
    };
    clone.insert("name".into(), new_name);
    let owner = str_of(stream, "owner").to_string();
    if ctx.user_id() != owner {
        clone.insert("owner".into(), Json::str(ctx.user_id()));
        clone.insert("canRead".into(), Json::Arr(vec![Json::Str(owner)]));
        clone.insert("canWrite".into(), Json::Arr(Vec::new()));
    }
    let mut parent = stream.clone();
    match parent.get_mut("children") {
        Some(Json::Arr(c)) => c.push(Json::Str(clone_id)),
        _ => {
            parent.insert("children".into(), Json::Arr(vec![Json::Str(clone_id)]));
        }
    }
    save(db, Model::Stream, stream, &mut parent)?;
    model::finish_new(&mut clone);
    db.insert(Coll::Streams, &clone)?;
    Ok((clone, parent))
}

/// POST /streams/:streamId/clone
pub(crate) fn clone(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let found = super::stream(db, ctx.param(0))?;
        perm::check(actor(ctx), Op::Read, found.as_ref(), Kind::Other, None)?;
        let stream = found.ok_or_else(|| Fail::error("Database fail."))?;
        let body = ctx.body_obj();
        make_clone(db, ctx, &stream, body.get("name"))
    })();
    match result {
        Ok((clone, parent)) => {
            let strip = |d: &Map| {
                let mut h = hydrated(Model::Stream, d);
                h.shift_remove("objects");
                h.shift_remove("layers");
                Json::Obj(h)
            };
            success(vec![("clone", strip(&clone)), ("parent", strip(&parent))])
        }
        // The handler sends the Error object itself: `{}`.
        Err(_) => Reply::fail(400, Json::obj()),
    }
}

/// Loads both streams of a diff/delta and checks read on each.
fn two_streams(db: &Db, ctx: &Ctx) -> Result<(Map, Map), Fail> {
    let a = super::stream(db, ctx.param(0))?;
    let b = super::stream(db, ctx.param(1))?;
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Fail::error("Failed to find streams."));
    };
    perm::check(actor(ctx), Op::Read, Some(&a), Kind::Other, None)?;
    perm::check(actor(ctx), Op::Read, Some(&b), Kind::Other, None)?;
    Ok((a, b))
}

struct IdSets {
    common: Vec<String>,
    in_a: Vec<String>,
    in_b: Vec<String>,
}

fn id_sets(a: &Map, b: &Map) -> IdSets {
    let oa = object_ids(a);
    let ob = object_ids(b);
    let sa: HashSet<&String> = oa.iter().collect();
    let sb: HashSet<&String> = ob.iter().collect();
    IdSets {
        common: oa.iter().filter(|i| sb.contains(i)).cloned().collect(),
        in_a: oa.iter().filter(|i| !sb.contains(i)).cloned().collect(),
        in_b: ob.iter().filter(|i| !sa.contains(i)).cloned().collect(),
    }
}

fn strs(v: Vec<String>) -> Json {
    Json::Arr(v.into_iter().map(Json::Str).collect())
}

/// GET /streams/:streamId/diff/:otherId — every failure is a 400.
pub(crate) fn diff(db: &mut Db, ctx: &Ctx) -> Reply {
    if ctx.param(0) == ctx.param(1) {
        return Reply::fail(400, "Can not diff the same stream, yo!");
    }
    let (a, b) = match two_streams(db, ctx) {
        Ok(p) => p,
        Err(f) => return Reply::fail(400, f.text()),
    };
    let sets = id_sets(&a, &b);
    let layers = |s: &Map| {
        s.get("layers")
            .and_then(Json::as_arr)
            .cloned()
            .unwrap_or_default()
    };
    let (la, lb) = (layers(&a), layers(&b));
    let guid = |l: &Json| l.get("guid").cloned();
    let has = |list: &[Json], l: &Json| list.iter().any(|o| guid(o) == guid(l));
    // lodash's intersectionWith keeps unique values; differenceWith does not.
    let mut common: Vec<Json> = Vec::new();
    for l in &la {
        if has(&lb, l) && !has(&common, l) {
            common.push(l.clone());
        }
    }
    let in_a: Vec<Json> = la.iter().filter(|l| !has(&lb, l)).cloned().collect();
    let in_b: Vec<Json> = lb.iter().filter(|l| !has(&la, l)).cloned().collect();
    let group = |c: Json, a: Json, b: Json| {
        let mut m = Map::new();
        m.insert("common".into(), c);
        m.insert("inA".into(), a);
        m.insert("inB".into(), b);
        Json::Obj(m)
    };
    success(vec![
        (
            "objects",
            group(strs(sets.common), strs(sets.in_a), strs(sets.in_b)),
        ),
        (
            "layers",
            group(Json::Arr(common), Json::Arr(in_a), Json::Arr(in_b)),
        ),
    ])
}

/// The first client of a stream whose role is "Sender".
fn sender(db: &Db, stream_id: &str) -> Result<Option<Map>, Fail> {
    Ok(db
        .clients_of_stream(stream_id)?
        .into_iter()
        .filter_map(into_map)
        .find(|c| c.get("role").and_then(Json::as_str) == Some("Sender")))
}

fn revision(id: &str, sender: Option<&Map>) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), Json::str(id));
    match sender {
        None => {
            m.insert("updatedAt".into(), Json::str("undefined"));
            m.insert("sender".into(), Json::str("undefined"));
        }
        Some(s) => {
            let when = s
                .get("updatedAt")
                .and_then(Json::as_str)
                .and_then(ids::parse_iso)
                .map(ids::locale_string)
                .unwrap_or_else(|| "Invalid Date".into());
            m.insert("updatedAt".into(), Json::Str(when));
            // An undefined documentType is dropped by JSON.stringify.
            if let Some(t) = s.get("documentType") {
                m.insert("sender".into(), t.clone());
            }
        }
    }
    Json::Obj(m)
}

/// GET /streams/:streamId/delta/:otherId — 200 only when both streams have
/// a Sender client; otherwise 400 with `success: true` and the same body.
pub(crate) fn delta(db: &mut Db, ctx: &Ctx) -> Reply {
    if ctx.param(0) == ctx.param(1) {
        return Reply::fail(400, "Can not diff the same stream, yo!");
    }
    let result = (|| {
        let (a, b) = two_streams(db, ctx)?;
        let sa = sender(db, ctx.param(0))?;
        let sb = sender(db, ctx.param(1))?;
        let author = match &sa {
            Some(s) => populated_user(db, ctx, str_of(s, "owner"))?.unwrap_or(Json::Null),
            None => Json::str("undefined"),
        };
        Ok::<_, Fail>((a, b, sa, sb, author))
    })();
    let (a, b, sa, sb, author) = match result {
        Ok(r) => r,
        Err(f) => return Reply::fail(400, f.text()),
    };
    let sets = id_sets(&a, &b);
    let ph = |v: Vec<String>| {
        Json::Arr(
            v.into_iter()
                .map(|i| placeholder(Some(Json::Str(i))))
                .collect(),
        )
    };
    let now = ids::locale_string(ids::now_ms());
    let mut delta = Map::new();
    delta.insert("created".into(), ph(sets.in_b));
    delta.insert("deleted".into(), ph(sets.in_a));
    delta.insert("common".into(), ph(sets.common));
    delta.insert("revisionA".into(), revision(ctx.param(0), sa.as_ref()));
    delta.insert("revisionB".into(), revision(ctx.param(1), sb.as_ref()));
    delta.insert("timestamp".into(), Json::Str(now.clone()));
    let message = match (&sa, &sb) {
        (None, None) => Some("Clients from Stream A and Stream B are undefined"),
        (None, Some(_)) => Some("Clients from Stream A are undefined"),
        (Some(_), None) => Some("Clients from Stream B are undefined"),
        (Some(_), Some(_)) => None,
    };
    let mut body = Map::new();
    body.insert("success".into(), Json::Bool(true));
    if let Some(m) = message {
        body.insert("message".into(), Json::str(m));
    }
    body.insert("revisionDatetime".into(), Json::Str(now));
    body.insert("author".into(), author);
    body.insert("delta".into(), Json::Obj(delta));
    Reply::Json(if message.is_some() { 400 } else { 200 }, Json::Obj(body))
}

/// POST /streams/:streamId/delta — clones first, then applies. Unlike the
/// real server, the caller must be able to write the stream.
pub(crate) fn delta_apply(db: &mut Db, ctx: &Ctx) -> Reply {
    match apply_delta(db, ctx) {
        Ok(()) => success(vec![("message", Json::str("Applied Delta Δ"))]),
        // `JSON.stringify(err)` of an Error is "{}".
        Err(_) => Reply::fail(400, "{}"),
    }
}

fn apply_delta(db: &Db, ctx: &Ctx) -> Result<(), Fail> {
    let sid = ctx.param(0);
    let stream = super::stream(db, sid)?.ok_or_else(|| Fail::null_read("streamId"))?;
    perm::check(actor(ctx), Op::Write, Some(&stream), Kind::Other, None)?;
    let body = ctx.body_obj();
    let (_, mut stream) = make_clone(db, ctx, &stream, body.get("name"))?;
    let before = stream.clone();
    let rev = body
        .get("revisionA")
        .filter(|v| !matches!(v, Json::Null))
        .ok_or_else(|| Fail::type_error("Cannot read properties of undefined (reading 'id')"))?;
    let rev_id = rev
        .get("id")
        .map(Json::js_string)
        .unwrap_or_else(|| "undefined".into());
    if rev_id != str_of(&stream, "streamId") {
        return Err(Fail::error("Mismatched revision/streamId."));
    }
    let mut objects: Vec<Json> = stream
        .get("objects")
        .and_then(Json::as_arr)
        .cloned()
        .unwrap_or_default();
    let id_text = |o: &Json| o.get("_id").map(Json::js_string);
    if let Some(created) = body.get("created").filter(|v| v.truthy()) {
        let created = created
            .as_arr()
            .cloned()
            .ok_or_else(|| Fail::type_error("created.map is not a function"))?;
        let existing: HashSet<String> = objects.iter().map(Json::js_string).collect();
        if created
            .iter()
            .filter_map(id_text)
            .any(|i| existing.contains(&i))
        {
            return Err(Fail::error(
                "Bad delta. Some `delta.created` objects are existing in the original stream.",
            ));
        }
        let saved = bulk_save(db, created, ctx.user_id())?;
        let ids = ids_of(&saved)?;
        check_object_refs(db, ctx, &ids)?;
        objects.extend(ids);
    }
    if let Some(deleted) = body.get("deleted").filter(|v| v.truthy()) {
        let deleted = deleted
            .as_arr()
            .cloned()
            .ok_or_else(|| Fail::type_error("deleted.filter is not a function"))?;
        let existing: HashSet<String> = objects.iter().map(Json::js_string).collect();
        let gone: HashSet<String> = deleted.iter().filter_map(id_text).collect();
        if deleted
            .iter()
            .any(|d| id_text(d).is_none_or(|i| !existing.contains(&i)))
        {
            return Err(Fail::error(
                "Bad delta. Some `delta.deleted` objects are not existing in the original stream.",
            ));
        }
        objects.retain(|o| !gone.contains(&o.js_string()));
    }
    let n = objects.len();
    stream.insert("objects".into(), Json::Arr(objects));
    stream.insert(
        "layers".into(),
        Json::Arr(vec![default_layer("Flattened Layer Structure", n)]),
    );
    save(db, Model::Stream, &before, &mut stream)
}

/// GET /streams/:streamId/objects — in stream order; every failure is 404.
pub(crate) fn objects(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let result = (|| {
        let found = super::stream(db, ctx.param(0))?;
        perm::check(actor(ctx), Op::Read, found.as_ref(), Kind::Other, None)?;
        let stream = found.unwrap_or_default();
        let stream_owner = str_of(&stream, "owner").to_string();
        let order = object_ids(&stream);
        let mut seen = HashSet::new();
        let unique: Vec<String> = order.iter().filter(|i| seen.insert(*i)).cloned().collect();
        let mut docs: Vec<(i64, Json)> = db
            .objects_by_ids(&unique)?
            .into_iter()
            .filter(|(_, d)| matches(d, &q.criteria))
            // An object the caller cannot read shows only when the stream's
            // owner owns it (it was private, or made private, elsewhere).
            .filter(|(_, d)| {
                d.as_obj()
                    .is_some_and(|o| str_of(o, "owner") == stream_owner || may(ctx, Op::Read, o))
            })
            .collect();
        // MongoDB's natural order first, then the requested sort.
        docs.sort_by_key(|(rowid, _)| *rowid);
        let docs: Vec<Json> = docs.into_iter().map(|(_, d)| d).collect();
        let page: Vec<Map> = listed(docs, &q, Model::Object);
        // Each document is written once; the answer names it as often as
        // the stream does, and is produced as the client reads it.
        let mut parts = Vec::with_capacity(page.len());
        let mut by_id: std::collections::HashMap<String, usize> = HashMap::new();
        for d in page {
            if let Some(i) = d.get("_id").and_then(Json::as_str) {
                by_id.insert(i.to_string(), parts.len());
                parts.push(Json::Obj(d).to_text());
            }
        }
        let order: Vec<usize> = order.iter().filter_map(|i| by_id.get(i).copied()).collect();
        Ok::<_, Fail>((parts, order))
    })();
    match result {
        Ok((parts, order)) => {
            let mut tail = Map::new();
            tail.insert(
                "message".into(),
                Json::str("Object list returned. If querying, duplication of objects in list will not be respected."),
            );
            // `{"success":true,"resources":[` ... `],"message":"..."}`
            let tail = format!("],{}", Json::Obj(tail).to_text().trim_start_matches('{'));
            Reply::Repeated {
                head: "{\"success\":true,\"resources\":[".into(),
                parts,
                order,
                tail,
            }
        }
        Err(f) => Reply::fail(404, f.message()),
    }
}

/// GET /streams/:streamId/clients
pub(crate) fn clients(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let sid = ctx.param(0).to_string();
    let result = (|| {
        let found = super::stream(db, &sid)?;
        perm::check(actor(ctx), Op::Read, found.as_ref(), Kind::Other, None)?;
        let mut criteria = q.criteria.clone();
        criteria.retain(|(k, _)| k != "streamId");
        criteria.push(("streamId".into(), QVal::Str(sid.clone())));
        let docs: Vec<Json> = db
            .all(Coll::Clients)?
            .into_iter()
            .filter(|c| matches(c, &criteria))
            .collect();
        Ok::<_, Fail>(
            listed(docs, &q, Model::Client)
                .into_iter()
                .map(Json::Obj)
                .collect::<Vec<_>>(),
        )
    })();
    match result {
        Ok(list) => success(vec![
            ("resources", Json::Arr(list)),
            (
                "message",
                Json::Str(format!("Client list for stream {sid} returned.")),
            ),
        ]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}
