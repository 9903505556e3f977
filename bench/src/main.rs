//! `cargo xtask bench`: the SDK's bulk transfers against the connectors' and
//! the Python client's strategies and a raw-HTTP limit, all measured in this
//! run, on in-process devservers; plus the per-object CPU cost against plain
//! serde_json. Prints markdown tables with ratios.
//!
//! Options: `--points N` (100000), `--meshes N` (1000), `--coordinates N`
//! (20000), `--streamed N` (1000000, 0 to skip), `--runs N` (5, CPU runs),
//! `--cpu-only`.

mod cpu;
mod dataset;
mod e2e;
mod rss;

use e2e::Measure;

struct Args {
    points: usize,
    meshes: usize,
    coordinates: usize,
    streamed: usize,
    runs: usize,
    cpu_only: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        points: 100_000,
        meshes: 1_000,
        coordinates: 20_000,
        streamed: 1_000_000,
        runs: 5,
        cpu_only: false,
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
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| format!("{:.0}", b as f64 / 1e6))
}

fn row(name: &str, m: &Measure) {
    println!(
        "| {name} | {} | {:.1} | {:.0} | {:.1} | {} |",
        m.requests,
        m.time.as_secs_f64(),
        m.objects_per_s(),
        m.mb_per_s(),
        mb(m.peak_rss)
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
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
    println!(
        "End to end: {} points + {} meshes of {} coordinates = {} objects, {:.0} MB of JSON; each strategy on a fresh in-process devserver (SQLite file)\n",
        args.points,
        args.meshes,
        args.coordinates,
        model.len(),
        json as f64 / 1e6
    );

    let mut pushes = Vec::new();
    let mut pulls = Vec::new();
    {
        let (_server, client) = e2e::fresh_server().await?;
        let (push, pull) = e2e::sdk(&client, &model).await?;
        pushes.push(("(a) SDK defaults", push));
        pulls.push(("(a) SDK defaults", pull));
    }
    {
        let (server, client) = e2e::fresh_server().await?;
        let (push, pull) = e2e::raw(&client, &server.url(), &model).await?;
        pushes.push(("(d) raw HTTP, SDK bodies", push));
        pulls.push(("(d) raw HTTP, SDK bodies", pull));
    }
    {
        let (_server, client) = e2e::fresh_server().await?;
        let (push, pull) = e2e::python(&client, &model).await?;
        pushes.push(("(c) Python client strategy", push));
        pulls.push(("(c) Python client strategy", pull));
    }
    {
        let (_server, client) = e2e::fresh_server().await?;
        let (push, pull) = e2e::connectors(&client, &model).await?;
        pushes.push(("(b) connectors strategy", push));
        pulls.push(("(b) connectors strategy", pull));
    }

    for (title, rows) in [("Push", &pushes), ("Pull", &pulls)] {
        println!("{title}\n");
        println!("| strategy | requests | seconds | objects/s | MB/s | peak RSS MB |");
        println!("|---|---|---|---|---|---|");
        for (name, m) in rows.iter() {
            row(name, m);
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
    }
    drop(model);

    if args.streamed > 0 {
        let (_server, client) = e2e::fresh_server().await?;
        let (m, uploaded) = e2e::streamed_push_rss(&client, args.streamed).await?;
        println!(
            "Streamed push of {} small objects built lazily: {:.1} s, {:.0} objects/s, {} uploaded, peak RSS {} MB (SDK and devserver in one process)\n",
            args.streamed,
            m.time.as_secs_f64(),
            m.objects_per_s(),
            uploaded,
            mb(m.peak_rss)
        );
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
