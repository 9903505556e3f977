//! `cargo xtask bench`: the SDK's bulk transfers against the connectors' and
//! the Python client's strategies and a raw-HTTP limit, all measured in this
//! run, on in-process devservers or on a server of your own; plus the
//! per-object CPU cost against plain serde_json. Prints markdown tables with
//! ratios, and the machine (and server) they were measured on.
//!
//! Options:
//! - `--points N` (100000), `--meshes N` (1000), `--coordinates N` (20000):
//!   the model; `--dataset real-server` is `--points 20000 --meshes 200
//!   --coordinates 3000` (20,200 objects, the size the real server's costs
//!   were measured with), `--dataset default` the defaults.
//! - `--streamed N` (1000000; 0 against a server unless given; 0 skips it),
//!   `--runs N` (5, CPU runs), `--cpu-only`, `--no-cpu`.
//! - `--rounds N` (3; 1 against a server unless given): every strategy runs
//!   N times, taking turns with the others; each row is its median round.
//!   The adaptive push runs in the middle of the fixed sweep, and its ratio
//!   to the best fixed size is also given round by round.
//! - `--quadratic-server`: devservers whose bulk save costs like the real
//!   server's: +1 s for 1,000 new objects in one request, growing with their
//!   square; use a smaller model, e.g. `--dataset real-server`.
//! - `--server URL` with `--email E --password P` or `--token T`: the same
//!   strategies against that server, as that user (no admin rights needed).
//!   The password and the token can come from `SPECKLE_BENCH_PASSWORD` and
//!   `SPECKLE_BENCH_TOKEN` instead, to keep them off the command line; they
//!   are never printed. Each strategy logs in, creates a stream of its own
//!   (`speckle-rs bench <strategy> <run id>`), stores objects new to the
//!   server (the server keeps one object per content hash, whoever stored it:
//!   a per-run, per-strategy nonce in every object's properties makes them
//!   new, at the same size every run), sets them as the stream's objects, and
//!   deletes the stream and the objects afterwards, also when it fails
//!   midway. Setting the objects and cleaning up are not measured. `--keep`
//!   leaves the streams and objects on the server.

mod args;
mod baseline_value;
mod cleanup;
mod cli;
mod cpu;
mod dataset;
mod e2e;
mod fixed_push;
mod rounds;
mod rss;
mod target;

use args::Args;
use cleanup::Cleanup;
use e2e::Measure;
use target::Target;

/// The order the strategies run in within a round: the adaptive push in the
/// middle of the fixed sweep it is compared with, so that comparison is made
/// between runs a minute or so apart.
const RUN_ORDER: [&str; 10] = [
    "connectors",
    "python",
    "raw",
    "value",
    "fixed-250",
    "fixed-1000",
    "sdk",
    "fixed-4000",
    "sdk-stream",
    "cli",
];

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| format!("{:.0}", b as f64 / 1e6))
}

/// One table row; `model_bytes` gives MB/s when the strategy did not count
/// bytes itself (pulls decode answers instead of counting them).
fn row(name: &str, m: &Measure, model_bytes: usize) {
    let mb_per_s = if m.bytes > 0 {
        m.mb_per_s()
    } else {
        model_bytes as f64 / 1e6 / m.time.as_secs_f64().max(1e-9)
    };
    println!(
        "| {name} | {} | {:.1} | {:.0} | {:.1} | {} | {} |",
        m.requests,
        m.time.as_secs_f64(),
        m.objects_per_s(),
        mb_per_s,
        mb(m.peak_rss),
        mb(m.peak_rss.map(|p| p.saturating_sub(m.rss_before)))
    );
}

/// Child mode: one strategy in a fresh process, so its memory figures are
/// its own. Prints `push <measure>` and `pull <measure>` lines, and against a
/// server given with `--server`, a `cleanup <counts>` line.
async fn child(args: &Args, strategy: &str) -> Result<(), Box<dyn std::error::Error>> {
    let target = Target::open(args, strategy).await?;
    let measures = run_strategy(args, strategy, &target).await;
    // The CLI and its baseline set their stream's objects themselves (timed);
    // a streamed push has more
    // objects than one stream update can carry.
    let link = measures.is_ok() && !matches!(strategy, "cli" | "sdk-stream" | "streamed");
    let cleanup = target.finish(link).await;
    if args.remote.is_some() {
        println!("cleanup {}", cleanup.encode());
    }
    for line in measures? {
        println!("{line}");
    }
    Ok(())
}

/// Runs one strategy on `target`; returns its `push …`/`pull …` lines.
async fn run_strategy(
    args: &Args,
    strategy: &str,
    target: &Target,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let (client, created) = (&target.client, &target.created);
    if strategy == "streamed" {
        let (m, uploaded) =
            e2e::streamed_push_rss(client, args.streamed, target.nonce(), created).await?;
        if uploaded != args.streamed as u64 {
            return Err(format!("only {uploaded} of {} objects were stored", args.streamed).into());
        }
        return Ok(vec![format!("push {}", m.encode())]);
    }
    let model = target.model(args);
    if strategy == "cli" {
        let binary =
            std::env::var_os(CLI_BINARY_ENV).ok_or("the parent names the speckle binary")?;
        let pushed = cli::push_from_file(std::path::Path::new(&binary), &model, target).await;
        cli::record_created(target, &model, pushed.is_ok()).await;
        return Ok(vec![format!("push {}", pushed?.encode())]);
    }
    if strategy == "sdk-stream" {
        let pushed = cli::sdk_into_stream(&model, target).await?;
        return Ok(vec![format!("push {}", pushed.encode())]);
    }
    if let Some(size) = strategy.strip_prefix("fixed-") {
        let size = size
            .parse()
            .map_err(|_| format!("bad strategy {strategy}"))?;
        let push = fixed_push::fixed_push(client, &model, size, created).await?;
        return Ok(vec![format!("push {}", push.encode())]);
    }
    if strategy == "value" {
        let pull = baseline_value::raw_value_pull(
            client,
            &target.url,
            target.token.clone(),
            &model,
            created,
        )
        .await?;
        return Ok(vec![format!("pull {}", pull.encode())]);
    }
    let (push, pull) = match strategy {
        "sdk" => e2e::sdk(client, &model, created).await?,
        "raw" => e2e::raw(client, &target.url, &model, created).await?,
        "python" => e2e::python(client, &model, created).await?,
        "connectors" => e2e::connectors(client, &model, created).await?,
        other => return Err(format!("unknown strategy {other}").into()),
    };
    Ok(vec![
        format!("push {}", push.encode()),
        format!("pull {}", pull.encode()),
    ])
}

/// Where the parent tells the `cli` strategy's process the `speckle` binary is.
const CLI_BINARY_ENV: &str = "SPECKLE_BENCH_CLI_BINARY";

/// The `speckle` binary, built once by the parent.
static CLI_BINARY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// What one strategy's process reports.
struct Report {
    push: Option<Measure>,
    pull: Option<Measure>,
    cleanup: Cleanup,
}

/// Runs one strategy in a child process and reads its measures.
fn spawn(args: &Args, strategy: &str) -> Result<Report, Box<dyn std::error::Error>> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    if let Some(binary) = CLI_BINARY.get() {
        command.env(CLI_BINARY_ENV, binary);
    }
    args.pass_to(&mut command, strategy);
    let output = command.stderr(std::process::Stdio::inherit()).output()?;
    if !output.status.success() {
        return Err(format!(
            "strategy {strategy} failed: {}",
            String::from_utf8_lossy(&output.stdout)
        )
        .into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let find = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(Measure::decode)
    };
    let cleanup = text
        .lines()
        .find_map(|l| l.strip_prefix("cleanup "))
        .and_then(Cleanup::decode)
        .unwrap_or_default();
    Ok(Report {
        push: find("push "),
        pull: find("pull "),
        cleanup,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!("{}", args::USAGE);
        return Ok(());
    }
    let args = args::parse()?;
    if let Some(strategy) = args.strategy.clone() {
        return child(&args, &strategy).await;
    }
    println!("# speckle-rs bulk benchmark\n");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("machine: {cores} cores, {}\n", os());
    // Before anything long: wrong credentials fail here.
    let server = match &args.remote {
        Some(remote) => {
            let server = target::describe(remote).await?;
            println!("server: {server}\n");
            Some(server)
        }
        None => None,
    };

    let cpu_ratios = (!args.no_cpu).then(|| {
        let cpu_model = dataset::model(20_000, 20, args.coordinates);
        cpu::run(&cpu_model, args.runs)
    });
    if args.cpu_only {
        return Ok(());
    }

    let mut model = dataset::model(args.points, args.meshes, args.coordinates);
    if let Some(remote) = &args.remote {
        // Every strategy's nonce has this length.
        dataset::tag(&mut model, &target::nonce(&remote.run_id, "sdk"));
    }
    let json = dataset::json_bytes(&model);
    let objects = model.len();
    drop(model);
    let model = format!(
        "End to end: {} points + {} meshes of {} coordinates = {objects} objects, {:.0} MB of JSON.",
        args.points,
        args.meshes,
        args.coordinates,
        json as f64 / 1e6,
    );
    match (&server, &args.remote) {
        (Some(server), Some(remote)) => println!(
            "{model} Each strategy runs in its own process against {server}: it logs in, creates a stream of its own (`speckle-rs bench <strategy> {}`), stores objects new to the server (this run's nonce in their properties) and sets them as the stream's objects; then {}. Only the transfers are measured; memory figures are the benchmark's alone.\n",
            remote.run_id,
            if remote.keep {
                "the streams and objects are kept (--keep)"
            } else {
                "it deletes the stream and the objects"
            }
        ),
        _ => println!(
            "{model} Each strategy runs in its own process on a fresh in-process devserver (SQLite file), SDK and server sharing the {cores} cores.\n"
        ),
    }

    let strategies = [
        ("sdk", "(a) SDK defaults"),
        ("connectors", "(b) connectors strategy"),
        ("python", "(c) Python client strategy"),
        ("raw", "(d) raw HTTP, SDK bodies"),
        ("value", "(e) raw HTTP, answers decoded into Value"),
        ("fixed-250", "(f) SDK, fixed batches of ≤ 250 objects"),
        ("fixed-1000", "(f) SDK, fixed batches of ≤ 1,000 objects"),
        ("fixed-4000", "(f) SDK, fixed batches of ≤ 4,000 objects"),
        ("sdk-stream", "(g0) SDK push, then set as a stream's objects"),
        ("cli", "(g) `speckle push` from an NDJSON file (reads, checks, pushes, sets the stream's objects)"),
    ];
    let _ = CLI_BINARY.set(cli::build_binary()?);
    let mut pushes: Vec<(&str, Vec<Measure>)> = Vec::new();
    let mut pulls: Vec<(&str, Vec<Measure>)> = Vec::new();
    let mut cleanup = Cleanup::default();
    // Strategies take turns, round after round: a slow spell of a shared
    // machine lands on all of them alike instead of on one row.
    for round in 0..args.rounds {
        for strategy in RUN_ORDER {
            let Some((_, name)) = strategies.iter().find(|(s, _)| *s == strategy) else {
                continue;
            };
            let name = *name;
            eprintln!("bench: round {} of {}: {name}", round + 1, args.rounds);
            let report = spawn(
                &Args {
                    round,
                    ..args.clone()
                },
                strategy,
            )?;
            for (rows, measure) in [(&mut pushes, report.push), (&mut pulls, report.pull)] {
                let Some(measure) = measure else { continue };
                match rows.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, measures)) => measures.push(measure),
                    None => rows.push((name, vec![measure])),
                }
            }
            cleanup.add(report.cleanup);
        }
    }
    // The tables list the strategies in their own order, not the run's.
    let position = |name: &str| strategies.iter().position(|(_, n)| *n == name);
    pushes.sort_by_key(|(name, _)| position(name));
    pulls.sort_by_key(|(name, _)| position(name));
    let paired = rounds::paired_to_best_fixed(&pushes);
    let pushes = rounds::medians(&pushes);
    let pulls = rounds::medians(&pulls);
    if args.rounds > 1 {
        println!(
            "Each row is the round with the median time of {} rounds.\n",
            args.rounds
        );
    }

    for (title, rows) in [("Push", &pushes), ("Pull", &pulls)] {
        println!("{title}\n");
        println!(
            "| strategy | requests | seconds | objects/s | MB/s of JSON | peak RSS MB | RSS added MB |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (name, m) in rows.iter() {
            row(name, m, json);
        }
        let find = |prefix: &str| {
            rows.iter()
                .find(|(n, _)| n.starts_with(prefix))
                .map(|(_, m)| m.objects_per_s())
        };
        if let (Some(a), Some(b), Some(c), Some(d)) =
            (find("(a)"), find("(b)"), find("(c)"), find("(d)"))
        {
            println!(
                "\nratios (objects/s): SDK/(b) connectors = {:.2}, SDK/(c) Python = {:.2}, SDK/(d) raw = {:.2}\n",
                a / b.max(1e-9),
                a / c.max(1e-9),
                a / d.max(1e-9)
            );
        }
        if let (Some(a), Some(g0), Some(g)) = (find("(a)"), find("(g0)"), find("(g)")) {
            println!(
                "CLI time / the SDK doing the same job (g0) = {:.2} (goal: at most 1.10); CLI time / SDK push alone (a) = {:.2}\n",
                g0 / g.max(1e-9),
                a / g.max(1e-9)
            );
        }
        ratios_to_baselines(rows);
        if let (true, Some((best, ratio))) = (title == "Push", paired) {
            println!(
                "ratio (objects/s), round by round: adaptive SDK/{best} = {ratio:.2} (the median of the rounds' ratios; a round's runs of the two are a minute or so apart)\n"
            );
        }
    }

    if args.streamed > 0 {
        eprintln!("bench: running the streamed push");
        let report = spawn(&args, "streamed")?;
        cleanup.add(report.cleanup);
        if let Some(m) = report.push {
            println!(
                "Streamed push of {} small objects built lazily, in its own process: {:.1} s, {:.0} objects/s, peak RSS {} MB ({})\n",
                args.streamed,
                m.time.as_secs_f64(),
                m.objects_per_s(),
                mb(m.peak_rss),
                if server.is_some() {
                    "the benchmark's alone"
                } else {
                    "SDK and devserver together"
                }
            );
        }
    }
    if let Some((encode_ratio, decode_ratio)) = cpu_ratios {
        println!("CPU ratios: encode {encode_ratio:.2}× serde_json::to_vec, decode {decode_ratio:.2}× serde_json Value");
    }
    if let Some(remote) = &args.remote {
        print_cleanup(&cleanup, remote);
    }
    Ok(())
}

/// What the strategies left on a server given with `--server`.
fn print_cleanup(cleanup: &Cleanup, remote: &args::Remote) {
    if remote.keep {
        println!(
            "\nKept on the server (--keep): the streams `speckle-rs bench <strategy> {}` and their objects.",
            remote.run_id
        );
        return;
    }
    println!(
        "\nCleanup (not measured): deleted {} streams and {} objects.",
        cleanup.streams_deleted, cleanup.objects_deleted
    );
    if cleanup.streams_left + cleanup.objects_left > 0 {
        println!(
            "LEFT on the server: {} streams and {} objects (see the messages above; the streams are named `speckle-rs bench <strategy> {}`).",
            cleanup.streams_left, cleanup.objects_left, remote.run_id
        );
    }
}

fn os() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

/// The ratios of items 2 and 3 of the performance goals: the typed pull
/// against (e), and the adaptive push against the best fixed batch size of
/// the sweep (f) and against the connectors' strategy (b).
fn ratios_to_baselines(rows: &[(&str, e2e::Measure)]) {
    let rate = |prefix: &str| {
        rows.iter()
            .find(|(n, _)| n.starts_with(prefix))
            .map(|(_, m)| m.objects_per_s())
    };
    let Some(sdk) = rate("(a)") else { return };
    if let Some(value) = rate("(e)") {
        println!(
            "ratio (objects/s): SDK/(e) decoded into Value = {:.2}\n",
            sdk / value.max(1e-9)
        );
    }
    let best_fixed = rows
        .iter()
        .filter(|(n, _)| n.starts_with("(f)"))
        .map(|(_, m)| m.objects_per_s())
        .fold(0.0_f64, f64::max);
    if best_fixed > 0.0 {
        println!(
            "ratio (objects/s): adaptive SDK/best fixed batch size (f) = {:.2}\n",
            sdk / best_fixed
        );
    }
}
