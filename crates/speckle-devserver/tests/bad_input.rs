//! Bad input on every route family: malformed JSON, wrong body types, huge
//! ids, oversized and badly encoded bodies, option keys that crash q2m. The
//! server must answer like the real one and keep answering afterwards.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;

use common::{client, json, send, start, user};

/// Every route of the real server, with `{s}` a stream id, `{o}` an object
/// id, `{i}` a generic id slot.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/accounts/register"),
    ("POST", "/api/accounts/login"),
    ("GET", "/api/accounts"),
    ("GET", "/api/accounts/admin"),
    ("PUT", "/api/accounts"),
    ("GET", "/api/accounts/{i}"),
    ("PUT", "/api/accounts/{i}"),
    ("POST", "/api/accounts/search"),
    ("POST", "/api/clients"),
    ("GET", "/api/clients"),
    ("GET", "/api/clients/{i}"),
    ("PUT", "/api/clients/{i}"),
    ("DELETE", "/api/clients/{i}"),
    ("POST", "/api/streams"),
    ("GET", "/api/streams"),
    ("GET", "/api/streams/admin"),
    ("GET", "/api/streams/{s}"),
    ("PUT", "/api/streams/{s}"),
    ("POST", "/api/streams/{s}/delta"),
    ("POST", "/api/streams/{s}/clone"),
    ("GET", "/api/streams/{s}/diff/{s2}"),
    ("GET", "/api/streams/{s}/delta/{s2}"),
    ("GET", "/api/streams/{s}/objects"),
    ("GET", "/api/streams/{s}/clients"),
    ("POST", "/api/objects"),
    ("POST", "/api/objects/derive"),
    ("GET", "/api/objects/{o}"),
    ("POST", "/api/objects/getbulk"),
    ("PUT", "/api/objects/{o}"),
    ("PUT", "/api/objects/{o}/properties"),
    ("GET", "/api/comments"),
    ("GET", "/api/comments/assigned"),
    ("POST", "/api/comments/stream/{s}"),
    ("GET", "/api/comments/stream/{s}"),
    ("POST", "/api/comments/object/{o}"),
    ("GET", "/api/comments/{i}"),
    ("PUT", "/api/comments/{i}"),
    ("POST", "/api/projects"),
    ("GET", "/api/projects"),
    ("GET", "/api/projects/admin"),
    ("GET", "/api/projects/{i}"),
    ("PUT", "/api/projects/{i}"),
    ("PUT", "/api/projects/{i}/addstream/{s}"),
    ("DELETE", "/api/projects/{i}/removestream/{s}"),
    ("PUT", "/api/projects/{i}/adduser/{i}"),
    ("DELETE", "/api/projects/{i}/removeuser/{i}"),
    ("PUT", "/api/projects/{i}/upgradeuser/{i}"),
    ("PUT", "/api/projects/{i}/downgradeuser/{i}"),
    ("DELETE", "/api/streams/{s2}"),
    ("DELETE", "/api/objects/{o}"),
    ("DELETE", "/api/comments/{i}"),
    ("DELETE", "/api/projects/{i}"),
];

fn fill(path: &str, s: &str, s2: &str, o: &str, i: &str) -> String {
    path.replace("{s2}", s2)
        .replace("{s}", s)
        .replace("{o}", o)
        .replace("{i}", i)
}

async fn healthy(c: &reqwest::Client, base: &str) {
    let (s, t) = send(c, "GET", &format!("{base}/api"), None, None).await;
    assert_eq!(s, 200, "server stopped answering: {t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_an_html_400_on_every_route() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "a@example.com").await;
    for (method, path) in ROUTES {
        let url = format!(
            "{base}{}",
            fill(
                path,
                "S",
                "T",
                "5c0000000000000000000000",
                "5c0000000000000000000000"
            )
        );
        for body in [r#"{"name": "#, "{\"a\":1}}", "'x'", "\"str\"", "12", "   "] {
            let (s, t) = send(&c, method, &url, Some(&token), Some(body)).await;
            assert_eq!(s, 400, "{method} {path} {body:?}: {t}");
            assert!(
                t.starts_with("<!DOCTYPE html>") && t.contains("SyntaxError"),
                "{t}"
            );
        }
    }
    // A JSON body sent as another type is ignored, like body-parser does.
    let r = c
        .post(format!("{base}/api/objects"))
        .header("Authorization", &token)
        .header("Content-Type", "text/plain")
        .body("{\"type\":\"Point\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        json(&r.text().await.unwrap())["message"],
        "ValidationError: type: Path `type` is required."
    );
    healthy(&c, &base).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_and_huge_ids_never_break_the_server() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (alice, _) = user(&c, &base, "alice@example.com").await;
    let (bob, _) = user(&c, &base, "bob@example.com").await;
    let (_, t) = send(
        &c,
        "POST",
        &format!("{base}/api/streams"),
        Some(&alice),
        Some(r#"{"name":"s","objects":[{"type":"Point"}]}"#),
    )
    .await;
    let stream = json(&t)["resource"]["streamId"]
        .as_str()
        .unwrap()
        .to_string();
    let object = json(&t)["resource"]["objects"][0]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, t) = send(
        &c,
        "POST",
        &format!("{base}/api/streams"),
        Some(&alice),
        Some(r#"{"name":"t"}"#),
    )
    .await;
    let stream2 = json(&t)["resource"]["streamId"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, t) = send(
        &c,
        "POST",
        &format!("{base}/api/projects"),
        Some(&alice),
        Some("{}"),
    )
    .await;
    let project = json(&t)["resource"]["_id"].as_str().unwrap().to_string();
    let huge = "f".repeat(10_000);
    let bodies = [
        "[]",
        "{}",
        "[1, \"x\", null, [], {}]",
        r#"{"objects": "x", "name": {"a": 1}, "online": "maybe", "text": [], "email": 5, "password": 5,
            "searchString": 12345, "_id": {}, "hash": 7, "canRead": "nope", "private": "sure",
            "streams": {"x": 1}, "permissions": 3, "assignedTo": ["bad"], "properties": [1, 2]}"#,
        r#"[{"_id": "zzz"}, {"_id": null}, "6b0c43a284c96928c7155341"]"#,
        r#"{"revisionA": {"id": 1}, "created": "x", "deleted": {"a": 1}}"#,
        r#"{"objects": [null, 1, "x", {"type": "Placeholder"}, {"type": "Point", "$bad": 1}]}"#,
        r#"{"role": "admin", "name": null, "surname": 1, "company": [], "email": "x", "archived": "no"}"#,
    ];
    let id_sets = [
        (
            stream.as_str(),
            stream2.as_str(),
            object.as_str(),
            project.as_str(),
        ),
        ("x", "y", "x", "x"),
        (huge.as_str(), huge.as_str(), huge.as_str(), huge.as_str()),
    ];
    for (s, s2, o, i) in id_sets {
        for (method, path) in ROUTES {
            if *method == "DELETE" && s == stream.as_str() {
                continue;
            }
            let url = format!("{base}{}", fill(path, s, s2, o, i));
            for token in [Some(bob.as_str()), Some(alice.as_str()), None] {
                for body in bodies {
                    let (status, text) = send(&c, method, &url, token, Some(body)).await;
                    assert!(
                        status < 500,
                        "{method} {} with {body}: {status} {text}",
                        &url[..url.len().min(120)]
                    );
                    if text.starts_with('{') || text.starts_with('[') {
                        assert!(
                            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                            "{text}"
                        );
                    }
                }
            }
        }
    }
    // A 10,000-character id is a cast error, worded like mongoose.
    let (s, t) = send(
        &c,
        "GET",
        &format!("{base}/api/objects/{huge}"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert!(json(&t)["message"]
        .as_str()
        .unwrap()
        .starts_with("CastError: Cast to ObjectId failed"));
    let (s, _) = send(&c, "GET", &format!("{base}/api/streams/{huge}"), None, None).await;
    assert_eq!(s, 404);
    healthy(&c, &base).await;
    server.shutdown().await;
}

#[tokio::test]
async fn repeated_option_keys_are_an_html_500_like_the_real_server() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "a@example.com").await;
    let (s, t) = send(
        &c,
        "GET",
        &format!("{base}/api/streams?omit=layers&omit=objects"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 500);
    assert!(
        t.contains("TypeError: omitFields.split is not a function"),
        "{t}"
    );
    let (s, t) = send(
        &c,
        "GET",
        &format!("{base}/api/streams/x?fields=a&fields=b"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 500);
    assert!(
        t.contains("TypeError: fields.split is not a function"),
        "{t}"
    );
    // Routes that take no query ignore it.
    let (s, _) = send(
        &c,
        "GET",
        &format!("{base}/api/accounts?fields=a&fields=b"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    healthy(&c, &base).await;
    server.shutdown().await;
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_encoded_bodies() {
    let server = start().await;
    let base = server.url();
    let c = client();
    let (token, _) = user(&c, &base, "a@example.com").await;
    let url = format!("{base}/api/objects");
    let post = |body: Vec<u8>, encoding: Option<&'static str>| {
        let mut r = c
            .post(&url)
            .header("Authorization", &token)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(e) = encoding {
            r = r.header("Content-Encoding", e);
        }
        async move {
            let resp = r.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let eleven_mb = {
        let mut s = String::from("[{\"type\":\"Point\",\"value\":[");
        while s.len() < 11 * 1024 * 1024 {
            s.push_str("1234567,");
        }
        s.push_str("0]}]");
        s.into_bytes()
    };
    let (s, t) = post(eleven_mb.clone(), None).await;
    assert_eq!(s, 413);
    assert!(
        t.contains("PayloadTooLargeError: request entity too large"),
        "{t}"
    );
    // The limit applies to the inflated size.
    let (s, _) = post(gzip(&eleven_mb), Some("gzip")).await;
    assert_eq!(s, 413);
    let (s, t) = post(gzip(br#"[{"type":"Point","value":[1,2,3]}]"#), Some("gzip")).await;
    assert_eq!(s, 200, "{t}");
    let (s, t) = post(b"not gzip at all".to_vec(), Some("gzip")).await;
    assert_eq!(s, 400, "{t}");
    let (s, t) = post(b"{}".to_vec(), Some("br")).await;
    assert_eq!(s, 415, "{t}");
    // Deep nesting is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (s, _) = post(deep.into_bytes(), None).await;
    assert_eq!(s, 400);
    // A smaller limit is honoured.
    let small = speckle_devserver::DevServer::start(
        speckle_devserver::Config::default().request_limit(1000),
    )
    .await
    .unwrap();
    let (s, _) = send(
        &c,
        "POST",
        &format!("{}/api/accounts/login", small.url()),
        None,
        Some(&format!("{{\"email\":\"{}\"}}", "x".repeat(2000))),
    )
    .await;
    assert_eq!(s, 413);
    healthy(&c, &base).await;
    healthy(&c, &small.url()).await;
    server.shutdown().await;
}
