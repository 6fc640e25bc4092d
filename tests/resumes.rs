//! Résumés and their feedback (docs/resumes.md) against the real stack: upload by magic bytes,
//! parsing off the request path with retries, feedback approval and cron auto-send through the
//! delivery outbox, the HMAC-signed webhook (checked by a receiver in this test), access rules,
//! and interviews tailored by the parsed résumé.
//!
//! The HMAC is recomputed here with the `hmac` + `sha2` crates (dev-dependencies only).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::hooks::{self, Hook, Receiver};
use common::{d1_query, unique, TestApp};
use hmac::{Hmac, Mac};
use interview_edge::domain::enums::RoleType;
use interview_edge::domain::interviewer::tailor_skill_areas;
use interview_edge::domain::resume::fixtures::{tiny_docx, tiny_pdf};
use interview_edge::domain::resume::{extract_text, ResumeKind};
use serde_json::{json, Value};

const SECRET: &str = "webhook-test-secret-5b1f0c";
const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";

/// One request the webhook receiver got.
/// This binary's feedback receiver: failures are counted per résumé.
fn receiver() -> &'static Receiver {
    static RECEIVER: OnceLock<&'static Receiver> = OnceLock::new();
    RECEIVER.get_or_init(|| {
        hooks::start("/hooks/feedback", |v| v["resume_id"].as_str().unwrap_or_default().to_owned(), 500)
    })
}

fn hooks_for(resume_id: &str) -> Vec<Hook> {
    receiver().hooks(|v| v["resume_id"] == resume_id)
}

/// The shared app: webhook to this binary's receiver, default 4 h auto-send.
fn app() -> TestApp {
    let hook = receiver();
    TestApp::with(&[("FEEDBACK_WEBHOOK_URL", &hook.url), ("FEEDBACK_WEBHOOK_SECRET", SECRET)])
}

/// A second app whose feedback is due at once (`FEEDBACK_AUTO_SEND_HOURS=0`), no webhook.
fn auto_send_app() -> TestApp {
    TestApp::with(&[("FEEDBACK_AUTO_SEND_HOURS", "0")])
}

async fn upload(app: TestApp, token: &str, bytes: &[u8], file_name: &str) -> (u16, Value) {
    app.upload_resume(token, bytes, file_name, "application/octet-stream").await
}

/// Uploads and returns the résumé id (asserting the 202 shape).
async fn upload_ok(app: TestApp, token: &str, bytes: &[u8], file_name: &str) -> String {
    let (status, v) = upload(app, token, bytes, file_name).await;
    assert_eq!(status, 202, "upload {file_name}: {v}");
    assert_eq!(v["parsing_status"], "pending");
    v["resume_id"].as_str().expect("resume_id").to_owned()
}

/// Polls the résumé until `done` holds (30 s at most).
async fn wait_resume(app: TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, v) = app.get(token, &format!("/api/v1/resumes/{id}")).await;
        assert_eq!(status, 200, "{v}");
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "résumé never reached the expected state: {v}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn wait_parsed(app: TestApp, token: &str, id: &str) -> Value {
    let v = wait_resume(app, token, id, |v| {
        v["parsing_status"] == "completed" || v["parsing_status"] == "failed"
    })
    .await;
    assert_eq!(v["parsing_status"], "completed", "{v}");
    v
}

async fn run_cron(app: TestApp) {
    let (status, _) = app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    assert!((200..300).contains(&status), "cron trigger: {status}");
}

fn skills(resume: &Value) -> Vec<String> {
    serde_json::from_value(resume["parsed_data"]["skills"].clone()).expect("skills")
}

fn verify_signature(hook: &Hook) {
    let timestamp = hook.headers.get("x-feedback-timestamp").expect("timestamp header");
    let signature = hook.headers.get("x-feedback-signature").expect("signature header");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{}", hook.body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, &format!("sha256={expected}"), "signature over timestamp.body");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let ts: u64 = timestamp.parse().expect("numeric timestamp");
    assert!(ts.abs_diff(now) < 300, "timestamp is current");
    // A tampered body does not verify.
    let mut tampered = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    tampered.update(format!("{timestamp}.{}x", hook.body).as_bytes());
    let other: String = tampered.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(signature, &format!("sha256={other}"));
}

#[tokio::test]
async fn pdf_docx_and_text_resumes_are_parsed_into_the_skills_they_mention() {
    let app = app();
    let (token, me) = app.candidate_with_id("Pat Parser").await;
    let pdf = tiny_pdf(
        "Pat Parser\nBackend engineer, 6 years\nSkills: Django, PostgreSQL, Docker\nBSc Computer Science",
    );
    let docx =
        tiny_docx("Pat Parser\nFrontend developer\nBuilt apps with React and TypeScript, tested with Jest");
    let text = b"Pat Parser\nData engineer\nPython, FastAPI, Kubernetes\n".to_vec();
    let cases: [(&[u8], &str, &str, &[&str]); 3] = [
        (&pdf, "cv.pdf", "application/pdf", &["Django", "PostgreSQL", "Docker"]),
        (
            &docx,
            "cv.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &["React", "TypeScript", "Jest"],
        ),
        (&text, "cv.txt", "text/plain", &["Python", "FastAPI", "Kubernetes"]),
    ];
    let mut ids = Vec::new();
    for (bytes, name, content_type, expected) in cases {
        let id = upload_ok(app, &token, bytes, name).await;
        let v = wait_parsed(app, &token, &id).await;
        let found = skills(&v);
        for skill in expected {
            assert!(found.iter().any(|s| s == skill), "{name}: {skill} missing from {found:?}");
        }
        assert!(!found.iter().any(|s| s == "Redux"), "{name}: a skill it never mentions: {found:?}");
        assert_eq!(v["content_type"], content_type);
        assert_eq!(v["file_name"], name);
        assert_eq!(v["candidate_id"], me.as_str());
        assert_eq!(v["parse_attempts"], 1);
        assert!(v["parsing_error"].is_null());
        for key in ["experience_years", "education", "previous_roles", "technical_domains"] {
            assert!(v["parsed_data"].get(key).is_some(), "{name}: parsed_data.{key}");
        }
        ids.push(id);
    }
    let (status, list) = app.get(&token, "/api/v1/resumes").await;
    assert_eq!(status, 200);
    assert_eq!(list["total_count"], 3);
    let listed: Vec<&str> =
        list["resumes"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in &ids {
        assert!(listed.contains(&id.as_str()));
    }
    let rows = d1_query(app.server, &format!("SELECT storage_path FROM resumes WHERE id = '{}'", ids[0]));
    assert_eq!(rows[0]["storage_path"], format!("resumes/{me}/{}", ids[0]));
}

#[tokio::test]
async fn wrong_types_are_415_and_oversized_files_413() {
    let app = app();
    let (token, _) = app.candidate_with_id("Una Supported").await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let (status, body) = upload(app, &token, &png, "cv.pdf").await;
    assert_eq!(status, 415, "a PNG named .pdf is refused by its bytes");
    assert_eq!(body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let (status, body) = upload(app, &token, &big, "cv.txt").await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    let (status, _) = app.post(&token, "/api/v1/resumes", &json!({"file": "x"})).await;
    assert_eq!(status, 415, "JSON is not an upload");
    let (_, list) = app.get(&token, "/api/v1/resumes").await;
    assert_eq!(list["total_count"], 0, "nothing refused was stored");
    let exact = vec![b'a'; 10 * 1024 * 1024];
    assert_eq!(upload(app, &token, &exact, "cv.txt").await.0, 202, "exactly 10 MiB is accepted");
}

#[tokio::test]
async fn another_candidate_gets_404_and_candidates_cannot_approve() {
    let app = app();
    let (alice, _) = app.candidate_with_id("Alice Owner").await;
    let (bob, _) = app.candidate_with_id("Bob Other").await;
    let id = upload_ok(app, &alice, b"Alice\nRust and Go developer\n", "a.txt").await;
    wait_parsed(app, &alice, &id).await;
    for path in [format!("/api/v1/resumes/{id}"), format!("/api/v1/resumes/{id}/feedback")] {
        let (status, v) = app.get(&bob, &path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(v["error"]["code"], "NOT_FOUND");
    }
    let (_, list) = app.get(&bob, "/api/v1/resumes").await;
    assert_eq!(list["total_count"], 0);
    let (status, _) = app.post(&alice, &format!("/api/v1/resumes/{id}/feedback/approve"), &json!({})).await;
    assert_eq!(status, 403, "candidates cannot approve feedback");
    let (status, _) = app.get(&alice, "/api/v1/recruiter/feedback").await;
    assert_eq!(status, 403);
    for bad in ["not-a-uuid", &uuid::Uuid::new_v4().to_string()] {
        assert_eq!(app.get(&alice, &format!("/api/v1/resumes/{bad}")).await.0, 404);
    }
    // Another candidate's résumé cannot tailor an interview either.
    let (status, v) =
        app.post(&bob, "/api/v1/interviews/start", &json!({"role_type": "python", "resume_id": id})).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["details"][0]["field"], "resume_id");
}

#[tokio::test]
async fn a_corrupt_pdf_ends_failed_after_three_attempts_with_a_reason() {
    let app = app();
    let (token, _) = app.candidate_with_id("Cora Rupt").await;
    let mut corrupt = tiny_pdf("Skills: Django");
    corrupt.truncate(corrupt.len() / 2);
    corrupt.extend_from_slice(b"\nthis is not PDF any more");
    let expected = extract_text(ResumeKind::Pdf, &corrupt).expect_err("corrupt");
    let id = upload_ok(app, &token, &corrupt, "broken.pdf").await;
    let first = wait_resume(app, &token, &id, |v| v["parsing_status"] == "failed").await;
    let attempts = first["parse_attempts"].as_u64().unwrap();
    assert!((1..=3).contains(&attempts), "{first}");
    assert_eq!(first["will_retry"], attempts < 3, "a failed parse with attempts left is retried");
    let deadline = Instant::now() + Duration::from_secs(60);
    let last = loop {
        run_cron(app).await;
        let (_, v) = app.get(&token, &format!("/api/v1/resumes/{id}")).await;
        if v["parse_attempts"] == 3 && v["parsing_status"] == "failed" {
            break v;
        }
        assert!(Instant::now() < deadline, "never reached 3 attempts: {v}");
    };
    assert_eq!(last["will_retry"], false);
    assert_eq!(last["parsing_error"]["code"], expected.code());
    assert_eq!(last["parsing_error"]["reason"], expected.to_string());
    assert!(last["parsed_data"].is_null());
    run_cron(app).await;
    let (_, after) = app.get(&token, &format!("/api/v1/resumes/{id}")).await;
    assert_eq!(after["parse_attempts"], 3, "no fourth attempt");
    assert_eq!(after["parsing_status"], "failed");
    assert_eq!(app.get(&token, &format!("/api/v1/resumes/{id}/feedback")).await.0, 404);
    let runs = d1_query(app.server, "SELECT COUNT(*) AS n FROM job_runs WHERE job = 'resume_jobs'");
    assert!(runs[0]["n"].as_u64().unwrap() >= 2, "the cron records its runs");
}

#[tokio::test]
async fn staff_approve_an_edit_which_is_delivered_signed_and_then_visible() {
    let app = app();
    let (token, _) = app.candidate_with_id("Fay Feedback").await;
    let admin = app.admin().await;
    let id = upload_ok(app, &token, b"Fay Feedback\nJavaScript developer\nSkills: React, Node.js\n", "f.txt")
        .await;
    wait_parsed(app, &token, &id).await;
    let path = format!("/api/v1/resumes/{id}/feedback");
    let staff_view = app.wait_ok(&admin, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(staff_view["status"], "pending_approval");
    assert!(staff_view["feedback_content"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(staff_view["identified_gaps"].is_array());
    assert!(staff_view["recommended_resources"].is_array());
    let created = chrono_ms(staff_view["created_at"].as_str().unwrap());
    let auto = chrono_ms(staff_view["auto_send_at"].as_str().unwrap());
    assert_eq!(auto - created, 4 * 3_600_000, "auto_send_at = created + 4 h");
    let (status, v) = app.get(&token, &path).await;
    assert_eq!(status, 404, "the candidate does not see unsent feedback");
    assert!(v["error"]["message"].as_str().unwrap().contains("not available yet"));
    let (_, pending) = app.get(&admin, "/api/v1/recruiter/feedback?status=pending_approval&limit=100").await;
    let listed = pending["feedback"].as_array().unwrap().iter().find(|f| f["resume_id"] == id.as_str());
    let listed = listed.expect("listed for review");
    assert_eq!(listed["candidate_name"], "Fay Feedback");
    assert_eq!(listed["file_name"], "f.txt");
    let (_, resume) = app.get(&token, &format!("/api/v1/resumes/{id}")).await;
    assert!(resume["feedback_sent_at"].is_null(), "nothing sent yet: {resume}");
    let (status, _) = app.get(&admin, "/api/v1/recruiter/feedback?status=bogus").await;
    assert_eq!(status, 422);
    // Viewers read staff views but cannot approve.
    let viewer_email = format!("viewer-{}@example.com", unique());
    let (status, _) = app.post(&admin, "/api/v1/admin/users", &json!({"email": viewer_email, "password": common::PASSWORD, "full_name": "Vic Viewer", "role": "viewer"}))
    .await;
    assert_eq!(status, 201);
    let viewer = app.login(&viewer_email).await;
    assert_eq!(app.get(&viewer, &path).await.0, 200);
    let (status, _) = app.post(&viewer, &format!("{path}/approve"), &json!({})).await;
    assert_eq!(status, 403, "viewers are read-only");
    // A cron run before approval sends nothing (not due for 4 h).
    run_cron(app).await;
    assert_eq!(app.get(&token, &path).await.0, 404);

    let edited = format!("Edited by a recruiter {}", unique());
    let (status, approved) =
        app.post(&admin, &format!("{path}/approve"), &json!({"feedback_content": edited})).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["feedback_content"], edited.as_str());
    assert!(approved["status"] == "approved" || approved["status"] == "sent");
    assert!(approved["approved_by"].is_string());
    let seen = app.wait_ok(&token, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(seen["status"], "sent");
    assert_eq!(seen["feedback_content"], edited.as_str());
    assert!(seen.get("approved_by").is_none(), "the candidate view has no staff fields");
    assert!(seen.get("candidate_name").is_none(), "the candidate view has no staff fields");
    let (_, resume) = app.get(&token, &format!("/api/v1/resumes/{id}")).await;
    assert_eq!(resume["feedback_sent_at"], seen["sent_at"], "the resume says when its feedback was sent");
    let (_, list) = app.get(&token, "/api/v1/resumes").await;
    assert_eq!(list["resumes"][0]["feedback_sent_at"], seen["sent_at"]);

    let hooks = wait_hooks(&id, 1).await;
    let hook = &hooks[0];
    verify_signature(hook);
    let payload: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(payload["event"], "resume_feedback.sent");
    assert_eq!(payload["feedback_content"], edited.as_str());
    assert_eq!(payload["approved"], true);
    assert_eq!(hook.headers.get("x-feedback-delivery").map(String::as_str), payload["delivery_id"].as_str());

    let (status, _) =
        app.post(&admin, &format!("{path}/approve"), &json!({"feedback_content": "too late"})).await;
    assert_eq!(status, 422, "sent feedback cannot be edited");
    let (status, again) = app.post(&admin, &format!("{path}/approve"), &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(again["status"], "sent");
    assert_eq!(again["feedback_content"], edited.as_str());
    let staff_view = app.wait_ok(&admin, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(staff_view["delivery"]["status"], "delivered");
    assert_eq!(wait_hooks(&id, 1).await.len(), 1, "delivered once");
}

#[tokio::test]
async fn a_failing_webhook_is_retried_and_the_candidate_sees_the_feedback_meanwhile() {
    let app = app();
    let (token, _) = app.candidate_with_id("Rita Retry").await;
    let admin = app.admin().await;
    let id = upload_ok(app, &token, b"Rita Retry\nPython developer\nSkills: Django, pytest\n", "r.txt").await;
    wait_parsed(app, &token, &id).await;
    let path = format!("/api/v1/resumes/{id}/feedback");
    let feedback = app.wait_ok(&admin, &path, Duration::from_secs(20), &[404]).await;
    receiver().fail_next(&id, 2);
    let (status, _) = app.post(&admin, &format!("{path}/approve"), &json!({})).await;
    assert_eq!(status, 200);
    wait_hooks(&id, 1).await;
    let seen = app.wait_ok(&token, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(seen["status"], "sent", "visible although the webhook failed");
    let fid = feedback["id"].as_str().unwrap();
    for attempt in 1..=2 {
        let delivery =
            wait_delivery(app, &admin, &path, |d| d["attempts"] == attempt && !d["last_error"].is_null())
                .await;
        assert_eq!(delivery["status"], "pending", "retrying after attempt {attempt}");
        assert_eq!(delivery["last_error"], "HTTP 500");
        // Not due yet: a cron run now does not retry.
        if attempt == 1 {
            run_cron(app).await;
            assert_eq!(hooks_for(&id).len(), 1, "backoff: no retry before next_attempt_at");
        }
        // Skip the backoff wait.
        d1_query(
            app.server,
            &format!(
                "UPDATE feedback_deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE feedback_id = '{fid}'"
            ),
        );
        run_cron(app).await;
    }
    let delivery = wait_delivery(app, &admin, &path, |d| d["status"] == "delivered").await;
    assert_eq!(delivery["attempts"], 3);
    let hooks = wait_hooks(&id, 3).await;
    assert_eq!(hooks.len(), 3);
    let delivery_ids: Vec<_> = hooks.iter().map(|h| h.headers.get("x-feedback-delivery").cloned()).collect();
    assert!(delivery_ids.windows(2).all(|w| w[0] == w[1]), "one delivery id across retries");
    hooks.iter().for_each(verify_signature);
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_given_up_after_five_attempts() {
    let app = app();
    let (token, _) = app.candidate_with_id("Gus Giveup").await;
    let admin = app.admin().await;
    let id = upload_ok(app, &token, b"Gus Giveup\nGo developer\nSkills: Go, Redis\n", "g.txt").await;
    wait_parsed(app, &token, &id).await;
    let path = format!("/api/v1/resumes/{id}/feedback");
    let feedback = app.wait_ok(&admin, &path, Duration::from_secs(20), &[404]).await;
    let fid = feedback["id"].as_str().unwrap();
    receiver().fail_next(&id, 100);
    assert_eq!(app.post(&admin, &format!("{path}/approve"), &json!({})).await.0, 200);
    for attempt in 1..=4 {
        wait_delivery(app, &admin, &path, |d| d["attempts"] == attempt && !d["last_error"].is_null()).await;
        d1_query(
            app.server,
            &format!(
                "UPDATE feedback_deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE feedback_id = '{fid}'"
            ),
        );
        run_cron(app).await;
    }
    let delivery = wait_delivery(app, &admin, &path, |d| d["status"] == "failed").await;
    assert_eq!(delivery["attempts"], 5);
    assert_eq!(delivery["last_error"], "HTTP 500");
    d1_query(
        app.server,
        &format!("UPDATE feedback_deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE feedback_id = '{fid}'"),
    );
    run_cron(app).await;
    assert_eq!(hooks_for(&id).len(), 5, "no sixth attempt");
    let seen = app.wait_ok(&token, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(seen["status"], "sent", "the candidate sees it whatever the webhook does");
}

#[tokio::test]
async fn unapproved_feedback_is_auto_sent_by_the_cron() {
    let app = auto_send_app();
    let (token, _) = app.candidate_with_id("Otto Auto").await;
    let id =
        upload_ok(app, &token, b"Otto Auto\nFull-stack developer\nNode.js, PostgreSQL, Docker\n", "o.txt")
            .await;
    wait_parsed(app, &token, &id).await;
    let path = format!("/api/v1/resumes/{id}/feedback");
    // Created but not sent until the cron runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows =
            d1_query(app.server, &format!("SELECT status FROM resume_feedback WHERE resume_id = '{id}'"));
        if let Some(row) = rows.first() {
            assert_eq!(row["status"], "pending_approval");
            break;
        }
        assert!(Instant::now() < deadline, "no feedback created");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(app.get(&token, &path).await.0, 404);
    run_cron(app).await;
    let seen = app.wait_ok(&token, &path, Duration::from_secs(20), &[404]).await;
    assert_eq!(seen["status"], "sent");
    let rows = d1_query(
        app.server,
        &format!(
            "SELECT f.approved_at, f.sent_at, d.status AS delivery FROM resume_feedback f \
             JOIN feedback_deliveries d ON d.feedback_id = f.id WHERE f.resume_id = '{id}'"
        ),
    );
    assert!(rows[0]["approved_at"].is_null(), "sent without approval");
    assert!(rows[0]["sent_at"].is_string());
    assert_eq!(rows[0]["delivery"], "delivered", "no webhook configured: delivered to the API only");
}

#[tokio::test]
async fn an_interview_started_with_a_resume_asks_about_its_skills_first() {
    let app = app();
    let (token, _) = app.candidate_with_id("Ivy Interview").await;
    let id = upload_ok(
        app,
        &token,
        b"Ivy Interview\nPython engineer\nBuilt services with asyncio; wrote tests with pytest\n",
        "ivy.txt",
    )
    .await;
    let resume = wait_parsed(app, &token, &id).await;
    let areas = tailor_skill_areas(RoleType::Python, &skills(&resume));
    assert_eq!(areas[0], "concurrency_async", "asyncio names the concurrency area: {areas:?}");
    // Without a résumé the first area rotates with the interview id (1 in 6 each); with it, every
    // interview opens on the résumé's area.
    for _ in 0..3 {
        let (status, started) = app
            .post(&token, "/api/v1/interviews/start", &json!({"role_type": "python", "resume_id": id}))
            .await;
        assert_eq!(status, 201, "{started}");
        assert_eq!(started["first_question"]["skill_area"], areas[0].as_str());
        assert!(started["first_question"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

fn chrono_ms(text: &str) -> i64 {
    interview_edge::domain::time::parse_rfc3339_ms(text).expect("timestamp")
}

/// Waits until the receiver has at least `n` requests about the résumé (20 s at most).
async fn wait_hooks(resume_id: &str, n: usize) -> Vec<Hook> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let hooks = hooks_for(resume_id);
        if hooks.len() >= n {
            return hooks;
        }
        assert!(Instant::now() < deadline, "webhook got {} of {n} requests", hooks.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls the staff view's delivery row until `done` holds (20 s at most).
async fn wait_delivery(app: TestApp, admin: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = app.get(admin, path).await;
        if done(&v["delivery"]) {
            return v["delivery"].clone();
        }
        assert!(Instant::now() < deadline, "delivery never reached the expected state: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
