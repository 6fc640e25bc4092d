//! The integration-test harness: one `wrangler dev` per test binary and settings set (normally
//! one), on a free loopback port, with its own `--persist-to` directory and migrated local D1.
//! Started lazily by the first test that asks for it, shared by every test of the binary asking
//! for the same settings, and killed (its whole process group: npm, node, esbuild and workerd)
//! when the binary exits. Tests drive it through [`TestApp`] (`app.rs`).
//!
//! The Worker must already be built (`scripts/test` builds it once); the harness runs wrangler
//! with `SKIP_WASM_BUILD=1` so parallel test binaries never rebuild concurrently.
#![allow(dead_code)]

pub mod app;
pub mod fake_mail;
pub mod fake_openai;
pub mod hooks;
pub mod pg;
pub mod sqlite;
pub mod ws;

#[allow(unused_imports)] // re-exported for the tests that use it
pub use app::TestApp;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `wrangler dev`.
pub struct Server {
    pub base_url: String,
    pub port: u16,
    pub state_dir: PathBuf,
    child: Mutex<Option<Child>>,
    /// Everything the server printed (stdout and stderr), for log assertions.
    pub logs: Arc<Mutex<String>>,
    vars: Vec<(String, String)>,
    /// With `TEST_DB_BACKEND=postgres`: the server's own migrated cluster, reached through the
    /// `HYPERDRIVE` binding (`DB_BACKEND=postgres`; the wasm must be built with the `postgres`
    /// feature: `WASM_FEATURES=postgres scripts/build`).
    pub postgres: Option<pg::Cluster>,
}

/// Whether this run's servers keep their relational data in Postgres (`TEST_DB_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("TEST_DB_BACKEND").is_ok_and(|v| v == "postgres")
}

/// Settings for a server.
#[derive(Default, Clone)]
pub struct ServerOptions {
    /// `--var NAME:VALUE` overrides.
    pub vars: Vec<(String, String)>,
}

/// `TEST_WRANGLER_CONFIG`: another wrangler configuration than the project's `wrangler.toml`
/// (the relay bench's copy with its in-process floor control, tests/relay_bench.rs).
fn config_args() -> Vec<String> {
    match std::env::var("TEST_WRANGLER_CONFIG") {
        Ok(path) if !path.is_empty() => vec!["-c".to_owned(), path],
        _ => Vec::new(),
    }
}

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `wrangler` with the harness's environment. `X_LOCAL_OBSERVABILITY=false` turns off wrangler's
/// local trace collection (on by default since wrangler 4.118: a streaming tail from every
/// invocation into a SQLite-backed trace-store Durable Object, for the Local Explorer's
/// Observability tab), which adds its own work to every request the tests time.
fn wrangler(root: &Path) -> Command {
    let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
    let path =
        format!("{}:{}", root.join("node_modules/.bin").display(), std::env::var("PATH").unwrap_or_default());
    cmd.current_dir(root)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("X_LOCAL_OBSERVABILITY", "false")
        .env("SKIP_WASM_BUILD", "1")
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0");
    cmd
}

impl Server {
    /// Starts a server with a fresh state directory named after `name`.
    pub fn start(name: &str, options: ServerOptions) -> Server {
        let root = project_root();
        assert!(
            root.join("build/index.js").exists(),
            "build/index.js is missing: run `bash scripts/build` (scripts/test does) before cargo test"
        );
        let state_dir = root.join("tests/.state").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state_dir);
        std::fs::create_dir_all(&state_dir).expect("state dir");
        let status = wrangler(&root)
            .args(["d1", "migrations", "apply", "DB", "--local"])
            .args(config_args())
            .arg("--persist-to")
            .arg(&state_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("wrangler d1 migrations apply");
        assert!(status.success(), "applying D1 migrations failed");
        let postgres = on_postgres().then(|| {
            let cluster =
                pg::Cluster::start(name).expect("TEST_DB_BACKEND=postgres needs PostgreSQL installed");
            cluster.migrate();
            cluster
        });
        let port = free_port();
        let server = Server {
            postgres,
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            state_dir,
            child: Mutex::new(None),
            logs: Arc::new(Mutex::new(String::new())),
            vars: options.vars,
        };
        server.launch();
        server
    }

    /// Spawns `wrangler dev` on `self.port` and `self.state_dir`, and waits until it is ready.
    fn launch(&self) {
        let root = project_root();
        let mut cmd = wrangler(&root);
        // TEST_INSPECTOR_PORT: the V8 inspector of the (first) server on a known port, to attach a
        // CPU profiler while a test or bench runs (docs/benchmarks.md#profiling).
        let inspector = std::env::var("TEST_INSPECTOR_PORT").unwrap_or_else(|_| "0".to_owned());
        cmd.args(["dev", "--local", "--ip", "127.0.0.1", "--port", &self.port.to_string()])
            .args(config_args())
            .args([
                "--inspector-port",
                &inspector,
                "--show-interactive-dev-session=false",
                "--test-scheduled",
            ])
            .arg("--persist-to")
            .arg(&self.state_dir)
            .args(["--var", &format!("JWT_SECRET:{}", test_jwt_secret())]);
        // Production requires email verification (wrangler.toml); tests run without it unless
        // they ask (tests/verification.rs).
        if !self.vars.iter().any(|(k, _)| k == "EMAIL_VERIFICATION") {
            cmd.args(["--var", "EMAIL_VERIFICATION:off"]);
        }
        for (k, v) in &self.vars {
            cmd.args(["--var", &format!("{k}:{v}")]);
        }
        if let Some(cluster) = &self.postgres {
            cmd.env("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE", &cluster.url)
                .args(["--var", "DB_BACKEND:postgres"]);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
        // Own process group, so killing the group takes workerd down with wrangler.
        cmd.process_group(0);
        let mut child = cmd.spawn().expect("spawn wrangler dev");
        spawn_watchdog(std::process::id(), child.id(), &self.state_dir);
        pump(child.stdout.take(), self.logs.clone());
        pump(child.stderr.take(), self.logs.clone());
        *self.child.lock().expect("lock") = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/health", self.base_url);
        while Instant::now() < deadline {
            if let Ok(status) = blocking_status(&url) {
                if status == 200 {
                    return;
                }
            }
            if let Some(child) = self.child.lock().expect("lock").as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("wrangler dev exited early ({status}):\n{}", self.logs.lock().expect("lock"));
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("wrangler dev not ready after 120 s:\n{}", self.logs.lock().expect("lock"));
    }

    /// Kills the server (the whole process group) with `signal`, and waits for it.
    pub fn kill(&self, signal: i32) {
        if let Some(mut child) = self.child.lock().expect("lock").take() {
            let pgid = child.id() as i32;
            // `kill(1)` rather than libc keeps the tests free of `unsafe`.
            kill_group(signal, pgid);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            kill_group(9, pgid);
            let _ = child.wait();
        }
    }

    /// Kills the server with `signal` and starts it again on the same port and state directory.
    pub fn restart(&self, signal: i32) {
        self.kill(signal);
        self.launch();
    }

    /// The server's output so far.
    pub fn logs(&self) -> String {
        self.logs.lock().expect("lock").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Sends `signal` to process group `pgid`. The group must come after `--` with `-s`: procps-ng's
/// `kill -9 -1234` parses `-1234` as an option and signals pid -1, i.e. every process.
fn kill_group(signal: i32, pgid: i32) {
    assert!(pgid > 1, "refusing to signal process group {pgid}");
    // Only while the group still holds a wrangler/workerd process: once all its members have
    // exited, its number is free and the OS may give it to an unrelated process group (it once
    // was the shell running these tests).
    // dash's builtin `kill -SIG -PGID` signals the group (procps' /bin/kill would read `-PGID`
    // as -1, every process; dash's builtin rejects `--`).
    let script = format!("pgrep -g {pgid} -f 'wrangler|workerd' >/dev/null && kill -{signal} -{pgid}");
    let _ = Command::new("sh").args(["-c", &script]).stdout(Stdio::null()).stderr(Stdio::null()).status();
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill(15);
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// Collects a server's output; with `TEST_SERVER_LOG=<file>` set, also appends it to that file
/// (for diagnosing a failure after the fact: docs/testing.md).
fn pump(stream: Option<impl Read + Send + 'static>, sink: Arc<Mutex<String>>) {
    if let Some(stream) = stream {
        std::thread::spawn(move || {
            let mut copy = std::env::var_os("TEST_SERVER_LOG")
                .and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok());
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(file) = copy.as_mut() {
                    use std::io::Write;
                    let _ = writeln!(file, "{line}");
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
    }
}

/// A minimal blocking GET returning the status code (no async runtime needed for readiness).
fn blocking_status(url: &str) -> std::io::Result<u16> {
    use std::io::Write;
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))
}

/// The JWT secret the test servers use (tests may mint tokens with it).
pub fn test_jwt_secret() -> &'static str {
    "integration-tests-secret-0123456789abcdef0123456789"
}

/// The default server of this test binary (no `--var` overrides), started on first use.
pub fn server() -> &'static Server {
    server_with(&[])
}

/// The server of this test binary with exactly these `--var` overrides, started on first use and
/// shared by every test asking for the same set (in any order). A test asking for another set gets
/// a server of its own, so settings never leak from one test to another; most binaries use one set,
/// hence one `wrangler dev`. Statics are never dropped, so each spawn also starts a watchdog that
/// kills the server's process group when this test process exits (normally or not).
pub fn server_with(vars: &[(&str, &str)]) -> &'static Server {
    type Settings = Vec<(String, String)>;
    type Cell = std::sync::OnceLock<Server>;
    static SERVERS: Mutex<Vec<(Settings, String, &'static Cell)>> = Mutex::new(Vec::new());
    let mut settings: Settings = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    settings.sort();
    assert!(settings.windows(2).all(|w| w[0].0 != w[1].0), "a --var is given twice in {settings:?}");
    // The list is locked only to find or add the set's cell; the server starts in the cell (two
    // tests asking for one new set start it once), so a test whose server runs never waits for
    // another set's start (on Postgres a start includes a cluster and its migrations: seconds).
    let (name, cell) = {
        let mut servers = SERVERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match servers.iter().find(|(s, _, _)| *s == settings) {
            Some((_, name, cell)) => (name.clone(), *cell),
            None => {
                let name = match servers.len() {
                    0 => binary_name(),
                    n => format!("{}-{n}", binary_name()),
                };
                let cell: &'static Cell = Box::leak(Box::new(Cell::new()));
                servers.push((settings.clone(), name.clone(), cell));
                (name, cell)
            }
        }
    };
    cell.get_or_init(|| Server::start(&name, ServerOptions { vars: settings }))
}

/// Runs a project script (e.g. `scripts/create-admin`) with `args` and extra environment.
pub fn run_script(script: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let root = project_root();
    let mut cmd = Command::new("bash");
    cmd.arg(root.join(script)).args(args).current_dir(&root).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run script")
}

/// A unique suffix for emails, IPs and names so tests never collide.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A unique documentation-range IP (for the per-IP throttles).
pub fn unique_ip() -> String {
    let b = uuid::Uuid::new_v4().into_bytes();
    format!("198.{}.{}.{}", 18 + (b[0] % 2), b[1], b[2])
}

/// The name of the running test binary (without the hash suffix).
pub fn binary_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .map(|s| s.split('-').next().unwrap_or("tests").to_owned())
        .unwrap_or_else(|| "tests".to_owned())
}

/// Kills process group `pgid` (and removes `state_dir`) once process `owner` has exited.
fn spawn_watchdog(owner: u32, pgid: u32, state_dir: &Path) {
    let script = format!(
        "ours() {{ pgrep -g {pgid} -f 'wrangler|workerd' >/dev/null; }}; \
         while kill -0 {owner} 2>/dev/null && ours; do sleep 0.5; done; \
         if ours; then kill -TERM -{pgid} 2>/dev/null; sleep 2; ours && kill -KILL -{pgid} 2>/dev/null; fi; \
         kill -0 {owner} 2>/dev/null || rm -rf '{}'",
        state_dir.display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let _ = cmd.spawn();
}

/// The local D1 database is one SQLite file that `wrangler dev` and external `wrangler d1`
/// processes (the bootstrap command, [`d1_query`]) both write. Local D1 waits for no lock, so a
/// request whose write meets an external process fails with `SQLITE_BUSY` (a 500 that production
/// D1 never gives). Requests of the harness hold this lock shared, external writers exclusively.
pub fn local_db() -> &'static tokio::sync::RwLock<()> {
    static LOCK: std::sync::OnceLock<tokio::sync::RwLock<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::RwLock::new(()))
}

/// Waits (blocking, up to 30 s) until no harness request is in flight and holds them off while
/// `f` runs an external writer. Polls rather than blocks on the lock, so a test that calls it
/// with its own requests in flight on the same thread cannot deadlock: after 30 s it runs anyway
/// (and the callers' SQLITE_BUSY retries apply).
pub fn exclusive<T>(f: impl FnOnce() -> T) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(_guard) = local_db().try_write() {
            return f();
        }
        if Instant::now() > deadline {
            return f();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `sql` against `server`'s local D1 with `wrangler d1 execute --json` and returns the
/// result rows of every statement, in order. Blocking (a wrangler process per call).
/// On a Postgres server (`TEST_DB_BACKEND=postgres`) the statement runs there through `psql`,
/// and the rows come back in D1's shapes ([`d1_shape`]): the tests' SQL is portable.
pub fn d1_query(server: &Server, sql: &str) -> Vec<serde_json::Value> {
    if let Some(cluster) = &server.postgres {
        let head = sql.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
        if head == "SELECT" || head.starts_with("WITH") {
            return cluster.json_rows(sql.trim().trim_end_matches(';')).into_iter().map(d1_shape).collect();
        }
        cluster.psql(sql);
        return Vec::new();
    }
    let run = || {
        wrangler(&project_root())
            .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
            .arg(&server.state_dir)
            .args(["--command", sql])
            .stdin(Stdio::null())
            .output()
            .expect("wrangler d1 execute")
    };
    // The running server may hold the local database's lock for a moment: retry. With `--json`
    // wrangler reports the error on stdout, so both streams are read.
    let busy = |out: &std::process::Output| {
        [&out.stdout, &out.stderr].iter().any(|s| String::from_utf8_lossy(s).contains("SQLITE_BUSY"))
    };
    let mut out = exclusive(run);
    for _ in 0..20 {
        if out.status.success() || !busy(&out) {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        out = exclusive(run);
    }
    assert!(
        out.status.success(),
        "wrangler d1 execute failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("wrangler d1 execute --json output");
    value
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|statement| statement["results"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// A Postgres row as D1 returns it: JSON columns (`jsonb`) as their text, booleans as 0/1,
/// times (`timestamptz`, which `json_agg` writes as `2026-12-03T10:00:00.123456+00:00`) as the
/// product's RFC 3339 UTC with milliseconds.
fn d1_shape(row: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let serde_json::Value::Object(map) = row else { return row };
    let cell = |v: Value| match v {
        Value::Bool(b) => Value::from(u8::from(b)),
        Value::Object(_) | Value::Array(_) => Value::from(v.to_string()),
        Value::String(s) => Value::from(pg_time_as_d1(&s).unwrap_or(s)),
        other => other,
    };
    Value::Object(map.into_iter().map(|(k, v)| (k, cell(v))).collect())
}

/// `2026-12-03T10:00:00.123456+00:00` (Postgres's JSON form of a UTC `timestamptz`) as
/// `2026-12-03T10:00:00.123Z`; `None` for any other string.
fn pg_time_as_d1(s: &str) -> Option<String> {
    let body = s.strip_suffix("+00:00")?;
    let b = body.as_bytes();
    let shaped = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b.iter().enumerate().all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19) || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let (secs, frac) = body.split_at(19);
    let digits: String = frac.trim_start_matches('.').chars().chain(std::iter::repeat('0')).take(3).collect();
    Some(format!("{secs}.{digits}Z"))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("reqwest client")
}

/// The password every test account uses (it satisfies the policy).
pub const PASSWORD: &str = "Correct-Horse-9";
