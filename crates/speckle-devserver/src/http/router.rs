//! The route table, in the real server's registration order, matched the
//! way Express matches: case-insensitive literals, an optional trailing
//! slash, URL-decoded parameters, first match wins, the same router mounted
//! at `/api` and `/api/v1`.

use super::{html, Ctx, Reply};
use crate::db::Db;
use crate::routes::{accounts, clients, comments, objects, projects, server, streams};

/// The passport middleware in front of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    None,
    Optional,
    Token,
    /// Token, then AdminCheck.
    Admin,
}

/// A route handler.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Runs on the storage thread.
    Db(fn(&mut Db, &Ctx) -> Reply),
    /// Needs no storage.
    Plain(fn(&Ctx) -> Reply),
}

pub(crate) struct Route {
    pub(crate) method: &'static str,
    /// The path as registered on the router (trailing slashes included, as
    /// `GET /api` lists them).
    pub(crate) path: &'static str,
    pub(crate) auth: Auth,
    pub(crate) handler: Handler,
}

const fn r(method: &'static str, path: &'static str, auth: Auth, handler: Handler) -> Route {
    Route {
        method,
        path,
        auth,
        handler,
    }
}

use Auth::{Admin, Optional, Token};
use Handler::{Db as D, Plain as P};

/// Every `/api` route, in registration order.
static ROUTES: &[Route] = &[
    r(
        "POST",
        "/accounts/register",
        Auth::None,
        D(accounts::register),
    ),
    r("POST", "/accounts/login", Auth::None, D(accounts::login)),
    r("GET", "/accounts", Token, D(accounts::profile)),
    r("GET", "/accounts/admin", Admin, D(accounts::admin_list)),
    r("PUT", "/accounts", Token, D(accounts::update_profile)),
    r("GET", "/accounts/:userId", Token, D(accounts::get_user)),
    r("PUT", "/accounts/:userId", Admin, D(accounts::admin_update)),
    r("POST", "/accounts/search", Token, D(accounts::search)),
    r("POST", "/clients", Optional, D(clients::create)),
    r("GET", "/clients", Token, D(clients::list)),
    r("GET", "/clients/:clientId", Token, D(clients::get)),
    r("PUT", "/clients/:clientId", Token, D(clients::update)),
    r("DELETE", "/clients/:clientId", Token, D(clients::delete)),
    r("POST", "/streams", Token, D(streams::create)),
    r("GET", "/streams", Token, D(streams::list)),
    r("GET", "/streams/admin", Admin, D(streams::admin_list)),
    r("GET", "/streams/:streamId", Optional, D(streams::get)),
    r("PUT", "/streams/:streamId", Token, D(streams::update)),
    r(
        "POST",
        "/streams/:streamId/delta",
        Token,
        D(streams::delta_apply),
    ),
    r("DELETE", "/streams/:streamId", Token, D(streams::delete)),
    r("POST", "/streams/:streamId/clone", Token, D(streams::clone)),
    r(
        "GET",
        "/streams/:streamId/diff/:otherId",
        Optional,
        D(streams::diff),
    ),
    r(
        "GET",
        "/streams/:streamId/delta/:otherId",
        Optional,
        D(streams::delta),
    ),
    r(
        "GET",
        "/streams/:streamId/objects",
        Optional,
        D(streams::objects),
    ),
    r(
        "GET",
        "/streams/:streamId/clients",
        Optional,
        D(streams::clients),
    ),
    r("POST", "/objects", Token, D(objects::create)),
    r("POST", "/objects/derive", Token, D(objects::derive)),
    r("GET", "/objects/:objectId", Optional, D(objects::get)),
    r("POST", "/objects/getbulk/", Optional, D(objects::get_bulk)),
    r("PUT", "/objects/:objectId", Token, D(objects::update)),
    r(
        "PUT",
        "/objects/:objectId/properties/",
        Token,
        D(objects::update_properties),
    ),
    r("DELETE", "/objects/:objectId", Token, D(objects::delete)),
    r("GET", "/comments", Token, D(comments::list)),
    r("GET", "/comments/assigned", Token, D(comments::assigned)),
    r(
        "POST",
        "/comments/:resourceType/:resourceId",
        Optional,
        D(comments::create),
    ),
    r(
        "GET",
        "/comments/:resourceType/:resourceId",
        Optional,
        D(comments::of_resource),
    ),
    r("GET", "/comments/:commentId", Optional, D(comments::get)),
    r("PUT", "/comments/:commentId", Token, D(comments::update)),
    r("DELETE", "/comments/:commentId", Token, D(comments::delete)),
    r("POST", "/projects", Token, D(projects::create)),
    r("GET", "/projects", Token, D(projects::list)),
    r("GET", "/projects/admin", Admin, D(projects::admin_list)),
    r("GET", "/projects/:projectId", Token, D(projects::get)),
    r("PUT", "/projects/:projectId", Token, D(projects::update)),
    r(
        "PUT",
        "/projects/:projectId/addstream/:streamId",
        Token,
        D(projects::add_stream),
    ),
    r(
        "DELETE",
        "/projects/:projectId/removestream/:streamId",
        Token,
        D(projects::remove_stream),
    ),
    r(
        "PUT",
        "/projects/:projectId/adduser/:userId",
        Token,
        D(projects::add_user),
    ),
    r(
        "DELETE",
        "/projects/:projectId/removeuser/:userId",
        Token,
        D(projects::remove_user),
    ),
    r(
        "PUT",
        "/projects/:projectId/upgradeuser/:userId",
        Token,
        D(projects::upgrade_user),
    ),
    r(
        "PUT",
        "/projects/:projectId/downgradeuser/:userId",
        Token,
        D(projects::downgrade_user),
    ),
    r("DELETE", "/projects/:projectId", Token, D(projects::delete)),
];

/// `GET /` on the router (registered last, after the description is built).
static DESCRIPTION: Route = r("GET", "/", Auth::None, P(server::description));
/// `app.all('/api/v0*')`.
static V0: Route = r("ALL", "/api/v0*", Auth::None, P(server::v0_removed));
/// `app.all('/api/plugins')`.
static PLUGINS: Route = r("ALL", "/api/plugins", Auth::None, P(server::plugins));

/// `(method, path)` of every router route, in registration order.
pub(crate) fn route_list() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES.iter().map(|r| (r.method, r.path))
}

pub(crate) struct Found {
    pub(crate) route: &'static Route,
    pub(crate) params: Vec<String>,
}

/// Strips a case-insensitive mount prefix; the rest is `""` or starts
/// with `/`.
fn strip_mount<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = path.get(prefix.len()..)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Finds the route for a method and a raw (percent-encoded) path. `Err` is
/// Express's 400 for a parameter that does not decode.
pub(crate) fn find(method: &str, path: &str) -> Result<Option<Found>, Reply> {
    if path
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("/api/v0"))
    {
        return Ok(Some(Found {
            route: &V0,
            params: Vec::new(),
        }));
    }
    if let Some(rest) = strip_mount(path, "/api/plugins") {
        if rest.is_empty() || rest == "/" {
            return Ok(Some(Found {
                route: &PLUGINS,
                params: Vec::new(),
            }));
        }
    }
    for mount in ["/api", "/api/v1"] {
        let Some(rest) = strip_mount(path, mount) else {
            continue;
        };
        for route in ROUTES.iter().chain(std::iter::once(&DESCRIPTION)) {
            if route.method != method {
                continue;
            }
            if let Some(params) = match_pattern(route.path, rest)? {
                return Ok(Some(Found { route, params }));
            }
        }
    }
    Ok(None)
}

fn segments(s: &str) -> Vec<&str> {
    let trimmed = s.strip_prefix('/').unwrap_or(s);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

fn match_pattern(pattern: &str, rest: &str) -> Result<Option<Vec<String>>, Reply> {
    let pat = segments(pattern);
    let got = segments(rest);
    if pat.len() != got.len() {
        return Ok(None);
    }
    let mut params = Vec::new();
    for (p, g) in pat.iter().zip(&got) {
        if let Some(_name) = p.strip_prefix(':') {
            if g.is_empty() {
                return Ok(None);
            }
            params.push(g);
        } else if !p.eq_ignore_ascii_case(g) {
            return Ok(None);
        }
    }
    params
        .into_iter()
        .map(|raw| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| ())
                .and_then(|s| if bad_escape(raw) { Err(()) } else { Ok(s) })
                .map_err(|_| {
                    html::error(
                        400,
                        &format!("URIError: Failed to decode param '{raw}'"),
                        "decodeURIComponent (<anonymous>)",
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn bad_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, c)| {
        *c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(method: &str, path: &str) -> Option<(&'static str, Vec<String>)> {
        find(method, path)
            .ok()
            .flatten()
            .map(|f| (f.route.path, f.params))
    }

    #[test]
    fn express_matching_rules() {
        assert_eq!(
            hit("GET", "/api/streams/abc").map(|h| h.0),
            Some("/streams/:streamId")
        );
        assert_eq!(
            hit("GET", "/API/V1/Streams/abc/").map(|h| h.1),
            Some(vec!["abc".to_string()])
        );
        assert_eq!(
            hit("GET", "/api/streams/admin").map(|h| h.0),
            Some("/streams/admin")
        );
        assert_eq!(
            hit("POST", "/api/objects/getBulk").map(|h| h.0),
            Some("/objects/getbulk/")
        );
        assert_eq!(
            hit("GET", "/api/comments/assigned").map(|h| h.0),
            Some("/comments/assigned")
        );
        assert_eq!(
            hit("GET", "/api/streams/a%20b").map(|h| h.1),
            Some(vec!["a b".to_string()])
        );
        assert_eq!(hit("GET", "/api").map(|h| h.0), Some("/"));
        assert_eq!(hit("GET", "/api/v1/").map(|h| h.0), Some("/"));
        assert_eq!(hit("PATCH", "/api/streams/x"), None);
        assert_eq!(hit("GET", "/api/streams//objects"), None);
        assert_eq!(hit("GET", "/apix/streams"), None);
        assert_eq!(
            hit("DELETE", "/api/v0/streams").map(|h| h.0),
            Some("/api/v0*")
        );
        assert_eq!(
            hit("PUT", "/api/plugins/").map(|h| h.0),
            Some("/api/plugins")
        );
        assert!(find("GET", "/api/streams/%E0%A4%A").is_err());
    }
}
