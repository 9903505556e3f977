//! `speckle::Error` covers everything the facade returns: websocket errors
//! convert into it, so `?` works across HTTP calls and sockets in one
//! function, and a converted error still carries no token.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::prelude::*;
use speckle::{ExposeSecret, SocketConfig, WsErrorKind};
use speckle_devserver::{Config, DevServer};

/// An HTTP call and a socket in one function, with `?` on both.
async fn info_then_socket(client: &SpeckleClient, client_id: &str) -> Result<SpeckleSocket, Error> {
    client.server_info().await?;
    let socket = client.websockets("S1", client_id)?;
    socket
        .handle()
        .broadcast_to_stream("S1", serde_json::json!({"eventType": "update-global"}))?;
    Ok(socket)
}

#[tokio::test]
async fn socket_errors_are_sdk_errors() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let client = SpeckleClient::new(server.url()).unwrap();

    // The real server crashes its worker on an empty client id: refused here.
    let error = info_then_socket(&client, " ").await.unwrap_err();

    assert!(error.is_websocket(), "{error:?}");
    assert_eq!(
        error.websocket().map(|e| e.kind()),
        Some(WsErrorKind::InvalidConfig)
    );
    assert_eq!(
        error.to_string(),
        "invalid websocket configuration: client_id must not be empty"
    );
    assert!(info_then_socket(&client, "c1").await.is_ok());
}

#[tokio::test]
async fn registering_a_live_client_fails_as_an_sdk_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = SpeckleClient::builder(format!("http://127.0.0.1:{port}"))
        .retry(speckle::RetryPolicy::never())
        .build()
        .unwrap();
    let error: Error = client
        .websockets_with_new_client("S1", speckle::ClientRole::Receiver)
        .await
        .unwrap_err();

    assert!(error.is_transport(), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "POST http://127.0.0.1:{port}/api/v1/clients: could not connect"
        )),
        "{error}"
    );
}

#[tokio::test]
async fn a_converted_socket_error_leaks_no_token() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let client = SpeckleClient::new(server.url()).unwrap();
    client
        .register(speckle::Register::new(
            "ws-secret@example.com",
            "ws-secret-password",
        ))
        .await
        .unwrap();
    let apitoken = client.apitoken().unwrap();
    let token_text = apitoken.expose_secret().to_owned();
    let bare = token_text.trim_start_matches("JWT ").to_owned();

    // Nothing listens here: the connection fails with the token in the URL.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = SocketConfig::new(format!("http://127.0.0.1:{port}"), "c1")
        .stream_id("S1")
        .access_token(apitoken)
        .max_reconnect_attempts(0);
    let mut socket = SpeckleSocket::connect(config).unwrap();
    let ws_error = loop {
        match socket.next().await {
            Some(Event::Error(error)) => break error,
            Some(_) => continue,
            None => panic!("the socket ended without an error"),
        }
    };
    let error = Error::from(ws_error);

    let mut texts = vec![error.to_string(), format!("{error:?}")];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        texts.push(format!("{cause:?}"));
        source = cause.source();
    }
    assert!(texts.len() > 2, "the cause is kept: {texts:?}");
    for text in texts {
        assert!(!text.contains(&bare), "token leaked: {text}");
    }
}
