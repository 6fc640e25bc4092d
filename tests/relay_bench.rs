//! Benchmarks of the realtime relay (docs/benchmarks.md, issue #8 item 4), run by `scripts/bench` and
//! skipped by `cargo test` (`#[ignore]`):
//!
//! ```text
//! BENCH_OUT=/tmp/relay.json cargo test --test relay_bench -- --ignored --nocapture --test-threads=1
//! ```
//! 1. `relay_added_latency_per_event`: N round trips of one 20 ms `input_audio_buffer.append` →
//!    the fake upstream's echo (`input_audio_buffer.speech_started`), directly against the fake
//!    and through the Worker's socket, alternating one of each so both see the same machine load.
//!    Reports both distributions and the relay's added latency (medians, p99s).
//! 2. `sustained_voice_sessions_drop_no_frames`: 1, 5, 10, 25 concurrent sessions, each streaming
//!    20 ms PCM16 24 kHz frames (960 bytes) at real-time pace while the fake echoes every frame
//!    back as `response.output_audio.delta` (the relay's audio fast path). Every frame is tagged
//!    with its index, so a missing, duplicated or reordered frame is seen. Reports frames sent and
//!    received, drops, the bytes the upstream counted, and the per-frame round trip.
//!
//! Each test merges its result into the JSON object at `BENCH_OUT` (when set) and prints it.
//! `BENCH_QUICK=1` shortens both; `BENCH_VOICE_LEVELS=1,5,10` overrides the session counts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake_openai::FakeOpenAi;
use common::ws::{self, b64_decode, b64_encode, pcm16_tone, WsClient};
use common::TestApp;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
/// 20 ms of PCM16 at 24 kHz mono.
const FRAME_BYTES: usize = 960;
const FRAME_MS: u64 = 20;
const KEY: &str = "sk-bench-fake";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn fake() -> &'static FakeOpenAi {
    FakeOpenAi::shared()
}

fn app() -> TestApp {
    let f = fake();
    f.set_api_key(Some(KEY));
    TestApp::with(&[
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

#[tokio::test]
#[ignore = "benchmark: run by scripts/bench"]
async fn relay_added_latency_per_event() {
    let n = if quick() { 100 } else { 500 };
    let f = fake();
    f.realtime(|r| {
        r.echo = true;
        r.echo_audio = false;
        r.event_latency = Duration::ZERO;
    });
    let url = voice_interview().await;
    let mut relay = relay_socket(&url).await;
    let mut direct = direct_socket().await;
    let frame = pcm16_tone(FRAME_MS as usize);
    // Warm both paths.
    for _ in 0..20 {
        round_trip(&mut direct, &frame).await;
        round_trip(&mut relay, &frame).await;
    }
    let (mut d, mut r, mut diff) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let a = ms(round_trip(&mut direct, &frame).await);
        let b = ms(round_trip(&mut relay, &frame).await);
        d.push(a);
        r.push(b);
        diff.push(b - a);
    }
    relay.close(1000, "bench done").await;
    direct.close(1000, "bench done").await;
    let (sd, sr) = (summary(&d), summary(&r));
    let added = |k: &str| ((sr[k].as_f64().unwrap() - sd[k].as_f64().unwrap()) * 100.0).round() / 100.0;
    let result = json!({
        "round_trips": n,
        "frame_bytes": FRAME_BYTES,
        "event": "input_audio_buffer.append (20 ms PCM16) -> input_audio_buffer.speech_started",
        "direct": sd,
        "relay": sr,
        "added_median_ms": added("median_ms"),
        "added_p99_ms": added("p99_ms"),
        "paired_difference": summary(&diff),
    });
    write_result("relay_latency", result);
    f.realtime(|r| r.echo = false);
}

/// The frame `index` of session `session`: a tone with the index in its first 8 bytes.
fn tagged_frame(tone: &[u8], session: u32, index: u32) -> Vec<u8> {
    let mut frame = tone.to_vec();
    frame[..4].copy_from_slice(&session.to_le_bytes());
    frame[4..8].copy_from_slice(&index.to_le_bytes());
    frame
}

#[derive(Default)]
struct SessionResult {
    sent: usize,
    received: usize,
    duplicates: usize,
    out_of_order: usize,
    foreign: usize,
    received_bytes: usize,
    rtts_ms: Vec<f64>,
    /// Round trips of the last second's frames (a growing backlog shows here).
    last_second_rtts_ms: Vec<f64>,
    /// How far behind schedule the last frame was sent.
    send_lag_ms: f64,
}

/// Streams `frames` tagged frames at real-time pace on an open relay socket, reading the echoed
/// audio concurrently, until every frame is back or none arrives for 20 s.
async fn stream_session(
    url: String,
    session: u32,
    frames: u32,
    start: Arc<tokio::sync::Barrier>,
) -> SessionResult {
    // The greeting first.
    let (mut sink, mut source) = relay_socket(&url).await.split();
    let tone = pcm16_tone(FRAME_MS as usize);
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; frames as usize]));
    start.wait().await;

    let state = Arc::new(Mutex::new(SessionResult::default()));
    let (times, shared) = (sent_at.clone(), state.clone());
    let reader = tokio::spawn(async move {
        let mut seen = vec![false; frames as usize];
        let mut last: Option<u32> = None;
        while let Some(event) = source.next_json().await {
            if event["type"] != "response.output_audio.delta" {
                continue;
            }
            let Some(bytes) = event["delta"].as_str().and_then(b64_decode) else { continue };
            let now = Instant::now();
            let mut out = shared.lock().unwrap();
            out.received_bytes += bytes.len();
            let tag = |r: std::ops::Range<usize>| u32::from_le_bytes(bytes[r].try_into().unwrap());
            if bytes.len() != FRAME_BYTES || tag(0..4) != session || tag(4..8) >= frames {
                out.foreign += 1;
                continue;
            }
            let index = tag(4..8);
            if std::mem::replace(&mut seen[index as usize], true) {
                out.duplicates += 1;
                continue;
            }
            if last.is_some_and(|l| index < l) {
                out.out_of_order += 1;
            }
            last = Some(index);
            out.received += 1;
            if let Some(at) = times.lock().unwrap()[index as usize] {
                let rtt = ms(now.duration_since(at));
                out.rtts_ms.push(rtt);
                if u64::from(frames - index) * FRAME_MS <= 1000 {
                    out.last_second_rtts_ms.push(rtt);
                }
            }
        }
    });

    let mut ticker = tokio::time::interval(Duration::from_millis(FRAME_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let began = Instant::now();
    let mut lag = 0.0;
    for index in 0..frames {
        ticker.tick().await;
        let frame = tagged_frame(&tone, session, index);
        let text = format!(r#"{{"type":"input_audio_buffer.append","audio":"{}"}}"#, b64_encode(&frame));
        sent_at.lock().unwrap()[index as usize] = Some(Instant::now());
        sink.send_text(&text).await;
        lag = ms(began.elapsed()) - f64::from(index) * FRAME_MS as f64;
    }
    // A backlog drains at its own pace: wait while frames keep arriving (a frame counts as dropped
    // only after 20 s without progress, or 120 s in all: an overloaded relay may hold the downlink
    // while it works through queued uplink frames); the round trips show the delay.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seen, mut progress_at) = (0, Instant::now());
    loop {
        let received = state.lock().unwrap().received;
        if received == frames as usize || Instant::now() > deadline {
            break;
        }
        if received != seen {
            (seen, progress_at) = (received, Instant::now());
        } else if progress_at.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    reader.abort();
    sink.close().await;
    let mut result = std::mem::take(&mut *state.lock().unwrap());
    result.sent = frames as usize;
    result.send_lag_ms = lag;
    result
}

/// The 1-minute load average (the machine is shared; a busy neighbour shows here).
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(-1.0)
}

/// CPU seconds (user + system) of processes from /proc/<pid>/stat (clock ticks of 10 ms).
fn cpu_seconds(pids: &[u32]) -> f64 {
    let ticks: u64 = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    ticks as f64 / 100.0
}

/// CPU seconds per process name (`comm`) of `pids`.
fn cpu_by_name(pids: &[u32]) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for pid in pids {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
        *out.entry(name).or_insert(0.0) += cpu_seconds(&[*pid]);
    }
    out
}

/// The server's processes: the process group of the `wrangler dev` listening on `port`
/// (wrangler, its Node runtime and workerd).
fn server_pids(port: u16) -> Vec<u32> {
    let procs: Vec<(u32, String)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)))
        .collect();
    let pgid = |stat: &str| {
        stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(2)?.parse::<u32>().ok())
    };
    let needle = format!("--port\0{port}\0");
    let group = procs.iter().find_map(|(pid, stat)| {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        String::from_utf8_lossy(&cmdline).contains(&needle).then(|| pgid(stat)).flatten()
    });
    let Some(group) = group else { return Vec::new() };
    procs.iter().filter(|(_, stat)| pgid(stat) == Some(group)).map(|(pid, _)| *pid).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by scripts/bench"]
async fn sustained_voice_sessions_drop_no_frames() {
    let levels: Vec<u32> = std::env::var("BENCH_VOICE_LEVELS")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| if quick() { vec![1, 5, 10] } else { vec![1, 5, 10, 25] });
    let seconds: u32 = if quick() { 3 } else { 10 };
    let frames = seconds * 1000 / FRAME_MS as u32;
    let f = fake();
    f.realtime(|r| {
        r.echo = false;
        r.echo_audio = true;
        r.event_latency = Duration::ZERO;
    });
    let mut rows = Vec::new();
    let mut all_ok = true;
    for &n in &levels {
        // Interviews and tickets first (registration is a deliberate 100k-round KDF), then all
        // sessions start streaming together.
        let urls = futures_util::future::join_all((0..n).map(|_| voice_interview())).await;
        let load_before = load_average();
        let server = server_pids(app().server.port);
        let me = [std::process::id()];
        let (server_cpu0, me_cpu0) = (cpu_seconds(&server), cpu_seconds(&me));
        let by_name0 = cpu_by_name(&server);
        let first_conn = f.realtime_connections();
        let barrier = Arc::new(tokio::sync::Barrier::new(n as usize));
        let started = Instant::now();
        let handles: Vec<_> = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| tokio::spawn(stream_session(url, i as u32, frames, barrier.clone())))
            .collect();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.expect("session task"));
        }
        let wall = started.elapsed().as_secs_f64();
        let server_cores = (cpu_seconds(&server) - server_cpu0) / wall;
        let me_cores = (cpu_seconds(&me) - me_cpu0) / wall;
        let by_name: serde_json::Map<String, Value> = cpu_by_name(&server)
            .into_iter()
            .map(|(k, v)| {
                let cores = (v - by_name0.get(&k).copied().unwrap_or(0.0)) / wall;
                (k, json!((cores * 100.0).round() / 100.0))
            })
            .collect();
        // The upstream closes after the client; let the fake record the last appends.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let appended: usize = (first_conn..f.realtime_connections())
            .filter_map(|i| f.realtime_connection(i))
            .map(|c| c.appended_bytes)
            .sum();
        let sent: usize = results.iter().map(|r| r.sent).sum();
        let received: usize = results.iter().map(|r| r.received).sum();
        let rtts: Vec<f64> = results.iter().flat_map(|r| r.rtts_ms.iter().copied()).collect();
        let last: Vec<f64> = results.iter().flat_map(|r| r.last_second_rtts_ms.iter().copied()).collect();
        let dropped = sent - received;
        let duplicates: usize = results.iter().map(|r| r.duplicates).sum();
        let out_of_order: usize = results.iter().map(|r| r.out_of_order).sum();
        let max_lag = results.iter().map(|r| r.send_lag_ms).fold(0.0, f64::max);
        all_ok &= dropped == 0 && duplicates == 0 && appended == sent * FRAME_BYTES;
        rows.push(json!({
            "sessions": n,
            "seconds_per_session": seconds,
            "frame_ms": FRAME_MS,
            "frame_bytes": FRAME_BYTES,
            "frames_sent": sent,
            "frames_received": received,
            "dropped": dropped,
            "duplicates": duplicates,
            "out_of_order": out_of_order,
            "foreign": results.iter().map(|r| r.foreign).sum::<usize>(),
            "bytes_sent": sent * FRAME_BYTES,
            "bytes_appended_upstream": appended,
            "bytes_received": results.iter().map(|r| r.received_bytes).sum::<usize>(),
            "audio_mbit_per_s_each_way": ((sent * FRAME_BYTES * 8) as f64 / wall / 1e6 * 100.0).round() / 100.0,
            "max_send_lag_ms": (max_lag * 10.0).round() / 10.0,
            "rtt": summary(&rtts),
            "rtt_last_second": summary(&last),
            "load_average_before_after": [load_before, load_average()],
            "server_cpu_cores": (server_cores * 100.0).round() / 100.0,
            "clients_and_fake_cpu_cores": (me_cores * 100.0).round() / 100.0,
            "server_cpu_cores_by_process": by_name,
        }));
        println!("{}", rows.last().unwrap());
    }
    f.realtime(|r| r.echo_audio = false);
    write_result("voice_sessions", json!(rows));
    assert!(all_ok, "frames were dropped or duplicated, or the upstream missed bytes: {rows:#?}");
}
