//! The command line of the benchmark, and what the parent passes on to the
//! process of each strategy.

use std::process::Command;

/// Where the password and the token can come from instead of the command
/// line, so that they never show in the process list.
pub const PASSWORD_ENV: &str = "SPECKLE_BENCH_PASSWORD";
/// See [`PASSWORD_ENV`].
pub const TOKEN_ENV: &str = "SPECKLE_BENCH_TOKEN";

/// What `--help` prints.
pub const USAGE: &str = "\
usage: cargo xtask bench [options]

The SDK's bulk push and pull against the connectors' and the Python client's
strategies and raw-HTTP limits, on in-process devservers or on your server.

  --points N --meshes N --coordinates N   the model (100000, 1000, 20000)
  --dataset real-server|default           20,000 points + 200 meshes of 3,000
  --rounds N        rounds of every strategy, taking turns; each row is the
                    median round (3; 1 with --server unless given)
  --streamed N      objects of the streamed push (1000000; 0 skips it; 0
                    with --server unless given)
  --runs N          runs of the CPU benchmark (5)
  --cpu-only | --no-cpu
  --quadratic-server   devservers whose bulk save cost grows with the square
                    of the new objects in a request, like the real server's
  --server URL (--email E --password P | --token T)
                    against your server, as that user (no admin rights);
                    SPECKLE_BENCH_PASSWORD / SPECKLE_BENCH_TOKEN keep the
                    secrets off the command line
  --keep            leave the streams and objects on that server";

/// How the benchmark logs in to a server given with `--server`.
#[derive(Clone)]
pub enum Credentials {
    /// E-mail and password.
    Password { email: String, password: String },
    /// An api or session token.
    Token(String),
}

// Written by hand so that a debug print never shows a secret.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { email, .. } => write!(f, "Password {{ email: {email:?}, .. }}"),
            Self::Token(_) => f.write_str("Token(..)"),
        }
    }
}

/// A server of someone's own, instead of in-process devservers.
#[derive(Debug, Clone)]
pub struct Remote {
    /// As given (it may hold user-info: print it only through `ServerUrl`).
    pub url: String,
    pub credentials: Credentials,
    /// Leave the streams and objects on the server.
    pub keep: bool,
    /// Names this run's streams and makes its objects new to the server.
    pub run_id: String,
}

#[derive(Debug, Clone)]
pub struct Args {
    pub points: usize,
    pub meshes: usize,
    pub coordinates: usize,
    pub streamed: usize,
    pub runs: usize,
    /// End-to-end rounds: every strategy runs once per round, in turn.
    pub rounds: usize,
    /// Child mode: which round this is (its objects differ per round).
    pub round: usize,
    pub cpu_only: bool,
    pub no_cpu: bool,
    pub quadratic: bool,
    pub remote: Option<Remote>,
    /// Child mode: run one strategy and print its measures.
    pub strategy: Option<String>,
}

/// The model of `--dataset real-server`: the size the real server's costs
/// were measured with.
const REAL_SERVER: (usize, usize, usize) = (20_000, 200, 3_000);
/// Today's default model.
const DEFAULT: (usize, usize, usize) = (100_000, 1_000, 20_000);

pub fn parse() -> Result<Args, String> {
    parse_from(std::env::args().skip(1), |name| std::env::var(name).ok())
}

/// [`parse`] of given arguments and environment (for tests).
fn parse_from(
    raw: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Args, String> {
    let (points, meshes, coordinates) = DEFAULT;
    let mut args = Args {
        points,
        meshes,
        coordinates,
        streamed: 1_000_000,
        runs: 5,
        rounds: 3,
        round: 0,
        cpu_only: false,
        no_cpu: false,
        quadratic: false,
        remote: None,
        strategy: None,
    };
    let mut streamed_given = false;
    let mut rounds_given = false;
    let (mut server, mut email, mut password, mut token, mut keep, mut run_id) =
        (None, None, None, None, false, None);
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| -> Result<usize, String> {
            v.parse().map_err(|_| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--points" => args.points = number(value()?)?,
            "--meshes" => args.meshes = number(value()?)?,
            "--coordinates" => args.coordinates = number(value()?)?,
            "--streamed" => {
                args.streamed = number(value()?)?;
                streamed_given = true;
            }
            "--runs" => args.runs = number(value()?)?.max(1),
            "--rounds" => {
                args.rounds = number(value()?)?.max(1);
                rounds_given = true;
            }
            "--round" => args.round = number(value()?)?,
            "--dataset" => {
                (args.points, args.meshes, args.coordinates) = match value()?.as_str() {
                    "real-server" => REAL_SERVER,
                    "default" => DEFAULT,
                    other => {
                        return Err(format!("unknown dataset {other} (real-server or default)"))
                    }
                }
            }
            "--cpu-only" => args.cpu_only = true,
            "--no-cpu" => args.no_cpu = true,
            "--quadratic-server" => args.quadratic = true,
            "--server" => server = Some(value()?),
            "--email" => email = Some(value()?),
            "--password" => password = Some(value()?),
            "--token" => token = Some(value()?),
            "--keep" => keep = true,
            "--run-id" => run_id = Some(value()?),
            "--strategy" => args.strategy = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let password = password.or_else(|| env(PASSWORD_ENV).filter(|p| !p.is_empty()));
    let token = token.or_else(|| env(TOKEN_ENV).filter(|t| !t.is_empty()));
    let Some(url) = server else {
        if email.is_some() || keep {
            return Err("--email and --keep go with --server URL".into());
        }
        return Ok(args);
    };
    let credentials = match (email, password, token) {
        (Some(email), Some(password), _) => Credentials::Password { email, password },
        (Some(_), None, _) => {
            return Err(format!(
                "--email needs --password (or {PASSWORD_ENV} in the environment)"
            ))
        }
        (None, _, Some(token)) => Credentials::Token(token),
        (None, _, None) => {
            return Err(format!(
                "--server needs --email and --password, or --token (or {TOKEN_ENV} in the \
                 environment)"
            ))
        }
    };
    // Someone else's server: a million objects (and as many deletes) only
    // when asked for.
    if !streamed_given {
        args.streamed = 0;
    }
    if !rounds_given {
        args.rounds = 1;
    }
    args.remote = Some(Remote {
        url,
        credentials,
        keep,
        run_id: run_id.unwrap_or_else(new_run_id),
    });
    Ok(args)
}

/// Sixteen hex digits, different for every run: every run has the same
/// length of nonce, so every run moves the same bytes.
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40);
    format!("{mixed:016x}")
}

impl Args {
    /// Gives the process of `strategy` this run's options; the secrets go
    /// through its environment, not its command line.
    pub fn pass_to(&self, command: &mut Command, strategy: &str) {
        command
            .args(["--strategy", strategy])
            .args(["--points", &self.points.to_string()])
            .args(["--meshes", &self.meshes.to_string()])
            .args(["--coordinates", &self.coordinates.to_string()])
            .args(["--streamed", &self.streamed.to_string()])
            .args(["--round", &self.round.to_string()])
            .args(self.quadratic.then_some("--quadratic-server"));
        let Some(remote) = &self.remote else { return };
        command
            .args(["--server", &remote.url])
            .args(["--run-id", &remote.run_id])
            .args(remote.keep.then_some("--keep"))
            .env_remove(PASSWORD_ENV)
            .env_remove(TOKEN_ENV);
        match &remote.credentials {
            Credentials::Password { email, password } => {
                command.args(["--email", email]).env(PASSWORD_ENV, password)
            }
            Credentials::Token(token) => command.env(TOKEN_ENV, token),
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Args, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse_from(args.iter().map(|a| a.to_string()), move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_real_server_dataset_is_the_measured_model() {
        let args = parse(&["--dataset", "real-server"], &[]).unwrap();
        assert_eq!((args.points, args.meshes, args.coordinates), REAL_SERVER);
        assert_eq!(args.streamed, 1_000_000);
        assert!(parse(&["--dataset", "huge"], &[]).is_err());
    }

    /// Three rounds locally; one against someone's server (each round
    /// stores and deletes the whole model there) unless asked for.
    #[test]
    fn rounds_are_three_locally_and_one_on_a_server() {
        assert_eq!(parse(&[], &[]).unwrap().rounds, 3);
        assert_eq!(parse(&["--rounds", "0"], &[]).unwrap().rounds, 1);
        let on_server = ["--server", "http://h", "--token", "t"];
        assert_eq!(parse(&on_server, &[]).unwrap().rounds, 1);
        let asked = [&on_server[..], &["--rounds", "2"]].concat();
        assert_eq!(parse(&asked, &[]).unwrap().rounds, 2);
    }

    #[test]
    fn secrets_come_from_the_environment_and_are_never_debug_printed() {
        let args = parse(
            &["--server", "http://h", "--email", "a@b.c"],
            &[(PASSWORD_ENV, "hunter22")],
        )
        .unwrap();
        let remote = args.remote.unwrap();
        assert!(matches!(
            &remote.credentials,
            Credentials::Password { password, .. } if password == "hunter22"
        ));
        assert!(!format!("{remote:?}").contains("hunter22"));
        let args = parse(&["--server", "http://h"], &[(TOKEN_ENV, "JWT abc")]).unwrap();
        let remote = args.remote.unwrap();
        assert!(matches!(&remote.credentials, Credentials::Token(t) if t == "JWT abc"));
        assert!(!format!("{remote:?}").contains("abc"));
        assert!(parse(&["--server", "http://h"], &[]).is_err());
        assert!(parse(&["--server", "http://h", "--email", "a@b.c"], &[]).is_err());
    }

    #[test]
    fn against_a_server_nothing_is_streamed_unless_asked() {
        let args = parse(&["--server", "http://h", "--token", "t"], &[]).unwrap();
        assert_eq!(args.streamed, 0);
        let args = parse(
            &["--server", "http://h", "--token", "t", "--streamed", "10"],
            &[],
        )
        .unwrap();
        assert_eq!(args.streamed, 10);
    }

    #[test]
    fn children_get_the_secrets_in_their_environment_only() {
        let args = parse(
            &[
                "--server",
                "http://h",
                "--email",
                "a@b.c",
                "--password",
                "pw-123",
            ],
            &[],
        )
        .unwrap();
        let mut command = Command::new("true");
        args.pass_to(&mut command, "sdk");
        assert!(!command
            .get_args()
            .any(|a| a.to_string_lossy().contains("pw-123")));
        assert!(command
            .get_envs()
            .any(|(k, v)| k == PASSWORD_ENV && v.is_some_and(|v| v == "pw-123")));
        let run_id = args.remote.unwrap().run_id;
        assert!(command.get_args().any(|a| a == run_id.as_str()));
    }
}
