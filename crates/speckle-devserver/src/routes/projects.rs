//! `/projects`: projects share a set of streams with a set of users.
//!
//! Top-level `canRead`/`canWrite` govern the project itself;
//! `permissions.canRead`/`permissions.canWrite` are propagated to the
//! project's streams.

use super::{by_id, into_map, listed, may, query, save, str_of, success, Fail};
use crate::db::{Coll, Db};
use crate::http::{Ctx, Reply};
use crate::ids::cast_object_id;
use crate::json::{js_set, Json, Map};
use crate::model::{self, hydrated, id_list, Model};
use crate::perm::{self, Actor, Kind, Op};
use crate::q2m::matches;

fn actor(ctx: &Ctx) -> Actor<'_> {
    Actor::of(ctx.user.as_ref())
}

fn perm_list(project: &Map, key: &str) -> Vec<String> {
    project
        .get("permissions")
        .and_then(Json::as_obj)
        .map(|p| id_list(p, key))
        .unwrap_or_default()
}

fn set_perm_list(project: &mut Map, key: &str, ids: Vec<String>) {
    let list = Json::Arr(ids.into_iter().map(Json::Str).collect());
    match project.get_mut("permissions") {
        Some(Json::Obj(p)) => js_set(p, key.into(), list),
        _ => {
            let mut p = Map::new();
            p.insert(key.into(), list);
            project.insert("permissions".into(), Json::Obj(p));
        }
    }
}

fn set_list(doc: &mut Map, key: &str, ids: Vec<String>) {
    doc.insert(
        key.into(),
        Json::Arr(ids.into_iter().map(Json::Str).collect()),
    );
}

fn add(list: &mut Vec<String>, id: &str) -> bool {
    if list.iter().any(|x| x == id) {
        false
    } else {
        list.push(id.to_string());
        true
    }
}

fn streams_of(project: &Map) -> Vec<String> {
    match project.get("streams") {
        Some(Json::Arr(s)) => s.iter().map(Json::js_string).collect(),
        _ => Vec::new(),
    }
}

/// The project, after a check of `op`.
fn checked(db: &Db, ctx: &Ctx, op: Op) -> Result<Map, Fail> {
    checked_keys(db, ctx, op, None)
}

/// The project, after a check of `op` that also refuses protected fields
/// (`owner`, `email`) among `keys` from anyone but the owner or an admin.
fn checked_keys(db: &Db, ctx: &Ctx, op: Op, keys: Option<&[String]>) -> Result<Map, Fail> {
    let found = by_id(db, Model::Project, ctx.param(0))?;
    perm::check(actor(ctx), op, found.as_ref(), Kind::Other, keys)?;
    found.ok_or_else(|| Fail::error("Resource not found."))
}

/// A project's streams are granted to its users, so the caller must be
/// able to write every existing stream a body adds to `streams` (the real
/// server lets anyone list any stream, then grant themselves write).
fn check_new_streams(db: &Db, ctx: &Ctx, before: &[String], body: &Map) -> Result<(), Fail> {
    let Some(Json::Arr(listed)) = body.get("streams") else {
        return Ok(());
    };
    for sid in listed.iter().map(Json::js_string) {
        if before.contains(&sid) {
            continue;
        }
        if let Some(stream) = super::stream(db, &sid)? {
            if !may(ctx, Op::Write, &stream) {
                return Err(Fail::error("You are not authorised to write."));
            }
        }
    }
    Ok(())
}

/// The project's streams the caller may write, loaded: only those get the
/// project's permission changes (a stream listed by a project does not
/// make its collaborators the project's to strip or grant).
fn writable_streams(db: &Db, ctx: &Ctx, project: &Map) -> Result<Vec<(String, Map)>, Fail> {
    let mut out = Vec::new();
    for sid in streams_of(project) {
        if let Some(stream) = super::stream(db, &sid)? {
            if may(ctx, Op::Write, &stream) {
                out.push((sid, stream));
            }
        }
    }
    Ok(out)
}

/// Other projects that contain this stream.
fn other_projects(db: &Db, project_id: &str, stream_id: &str) -> Result<Vec<Map>, Fail> {
    Ok(db
        .all(Coll::Projects)?
        .into_iter()
        .filter_map(into_map)
        .filter(|p| str_of(p, "_id") != project_id && streams_of(p).iter().any(|s| s == stream_id))
        .collect())
}

fn cast_user(raw: &str) -> Result<String, Fail> {
    cast_object_id(raw).ok_or_else(|| Fail::Js {
        name: "CastError",
        message: format!("Cast to ObjectId failed for value \"{raw}\" at path \"canWrite\""),
    })
}

/// POST /projects
pub(crate) fn create(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let body = ctx.body_obj();
        check_new_streams(db, ctx, &[], &body)?;
        let (mut doc, invalid) = model::new_doc(Model::Project, &body, true);
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Project)));
        }
        js_set(&mut doc, "owner".into(), Json::str(ctx.user_id()));
        model::finish_new(&mut doc);
        model::check_keys(&doc).map_err(Fail::error)?;
        db.insert(Coll::Projects, &doc)?;
        Ok(doc)
    })();
    match result {
        Ok(doc) => success(vec![(
            "resource",
            Json::Obj(hydrated(Model::Project, &doc)),
        )]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

fn list_projects(db: &Db, ctx: &Ctx, only_mine: bool) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let uid = ctx.user_id();
    let result = (|| {
        let docs: Vec<Json> = db
            .all(Coll::Projects)?
            .into_iter()
            .filter(|p| {
                let Some(m) = p.as_obj() else { return false };
                !only_mine
                    || str_of(m, "owner") == uid
                    || id_list(m, "canWrite").iter().any(|i| i == uid)
                    || id_list(m, "canRead").iter().any(|i| i == uid)
            })
            .filter(|p| matches(p, &q.criteria))
            .collect();
        Ok::<_, Fail>(
            listed(docs, &q, Model::Project)
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

/// GET /projects — owned, or shared through the top-level lists.
pub(crate) fn list(db: &mut Db, ctx: &Ctx) -> Reply {
    list_projects(db, ctx, true)
}

/// GET /projects/admin
pub(crate) fn admin_list(db: &mut Db, ctx: &Ctx) -> Reply {
    list_projects(db, ctx, false)
}

/// GET /projects/:projectId — projects are private by default.
pub(crate) fn get(db: &mut Db, ctx: &Ctx) -> Reply {
    match checked(db, ctx, Op::Read) {
        Ok(p) => success(vec![("resource", Json::Obj(hydrated(Model::Project, &p)))]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// PUT /projects/:projectId — unlike the real server, `owner` is a
/// protected field here, so a writer cannot make itself the owner.
pub(crate) fn update(db: &mut Db, ctx: &Ctx) -> Reply {
    let keys = ctx.body_keys();
    let result = checked_keys(db, ctx, Op::Write, Some(&keys)).and_then(|before| {
        let body = ctx.body_obj();
        check_new_streams(db, ctx, &streams_of(&before), &body)?;
        let mut after = before.clone();
        let mut invalid = model::Invalid::default();
        model::set_fields(Model::Project, &mut after, &body, &mut invalid);
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Project)));
        }
        model::check_keys(&after).map_err(Fail::error)?;
        save(db, Model::Project, &before, &mut after)
    });
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::Str(format!(
                "Patched {} for {}.",
                super::keys_text(ctx),
                ctx.param(0)
            )),
        )]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// The stream as addstream/removestream load it
/// (`'canRead canWrite name streamId owner'`), checked for write.
fn partial_stream(db: &Db, ctx: &Ctx) -> Result<Map, Fail> {
    let found = super::stream(db, ctx.param(1))?;
    perm::check(actor(ctx), Op::Write, found.as_ref(), Kind::Other, None)?;
    found.ok_or_else(|| Fail::error("Resource not found."))
}

/// The partial stream as the response shows it after `save()`.
fn partial_view(stream: &Map, modified: bool, updated_at: Option<&Json>) -> Json {
    let keep = ["_id", "canRead", "canWrite", "name", "streamId", "owner"];
    let projected: Map = stream
        .iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut h = hydrated(Model::Stream, &projected);
    if modified {
        if let Some(u) = updated_at {
            h.insert("updatedAt".into(), u.clone());
        }
        // `__v` was not selected: the saved copy counts from nothing.
        h.insert("__v".into(), Json::Num(1.0));
    }
    Json::Obj(h)
}

/// Saves only the member lists of a stream (a partially loaded document:
/// `updatedAt` moves, `__v` does not).
fn save_lists(db: &Db, before: &Map, after: &mut Map) -> Result<bool, Fail> {
    if before == after {
        return Ok(false);
    }
    after.insert("updatedAt".into(), Json::Str(crate::ids::now_iso()));
    db.update(Coll::Streams, after)?;
    Ok(true)
}

/// PUT /projects/:projectId/addstream/:streamId — every failure is a 400.
pub(crate) fn add_stream(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let before = checked(db, ctx, Op::Write)?;
        let stream_before = partial_stream(db, ctx)?;
        let mut project = before.clone();
        let mut streams = streams_of(&project);
        add(&mut streams, str_of(&stream_before, "streamId"));
        set_list(&mut project, "streams", streams);
        let owner = str_of(&project, "owner").to_string();
        let mut stream = stream_before.clone();
        let mut read = id_list(&stream, "canRead");
        for id in perm_list(&project, "canRead")
            .into_iter()
            .chain([owner.clone()])
        {
            add(&mut read, &id);
        }
        let mut write = id_list(&stream, "canWrite");
        for id in perm_list(&project, "canWrite").into_iter().chain([owner]) {
            add(&mut write, &id);
        }
        set_list(&mut stream, "canRead", read);
        set_list(&mut stream, "canWrite", write);
        let modified = save_lists(db, &stream_before, &mut stream)?;
        if before != project {
            model::touch(&mut project, true);
            db.update(Coll::Projects, &project)?;
        }
        Ok::<_, Fail>((
            project,
            partial_view(&stream, modified, stream.get("updatedAt")),
        ))
    })();
    match result {
        Ok((project, stream)) => success(vec![
            ("project", Json::Obj(hydrated(Model::Project, &project))),
            ("stream", stream),
        ]),
        Err(f) => Reply::fail(400, f.message()),
    }
}

/// DELETE /projects/:projectId/removestream/:streamId
pub(crate) fn remove_stream(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let before = checked(db, ctx, Op::Write)?;
        let stream_before = partial_stream(db, ctx)?;
        let pid = str_of(&before, "_id").to_string();
        let sid = str_of(&stream_before, "streamId").to_string();
        let mut project = before.clone();
        let streams: Vec<String> = streams_of(&project)
            .into_iter()
            .filter(|s| *s != sid)
            .collect();
        set_list(&mut project, "streams", streams);
        let others = other_projects(db, &pid, &sid)?;
        let granted = |key: &str, user: &str| {
            others
                .iter()
                .any(|o| perm_list(o, key).iter().any(|u| u == user))
        };
        let owner = str_of(&project, "owner").to_string();
        let mut stream = stream_before.clone();
        for (perm_key, list_key) in [("canRead", "canRead"), ("canWrite", "canWrite")] {
            let gone: Vec<String> = perm_list(&project, perm_key)
                .into_iter()
                .filter(|u| *u != owner && !granted(perm_key, u))
                .collect();
            let kept: Vec<String> = id_list(&stream, list_key)
                .into_iter()
                .filter(|u| !gone.contains(u))
                .collect();
            set_list(&mut stream, list_key, kept);
        }
        let modified = save_lists(db, &stream_before, &mut stream)?;
        save(db, Model::Project, &before, &mut project)?;
        Ok::<_, Fail>((
            project,
            partial_view(&stream, modified, stream.get("updatedAt")),
        ))
    })();
    match result {
        Ok((project, stream)) => success(vec![
            ("project", Json::Obj(hydrated(Model::Project, &project))),
            ("stream", stream),
        ]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// `updateMany` over the project's streams: each matched stream gets
/// `updatedAt` whether or not its lists change.
fn update_streams(
    db: &Db,
    ctx: &Ctx,
    project: &Map,
    mut change: impl FnMut(&str, &mut Map),
) -> Result<(), Fail> {
    for (sid, mut s) in writable_streams(db, ctx, project)? {
        change(&sid, &mut s);
        s.insert("updatedAt".into(), Json::Str(crate::ids::now_iso()));
        db.update(Coll::Streams, &s)?;
    }
    Ok(())
}

/// PUT /projects/:projectId/adduser/:userId
pub(crate) fn add_user(db: &mut Db, ctx: &Ctx) -> Reply {
    let raw = ctx.param(1).to_string();
    let result = (|| {
        let mut project = checked(db, ctx, Op::Write)?;
        let uid = cast_user(&raw)?;
        update_streams(db, ctx, &project, |_, s| {
            let mut w = id_list(s, "canWrite");
            add(&mut w, &uid);
            set_list(s, "canWrite", w);
        })?;
        // updateOne with $addToSet: `updatedAt` moves, `__v` does not.
        let mut read = id_list(&project, "canRead");
        add(&mut read, &uid);
        set_list(&mut project, "canRead", read);
        let mut pw = perm_list(&project, "canWrite");
        add(&mut pw, &uid);
        set_perm_list(&mut project, "canWrite", pw);
        project.insert("updatedAt".into(), Json::Str(crate::ids::now_iso()));
        db.update(Coll::Projects, &project)?;
        Ok::<_, Fail>(())
    })();
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::Str(format!(
                "Added user {raw} to project {}'s permission table and updated streams.",
                ctx.param(0)
            )),
        )]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// DELETE /projects/:projectId/removeuser/:userId
pub(crate) fn remove_user(db: &mut Db, ctx: &Ctx) -> Reply {
    let raw = ctx.param(1).to_string();
    let result = (|| {
        let before = checked(db, ctx, Op::Write)?;
        let uid = cast_user(&raw)?;
        let pid = str_of(&before, "_id").to_string();
        let (mut both, mut write_only, mut read_only) = (Vec::new(), Vec::new(), Vec::new());
        for sid in streams_of(&before) {
            let mut stream = super::stream(db, &sid)?.ok_or_else(|| Fail::null_read("canWrite"))?;
            if !may(ctx, Op::Write, &stream) {
                continue;
            }
            let others = other_projects(db, &pid, &sid)?;
            let other_write = others
                .iter()
                .any(|o| perm_list(o, "canWrite").contains(&uid));
            let other_read = others
                .iter()
                .any(|o| perm_list(o, "canRead").contains(&uid));
            let (pull_write, pull_read) = (!other_write, !other_read);
            if pull_write && pull_read {
                both.push(Json::Str(sid.clone()));
            } else if pull_write {
                write_only.push(Json::Str(sid.clone()));
            } else if pull_read {
                read_only.push(Json::Str(sid.clone()));
            }
            let s_before = stream.clone();
            if pull_write {
                let w = id_list(&stream, "canWrite")
                    .into_iter()
                    .filter(|u| *u != uid)
                    .collect();
                set_list(&mut stream, "canWrite", w);
            }
            if pull_read {
                let r = id_list(&stream, "canRead")
                    .into_iter()
                    .filter(|u| *u != uid)
                    .collect();
                set_list(&mut stream, "canRead", r);
            }
            save_lists(db, &s_before, &mut stream)?;
        }
        let mut project = before.clone();
        for key in ["canRead", "canWrite"] {
            let p = perm_list(&project, key)
                .into_iter()
                .filter(|u| *u != uid)
                .collect();
            set_perm_list(&mut project, key, p);
            let t = id_list(&project, key)
                .into_iter()
                .filter(|u| *u != uid)
                .collect();
            set_list(&mut project, key, t);
        }
        save(db, Model::Project, &before, &mut project)?;
        Ok::<_, Fail>((project, both, write_only, read_only))
    })();
    match result {
        Ok((project, both, write_only, read_only)) => success(vec![
            ("project", Json::Obj(hydrated(Model::Project, &project))),
            ("streamsToPullBothFrom", Json::Arr(both)),
            ("streamsToPullWriteFrom", Json::Arr(write_only)),
            ("streamsToPullReadFrom", Json::Arr(read_only)),
        ]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// PUT /projects/:projectId/upgradeuser/:userId
pub(crate) fn upgrade_user(db: &mut Db, ctx: &Ctx) -> Reply {
    let raw = ctx.param(1).to_string();
    let result = (|| {
        let before = checked(db, ctx, Op::Write)?;
        let uid = cast_user(&raw)?;
        update_streams(db, ctx, &before, |_, s| {
            for key in ["canWrite", "canRead"] {
                let mut l = id_list(s, key);
                add(&mut l, &uid);
                set_list(s, key, l);
            }
        })?;
        let mut project = before.clone();
        for key in ["canWrite", "canRead"] {
            let mut l = perm_list(&project, key);
            add(&mut l, &uid);
            set_perm_list(&mut project, key, l);
        }
        project.insert("updatedAt".into(), Json::Str(crate::ids::now_iso()));
        db.update(Coll::Projects, &project)?;
        Ok::<_, Fail>(())
    })();
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::Str(format!("Added user {raw} to read streams.")),
        )]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// PUT /projects/:projectId/downgradeuser/:userId
pub(crate) fn downgrade_user(db: &mut Db, ctx: &Ctx) -> Reply {
    let raw = ctx.param(1).to_string();
    let result = (|| {
        let before = checked(db, ctx, Op::Write)?;
        let uid = cast_user(&raw)?;
        let pid = str_of(&before, "_id").to_string();
        let (mut pull_write, mut add_read) = (Vec::new(), Vec::new());
        for (sid, mut stream) in writable_streams(db, ctx, &before)? {
            let others = other_projects(db, &pid, &sid)?;
            let other_write = others
                .iter()
                .any(|o| perm_list(o, "canWrite").contains(&uid));
            let s_before = stream.clone();
            if !other_write && id_list(&stream, "canWrite").contains(&uid) {
                let w = id_list(&stream, "canWrite")
                    .into_iter()
                    .filter(|u| *u != uid)
                    .collect();
                set_list(&mut stream, "canWrite", w);
                let mut r = id_list(&stream, "canRead");
                add(&mut r, &uid);
                set_list(&mut stream, "canRead", r);
                pull_write.push(Json::Str(sid.clone()));
            } else if id_list(&stream, "canRead").contains(&uid) {
                add_read.push(Json::Str(sid.clone()));
            }
            save_lists(db, &s_before, &mut stream)?;
        }
        let mut project = before.clone();
        let w = perm_list(&project, "canWrite")
            .into_iter()
            .filter(|u| *u != uid)
            .collect();
        set_perm_list(&mut project, "canWrite", w);
        let mut r = perm_list(&project, "canRead");
        add(&mut r, &uid);
        set_perm_list(&mut project, "canRead", r);
        save(db, Model::Project, &before, &mut project)?;
        Ok::<_, Fail>((project, pull_write, add_read))
    })();
    match result {
        Ok((project, pull_write, add_read)) => success(vec![
            ("project", Json::Obj(hydrated(Model::Project, &project))),
            ("streamsToAddReadAndPullWrite", Json::Arr(pull_write)),
            ("streamsToAddToRead", Json::Arr(add_read)),
        ]),
        Err(f) => Reply::fail(f.status_401_or_404(), f.message()),
    }
}

/// DELETE /projects/:projectId — failures send the Error object: `{}`.
pub(crate) fn delete(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = (|| {
        let project = checked(db, ctx, Op::Delete)?;
        let pid = str_of(&project, "_id").to_string();
        let mut modified = Vec::new();
        for (sid, mut stream) in writable_streams(db, ctx, &project)? {
            let others = other_projects(db, &pid, &sid)?;
            let s_before = stream.clone();
            for key in ["canRead", "canWrite"] {
                let gone: Vec<String> = perm_list(&project, key)
                    .into_iter()
                    .filter(|u| !others.iter().any(|o| perm_list(o, key).contains(u)))
                    .collect();
                let kept = id_list(&stream, key)
                    .into_iter()
                    .filter(|u| !gone.contains(u))
                    .collect();
                set_list(&mut stream, key, kept);
            }
            if save_lists(db, &s_before, &mut stream)? {
                modified.push(Json::Str(sid));
            }
        }
        db.delete(Coll::Projects, &pid)?;
        Ok::<_, Fail>(modified)
    })();
    match result {
        Ok(modified) => success(vec![
            ("message", Json::str("Project was permanently deleted.")),
            ("modifiedStreams", Json::Arr(modified)),
        ]),
        Err(_) => Reply::fail(400, Json::obj()),
    }
}
