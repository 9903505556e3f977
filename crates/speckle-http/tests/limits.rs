//! Answers larger than the client accepts are refused without being read
//! whole: at once when `Content-Length` says so, chunk by chunk otherwise.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use speckle_http::endpoints::streams;
use speckle_http::{execute, Client, ErrorKind, RetryPolicy, DEFAULT_MAX_RESPONSE_BYTES};
use support::{mock_server, TOKEN};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

fn client_with_limit(url: String, limit: u64) -> Client {
    Client::builder(url)
        .token(TOKEN)
        .retry(RetryPolicy::never())
        .max_response_bytes(limit)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_announced_size_over_the_limit_is_refused() {
    let server = mock_server().await;
    let body = format!(
        r#"{{"success":true,"resources":[],"pad":"{}"}}"#,
        "x".repeat(5000)
    );
    let size = body.len() as u64;
    Mock::given(path("/api/v1/streams"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let error = execute(
        &client_with_limit(server.uri(), 4096),
        &streams::ListStreams::new(),
    )
    .await
    .unwrap_err();
    assert!(error.is_response_too_large(), "{error}");
    assert_eq!(
        error.kind(),
        &ErrorKind::ResponseTooLarge {
            limit: 4096,
            announced: Some(size)
        }
    );
    assert!(error.to_string().contains("4096"), "{error}");
    // The same answer within the limit is read.
    execute(
        &client_with_limit(server.uri(), size),
        &streams::ListStreams::new(),
    )
    .await
    .unwrap();
}

/// A server that answers 200 with a chunked body of `total` bytes without
/// `Content-Length`, counting what it managed to write.
fn endless_chunked_server(total: u64) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        // Read the request head (the request has no body).
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let start = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        if socket.write_all(start).is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0u64;
        while sent < total {
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk.clone(),
                b"\r\n".to_vec(),
            ]
            .concat();
            if socket.write_all(&framed).is_err() {
                return; // the client hung up: what we want
            }
            sent += chunk.len() as u64;
            counter.store(sent, Ordering::SeqCst);
        }
        let _ = socket.write_all(b"0\r\n\r\n");
    });
    (url, written)
}

#[tokio::test]
async fn an_unannounced_body_is_refused_as_soon_as_it_passes_the_limit() {
    // 256 MiB of whitespace would be read whole (and then fail to decode)
    // without the limit.
    let total = 256 << 20;
    let (url, written) = endless_chunked_server(total);
    let client = Client::builder(url)
        .token(TOKEN)
        .retry(RetryPolicy::never())
        .timeout(Duration::from_secs(120))
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let error = execute(&client, &streams::ListStreams::new())
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::ResponseTooLarge {
            limit: 1 << 20,
            announced: None
        },
        "{error}"
    );
    assert!(
        written.load(Ordering::SeqCst) < total,
        "the client stopped reading early"
    );
}

#[test]
fn the_default_limit_holds_the_largest_getbulk_answers() {
    let client = Client::new("http://localhost:3000").unwrap();
    assert_eq!(client.max_response_bytes(), DEFAULT_MAX_RESPONSE_BYTES);
    // The connectors' 42 ids of objects at the server's 10 MB body limit.
    const { assert!(DEFAULT_MAX_RESPONSE_BYTES > 42 * 10_000_000) };
    // But a 600 MB answer is refused.
    const { assert!(DEFAULT_MAX_RESPONSE_BYTES < 600_000_000) };
}
