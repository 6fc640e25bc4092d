//! Voice-session load for `tests/relay_bench.rs`: sessions streaming tagged 20 ms PCM16 frames at
//! real-time pace while the fake upstream echoes each back as `response.output_audio.delta`, and
//! the CPU of the server's processes from /proc.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::common::ws::{self, b64_decode, b64_encode, pcm16_tone};
use super::{ms, FRAME_BYTES, FRAME_MS, WAIT};

/// The frame `index` of session `session`: a tone with the index in its first 8 bytes.
fn tagged_frame(tone: &[u8], session: u32, index: u32) -> Vec<u8> {
    let mut frame = tone.to_vec();
    frame[..4].copy_from_slice(&session.to_le_bytes());
    frame[4..8].copy_from_slice(&index.to_le_bytes());
    frame
}

#[derive(Default)]
pub struct SessionResult {
    pub sent: usize,
    pub received: usize,
    pub duplicates: usize,
    pub out_of_order: usize,
    pub foreign: usize,
    pub received_bytes: usize,
    pub rtts_ms: Vec<f64>,
    /// Round trips of the last second's frames (a growing backlog shows here).
    pub last_second_rtts_ms: Vec<f64>,
    /// How far behind schedule the last frame was sent.
    pub send_lag_ms: f64,
}

/// Opens `url`, waits for `ready` (the greeting's `response.done` through the product's relay,
/// `session.created` through a control), then streams `frames` tagged frames at real-time pace,
/// reading the echoed audio concurrently, until every frame is back or none arrives for 20 s.
pub async fn stream_session(
    url: String,
    ready: &'static str,
    session: u32,
    frames: u32,
    start: Arc<tokio::sync::Barrier>,
) -> SessionResult {
    let mut socket = ws::connect(&url).await.expect("upgrade");
    socket.wait_for(ready, WAIT).await.expect("the socket's first events");
    let (mut sink, mut source) = socket.split();
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
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(-1.0)
}

/// CPU seconds (user + system) of processes from /proc/<pid>/stat (clock ticks of 10 ms).
pub fn cpu_seconds(pids: &[u32]) -> f64 {
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
pub fn cpu_by_name(pids: &[u32]) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for pid in pids {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
        *out.entry(name).or_insert(0.0) += cpu_seconds(&[*pid]);
    }
    out
}

/// The server's processes: the process group of the `wrangler dev` listening on `port`
/// (wrangler, its Node runtime and workerd).
pub fn server_pids(port: u16) -> Vec<u32> {
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

/// Streams one session per URL of `urls` together (all opened first, then started at once) on the
/// server listening on `port`, and returns the level's row (`ok`: no frame dropped or duplicated
/// and the upstream counted every byte).
pub async fn run_level(
    fake: &super::FakeOpenAi,
    port: u16,
    urls: Vec<String>,
    ready: &'static str,
    seconds: u32,
) -> (bool, serde_json::Value) {
    use serde_json::{json, Value};
    let n = urls.len();
    let frames = seconds * 1000 / FRAME_MS as u32;
    let load_before = load_average();
    let server = server_pids(port);
    let me = [std::process::id()];
    let (server_cpu0, me_cpu0) = (cpu_seconds(&server), cpu_seconds(&me));
    let by_name0 = cpu_by_name(&server);
    let first_conn = fake.realtime_connections();
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let started = Instant::now();
    let handles: Vec<_> = urls
        .into_iter()
        .enumerate()
        .map(|(i, url)| tokio::spawn(stream_session(url, ready, i as u32, frames, barrier.clone())))
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.expect("session task"));
    }
    let wall = started.elapsed().as_secs_f64();
    let server_cpu = cpu_seconds(&server) - server_cpu0;
    let me_cores = (cpu_seconds(&me) - me_cpu0) / wall;
    let cpu_of: std::collections::BTreeMap<String, f64> = cpu_by_name(&server)
        .into_iter()
        .map(|(k, v)| {
            let used = v - by_name0.get(&k).copied().unwrap_or(0.0);
            (k, used)
        })
        .collect();
    let by_name: serde_json::Map<String, Value> =
        cpu_of.iter().map(|(k, v)| (k.clone(), json!((v / wall * 100.0).round() / 100.0))).collect();
    // The upstream closes after the client; let the fake record the last appends.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let appended: usize = (first_conn..fake.realtime_connections())
        .filter_map(|i| fake.realtime_connection(i))
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
    let ok = dropped == 0 && duplicates == 0 && appended == sent * FRAME_BYTES;
    // Frames relayed (up and down) per second of workerd CPU: the throughput one workerd core
    // would sustain at this concurrency.
    let workerd_cpu = cpu_of.get("workerd").copied().unwrap_or(0.0);
    let per_core = if workerd_cpu > 0.0 { (sent + received) as f64 / workerd_cpu } else { 0.0 };
    let row = json!({
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
        "rtt": super::summary(&rtts),
        "rtt_last_second": super::summary(&last),
        "load_average_before_after": [load_before, load_average()],
        "server_cpu_cores": (server_cpu / wall * 100.0).round() / 100.0,
        "workerd_cpu_s": (workerd_cpu * 100.0).round() / 100.0,
        "frames_per_workerd_core_s": per_core.round(),
        "clients_and_fake_cpu_cores": (me_cores * 100.0).round() / 100.0,
        "server_cpu_cores_by_process": by_name,
    });
    (ok, row)
}
