//! Benchmarks of the realtime relay (docs/benchmarks.md, issues #8 and #16), run by `scripts/bench`
//! (`scripts/bench --relay` runs only these) and skipped by `cargo test` (`#[ignore]`):
//!
//! ```text
//! BENCH_OUT=/tmp/relay.json cargo test --test relay_bench -- --ignored --nocapture --test-threads=1
//! ```
//! The relay is measured against its floor, in one run, on the same fake OpenAI Realtime upstream:
//! (a) a direct connection to the fake; (b) a plain Worker relaying frames verbatim; (c) a Durable
//! Object relaying frames verbatim, with the client socket `accept()`ed (event listeners) or
//! accepted with the hibernation API; (d) the product's relay (`GET /api/v1/realtime/{id}`). The
//! controls (b) and (c) are bench-only JavaScript (`tests/relay_bench/controls.mjs`) under their
//! own `wrangler dev`; they never ship in the product's Worker. (c0) is control (c)'s Durable
//! Object inside the product's own `wrangler dev`: the product's server here runs a generated copy
//! of `wrangler.toml` whose entry (`tests/relay_bench/entry.mjs`) is the product's Worker
//! unchanged plus that one control route (`TEST_WRANGLER_CONFIG`, tests/common).
//!
//! 1. `relay_added_latency_per_event`: N round trips of one 20 ms `input_audio_buffer.append` →
//!    the fake upstream's echo (`input_audio_buffer.speech_started`) on each of the six paths, one
//!    of each per iteration in a rotating order, so all see the same machine load. Reports each
//!    distribution, the latency each path adds over (a) (medians, p99s) and the relay's ratios to
//!    the controls.
//! 2. `sustained_voice_sessions_drop_no_frames`: 1, 10, 25 concurrent sessions on (d) and on the
//!    controls, each streaming 20 ms PCM16 24 kHz frames (960 bytes) at real-time pace while the
//!    fake echoes every frame back as `response.output_audio.delta` (the relay's audio fast path).
//!    Every frame is tagged with its index, so a missing, duplicated or reordered frame is seen.
//!    Reports frames sent and received, drops, the bytes the upstream counted, the per-frame round
//!    trip and frames relayed per second of workerd CPU.
//!
//! Each test merges its result into the JSON object at `BENCH_OUT` (when set) and prints it.
//! `BENCH_QUICK=1` shortens both; `BENCH_VOICE_LEVELS=1,5,10` overrides the session counts and
//! `BENCH_VOICE_TARGETS=relay,do_accept` the paths streamed; `BENCH_RELAY_WARMUP=300` the paced
//! warm-up round trips per path before the latency loop (default 20).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
#[path = "relay_bench/controls.rs"]
mod controls;
#[path = "relay_bench/voice.rs"]
mod voice;

use std::time::{Duration, Instant};

use common::fake_openai::FakeOpenAi;
use common::ws::{self, pcm16_tone, WsClient};
use common::TestApp;
use controls::Controls;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
/// 20 ms of PCM16 at 24 kHz mono.
const FRAME_BYTES: usize = 960;
const FRAME_MS: u64 = 20;
const KEY: &str = "sk-bench-fake";

/// Paced warm-up iterations before the latency loop (`BENCH_RELAY_WARMUP`, default 20).
fn warmup() -> usize {
    std::env::var("BENCH_RELAY_WARMUP").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn fake() -> &'static FakeOpenAi {
    FakeOpenAi::shared()
}

/// The in-process floor control's route (tests/relay_bench/entry.mjs).
const IN_PRODUCT_FLOOR: &str = "/api/__bench/do/accept";

/// Writes the product's wrangler configuration for this bench (`main` = tests/relay_bench/entry.mjs,
/// the control's Durable Object bound as ECHO) next to the harness's state, and points the harness
/// at it (`TEST_WRANGLER_CONFIG`). Derived from `wrangler.toml` at every run, so it cannot drift.
fn bench_wrangler_config() {
    static WRITTEN: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    WRITTEN.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let original = std::fs::read_to_string(root.join("wrangler.toml")).expect("read wrangler.toml");
        let mut config = String::new();
        let mut in_build = false;
        for line in original.lines() {
            // The bench runs on the build scripts/bench made; the config lives in tests/.state/.
            if line.starts_with('[') {
                in_build = line == "[build]";
            }
            if in_build {
                continue;
            }
            let line = match line {
                "main = \"src/js/entry.mjs\"" => "main = \"../relay_bench/entry.mjs\"",
                "directory = \"web/dist\"" => "directory = \"../../web/dist\"",
                "migrations_dir = \"migrations\"" => "migrations_dir = \"../../migrations\"",
                other => other,
            };
            config.push_str(line);
            config.push('\n');
        }
        for rewritten in ["../relay_bench/entry.mjs", "../../web/dist", "../../migrations"] {
            assert!(config.contains(rewritten), "wrangler.toml changed shape: {rewritten} not set");
        }
        config.push_str(
            "\n[[durable_objects.bindings]]\nname = \"ECHO\"\nclass_name = \"EchoDo\"\n\n\
             [[migrations]]\ntag = \"relay-bench-floor\"\nnew_sqlite_classes = [\"EchoDo\"]\n",
        );
        let dir = root.join("tests/.state");
        std::fs::create_dir_all(&dir).expect("tests/.state");
        let path = dir.join(format!("relay-bench-wrangler-{}.toml", std::process::id()));
        std::fs::write(&path, config).expect("write the bench's wrangler config");
        // Before any server starts (the servers of this binary are all started through app()).
        std::env::set_var("TEST_WRANGLER_CONFIG", &path);
    });
}

fn app() -> TestApp {
    let f = fake();
    f.set_api_key(Some(KEY));
    bench_wrangler_config();
    TestApp::with(&[
        ("UPSTREAM_URL", f.realtime_url.as_str()),
        ("UPSTREAM_KEY", KEY),
        ("OPENAI_API_KEY", KEY),
        ("OPENAI_BASE_URL", f.base_url.as_str()),
        ("OPENAI_REALTIME_URL", f.realtime_url.as_str()),
        ("AUTH_IP_RATE_PER_MINUTE", "1000000"),
        ("STARTS_PER_HOUR", "1000000"),
        ("ANSWER_RATE_BURST", "1000000"),
        ("ANSWER_RATE_PER_MINUTE", "1000000"),
    ])
}

/// median/p95/p99/max in ms, picked like `scripts/bench.py` does.
fn summary(samples: &[f64]) -> Value {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return json!({"n": 0});
    }
    let pick = |q: f64| s[((q * (s.len() - 1) as f64).round() as usize).min(s.len() - 1)];
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let median = if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 };
    json!({"n": s.len(), "median_ms": round(median), "p95_ms": round(pick(0.95)),
        "p99_ms": round(pick(0.99)), "max_ms": round(s[s.len() - 1])})
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Merges `value` under `key` into the JSON object at `BENCH_OUT`, and prints it.
fn write_result(key: &str, value: Value) {
    println!("{key}: {}", serde_json::to_string_pretty(&value).unwrap());
    let Ok(path) = std::env::var("BENCH_OUT") else { return };
    let mut all: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    all[key] = value;
    std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap()).expect("write BENCH_OUT");
}

/// A candidate with a started interview and a ticket; returns the socket URL.
async fn voice_interview() -> String {
    let app = app();
    let token = app.register("Bench Voice").await.token;
    let id = app.start_id(&token, "react").await;
    let (status, body) = app.ticket(&token, &id).await;
    assert_eq!(status, 200, "ticket: {body}");
    app.ws_url(body["url"].as_str().expect("url"))
}

/// Opens the Worker's socket and waits until the upstream greeting is over.
async fn relay_socket(url: &str) -> WsClient {
    let mut ws = ws::connect(url).await.expect("upgrade");
    ws.wait_for("response.done", WAIT).await.expect("the greeting's response.done");
    ws
}

async fn direct_socket() -> WsClient {
    let auth = format!("Bearer {KEY}");
    let mut ws =
        ws::connect_with_headers(&fake().realtime_url, &[("authorization", &auth)]).await.expect("upgrade");
    ws.wait_for("session.created", WAIT).await.expect("session.created");
    ws
}

/// One append → the echo; the round trip.
async fn round_trip(ws: &mut WsClient, frame: &[u8]) -> Duration {
    let started = Instant::now();
    ws.append_audio(frame).await;
    ws.wait_for("input_audio_buffer.speech_started", WAIT).await.expect("echo");
    started.elapsed()
}

/// The paths measured, in the order of the tables: (name, label).
const PATHS: [(&str, &str); 6] = [
    ("direct", "(a) direct to the fake upstream"),
    ("plain_worker", "(b) plain Worker relay (control)"),
    ("do_accept", "(c) DO relay, accept() + listeners (control)"),
    ("do_in_product", "(c0) the same DO relay in the product's wrangler dev (control)"),
    ("do_hibernate", "(c') DO relay, hibernation API (control)"),
    ("relay", "(d) the product's relay"),
];

/// The control's path for a path name (`None` for the direct and the product's paths).
fn control_path(name: &str) -> Option<&'static str> {
    match name {
        "plain_worker" => Some("/plain"),
        "do_accept" => Some("/do/accept"),
        "do_hibernate" => Some("/do/hibernate"),
        _ => None,
    }
}

/// Opens path `name` and waits for its first events (the fake's `session.created`, or the
/// greeting through the product's relay).
async fn open_path(name: &str, controls: &Controls, relay_url: &str) -> WsClient {
    match (name, control_path(name)) {
        ("direct", _) => direct_socket().await,
        ("do_in_product", _) => {
            let mut ws = ws::connect(&app().ws_url(IN_PRODUCT_FLOOR)).await.expect("upgrade");
            ws.wait_for("session.created", WAIT)
                .await
                .expect("session.created through the in-process control");
            ws
        }
        (_, Some(path)) => {
            let mut ws = ws::connect(&controls.ws_url(path)).await.expect("upgrade");
            ws.wait_for("session.created", WAIT).await.expect("session.created through the control");
            ws
        }
        _ => relay_socket(relay_url).await,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[tokio::test]
#[ignore = "benchmark: run by scripts/bench"]
async fn relay_added_latency_per_event() {
    let n = if quick() { 150 } else { 600 };
    let f = fake();
    f.realtime(|r| {
        r.echo = true;
        r.echo_audio = false;
        r.event_latency = Duration::ZERO;
    });
    let controls = Controls::start(&f.realtime_url, KEY).await;
    let url = voice_interview().await;
    let mut sockets = Vec::new();
    for (name, _) in PATHS {
        sockets.push(open_path(name, &controls, &url).await);
    }
    let frame = pcm16_tone(FRAME_MS as usize);
    // Audio at real time at most: one frame per path every FRAME_MS, as a microphone sends it
    // (the relay refuses audio running more than 10 s ahead of real time).
    let mut pace = tokio::time::interval(Duration::from_millis(FRAME_MS));
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Warm every path at that pace first ([`warmup`] iterations).
    for _ in 0..warmup() {
        pace.tick().await;
        for ws in &mut sockets {
            round_trip(ws, &frame).await;
        }
    }
    let count = PATHS.len();
    let (mut samples, mut paired) = (vec![Vec::new(); count], vec![Vec::new(); count]);
    for i in 0..n {
        pace.tick().await;
        // One round trip per path, the first path rotating, so no path always follows another.
        let mut this = vec![0.0; count];
        for k in 0..count {
            let p = (i + k) % count;
            this[p] = ms(round_trip(&mut sockets[p], &frame).await);
        }
        for p in 0..count {
            samples[p].push(this[p]);
            paired[p].push(this[p] - this[0]);
        }
    }
    for ws in &mut sockets {
        ws.close(1000, "bench done").await;
    }
    let s: Vec<Value> = samples.iter().map(|x| summary(x)).collect();
    let added = |p: usize, k: &str| round2(s[p][k].as_f64().unwrap() - s[0][k].as_f64().unwrap());
    let mut paths = serde_json::Map::new();
    for (p, (name, label)) in PATHS.iter().enumerate() {
        paths.insert(
            (*name).to_owned(),
            json!({
                "label": label,
                "round_trip": s[p],
                "added_median_ms": added(p, "median_ms"),
                "added_p99_ms": added(p, "p99_ms"),
                "paired_difference": summary(&paired[p]),
            }),
        );
    }
    let index = |name: &str| PATHS.iter().position(|(n, _)| *n == name).unwrap();
    let (relay, plain) = (index("relay"), index("plain_worker"));
    // The floor of any DO relay: the faster DO control at the median.
    let floor = [index("do_accept"), index("do_hibernate")]
        .into_iter()
        .min_by(|a, b| added(*a, "median_ms").total_cmp(&added(*b, "median_ms")))
        .unwrap();
    let ratio = |num: f64, den: f64| if den > 0.0 { round2(num / den) } else { f64::NAN };
    let ratios = |other: usize| {
        json!({
            "added_median": ratio(added(relay, "median_ms"), added(other, "median_ms")),
            "added_p99": ratio(added(relay, "p99_ms"), added(other, "p99_ms")),
            "round_trip_median": ratio(s[relay]["median_ms"].as_f64().unwrap(), s[other]["median_ms"].as_f64().unwrap()),
            "round_trip_p99": ratio(s[relay]["p99_ms"].as_f64().unwrap(), s[other]["p99_ms"].as_f64().unwrap()),
        })
    };
    let result = json!({
        "round_trips": n,
        "frame_bytes": FRAME_BYTES,
        "event": "input_audio_buffer.append (20 ms PCM16) -> input_audio_buffer.speech_started",
        "direct": s[0],
        "relay": s[relay],
        "added_median_ms": added(relay, "median_ms"),
        "added_p99_ms": added(relay, "p99_ms"),
        "paired_difference": summary(&paired[relay]),
        "paths": paths,
        "do_floor": PATHS[floor].0,
        "relay_over_do_floor": ratios(floor),
        "relay_over_plain_worker": ratios(plain),
        "relay_over_in_product_floor": ratios(index("do_in_product")),
    });
    write_result("relay_latency", result);
    f.realtime(|r| r.echo = false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by scripts/bench"]
async fn sustained_voice_sessions_drop_no_frames() {
    let list =
        |var: &str| std::env::var(var).ok().map(|v| v.split(',').map(|x| x.trim().to_owned()).collect());
    let levels: Vec<usize> = list("BENCH_VOICE_LEVELS")
        .map(|v: Vec<String>| v.iter().filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| if quick() { vec![1, 10] } else { vec![1, 10, 25] });
    let targets: Vec<String> = list("BENCH_VOICE_TARGETS").unwrap_or_else(|| {
        ["relay", "do_accept", "do_in_product", "do_hibernate", "plain_worker"].map(str::to_owned).to_vec()
    });
    let seconds: u32 = if quick() { 3 } else { 10 };
    let f = fake();
    f.realtime(|r| {
        r.echo = false;
        r.echo_audio = true;
        r.event_latency = Duration::ZERO;
    });
    let controls = Controls::start(&f.realtime_url, KEY).await;
    let (mut rows, mut all_ok) = (Vec::new(), true);
    for (level, &n) in levels.iter().enumerate() {
        // The paths take turns, the first rotating with the level.
        for k in 0..targets.len() {
            let target = targets[(level + k) % targets.len()].as_str();
            let (urls, ready, port) = match control_path(target) {
                Some(path) => (vec![controls.ws_url(path); n], "session.created", controls.port),
                None if target == "do_in_product" => {
                    (vec![app().ws_url(IN_PRODUCT_FLOOR); n], "session.created", app().server.port)
                }
                // Interviews and tickets first (registration is a deliberate 100k-round KDF).
                None => (
                    futures_util::future::join_all((0..n).map(|_| voice_interview())).await,
                    "response.done",
                    app().server.port,
                ),
            };
            let (ok, mut row) = voice::run_level(f, port, urls, ready, seconds).await;
            row["path"] = json!(target);
            println!("{row}");
            all_ok &= ok;
            rows.push(row);
        }
    }
    f.realtime(|r| r.echo_audio = false);
    let relay_rows: Vec<Value> = rows.iter().filter(|r| r["path"] == "relay").cloned().collect();
    write_result("voice_sessions", json!(relay_rows));
    write_result("voice_sessions_by_path", json!(rows));
    assert!(all_ok, "frames were dropped or duplicated, or the upstream missed bytes: {rows:#?}");
}
