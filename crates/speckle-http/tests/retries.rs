//! What is retried, and what is not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use speckle_http::endpoints::{objects, streams};
use speckle_http::{execute, Client, RetryPolicy};
use support::{mock_server, TOKEN};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn retrying_client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .token(TOKEN)
        .retry(
            RetryPolicy::default()
                .max_retries(3)
                .base_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

async fn fail_then_succeed(
    server: &MockServer,
    verb: &str,
    route: &str,
    failure: ResponseTemplate,
    failures: u64,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(failure)
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "resources": []})),
        )
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn reads_are_retried_on_502_503_504() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/streams",
        ResponseTemplate::new(503),
        1,
    )
    .await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/streams",
        ResponseTemplate::new(502),
        1,
    )
    .await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/streams",
        ResponseTemplate::new(504),
        1,
    )
    .await;
    execute(&retrying_client(&server), &streams::ListStreams::new())
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "POST",
        "/api/v1/objects/getbulk",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        2,
    )
    .await;
    execute(
        &retrying_client(&server),
        &objects::GetBulkObjects::new(["a"]),
    )
    .await
    .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn non_idempotent_requests_are_not_retried_after_an_answer() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "POST",
        "/api/v1/streams",
        ResponseTemplate::new(503),
        1,
    )
    .await;
    let error = execute(
        &retrying_client(&server),
        &streams::CreateStream::new(Default::default()),
    )
    .await
    .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn object_uploads_are_retried_because_they_are_content_addressed() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "POST",
        "/api/v1/objects",
        ResponseTemplate::new(503),
        2,
    )
    .await;
    let object = speckle_types::SpeckleObject::from(speckle_types::Point::new(0.0, 0.0, 0.0));
    execute(
        &retrying_client(&server),
        &objects::CreateObjects::new([object]),
    )
    .await
    .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn retries_give_up_after_the_limit() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/streams",
        ResponseTemplate::new(503),
        10,
    )
    .await;
    let error = execute(&retrying_client(&server), &streams::ListStreams::new())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "1 try + 3 retries"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = mock_server().await;
    fail_then_succeed(
        &server,
        "GET",
        "/api/v1/streams",
        ResponseTemplate::new(400),
        1,
    )
    .await;
    execute(&retrying_client(&server), &streams::ListStreams::new())
        .await
        .unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
