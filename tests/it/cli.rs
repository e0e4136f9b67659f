//! The command line, driven through the compiled binary: `--help`, `migrate`, configuration
//! errors, `admin`, generated secrets, `simulate`, secrets kept out of the logs and the graceful
//! stop on SIGTERM.
//!
//! The first part is a small harness to run `paymatch` as a child process (also used by the crash
//! test): a cleared environment (only `PATH` and what the test gives), a temporary working
//! directory (so no stray `paymatch.toml` or `paymatch.db` is read), output captured to files and
//! shown only when an assertion fails, and a timeout on every wait.

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{reply, Backend, TestDatabase};

pub const BIN: &str = env!("CARGO_BIN_EXE_paymatch");

/// The longest a command that is expected to end (migrate, admin, simulate, a failed start…)
/// may take, migrations on a fresh PostgreSQL database included.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a server may take to answer `/healthz` after its start.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a server may take to exit after SIGTERM, when nothing is in flight.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `paymatch ARGS` with exactly `vars` (and `PATH`) in its environment, run in `dir`.
pub fn command(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().current_dir(dir);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(vars.iter().copied());
    cmd
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The last `n` lines of a text, to keep failure messages readable.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Polls a child until it exits or `limit` passes (None).
pub async fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A line of the logs: `2024-10-03T08:06:37.123456Z  INFO …` or a JSON object.
fn is_log_line(line: &str) -> bool {
    let b = line.as_bytes();
    line.starts_with('{')
        || (b.len() > 11 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T')
}

/// What a finished command did.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn describe(&self) -> String {
        format!(
            "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            tail(&self.stdout, 40),
            tail(&self.stderr, 40)
        )
    }

    #[track_caller]
    pub fn assert_success(&self) {
        assert!(
            self.status.success(),
            "expected success\n{}",
            self.describe()
        );
    }

    /// Standard error without the log lines (which start with a timestamp, or are JSON).
    pub fn reason(&self) -> String {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !is_log_line(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A non-zero exit with a one-line reason on standard error (logs aside).
    #[track_caller]
    pub fn assert_failure_line(&self) -> String {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "expected a non-zero exit\n{}",
            self.describe()
        );
        let reason = self.reason();
        assert_eq!(
            reason.lines().count(),
            1,
            "expected a one-line reason on stderr\n{}",
            self.describe()
        );
        reason
    }
}

/// Runs `paymatch ARGS` to its end, with `stdin` written to its standard input.
pub async fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)], stdin: &str) -> Output {
    let logs = tempfile::tempdir().unwrap();
    let out_path = logs.path().join("stdout");
    let err_path = logs.path().join("stderr");
    let mut child = command(dir, args, vars)
        .stdin(Stdio::piped())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        // A command that does not read its input may have exited already (broken pipe).
        let _ = input.write_all(stdin.as_bytes());
    }
    let status = match wait_for_exit(&mut child, COMMAND_TIMEOUT).await {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`paymatch {}` did not end within {COMMAND_TIMEOUT:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                args.join(" "),
                tail(&read_lossy(&out_path), 40),
                tail(&read_lossy(&err_path), 40)
            );
        }
    };
    Output {
        status,
        stdout: read_lossy(&out_path),
        stderr: read_lossy(&err_path),
    }
}

/// A `paymatch serve` child process, listening on a free port.
pub struct Server {
    child: Child,
    pub address: String,
    pub client: reqwest::Client,
    exit: Option<ExitStatus>,
    out_path: PathBuf,
    err_path: PathBuf,
    _logs: tempfile::TempDir,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Server {
    /// Starts `paymatch serve` in `dir` with `vars` (plus `PATH` and `PAYMATCH_BIND` on a free
    /// port) and waits until `/healthz` answers 200.
    pub async fn start(dir: &Path, vars: &[(&str, &str)]) -> Server {
        // The port may be taken between the probe and the bind: try another one then.
        for attempt in 0..3 {
            let port = free_port();
            let bind = format!("127.0.0.1:{port}");
            let mut all: Vec<(&str, &str)> = vars.to_vec();
            all.push(("PAYMATCH_BIND", &bind));
            let logs = tempfile::tempdir().unwrap();
            let out_path = logs.path().join("stdout");
            let err_path = logs.path().join("stderr");
            let child = command(dir, &["serve"], &all)
                .stdin(Stdio::null())
                .stdout(File::create(&out_path).unwrap())
                .stderr(File::create(&err_path).unwrap())
                .spawn()
                .unwrap();
            let mut server = Server {
                child,
                address: format!("http://{bind}"),
                client: http_client(),
                exit: None,
                out_path,
                err_path,
                _logs: logs,
            };
            if server.wait_ready().await {
                return server;
            }
            let exited = server.exit.is_some();
            if exited && attempt < 2 && server.stderr().contains("cannot listen") {
                continue;
            }
            panic!("the server did not become ready\n{}", server.describe());
        }
        unreachable!("the loop returns or panics")
    }

    /// True once `/healthz` answers 200; false if the process exits or the time runs out.
    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = self.url("/healthz");
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.exit = Some(status);
                return false;
            }
            let probe = self
                .client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().as_u16() == 200) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn stdout(&self) -> String {
        read_lossy(&self.out_path)
    }

    pub fn stderr(&self) -> String {
        read_lossy(&self.err_path)
    }

    /// Exit status and the end of both outputs, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "server exit status: {:?}\n--- server stdout ---\n{}\n--- server stderr ---\n{}",
            self.exit,
            tail(&self.stdout(), 40),
            tail(&self.stderr(), 60)
        )
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if self.exit.is_none() {
            self.child.kill().unwrap();
            self.exit = Some(self.child.wait().unwrap());
        }
    }

    /// SIGTERM: a graceful stop.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// Waits for the process to exit (after `terminate`), at most `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        if let Some(status) = self.exit {
            return status;
        }
        match wait_for_exit(&mut self.child, limit).await {
            Some(status) => {
                self.exit = Some(status);
                status
            }
            None => panic!(
                "the server did not exit within {limit:?}\n{}",
                self.describe()
            ),
        }
    }

    /// SIGTERM, then the exit, which must be a success.
    pub async fn stop(&mut self) {
        self.terminate();
        let status = self.wait_exit(STOP_TIMEOUT).await;
        assert!(
            status.success(),
            "the server did not exit cleanly\n{}",
            self.describe()
        );
    }

    /// An API call with the given bearer key.
    pub async fn api(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn create_order(&self, key: &str, code: &str, amount: &str) -> (u16, Value) {
        let body = json!({"code": code, "amount": amount});
        self.api(key, reqwest::Method::POST, "/api/v1/orders", Some(body))
            .await
    }

    pub async fn get_order(&self, key: &str, code: &str) -> (u16, Value) {
        let path = format!("/api/v1/orders/{code}");
        self.api(key, reqwest::Method::GET, &path, None).await
    }

    /// Posts a webhook body with the given `Secure-Token`.
    pub async fn webhook(&self, token: &str, body: &str) -> (u16, Value) {
        let request = webhook_request(&self.client, &self.url("/webhooks/casso"), token, body);
        reply(request.send().await.unwrap()).await
    }

    /// Every stored transaction, following `next_cursor`.
    pub async fn all_transactions(&self, key: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let path = match &cursor {
                Some(c) => format!("/api/v1/transactions?limit=200&cursor={c}"),
                None => "/api/v1/transactions?limit=200".to_owned(),
            };
            let (status, page) = self.api(key, reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "{page}\n{}", self.describe());
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return all,
            }
        }
        panic!("more than 1000 pages of transactions: the cursor does not advance");
    }
}

/// A v1 webhook `body` to `url` with the given `Secure-Token`, as Casso posts it.
fn webhook_request(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("Content-Type", "application/json")
        .header("Secure-Token", token)
        .body(body.to_owned())
}

/// How a webhook sent with [`send_webhook`] ended, as Casso would see it.
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookOutcome {
    /// Not sent (yet).
    NotSent,
    /// 200: stored and processed.
    Acked,
    /// Another HTTP status, with its body.
    Answered(u16, String),
    /// No reply: the connection was refused, reset or closed, or the time ran out.
    NoReply(String),
}

/// Posts one v1 webhook `body` to `url` with the given `Secure-Token` and reads the reply; a
/// failure is an outcome, not a panic (the server may be going away). `client` is a clone of a
/// server's, or one of the test's own, so that it can send from a task; `timeout`, if any,
/// replaces the client's for this request. When the request got no response at all, its error
/// comes back too, for the caller to tell why (`is_connect`: the listener is closed).
pub async fn send_webhook(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &str,
    timeout: Option<Duration>,
) -> (WebhookOutcome, Option<reqwest::Error>) {
    let mut request = webhook_request(client, url, token, body);
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let outcome = match response.text().await {
                Ok(_) if status == 200 => WebhookOutcome::Acked,
                Ok(text) => WebhookOutcome::Answered(status, text),
                Err(e) => WebhookOutcome::NoReply(format!("reading the reply: {e}")),
            };
            (outcome, None)
        }
        Err(e) => (WebhookOutcome::NoReply(e.to_string()), Some(e)),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A v1 delivery of one transfer.
pub fn webhook_body(id: u64, description: &str, amount: i64) -> String {
    json!({
        "error": 0,
        "data": [{
            "id": id,
            "tid": format!("TF{id}"),
            "description": description,
            "amount": amount,
            "cusum_balance": 0,
            "when": "2024-10-03 15:06:37",
            "bank_sub_acc_id": "1",
            "subAccId": "1",
        }]
    })
    .to_string()
}

const TOKEN: &str = "cli-test-secure-token-4711";
const KEY: &str = "cli-test-api-key-4711";

// ---------------------------------------------------------------------------------------------
// --help

#[tokio::test]
async fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["--help"],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["simulate", "--help"],
        &["admin", "--help"],
        &["admin", "create-user", "--help"],
        &["admin", "set-password", "--help"],
    ];
    for args in cases {
        let out = run(dir.path(), args, &[], "").await;
        assert!(
            out.status.success(),
            "paymatch {}\n{}",
            args.join(" "),
            out.describe()
        );
        assert!(
            out.stdout.contains("Usage: paymatch"),
            "paymatch {}: no usage\n{}",
            args.join(" "),
            out.describe()
        );
    }
    let out = run(dir.path(), &["simulate", "--help"], &[], "").await;
    for flag in ["--code", "--amount", "--description", "--id", "--url"] {
        assert!(out.stdout.contains(flag), "{flag}\n{}", out.describe());
    }
}

#[tokio::test]
async fn an_unknown_subcommand_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["no-such-command"], &[], "").await;
    assert!(!out.status.success(), "{}", out.describe());
}

// ---------------------------------------------------------------------------------------------
// migrate

async fn migrate_on_a_fresh_database_twice(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [("PAYMATCH_DATABASE_URL", db.url.as_str())];
    let first = run(dir.path(), &["migrate"], &vars, "").await;
    first.assert_success();
    let second = run(dir.path(), &["migrate"], &vars, "").await;
    second.assert_success();
    // The migrated database serves.
    let mut server = Server::start(dir.path(), &vars).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// configuration errors

type Vars<'a> = Vec<(&'a str, &'a str)>;

async fn bad_configuration_stops_the_start_naming_the_key(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let bind = format!("127.0.0.1:{}", free_port());
    let good = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_BIND", bind.as_str()),
    ];
    let unknown_file = dir.path().join("unknown.toml");
    std::fs::write(&unknown_file, "bind = \"127.0.0.1:1\"\ncolour = \"blue\"\n").unwrap();
    let unknown_nested = dir.path().join("nested.toml");
    std::fs::write(&unknown_nested, "[matching]\nfuzzy = true\n").unwrap();
    let bad_value_file = dir.path().join("bad.toml");
    std::fs::write(&bad_value_file, "[matching]\namount_tolerance = \"lots\"\n").unwrap();
    let bad_syntax_file = dir.path().join("bad-syntax.toml");
    std::fs::write(&bad_syntax_file, "bind = \n").unwrap();
    let bad_syntax_file = bad_syntax_file.to_str().unwrap();
    let unknown_file = unknown_file.to_str().unwrap();
    let unknown_nested = unknown_nested.to_str().unwrap();
    let bad_value_file = bad_value_file.to_str().unwrap();

    // (arguments, variables on top of the good ones, what the message must name)
    let cases: Vec<(Vec<&str>, Vars, &str)> = vec![
        (
            vec![],
            vec![("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "abc")],
            "matching.amount_tolerance",
        ),
        (
            vec!["serve"],
            vec![("PAYMATCH_MATCHING__AMOUNT_TOLERANCE", "-5")],
            "matching.amount_tolerance",
        ),
        (
            vec!["serve"],
            vec![("PAYMATCH_NO_SUCH_KEY", "1")],
            "no_such_key",
        ),
        (vec!["serve"], vec![("PAYMATCH_WORKER", "maybe")], "worker"),
        (
            vec!["serve"],
            vec![("PAYMATCH_DATABASE_URL", "mysql://x")],
            "database_url",
        ),
        (vec!["--config", unknown_file, "serve"], vec![], "colour"),
        (
            vec!["serve", "--config", unknown_nested],
            vec![],
            "matching.fuzzy",
        ),
        (
            vec!["serve"],
            vec![("PAYMATCH_CONFIG", unknown_file)],
            "colour",
        ),
        (
            vec!["--config", bad_value_file, "serve"],
            vec![],
            "matching.amount_tolerance",
        ),
        (
            vec!["migrate"],
            vec![("PAYMATCH_NO_SUCH_KEY", "1")],
            "no_such_key",
        ),
        (
            vec!["--config", bad_syntax_file, "migrate"],
            vec![],
            "bad-syntax.toml",
        ),
        (
            vec!["--config", "/nonexistent/paymatch.toml", "migrate"],
            vec![],
            "/nonexistent/paymatch.toml",
        ),
    ];
    // Every case is checked before the verdict, so that a failure lists them all.
    let mut problems = Vec::new();
    for (args, extra, key) in cases {
        let mut vars = good.to_vec();
        for &(name, value) in &extra {
            vars.retain(|&(n, _)| n != name);
            vars.push((name, value));
        }
        let out = run(dir.path(), &args, &vars, "").await;
        let reason = out.reason();
        if out.status.success() || out.status.code().is_none() {
            problems.push(format!(
                "{args:?} {extra:?}: not a non-zero exit\n{}",
                out.describe()
            ));
        } else if reason.lines().count() != 1 {
            problems.push(format!(
                "{args:?} {extra:?}: not a one-line reason\n{}",
                out.describe()
            ));
        } else if !reason.to_lowercase().contains(key) {
            problems.push(format!(
                "{args:?} {extra:?}: the message does not name `{key}`\n{}",
                out.describe()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// admin users

async fn admin_users_from_standard_input(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [("PAYMATCH_DATABASE_URL", db.url.as_str())];
    let dir = dir.path();

    let created = run(
        dir,
        &["admin", "create-user", "alice"],
        &vars,
        "correct-horse-battery\n",
    )
    .await;
    created.assert_success();

    let again = run(
        dir,
        &["admin", "create-user", "alice"],
        &vars,
        "another-long-password\n",
    )
    .await;
    let reason = again.assert_failure_line();
    assert!(reason.contains("alice"), "{}", again.describe());

    let changed = run(
        dir,
        &["admin", "set-password", "alice"],
        &vars,
        "a-new-long-password\n",
    )
    .await;
    changed.assert_success();

    let nobody = run(
        dir,
        &["admin", "set-password", "nobody"],
        &vars,
        "a-new-long-password\n",
    )
    .await;
    let reason = nobody.assert_failure_line();
    assert!(reason.contains("nobody"), "{}", nobody.describe());

    let short = run(dir, &["admin", "create-user", "bob"], &vars, "short\n").await;
    short.assert_failure_line();
    let short = run(dir, &["admin", "set-password", "alice"], &vars, "short\n").await;
    short.assert_failure_line();
    // Ten spaces (or tabs) are ten characters, and still no password.
    for blank in ["          \n", "\t\t\t\t\t\t\t\t\t\t\t\n"] {
        let out = run(dir, &["admin", "create-user", "bob"], &vars, blank).await;
        let reason = out.assert_failure_line();
        assert!(reason.contains("not only spaces"), "{}", out.describe());
        let out = run(dir, &["admin", "set-password", "alice"], &vars, blank).await;
        out.assert_failure_line();
    }
    // bob was not created by the refused attempt.
    let bob = run(
        dir,
        &["admin", "set-password", "bob"],
        &vars,
        "long-enough-password\n",
    )
    .await;
    bob.assert_failure_line();

    // Passwords never show in the output.
    for out in [&created, &again, &changed] {
        for password in [
            "correct-horse-battery",
            "another-long-password",
            "a-new-long-password",
        ] {
            assert!(
                !out.stdout.contains(password) && !out.stderr.contains(password),
                "{}",
                out.describe()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// generated secrets

/// The value of the `Generated …` line naming `variable`.
fn generated_value(stdout: &str, variable: &str) -> Option<String> {
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Generated ") && l.contains(variable))
        .collect();
    assert!(
        lines.len() <= 1,
        "{variable} printed more than once:\n{stdout}"
    );
    lines
        .first()
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_owned)
}

async fn generated_secrets_are_printed_once_and_kept(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [("PAYMATCH_DATABASE_URL", db.url.as_str())];

    let mut first = Server::start(dir.path(), &vars).await;
    // The lines may be printed just after the listener opens: wait for them.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (token, key) = loop {
        let stdout = first.stdout();
        let token = generated_value(&stdout, "PAYMATCH_CASSO_SECURE_TOKEN");
        let key = generated_value(&stdout, "PAYMATCH_API_KEY");
        if let (Some(token), Some(key)) = (token, key) {
            break (token, key);
        }
        assert!(
            Instant::now() < deadline,
            "no generated secure token and API key on stdout\n{}",
            first.describe()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(token.len() >= 20 && key.len() >= 20 && token != key);

    // The printed API key works; another does not.
    let (status, order) = first.create_order(&key, "DH7", "50000").await;
    assert_eq!(status, 201, "{order}\n{}", first.describe());
    let (status, _) = first.create_order("not-the-key", "DH8", "20000").await;
    assert_eq!(status, 401);
    let (status, order) = first.create_order(&key, "DH8", "20000").await;
    assert_eq!(status, 201, "{order}");
    first.stop().await;

    let stdout = first.stdout();
    let stderr = first.stderr();
    // After the secrets: where the admin is, who logs in, and where to read on.
    let lines: Vec<&str> = stdout.lines().collect();
    let admin_line = format!("Admin: {}/admin (user `admin`)", first.address);
    let at = lines.iter().position(|l| *l == admin_line);
    let last_secret = lines.iter().rposition(|l| l.starts_with("Generated "));
    assert!(at > last_secret, "{stdout}");
    let next = at.and_then(|i| lines.get(i + 1)).unwrap_or(&"");
    assert!(
        next.starts_with("First run: README.md#first-run"),
        "{stdout}"
    );
    for secret in [&token, &key] {
        assert_eq!(stdout.matches(secret.as_str()).count(), 1, "{stdout}");
        assert!(
            !stderr.contains(secret.as_str()),
            "a secret in the logs\n{stderr}"
        );
    }

    // Second start on the same database: nothing is generated, the stored secrets still work.
    let mut second = Server::start(dir.path(), &vars).await;
    let (status, order) = second.get_order(&key, "DH7").await;
    assert_eq!(status, 200, "{order}\n{}", second.describe());
    assert_eq!(order["status"], "pending");
    let (status, ack) = second
        .webhook(&token, &webhook_body(9001, "thanh toan DH7 cam on", 50000))
        .await;
    assert_eq!(status, 200, "{ack}\n{}", second.describe());
    assert_eq!(ack["accepted"], 1, "{ack}");
    let (status, _) = second
        .webhook("wrong-token", &webhook_body(9002, "thanh toan DH7", 1))
        .await;
    assert_eq!(status, 401);
    let (_, order) = second.get_order(&key, "DH7").await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(order["amount_received"], "50000", "{order}");

    // `simulate` without a configured token signs with the stored one.
    let url = second.address.clone();
    let out = run(
        dir.path(),
        &[
            "simulate", "--code", "DH8", "--amount", "20000", "--url", &url,
        ],
        &vars,
        "",
    )
    .await;
    out.assert_success();
    let (_, order) = second.get_order(&key, "DH8").await;
    assert_eq!(order["status"], "paid", "{order}\n{}", out.describe());

    second.stop().await;
    let stdout = second.stdout();
    assert!(
        !stdout.lines().any(|l| l.starts_with("Generated")),
        "a second start printed secrets again\n{stdout}"
    );
    // Later starts print the address only.
    let admin_line = format!("Admin: {}/admin", second.address);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&admin_line.as_str()), "{stdout}");
    assert!(!stdout.contains("First run"), "{stdout}");

    // With a public URL, the admin is there.
    let public = [vars[0], ("PAYMATCH_PUBLIC_URL", "https://pay.example.vn/")];
    let mut third = Server::start(dir.path(), &public).await;
    third.stop().await;
    let stdout = third.stdout();
    assert!(
        stdout
            .lines()
            .any(|l| l == "Admin: https://pay.example.vn/admin"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// simulate

/// The JSON reply printed by `simulate`.
fn printed_reply(out: &Output) -> Value {
    out.stdout
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON reply printed\n{}", out.describe()))
}

async fn simulate_posts_a_signed_webhook(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
    ];
    let mut server = Server::start(dir.path(), &vars).await;
    for code in ["DH1", "DH2", "DH3"] {
        let (status, order) = server.create_order(KEY, code, "150000").await;
        assert_eq!(status, 201, "{order}\n{}", server.describe());
    }
    let url = server.address.clone();

    let out = run(
        dir.path(),
        &[
            "simulate", "--code", "DH1", "--amount", "150000", "--url", &url,
        ],
        &vars,
        "",
    )
    .await;
    out.assert_success();
    assert!(out.stdout.contains("200"), "{}", out.describe());
    let ack = printed_reply(&out);
    assert_eq!(ack["accepted"], 1, "{}", out.describe());
    let (_, order) = server.get_order(KEY, "DH1").await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(order["amount_received"], "150000", "{order}");
    assert_eq!(order["paid"], true, "{order}");

    // A wrong token: refused, non-zero exit, nothing applied.
    let wrong = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", "not-the-token"),
    ];
    let out = run(
        dir.path(),
        &[
            "simulate", "--code", "DH2", "--amount", "150000", "--url", &url,
        ],
        &wrong,
        "",
    )
    .await;
    out.assert_failure_line();
    assert!(out.stdout.contains("401"), "{}", out.describe());
    let (_, order) = server.get_order(KEY, "DH2").await;
    assert_eq!(order["status"], "pending", "{order}");

    // --id and --description: the same id twice is a duplicate the second time.
    let args = [
        "simulate",
        "--code",
        "DH3",
        "--amount",
        "50000.5",
        "--id",
        "777001",
        "--description",
        "CT DEN: chuyen khoan dh3 nhe",
        "--url",
        &url,
    ];
    let once = run(dir.path(), &args, &vars, "").await;
    once.assert_success();
    assert_eq!(printed_reply(&once)["accepted"], 1, "{}", once.describe());
    let twice = run(dir.path(), &args, &vars, "").await;
    twice.assert_success();
    assert_eq!(
        printed_reply(&twice)["duplicates"],
        1,
        "{}",
        twice.describe()
    );
    let (_, order) = server.get_order(KEY, "DH3").await;
    assert_eq!(order["status"], "partially_paid", "{order}");
    assert_eq!(order["amount_received"], "50000.5", "{order}");
    let transactions = order["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 1, "{order}");
    assert_eq!(transactions[0]["external_id"], "777001", "{order}");

    // No server there: a non-zero exit with a reason.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = run(
        dir.path(),
        &[
            "simulate", "--code", "DH1", "--amount", "1", "--url", &closed,
        ],
        &vars,
        "",
    )
    .await;
    out.assert_failure_line();

    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// secrets and logs

async fn secrets_never_reach_the_logs(backend: Backend) {
    const SECRET_TOKEN: &str = "CanarySecureToken-q8Zr2LwX5";
    const SECRET_KEY: &str = "CanaryApiKey-Vn4Tt9KpE3";
    const SECRET_PASSWORD: &str = "CanaryAdminPassword-J7mW2";
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", SECRET_TOKEN),
        ("PAYMATCH_API_KEY", SECRET_KEY),
        ("PAYMATCH_ADMIN_PASSWORD", SECRET_PASSWORD),
        ("RUST_LOG", "debug"),
    ];
    let mut server = Server::start(dir.path(), &vars).await;

    let (status, _) = server.create_order(SECRET_KEY, "DH1", "100000").await;
    assert_eq!(status, 201, "{}", server.describe());
    let (status, _) = server.create_order(SECRET_KEY, "DH1", "999").await;
    assert_eq!(status, 409);
    let (status, _) = server.create_order(SECRET_KEY, "bad code!", "1").await;
    assert_eq!(status, 422);
    let (status, _) = server.create_order("wrong-key", "DH2", "1").await;
    assert_eq!(status, 401);
    let (status, _) = server.get_order(SECRET_KEY, "DH1").await;
    assert_eq!(status, 200);
    let (status, _) = server.get_order(SECRET_KEY, "DH404").await;
    assert_eq!(status, 404);
    let (status, _) = server
        .webhook(SECRET_TOKEN, &webhook_body(1, "thanh toan DH1", 40000))
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .webhook(SECRET_TOKEN, &webhook_body(1, "thanh toan DH1", 40000))
        .await;
    assert_eq!(status, 200);
    let (status, _) = server.webhook(SECRET_TOKEN, "{not json").await;
    assert_eq!(status, 400);
    let (status, _) = server
        .webhook("wrong-token", &webhook_body(2, "thanh toan DH1", 1))
        .await;
    assert_eq!(status, 401);
    let all = server.all_transactions(SECRET_KEY).await;
    assert_eq!(all.len(), 1, "{all:?}");

    server.stop().await;
    let stdout = server.stdout();
    let stderr = server.stderr();
    assert!(
        stderr.contains("DEBUG"),
        "RUST_LOG=debug produced no debug logs\n{}",
        server.describe()
    );
    for secret in [SECRET_TOKEN, SECRET_KEY, SECRET_PASSWORD] {
        for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            let lines: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
            assert!(
                lines.is_empty(),
                "a secret in {name}:\n{}",
                lines.join("\n")
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// graceful stop

async fn sigterm_lets_a_long_poll_finish(backend: Backend) {
    let db = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PAYMATCH_DATABASE_URL", db.url.as_str()),
        ("PAYMATCH_CASSO_SECURE_TOKEN", TOKEN),
        ("PAYMATCH_API_KEY", KEY),
    ];
    let mut server = Server::start(dir.path(), &vars).await;
    let (status, _) = server.create_order(KEY, "DH1", "150000").await;
    assert_eq!(status, 201, "{}", server.describe());

    let client = server.client.clone();
    let url = server.url("/api/v1/orders/DH1?wait=3");
    let poll = tokio::spawn(async move {
        let response = client.get(url).bearer_auth(KEY).send().await;
        match response {
            Ok(response) => Ok(reply(response).await),
            Err(error) => Err(error.to_string()),
        }
    });
    // Let the request reach the server, then ask it to stop.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !poll.is_finished(),
        "the long-poll answered before its time"
    );
    server.terminate();

    let outcome = tokio::time::timeout(Duration::from_secs(30), poll)
        .await
        .expect("the long-poll got no answer within 30 s")
        .unwrap();
    let (status, order) = match outcome {
        Ok(reply) => reply,
        Err(error) => panic!(
            "the in-flight long-poll failed: {error}\n{}",
            server.describe()
        ),
    };
    assert_eq!(status, 200, "{order}\n{}", server.describe());
    assert_eq!(order["code"], "DH1", "{order}");
    assert_eq!(order["status"], "pending", "{order}");

    let status = server.wait_exit(STOP_TIMEOUT).await;
    assert!(status.success(), "{}", server.describe());
    assert_eq!(status.code(), Some(0), "{}", server.describe());
}

crate::on_both_backends!(
    migrate_on_a_fresh_database_twice,
    bad_configuration_stops_the_start_naming_the_key,
    admin_users_from_standard_input,
    generated_secrets_are_printed_once_and_kept,
    simulate_posts_a_signed_webhook,
    secrets_never_reach_the_logs,
    sigterm_lets_a_long_poll_finish,
);
