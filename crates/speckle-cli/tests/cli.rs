//! End to end: the real `speckle` binary against an in-process devserver,
//! each test with its own account cache and object cache in a temp folder.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use speckle::{Register, SpeckleClient};
use speckle_devserver::{Config, DevServer};

const PASSWORD: &str = "correct-horse-battery";

/// Keys the server adds to every stored object.
const SERVER_KEYS: &[&str] = &[
    "_id",
    "hash",
    "geometryHash",
    "applicationId",
    "properties",
    "deleted",
    "parent",
    "children",
    "ancestors",
    "owner",
    "private",
    "canRead",
    "canWrite",
    "anonymousComments",
    "comments",
    "createdAt",
    "updatedAt",
    "__v",
];

struct Env {
    server: Option<DevServer>,
    dir: PathBuf,
}

impl Env {
    async fn start(name: &str) -> Self {
        let server = DevServer::start(Config::default()).await.unwrap();
        let dir = std::env::temp_dir().join(format!(
            "speckle-cli-{name}-{}-{}",
            std::process::id(),
            server.port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            server: Some(server),
            dir,
        }
    }

    fn server(&self) -> &DevServer {
        self.server.as_ref().unwrap()
    }

    fn url(&self) -> String {
        self.server().url()
    }

    fn db(&self) -> PathBuf {
        self.dir.join("SpeckleSettings").join("SpeckleCache.db")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_speckle"));
        command
            .args(args)
            .env("SPECKLE_CACHE_DB", self.db())
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env("HOME", &self.dir)
            .env_remove("SPECKLE_SERVER")
            .env_remove("SPECKLE_ACCOUNT")
            .env_remove("SPECKLE_TOKEN")
            .env_remove("LOCALAPPDATA")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `speckle ARGS` with `stdin`, waiting on a blocking thread so the
    /// in-process server keeps serving.
    async fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self.command(args).spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let _ = input.write_all(stdin.as_bytes());
            drop(input);
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, "").await;
        assert!(
            out.status.success(),
            "speckle {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all).await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    async fn register(&self, email: &str) -> SpeckleClient {
        let client = SpeckleClient::new(self.url()).unwrap();
        client
            .register(Register::new(email, PASSWORD))
            .await
            .unwrap();
        client
    }

    /// Registers a user through the CLI, which logs in as them.
    async fn logged_in(name: &str) -> Self {
        let env = Self::start(name).await;
        let out = env
            .run(
                &[
                    "login",
                    "--register",
                    "--server",
                    &env.url(),
                    "--email",
                    "ada@example.com",
                ],
                &format!("{PASSWORD}\n"),
            )
            .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        env
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The failure contract: exit code 1 and exactly one line on stderr.
fn assert_one_line_failure(out: &Output, expected: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(expected), "{stderr:?} lacks {expected:?}");
}

fn point(i: usize) -> Value {
    // Non-integral numbers: the server (like its JavaScript original) writes
    // 2.0 as 2, which would not compare equal as JSON.
    #[allow(clippy::cast_precision_loss)]
    let x = i as f64 + 0.25;
    json!({"type": "Point", "name": format!("p{i}"), "value": [x, x / 3.0, -x], "props": {"k": x}})
}

fn ndjson(objects: &[Value]) -> String {
    objects.iter().map(|o| format!("{o}\n")).collect()
}

/// A pulled object minus what the server adds, after checking it added
/// nothing else.
fn without_server_keys(mut pulled: Value, sent: &Value) -> Value {
    let map = pulled.as_object_mut().unwrap();
    let extra: Vec<String> = map
        .keys()
        .filter(|k| sent.get(k.as_str()).is_none())
        .cloned()
        .collect();
    for key in extra {
        assert!(SERVER_KEYS.contains(&key.as_str()), "unexpected key {key}");
        map.remove(&key);
    }
    pulled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_stores_an_account_that_a_second_invocation_uses() {
    let env = Env::start("login").await;
    env.register("ada@example.com").await;
    let out = env
        .run(
            &[
                "login",
                "--server",
                &env.url(),
                "--email",
                "ada@example.com",
            ],
            &format!("{PASSWORD}\n"),
        )
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The token never shows.
    let stored = speckle::accounts::AccountStore::open(env.db())
        .unwrap()
        .list()
        .unwrap();
    assert_eq!(stored.len(), 1);
    let token = speckle::ExposeSecret::expose_secret(&stored[0].token).to_owned();
    assert!(token.starts_with("JWT "));
    let bare = token.trim_start_matches("JWT ");
    assert!(!text(&out.stdout).contains(bare) && !text(&out.stderr).contains(bare));

    // A token login refreshes the same account, and a SPECKLE_TOKEN in the
    // environment does not stand in the way of an e-mail login.
    let out = env
        .run(&["login", "--server", &env.url(), "--token", &token], "")
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut with_env = env.command(&[
        "login",
        "--server",
        &env.url(),
        "--email",
        "ada@example.com",
    ]);
    with_env.env("SPECKLE_TOKEN", "JWT not-a-token");
    let mut child = with_env.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        writeln!(stdin, "{PASSWORD}").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        speckle::accounts::AccountStore::open(env.db())
            .unwrap()
            .list()
            .unwrap()
            .len(),
        1
    );

    // No --server, no password: the stored account is used.
    let info = env.json(&["info"]).await;
    assert_eq!(info["user"]["email"], "ada@example.com");
    assert_eq!(info["server"]["restApi"], format!("{}/api/v1", env.url()));
    assert!(!info.to_string().contains(bare));
    let listed = env.json(&["accounts", "list"]).await;
    assert!(!listed.to_string().contains(bare));
    assert_eq!(listed[0]["isDefault"], true);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.db()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the account cache must be owner-only");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_written_by_the_python_client_is_found_and_used() {
    let env = Env::start("python").await;
    let user = env.register("grace@example.com").await;
    let token = speckle::ExposeSecret::expose_secret(&user.apitoken().unwrap()).to_owned();
    std::fs::create_dir_all(env.db().parent().unwrap()).unwrap();
    {
        // The Python client's SpeckleCache.create_database and write_account.
        let db = rusqlite::Connection::open(env.db()).unwrap();
        db.execute_batch(
            "CREATE TABLE Account ([AccountId] integer NOT NULL PRIMARY KEY AUTOINCREMENT,\
             [ServerName] varchar, [RestApi] varchar, [Email] varchar, [Token] varchar,\
             [IsDefault] integer, UNIQUE(RestApi,Email))",
        )
        .unwrap();
        db.execute(
            "INSERT INTO Account(AccountId,ServerName,RestApi,Email,Token,IsDefault) \
             VALUES(NULL,?,?,?,?,0)",
            (
                "Python's",
                format!("{}/api/v1", env.url()),
                "grace@example.com",
                token,
            ),
        )
        .unwrap();
    }
    let created = env
        .json(&["streams", "create", "From Python's account"])
        .await;
    let id = created["streamId"].as_str().unwrap().to_owned();
    let listed = env.json(&["streams", "list"]).await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["streamId"] == id.as_str()));
    // Chosen by server too.
    let info = env.json(&["--server", &env.url(), "info"]).await;
    assert_eq!(info["user"]["email"], "grace@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_of_20000_objects_pulls_back_identical_and_a_re_push_sends_nothing_new() {
    let env = Env::logged_in("roundtrip").await;
    let objects: Vec<Value> = (0..20_000).map(point).collect();
    let file = env.write("model.ndjson", &ndjson(&objects));
    let file = file.to_str().unwrap();

    let pushed = env.json(&["push", file, "--new", "Big"]).await;
    assert_eq!(pushed["uploaded"], 20_000);
    let stream = pushed["streamId"].as_str().unwrap().to_owned();

    let out = env.dir.join("pulled.ndjson");
    env.ok(&["pull", &stream, "-o", out.to_str().unwrap()])
        .await;
    let pulled: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pulled.len(), objects.len());
    for (got, sent) in pulled.into_iter().zip(&objects) {
        assert_eq!(&without_server_keys(got, sent), sent);
    }

    // The same file again: everything comes from the local cache.
    let again = env.json(&["push", file, "--stream", &stream]).await;
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["cached"], 20_000, "{again}");
    assert_eq!(env.server().object_count().await.unwrap(), 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_output_parses() {
    let env = Env::logged_in("json").await;
    let stream = env.json(&["streams", "create", "S"]).await;
    let stream_id = stream["streamId"].as_str().unwrap().to_owned();
    let project = env.json(&["projects", "create", "P"]).await;
    let project_id = project["_id"].as_str().unwrap().to_owned();
    let client = env
        .json(&[
            "clients", "create", "--stream", &stream_id, "--role", "Sender",
        ])
        .await;
    let client_id = client["_id"].as_str().unwrap().to_owned();
    let comment = env
        .json(&["comments", "create", "--stream", &stream_id, "hello"])
        .await;
    let comment_id = comment["_id"].as_str().unwrap().to_owned();
    let file = env.write("two.ndjson", &ndjson(&[point(1), point(2)]));

    for args in [
        vec!["accounts", "list"],
        vec!["info"],
        vec!["streams", "list"],
        vec!["streams", "get", &stream_id],
        vec!["streams", "rename", &stream_id, "S2"],
        vec!["projects", "list"],
        vec!["projects", "get", &project_id],
        vec!["projects", "rename", &project_id, "P2"],
        vec!["clients", "list"],
        vec!["clients", "get", &client_id],
        vec!["comments", "list", "--stream", &stream_id],
        vec!["comments", "get", &comment_id],
        vec!["push", file.to_str().unwrap(), "--stream", &stream_id],
        vec!["pull", &stream_id, "--format", "json"],
        vec!["streams", "clone", &stream_id],
        vec!["comments", "delete", &comment_id],
        vec!["clients", "delete", &client_id],
        vec!["projects", "delete", &project_id],
    ] {
        env.json(&args).await;
    }
    // NDJSON pull: one JSON value per line.
    let lines = env.ok(&["pull", &stream_id, "--fields", "name"]).await;
    let names: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["name"].clone())
        .collect();
    assert_eq!(names, [json!("p1"), json!("p2")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_unknown_stream_and_server_down_are_one_line_errors() {
    let env = Env::logged_in("errors").await;
    let out = env
        .run(
            &[
                "login",
                "--server",
                &env.url(),
                "--email",
                "ada@example.com",
            ],
            "not-the-password\n",
        )
        .await;
    assert_one_line_failure(&out, "Invalid credentials");

    let out = env.run(&["pull", "NoSuchStream"], "").await;
    assert_one_line_failure(&out, "404");
    let file = env.write("one.ndjson", &ndjson(&[point(1)]));
    let out = env
        .run(
            &["push", file.to_str().unwrap(), "--stream", "NoSuchStream"],
            "",
        )
        .await;
    assert_one_line_failure(&out, "404");
    assert_eq!(
        env.server().object_count().await.unwrap(),
        0,
        "sent before the stream was checked"
    );

    // Stream ids may start with `-` (the server's id alphabet has it): such
    // an id is a value, not an unknown flag.
    let out = env.run(&["streams", "get", "-NoSuchStream"], "").await;
    assert_one_line_failure(&out, "404");
    let target = env.dir.join("never.ndjson");
    let out = env
        .run(
            &["pull", "-NoSuchStream", "-o", target.to_str().unwrap()],
            "",
        )
        .await;
    assert_one_line_failure(&out, "404");
    assert!(!target.exists(), "a failed pull left a file behind");

    // Usage errors are clap's, with exit code 2.
    let out = env.run(&["push"], "").await;
    assert_eq!(out.status.code(), Some(2));

    let mut env = env;
    env.server.take().unwrap().shutdown().await;
    let out = env.run(&["streams", "list"], "").await;
    // The SDK's own words for a refused connection.
    assert_one_line_failure(&out, "connection refused: nothing listens at");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_is_reported_by_line_before_anything_is_sent() {
    let env = Env::logged_in("malformed").await;
    let stream = env.json(&["streams", "create", "S"]).await;
    let stream_id = stream["streamId"].as_str().unwrap().to_owned();
    let cases = [
        (
            "bad-json.ndjson",
            format!("{}\n{}\n{{\"type\": \"Point\",\n", point(1), point(2)),
            "line 3: invalid JSON",
        ),
        (
            "no-type.ndjson",
            format!("{}\n{{\"name\": \"typeless\"}}\n{}\n", point(1), point(3)),
            "line 2: the object has no `type`",
        ),
        (
            "no-type.json",
            format!(
                "[\n  {},\n  {},\n  {{\"name\": \"typeless\"}}\n]\n",
                point(1),
                point(2)
            ),
            "line 4: object 3: the object has no `type`",
        ),
    ];
    for (name, content, expected) in cases {
        let file = env.write(name, &content);
        let out = env
            .run(
                &["push", file.to_str().unwrap(), "--stream", &stream_id],
                "",
            )
            .await;
        assert_one_line_failure(&out, expected);
    }
    assert_eq!(env.server().object_count().await.unwrap(), 0);
    // And stdin works the same way.
    let out = env
        .run(
            &["push", "-", "--stream", &stream_id],
            "{\"type\":\"A\"}\n[1,\n",
        )
        .await;
    assert_one_line_failure(&out, "stdin: line 2: invalid JSON");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_push_leaves_nothing_a_re_run_does_not_finish() {
    let env = Env::logged_in("ctrlc").await;
    let stream = env.json(&["streams", "create", "S"]).await;
    let stream_id = stream["streamId"].as_str().unwrap().to_owned();
    let objects: Vec<Value> = (0..20_000).map(point).collect();
    let file = env.write("model.ndjson", &ndjson(&objects));
    let file = file.to_str().unwrap();

    let child = env
        .command(&["push", file, "--stream", &stream_id])
        .spawn()
        .unwrap();
    // Interrupt once the server holds some, but not all, of the objects, and
    // the push has had an answer (so its local cache knows some): the first
    // four requests in flight hold at most 250 objects each, and a fifth is
    // sent only after an answer.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = env.server().object_count().await.unwrap();
        if stored > 1_000 {
            assert!(
                stored < 20_000,
                "the push finished before it could be interrupted"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the push never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    // The stream was not touched by the interrupted push.
    let half = env.json(&["streams", "get", &stream_id]).await;
    assert!(
        half["objects"].as_array().is_none_or(Vec::is_empty),
        "{half}"
    );

    let again = env.json(&["push", file, "--stream", &stream_id]).await;
    assert!(again["uploaded"].as_u64().unwrap() < 20_000, "{again}");
    let lines = env.ok(&["pull", &stream_id]).await;
    let pulled: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pulled.len(), objects.len());
    for (got, sent) in pulled.into_iter().zip(&objects) {
        assert_eq!(&without_server_keys(got, sent), sent);
    }
    assert_eq!(
        env.server().object_count().await.unwrap(),
        20_000,
        "objects were duplicated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bar_or_control_characters_when_output_is_not_a_terminal() {
    let env = Env::logged_in("plain").await;
    let objects: Vec<Value> = (0..2_000).map(point).collect();
    let file = env.write("model.ndjson", &ndjson(&objects));
    let out = env
        .run(&["push", file.to_str().unwrap(), "--new", "Plain"], "")
        .await;
    assert!(out.status.success());
    let stream_id = text(&out.stdout).trim().to_owned();
    let pull = env.run(&["pull", &stream_id], "").await;
    let list = env.run(&["streams", "list"], "").await;
    for output in [out, pull, list] {
        for bytes in [&output.stdout, &output.stderr] {
            assert!(
                !bytes.iter().any(|b| b.is_ascii_control() && *b != b'\n'),
                "control characters in {:?}",
                text(bytes).chars().take(200).collect::<String>()
            );
        }
    }
}

/// The subcommands listed under "Commands:" in a help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn help_of(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_speckle"))
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{path:?} --help failed");
    let help = text(&out.stdout);
    assert!(
        help.contains(
            &format!("Usage: speckle {}", path.join(" "))
                .trim_end()
                .to_owned()
        ),
        "{path:?}: {help}"
    );
    help
}

#[test]
fn every_subcommand_has_help() {
    let mut seen = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let help = help_of(&path);
        for name in subcommands(&help) {
            let mut child = path.clone();
            child.push(name);
            todo.push(child);
        }
        seen.push(path.join(" "));
    }
    // The walk reached the leaves, not only the top level.
    for expected in [
        "login",
        "accounts use",
        "streams diff",
        "comments create",
        "push",
        "completions",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} missing from {seen:?}"
        );
    }
}

#[test]
fn completions_are_generated() {
    let out = Command::new(env!("CARGO_BIN_EXE_speckle"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("speckle"));
}

/// A child process that a failing test must not leave running.
struct KillOnDrop(Option<std::process::Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().unwrap()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_broadcasts_until_ctrl_c() {
    use std::io::BufRead;
    let env = Env::logged_in("watch").await;
    let stream = env.json(&["streams", "create", "Live"]).await;
    let stream_id = stream["streamId"].as_str().unwrap().to_owned();
    let mut watcher = KillOnDrop(Some(env.command(&["watch", &stream_id]).spawn().unwrap()));
    let stdout = watcher.child().stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let next_line = |wait: Duration| {
        let lines = &lines;
        tokio::task::block_in_place(|| lines.recv_timeout(wait).ok())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !next_line(Duration::from_secs(1)).is_some_and(|l| l.starts_with("connected")) {
        assert!(Instant::now() < deadline, "the watcher never connected");
    }

    let account = speckle::accounts::AccountStore::open(env.db())
        .unwrap()
        .select(None, None)
        .unwrap();
    let sender = SpeckleClient::from_account(&account).unwrap();
    let socket = sender
        .websockets_with_new_client(stream_id.as_str(), speckle::ClientRole::Sender)
        .await
        .unwrap();
    // The watcher's join is never confirmed by the server: broadcast until
    // one arrives.
    loop {
        socket
            .handle()
            .broadcast_to_stream(stream_id.as_str(), json!({"eventType": "update-global"}))
            .unwrap();
        if let Some(line) = next_line(Duration::from_millis(200)) {
            if line.starts_with("broadcast") {
                assert!(line.contains("update-global"), "{line}");
                break;
            }
        }
        assert!(Instant::now() < deadline, "no broadcast was printed");
    }
    Command::new("kill")
        .args(["-INT", &watcher.child().id().to_string()])
        .status()
        .unwrap();
    // Bounded: a watcher that ignores Ctrl-C fails the test (and is killed
    // on drop) instead of hanging it.
    let status = loop {
        if let Some(status) = watcher.child().try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the watcher ignored Ctrl-C");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_what_has_no_id_and_updates_what_has_one() {
    let env = Env::logged_in("apply").await;
    let stream = env.json(&["streams", "create", "Before"]).await;
    let stream_id = stream["streamId"].as_str().unwrap().to_owned();
    let documents = format!(
        "{}\n{}\n",
        json!({"type": "stream", "metadata": {"id": stream_id, "name": "After"}, "spec": {"description": "applied"}}),
        json!([{"type": "project", "metadata": {"name": "Site"}}]),
    );
    let file = env.write("resources.json", &documents);
    let done = env.json(&["apply", "-f", file.to_str().unwrap()]).await;
    assert_eq!(
        done[0],
        json!({"type": "stream", "action": "updated", "id": stream_id})
    );
    assert_eq!(done[1]["action"], "created");
    let project_id = done[1]["id"].as_str().unwrap().to_owned();
    let stream = env.json(&["streams", "get", &stream_id]).await;
    assert_eq!(stream["name"], "After");
    assert_eq!(stream["description"], "applied");
    let project = env.json(&["projects", "get", &project_id]).await;
    assert_eq!(project["name"], "Site");
}
