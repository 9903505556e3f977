//! The websocket side: same port, any path.
//!
//! A socket needs a `client_id`, may authenticate with a user's apitoken,
//! joins rooms named `<resourceType>-<resourceId>`, relays `broadcast` and
//! `message` frames unchanged, and must answer the text `ping` with the
//! text `alive`.

mod events;
mod hub;
mod socket;

pub(crate) use hub::Hub;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use crate::app::App;

/// Whether the request asks for a websocket.
pub(crate) fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn bad_request() -> Response<Body> {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, "text/html")
        .body(Body::from("Bad Request"))
        .unwrap_or_default()
}

/// Answers the handshake and hands the upgraded connection to a task.
pub(crate) fn upgrade(app: App, mut req: Request) -> Response<Body> {
    let key = req
        .headers()
        .get("Sec-WebSocket-Key")
        .map(|k| derive_accept_key(k.as_bytes()));
    let version_ok = req
        .headers()
        .get("Sec-WebSocket-Version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "13");
    let (Some(accept), true, true) = (key, version_ok, req.method() == axum::http::Method::GET)
    else {
        return bad_request();
    };
    let protocol = req
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|p| p.trim().to_string());
    let query = req.uri().query().unwrap_or_default().to_string();
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                // A frame may be no larger than an HTTP body: the server
                // holds a whole message in memory (tungstenite's default
                // is 64 MiB), and a larger one closes the socket.
                let limit = app.settings.request_limit;
                let config = WebSocketConfig::default()
                    .max_message_size(Some(limit))
                    .max_frame_size(Some(limit));
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                socket::run(app, ws, &query).await;
            }
            Err(e) => tracing::debug!("websocket upgrade failed: {e}"),
        }
    });
    let mut b = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header("Sec-WebSocket-Accept", accept);
    if let Some(p) = protocol.filter(|p| !p.is_empty()) {
        b = b.header("Sec-WebSocket-Protocol", p);
    }
    b.body(Body::empty()).unwrap_or_default()
}
