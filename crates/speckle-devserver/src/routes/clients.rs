//! `/clients`: the application clients (UserAppClient) bound to streams.
//!
//! Permissions are checked against the client's stream, loaded with only
//! `canRead canWrite owner _id`: without `private`, a public stream's
//! clients are readable by its owner, admins and members only.

use super::{by_id, listed, may, populated_user, query, save, str_of, success, Fail};
use crate::db::{Coll, Db};
use crate::http::{Ctx, Reply};
use crate::json::{js_set, Json, Map};
use crate::model::{self, hydrated, Model};
use crate::perm::{self, Actor, Kind, Op};

/// A client bound to a stream shows in its client list and its deltas, so
/// binding one (`streamId` in a body) needs read access to that stream
/// when it exists (the real server binds to any stream).
fn check_stream_binding(db: &Db, ctx: &Ctx, body: &Map) -> Result<(), Fail> {
    let Some(sid) = body.get("streamId").filter(|v| v.truthy()) else {
        return Ok(());
    };
    match super::stream(db, &sid.js_string())? {
        Some(stream) if !may(ctx, Op::Read, &stream) => {
            Err(Fail::error("You are not authorised to read."))
        }
        _ => Ok(()),
    }
}

/// POST /clients — anonymous callers get a temporary id, nothing is saved.
pub(crate) fn create(db: &mut Db, ctx: &Ctx) -> Reply {
    let body = ctx.body_obj();
    let (mut doc, invalid) = model::new_doc(Model::Client, &body, ctx.settings.public_streams);
    let anonymous = matches!(body.get("isAnonymous"), Some(Json::Bool(true)));
    if ctx.user.is_none() || anonymous {
        let mut resource = Map::new();
        resource.insert(
            "_id".into(),
            Json::Str(format!("temp-{}", str_of(&doc, "_id"))),
        );
        return success(vec![
            ("message", Json::str("Anonymous client created.")),
            ("resource", Json::Obj(resource)),
        ]);
    }
    if !invalid.is_empty() {
        return Reply::fail(
            400,
            format!("ValidationError: {}", invalid.message(Model::Client)),
        );
    }
    if let Err(f) = check_stream_binding(db, ctx, &body) {
        return Reply::fail(400, f.text());
    }
    js_set(&mut doc, "owner".into(), Json::str(ctx.user_id()));
    model::finish_new(&mut doc);
    if let Err(e) = db.insert(Coll::Clients, &doc) {
        return Reply::fail(400, format!("Error: {e}"));
    }
    success(vec![
        ("message", Json::str("Client created.")),
        ("resource", Json::Obj(hydrated(Model::Client, &doc))),
    ])
}

/// GET /clients — the caller's clients; filters are ignored.
pub(crate) fn list(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let uid = ctx.user_id().to_string();
    let docs: Vec<Json> = match db.all(Coll::Clients) {
        Ok(d) => d
            .into_iter()
            .filter(|c| c.get("owner").and_then(Json::as_str) == Some(uid.as_str()))
            .collect(),
        Err(e) => return Reply::fail(400, format!("Error: {e}")),
    };
    let resources = listed(docs, &q, Model::Client)
        .into_iter()
        .map(Json::Obj)
        .collect();
    success(vec![
        ("message", Json::Str(format!("Client list for user {uid}"))),
        ("resources", Json::Arr(resources)),
    ])
}

/// The client, and a check of `op` on its stream.
fn client_and_check(db: &Db, ctx: &Ctx, op: Op, mod_keys: Option<&[String]>) -> Result<Map, Fail> {
    let client =
        by_id(db, Model::Client, ctx.param(0))?.ok_or_else(|| Fail::null_read("streamId"))?;
    // `DataStream.findOne({streamId: client.streamId}, 'canRead canWrite owner _id')`
    let stream = match client.get("streamId") {
        Some(Json::Str(sid)) => super::stream(db, sid)?,
        _ => None,
    }
    .map(|s| {
        s.into_iter()
            .filter(|(k, _)| matches!(k.as_str(), "_id" | "canRead" | "canWrite" | "owner"))
            .collect::<Map>()
    });
    perm::check(
        Actor::of(ctx.user.as_ref()),
        op,
        stream.as_ref(),
        Kind::Other,
        mod_keys,
    )?;
    Ok(client)
}

/// GET /clients/:clientId — owner populated; every failure is a 400.
pub(crate) fn get(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = client_and_check(db, ctx, Op::Read, None).and_then(|client| {
        let mut h = hydrated(Model::Client, &client);
        if let Some(owner) = client.get("owner").and_then(Json::as_str) {
            let populated = populated_user(db, ctx, owner)?.unwrap_or(Json::Null);
            h.insert("owner".into(), populated);
        }
        Ok(h)
    });
    match result {
        Ok(resource) => success(vec![
            ("message", Json::str("Client found.")),
            ("resource", Json::Obj(resource)),
        ]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// PUT /clients/:clientId — `client.set(body).save()`.
pub(crate) fn update(db: &mut Db, ctx: &Ctx) -> Reply {
    let keys = ctx.body_keys();
    let result = client_and_check(db, ctx, Op::Write, Some(&keys)).and_then(|before| {
        check_stream_binding(db, ctx, &ctx.body_obj())?;
        let mut after = before.clone();
        let mut invalid = model::Invalid::default();
        model::set_fields(Model::Client, &mut after, &ctx.body_obj(), &mut invalid);
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Client)));
        }
        save(db, Model::Client, &before, &mut after)
    });
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::Str(format!(
                "Client updated following fields: {}",
                keys.join(",")
            )),
        )]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// DELETE /clients/:clientId — every failure is a 404.
pub(crate) fn delete(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = client_and_check(db, ctx, Op::Write, None).and_then(|client| {
        db.delete(Coll::Clients, str_of(&client, "_id"))?;
        Ok(())
    });
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::str("Client was deleted! Bye bye data."),
        )]),
        Err(f) => Reply::fail(404, f.text()),
    }
}
