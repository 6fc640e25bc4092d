//! Issue #15's first acceptance item against the real stack (docs/security.md#document-parsing):
//! the three hostile PDFs and two DOCX/ZIP bombs, uploaded while a loop polls
//! `GET /health`, all end `failed` (final, with their limit's code) within a bounded time; the
//! health checks' p50/p99 over at least 150 samples are printed beside a quiet baseline; a heavy
//! but legitimate résumé (6 dense PDF pages) still parses; and a cron run
//! started while the hostile files are queued delivers another résumé's feedback.
//!
//! The bound (p99 under 100 ms) is asserted only with `HEALTH_P99_BOUND_MS=100` set
//! (`scripts/bench --hostile`): shared CI machines cannot promise a latency. What keeps it low is the parse queue
//! (one résumé per invocation, never in a request or the cron), the Worker's per-document work
//! budget, which bounds how long one synchronous parse holds the isolate, and the cap on the
//! text the taxonomy parse reads (docs/decisions/0007-resume-parse-queue.md).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{d1_query, TestApp};
use interview_edge::domain::resume::fixtures::tiny_pdf;
use interview_edge::domain::resume::hostile_files::{
    contents_repeating_one_stream, dense_pdf, docx_declaring, docx_of_markup, form_drawn_many_times,
    self_drawing_forms,
};
use serde_json::Value;

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";

/// The codes of final failures (a size or budget limit).
const FINAL_CODES: &[&str] =
    &["too_large", "work_limit", "time_limit", "depth_limit", "item_limit", "content_limit"];

/// Feedback due at once, so a cron run delivers it.
fn app() -> TestApp {
    TestApp::with(&[("FEEDBACK_AUTO_SEND_HOURS", "0")])
}

/// Polls `GET /health` back to back (a 5 ms pause between checks) until `stop` is set and at
/// least `min` checks were made; returns when each check started (since `t0`) and its latency.
async fn poll_health(
    app: TestApp,
    t0: Instant,
    min: usize,
    stop: Arc<AtomicBool>,
) -> Vec<(Duration, Duration)> {
    let mut samples = Vec::new();
    while samples.len() < min || !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let (status, body) = app.get("", "/health").await;
        samples.push((started - t0, started.elapsed()));
        assert_eq!(status, 200, "{body}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    samples
}

/// Prints and returns p50, p99 and the maximum of the latencies in `samples`.
fn summary(what: &str, samples: &[(Duration, Duration)]) -> (Duration, Duration, Duration) {
    let latencies: Vec<Duration> = samples.iter().map(|s| s.1).collect();
    let (p50, p99, max) = (quantile(&latencies, 0.50), quantile(&latencies, 0.99), quantile(&latencies, 1.0));
    eprintln!("health {what}: {} samples, p50 {p50:?}, p99 {p99:?}, max {max:?}", samples.len());
    (p50, p99, max)
}

/// The `q` quantile (0–1) of `samples`, nearest rank.
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn upload(app: TestApp, token: &str, bytes: &[u8], name: &str) -> String {
    let (status, body) = app.upload_resume(token, bytes, name, "application/octet-stream").await;
    assert_eq!(status, 202, "upload {name}: {body}");
    body["resume_id"].as_str().unwrap().to_owned()
}

/// Polls the résumé until it leaves `pending`/`processing` (within `deadline`); returns it.
async fn wait_settled(app: TestApp, token: &str, id: &str, deadline: Instant) -> Value {
    loop {
        let (status, v) = app.get(token, &format!("/api/v1/resumes/{id}")).await;
        assert_eq!(status, 200, "{v}");
        if v["parsing_status"] == "completed" || v["parsing_status"] == "failed" {
            return v;
        }
        assert!(Instant::now() < deadline, "not settled in time: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// Two worker threads: the health poller never waits for the test's own work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_end_failed_while_health_answers_and_the_cron_delivers_other_feedback() {
    let app = app();
    // Another candidate's ordinary résumé, parsed before the attack: its feedback is due and
    // waits for the next cron run.
    let (normal_token, _) = app.candidate_with_id("Nora Normal").await;
    let normal = upload(app, &normal_token, &tiny_pdf("Nora Normal\nSkills: Django, Docker"), "n.pdf").await;
    let parsed = wait_settled(app, &normal_token, &normal, Instant::now() + Duration::from_secs(30)).await;
    assert_eq!(parsed["parsing_status"], "completed", "{parsed}");
    let feedback_path = format!("/api/v1/resumes/{normal}/feedback");
    assert_eq!(app.get(&normal_token, &feedback_path).await.0, 404, "not delivered before the cron");

    // The files, built before the clock starts.
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("form-drawn-100k-times.pdf", form_drawn_many_times()),
        ("self-drawing-forms.pdf", self_drawing_forms()),
        ("contents-repeating-one-stream.pdf", contents_repeating_one_stream()),
        ("declares-20mib.docx", docx_declaring(20 * 1024 * 1024 + 1)),
        ("8mib-of-markup.docx", docx_of_markup(8)),
    ];
    // Heavy but legitimate: 6 dense PDF pages (about 310,000 work units of 400,000).
    let heavy = [("six-dense-pages.pdf", dense_pdf(6))];

    for _ in 0..20 {
        assert_eq!(app.get("", "/health").await.0, 200, "warm-up");
    }

    // The attacker's account has been used before (its first upload creates its per-user
    // limiter object, a cost of any first upload, not of parsing).
    let (token, _) = app.candidate_with_id("Hal Hostile").await;
    let warm = upload(app, &token, &tiny_pdf("Hal Hostile\nSkills: Go"), "h.pdf").await;
    wait_settled(app, &token, &warm, Instant::now() + Duration::from_secs(30)).await;
    let t0 = Instant::now();
    let quiet = poll_health(app, t0, 100, Arc::new(AtomicBool::new(true))).await;
    let (_, quiet_p99, _) = summary("before the attack", &quiet);

    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let poller = tokio::spawn(poll_health(app, t0, 150, stop.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut marks = Vec::new();
    let mut ids = Vec::new();
    for (name, bytes) in &hostile {
        marks.push((t0.elapsed(), *name));
        ids.push((*name, upload(app, &token, bytes, name).await));
    }
    let mut heavy_ids = Vec::new();
    for (name, bytes) in &heavy {
        marks.push((t0.elapsed(), *name));
        heavy_ids.push((*name, upload(app, &token, bytes, name).await));
    }
    // A cron run while the hostile files are queued or being parsed: it delivers the other
    // candidate's feedback (the cron never parses; it only enqueues what needs a retry).
    marks.push((t0.elapsed(), "cron"));
    let (status, _) = app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    assert!((200..300).contains(&status), "cron trigger: {status}");
    marks.push((t0.elapsed(), "cron done"));
    let deadline = started + Duration::from_secs(20);
    let mut settled = Vec::new();
    for (name, id) in &ids {
        let v = wait_settled(app, &token, id, deadline).await;
        settled.push((*name, started.elapsed(), v));
    }
    let mut heavy_done = Vec::new();
    for (name, id) in &heavy_ids {
        heavy_done.push((*name, wait_settled(app, &token, id, deadline).await));
    }
    let all_settled = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let samples = poller.await.expect("health poller");

    let (p50, p99, max) = summary("during the attack", &samples);
    eprintln!("all settled {all_settled:?} after the first upload; marks {marks:?}");
    for (at, latency) in samples.iter().filter(|s| s.1 > Duration::from_millis(80)) {
        eprintln!("  slow check at {at:?}: {latency:?}");
    }
    eprintln!("{}", app.log_lines(&["resume_extracted"]));
    for (name, elapsed, v) in &settled {
        eprintln!("  {name}: {} {} after {elapsed:?}", v["parsing_status"], v["parsing_error"]["code"]);
        assert_eq!(v["parsing_status"], "failed", "{name}: {v}");
        let code = v["parsing_error"]["code"].as_str().unwrap_or_default();
        assert!(FINAL_CODES.contains(&code), "{name}: a final limit, not {code}: {v}");
        assert_eq!(v["will_retry"], false, "{name}: never retried: {v}");
        assert!(v["parsed_data"].is_null());
    }
    for (name, v) in &heavy_done {
        assert_eq!(v["parsing_status"], "completed", "{name} is legitimate: {v}");
    }

    // The cron run delivered the other candidate's feedback.
    let delivered = app.get(&normal_token, &feedback_path).await;
    assert_eq!(delivered.0, 200, "{}", delivered.1);
    assert_eq!(delivered.1["status"], "sent");
    let runs = d1_query(
        app.server,
        "SELECT details FROM job_runs WHERE job = 'resume_jobs' ORDER BY started_at DESC LIMIT 1",
    );
    let details: Value = serde_json::from_str(runs[0]["details"].as_str().unwrap()).unwrap();
    assert!(details["deliveries"]["delivered"].as_u64().unwrap() >= 1, "{details}");

    // The bound (/health p99 under 100 ms during the attack) is a latency figure: the
    // suite prints it and asserts it only when asked (`HEALTH_P99_BOUND_MS`, set by
    // `scripts/bench --hostile`), because on a shared machine the quiet p99 alone can exceed it
    // (docs/testing.md: performance is proven by the bench, not by a timed test in CI).
    eprintln!("health p99 {p99:?} during the attack (p50 {p50:?}, max {max:?}); {quiet_p99:?} before it");
    if let Some(bound) = std::env::var("HEALTH_P99_BOUND_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        let bound = Duration::from_millis(bound);
        assert!(p99 < bound, "health p99 {p99:?} during the attack (p50 {p50:?}, max {max:?})");
    }
}
