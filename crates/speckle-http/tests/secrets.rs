//! Tokens and passwords never appear in `Debug`, `Display`, errors or logs.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use speckle_http::endpoints::{accounts, streams};
use speckle_http::execute;
use support::{expect, mock_server, recorded, CapturedLogs, Exact};
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

const SESSION: &str = "JWT session-SECRET-1";
const PASSWORD: &str = "password-SECRET-2";

#[tokio::test]
async fn no_secret_reaches_debug_display_errors_or_logs() {
    let (captured, _guard) = CapturedLogs::install();

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
    printed.push(captured.text());
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

// ---- every error kind ---------------------------------------------------

const API_TOKEN: &str = "JWT api-SECRET-3";
/// A token the server sends without the `JWT ` scheme, so only its key (or
/// having been seen under that key) marks it as secret.
const BARE_TOKEN: &str = "bare-SECRET-4";
const SECRETS: [&str; 4] = [
    "session-SECRET-1",
    "password-SECRET-2",
    "api-SECRET-3",
    "bare-SECRET-4",
];

/// Everything an error lets a user print or read.
fn printed(error: &speckle_http::Error) -> Vec<String> {
    let mut texts = vec![
        format!("{error}"),
        format!("{error:?}"),
        format!("{error:#?}"),
        format!("{:?}", error.kind()),
        format!("{:?}", error.body()),
        format!("{:?}", error.message()),
        format!("{:?}", error.server_message()),
    ];
    if let Some(message) = error.message() {
        texts.push(message.to_string());
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        texts.push(format!("{cause}"));
        texts.push(format!("{cause:?}"));
        texts.push(format!("{cause:#?}"));
        source = cause.source();
    }
    texts
}

fn assert_clean(label: &str, texts: &[String]) {
    for text in texts {
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{label}: {secret} leaked in: {text}"
            );
        }
    }
}

/// The recorded login answer carrying our secrets.
fn login_answer() -> serde_json::Value {
    let mut login = recorded(11).response_body;
    login["resource"]["token"] = SESSION.into();
    login["resource"]["apitoken"] = API_TOKEN.into();
    login
}

async fn error_of<E: speckle_http::Endpoint>(
    status: u16,
    body: Vec<u8>,
    content_type: &str,
    endpoint: E,
) -> speckle_http::Error {
    let server = mock_server().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = support::client(&server);
    execute(&client, &endpoint).await.err().expect("an error")
}

fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

#[tokio::test]
async fn no_error_kind_holds_a_secret() {
    let (captured, _guard) = CapturedLogs::install();

    let mut errors: Vec<(&str, speckle_http::Error)> = Vec::new();
    let login = || accounts::Login::new("a@example.com", PASSWORD);

    // Decode errors of the answers that carry tokens, as in the issue.
    let mut bad_logins = login_answer();
    bad_logins["resource"]["logins"] = "oops".into();
    errors.push((
        "login logins:oops",
        error_of(200, json_bytes(&bad_logins), "application/json", login()).await,
    ));
    let mut bad_version = login_answer();
    bad_version["resource"]["__v"] = 1.5.into();
    errors.push((
        "login __v:1.5",
        error_of(200, json_bytes(&bad_version), "application/json", login()).await,
    ));
    // A decoder message quotes the wrong-typed value: here a token.
    let mut quoting = recorded(16).response_body;
    quoting["resource"]["apitoken"] = BARE_TOKEN.into();
    quoting["resource"]["logins"] = BARE_TOKEN.into();
    errors.push((
        "profile quoting a bare token",
        error_of(
            200,
            json_bytes(&quoting),
            "application/json",
            accounts::GetProfile::new(),
        )
        .await,
    ));
    let mut register = recorded(4).response_body;
    register["resource"]["token"] = SESSION.into();
    register["resource"]["apitoken"] = API_TOKEN.into();
    register["resource"]["email"] = json!([SESSION]);
    errors.push((
        "register quoting the session token",
        error_of(
            200,
            json_bytes(&register),
            "application/json",
            accounts::Register::new("a@example.com", PASSWORD),
        )
        .await,
    ));
    // Truncated in the middle of the token, and with invalid UTF-8 in it.
    let whole = json_bytes(&login_answer());
    let cut = whole
        .windows(b"session-SEC".len())
        .position(|w| w == b"session-SEC")
        .unwrap()
        + b"session-SEC".len();
    errors.push((
        "truncated login",
        error_of(200, whole[..cut].to_vec(), "application/json", login()).await,
    ));
    let mut invalid_utf8 = whole.clone();
    invalid_utf8.insert(cut - 3, 0xFF);
    invalid_utf8.truncate(invalid_utf8.len() - 1);
    errors.push((
        "invalid UTF-8 login",
        error_of(200, invalid_utf8, "application/json", login()).await,
    ));

    // Api errors: JSON with a message, JSON `success:false` under 200, text, HTML.
    let answer = json!({
        "success": false,
        "message": {"token": BARE_TOKEN, "detail": format!("bad {SESSION}")},
        "resource": {"apitoken": API_TOKEN},
    });
    errors.push((
        "api json message",
        error_of(400, json_bytes(&answer), "application/json", login()).await,
    ));
    let answer = json!({"success": false, "message": format!("token {API_TOKEN} expired"), "token": BARE_TOKEN});
    errors.push((
        "api success:false",
        error_of(200, json_bytes(&answer), "application/json", login()).await,
    ));
    errors.push((
        "api text",
        error_of(
            401,
            format!("Unauthorized: {SESSION}").into_bytes(),
            "text/plain",
            streams::ListStreams::new(),
        )
        .await,
    ));
    errors.push((
        "api html",
        error_of(
            500,
            format!(
                "<!DOCTYPE html><pre>Error at {{\"apitoken\":\"{BARE_TOKEN}\"}} {API_TOKEN}</pre>"
            )
            .into_bytes(),
            "text/html",
            streams::ListStreams::new(),
        )
        .await,
    ));

    // Transport failures whose message quotes a secret, and a timeout.
    for (label, make) in [
        (
            "transport other",
            (|| {
                speckle_http::transport::TransportError::Other(Box::new(std::io::Error::other(
                    "proxy refused Authorization: JWT session-SECRET-1",
                )))
            }) as fn() -> speckle_http::transport::TransportError,
        ),
        ("transport connect", || {
            speckle_http::transport::TransportError::Connect(
                "no route, token session-SECRET-1 kept".into(),
            )
        }),
        ("timeout", || {
            speckle_http::transport::TransportError::Timeout
        }),
    ] {
        let transport = support::FakeTransport::new(vec![support::Canned::Fail(make)]);
        let client = transport.client(speckle_http::RetryPolicy::never());
        client.set_token(Some(SESSION));
        client.set_apitoken(Some(API_TOKEN));
        let error = execute(&client, &streams::ListStreams::new())
            .await
            .unwrap_err();
        errors.push((label, error));
    }

    // A secret the client holds is redacted even where nothing marks it.
    let transport = support::FakeTransport::answering(
        500,
        format!("echo: {}", BARE_TOKEN.to_uppercase().to_lowercase()),
    );
    let client = transport.client(speckle_http::RetryPolicy::never());
    client.set_apitoken(Some(BARE_TOKEN));
    errors.push((
        "client's own token echoed",
        execute(&client, &streams::ListStreams::new())
            .await
            .unwrap_err(),
    ));

    // Too large, invalid input, not authenticated.
    let transport = support::FakeTransport::answering(200, json_bytes(&login_answer()));
    let client = speckle_http::Client::builder("http://fake.invalid")
        .transport(transport)
        .max_response_bytes(100)
        .build()
        .unwrap();
    errors.push((
        "response too large",
        client.login("a@example.com", PASSWORD).await.unwrap_err(),
    ));
    let transport = support::FakeTransport::answering(200, "{}");
    let client = transport.client(speckle_http::RetryPolicy::never());
    client.set_token(Some("JWT session-SECRET-1\u{7}x"));
    errors.push((
        "invalid input",
        execute(&client, &streams::ListStreams::new())
            .await
            .unwrap_err(),
    ));
    client.logout();
    errors.push((
        "not authenticated",
        execute(&client, &streams::ListStreams::new())
            .await
            .unwrap_err(),
    ));

    let kinds: Vec<String> = errors
        .iter()
        .map(|(_, e)| {
            format!("{:?}", e.kind())
                .split([' ', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in [
        "Api",
        "Decode",
        "Transport",
        "Timeout",
        "ResponseTooLarge",
        "InvalidInput",
        "NotAuthenticated",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} case: {kinds:?}");
    }
    for (label, error) in &errors {
        assert_clean(label, &printed(error));
    }
    let logs = captured.text();
    assert!(!logs.is_empty());
    assert_clean("tracing", &[logs]);
    // The bodies are still there, redacted: the user sees what came back.
    let (_, api_json) = errors
        .iter()
        .find(|(l, _)| *l == "api json message")
        .unwrap();
    assert!(api_json.body().unwrap().contains("\"success\":false"));
    let (_, decode) = errors
        .iter()
        .find(|(l, _)| *l == "login logins:oops")
        .unwrap();
    assert!(decode.is_decode());
    assert!(decode.body().unwrap().contains("oops"));
    assert!(decode.body().unwrap().contains("<redacted>"));
}

#[test]
fn a_server_url_with_credentials_is_refused_without_quoting_them() {
    for url in [
        "ftp://alice:hunter2-SECRET@host/",
        "https://alice:hunter2-SECRET@ho st/",
        "http://alice:hunter2-SECRET@/api",
        "https://alice:hunter2-SECRET@host/api",
        "https://host/?token=JWT eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.hunter2-SECRET x",
    ] {
        let error = speckle_http::Client::new(url).err();
        if let Some(error) = &error {
            for text in printed(error) {
                assert!(!text.contains("hunter2-SECRET"), "{url}: {text}");
            }
        }
        let error = speckle_http::ServerUrl::parse(url, true).err();
        assert!(
            error.is_some() || !url.contains('@'),
            "{url}: credentials are refused"
        );
    }
}

/// Errors name the request's real URL: a token pasted where an id belongs
/// (percent-encoded in the path) must not come back through it.
#[tokio::test]
async fn the_request_url_in_an_error_holds_no_token() {
    let server = mock_server().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(404).set_body_string("<!DOCTYPE html><p>Cannot GET</p>"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let client = support::client(&server);
    client.set_token(Some(SESSION));

    let error = execute(&client, &streams::GetStream::new(SESSION))
        .await
        .expect_err("an error");

    let request = error.request().expect("the request is named").to_owned();
    assert!(request.starts_with("GET http://"), "{request}");
    let mut texts = printed(&error);
    texts.push(request);
    assert_clean("request URL", &texts);
}
