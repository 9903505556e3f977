//! Every kind of bad answer becomes the right typed error, keeps what the
//! server said, and never panics.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use speckle_http::endpoints::{accounts, objects, streams};
use speckle_http::{execute, ErrorKind};
use support::{client, mock_server, recorded};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answer(server: &MockServer, status: u16, body: &str, content_type: &str) {
    Mock::given(method("GET"))
        .and(path("/api/v1/streams/abc"))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type),
        )
        .mount(server)
        .await;
}

async fn get_stream_error(status: u16, body: &str, content_type: &str) -> speckle_http::Error {
    let server = mock_server().await;
    answer(&server, status, body, content_type).await;
    execute(&client(&server), &streams::GetStream::new("abc"))
        .await
        .unwrap_err()
}

/// `Display` after the `GET <real URL>: ` it starts with.
fn shown_after_request(error: &speckle_http::Error) -> String {
    let request = error.request().expect("the request is named");
    assert!(
        request.starts_with("GET http://") && request.ends_with("/api/v1/streams/abc"),
        "{request}"
    );
    let shown = error.to_string();
    shown
        .strip_prefix(&format!("{request}: "))
        .unwrap_or_else(|| panic!("{shown}"))
        .to_owned()
}

#[tokio::test]
async fn text_unauthorized_is_an_unauthorized_error_with_its_body() {
    let error = get_stream_error(401, "Unauthorized", "text/plain").await;
    assert!(error.is_unauthorized());
    assert!(!error.is_forbidden());
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.body(), Some("Unauthorized"));
    assert_eq!(error.server_message(), Some("Unauthorized"));
    assert_eq!(
        shown_after_request(&error),
        "server answered 401: Unauthorized"
    );
}

#[tokio::test]
async fn admin_only_text_is_forbidden() {
    let error = get_stream_error(401, "Only admins can access this route", "text/plain").await;
    assert!(error.is_forbidden());
    assert_eq!(
        error.server_message(),
        Some("Only admins can access this route")
    );
}

#[tokio::test]
async fn html_413_404_500_and_400_keep_their_page() {
    for (status, seq) in [(413u16, 94u64), (404, 95), (400, 93)] {
        let page = recorded(seq).response_body.as_str().unwrap().to_owned();
        assert!(page.contains("<!DOCTYPE html>"));
        let error = get_stream_error(status, &page, "text/html; charset=utf-8").await;
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body(), Some(page.as_str()));
        assert_eq!(
            error.server_message(),
            None,
            "an HTML page is not a message"
        );
        // A 413 says what is too large instead.
        if status != 413 {
            assert!(error.to_string().contains("HTML page"), "{error}");
        }
    }
    let error = get_stream_error(413, "<!DOCTYPE html><html>too large</html>", "text/html").await;
    assert!(error.is_too_large());
    let error = get_stream_error(500, "<!DOCTYPE html><pre>TypeError</pre>", "text/html").await;
    assert!(error.is_server_error());
    let error = get_stream_error(
        404,
        "<!DOCTYPE html><pre>Cannot GET /api/x</pre>",
        "text/html",
    )
    .await;
    assert!(error.is_not_found());
}

#[tokio::test]
async fn json_errors_with_string_messages() {
    let error = get_stream_error(
        404,
        r#"{"success":false,"message":"Resource not found."}"#,
        "application/json",
    )
    .await;
    assert!(error.is_not_found());
    assert_eq!(error.server_message(), Some("Resource not found."));
    assert_eq!(error.message(), Some(&json!("Resource not found.")));
    // The raw body is kept beside the message.
    assert_eq!(
        error.body(),
        Some(r#"{"success":false,"message":"Resource not found."}"#)
    );

    let error = get_stream_error(
        401,
        r#"{"success":false,"message":"You are not authorised to read."}"#,
        "application/json",
    )
    .await;
    assert!(error.is_forbidden() && !error.is_not_found());

    let error = get_stream_error(
        400,
        r#"{"success":false,"message":"Error: Resource not found."}"#,
        "application/json",
    )
    .await;
    assert!(error.is_not_found(), "objects answer not-found with 400");
    assert!(!error.is_bad_request());
}

#[tokio::test]
async fn json_errors_with_object_and_brace_string_messages() {
    // Login with an unknown email: `message: {}`.
    let error =
        get_stream_error(401, r#"{"success":false,"message":{}}"#, "application/json").await;
    assert_eq!(error.message(), Some(&json!({})));
    assert_eq!(error.server_message(), None);
    assert!(error.is_unauthorized());
    // Delta apply: `message: "{}"`.
    let error = get_stream_error(
        400,
        r#"{"success":false,"message":"{}"}"#,
        "application/json",
    )
    .await;
    assert_eq!(error.message(), Some(&json!("{}")));
    assert_eq!(error.server_message(), None);
    assert!(error.is_bad_request());
    assert_eq!(shown_after_request(&error), "server answered 400");
}

#[tokio::test]
async fn success_false_under_200_is_an_error() {
    let error = get_stream_error(
        200,
        r#"{"success":false,"message":"Something failed."}"#,
        "application/json",
    )
    .await;
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.server_message(), Some("Something failed."));
}

#[tokio::test]
async fn truncated_and_invalid_json_are_decode_errors() {
    for body in [
        r#"{"success":true,"resource":{"name":"x""#,
        "not json at all",
        r#"{"success":true} trailing"#,
        "",
    ] {
        let error = get_stream_error(200, body, "application/json").await;
        assert!(error.is_decode(), "{body}: {error:?}");
        assert_eq!(error.body(), Some(body));
    }
}

#[tokio::test]
async fn a_wrongly_typed_body_names_the_path() {
    let error = get_stream_error(
        200,
        r#"{"success":true,"resource":{"layers":[{"name":5}]}}"#,
        "application/json",
    )
    .await;
    match error.kind() {
        ErrorKind::Decode { path, .. } => assert_eq!(path, "resource.layers[0].name"),
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("resource.layers[0].name"),
        "{error}"
    );
}

#[tokio::test]
async fn v0_routes_answer_410_with_an_error_key() {
    let error = get_stream_error(
        410,
        r#"{"error":"The v0 API has been removed."}"#,
        "application/json",
    )
    .await;
    assert_eq!(error.status(), Some(410));
    assert_eq!(error.server_message(), Some("The v0 API has been removed."));
}

#[tokio::test]
async fn token_routes_fail_before_sending_without_a_token() {
    let server = mock_server().await;
    let anonymous = support::anonymous_client(&server);
    let error = execute(&anonymous, &streams::ListStreams::new())
        .await
        .unwrap_err();
    assert!(error.is_unauthorized());
    assert!(matches!(error.kind(), ErrorKind::NotAuthenticated));
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let server = mock_server().await;
    let client = client(&server);
    let error = execute(&client, &accounts::SearchUsers::new("ab"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::InvalidInput(_)),
        "{error:?}"
    );
    let placeholder_without_id =
        speckle_types::SpeckleObject::new(speckle_types::ObjectType::Placeholder);
    let error = execute(
        &client,
        &objects::CreateObjects::new([placeholder_without_id]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::InvalidInput(_)),
        "{error:?}"
    );
    let untyped = speckle_types::SpeckleObject::default();
    let error = execute(&client, &objects::CreateObjects::new([untyped]))
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::InvalidInput(_)),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    // Bind and drop a listener so the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = speckle_http::Client::builder(format!("http://127.0.0.1:{port}"))
        .retry(speckle_http::RetryPolicy::never())
        .build()
        .unwrap();
    let error = execute(&client, &streams::GetStream::new("abc"))
        .await
        .unwrap_err();
    assert!(error.is_transport(), "{error:?}");
    assert!(matches!(
        error.kind(),
        ErrorKind::Transport { not_sent: true }
    ));
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = speckle_http::Client::builder(server.uri())
        .timeout(std::time::Duration::from_millis(100))
        .retry(speckle_http::RetryPolicy::never())
        .build()
        .unwrap();
    let error = execute(&client, &streams::GetStream::new("abc"))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
}
