//! The `speckle` command pushing the bench model from an NDJSON file, timed
//! as a whole process (reading and checking the file, logging in from the
//! account cache, uploading, setting the stream's objects), against the
//! SDK's own push of the same model: the CLI's goal is to stay within 1.1×.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use speckle_types::SpeckleObject;

use crate::e2e::{self, Measure};

/// The bench user's password (see [`e2e::fresh_server`]).
const PASSWORD: &str = "bench-password-1";

/// Builds the `speckle` binary with the profile this benchmark runs in and
/// returns its path (next to this binary). Called by the parent process, so
/// no cargo runs while a strategy is measured. The first run builds the
/// shared dependencies once more for the CLI's feature set (cargo keeps both
/// builds side by side, so later runs build nothing).
pub fn build_binary() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let here = std::env::current_exe()?;
    let dir = here.parent().ok_or("the benchmark binary has no folder")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "speckle-cli", "--bin", "speckle"]);
    if dir.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    if !build.status()?.success() {
        return Err("building the speckle binary failed".into());
    }
    Ok(dir.join(format!("speckle{}", std::env::consts::EXE_SUFFIX)))
}

/// Pushes `model` with the `speckle` binary at `binary` into a new stream
/// on a fresh devserver.
pub async fn push_from_file(
    binary: &Path,
    model: &[SpeckleObject],
) -> Result<Measure, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("speckle-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("model.ndjson");
    {
        let mut out = BufWriter::new(std::fs::File::create(&file)?);
        for object in model {
            serde_json::to_writer(&mut out, object)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    let (server, _client) = e2e::fresh_server(false).await?;
    let command = |args: &[&str]| {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("SPECKLE_CACHE_DB", dir.join("SpeckleCache.db"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env_remove("SPECKLE_SERVER")
            .env_remove("SPECKLE_ACCOUNT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    };
    let url = server.url();
    let mut login =
        command(&["login", "--server", &url, "--email", "bench@example.com"]).spawn()?;
    if let Some(mut stdin) = login.stdin.take() {
        writeln!(stdin, "{PASSWORD}")?;
    }
    // The server runs on this process's runtime: wait off its threads.
    let logged_in = tokio::task::spawn_blocking(move || login.wait_with_output()).await??;
    if !logged_in.status.success() {
        return Err("speckle login failed".into());
    }
    let file_arg = file.to_string_lossy().into_owned();
    // No local cache: the SDK's push it is compared with has none either.
    let push = command(&["--json", "push", &file_arg, "--new", "bench", "--no-cache"]);
    let start = Instant::now();
    let pushed = tokio::task::spawn_blocking(move || {
        let mut push = push;
        push.output()
    })
    .await??;
    let time = start.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    if !pushed.status.success() {
        return Err("speckle push failed".into());
    }
    let stats: serde_json::Value = serde_json::from_slice(&pushed.stdout)?;
    let number = |key: &str| {
        stats
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    if number("objects") != model.len() as u64 {
        return Err(format!("speckle push reported {stats}").into());
    }
    Ok(Measure {
        time,
        bytes: number("bytes"),
        objects: number("objects"),
        requests: number("requests"),
        peak_rss: None,
        rss_before: 0,
    })
}
