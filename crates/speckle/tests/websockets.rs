//! `client.websockets()` authenticates with the api token. The Python client
//! sends the 24-hour session token, which the server never matches, so its
//! sockets are always anonymous (joins of private streams fail).
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::result_large_err
)]

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use speckle::http::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use speckle::SpeckleClient;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// Answers the login with distinct session and api tokens.
#[derive(Debug)]
struct LoginOnly;

#[async_trait]
impl Transport for LoginOnly {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = json!({"success": true, "resource": {"_id": "u1", "token": "JWT session.token", "apitoken": "JWT api.token"}});
        Ok(HttpResponse::new(200, serde_json::to_vec(&body).unwrap()))
    }
}

#[tokio::test]
async fn the_socket_carries_the_apitoken_the_client_id_and_the_stream() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut uri = None;
        let _socket =
            tokio_tungstenite::accept_hdr_async(tcp, |request: &Request, response: Response| {
                uri = Some(request.uri().to_string());
                Ok(response)
            })
            .await
            .unwrap();
        uri.unwrap()
    });

    let client = SpeckleClient::builder(format!("http://127.0.0.1:{port}/api/v1"))
        .transport(Arc::new(LoginOnly))
        .build()
        .unwrap();
    client.login("a@example.com", "pw").await.unwrap();
    let socket = client.websockets("S1", "client-1").unwrap();
    let uri = accept.await.unwrap();
    socket.handle().close();

    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let get = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("access_token"), Some("JWT api.token"), "{uri}");
    assert_eq!(get("client_id"), Some("client-1"));
    assert_eq!(get("stream_id"), Some("S1"));
    assert!(
        uri.starts_with("/?"),
        "sockets connect at the server root: {uri}"
    );
}
