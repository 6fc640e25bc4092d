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

use common::{d1_query, unique, Server, TestApp};
use serde_json::{json, Value};

fn app() -> TestApp {
    TestApp::with(&[
        // Short interviews so the text scenario reaches automatic completion quickly.
        ("MIN_QUESTIONS", "3"),
        ("MAX_QUESTIONS", "4"),
        ("ANSWER_RATE_BURST", "1000"),
        ("ANSWER_RATE_PER_MINUTE", "100000"),
        ("STARTS_PER_HOUR", "1000"),
        ("AUTH_IP_RATE_PER_MINUTE", "100000"),
        // The dev mailbox (`GET /api/v1/dev/mailbox`) for invitation emails, retried at once.
        ("MAILER", "dev"),
        ("MAIL_RETRY_BASE_SECS", "0"),
        // The webhooks scenario's receiver is a local http:// server.
        ("WEBHOOK_ALLOW_HTTP", "true"),
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

/// An open job of the default organization with three custom questions (created by `token`).
async fn open_job(app: &TestApp, token: &str, title: &str) -> String {
    let question = |text: &str, area: &str, level: &str, point: &str| json!({"text": text, "skill_area": area, "level": level, "rubric": [{"point": point}]});
    let body = json!({
        "title": title,
        "description": "Build and run the Python services behind our billing platform.",
        "role_family": "python",
        "skill_areas": ["data_model_types", "iteration_generators"],
        "questions": [
            question("What is the difference between a list and a tuple in Python?", "data_model_types", "warmup", "tuples are immutable"),
            question("How does a Python generator differ from a function returning a list?", "iteration_generators", "intermediate", "values are produced lazily"),
            question("How would you find a memory leak in a long-running Python service?", "data_model_types", "advanced", "compare heap snapshots"),
        ],
        "status": "open"
    });
    let (status, job) = app.post(token, "/api/v1/jobs", &body).await;
    assert_eq!(status, 201, "job: {job}");
    job["id"].as_str().expect("job id").to_owned()
}

/// Invites `emails` to `job`; returns the created invitations (with their one-time links).
async fn invite(app: &TestApp, token: &str, job: &str, emails: &[&str]) -> Vec<Value> {
    let (status, body) =
        app.post(token, &format!("/api/v1/jobs/{job}/invitations"), &json!({"emails": emails})).await;
    assert_eq!(status, 201, "invite: {body}");
    body["invitations"].as_array().expect("invitations").clone()
}

fn token_of(invitation: &Value) -> String {
    invitation["link"].as_str().expect("link").rsplit("/invite/").next().expect("token").to_owned()
}

/// The job editor: a new custom job with questions and rubric points, a field-named validation
/// error shown next to its field, then created; an edit saved as version 2; an edit from a stale
/// version refused with the conflict shown and the job reloaded; the job in the list.
#[tokio::test]
async fn job_editor_with_questions_validation_and_conflict_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    run_scenario("jobs_editor.mjs", app.server, &[("RECRUITER_TOKEN", &admin)]);
}

/// Invitations on the job page: a bulk paste with a repeated address (shown as skipped, the
/// links shown once), the list with statuses and send attempts, resend (a new link) and revoke.
#[tokio::test]
async fn job_invitations_bulk_skip_resend_and_revoke_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    let job = open_job(&app, &admin, "Billing engineer").await;
    run_scenario("invitations.mjs", app.server, &[("RECRUITER_TOKEN", &admin), ("JOB_ID", &job)]);
}

/// The candidate's landing page: the org, job title and description; registering with the
/// invited address (prefilled), accepting and landing on the interview's first question; then
/// the used, revoked, expired and other-address links each refused with their own message.
#[tokio::test]
async fn invitation_landing_register_accept_and_refusals_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    let job = open_job(&app, &admin, "Platform engineer").await;
    let (ada, other, revoked, expired) = (
        format!("ada-{}@example.com", unique()),
        format!("other-{}@example.com", unique()),
        format!("rev-{}@example.com", unique()),
        format!("exp-{}@example.com", unique()),
    );
    let invitations = invite(&app, &admin, &job, &[&ada, &other, &revoked, &expired]).await;
    let by = |email: &str| invitations.iter().find(|i| i["email"] == email).expect("invitation").clone();
    let (status, _) = app
        .post_empty(&admin, &format!("/api/v1/invitations/{}/revoke", by(&revoked)["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    let expired_id = by(&expired)["id"].as_str().unwrap().to_owned();
    d1_query(
        app.server,
        &format!("UPDATE invitations SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = '{expired_id}'"),
    );
    run_scenario(
        "invite_landing.mjs",
        app.server,
        &[
            ("INVITE_TOKEN", &token_of(&by(&ada))),
            ("INVITE_EMAIL", &ada),
            ("OTHER_TOKEN", &token_of(&by(&other))),
            ("REVOKED_TOKEN", &token_of(&by(&revoked))),
            ("EXPIRED_TOKEN", &token_of(&by(&expired))),
        ],
    );
}

/// A job's results: three invited candidates (two completed with assessments, one started),
/// sorted by the server on each column, and two of them compared side by side.
#[tokio::test]
async fn job_results_sorting_and_comparison_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    let job = open_job(&app, &admin, "Data engineer").await;
    let names = ["Alice Strong", "Bob Brief", "Carol Started"];
    let emails: Vec<String> = names.iter().map(|_| format!("cand-{}@example.com", unique())).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let invitations = invite(&app, &admin, &job, &refs).await;
    let mut interviews = Vec::new();
    for (i, (name, email)) in names.iter().zip(&emails).enumerate() {
        let account = app.register_as(email, name).await;
        let invitation = invitations.iter().find(|v| v["email"] == email.as_str()).expect("invitation");
        let (status, started) = app
            .post(&account.token, &format!("/api/v1/invite/{}/accept", token_of(invitation)), &json!({}))
            .await;
        assert_eq!(status, 201, "accept: {started}");
        let id = started["id"].as_str().expect("interview id").to_owned();
        if i < 2 {
            let answer = if i == 0 {
                "Tuples are immutable and hashable, so they can be dictionary keys; lists are mutable, \
                 can grow and shrink, and cost a little more memory. Use a tuple for fixed records."
            } else {
                "Not sure."
            };
            app.complete_assessed(&account.token, &id, answer).await;
        }
        interviews.push(id);
    }
    run_scenario(
        "job_results.mjs",
        app.server,
        &[("RECRUITER_TOKEN", &admin), ("JOB_ID", &job), ("INTERVIEW_IDS", &interviews.join(","))],
    );
}

/// The members page: the org's name and staff; an admin invites a viewer by email, the emailed
/// link (dev mailbox) opens the staff page where they set a password and are signed in; the
/// admin then makes them a recruiter and deactivates them.
/// The webhooks page against the real API: a refused URL named by field, the secret shown once,
/// a test event in the delivery log (delivered to the scenario's receiver, signed with that
/// secret), a rotation and a deactivation; then the messages to candidates page: an unknown
/// placeholder named by field, a message saved, the default restored.
#[tokio::test]
async fn webhooks_secret_test_event_delivery_log_and_decision_messages_in_chromium() {
    let app = app();
    let admin = app.admin_of_new_org(&format!("Hooks Co {}", unique())).await;
    run_scenario("webhooks.mjs", app.server, &[("ADMIN_TOKEN", &admin)]);
}

#[tokio::test]
async fn org_members_staff_invitation_and_role_change_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    run_scenario("members.mjs", app.server, &[("ADMIN_TOKEN", &admin)]);
}

/// The account page and links: sessions listed, the emailed verification link, a password change
/// (a wrong current password refused; the other session signed out), sign out everywhere, and a
/// password reset through `#/reset` and the emailed `#/reset/{token}` link.
#[tokio::test]
async fn account_sessions_password_change_verification_and_reset_in_chromium() {
    let app = app();
    run_scenario("account.mjs", app.server, &[]);
}

/// Privacy: a candidate's export requested, ready, downloaded and emailed; account deletion
/// refused with a wrong password and done with the right one; an org admin's retention periods.
#[tokio::test]
async fn privacy_export_account_deletion_and_retention_in_chromium() {
    let app = app();
    let admin = app.admin_of_new_org(&format!("Privacy Org {}", unique())).await;
    run_scenario("privacy.mjs", app.server, &[("ADMIN_TOKEN", &admin)]);
}

/// The hiring pages on one completed, assessed interview: decisions (a field-named error first,
/// then the history newest first), reviews with averaged 1–5 ratings, a score override beside the
/// original, all read-only for a viewer; the job results' CSV export downloaded; the printable
/// report with the cited answers, printed to PDF with nothing clipped; the audit trail listed,
/// filtered and exported.
#[tokio::test]
async fn hiring_decisions_export_report_and_audit_in_chromium() {
    let app = app();
    let admin = app.admin().await;
    let viewer = app.staff(&admin, "viewer").await;
    let job = open_job(&app, &admin, "Hiring engineer").await;
    let email = format!("hire-{}@example.com", unique());
    let invitations = invite(&app, &admin, &job, &[&email]).await;
    let account = app.register_as(&email, "Dana Hire").await;
    let (status, started) = app
        .post(&account.token, &format!("/api/v1/invite/{}/accept", token_of(&invitations[0])), &json!({}))
        .await;
    assert_eq!(status, 201, "accept: {started}");
    let id = started["id"].as_str().expect("interview id").to_owned();
    app.complete_assessed(
        &account.token,
        &id,
        "Tuples are immutable and hashable, so they can be dictionary keys; lists are mutable, can grow \
         and shrink, and cost a little more memory. Use a tuple for fixed records.",
    )
    .await;
    run_scenario(
        "hiring.mjs",
        app.server,
        &[("ADMIN_TOKEN", &admin), ("VIEWER_TOKEN", &viewer), ("JOB_ID", &job), ("INTERVIEW_ID", &id)],
    );
}
