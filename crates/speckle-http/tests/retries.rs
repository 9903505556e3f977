//! What is retried, and what is not.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use speckle_http::endpoints::{objects, streams};
use speckle_http::transport::{
    parse_retry_after, HttpRequest, HttpResponse, ReqwestTransport, Transport,
};
use speckle_http::{execute, Client, Method, RetryPolicy};
use support::{mock_server, Canned, FakeTransport, TOKEN};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn retrying_client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .token(TOKEN)
        .retry(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_base_delay(Duration::from_millis(5)),
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

/// A 429 (or 503) with `Retry-After`, then success, through a fake
/// transport; returns the (paused, so exact) time the request took.
async fn time_with_retry_after(status: u16, wait: Duration, policy: RetryPolicy) -> Duration {
    let transport = FakeTransport::new(vec![
        Canned::Answer(HttpResponse::new(status, "").with_retry_after(wait)),
        Canned::Answer(HttpResponse::new(200, r#"{"success":true,"resources":[]}"#)),
    ]);
    let client = transport.client(policy);
    let start = tokio::time::Instant::now();
    execute(&client, &objects::GetBulkObjects::new(["a"]))
        .await
        .unwrap();
    assert_eq!(transport.count(), 2);
    start.elapsed()
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_as_long_as_retry_after_says() {
    // The backoff would be 5 ms: the wait taken is the server's.
    let policy = RetryPolicy::default().with_base_delay(Duration::from_millis(5));
    let taken = time_with_retry_after(429, Duration::from_secs(7), policy.clone()).await;
    assert_eq!(taken, Duration::from_secs(7));
    let taken = time_with_retry_after(503, Duration::from_secs(2), policy).await;
    assert_eq!(taken, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_capped_by_max_delay() {
    let policy = RetryPolicy::default().with_max_delay(Duration::from_secs(10));
    let taken = time_with_retry_after(429, Duration::from_secs(3600), policy).await;
    assert_eq!(taken, Duration::from_secs(10));
}

#[test]
fn retry_after_accepts_seconds_and_http_dates() {
    // RFC 9110's example date, 10 s after `now`.
    let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470);
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(10)));
    assert_eq!(
        parse_retry_after(date, now + Duration::from_secs(60)),
        Some(Duration::ZERO),
        "a date in the past means: retry now"
    );
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(parse_retry_after("-1", now), None);
    assert_eq!(parse_retry_after("tomorrow", now), None);
}

#[tokio::test]
async fn the_http_transport_reads_both_retry_after_forms() {
    let server = mock_server().await;
    let in_100_s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(100));
    for (route, header) in [("/seconds", "42".to_owned()), ("/date", in_100_s)] {
        Mock::given(path(route))
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", header.as_str()))
            .mount(&server)
            .await;
    }
    let transport =
        ReqwestTransport::new(Duration::from_secs(30), Duration::from_secs(30), "test").unwrap();
    let send = |route: &str| {
        let url = url::Url::parse(&format!("{}{route}", server.uri())).unwrap();
        transport.send(HttpRequest::new(Method::Get, url))
    };
    let seconds = send("/seconds").await.unwrap();
    assert_eq!(seconds.retry_after, Some(Duration::from_secs(42)));
    let date = send("/date").await.unwrap().retry_after.unwrap();
    // The date has whole seconds and was written a moment ago.
    assert!(
        (Duration::from_secs(95)..=Duration::from_secs(100)).contains(&date),
        "{date:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn extreme_delays_saturate_instead_of_panicking() {
    // `Duration::MAX` once overflowed the jittered backoff (a panic for any
    // jitter over 1, half of the draws): 40 retries draw 40 jitters.
    for base in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        let mut script: Vec<Canned> = (0..40)
            .map(|_| Canned::Answer(HttpResponse::new(503, "")))
            .collect();
        script.push(Canned::Answer(HttpResponse::new(
            200,
            r#"{"success":true,"resources":[]}"#,
        )));
        let transport = FakeTransport::new(script);
        let policy = RetryPolicy::default()
            .with_max_retries(u32::MAX)
            .with_base_delay(base)
            .with_max_delay(Duration::MAX);
        let client = transport.client(policy);
        execute(&client, &streams::ListStreams::new())
            .await
            .unwrap();
        assert_eq!(transport.count(), 41);
    }
}

#[tokio::test]
async fn answers_over_the_size_limit_are_not_retried() {
    // The same answer would come again: retrying only costs the bandwidth.
    let server = mock_server().await;
    Mock::given(path("/api/v1/streams"))
        .respond_with(ResponseTemplate::new(200).set_body_string(" ".repeat(2048)))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri())
        .token(TOKEN)
        .max_response_bytes(1024)
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = execute(&client, &streams::ListStreams::new())
        .await
        .unwrap_err();
    assert!(error.is_response_too_large(), "{error}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn extreme_timeouts_and_limits_do_not_panic() {
    let server = mock_server().await;
    Mock::given(path("/api/v1/streams"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "resources": []})),
        )
        .mount(&server)
        .await;
    for (timeout, connect) in [
        (Duration::MAX, Duration::MAX),
        (Duration::from_secs(u64::MAX), Duration::ZERO),
        (Duration::ZERO, Duration::MAX),
    ] {
        for limit in [0, 1, u64::MAX] {
            let client = Client::builder(server.uri())
                .token(TOKEN)
                .timeout(timeout)
                .connect_timeout(connect)
                .max_response_bytes(limit)
                .retry(RetryPolicy::never())
                .build()
                .unwrap();
            // Whatever the outcome (a zero timeout times out, a zero limit
            // refuses the answer), it is a value, not a panic.
            let outcome = execute(&client, &streams::ListStreams::new()).await;
            if limit == u64::MAX && timeout != Duration::ZERO && connect != Duration::ZERO {
                outcome.unwrap();
            } else if limit < 10 && timeout != Duration::ZERO && connect != Duration::ZERO {
                assert!(outcome.unwrap_err().is_response_too_large());
            }
        }
    }
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
