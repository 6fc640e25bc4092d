//! The web client in a real browser: playwright-core (npm, pinned) drives Debian's Chromium
//! (`/usr/bin/chromium`, installed by `scripts/setup`) headless with fake media devices against a
//! `wrangler dev` serving the pages (Workers Static Assets) and the API from one Worker. Each
//! scenario is a Node script under `tests/browser/`; it fails on any console error, uncaught page
//! error or failed request. `WEB_SCREENSHOTS=<dir>` makes the scripts save desktop and phone
//! screenshots of every page (`scripts/screenshots` refreshes `docs/screenshots/`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Server, TestApp};

fn app() -> TestApp {
    TestApp::with(&[
        // Short interviews so the text scenario reaches automatic completion quickly.
        ("MIN_QUESTIONS", "3"),
        ("MAX_QUESTIONS", "4"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
        ("STARTS_PER_HOUR", "1000"),
        ("AUTH_IP_RATE_PER_MINUTE", "100000"),
    ])
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `node tests/browser/<script> <base_url>` and fails with its output unless it succeeds.
fn run_scenario(script: &str, server: &Server, env: &[(&str, &str)]) {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup (it installs Debian's chromium)"
    );
    assert!(
        root().join("web/dist/index.html").exists(),
        "web/dist is missing: run scripts/build (or scripts/build-web)"
    );
    let mut cmd = Command::new(root().join("node_modules/.bin/node"));
    cmd.arg(root().join("tests/browser").join(script)).arg(&server.base_url).current_dir(root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "browser scenario {script} failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|l| l == "ok"),
        "browser scenario {script} did not finish:\n{stdout}\n{stderr}"
    );
}

/// The client's TypeScript type-checks strictly (esbuild only strips types).
#[test]
fn web_client_typechecks() {
    let out = Command::new(root().join("node_modules/.bin/node"))
        .arg(root().join("node_modules/typescript/bin/tsc"))
        .args(["-p", "web"])
        .current_dir(root())
        .output()
        .expect("run tsc");
    assert!(
        out.status.success(),
        "tsc -p web failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Register, tech check, a full text interview to automatic completion with a reload in the
/// middle, the results page with its chart and evidence links, and a recruiter finding the
/// interview by filter and reading its assessment. No console errors anywhere.
#[tokio::test]
async fn text_interview_results_and_recruiter_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    run_scenario("text_interview.mjs", app.server, &[("RECRUITER_TOKEN", &admin)]);
}

/// The voice and video clients against mocked realtime/video endpoints (playwright routing; the
/// rest is the real server): ticket then WebSocket without the token, hold-to-speak PCM16 at
/// 24 kHz from the AudioWorklet, commit, captions, reconnect with a new ticket; a recording from
/// the fake camera uploaded after one dropped attempt (resumed via /upload-status), finalized.
#[tokio::test]
async fn voice_and_video_clients_against_mocked_endpoints_in_chromium() {
    run_scenario("media_mocked.mjs", app().server, &[]);
}

/// A video recorded with the fake camera during an interview (with consent), uploaded in chunks
/// with progress and finalised, then played back in the recruiter view.
#[tokio::test]
async fn video_record_upload_and_recruiter_playback_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    run_scenario("video.mjs", app.server, &[("RECRUITER_TOKEN", &admin)]);
}

/// The resume, feedback and realtime APIs for real: a candidate uploads a text resume and sees it
/// parsed with its skills, starts an interview with it and connects voice mode over the real
/// socket (ticket, `interview.state`, the question as a caption; audio refused with
/// `voice_unavailable` by the built-in provider while typed answers go on); a recruiter sees the
/// resume on the interview, edits and approves the pending feedback; the candidate then reads the
/// edited feedback.
#[tokio::test]
async fn resume_upload_feedback_approval_and_realtime_socket_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    run_scenario("resumes.mjs", app.server, &[("RECRUITER_TOKEN", &admin)]);
}
