//! The TLS features do what they say, for HTTPS and `wss://` alike.
//!
//! A loopback listener reads the first bytes the client sends (the TLS
//! ClientHello) and hangs up. The cipher suites offered tell the libraries
//! apart: rustls offers only its few AEAD suites, the platform library
//! (OpenSSL on Linux) offers others as well. No certificate or TLS server is
//! needed, and nothing leaves the machine.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::{RetryPolicy, SpeckleClient};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// The cipher suites rustls can offer with its ring provider, plus the
/// renegotiation SCSV every client sends.
const RUSTLS_SUITES: [u16; 10] = [
    0x1301, 0x1302, 0x1303, // TLS 1.3 AES-GCM and ChaCha20
    0xc02b, 0xc02c, 0xcca9, // ECDHE-ECDSA AES-GCM and ChaCha20
    0xc02f, 0xc030, 0xcca8, // ECDHE-RSA AES-GCM and ChaCha20
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
];

/// Accepts one connection and returns the cipher suites of its ClientHello.
async fn offered_suites(listener: &TcpListener) -> Vec<u16> {
    let (mut stream, _) = listener.accept().await.expect("a client connects");
    let mut hello = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the whole first TLS record is in.
    loop {
        let n = stream.read(&mut buf).await.expect("read the ClientHello");
        assert!(n > 0, "the client hung up before its ClientHello");
        hello.extend_from_slice(&buf[..n]);
        if hello.len() >= 5 {
            let record_len = u16::from_be_bytes([hello[3], hello[4]]) as usize;
            if hello.len() >= 5 + record_len {
                break;
            }
        }
    }
    cipher_suites(&hello)
}

/// The cipher suites of a ClientHello record.
fn cipher_suites(record: &[u8]) -> Vec<u16> {
    assert_eq!(record[0], 0x16, "a TLS handshake record");
    let handshake = &record[5..];
    assert_eq!(handshake[0], 0x01, "a ClientHello");
    // type (1) + length (3) + version (2) + random (32)
    let mut at = 4 + 2 + 32;
    let session_id_len = handshake[at] as usize;
    at += 1 + session_id_len;
    let suites_len = u16::from_be_bytes([handshake[at], handshake[at + 1]]) as usize;
    at += 2;
    handshake[at..at + suites_len]
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect()
}

/// Asserts that the suites come from the library the features select.
fn assert_backend(suites: &[u16], what: &str) {
    let foreign: Vec<_> = suites
        .iter()
        .filter(|suite| !RUSTLS_SUITES.contains(suite))
        .collect();
    match speckle::http::TLS_BACKEND {
        "rustls" => assert!(
            foreign.is_empty(),
            "{what}: rustls expected, but suites rustls never offers were sent: {foreign:04x?}"
        ),
        "native-tls" => assert!(
            !foreign.is_empty(),
            "{what}: native-tls expected, but only rustls's suites were offered: {suites:04x?}"
        ),
        other => panic!("{what}: no TLS backend ({other}) but a ClientHello was sent"),
    }
}

#[tokio::test]
async fn https_uses_the_library_the_features_select() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = SpeckleClient::builder(format!("https://127.0.0.1:{port}/api"))
        .retry(RetryPolicy::never())
        .build()
        .expect("client");
    let request = tokio::spawn(async move { client.server_info().await });
    let suites = offered_suites(&listener).await;
    assert_backend(&suites, "https");
    assert!(
        request.await.expect("request task").is_err(),
        "the listener speaks no TLS, so the request fails"
    );
}

/// Only with `ws`: without it there is no wss:// to check.
#[cfg(feature = "ws")]
#[tokio::test]
async fn wss_uses_the_library_the_features_select() {
    assert_eq!(
        speckle::ws::TLS_BACKEND,
        speckle::http::TLS_BACKEND,
        "HTTP and websockets must agree on the TLS library"
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = speckle::ws::SocketConfig::new(
        format!("https://127.0.0.1:{port}/api"),
        "6b0c43a384c96928c7155350",
    )
    .connect_timeout(std::time::Duration::from_secs(5));
    let socket = speckle::ws::SpeckleSocket::connect(config).expect("socket");
    let suites = offered_suites(&listener).await;
    assert_backend(&suites, "wss");
    socket.handle().close();
}
