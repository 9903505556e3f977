//! The HTTP front: CORS, body parsing, Express-style routing, auth, and
//! turning handler replies into responses.
//!
//! The order is Express's: the websocket upgrade is taken before anything
//! (the `ws` server listens on the same port, any path), CORS answers every
//! `OPTIONS`, the JSON body is parsed for every route (so a bad body is a
//! 400 even on an unknown path), then the first matching route runs its
//! passport middleware and handler.

mod body;
pub(crate) mod html;
mod router;
mod stream;

pub(crate) use router::{route_list, Auth};

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, Response, StatusCode};

use crate::app::{App, Settings};
use crate::auth::{verify_header, Bearer};
use crate::db::{Coll, Db};
use crate::ids::cast_object_id;
use crate::json::{Json, Map};

/// What a handler answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A JSON body.
    Json(u16, Json),
    /// Plain text; `html` gives it Express's `text/html` type (res.send of a
    /// string), otherwise no content type at all (passport's `res.end`).
    Text {
        status: u16,
        html: bool,
        body: String,
    },
    /// An Express error page.
    Html(u16, String),
    /// The data file is locked by another process: a retryable
    /// `503 {success: false, message}` with `Retry-After`.
    Busy,
    /// What a getbulk answer will hold, to be produced in pieces off the
    /// storage thread's request job.
    Bulk(Box<crate::routes::objects::BulkPlan>),
    /// A 200 JSON answer that repeats stored texts: `head`, then the
    /// `parts` named by `order`, comma-separated, then `tail`. It is
    /// written out as the client reads it, so a list that names one big
    /// document many times never sits in memory whole.
    Repeated {
        head: String,
        parts: Vec<String>,
        order: Vec<usize>,
        tail: String,
    },
    /// A 200 JSON answer produced piece by piece as the client reads it,
    /// so its size never sits in memory whole.
    Streamed(tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>),
}

impl Reply {
    pub(crate) fn ok(body: Json) -> Reply {
        Reply::Json(200, body)
    }

    /// `{success: false, message}`.
    pub(crate) fn fail(status: u16, message: impl Into<Json>) -> Reply {
        let mut m = Map::new();
        m.insert("success".into(), Json::Bool(false));
        m.insert("message".into(), message.into());
        Reply::Json(status, Json::Obj(m))
    }

    /// passport's 401.
    pub(crate) fn unauthorized() -> Reply {
        Reply::Text {
            status: 401,
            html: false,
            body: "Unauthorized".into(),
        }
    }

    /// A storage failure: the generic 500 page.
    pub(crate) fn db_error(e: &crate::db::DbError) -> Reply {
        html::crash(&format!("Error: {e}"))
    }
}

/// Everything a handler gets.
pub(crate) struct Ctx {
    /// Path parameters, URL-decoded, in pattern order.
    pub(crate) params: Vec<String>,
    /// The raw query string (without `?`).
    pub(crate) query: String,
    /// The parsed JSON body, or `{}`.
    pub(crate) body: Json,
    /// The authenticated user document, if any.
    pub(crate) user: Option<Map>,
    pub(crate) settings: Arc<Settings>,
}

impl Ctx {
    pub(crate) fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or_default()
    }

    pub(crate) fn user_id(&self) -> &str {
        self.user
            .as_ref()
            .and_then(|u| u.get("_id"))
            .and_then(Json::as_str)
            .unwrap_or_default()
    }

    /// The body as an object (`{}` for arrays and anything else).
    pub(crate) fn body_obj(&self) -> Map {
        match &self.body {
            Json::Obj(m) => m.clone(),
            _ => Map::new(),
        }
    }

    /// `Object.keys(req.body)`.
    pub(crate) fn body_keys(&self) -> Vec<String> {
        match &self.body {
            Json::Obj(m) => m.keys().cloned().collect(),
            Json::Arr(a) => (0..a.len()).map(|i| i.to_string()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The one axum handler: everything goes through here, and is logged when
/// the server was asked to (`--log`).
pub(crate) async fn entry(State(app): State<App>, req: Request) -> Response<Body> {
    if !app.settings.log_requests {
        return handle(app, req).await;
    }
    let started = std::time::Instant::now();
    let method = req.method().clone();
    // The path only: a websocket's query holds its access token.
    let path = req.uri().path().to_owned();
    let response = handle(app, req).await;
    eprintln!(
        "{method} {path} {} {:.1} ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

async fn handle(app: App, req: Request) -> Response<Body> {
    if crate::ws::is_upgrade(&req) {
        return crate::ws::upgrade(app, req);
    }
    let method = req.method().clone();
    if method == Method::OPTIONS {
        return preflight(&req);
    }
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let head = method == Method::HEAD;
    let (parts, body) = req.into_parts();
    let reply = match body::read(&parts.headers, body, app.settings.request_limit).await {
        Err(reply) => reply,
        Ok(json) => dispatch(&app, &method, &path, query, json, &parts.headers).await,
    };
    respond(reply, head).await
}

async fn dispatch(
    app: &App,
    method: &Method,
    path: &str,
    query: String,
    body: Json,
    headers: &axum::http::HeaderMap,
) -> Reply {
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let found = match router::find(m, path) {
        Ok(Some(found)) => found,
        Ok(None) => return html::not_found(method.as_str(), path),
        Err(reply) => return reply,
    };
    let settings = app.settings.clone();
    let bearer = verify_header(
        settings.jwt_secret.expose(),
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let ctx = Ctx {
        params: found.params,
        query,
        body,
        user: None,
        settings,
    };
    let auth = found.route.auth;
    let handler = found.route.handler;
    match handler {
        router::Handler::Plain(f) => f(&ctx),
        router::Handler::Db(f) => {
            let job = move |db: &mut Db| {
                let mut ctx = ctx;
                match authenticate(db, auth, bearer) {
                    Err(reply) => reply,
                    Ok(user) => {
                        ctx.user = user;
                        f(db, &ctx)
                    }
                }
            };
            match app.store.call_or_busy(job).await {
                Ok(Ok(Reply::Bulk(plan))) => {
                    crate::routes::objects::stream_bulk(app.store.clone(), plan).await
                }
                Ok(Ok(reply)) => reply,
                Ok(Err(crate::db::Busy)) => Reply::Busy,
                Err(_) => html::crash("Error: the server is shutting down"),
            }
        }
    }
}

/// passport: `jwt-strict`, `['jwt-strict','anonymous']`, then AdminCheck.
fn authenticate(db: &mut Db, auth: Auth, bearer: Bearer) -> Result<Option<Map>, Reply> {
    if auth == Auth::None {
        return Ok(None);
    }
    let user = match bearer {
        Bearer::Invalid => {
            return match auth {
                Auth::Optional => Ok(None),
                _ => Err(Reply::unauthorized()),
            }
        }
        Bearer::BadId(id) => {
            return Err(html::crash(&format!(
                "CastError: Cast to ObjectId failed for value \"{id}\" at path \"_id\" for model \"User\""
            )))
        }
        Bearer::User(id) => {
            let Some(oid) = cast_object_id(&id) else {
                return Err(html::crash(&format!(
                    "CastError: Cast to ObjectId failed for value \"{id}\" at path \"_id\" for model \"User\""
                )));
            };
            match db.get(Coll::Users, &oid) {
                Err(e) => return Err(Reply::db_error(&e)),
                // The strategy reports a vanished or archived user as an
                // error, which Express turns into a 500 page.
                Ok(None) => return Err(html::crash("Error: User not found.")),
                Ok(Some(Json::Obj(u))) => {
                    if matches!(u.get("archived"), Some(Json::Bool(true))) {
                        return Err(html::crash("Error: User is archived."));
                    }
                    u
                }
                Ok(Some(_)) => return Err(html::crash("Error: User not found.")),
            }
        }
    };
    if auth == Auth::Admin && user.get("role").and_then(Json::as_str) != Some("admin") {
        return Err(Reply::Text {
            status: 401,
            html: true,
            body: "Only admins can access this route".into(),
        });
    }
    Ok(Some(user))
}

/// cors(): every OPTIONS request is a preflight answered with 204.
fn preflight(req: &Request) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("Access-Control-Allow-Origin", "*")
        .header(
            "Access-Control-Allow-Methods",
            "GET,HEAD,PUT,PATCH,POST,DELETE",
        )
        .header("Vary", "Access-Control-Request-Headers")
        .header(header::CONTENT_LENGTH, "0");
    if let Some(h) = req.headers().get("Access-Control-Request-Headers") {
        b = b.header("Access-Control-Allow-Headers", h.clone());
    }
    b.body(Body::empty()).unwrap_or_default()
}

const JSON_TYPE: &str = "application/json; charset=utf-8";
const HTML_TYPE: &str = "text/html; charset=utf-8";

/// Serialises a reply; large JSON is written off the async workers.
pub(crate) async fn respond(reply: Reply, head: bool) -> Response<Body> {
    let (status, content_type, text, error_page) = match reply {
        Reply::Streamed(chunks) => return stream::streamed(chunks, head),
        Reply::Repeated {
            head: start,
            parts,
            order,
            tail,
        } => return stream::repeated(start, parts, order, tail, head),
        Reply::Busy => return busy(),
        // Turned into `Streamed` by `dispatch`; never reaches a client.
        Reply::Bulk(_) => (500, Some(HTML_TYPE), String::new(), true),
        Reply::Json(status, v) => {
            let text = tokio::task::spawn_blocking(move || v.to_text())
                .await
                .unwrap_or_default();
            (status, Some(JSON_TYPE), text, false)
        }
        Reply::Text { status, html, body } => (status, html.then_some(HTML_TYPE), body, false),
        Reply::Html(status, body) => (status, Some(HTML_TYPE), body, true),
    };
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("Access-Control-Allow-Origin", "*")
        .header(header::CONTENT_LENGTH, text.len());
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if error_page {
        b = b
            .header("Content-Security-Policy", "default-src 'none'")
            .header("X-Content-Type-Options", "nosniff");
    }
    let body = if head {
        Body::empty()
    } else {
        Body::from(text)
    };
    b.body(body).unwrap_or_default()
}

/// How long a client is asked to wait before retrying a busy database.
const RETRY_AFTER_SECS: &str = "1";

/// `503 {success: false, message}` with `Retry-After`: the data file is
/// locked by another process, and the request changed nothing.
fn busy() -> Response<Body> {
    let mut m = Map::new();
    m.insert("success".into(), Json::Bool(false));
    m.insert(
        "message".into(),
        Json::str("The database is busy. Try again shortly."),
    );
    let text = Json::Obj(m).to_text();
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header("Access-Control-Allow-Origin", "*")
        .header(header::RETRY_AFTER, RETRY_AFTER_SECS)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(JSON_TYPE))
        .header(header::CONTENT_LENGTH, text.len())
        .body(Body::from(text))
        .unwrap_or_default()
}
