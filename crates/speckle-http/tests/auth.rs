//! Register, login and token login fill the session the way the server
//! expects.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use secrecy::ExposeSecret;
use serde_json::json;
use speckle_http::endpoints::accounts::Register;
use speckle_http::endpoints::streams::ListStreams;
use speckle_http::execute;
use support::{anonymous_client, expect, mock_server, recorded, Exact};

#[tokio::test]
async fn register_then_logs_in_and_keeps_both_tokens() {
    let server = mock_server().await;
    let register = recorded(4);
    let login = recorded(11);
    expect(
        &server,
        Exact::new("POST", "/api/v1/accounts/register")
            .no_auth()
            .body(register.request_body.clone()),
        200,
        &register.response_body,
    )
    .await;
    expect(
        &server,
        Exact::new("POST", "/api/v1/accounts/login")
            .no_auth()
            .body(json!({
                "email": "alice1795965856@example.com", "password": "correct-horse-battery"
            })),
        200,
        &login.response_body,
    )
    .await;
    // The session token from the login is what later requests carry.
    let streams = json!({"success": true, "resources": []});
    let session = login.response_body["resource"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut list = Exact::new("GET", "/api/v1/streams");
    list.auth = Some(session.clone());
    expect(&server, list, 200, &streams).await;

    let client = anonymous_client(&server);
    let registration = Register::new("alice1795965856@example.com", "correct-horse-battery")
        .name("Alice")
        .surname("Anders")
        .company("Acme");
    let user = client.register(registration).await.unwrap();
    assert_eq!(user.id.as_ref().unwrap(), "6b0c43a184c96928c7155336");
    assert_eq!(client.user_id(), user.id);
    assert_eq!(client.token().unwrap().expose_secret(), session);
    assert_eq!(client.apitoken().unwrap().expose_secret(), "JWT redacted-1");
    execute(&client, &ListStreams::new()).await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn failed_login_keeps_the_client_anonymous() {
    let server = mock_server().await;
    let rec = recorded(14); // unknown email: 401 with message {}
    expect(
        &server,
        Exact::new("POST", "/api/v1/accounts/login")
            .no_auth()
            .body(rec.request_body.clone()),
        401,
        &rec.response_body,
    )
    .await;
    let client = anonymous_client(&server);
    let email = rec.request_body["email"].as_str().unwrap();
    let password = rec.request_body["password"].as_str().unwrap();
    let error = client.login(email, password).await.unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(error.message(), Some(&json!({})));
    assert!(client.token().is_none());
}

#[tokio::test]
async fn login_with_token_accepts_bare_tokens_and_restores_on_failure() {
    let server = mock_server().await;
    let profile = recorded(17).response_body;
    let mut get = Exact::new("GET", "/api/v1/accounts");
    get.auth = Some("JWT good.token".into());
    expect(&server, get, 200, &profile).await;
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/accounts"))
        .respond_with(wiremock::ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .with_priority(100)
        .mount(&server)
        .await;

    let client = anonymous_client(&server);
    let user = client.login_with_token("good.token").await.unwrap();
    assert_eq!(client.user_id(), user.id);
    let error = client.login_with_token("JWT bad.token").await.unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(
        client.token().unwrap().expose_secret(),
        "JWT good.token",
        "previous session restored"
    );
    assert_eq!(client.user_id(), user.id);
}
