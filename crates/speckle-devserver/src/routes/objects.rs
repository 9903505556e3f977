//! `/objects`: bulk save with hash deduplication, derive, get, getbulk,
//! update, properties, delete.

use std::collections::HashMap;
use std::sync::Arc;

use md5::{Digest, Md5};

use super::{by_id, into_map, placeholder, query, save, str_of, success, Fail};
use crate::db::{Busy, Coll, Db, DbError, Store};
use crate::http::{Ctx, Reply};
use crate::ids::cast_object_id;
use crate::json::{js_set, minimize, Json, Map};
use crate::model::{self, hydrated, Model};
use crate::perm::{self, Actor, Kind, Op};
use crate::q2m::{self, matches};

/// `crypto.createHash('md5').update(text).digest('hex')`.
pub(crate) fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_placeholder(o: &Json) -> bool {
    o.get("type").and_then(Json::as_str) == Some("Placeholder")
}

/// BulkObjectSave: hashes what has no hash, maps every object whose
/// hash already exists among the caller's own objects to that object,
/// inserts the rest in one go, and returns the input with `_id`s, in input
/// order.
pub(crate) fn bulk_save(db: &Db, objects: Vec<Json>, user_id: &str) -> Result<Vec<Json>, Fail> {
    bulk_save_counted(db, objects, user_id).map(|(saved, _)| saved)
}

/// [`bulk_save`], and how many new objects it inserted.
fn bulk_save_counted(
    db: &Db,
    mut objects: Vec<Json>,
    user_id: &str,
) -> Result<(Vec<Json>, usize), Fail> {
    for o in objects.iter_mut() {
        match o {
            Json::Obj(m) => {
                let has_hash = m.get("hash").is_some_and(Json::truthy);
                let placeholder = m.get("type").and_then(Json::as_str) == Some("Placeholder");
                if !has_hash && !placeholder {
                    // md5 of the object exactly as received (key order,
                    // JavaScript number formatting, a client `_id` included).
                    let h = md5_hex(&crate::json::map_text(m));
                    js_set(m, "hash".into(), Json::Str(h));
                } else if has_hash {
                    if let Some(h) = m.get_mut("hash") {
                        if !matches!(h, Json::Str(_)) {
                            *h = Json::Str(h.js_string());
                        }
                    }
                }
            }
            Json::Null => return Err(Fail::null_read("hash")),
            _ => {}
        }
    }
    if objects.is_empty() || objects.iter().all(is_placeholder) {
        return Ok((objects, 0));
    }
    // Deduplication against the caller's own objects only (the real
    // server matches anyone's, so a planted hash hijacks uploads).
    let hashes: Vec<&str> = objects
        .iter()
        .filter_map(|o| o.get("hash").and_then(Json::as_str))
        .collect();
    let known = db.object_ids_by_hashes(&hashes, user_id)?;
    for o in objects.iter_mut() {
        let Json::Obj(m) = o else { continue };
        let found = m
            .get("hash")
            .and_then(Json::as_str)
            .and_then(|h| known.get(h))
            .cloned();
        if let Some(id) = found {
            js_set(m, "_id".into(), Json::Str(id));
        }
    }
    // What is left without an `_id` is new: build and validate every
    // document before inserting any (insertMany is all or nothing here).
    let mut docs = Vec::new();
    for o in objects.iter_mut() {
        if o.get("_id").is_some() {
            continue;
        }
        let Json::Obj(m) = o else {
            return Err(Fail::Js {
                name: "ObjectParameterError",
                message: format!(
                    "Parameter \"obj\" to Document() must be an object, got {}",
                    o.js_string()
                ),
            });
        };
        js_set(m, "owner".into(), Json::str(user_id));
        let (mut doc, mut invalid) = model::new_doc(Model::Object, m, true);
        for key in ["type", "hash"] {
            if matches!(doc.get(key), None | Some(Json::Null))
                || doc.get(key) == Some(&Json::str(""))
            {
                invalid.push_required(key);
            }
        }
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.details()));
        }
        doc.insert("__v".into(), Json::Num(0.0));
        let now = crate::ids::now_iso();
        doc.insert("createdAt".into(), Json::Str(now.clone()));
        doc.insert("updatedAt".into(), Json::Str(now));
        minimize(&mut doc);
        docs.push(doc);
    }
    for doc in &docs {
        model::check_keys(doc).map_err(Fail::error)?;
    }
    db.insert_objects(&docs)?;
    let mut inserted: HashMap<String, String> = HashMap::new();
    for doc in &docs {
        if let (Some(Json::Str(h)), Some(Json::Str(id))) = (doc.get("hash"), doc.get("_id")) {
            inserted.insert(h.clone(), id.clone());
        }
    }
    for o in objects.iter_mut() {
        let Json::Obj(m) = o else { continue };
        if let Some(Json::Str(h)) = m.get("hash") {
            if let Some(id) = inserted.get(h) {
                let id = id.clone();
                js_set(m, "_id".into(), Json::Str(id));
            }
        }
    }
    Ok((objects, docs.len()))
}

fn placeholders_of(saved: &[Json]) -> Json {
    Json::Arr(
        saved
            .iter()
            .map(|o| placeholder(o.get("_id").cloned()))
            .collect(),
    )
}

/// POST /objects — one object or an array.
pub(crate) fn create(db: &mut Db, ctx: &Ctx) -> Reply {
    let objects = match &ctx.body {
        Json::Arr(a) => a.clone(),
        other => vec![other.clone()],
    };
    match bulk_save_counted(db, objects, ctx.user_id()) {
        Ok((saved, inserted)) => {
            // Test-only costs: they hold the storage thread, as the real
            // server's bulk save holds its one worker.
            if let Some(cost) = &ctx.settings.quadratic_save_cost {
                std::thread::sleep(cost.of(inserted));
            }
            if inserted > 0 && !ctx.settings.fixed_save_cost.is_zero() {
                std::thread::sleep(ctx.settings.fixed_save_cost);
            }
            success(vec![
                ("message", Json::str("Saved objects to database.")),
                ("resources", placeholders_of(&saved)),
            ])
        }
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// lodash.merge: deep, arrays merged index by index, undefined skipped.
fn deep_merge(dst: &mut Json, src: &Json) {
    match (dst, src) {
        (Json::Obj(d), Json::Obj(s)) => {
            for (k, v) in s {
                match d.get_mut(k) {
                    Some(existing) if matches!(v, Json::Obj(_) | Json::Arr(_)) => {
                        deep_merge(existing, v)
                    }
                    _ => js_set(d, k.clone(), v.clone()),
                }
            }
        }
        (Json::Arr(d), Json::Arr(s)) => {
            for (i, v) in s.iter().enumerate() {
                match d.get_mut(i) {
                    Some(existing) if matches!(v, Json::Obj(_) | Json::Arr(_)) => {
                        deep_merge(existing, v)
                    }
                    Some(existing) => *existing = v.clone(),
                    None => d.push(v.clone()),
                }
            }
        }
        (d, s) => *d = s.clone(),
    }
}

/// POST /objects/derive — copies with deep-merged overrides.
pub(crate) fn derive(db: &mut Db, ctx: &Ctx) -> Reply {
    let Json::Arr(items) = &ctx.body else {
        return Reply::fail(400, "Malformed request.");
    };
    let result = (|| {
        let mut originals: Vec<(i64, Map)> = Vec::new();
        let mut wanted = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for item in items {
            let raw = item
                .get("_id")
                .map(Json::js_string)
                .unwrap_or_else(|| "undefined".into());
            let id = cast_object_id(&raw).ok_or_else(|| Fail::cast(&raw, Model::Object))?;
            // `find({_id: {$in: ids}})` finds each object once, however
            // often it is named: no copies multiply in memory.
            if seen.insert(id.clone()) {
                wanted.push(id);
            }
        }
        for (rowid, doc) in db.objects_by_ids(&wanted)? {
            if let Some(m) = into_map(doc) {
                originals.push((rowid, m));
            }
        }
        originals.sort_by_key(|(r, _)| *r);
        let actor = Actor::of(ctx.user.as_ref());
        let mut derived = Vec::new();
        for (_, original) in originals {
            if perm::check(actor, Op::Read, Some(&original), Kind::Other, None).is_err() {
                continue;
            }
            let id = str_of(&original, "_id").to_string();
            let Some(over) = items
                .iter()
                .find(|i| i.get("_id").map(Json::js_string).as_deref() == Some(id.as_str()))
            else {
                continue;
            };
            let mut merged = Json::Obj(original.clone());
            deep_merge(&mut merged, over);
            if let Json::Obj(m) = &mut merged {
                for k in ["hash", "_id", "createdAt"] {
                    m.shift_remove(k);
                }
            }
            derived.push(merged);
        }
        bulk_save(db, derived, ctx.user_id())
    })();
    match result {
        Ok(saved) => success(vec![
            ("message", Json::str("Saved objects to database.")),
            ("resources", placeholders_of(&saved)),
        ]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// GET /objects/:objectId — every failure is a 400.
pub(crate) fn get(db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q2m::prepare(q),
        Err(r) => return r,
    };
    let result = (|| {
        let found = by_id(db, Model::Object, ctx.param(0))?
            .map(|o| q.projection().map(|p| p.apply(&o)).unwrap_or(o));
        perm::check(
            Actor::of(ctx.user.as_ref()),
            Op::Read,
            found.as_ref(),
            Kind::Other,
            None,
        )?;
        Ok::<_, Fail>(found.unwrap_or_default())
    })();
    match result {
        Ok(o) => success(vec![("resource", Json::Obj(hydrated(Model::Object, &o)))]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

const NO_PERMISSION: &str = "You do not have permissions to view this object";

fn stub(id: &Json) -> String {
    let mut m = Map::new();
    m.insert("_id".into(), id.clone());
    m.insert("type".into(), Json::str("String"));
    m.insert("value".into(), Json::str(NO_PERMISSION));
    Json::Obj(m).to_text()
}

/// POST /objects/getbulk — one entry per body element, in body order;
/// unreadable, missing or filtered-out objects become "String" stubs.
///
/// This job only checks the request; the answer is then produced in
/// pieces by [`stream_bulk`], so an answer of any size (350,000 ids of one
/// big object) never sits in memory whole.
pub(crate) fn get_bulk(_db: &mut Db, ctx: &Ctx) -> Reply {
    let q = match query(ctx) {
        Ok(q) => q2m::prepare(q),
        Err(r) => return r,
    };
    let Json::Arr(ids) = &ctx.body else {
        return Reply::fail(404, "$in needs an array");
    };
    let mut cast = Vec::with_capacity(ids.len());
    for raw in ids {
        let text = raw.js_string();
        let ok = match raw {
            Json::Str(s) => cast_object_id(s),
            _ => None,
        };
        match ok {
            Some(id) => cast.push(id),
            None => return Reply::fail(404, Fail::cast(&text, Model::Object).message()),
        }
    }
    Reply::Bulk(Box::new(BulkPlan {
        ids: ids.clone(),
        cast,
        user_id: ctx.user_id().to_string(),
        role: ctx
            .user
            .as_ref()
            .and_then(|u| u.get("role"))
            .and_then(Json::as_str)
            .map(String::from),
        query: q,
    }))
}

/// A checked getbulk request: what its answer will hold.
#[derive(Debug)]
pub(crate) struct BulkPlan {
    /// The ids as sent (stubs repeat them).
    ids: Vec<Json>,
    /// The same ids cast to ObjectIds.
    cast: Vec<String>,
    /// The caller, as the permission check sees it (no token, no e-mail).
    user_id: String,
    role: Option<String>,
    query: q2m::Query,
}

/// About how many bytes of answer one storage job produces: large enough
/// to keep the per-job overhead small, small enough to bound memory (at
/// most a few pieces are in flight per request).
const PIECE_BYTES: usize = 1024 * 1024;
/// Pieces waiting for a slow reader; the producer stops when they are full.
const PIECES_IN_FLIGHT: usize = 2;

/// Produces a getbulk answer piece by piece, each piece one storage job,
/// so other requests run in between and a slow reader holds back the
/// producer instead of making the answer pile up. The first piece is made
/// before answering, so a busy database is still a clean 503.
pub(crate) async fn stream_bulk(store: Store, plan: Box<BulkPlan>) -> Reply {
    let plan = Arc::new(*plan);
    let piece = |from: usize| {
        let plan = plan.clone();
        store.call_or_busy(move |db| bulk_piece(db, &plan, from))
    };
    let (mut head, mut next) = match piece(0).await {
        Ok(Ok(Ok(p))) => p,
        Ok(Ok(Err(e))) => return Reply::fail(404, e.to_string()),
        Ok(Err(Busy)) => return Reply::Busy,
        Err(_) => return crate::http::html::crash("Error: the server is shutting down"),
    };
    head.insert_str(0, "{\"success\":true,\"resources\":[");
    let total = plan.cast.len();
    if next == total {
        head.push_str("]}");
    }
    let (tx, rx) = tokio::sync::mpsc::channel(PIECES_IN_FLIGHT);
    tokio::spawn(async move {
        if tx.send(Ok(head)).await.is_err() {
            return;
        }
        while next < total {
            let plan = plan.clone();
            let from = next;
            let out = match store
                .call_or_busy(move |db| bulk_piece(db, &plan, from))
                .await
            {
                Ok(Ok(Ok((mut text, after)))) => {
                    next = after;
                    if next == total {
                        text.push_str("]}");
                    }
                    Ok(text)
                }
                Ok(Ok(Err(e))) => Err(std::io::Error::other(e.to_string())),
                Ok(Err(Busy)) => Err(std::io::Error::other(Busy.to_string())),
                Err(gone) => Err(std::io::Error::other(gone.to_string())),
            };
            let failed = out.is_err();
            // A client that went away stops the production.
            if tx.send(out).await.is_err() || failed {
                return;
            }
        }
    });
    Reply::Streamed(rx)
}

/// The answer's entries from id number `from` on, about [`PIECE_BYTES`]
/// of them (at least one), comma-separated, with a leading comma unless
/// `from` is 0; returns the text and the index after the last entry.
fn bulk_piece(db: &Db, plan: &BulkPlan, from: usize) -> Result<(String, usize), DbError> {
    let actor = if plan.user_id.is_empty() {
        Actor::GUEST
    } else {
        Actor {
            id: &plan.user_id,
            role: plan.role.as_deref(),
        }
    };
    let q = &plan.query;
    let plain = q.criteria.is_empty() && q.fields.is_none();
    let proj = q.projection();
    let mut out = String::new();
    let mut i = from;
    let rest = plan.cast.get(from..).unwrap_or_default();
    db.each_object_for_bulk(rest, |found| {
        let raw = plan.ids.get(i).unwrap_or(&Json::Null);
        if i > 0 {
            out.push(',');
        }
        i += 1;
        match found {
            None => out.push_str(&stub(raw)),
            // Public objects without a projection go out as stored: no parse.
            Some((true, text)) if plain => out.push_str(&text),
            Some((_, text)) => {
                let doc = crate::json::parse(text.as_bytes()).ok().and_then(into_map);
                let visible = doc
                    .filter(|d| {
                        q.criteria.is_empty() || matches(&Json::Obj(d.clone()), &q.criteria)
                    })
                    .map(|d| proj.as_ref().map(|p| p.apply(&d)).unwrap_or(d));
                match visible {
                    Some(d)
                        if perm::check(actor, Op::Read, Some(&d), Kind::Other, None).is_ok() =>
                    {
                        Json::Obj(d).write_to(&mut out);
                    }
                    _ => out.push_str(&stub(raw)),
                }
            }
        }
        out.len() < PIECE_BYTES
    })?;
    Ok((out, i))
}

/// The object, after a check of `op`.
fn checked(db: &Db, ctx: &Ctx, op: Op, keys: Option<&[String]>) -> Result<Map, Fail> {
    let found = by_id(db, Model::Object, ctx.param(0))?;
    perm::check(
        Actor::of(ctx.user.as_ref()),
        op,
        found.as_ref(),
        Kind::Other,
        keys,
    )?;
    found.ok_or_else(|| Fail::error("Resource not found."))
}

/// PUT /objects/:objectId — `set(body).save()`; the hash is not recomputed.
pub(crate) fn update(db: &mut Db, ctx: &Ctx) -> Reply {
    let keys = ctx.body_keys();
    let result = checked(db, ctx, Op::Write, Some(&keys)).and_then(|before| {
        let mut after = before.clone();
        let mut invalid = model::Invalid::default();
        model::set_fields(Model::Object, &mut after, &ctx.body_obj(), &mut invalid);
        if !invalid.is_empty() {
            return Err(Fail::validation(invalid.message(Model::Object)));
        }
        model::check_keys(&after).map_err(Fail::error)?;
        save(db, Model::Object, &before, &mut after)
    });
    match result {
        Ok(()) => success(vec![("message", Json::str("Object updated."))]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// PUT /objects/:objectId/properties — a shallow merge into `properties`;
/// null properties stay null (lodash.assign into a throwaway), still 200.
pub(crate) fn update_properties(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = checked(db, ctx, Op::Write, None).and_then(|before| {
        let mut after = before.clone();
        if let Some(Json::Obj(props)) = after.get_mut("properties") {
            if let Json::Obj(body) = &ctx.body {
                for (k, v) in body {
                    js_set(props, k.clone(), v.clone());
                }
            }
        }
        if model::check_keys(&after).is_err() {
            // The save is not awaited: a failure never reaches the client.
            return Ok(());
        }
        save(db, Model::Object, &before, &mut after)
    });
    match result {
        Ok(()) => success(vec![("message", Json::str("Object properties updated."))]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// DELETE /objects/:objectId — every failure is a 404.
pub(crate) fn delete(db: &mut Db, ctx: &Ctx) -> Reply {
    let result = checked(db, ctx, Op::Delete, None).and_then(|o| {
        db.delete(Coll::Objects, str_of(&o, "_id"))?;
        Ok(())
    });
    match result {
        Ok(()) => success(vec![(
            "message",
            Json::str("Object was deleted. Bye bye data."),
        )]),
        Err(f) => Reply::fail(404, f.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn hash_is_md5_of_the_json_as_received() {
        // The recorded server hashed these exact objects to these values.
        let v =
            parse(br#"{"type": "Point", "value": [0, 0, 0], "properties": {"tag": "a"}}"#).unwrap();
        assert_eq!(md5_hex(&v.to_text()), "f1f98e35bf632121b7591241da9f15eb");
        let v = parse(
            br#"{"type": "Mesh", "vertices": [0.1, 1e+300, -0.0, 1099511627776, 3.0], "faces": [0, 1, 2], "properties": {"nested": {"deep": [1, {"x": null}]}, "flag": true}}"#,
        )
        .unwrap();
        assert_eq!(md5_hex(&v.to_text()), "d12c5a71cb41c4400c7d8660295dd4f1");
    }

    fn ids(saved: &[Json]) -> Vec<Option<String>> {
        saved
            .iter()
            .map(|o| o.get("_id").and_then(Json::as_str).map(String::from))
            .collect()
    }

    fn arr(s: &str) -> Vec<Json> {
        parse(s.as_bytes()).unwrap().as_arr().unwrap().clone()
    }

    const USER: &str = "6b0c43a184c96928c7155336";

    #[test]
    fn bulk_save_deduplicates_by_hash_in_input_order() {
        let db = Db::memory();
        let first = bulk_save(
            &db,
            arr(r#"[{"type":"Point","value":[1]},{"type":"Point","value":[2]}]"#),
            USER,
        )
        .unwrap();
        let a = ids(&first);
        assert!(a.iter().all(Option::is_some));
        assert_ne!(a[0], a[1]);
        // Same content (same hash) maps to the stored objects, in order.
        let again = bulk_save(
            &db,
            arr(r#"[{"type":"Point","value":[2]},{"type":"Point","value":[1]}]"#),
            USER,
        )
        .unwrap();
        assert_eq!(ids(&again), vec![a[1].clone(), a[0].clone()]);
        // A client hash identifies content, whatever the content is.
        let custom = bulk_save(
            &db,
            arr(r#"[{"type":"X","hash":"h1"},{"type":"Y","hash":"h1"}]"#),
            USER,
        )
        .unwrap();
        let c = ids(&custom);
        // Two new objects with one hash: both stored, both answered with the last id.
        assert_eq!(c[0], c[1]);
        let stored = db
            .get(Coll::Objects, c[0].as_deref().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(stored.get("type"), Some(&Json::str("Y")));
    }

    #[test]
    fn bulk_save_passes_placeholders_and_client_ids_through() {
        let db = Db::memory();
        let only = arr(r#"[{"type":"Placeholder","_id":"whatever"}]"#);
        assert_eq!(bulk_save(&db, only.clone(), USER).unwrap(), only);
        let mixed = bulk_save(
            &db,
            arr(r#"[{"type":"Placeholder","_id":"5c0000000000000000000000"},{"type":"Point","_id":"client-set"}]"#),
            USER,
        )
        .unwrap();
        assert_eq!(
            ids(&mixed),
            vec![
                Some("5c0000000000000000000000".into()),
                Some("client-set".into())
            ]
        );
        assert!(
            db.all(Coll::Objects).unwrap().is_empty(),
            "nothing inserted"
        );
        // A placeholder without _id among real objects fails validation.
        let err = bulk_save(
            &db,
            arr(r#"[{"type":"Placeholder"},{"type":"Point"}]"#),
            USER,
        )
        .unwrap_err();
        assert_eq!(
            err.text(),
            "ValidationError: hash: Path `hash` is required."
        );
        let err = bulk_save(&db, arr(r#"[{"value":1}]"#), USER).unwrap_err();
        assert_eq!(
            err.text(),
            "ValidationError: type: Path `type` is required."
        );
        let err = bulk_save(&db, arr(r#"[{"type":"P","p":{"a.b":1}}]"#), USER).unwrap_err();
        assert_eq!(err.text(), "Error: key a.b must not contain '.'");
    }

    #[test]
    fn lodash_merge_is_deep_and_index_wise() {
        let mut a = parse(br#"{"p":{"a":1,"b":[1,{"x":1}]},"k":1}"#).unwrap();
        let b = parse(br#"{"p":{"b":[9,{"y":2},3]},"n":null}"#).unwrap();
        deep_merge(&mut a, &b);
        assert_eq!(
            a.to_text(),
            r#"{"p":{"a":1,"b":[9,{"x":1,"y":2},3]},"k":1,"n":null}"#
        );
    }
}
