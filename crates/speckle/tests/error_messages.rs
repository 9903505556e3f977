//! Errors say what happened and what to do, in one line: the real request
//! (method and URL with the ids), the cause, and a hint where one is
//! obvious. Each cause is printed once by a reporter that walks `source()`.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::http::RetryPolicy;
use speckle::{Point, PushOptions, SpeckleClient, SpeckleObject, Stream};
use speckle_devserver::{Config, DevServer};

/// A client that fails at once instead of retrying for seconds.
fn client(url: &str) -> SpeckleClient {
    SpeckleClient::builder(url)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// What an error reporter prints: the error, then each source.
fn report(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut lines = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        lines.push(cause.to_string());
        source = cause.source();
    }
    lines
}

/// No line of the report repeats a line that follows it.
fn assert_each_cause_once(error: &(dyn std::error::Error + 'static)) {
    let lines = report(error);
    for (at, line) in lines.iter().enumerate() {
        for later in lines.iter().skip(at + 1) {
            assert!(
                !line.contains(later.as_str()),
                "`{later}` is printed twice in {lines:#?}"
            );
        }
    }
}

#[tokio::test]
async fn connection_refused_says_nothing_listens_there() {
    let port = closed_port();
    let error = client(&format!("http://127.0.0.1:{port}"))
        .streams()
        .get("abc123")
        .await
        .unwrap_err();

    assert!(error.is_transport(), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET http://127.0.0.1:{port}/api/v1/streams/abc123: could not connect: connection \
             refused: nothing listens at 127.0.0.1:{port} (hint: is the server running, at this \
             host and port?)"
        )
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn an_address_without_scheme_says_https_was_tried() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let address = format!("127.0.0.1:{}", server.port());
    let error = client(&address).streams().get("abc123").await.unwrap_err();

    assert!(error.is_transport(), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET https://{address}/api/v1/streams/abc123: could not connect: TLS handshake \
             failed (hint: the server URL has no scheme, so https was tried; a local server \
             usually wants `http://{address}`)"
        )
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn a_server_url_with_a_path_says_which_url_answered_404() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let base = format!("{}/some/path", server.url().trim_end_matches('/'));
    let error = client(&base).streams().get("abc123").await.unwrap_err();

    assert!(error.is_not_found(), "{error:?}");
    let shown = error.to_string();
    let expected_start = format!("GET {base}/api/v1/streams/abc123: server answered 404");
    assert!(shown.starts_with(&expected_start), "{shown}");
    assert!(
        shown.ends_with(&format!(
            "(hint: no Speckle v1 API route answers at this URL: check the server URL \
             (`{base}/` is taken as the server's root))"
        )),
        "{shown}"
    );
    assert!(!shown.contains('\n'), "{shown}");
    assert_each_cause_once(&error);
}

/// An object whose JSON is about `bytes` long.
fn big_object(bytes: usize) -> SpeckleObject {
    SpeckleObject::from(Point::new(0.0, 0.0, 0.0)).with("blob", "x".repeat(bytes))
}

const LIMIT_NOTE: &str = "is over the server's body limit (REQ_SIZE, 10 MB unless the server \
                          sets it; gzipped bodies count unzipped)";

#[tokio::test]
async fn an_object_over_the_limit_stays_too_large_through_create() {
    let server = DevServer::start(Config::default().request_limit(64 * 1024))
        .await
        .unwrap();
    let client = client(&server.url());
    client
        .register(speckle::Register::new(
            "big@example.com",
            "big-password-123",
        ))
        .await
        .unwrap();

    let error = client
        .objects()
        .create([big_object(100 * 1024)])
        .await
        .unwrap_err();

    assert!(error.is_too_large(), "{error:?}");
    let bytes = error.request_bytes().unwrap();
    assert!(bytes > 100 * 1024, "{bytes}");
    assert_eq!(
        error.to_string(),
        format!(
            "POST {}api/v1/objects: server answered 413: the request body of {bytes} bytes \
             {LIMIT_NOTE}: 1 object(s) could not be stored; the first is at index 0",
            server.url().trim_end_matches('/').to_owned() + "/"
        )
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn an_object_over_the_limit_stays_too_large_through_push_objects() {
    let server = DevServer::start(Config::default().request_limit(64 * 1024))
        .await
        .unwrap();
    let client = client(&server.url());
    client
        .register(speckle::Register::new(
            "big@example.com",
            "big-password-123",
        ))
        .await
        .unwrap();
    let stream = client
        .streams()
        .create(Stream::default())
        .await
        .unwrap()
        .stream_id
        .unwrap();

    let objects = [big_object(10), big_object(100 * 1024)];
    let error = client
        .streams()
        .push_objects(&stream, objects, &PushOptions::default())
        .await
        .unwrap_err();

    assert!(error.is_too_large(), "{error:?}");
    let shown = error.to_string();
    assert!(shown.contains(LIMIT_NOTE), "{shown}");
    assert!(
        shown.ends_with("1 object(s) could not be stored; the first is at index 1"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_empty_id_is_invalid_input_before_any_request() {
    // Nothing listens: a request would be a transport error instead.
    let client = client(&format!("http://127.0.0.1:{}", closed_port()));
    let error = client.streams().get("").await.unwrap_err();

    assert!(error.is_invalid_input(), "{error:?}");
    assert_eq!(
        error.to_string(),
        "GET /api/streams/:streamId: invalid input: `streamId` is empty"
    );
}

#[tokio::test]
async fn a_bad_answer_names_the_decoder_cause_once() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_string(r#"{"success":true,"resource":{"name":42}}"#),
        )
        .mount(&server)
        .await;
    let error = client(&server.uri())
        .streams()
        .get("abc123")
        .await
        .unwrap_err();

    assert!(error.is_decode(), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET {}/api/v1/streams/abc123: unexpected response body at `resource.name`: \
             invalid type: integer `42`, expected a string at line 1 column 37",
            server.uri()
        )
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn https_given_to_a_plain_http_server_suggests_http() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let address = format!("127.0.0.1:{}", server.port());
    let error = client(&format!("https://{address}"))
        .server_info()
        .await
        .unwrap_err();

    assert!(error.is_transport(), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET https://{address}/api/v1/: could not connect: TLS handshake failed (hint: does the \
             server speak https? A local server usually wants `http://{address}`)"
        )
    );
    assert_each_cause_once(&error);
}

#[tokio::test]
async fn an_unknown_host_says_its_name_could_not_be_resolved() {
    // `.invalid` never resolves (RFC 2606).
    let error = client("http://no-such-host.invalid")
        .server_info()
        .await
        .unwrap_err();

    assert!(error.is_transport(), "{error:?}");
    assert_eq!(
        error.to_string(),
        "GET http://no-such-host.invalid/api/v1/: could not connect: could not resolve the host \
         name `no-such-host.invalid` (hint: check the server URL)"
    );
    assert_each_cause_once(&error);
}
