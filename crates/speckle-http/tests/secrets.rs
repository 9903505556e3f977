//! Tokens and passwords never appear in `Debug`, `Display`, errors or logs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use speckle_http::endpoints::{accounts, streams};
use speckle_http::execute;
use support::{expect, mock_server, recorded, Exact};
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const SESSION: &str = "JWT session-SECRET-1";
const PASSWORD: &str = "password-SECRET-2";

/// Collects everything `tracing` writes, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_debug_display_errors_or_logs() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = mock_server().await;
    // Login answers with the recorded document, whose tokens are replaced by ours.
    let mut login = recorded(11).response_body;
    login["resource"]["token"] = SESSION.into();
    login["resource"]["apitoken"] = "JWT api-SECRET-3".into();
    expect(
        &server,
        Exact::new("POST", "/api/v1/accounts/login")
            .no_auth()
            .body(serde_json::json!({
                "email": "a@example.com", "password": PASSWORD
            })),
        200,
        &login,
    )
    .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .with_priority(10)
        .mount(&server)
        .await;

    let client = speckle_http::Client::builder(server.uri())
        .retry(speckle_http::RetryPolicy::never())
        .build()
        .unwrap();
    let user = client.login("a@example.com", PASSWORD).await.unwrap();
    let error = execute(&client, &streams::ListStreams::new())
        .await
        .unwrap_err();
    let register = accounts::Register::new("a@example.com", PASSWORD);
    let login_endpoint = accounts::Login::new("a@example.com", PASSWORD);

    let mut printed = vec![
        format!("{client:?}"),
        format!("{user:?}"),
        format!("{error}"),
        format!("{error:?}"),
        format!("{register:?}"),
        format!("{login_endpoint:?}"),
    ];
    printed.push(String::from_utf8(captured.0.lock().unwrap().clone()).unwrap());
    assert!(
        !printed.last().unwrap().is_empty(),
        "the capture saw the requests"
    );
    for text in printed {
        for secret in ["session-SECRET-1", "password-SECRET-2", "api-SECRET-3"] {
            assert!(!text.contains(secret), "{secret} leaked in: {text}");
        }
    }
    // The secrets were really in use.
    use secrecy::ExposeSecret;
    assert_eq!(client.token().unwrap().expose_secret(), SESSION);
    assert_eq!(
        client.apitoken().unwrap().expose_secret(),
        "JWT api-SECRET-3"
    );
}
