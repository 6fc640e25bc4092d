//! API fuzzing: schemathesis (installed into `.venv` by `scripts/setup`) generates requests
//! from `docs/openapi.json` for every operation and checks, against a live `wrangler dev`, that
//! no response is a 5xx and every response conforms to the document (status code, content type,
//! body schema). Bounded: a fixed seed and example count (`FUZZ_EXAMPLES` raises it).
//!
//! Three runs on one server:
//! 1. a candidate over every operation with random path ids (mostly 404s: the unknown-id paths);
//! 2. the same candidate with every `{id}` bound to real state created first (interviews in
//!    progress with answers, completed, with video consent and an uploaded video, a parsed résumé
//!    with feedback), through a `schemathesis.toml` with per-operation `parameters`;
//! 3. an admin over the staff and read operations with the same real ids.
//!
//! Runs 2 and 3 record a HAR file, and the test asserts that the real-id operations were
//! actually reached (some 2xx answer each), so a config that silently stopped binding ids fails.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::app::send;
use common::{unique, Server, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// Operations that would revoke the token every other operation uses (or, for a password change,
/// count failed passwords against the fuzzer's account; an account deletion needs the password,
/// but would end the account if a generated body ever matched).
const TOKEN_KILLERS: &[&str] =
    &["logout", "refresh", "revokeAllSessions", "revokeSession", "changePassword", "accountDelete"];

/// This binary's server: throttles out of the fuzzer's way.
fn app() -> TestApp {
    TestApp::with(&[
        ("AUTH_IP_RATE_PER_MINUTE", "1000000"),
        ("STARTS_PER_HOUR", "1000000"),
        ("ANSWER_RATE_BURST", "1000000"),
        ("ANSWER_RATE_PER_MINUTE", "1000000"),
        ("REALTIME_TICKETS_PER_MINUTE", "1000000"),
        ("RESUME_UPLOADS_PER_HOUR", "1000000"),
        ("RESUMES_PER_CANDIDATE", "1000000"),
        ("RESUME_BYTES_PER_DAY", "100000000000"),
        ("VIDEO_BYTES_PER_DAY", "100000000000"),
    ])
}

const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn examples() -> String {
    std::env::var("FUZZ_EXAMPLES").unwrap_or_else(|_| "10".to_owned())
}

fn schemathesis() -> String {
    let binary = format!("{}/.venv/bin/schemathesis", env!("CARGO_MANIFEST_DIR"));
    assert!(Path::new(&binary).exists(), "{binary} is missing: run `bash scripts/setup`");
    binary
}

/// A fresh scratch directory for one run's config and reports.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fuzz-{name}-{}", unique()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs schemathesis in `dir` (which may hold a `schemathesis.toml`) with `args`, asserting a
/// clean run; returns its stdout.
fn run(dir: &Path, srv: &Server, args: &[&str]) -> String {
    let started = Instant::now();
    let mut cmd = Command::new(schemathesis());
    let config = dir.join("schemathesis.toml");
    if config.exists() {
        cmd.arg("--config-file").arg(&config);
    }
    let output = cmd
        .current_dir(dir)
        .args(["run", &srv.url("/api/v1/openapi.json"), "--url", &srv.base_url])
        .args(["-n", &examples(), "--seed", "1", "--workers", "1", "--request-timeout", "30"])
        .args(["--checks", CHECKS])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    std::fs::write(dir.join("output.txt"), &stdout).expect("keep the output");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Tested:"), "schemathesis ran no operation:\n{stdout}");
    eprintln!("schemathesis run in {} took {:.1} s", dir.display(), started.elapsed().as_secs_f64());
    stdout
}

/// Removes a run's scratch directory, unless `FUZZ_KEEP` is set (to inspect its output and HAR).
fn clean(dir: &Path) {
    if std::env::var_os("FUZZ_KEEP").is_some() {
        eprintln!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// A `schemathesis.toml` sending `token` on every request and binding `path.id` of each listed
/// operation to the given id.
fn config(token: &str, bindings: &BTreeMap<&str, Vec<&str>>) -> String {
    let mut out = format!("[headers]\nAuthorization = {}\n", toml_str(&format!("Bearer {token}")));
    for (id, operations) in bindings {
        let ops: Vec<String> = operations.iter().map(|o| toml_str(o)).collect();
        out.push_str(&format!(
            "\n[[operations]]\ninclude-operation-id = [{}]\nparameters = {{ \"path.id\" = {} }}\n",
            ops.join(", "),
            toml_str(id)
        ));
    }
    out
}

/// `(method, url, status)` of every request in a HAR file.
fn har_entries(path: &Path) -> Vec<(String, String, u16)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let har: Value = serde_json::from_str(&text).expect("HAR JSON");
    har["log"]["entries"]
        .as_array()
        .expect("HAR entries")
        .iter()
        .map(|e| {
            (
                e["request"]["method"].as_str().unwrap_or_default().to_owned(),
                e["request"]["url"].as_str().unwrap_or_default().to_owned(),
                e["response"]["status"].as_u64().unwrap_or_default() as u16,
            )
        })
        .collect()
}

/// Asserts that each `(method, path)` got at least one 2xx answer in `entries`.
fn assert_reached(entries: &[(String, String, u16)], srv: &Server, wanted: &[(&str, String)]) {
    for (method, path) in wanted {
        let url = srv.url(path);
        let statuses: Vec<u16> = entries
            .iter()
            .filter(|(m, u, _)| m == method && (u == &url || u.starts_with(&format!("{url}?"))))
            .map(|(_, _, s)| *s)
            .collect();
        assert!(
            statuses.iter().any(|s| (200..300).contains(s)),
            "{method} {path} never succeeded with its real id (statuses {statuses:?})"
        );
    }
}

/// POSTs JSON and asserts a 2xx; returns the body.
async fn post_ok(app: TestApp, token: &str, path: &str, body: &Value) -> Value {
    let (status, body) = app.post(token, path, body).await;
    assert!((200..300).contains(&status), "POST {path}: {status} {body}");
    body
}

/// An interview with two answers.
async fn answered(app: TestApp, token: &str) -> String {
    let id = app.start_id(token, "python").await;
    for text in ["I would profile first, then fix the hot loop.", "A dict keyed by id, with a lock."] {
        post_ok(app, token, &format!("/api/v1/interviews/{id}/messages"), &json!({"message_text": text}))
            .await;
    }
    id
}

async fn consent(app: TestApp, token: &str, id: &str) {
    post_ok(app, token, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true})).await;
}

/// Uploads a one-chunk WebM video and finalizes it.
async fn upload_video(app: TestApp, token: &str, id: &str) {
    let mut video = vec![0x1A, 0x45, 0xDF, 0xA3];
    video.extend((0..64 * 1024).map(|i| (i * 31 % 251) as u8));
    let path = format!("/api/v1/videos/{id}/upload-chunk?chunk_index=0&total_chunks=1");
    let (status, body) =
        send(app.request(Method::POST, &path, token).header("Content-Type", "video/webm").body(video)).await;
    assert_eq!(status, 200, "video chunk: {body}");
    post_ok(app, token, &format!("/api/v1/videos/{id}/finalize"), &json!({})).await;
}

/// Uploads a text résumé; returns its id once staff (`admin`) can read its feedback.
async fn upload_resume(app: TestApp, token: &str, admin: &str) -> String {
    let text = b"Fran Fuzz\nPython developer\nSkills: Django, PostgreSQL, Docker\n";
    let (status, body) = app.upload_resume(token, text, "cv.txt", "text/plain").await;
    assert_eq!(status, 202, "résumé upload: {body}");
    let id = body["resume_id"].as_str().unwrap().to_owned();
    app.wait_ok(admin, &format!("/api/v1/resumes/{id}/feedback"), Duration::from_secs(30), &[]).await;
    id
}

/// The real state the real-id runs bind to.
struct World {
    candidate: String,
    candidate_id: String,
    /// In progress, two answers, video consent, a finalized video.
    live: String,
    /// Completed (its assessment is being or has been generated).
    done: String,
    /// In progress with answers, for `completeInterview`.
    to_complete: String,
    /// In progress with consent and no video yet, for the upload operations and consent.
    to_upload: String,
    /// With a finalized video, for `videoDelete`.
    to_delete: String,
    /// Parsed, its feedback approved and sent (the candidate reads it).
    resume: String,
    /// Parsed, its feedback pending approval (for `approveResumeFeedback`).
    pending_resume: String,
    admin: String,
    /// A candidate for `updateUser` (the fuzzer may deactivate it).
    victim_id: String,
}

async fn world(app: TestApp) -> World {
    let (candidate, candidate_id) = app.candidate_with_id("Fuzz Candidate").await;
    let live = answered(app, &candidate).await;
    consent(app, &candidate, &live).await;
    upload_video(app, &candidate, &live).await;
    let done = answered(app, &candidate).await;
    post_ok(app, &candidate, &format!("/api/v1/interviews/{done}/complete"), &json!({})).await;
    let to_complete = answered(app, &candidate).await;
    let to_upload = app.start_id(&candidate, "react").await;
    consent(app, &candidate, &to_upload).await;
    let to_delete = app.start_id(&candidate, "fullstack").await;
    consent(app, &candidate, &to_delete).await;
    upload_video(app, &candidate, &to_delete).await;
    let admin = app.admin().await;
    let resume = upload_resume(app, &candidate, &admin).await;
    post_ok(app, &admin, &format!("/api/v1/resumes/{resume}/feedback/approve"), &json!({})).await;
    app.wait_ok(&candidate, &format!("/api/v1/resumes/{resume}/feedback"), Duration::from_secs(30), &[])
        .await;
    let pending_resume = upload_resume(app, &candidate, &admin).await;
    let (_, victim_id) = app.candidate_with_id("Fuzz Victim").await;
    World {
        candidate,
        candidate_id,
        live,
        done,
        to_complete,
        to_upload,
        to_delete,
        resume,
        pending_resume,
        admin,
        victim_id,
    }
}

/// The operations of the stateful run: the ones that create an interview or a résumé, and the
/// ones their documented links lead to.
const STATEFUL_OPERATIONS: &[&str] = &[
    "startInterview",
    "createInterview",
    "getInterview",
    "getInterviewStatus",
    "listMessages",
    "answer",
    "latestQuestion",
    "transcript",
    "techCheck",
    "videoConsent",
    "completeInterview",
    "getAssessment",
    "realtimeTicket",
    "uploadResume",
    "getResume",
    "getResumeFeedback",
];

/// The interview and video operations bound to the live interview.
const LIVE_OPERATIONS: &[&str] = &[
    "getInterview",
    "getInterviewStatus",
    "listMessages",
    "answer",
    "latestQuestion",
    "retryTurn",
    "transcript",
    "techCheck",
    "realtimeTicket",
    "realtimeSocket",
    "interviewAudio",
    "videoGet",
    "videoStream",
];

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_nonconforming_response() {
    let started = Instant::now();
    let app = app();
    let w = world(app).await;
    let excluded: Vec<&str> = TOKEN_KILLERS.iter().flat_map(|op| ["--exclude-operation-id", op]).collect();

    // 1. Random ids, every operation.
    let dir = scratch("random");
    let auth = format!("Authorization: Bearer {}", w.candidate);
    let mut args = vec!["-H", &auth, "--phases", "examples,coverage,fuzzing", "--report-har-path", "run.har"];
    args.extend(&excluded);
    run(&dir, app.server, &args);
    clean(&dir);

    // 2. The candidate, every operation, real ids.
    let mut bindings: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    bindings.insert(&w.live, LIVE_OPERATIONS.to_vec());
    bindings.insert(&w.done, vec!["getAssessment"]);
    bindings.insert(&w.to_complete, vec!["completeInterview"]);
    bindings
        .insert(&w.to_upload, vec!["videoConsent", "videoUploadChunk", "videoUploadStatus", "videoFinalize"]);
    bindings.insert(&w.to_delete, vec!["videoDelete"]);
    bindings.insert(&w.resume, vec!["getResume", "getResumeFeedback"]);
    bindings.insert(&w.pending_resume, vec!["approveResumeFeedback"]);
    let dir = scratch("candidate");
    std::fs::write(dir.join("schemathesis.toml"), config(&w.candidate, &bindings)).expect("config");
    let mut args = vec!["--phases", "examples,coverage,fuzzing", "--report-har-path", "run.har"];
    args.extend(&excluded);
    run(&dir, app.server, &args);
    let entries = har_entries(&dir.join("run.har"));
    let (live, done, resume) = (&w.live, &w.done, &w.resume);
    assert_reached(
        &entries,
        app.server,
        &[
            ("GET", format!("/api/v1/interviews/{live}")),
            ("GET", format!("/api/v1/interviews/{live}/status")),
            ("GET", format!("/api/v1/interviews/{live}/messages")),
            ("GET", format!("/api/v1/interviews/{live}/messages/latest")),
            ("GET", format!("/api/v1/interviews/{live}/transcript")),
            ("POST", format!("/api/v1/interviews/{live}/messages")),
            ("POST", format!("/api/v1/interviews/{live}/tech-check")),
            ("GET", format!("/api/v1/videos/{live}")),
            ("GET", format!("/api/v1/videos/{live}/stream")),
            ("GET", format!("/api/v1/interviews/{done}/assessment")),
            ("POST", format!("/api/v1/interviews/{}/complete", w.to_complete)),
            ("GET", format!("/api/v1/videos/{}/upload-status", w.to_upload)),
            ("DELETE", format!("/api/v1/videos/{}", w.to_delete)),
            ("GET", format!("/api/v1/resumes/{resume}")),
            ("GET", format!("/api/v1/resumes/{resume}/feedback")),
        ],
    );
    clean(&dir);

    // 2b. Stateful: sequences that follow the document's links (startInterview's 201 → the
    // interview operations, uploadResume's 202 → the résumé reads) with the ids just created.
    let dir = scratch("stateful");
    std::fs::write(dir.join("schemathesis.toml"), config(&w.candidate, &BTreeMap::new())).expect("config");
    // Only the linked operations: with every operation selected, the links inferred between
    // unrelated ones (jobs, videos, …) dilute the scenarios until none starts an interview.
    let mut args = vec!["--phases", "stateful", "--report-har-path", "run.har"];
    for op in STATEFUL_OPERATIONS {
        args.extend(["--include-operation-id", op]);
    }
    let stdout = run(&dir, app.server, &args);
    assert!(stdout.contains("Stateful"), "no stateful phase ran:\n{stdout}");
    // Only a link can supply a real id to an interview operation in this run (it binds none).
    let known = [&w.live, &w.done, &w.to_complete, &w.to_upload, &w.to_delete];
    let linked = har_entries(&dir.join("run.har"))
        .iter()
        .filter(|(_, u, s)| (200..300).contains(s) && !known.iter().any(|id| u.contains(id.as_str())))
        .filter(|(_, u, _)| {
            u.split('/')
                .skip_while(|p| *p != "interviews")
                .nth(1)
                .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
        })
        .count();
    assert!(linked > 0, "no interview operation followed a link from a started interview:\n{stdout}");
    clean(&dir);

    // 3. An admin over the staff operations and the reads staff may make, real ids.
    let mut bindings: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    bindings.insert(
        &w.live,
        vec![
            "recruiterInterview",
            "getInterview",
            "getInterviewStatus",
            "listMessages",
            "transcript",
            "videoGet",
            "videoStream",
            "interviewAudio",
        ],
    );
    bindings.insert(&w.done, vec!["getAssessment"]);
    bindings.insert(&w.candidate_id, vec!["recruiterCandidate"]);
    bindings.insert(&w.victim_id, vec!["updateUser"]);
    bindings.insert(&w.resume, vec!["getResume", "getResumeFeedback"]);
    bindings.insert(&w.pending_resume, vec!["approveResumeFeedback"]);
    let staff_operations: Vec<&str> = ["recruiterCandidates", "recruiterInterviews", "recruiterStats"]
        .into_iter()
        .chain(["recruiterFeedback", "createStaffUser"])
        .chain(bindings.values().flatten().copied())
        .collect();
    let dir = scratch("staff");
    std::fs::write(dir.join("schemathesis.toml"), config(&w.admin, &bindings)).expect("config");
    let mut args = vec!["--phases", "examples,coverage,fuzzing", "--report-har-path", "run.har"];
    for op in &staff_operations {
        args.extend(["--include-operation-id", op]);
    }
    run(&dir, app.server, &args);
    let entries = har_entries(&dir.join("run.har"));
    assert_reached(
        &entries,
        app.server,
        &[
            ("GET", format!("/api/v1/recruiter/interviews/{live}")),
            ("GET", format!("/api/v1/recruiter/candidates/{}", w.candidate_id)),
            ("PATCH", format!("/api/v1/admin/users/{}", w.victim_id)),
            ("GET", format!("/api/v1/interviews/{live}/transcript")),
            ("GET", format!("/api/v1/interviews/{done}/assessment")),
            ("GET", format!("/api/v1/resumes/{resume}/feedback")),
            ("POST", format!("/api/v1/resumes/{}/feedback/approve", w.pending_resume)),
        ],
    );
    clean(&dir);
    eprintln!("fuzz test took {:.1} s", started.elapsed().as_secs_f64());
}

/// Found by the staff run: D1 refuses `LIKE` patterns over 50 bytes, so a long candidate search
/// answered 500. Any documented `q` (up to 100 characters, wildcards literal) answers 200.
#[tokio::test]
async fn long_candidate_searches_answer_200_and_match_literally() {
    let app = app();
    let admin = app.admin().await;
    let marker = format!("Zed_{}%", &unique()[..12]);
    let (_, id) = app.candidate_with_id(&format!("Long {marker} Search")).await;
    let search = |q: String| {
        let admin = admin.clone();
        async move {
            let req = app.request(Method::GET, "/api/v1/recruiter/candidates", &admin);
            send(req.query(&[("q", q.as_str()), ("limit", "100")])).await
        }
    };
    let ids = |v: &Value| -> Vec<String> {
        v["candidates"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    for q in ["0".repeat(100), "%_\\".repeat(33), "é".repeat(100)] {
        let (status, body) = search(q.clone()).await;
        assert_eq!(status, 200, "q of {} chars: {body}", q.chars().count());
        assert!(ids(&body).is_empty(), "nothing matches {q}");
    }
    let (status, body) = search(marker.to_uppercase()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), vec![id], "case-insensitive, `_` and `%` literal");
    let (_, body) = search(marker.replace('_', "x")).await;
    assert!(ids(&body).is_empty(), "`_` is no wildcard");
    let (status, _) = search("a".repeat(101)).await;
    assert_eq!(status, 422, "over 100 characters");
}
