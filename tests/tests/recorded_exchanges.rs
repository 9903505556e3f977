//! Replays every recorded exchange of the real server through the SDK's
//! executor, decoding each answer into the response type of the endpoint
//! that targets the recorded route, and checks how the SDK reads it: a
//! success decodes into that type (every top-level key a typed field, nothing
//! lost on the way back to JSON), an error gives the recorded status and
//! message (JSON, text or HTML), and nothing panics.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;
use speckle_contract_tests::{http_exchanges, Exchange};
use speckle_http::endpoints::{route_for, streams};
use speckle_http::types::*;
use speckle_http::{execute, AuthMode, Client, Endpoint, Error, Method, Mount, RetryPolicy, Route};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The keys of a decoded answer that landed in its catch-all map rather
/// than in a typed field. A route answered with the wrong response type
/// shows up here (or fails to decode).
trait UnknownKeys {
    fn unknown_keys(&self) -> Vec<String>;
}

macro_rules! unknown_keys_in_extra {
    ($($ty:ty),* $(,)?) => {
        $(impl UnknownKeys for $ty {
            fn unknown_keys(&self) -> Vec<String> {
                self.extra.keys().cloned().collect()
            }
        })*
    };
}

unknown_keys_in_extra!(
    ServerInfo,
    Envelope<Registration>,
    Envelope<User>,
    Envelope<Vec<User>>,
    Envelope<ApiClient>,
    Envelope<Stream>,
    Envelope<SpeckleObject>,
    Envelope<Comment>,
    Envelope<Project>,
    Envelope<Value>,
    CloneResponse,
    DiffResponse,
    DeltaResponse,
    DeleteStreamResponse,
    ProjectStreamResponse,
    RemoveUserResponse,
    DowngradeUserResponse,
    DeleteProjectResponse,
    CommentEditResponse,
);

impl UnknownKeys for Vec<PluginManifest> {
    fn unknown_keys(&self) -> Vec<String> {
        Vec::new() // a bare array: nothing at the top level to misplace
    }
}

/// Replays a recorded request as it was made (the mock answers whatever
/// the path), with the method of endpoint `E` and decoding into `E`'s
/// response type.
struct Replay<E> {
    path: String,
    body: Value,
    success_despite_status: bool,
    endpoint: PhantomData<fn() -> E>,
}

impl<E: Endpoint> Endpoint for Replay<E> {
    type Response = E::Response;
    const ROUTE: Route = Route {
        method: E::ROUTE.method,
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

/// A successful answer: the typed value written back as JSON, and the keys
/// the type did not know.
struct Decoded {
    json: Value,
    unknown_keys: Vec<String>,
}

async fn replay_as<E>(client: &Client, exchange: &Exchange) -> Result<Decoded, Error>
where
    E: Endpoint,
    E::Response: Serialize + UnknownKeys,
{
    let typed = execute(
        client,
        &Replay::<E> {
            path: exchange.path.trim_start_matches('/').to_owned(),
            body: exchange.request_body.clone(),
            // Only the delta route reads a 400 with `success: true` as data.
            success_despite_status: E::ROUTE == streams::GetStreamDelta::ROUTE,
            endpoint: PhantomData,
        },
    )
    .await?;
    Ok(Decoded {
        json: serde_json::to_value(&typed).unwrap(),
        unknown_keys: typed.unknown_keys(),
    })
}

/// Replays `exchange` as the endpoint whose route it targets.
async fn replay(client: &Client, route: Route, exchange: &Exchange) -> Result<Decoded, Error> {
    macro_rules! as_endpoint_of_route {
        ($($ty:path),* $(,)?) => {
            $(if route == <$ty as Endpoint>::ROUTE {
                return replay_as::<$ty>(client, exchange).await;
            })*
        };
    }
    speckle_http::for_each_endpoint!(as_endpoint_of_route);
    panic!("no endpoint type for {route}")
}

/// Stands for a path no endpoint targets (the removed v0 API, a typo): the
/// server answers those with an error, read here as a plain message.
struct Unrouted<const M: u8>;

impl<const M: u8> Endpoint for Unrouted<M> {
    type Response = Envelope<Value>;
    const ROUTE: Route = Route {
        method: match M {
            0 => Method::Get,
            1 => Method::Post,
            2 => Method::Put,
            _ => Method::Delete,
        },
        template: "/unrouted",
        auth: AuthMode::Optional,
        mount: Mount::Root,
    };
    fn path(&self) -> Cow<'_, str> {
        Cow::Borrowed("unrouted")
    }
}

async fn replay_unrouted(client: &Client, exchange: &Exchange) -> Result<Decoded, Error> {
    match method(&exchange.method) {
        Method::Get => replay_as::<Unrouted<0>>(client, exchange).await,
        Method::Post => replay_as::<Unrouted<1>>(client, exchange).await,
        Method::Put => replay_as::<Unrouted<2>>(client, exchange).await,
        _ => replay_as::<Unrouted<3>>(client, exchange).await,
    }
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => panic!("unexpected method {other}"),
    }
}

#[tokio::test]
async fn every_recorded_exchange_is_read_as_the_server_meant_it() {
    let exchanges = http_exchanges();
    assert!(exchanges.len() >= 150, "{} exchanges", exchanges.len());
    let mut checked = 0;
    let mut typed = 0;
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
        let what = format!(
            "#{} {} ({} {})",
            exchange.seq, exchange.label, exchange.method, exchange.path
        );
        let route = route_for(method(&exchange.method), &exchange.path);
        let result = match route {
            Some(route) => replay(&client, route, exchange).await,
            None => replay_unrouted(&client, exchange).await,
        };

        let says_success = exchange
            .response_body
            .get("success")
            .and_then(Value::as_bool);
        let is_success_status = (200..300).contains(&exchange.status);
        let delta_data = exchange.path.contains("/delta/") && says_success == Some(true);
        match result {
            Ok(decoded) => {
                assert!(
                    is_success_status || delta_data,
                    "{what}: an error status was read as success"
                );
                let route = route.unwrap_or_else(|| panic!("{what}: no route, yet a success"));
                assert!(
                    decoded.unknown_keys.is_empty(),
                    "{what}: {route}'s response type does not know {:?}",
                    decoded.unknown_keys
                );
                assert_eq!(decoded.json, exchange.response_body, "{what}: not lossless");
                typed += 1;
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
    // 92 recorded successes, every one of them decoded into its type.
    assert!(typed >= 90, "only {typed} successes were decoded");
}
