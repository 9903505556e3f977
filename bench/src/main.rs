//! `cargo xtask bench`: the SDK's bulk transfers against the connectors' and
//! the Python client's strategies and a raw-HTTP limit, all measured in this
//! run, on in-process devservers; plus the per-object CPU cost against plain
//! serde_json. Prints markdown tables with ratios.
//!
//! Options: `--points N` (100000), `--meshes N` (1000), `--coordinates N`
//! (20000), `--streamed N` (1000000, 0 to skip), `--runs N` (5, CPU runs),
//! `--cpu-only`, `--quadratic-server` (devservers whose bulk save costs like
//! the real server's: +1 s for 1,000 new objects in one request, growing
//! with their square; use a smaller model, e.g. `--points 20000 --meshes 200
//! --coordinates 3000`).

mod baseline_value;
mod cli;
mod cpu;
mod dataset;
mod e2e;
mod fixed_push;
mod rss;

use e2e::Measure;

struct Args {
    points: usize,
    meshes: usize,
    coordinates: usize,
    streamed: usize,
    runs: usize,
    cpu_only: bool,
    quadratic: bool,
    /// Child mode: run one strategy and print its measures.
    strategy: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        points: 100_000,
        meshes: 1_000,
        coordinates: 20_000,
        streamed: 1_000_000,
        runs: 5,
        cpu_only: false,
        quadratic: false,
        strategy: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut number = || -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--points" => args.points = number()?,
            "--meshes" => args.meshes = number()?,
            "--coordinates" => args.coordinates = number()?,
            "--streamed" => args.streamed = number()?,
            "--runs" => args.runs = number()?.max(1),
            "--cpu-only" => args.cpu_only = true,
            "--quadratic-server" => args.quadratic = true,
            "--strategy" => args.strategy = Some(it.next().ok_or("--strategy needs a name")?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

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
/// its own. Prints `push <measure>` and `pull <measure>` lines.
async fn child(args: &Args, strategy: &str) -> Result<(), Box<dyn std::error::Error>> {
    if strategy == "streamed" {
        let (_server, client) = e2e::fresh_server(args.quadratic).await?;
        let (m, uploaded) = e2e::streamed_push_rss(&client, args.streamed).await?;
        if uploaded != args.streamed as u64 {
            return Err(format!("only {uploaded} of {} objects were stored", args.streamed).into());
        }
        println!("push {}", m.encode());
        return Ok(());
    }
    let model = dataset::model(args.points, args.meshes, args.coordinates);
    if strategy == "cli" {
        let binary =
            std::env::var_os(CLI_BINARY_ENV).ok_or("the parent names the speckle binary")?;
        let push = cli::push_from_file(std::path::Path::new(&binary), &model).await?;
        println!("push {}", push.encode());
        return Ok(());
    }
    let (server, client) = e2e::fresh_server(args.quadratic).await?;
    if let Some(size) = strategy.strip_prefix("fixed-") {
        let size = size
            .parse()
            .map_err(|_| format!("bad strategy {strategy}"))?;
        let push = fixed_push::fixed_push(&client, &model, size).await?;
        println!("push {}", push.encode());
        return Ok(());
    }
    if strategy == "value" {
        let token = client
            .token()
            .map(|t| e2e::secrecy_expose(&t))
            .unwrap_or_default();
        let pull = baseline_value::raw_value_pull(&client, &server.url(), token, &model).await?;
        println!("pull {}", pull.encode());
        return Ok(());
    }
    let (push, pull) = match strategy {
        "sdk" => e2e::sdk(&client, &model).await?,
        "raw" => e2e::raw(&client, &server.url(), &model).await?,
        "python" => e2e::python(&client, &model).await?,
        "connectors" => e2e::connectors(&client, &model).await?,
        other => return Err(format!("unknown strategy {other}").into()),
    };
    println!("push {}", push.encode());
    println!("pull {}", pull.encode());
    Ok(())
}

/// Where the parent tells the `cli` strategy's process the `speckle` binary is.
const CLI_BINARY_ENV: &str = "SPECKLE_BENCH_CLI_BINARY";

/// The `speckle` binary, built once by the parent.
static CLI_BINARY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Runs one strategy in a child process and reads its measures.
fn spawn(
    args: &Args,
    strategy: &str,
) -> Result<(Option<Measure>, Option<Measure>), Box<dyn std::error::Error>> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    if let Some(binary) = CLI_BINARY.get() {
        command.env(CLI_BINARY_ENV, binary);
    }
    let output = command
        .args(["--strategy", strategy])
        .args(["--points", &args.points.to_string()])
        .args(["--meshes", &args.meshes.to_string()])
        .args(["--coordinates", &args.coordinates.to_string()])
        .args(["--streamed", &args.streamed.to_string()])
        .args(args.quadratic.then_some("--quadratic-server"))
        .stderr(std::process::Stdio::inherit())
        .output()?;
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
    Ok((find("push "), find("pull ")))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    if let Some(strategy) = args.strategy.clone() {
        return child(&args, &strategy).await;
    }
    println!("# speckle-rs bulk benchmark\n");
    println!(
        "machine: {} cores, {}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        os()
    );

    let cpu_model = dataset::model(20_000, 20, args.coordinates);
    let (encode_ratio, decode_ratio) = cpu::run(&cpu_model, args.runs);
    drop(cpu_model);
    if args.cpu_only {
        return Ok(());
    }

    let model = dataset::model(args.points, args.meshes, args.coordinates);
    let json = dataset::json_bytes(&model);
    let objects = model.len();
    drop(model);
    println!(
        "End to end: {} points + {} meshes of {} coordinates = {objects} objects, {:.0} MB of JSON. Each strategy runs in its own process on a fresh in-process devserver (SQLite file), SDK and server sharing the {} cores.\n",
        args.points,
        args.meshes,
        args.coordinates,
        json as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let strategies = [
        ("sdk", "(a) SDK defaults"),
        ("connectors", "(b) connectors strategy"),
        ("python", "(c) Python client strategy"),
        ("raw", "(d) raw HTTP, SDK bodies"),
        ("value", "(e) raw HTTP, answers decoded into Value"),
        ("fixed-250", "(f) SDK, fixed batches of ≤ 250 objects"),
        ("fixed-1000", "(f) SDK, fixed batches of ≤ 1,000 objects"),
        ("fixed-4000", "(f) SDK, fixed batches of ≤ 4,000 objects"),
        ("cli", "(g) `speckle push` from an NDJSON file"),
    ];
    let _ = CLI_BINARY.set(cli::build_binary()?);
    let mut pushes = Vec::new();
    let mut pulls = Vec::new();
    for (strategy, name) in strategies {
        eprintln!("bench: running {name}");
        let (push, pull) = spawn(&args, strategy)?;
        if let Some(push) = push {
            pushes.push((name, push));
        }
        if let Some(pull) = pull {
            pulls.push((name, pull));
        }
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
        if let (Some(a), Some(e)) = (find("(a)"), find("(g)")) {
            println!(
                "CLI push time / SDK push time = {:.2} (goal: at most 1.10)\n",
                a / e.max(1e-9)
            );
        }
        ratios_to_baselines(rows);
    }

    if args.streamed > 0 {
        eprintln!("bench: running the streamed push");
        if let (Some(m), _) = spawn(&args, "streamed")? {
            println!(
                "Streamed push of {} small objects built lazily, in its own process: {:.1} s, {:.0} objects/s, peak RSS {} MB (SDK and devserver together)\n",
                args.streamed,
                m.time.as_secs_f64(),
                m.objects_per_s(),
                mb(m.peak_rss)
            );
        }
    }
    println!("CPU ratios: encode {encode_ratio:.2}× serde_json::to_vec, decode {decode_ratio:.2}× serde_json Value");
    Ok(())
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
