//! Filters a user writes the obvious way: any integer type, and an empty
//! `is_in` that must match nothing rather than everything.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use speckle_http::endpoints::streams::ListStreams;
use speckle_http::execute;
use speckle_http::query::{Filter, Query};

#[test]
fn every_integer_type_is_a_filter_value() {
    let query = Query::new()
        .filter(Filter::eq("a", 5))
        .filter(Filter::eq("b", 5u8))
        .filter(Filter::gt("c", 70_000u32))
        .filter(Filter::lt("d", -3i16))
        .filter(Filter::eq("e", usize::MAX))
        .filter(Filter::is_in("f", [1u64, 2]));
    assert_eq!(
        query.to_query_string(),
        format!("a=5&b=5&c>70000&d<-3&e={}&f=1&f=2", usize::MAX)
    );
}

#[tokio::test]
async fn an_empty_is_in_is_refused_before_sending() {
    let server = support::mock_server().await;
    let client = support::client(&server);
    let endpoint = ListStreams::new()
        .with_query(Query::new().filter(Filter::is_in("_id", Vec::<String>::new())));
    let error = execute(&client, &endpoint).await.unwrap_err();
    assert!(error.is_invalid_input(), "{error}");
    assert!(error.to_string().contains("is_in(\"_id\", [])"), "{error}");
    let sent = server.received_requests().await.unwrap_or_default();
    assert!(sent.is_empty(), "the request was sent: {sent:?}");
}
