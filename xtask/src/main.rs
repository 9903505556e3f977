//! `cargo xtask <task>`: the project's automation, in Rust so it needs nothing
//! but cargo.
//!
//! - `test [--server URL]`: every test of the workspace (unit, integration,
//!   contract, doc tests), then each TLS feature set (rustls, native-tls,
//!   both, none) and the HTTP-only facade (no `ws`). With `--server` (or `SPECKLE_TEST_SERVER`), the
//!   contract suite targets that server instead of the embedded one.
//! - `ci`: what CI checks, and all that `.ci/run` runs once it has installed
//!   the tools: formatting, clippy, `test`, docs, cargo-deny.
//! - `doc`: the API docs with warnings denied, for the workspace and for
//!   `cargo doc -p speckle --no-deps` (what a user of the facade reads).
//! - `bench [options]`: the end-to-end and CPU benchmark (release build); the
//!   options go to `speckle-bench` (see `bench/src/main.rs`). `--server URL`
//!   with `--email E --password P` or `--token T` (or `SPECKLE_BENCH_PASSWORD`
//!   / `SPECKLE_BENCH_TOKEN`) runs it against that server, in streams of its
//!   own that it deletes afterwards with their objects (`--keep` keeps them);
//!   `--dataset real-server` is the 20,200-object model.

use std::env;
use std::process::{Command, ExitCode};

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn run(description: &str, mut command: Command) -> Result<(), String> {
    eprintln!("xtask: {description}");
    let status = command
        .status()
        .map_err(|e| format!("{description}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description}: failed ({status})"))
    }
}

fn test(args: &[String]) -> Result<(), String> {
    let mut server = env::var("SPECKLE_TEST_SERVER").ok();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--server" => server = Some(rest.next().ok_or("--server needs a URL")?.clone()),
            other => {
                return Err(format!(
                    "unknown option `{other}` (usage: cargo xtask test [--server URL])"
                ))
            }
        }
    }
    let with_server = |mut command: Command| {
        if let Some(url) = &server {
            command.env("SPECKLE_TEST_SERVER", url);
        }
        command
    };
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--all-targets", "--exclude", "xtask"]);
    run("unit, integration and contract tests", with_server(tests))?;
    let mut docs = cargo();
    docs.args(["test", "--workspace", "--doc", "--exclude", "xtask"]);
    run("doc tests", with_server(docs))?;
    tls_feature_sets()
}

/// The TLS feature sets users can pick, each built and tested: the test
/// `tls_backend` reads the ClientHello that HTTPS and `wss://` send and checks
/// that it comes from the library the features promise. Websockets (`ws`) are
/// a default feature of the facade, so each set that names its features
/// names `ws` too; [`http_only`] checks the facade without it.
fn tls_feature_sets() -> Result<(), String> {
    // No TLS at all: plain http:// and ws:// only; `wss://` must say why.
    let mut none = cargo();
    none.args(["test", "-p", "speckle-ws", "--no-default-features", "--lib"]);
    run("TLS feature set: none (speckle-ws)", none)?;
    let mut none_facade = cargo();
    none_facade.args([
        "check",
        "-p",
        "speckle",
        "--no-default-features",
        "--features",
        "ws",
    ]);
    run(
        "TLS feature set: none (facade with websockets builds)",
        none_facade,
    )?;
    http_only()?;
    if !openssl_available() {
        let hint = "OpenSSL's development files were not found (on Debian/Ubuntu: \
                    apt-get install libssl-dev pkg-config)";
        if env::var_os("CI").is_some() {
            return Err(format!("TLS feature set native-tls: {hint}"));
        }
        eprintln!("xtask: SKIPPED the native-tls feature sets: {hint}");
        return Ok(());
    }
    let mut native = cargo();
    native.args([
        "test",
        "-p",
        "speckle",
        "--no-default-features",
        "--features",
        "native-tls,ws",
        "--test",
        "tls_backend",
    ]);
    run("TLS feature set: native-tls", native)?;
    let mut native_ws = cargo();
    native_ws.args([
        "test",
        "-p",
        "speckle-ws",
        "--no-default-features",
        "--features",
        "native-tls",
        "--lib",
    ]);
    run("TLS feature set: native-tls (speckle-ws)", native_ws)?;
    let mut both = cargo();
    both.args([
        "test",
        "-p",
        "speckle",
        "--features",
        "native-tls",
        "--test",
        "tls_backend",
    ]);
    run("TLS feature set: rustls + native-tls (rustls wins)", both)
}

/// Crates that only the facade's `ws` feature may bring in.
const WEBSOCKET_CRATES: [&str; 2] = ["speckle-ws", "tokio-tungstenite"];

/// The facade without its default `ws` feature, as an HTTP-only program
/// picks it (`default-features = false, features = ["rustls"]`): it builds,
/// its dependency tree has no websocket crate left (a TLS feature must not
/// pull one back in), HTTPS goes through rustls, and the HTTP crate's tests
/// pass without websocket errors in its error type.
fn http_only() -> Result<(), String> {
    let http_only_features = ["--no-default-features", "--features", "rustls"];
    let mut build = cargo();
    build
        .args(["check", "-p", "speckle"])
        .args(http_only_features);
    run("HTTP only: the facade builds without ws", build)?;

    no_websocket_crates(&http_only_features)?;

    let mut https = cargo();
    https
        .args(["test", "-p", "speckle", "--test", "tls_backend"])
        .args(http_only_features);
    run("HTTP only: HTTPS through rustls", https)?;

    let mut http_tests = cargo();
    http_tests
        .args(["test", "-p", "speckle-http", "--lib", "--tests"])
        .args(http_only_features);
    run("HTTP only: speckle-http tests without ws", http_tests)
}

/// Fails when the facade's normal dependency tree with `features` holds a
/// crate of [`WEBSOCKET_CRATES`].
fn no_websocket_crates(features: &[&str]) -> Result<(), String> {
    let description = "HTTP only: no websocket crate in the dependency tree";
    eprintln!("xtask: {description}");
    let mut tree = cargo();
    tree.args(["tree", "-p", "speckle", "-e", "normal", "--prefix", "none"])
        .args(features);
    let output = tree
        .output()
        .map_err(|e| format!("{description}: could not start cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{description}: cargo tree failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let websocket_lines = websocket_crates_in(&tree);
    if !websocket_lines.is_empty() {
        return Err(format!(
            "{description}: without the `ws` feature the facade still depends on {}",
            websocket_lines.join(", ")
        ));
    }
    Ok(())
}

/// The lines of a `cargo tree --prefix none` listing that name a websocket
/// crate.
fn websocket_crates_in(tree: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = tree
        .lines()
        // `(*)` marks a crate listed before; it is the same crate.
        .map(|line| line.trim_end_matches(" (*)"))
        .filter(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            WEBSOCKET_CRATES.contains(&name)
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Whether the native-tls feature can build here (OpenSSL on Linux).
fn openssl_available() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|status| status.success())
}

fn doc() -> Result<(), String> {
    let mut command = cargo();
    command
        .args(["doc", "--workspace", "--no-deps", "--exclude", "xtask"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run("docs (warnings denied)", command)?;
    // What a user of the facade gets: only `speckle` is documented, so a
    // link into another crate of the workspace that the facade does not
    // re-export is broken here (and only here).
    let mut facade = cargo();
    facade
        .args(["doc", "-p", "speckle", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings");
    run("facade docs alone (warnings denied)", facade)
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut command = cargo();
    command
        .args(["run", "--release", "--quiet", "-p", "speckle-bench", "--"])
        .args(args);
    run("benchmark (release build)", command)
}

fn ci() -> Result<(), String> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run("formatting", fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run("clippy", clippy)?;
    test(&[])?;
    doc()?;
    let mut deny = cargo();
    deny.args(["deny", "check", "licenses", "bans", "sources"]);
    run("cargo-deny (default features)", deny)?;
    // The opt-in native-tls feature brings OpenSSL, which the default graph
    // bans; its licenses and sources are checked all the same.
    let mut deny_all = cargo();
    deny_all.args(["deny", "--all-features", "check", "licenses", "sources"]);
    run("cargo-deny (all features: licenses, sources)", deny_all)
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(args.get(1..).unwrap_or_default()),
        Some("doc") => doc(),
        Some("ci") => ci(),
        Some("bench") => bench(args.get(1..).unwrap_or_default()),
        _ => Err(
            "usage: cargo xtask <test [--server URL] | doc | bench [options] | ci>\n\
                 bench options: --points N --meshes N --coordinates N | --dataset real-server, \
                 --streamed N, --runs N, --cpu-only, --no-cpu, --quadratic-server, \
                 --server URL (--email E --password P | --token T) [--keep]"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::websocket_crates_in;

    #[test]
    fn finds_websocket_crates_by_exact_name_once_each() {
        let tree = "speckle v0.1.0 (/work/crates/speckle)\n\
                    tokio v1.47.0\n\
                    tokio-tungstenite v0.26.2\n\
                    tokio-tungstenite v0.26.2 (*)\n\
                    speckle-ws v0.1.0 (/work/crates/speckle-ws)\n\
                    tokio-tungstenite-extra v1.0.0\n";
        assert_eq!(
            websocket_crates_in(tree),
            [
                "speckle-ws v0.1.0 (/work/crates/speckle-ws)",
                "tokio-tungstenite v0.26.2",
            ]
        );
        assert!(websocket_crates_in("speckle v0.1.0\ntokio v1.47.0\n").is_empty());
    }
}
