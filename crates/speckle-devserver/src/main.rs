//! `speckle-devserver`: run the development server from the command line.

use std::time::Duration;

use speckle_devserver::{Config, DevServer};

const HELP: &str = "\
speckle-devserver: a single-binary Speckle v1 server backed by SQLite

USAGE:
    speckle-devserver [OPTIONS]

OPTIONS:
    --port <PORT>            Port on 127.0.0.1 to listen on [default: 3000]
    --data <FILE>            SQLite file to keep the data in [default: ./speckle.db]
    --memory                 Keep the data in memory only
    --name <NAME>            Server name shown by GET /api
    --request-limit <BYTES>  Largest request body (after decompression) or websocket
                             message [default: 10485760]
    --ping-interval <SECS>   Websocket heartbeat period [default: 30]
    --jwt-secret <SECRET>    Secret that signs the tokens [env: SPECKLE_DEVSERVER_JWT_SECRET;
                             default: random, kept in the data file]
    --busy-timeout <SECS>    How long a write waits for a data file locked by another
                             process before answering 503 [default: 5]
    --private-streams        Make new streams private by default
    --invite-only            Refuse POST /accounts/register
    --expose-emails          Show e-mails in profiles and search results
    --log                    Log each request to stderr: method, path, status, time
                             (also on when RUST_LOG is set)
    -h, --help               Print this help
";

/// A number of seconds; `None` when it is not one a `Duration` can hold.
fn seconds(text: &str) -> Option<Duration> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

fn parse_args(args: &[String]) -> Result<Option<Config>, String> {
    let mut config = Config::default()
        .port(3000)
        .data_file("speckle.db")
        .log_requests(std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty()));
    // An environment variable keeps the secret out of the process list.
    if let Some(secret) = std::env::var("SPECKLE_DEVSERVER_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
    {
        config = config.jwt_secret(secret);
    }
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        config = match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => config.port(
                value("--port")?
                    .parse()
                    .map_err(|_| "--port needs a number".to_string())?,
            ),
            "--data" => config.data_file(value("--data")?),
            "--memory" => config.in_memory(),
            "--name" => config.server_name(value("--name")?),
            "--request-limit" => config.request_limit(
                value("--request-limit")?
                    .parse()
                    .map_err(|_| "--request-limit needs a number of bytes".to_string())?,
            ),
            "--ping-interval" => config.ping_interval(
                seconds(&value("--ping-interval")?)
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        "--ping-interval needs a positive number of seconds".to_string()
                    })?,
            ),
            "--jwt-secret" => config.jwt_secret(value("--jwt-secret")?),
            "--busy-timeout" => config.busy_timeout(
                seconds(&value("--busy-timeout")?)
                    .ok_or_else(|| "--busy-timeout needs a number of seconds".to_string())?,
            ),
            "--private-streams" => config.public_streams(false),
            "--invite-only" => config.public_registration(false),
            "--expose-emails" => config.expose_emails(true),
            "--log" => config.log_requests(true),
            other => return Err(format!("unknown option {other}")),
        };
    }
    Ok(Some(config))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{HELP}");
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match DevServer::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        println!("speckle-devserver listening on {}/api", server.url());
        let _ = tokio::signal::ctrl_c().await;
        println!("shutting down");
        server.shutdown().await;
        std::process::ExitCode::SUCCESS
    })
}
