//! `GET /api` (the server description), `/api/plugins`, and the removed v0.

use crate::http::{route_list, Ctx, Reply};
use crate::json::{Json, Map};

/// GET /api and GET /api/v1 — no envelope. Routes are listed as
/// `CANONICAL_URL + "/api" + path` and grouped by substring, so a route can
/// sit in several groups.
pub(crate) fn description(ctx: &Ctx) -> Reply {
    const GROUPS: [&str; 6] = [
        "projects", "clients", "streams", "accounts", "comments", "objects",
    ];
    let mut groups: Vec<(&str, Vec<Json>)> = GROUPS.iter().map(|g| (*g, Vec::new())).collect();
    for (method, path) in route_list() {
        let route = format!("{}/api{path}", ctx.settings.canonical_url);
        for (name, list) in groups.iter_mut() {
            if route.contains(*name) {
                let mut m = Map::new();
                m.insert("method".into(), Json::str(method));
                m.insert("route".into(), Json::Str(route.clone()));
                list.push(Json::Obj(m));
            }
        }
    }
    let mut api = Map::new();
    for (name, list) in groups {
        api.insert(name.into(), Json::Arr(list));
    }
    let mut body = Map::new();
    body.insert("isSpeckleServer".into(), Json::Bool(true));
    body.insert(
        "serverName".into(),
        Json::Str(ctx.settings.server_name.clone()),
    );
    body.insert("version".into(), Json::str("1.x.x"));
    body.insert("api".into(), Json::Obj(api));
    body.insert("plugins".into(), ctx.settings.plugins.clone());
    body.insert("jnMask".into(), Json::str("######-##"));
    Reply::ok(Json::Obj(body))
}

/// ALL /api/plugins — the manifests, no envelope.
pub(crate) fn plugins(ctx: &Ctx) -> Reply {
    Reply::ok(ctx.settings.plugins.clone())
}

/// ALL /api/v0* — 410.
pub(crate) fn v0_removed(_ctx: &Ctx) -> Reply {
    let mut m = Map::new();
    m.insert("error".into(), Json::str("The v0 API has been removed."));
    Reply::Json(410, Json::Obj(m))
}
