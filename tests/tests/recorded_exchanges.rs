//! Replays every recorded exchange of the real server through the SDK's
//! executor and checks how the SDK reads it: a success gives the body
//! unchanged, an error gives the recorded status and message (JSON, text or
//! HTML), and nothing panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::borrow::Cow;

use serde_json::Value;
use speckle_contract_tests::{http_exchanges, Exchange};
use speckle_http::{execute, AuthMode, Client, Endpoint, Error, Method, Mount, RetryPolicy, Route};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An endpoint for any path, so recorded requests can be replayed as they
/// were made (the mock answers whatever the query). `M` picks the method (0 GET, 1 POST, 2 PUT, 3 DELETE).
struct Replay<const M: u8> {
    path: String,
    body: Value,
    success_despite_status: bool,
}

const fn method(m: u8) -> Method {
    match m {
        0 => Method::Get,
        1 => Method::Post,
        2 => Method::Put,
        _ => Method::Delete,
    }
}

impl<const M: u8> Endpoint for Replay<M> {
    type Response = Value;
    const ROUTE: Route = Route {
        method: method(M),
        template: "/replay",
        auth: AuthMode::Optional,
        mount: Mount::Root,
    };
    fn path(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.path)
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(if self.body.is_null() {
            None
        } else {
            Some(serde_json::to_vec(&self.body).unwrap())
        })
    }
    fn success_despite_status(&self) -> bool {
        self.success_despite_status
    }
}

async fn replay(client: &Client, exchange: &Exchange) -> Result<Value, Error> {
    // Only the delta route reads a 400 with `success: true` as data.
    let delta = exchange.method == "GET" && exchange.path.contains("/delta/");
    macro_rules! run {
        ($m:literal) => {
            execute(
                client,
                &Replay::<$m> {
                    path: exchange.path.trim_start_matches('/').to_owned(),
                    body: exchange.request_body.clone(),
                    success_despite_status: delta,
                },
            )
            .await
        };
    }
    match exchange.method.as_str() {
        "GET" => run!(0),
        "POST" => run!(1),
        "PUT" => run!(2),
        "DELETE" => run!(3),
        other => panic!("unexpected method {other}"),
    }
}

#[tokio::test]
async fn every_recorded_exchange_is_read_as_the_server_meant_it() {
    let exchanges = http_exchanges();
    assert!(exchanges.len() >= 150, "{} exchanges", exchanges.len());
    let mut checked = 0;
    for exchange in &exchanges {
        if exchange.method == "OPTIONS" {
            continue; // CORS preflight: not something a client sends
        }
        let server = MockServer::start().await;
        let body = match &exchange.response_body {
            Value::String(text) => text.clone().into_bytes(),
            json => serde_json::to_vec(json).unwrap(),
        };
        let content_type = if exchange.content_type.is_empty() {
            "text/plain"
        } else {
            &exchange.content_type
        };
        Mock::given(any())
            .respond_with(ResponseTemplate::new(exchange.status).set_body_raw(body, content_type))
            .mount(&server)
            .await;
        let client = Client::builder(server.uri())
            .token("JWT t")
            .retry(RetryPolicy::never())
            .build()
            .unwrap();
        let result = replay(&client, exchange).await;
        let what = format!(
            "#{} {} ({} {})",
            exchange.seq, exchange.label, exchange.method, exchange.path
        );

        let says_success = exchange
            .response_body
            .get("success")
            .and_then(Value::as_bool);
        let is_success_status = (200..300).contains(&exchange.status);
        let delta_data = exchange.path.contains("/delta/") && says_success == Some(true);
        match result {
            Ok(value) => {
                assert!(
                    is_success_status || delta_data,
                    "{what}: an error status was read as success"
                );
                if exchange.response_body.is_string() {
                    // Bodies the recorder shortened (a 300 KB getbulk) are not JSON here.
                    continue;
                }
                assert_eq!(value, exchange.response_body, "{what}");
            }
            Err(error) => {
                assert!(
                    !is_success_status
                        || says_success == Some(false)
                        || exchange.response_body.is_string(),
                    "{what}: a success was read as an error: {error}"
                );
                if !is_success_status {
                    assert_eq!(error.status(), Some(exchange.status), "{what}");
                }
                match &exchange.response_body {
                    Value::String(text) if text.trim_start().starts_with('<') => {
                        assert_eq!(error.body(), Some(text.as_str()), "{what}: HTML kept");
                        assert_eq!(error.server_message(), None, "{what}");
                    }
                    Value::String(text) if !is_success_status => {
                        assert_eq!(
                            error.server_message(),
                            Some(text.as_str()),
                            "{what}: text kept"
                        )
                    }
                    Value::Object(map) if map.contains_key("message") => {
                        assert_eq!(error.message(), map.get("message"), "{what}: message kept")
                    }
                    _ => {}
                }
                // Classification helpers agree with the recorded status.
                if exchange.status == 401 {
                    assert!(error.is_unauthorized(), "{what}");
                }
                if exchange.status == 413 {
                    assert!(error.is_too_large(), "{what}");
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 150, "checked {checked}");
}
