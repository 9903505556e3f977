//! The apitoken reaches the server but never any log line, `Debug` output
//! or error.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex};

use speckle_ws::{redact_access_token, Event, SocketConfig, SpeckleSocket, WsErrorKind};
use support::{expect, expect_open, fast_config, TestServer};

const TOKEN: &str = "JWT sEcReT.tOkEn-123";
const SECRET_PART: &str = "sEcReT";

/// Collects everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_token_is_sent_but_never_printed() {
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The only test in this binary that logs, so the global default is ours.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = TestServer::start().await;
    let config = fast_config(&server, "client-a")
        .access_token(TOKEN)
        .stream_id("KZEstGdMW");
    let config_debug = format!("{config:?}");
    let socket = SpeckleSocket::connect(config.clone()).unwrap();
    let socket_debug = format!("{socket:?}");
    let (handle, mut events) = socket.into_parts();
    expect_open(&mut events).await;

    // The server got the apitoken with its prefix, through the root path.
    let connect = server.read(|s| s.connects.last().cloned().unwrap());
    assert_eq!(connect.access_token.as_deref(), Some(TOKEN));
    assert_eq!(connect.path, "/");
    assert_eq!(connect.stream_id.as_deref(), Some("KZEstGdMW"));

    // Errors from a lost connection and failed reconnects.
    server.stop();
    let mut errors = Vec::new();
    for _ in 0..2 {
        let event = expect(&mut events, "an error", |e| matches!(e, Event::Error(_))).await;
        let Event::Error(err) = event else {
            unreachable!()
        };
        errors.push(err);
    }
    assert!(errors.iter().any(|e| e.kind() == WsErrorKind::Connect));
    let error_text: String = errors
        .iter()
        .map(|e| {
            let source = e.source().map(ToString::to_string).unwrap_or_default();
            format!("{e} {e:?} {source}\n")
        })
        .collect();
    let handle_debug = format!("{handle:?} {events:?}");
    handle.close();

    let config_url = config.redacted_url().unwrap();
    assert!(
        config_url.contains("access_token=<redacted>"),
        "{config_url}"
    );

    let logs = logs.text();
    assert!(
        logs.contains("access_token=<redacted>"),
        "the URL is logged, redacted: {logs}"
    );
    for (what, text) in [
        ("config Debug", &config_debug),
        ("socket Debug", &socket_debug),
        ("handle Debug", &handle_debug),
        ("errors", &error_text),
        ("redacted URL", &config_url),
        ("logs", &logs),
    ] {
        assert!(
            !text.contains(SECRET_PART),
            "token leaked in {what}: {text}"
        );
    }
    assert!(
        config_debug.contains("access_token: Some(<redacted>)"),
        "{config_debug}"
    );
}

#[test]
fn the_redaction_function_covers_urls_in_any_text() {
    let url = "ws://127.0.0.1:3000/?client_id=c&access_token=JWT%20abc.def&stream_id=s";
    assert_eq!(
        redact_access_token(url),
        "ws://127.0.0.1:3000/?client_id=c&access_token=<redacted>&stream_id=s"
    );
    let quoted = format!("failed to GET \"{url}\": refused");
    assert!(!redact_access_token(&quoted).contains("abc.def"));
    // A token passed without the `JWT ` prefix is still never shown.
    let config = SocketConfig::new("https://h/api", "c").access_token("abc.def");
    assert!(!format!("{config:?} {}", config.redacted_url().unwrap()).contains("abc"));
}
