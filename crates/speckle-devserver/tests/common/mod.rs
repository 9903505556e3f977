//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;
use speckle_devserver::{Config, DevServer};

pub async fn start() -> DevServer {
    DevServer::start(Config::default())
        .await
        .expect("server starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client")
}

/// Sends a request; returns status and body text.
pub async fn send(
    c: &reqwest::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut r = c.request(m, url);
    if let Some(t) = token {
        r = r.header("Authorization", t);
    }
    if let Some(b) = body {
        r = r
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = r.send().await.expect("response");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
}

/// Registers and logs in a user; returns (apitoken, user id).
pub async fn user(c: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let body = format!(r#"{{"email":"{email}","password":"correct-horse-battery","name":"U"}}"#);
    let (s, _) = send(
        c,
        "POST",
        &format!("{base}/api/accounts/register"),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(s, 200);
    let body = format!(r#"{{"email":"{email}","password":"correct-horse-battery"}}"#);
    let (s, t) = send(
        c,
        "POST",
        &format!("{base}/api/accounts/login"),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(s, 200);
    let v = json(&t);
    (
        v["resource"]["apitoken"].as_str().unwrap().to_string(),
        v["resource"]["_id"].as_str().unwrap().to_string(),
    )
}
