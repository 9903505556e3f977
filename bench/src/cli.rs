//! The `speckle` command pushing the bench model from an NDJSON file, timed
//! as a whole process (reading and checking the file, logging in from the
//! account cache, uploading, setting the stream's objects), against the
//! SDK's own push of the same model: the CLI's goal is to stay within 1.1×.
//! The command gets the strategy's server and token the way a user gives
//! them: `speckle login --server URL` with the token in `SPECKLE_TOKEN`, into
//! an account cache of its own (`SPECKLE_CACHE_DB`).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use speckle_http::bulk::{push, PushOptions};
use speckle_http::endpoints::streams::{CreateStream, GetStream, UpdateStream};
use speckle_http::{execute, EnvelopeExt};
use speckle_types::{SpeckleObject, Stream};

use crate::e2e::{measured, rss_before, Measure};
use crate::target::Target;

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

/// Pushes `model` with the `speckle` binary at `binary` into the target's
/// stream (a new one on a fresh devserver).
pub async fn push_from_file(
    binary: &Path,
    model: &[SpeckleObject],
    target: &Target,
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
    let command = |args: &[&str]| {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("SPECKLE_CACHE_DB", dir.join("SpeckleCache.db"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env_remove("SPECKLE_SERVER")
            .env_remove("SPECKLE_ACCOUNT")
            .env_remove("SPECKLE_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    };
    let mut login = command(&["login", "--server", &target.url]);
    // In the environment, not on the command line, where anyone sees it.
    login
        .env("SPECKLE_TOKEN", &target.token)
        .stdin(Stdio::null());
    // A devserver runs on this process's runtime: wait off its threads.
    let logged_in = tokio::task::spawn_blocking(move || login.output()).await??;
    if !logged_in.status.success() {
        return Err("speckle login failed".into());
    }
    let file_arg = file.to_string_lossy().into_owned();
    let stream = match &target.stream {
        Some(id) => ["--stream", id.as_str()],
        None => ["--new", "bench"],
    };
    // No local cache: the SDK's push it is compared with has none either.
    let push = command(&[
        "--json",
        "push",
        &file_arg,
        stream[0],
        stream[1],
        "--no-cache",
    ]);
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

/// The CLI's baseline: the SDK doing the job `speckle push` does, from the
/// model already in memory: upload it with the default options, then set it
/// as the objects of a stream (as `client.streams().push_objects` does).
/// Both are timed, as both are in the CLI's time; on a fresh devserver the
/// stream is created first, untimed (the CLI's `--new` creates it in its
/// time: one small request).
pub async fn sdk_into_stream(
    model: &[SpeckleObject],
    target: &Target,
) -> Result<Measure, Box<dyn std::error::Error>> {
    let stream = match &target.stream {
        Some(id) => id.clone(),
        None => execute(&target.client, &CreateStream::new(Stream::default()))
            .await?
            .into_resource()?
            .stream_id
            .ok_or("the server created a stream without saying its id")?,
    };
    // Copied before the clock starts, as for the SDK's push (a).
    let objects = model.to_vec();
    let (done, time, peak_rss) = measured(async {
        let pushed = push(&target.client, objects, &PushOptions::default()).await;
        let outcome = target.created.record_push(pushed)?;
        let patch = Stream {
            objects: Some(outcome.placeholders()?),
            ..Stream::default()
        };
        execute(&target.client, &UpdateStream::new(stream, patch)).await?;
        Ok::<_, speckle_http::Error>(outcome)
    })
    .await;
    let outcome = done?;
    Ok(Measure {
        time,
        bytes: outcome.stats.bytes,
        objects: model.len() as u64,
        requests: outcome.stats.requests + 1,
        peak_rss,
        rss_before: rss_before(),
    })
}

/// Records for the cleanup what the `speckle` command stored in the
/// target's stream: the stream's objects after a push that worked. After one
/// that failed, the stream may not have them yet: the SDK then pushes the
/// model again, and the server answers the ids of the objects it has (and
/// stores the others, deleted with them).
pub async fn record_created(target: &Target, model: &[SpeckleObject], pushed: bool) {
    if target.stream.is_none() {
        return;
    }
    let learned = if pushed {
        stream_objects(target).await
    } else {
        let again = push(&target.client, model.to_vec(), &PushOptions::default()).await;
        target.created.record_push(again).map(drop)
    };
    if let Err(error) = learned {
        eprintln!("bench: could not learn which objects `speckle push` stored: {error}");
    }
}

async fn stream_objects(target: &Target) -> Result<(), speckle_http::Error> {
    let Some(id) = &target.stream else {
        return Ok(());
    };
    let stream = execute(
        &target.client,
        &GetStream::new(id.clone()).fields(["objects"]),
    )
    .await?
    .into_resource()?;
    let ids = stream.objects.unwrap_or_default().into_iter();
    target.created.record(ids.filter_map(|o| o.id));
    Ok(())
}
