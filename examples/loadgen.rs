//! The benchmark's load generator (issue #21): N interviews answering at once against a running
//! Worker, on one tokio thread, so that it costs little beside the server it measures.
//!
//! ```text
//! cargo run --profile loadgen --example loadgen -- --base http://127.0.0.1:8787 \
//!     --concurrency 50 --turns 10 [--server-pgid PGID] [--probe KIND]
//! ```
//!
//! `--probe notfound|me|read|health` repeats a cheaper request `--turns` times per client
//! instead of the turns (each client's interview started untimed), so that the CPU per request
//! of each hop a turn crosses can be told apart.
//!
//! Registers `--concurrency` candidates first (not timed; at most 16 at once), then, timed, each
//! starts a built-in interview and answers up to `--turns` turns (fewer when the interview
//! completes). Prints one JSON object: turns, turns/s over the timed phase, latency median / p95
//! / p99 / max of the turns (ms, and every sample in `latencies_ms`), failed interviews (any
//! error or non-2xx ends that interview and counts it) and the CPU of the timed phase: this
//! process's own user + system time (`/proc/self/stat`, the figures `getrusage(RUSAGE_SELF)`
//! reports; `unsafe_code` is forbidden here, so not through libc), the processes of the server's
//! process group (`--server-pgid`: the `wrangler dev` group, split into workerd and the rest) from
//! `/proc/<pid>/stat`, and the machine's busy time from `/proc/stat` (the other processes' share
//! is what remains). `scripts/bench` runs it for the throughput table.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PASSWORD: &str = "Bench-Password-1";
const ANSWER: &str =
    "I would keep the state local and lift it only when siblings need it, because shared state \
     couples components; for example a form keeps its input state and passes values up on submit.";

struct Args {
    base: String,
    concurrency: usize,
    turns: usize,
    server_pgid: Option<u32>,
    probe: Probe,
}

/// What each client repeats in the timed phase: a turn (the default), or one of the probes that
/// price a request's hops one by one (docs/benchmarks.md#what-a-request-costs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// `POST …/messages`: auth, the object's turn (engine, SQLite writes), its D1 projection.
    Turn,
    /// `GET /api/v1/nope`: the Worker's router only (a 404, no I/O).
    NotFound,
    /// `GET /api/v1/auth/me`: auth (the one D1 read).
    Me,
    /// `GET /api/v1/interviews/{id}`: auth and a read-only call to the interview's object.
    Read,
    /// `GET /health`: D1, R2 and a Durable Object that writes its SQLite, no auth.
    Health,
}

impl Probe {
    fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "turn" => Probe::Turn,
            "notfound" => Probe::NotFound,
            "me" => Probe::Me,
            "read" => Probe::Read,
            "health" => Probe::Health,
            other => return Err(format!("--probe: unknown {other} (turn, notfound, me, read, health)")),
        })
    }

    const fn name(self) -> &'static str {
        match self {
            Probe::Turn => "turn",
            Probe::NotFound => "notfound",
            Probe::Me => "me",
            Probe::Read => "read",
            Probe::Health => "health",
        }
    }
}

fn args() -> Result<Args, String> {
    let mut out =
        Args { base: String::new(), concurrency: 1, turns: 25, server_pgid: None, probe: Probe::Turn };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => out.base = value()?.trim_end_matches('/').to_owned(),
            "--concurrency" => {
                out.concurrency = value()?.parse().map_err(|e| format!("--concurrency: {e}"))?
            }
            "--turns" => out.turns = value()?.parse().map_err(|e| format!("--turns: {e}"))?,
            "--server-pgid" => {
                out.server_pgid = Some(value()?.parse().map_err(|e| format!("--server-pgid: {e}"))?);
            }
            "--probe" => out.probe = Probe::parse(&value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if out.base.is_empty() {
        return Err("--base URL is required".into());
    }
    Ok(out)
}

/// Clock ticks per second of `/proc` CPU times (USER_HZ, 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// Fields of `/proc/<pid>/stat` after the command name, and the name.
fn stat_of(pid: &str) -> Option<(String, Vec<String>)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let rest = stat.get(close + 2..)?.split_whitespace().map(str::to_owned).collect();
    Some((comm, rest))
}

/// user + system CPU seconds from the fields after the name ([11] utime, [12] stime).
fn cpu_of(fields: &[String]) -> f64 {
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / CLK_TCK
}

#[derive(Default)]
struct CpuSnapshot {
    own: f64,
    /// (pid, comm, seconds) of the server's process group.
    server: Vec<(String, String, f64)>,
    machine_busy: f64,
}

fn snapshot(pgid: Option<u32>) -> CpuSnapshot {
    let own = stat_of("self").map_or(0.0, |(_, f)| cpu_of(&f));
    let mut server = Vec::new();
    if let (Some(pgid), Ok(dir)) = (pgid, std::fs::read_dir("/proc")) {
        let pgid = pgid.to_string();
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some((comm, fields)) = stat_of(&name) {
                if fields.get(2) == Some(&pgid) {
                    server.push((name, comm, cpu_of(&fields)));
                }
            }
        }
    }
    let machine_busy = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let line = s.lines().next()?.to_owned();
            let v: Vec<f64> =
                line.split_whitespace().skip(1).take(8).filter_map(|x| x.parse().ok()).collect();
            // All but idle ([3]) and iowait ([4]).
            Some((v.iter().sum::<f64>() - v.get(3)? - v.get(4)?) / CLK_TCK)
        })
        .unwrap_or(0.0);
    CpuSnapshot { own, server, machine_busy }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The sample at quantile `q` (nearest rank on `round(q · (n − 1))`, as scripts/bench.py).
fn pick(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// One JSON call; Ok((status, body)) for any answer, Err for a transport failure.
    async fn call(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        ip: u8,
    ) -> Result<(u16, Value), String> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .header("CF-Connecting-IP", format!("198.51.100.{ip}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// One GET; Ok(status) once its body is read, Err for a transport failure.
    async fn get(&self, path: &str, token: Option<&str>, ip: u8) -> Result<u16, String> {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .header("CF-Connecting-IP", format!("198.51.100.{ip}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = resp.status().as_u16();
        resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        Ok(status)
    }

    /// Starts a built-in interview (untimed, for the probes); its id.
    async fn start(&self, token: &str, i: usize) -> Result<String, String> {
        let started = self
            .call("/api/v1/interviews/start", &json!({ "role_type": "react" }), Some(token), ip_of(i))
            .await;
        match started {
            Ok((201, v)) => v["id"].as_str().map(str::to_owned).ok_or_else(|| format!("start: no id in {v}")),
            Ok((status, v)) => Err(format!("start: {status} {v}")),
            Err(e) => Err(e),
        }
    }

    /// `n` requests of `probe` in a row; their latencies, or the error that ended them.
    async fn probe(
        &self,
        probe: Probe,
        token: &str,
        id: &str,
        i: usize,
        n: usize,
    ) -> (Vec<f64>, Option<String>) {
        let (path, auth, expect) = match probe {
            Probe::NotFound => ("/api/v1/nope".to_owned(), None, 404),
            Probe::Me => ("/api/v1/auth/me".to_owned(), Some(token), 200),
            Probe::Read => (format!("/api/v1/interviews/{id}"), Some(token), 200),
            Probe::Health | Probe::Turn => ("/health".to_owned(), None, 200),
        };
        let mut lat = Vec::with_capacity(n);
        for k in 0..n {
            let t0 = Instant::now();
            let got = self.get(&path, auth, ip_of(i)).await;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            match got {
                Ok(status) if status == expect => lat.push(ms),
                Ok(status) => return (lat, Some(format!("{} {k}: {status}", probe.name()))),
                Err(e) => return (lat, Some(e)),
            }
        }
        (lat, None)
    }

    async fn register(&self, i: usize) -> Result<String, String> {
        let email = format!("loadgen-{}-{i}@example.com", uuid::Uuid::new_v4().simple());
        let body = json!({ "email": email, "password": PASSWORD, "full_name": "Bench Candidate" });
        let (status, v) = self.call("/api/v1/auth/register", &body, None, ip_of(i)).await?;
        match (status, v["token"].as_str()) {
            (201, Some(t)) => Ok(t.to_owned()),
            _ => Err(format!("register: {status} {v}")),
        }
    }

    /// One interview: start, then up to `turns` answers. The turn latencies, or the error that
    /// ended it (with the latencies so far).
    async fn interview(&self, token: &str, i: usize, turns: usize) -> (Vec<f64>, Option<String>) {
        let mut lat = Vec::with_capacity(turns);
        let ip = ip_of(i);
        let started =
            self.call("/api/v1/interviews/start", &json!({ "role_type": "react" }), Some(token), ip).await;
        let id = match started {
            Ok((201, v)) => match v["id"].as_str() {
                Some(id) => id.to_owned(),
                None => return (lat, Some(format!("start: no id in {v}"))),
            },
            Ok((status, v)) => return (lat, Some(format!("start: {status} {v}"))),
            Err(e) => return (lat, Some(e)),
        };
        let path = format!("/api/v1/interviews/{id}/messages");
        for turn in 0..turns {
            let body = json!({ "message_text": format!("{ANSWER} ({turn})") });
            let t0 = Instant::now();
            let answer = self.call(&path, &body, Some(token), ip).await;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            match answer {
                Ok((200, v)) => {
                    lat.push(ms);
                    if v["interview_complete"].as_bool() == Some(true) {
                        break;
                    }
                }
                Ok((status, v)) => return (lat, Some(format!("turn {turn}: {status} {v}"))),
                Err(e) => return (lat, Some(e)),
            }
        }
        (lat, None)
    }
}

fn ip_of(i: usize) -> u8 {
    u8::try_from(i % 250).unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "loadgen: {e}\nusage: loadgen --base URL [--concurrency N] [--turns T] [--server-pgid PGID] [--probe turn|notfound|me|read|health]"
            );
            std::process::exit(2);
        }
    };
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(args.concurrency.max(1))
        .tcp_nodelay(true)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(1);
        }
    };
    let client = std::rc::Rc::new(Client { http, base: args.base.clone() });

    // Registration, not timed: one PBKDF2 each on the server, 16 at a time.
    let mut tokens = Vec::with_capacity(args.concurrency);
    let mut errors: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.concurrency {
        let batch: Vec<_> = (i..args.concurrency.min(i + 16)).map(|k| client.register(k)).collect();
        i += batch.len();
        for r in futures_util::future::join_all(batch).await {
            match r {
                Ok(t) => tokens.push(t),
                Err(e) => errors.push(e),
            }
        }
    }

    // A probe's interviews start untimed (a turn's start is part of its timed run, as before).
    let mut ids = Vec::with_capacity(tokens.len());
    if args.probe != Probe::Turn {
        for (k, t) in tokens.iter().enumerate() {
            match client.start(t, k).await {
                Ok(id) => ids.push(id),
                Err(e) => {
                    eprintln!("loadgen: {e}");
                    std::process::exit(1);
                }
            }
        }
    }

    let cpu0 = snapshot(args.server_pgid);
    let t0 = Instant::now();
    let results = if args.probe == Probe::Turn {
        let runs: Vec<_> =
            tokens.iter().enumerate().map(|(k, t)| client.interview(t, k, args.turns)).collect();
        futures_util::future::join_all(runs).await
    } else {
        let runs: Vec<_> = tokens
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(k, (t, id))| client.probe(args.probe, t, id, k, args.turns))
            .collect();
        futures_util::future::join_all(runs).await
    };
    let wall = t0.elapsed().as_secs_f64();
    let cpu1 = snapshot(args.server_pgid);

    let mut lat: Vec<f64> = Vec::new();
    for (l, e) in results {
        lat.extend(l);
        errors.extend(e);
    }
    let turns = lat.len();
    let mut sorted = lat.clone();
    sorted.sort_by(f64::total_cmp);

    let mut workerd = 0.0;
    let mut other = 0.0;
    let mut each_workerd = Vec::new();
    for (pid, comm, after) in &cpu1.server {
        let before = cpu0.server.iter().find(|(p, _, _)| p == pid).map_or(0.0, |x| x.2);
        let d = (after - before).max(0.0);
        if comm.starts_with("workerd") {
            workerd += d;
            each_workerd.push(d);
        } else {
            other += d;
        }
    }
    let own = cpu1.own - cpu0.own;
    let others = (cpu1.machine_busy - cpu0.machine_busy - workerd - other - own).max(0.0);
    #[allow(clippy::cast_precision_loss)]
    let per_turn = |s: f64| if turns > 0 { Some(round2(s * 1000.0 / turns as f64)) } else { None };
    let cores = |s: f64| if wall > 0.0 { Some(round2(s / wall)) } else { None };
    #[allow(clippy::cast_precision_loss)]
    let rate = if wall > 0.0 { (turns as f64 / wall * 10.0).round() / 10.0 } else { 0.0 };
    // Each workerd process's share, largest first (wrangler dev runs two: the Worker's and its
    // proxy's).
    let mut each: Vec<Option<f64>> = each_workerd.iter().map(|d| per_turn(*d)).collect();
    each.sort_by(|a, b| b.unwrap_or(0.0).total_cmp(&a.unwrap_or(0.0)));
    let mut row = json!({
        "probe": args.probe.name(),
        "concurrent_interviews": args.concurrency,
        "turns": turns,
        "turns_per_s": rate,
        "wall_s": round2(wall),
        "failed_interviews": errors.len(),
        "n": turns,
        "median_ms": round2(median(&sorted)),
        "p95_ms": round2(pick(&sorted, 0.95)),
        "p99_ms": round2(pick(&sorted, 0.99)),
        "max_ms": round2(sorted.last().copied().unwrap_or(0.0)),
        "load_generator": "examples/loadgen.rs (tokio, one thread)",
        "loadgen_cpu_s": round2(own),
        "workerd_cpu_s": round2(workerd),
        "wrangler_other_cpu_s": round2(other),
        "other_processes_cpu_s": round2(others),
        "other_processes_cores": cores(others),
        "loadgen_cores": cores(own),
        "workerd_cores": cores(workerd),
        "workerd_cpu_ms_per_turn": per_turn(workerd),
        "workerd_cpu_ms_per_turn_each": each,
        "loadgen_cpu_ms_per_turn": per_turn(own),
        "latencies_ms": lat.iter().map(|x| round2(*x)).collect::<Vec<_>>(),
    });
    if !errors.is_empty() {
        row["first_errors"] =
            json!(errors.iter().take(3).map(|e| e.chars().take(200).collect::<String>()).collect::<Vec<_>>());
    }
    println!("{row}");
}
