//! `speckle-devserver --log` prints one line per request (method, path,
//! status, time) and never the query string, where a websocket carries its
//! access token.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn log_prints_each_request_without_its_query() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_speckle-devserver"))
        .args(["--memory", "--log", "--port", &port.to_string()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line on stdout says it listens.
    let mut ready = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert!(ready.contains("listening"), "{ready}");

    // A request whose query carries a token, as a websocket's does.
    let status = {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            tcp,
            "GET /api/streams?access_token=JWT%20secret-in-query HTTP/1.1\r\n\
             Host: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        tcp.read_to_string(&mut text).unwrap();
        text.split_whitespace().nth(1).unwrap().to_owned()
    };

    // The line is written before the answer is sent, so it is in the pipe
    // by now: stop the server and read everything it logged.
    server.kill().unwrap();
    let _ = server.wait();
    let mut logged = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut logged).unwrap();
    let line = logged
        .lines()
        .find(|l| l.starts_with("GET /api/streams "))
        .unwrap_or_else(|| panic!("no log line for the request in {logged:?}"));

    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[..3],
        ["GET", "/api/streams", status.as_str()],
        "{line}"
    );
    assert_eq!(fields[4], "ms", "{line}");
    assert!(fields[3].parse::<f64>().is_ok(), "{line}");
    assert!(!line.contains("secret-in-query"), "{line}");
}
