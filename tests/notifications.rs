//! Email notifications end to end against `wrangler dev` (docs/email.md#notifications):
//! reminders to invited candidates who have not started, completion notices to the job's
//! recruiters, each landing exactly once however often (and however concurrently) the cron
//! runs; unsubscribing stops reminders; the invitation and the interview's hiring view list their
//! messages; a failing mail provider's failures show there.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::app::error_code;
use common::fake_mail::fake_mail_api;
use common::{unique, TestApp};
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";
/// Every fresh invitation is due a reminder (its link expires within the window).
const REMIND_NOW: (&str, &str) = ("INVITE_REMINDER_HOURS", "100000");

async fn open_job(app: &TestApp, recruiter: &str, title: &str) -> String {
    let (status, job) = app
        .post(recruiter, "/api/v1/jobs", &json!({"title": title, "role_family": "python", "status": "open"}))
        .await;
    assert_eq!(status, 201, "job: {job}");
    job["id"].as_str().expect("job id").to_owned()
}

/// Invites `email` to `job`: (invitation id, token).
async fn invite(app: &TestApp, recruiter: &str, job: &str, email: &str) -> (String, String) {
    let (status, body) =
        app.post(recruiter, &format!("/api/v1/jobs/{job}/invitations"), &json!({ "emails": [email] })).await;
    assert_eq!(status, 201, "{body}");
    let invitation = &body["invitations"][0];
    let link = invitation["link"].as_str().expect("link");
    let token = link.rsplit("/invite/").next().expect("token").to_owned();
    (invitation["id"].as_str().expect("id").to_owned(), token)
}

async fn cron(app: &TestApp) {
    let (status, _) = app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    assert_eq!(status, 200);
}

/// Runs the cron twice in a row, then three times at once.
async fn cron_repeatedly(app: &TestApp) {
    cron(app).await;
    cron(app).await;
    tokio::join!(cron(app), cron(app), cron(app));
}

/// The dev mailbox's messages to `to` of `kind`.
async fn mails(app: &TestApp, to: &str, kind: &str) -> Vec<Value> {
    let (status, body) = app.get("", &format!("/api/v1/dev/mailbox?to={to}")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).cloned().collect()
}

fn kinds(notifications: &Value) -> Vec<(String, String)> {
    notifications
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| (n["kind"].as_str().unwrap().to_owned(), n["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn reminders_and_completion_notices_land_exactly_once_and_unsubscribing_stops_reminders() {
    let app = TestApp::with(&[("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0"), REMIND_NOW]);
    let admin = app.admin_of_new_org(&format!("Notify Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let outsider = app.admin_of_new_org(&format!("Other Co {}", unique())).await;
    let job = open_job(&app, &recruiter, "Python engineer").await;
    let run = unique();
    let (ada, carl, dan) = (
        format!("ada-{run}@example.com"),
        format!("carl-{run}@example.com"),
        format!("dan-{run}@example.com"),
    );
    let (ada_id, _) = invite(&app, &recruiter, &job, &ada).await;
    let (carl_id, _) = invite(&app, &recruiter, &job, &carl).await;
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{carl_id}/revoke")).await;
    assert_eq!(status, 200);
    // Dan starts and completes the interview.
    let (dan_id, dan_token) = invite(&app, &recruiter, &job, &dan).await;
    let candidate = app.register_as(&dan, "Dan Brown").await;
    let (status, started) =
        app.post(&candidate.token, &format!("/api/v1/invite/{dan_token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");
    let interview = started["id"].as_str().expect("interview id").to_owned();
    let answer = "A generator yields values lazily, one at a time, so memory stays flat.";
    app.complete_assessed(&candidate.token, &interview, answer).await;

    cron_repeatedly(&app).await;

    // Ada (invited, not started) is reminded once; revoked and started invitations are not.
    let reminders = mails(&app, &ada, "invitation_reminder").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert!(reminders[0]["subject"].as_str().unwrap().contains("Python engineer"));
    assert!(mails(&app, &carl, "invitation_reminder").await.is_empty());
    assert!(mails(&app, &dan, "invitation_reminder").await.is_empty());

    // The recruiter (who invited, and created the job) is told once that Dan completed: name,
    // job and a link, never the answers.
    let recruiter_email =
        app.get(&recruiter, "/api/v1/auth/me").await.1["email"].as_str().unwrap().to_owned();
    let notices = mails(&app, &recruiter_email, "interview_completed").await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (subject, text) = (notices[0]["subject"].as_str().unwrap(), notices[0]["text"].as_str().unwrap());
    assert!(!subject.contains('\n') && !subject.contains('\r') && subject.contains("Dan Brown"), "{subject}");
    assert!(
        text.contains("Python engineer") && text.contains(&format!("/#/recruiter/interview/{interview}"))
    );
    assert!(!text.contains(answer));
    assert!(mails(&app, &admin_email(&app, &admin).await, "interview_completed").await.is_empty());

    // The timelines: the invitation's emails, and the interview's.
    let (status, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada_id}")).await;
    assert_eq!(status, 200, "{read}");
    let timeline = kinds(&read["notifications"]);
    assert_eq!(
        timeline,
        [("invitation".into(), "sent".into()), ("invitation_reminder".into(), "sent".into())],
        "{read}"
    );
    let first = &read["notifications"][1];
    assert!(
        first["attempts"] == 1 && first["sent_at"].is_string() && first["last_error"].is_null(),
        "{read}"
    );
    assert!(first.get("to").is_none() && first.get("body_text").is_none(), "no address nor content: {first}");
    let (status, hiring) =
        app.get(&recruiter, &format!("/api/v1/recruiter/interviews/{interview}/hiring")).await;
    assert_eq!(status, 200, "{hiring}");
    assert!(
        kinds(&hiring["notifications"]).contains(&("interview_completed".into(), "sent".into())),
        "{hiring}"
    );
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{dan_id}")).await;
    assert_eq!(kinds(&read["notifications"]).len(), 2, "the invitation and the completion notice: {read}");
    // Another organization sees none of it; a candidate is refused.
    let (status, _) = app.get(&outsider, &format!("/api/v1/invitations/{ada_id}")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&outsider, &format!("/api/v1/recruiter/interviews/{interview}/hiring")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&candidate.token, &format!("/api/v1/invitations/{ada_id}")).await;
    assert_eq!(status, 403);

    // Ada unsubscribes with the reminder's link (twice: idempotent); a later invitation of hers
    // gets its (essential) invitation email but no reminder. Unknown tokens are 404.
    let text = reminders[0]["text"].as_str().unwrap();
    let token = text.rsplit("/#/unsubscribe/").next().unwrap().trim().to_owned();
    for _ in 0..2 {
        let (status, body) = app.post_empty("", &format!("/api/v1/unsubscribe/{token}")).await;
        assert_eq!((status, &body), (200, &json!({"unsubscribed": true})));
    }
    for bad in ["not-a-token", &"A".repeat(43)] {
        let (status, body) = app.post_empty("", &format!("/api/v1/unsubscribe/{bad}")).await;
        assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "{body}");
    }
    let job2 = open_job(&app, &recruiter, "Data engineer").await;
    let (ada2_id, _) = invite(&app, &recruiter, &job2, &ada).await;
    cron_repeatedly(&app).await;
    assert_eq!(mails(&app, &ada, "invitation_reminder").await.len(), 1, "no second reminder");
    assert_eq!(mails(&app, &ada, "invitation").await.len(), 2, "invitations are essential");
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada2_id}")).await;
    assert_eq!(kinds(&read["notifications"]), [("invitation".into(), "sent".into())], "{read}");

    // A reminder queued before the address opted out is skipped, visibly.
    let eve = format!("eve-{run}@example.com");
    let (eve_id, _) = invite(&app, &recruiter, &job, &eve).await;
    common::d1_query(
        app.server,
        &format!(
            "INSERT INTO mail_optouts (token_hash, email, created_at, opted_out_at) VALUES \
             ('{}', '{eve}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            "e".repeat(64)
        ),
    );
    // The scan skips opted-out addresses; queue one as a race with the opt-out would have.
    common::d1_query(
        app.server,
        &format!(
            "INSERT INTO mail_outbox (id, kind, to_addr, subject, body_text, ref_id, dedupe_key, status, attempts, \
             next_attempt_at, created_at) VALUES ('{}', 'invitation_reminder', '{eve}', 'Reminder', 'x', \
             '{eve_id}', 'reminder:{eve_id}', 'pending', 0, '2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z')",
            uuid_like(&run)
        ),
    );
    cron_repeatedly(&app).await;
    assert!(mails(&app, &eve, "invitation_reminder").await.is_empty());
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{eve_id}")).await;
    assert!(
        kinds(&read["notifications"]).contains(&("invitation_reminder".into(), "skipped".into())),
        "{read}"
    );
}

async fn admin_email(app: &TestApp, admin: &str) -> String {
    app.get(admin, "/api/v1/auth/me").await.1["email"].as_str().unwrap().to_owned()
}

/// A 36-character id derived from `seed`.
fn uuid_like(seed: &str) -> String {
    let digits: String =
        seed.chars().filter(char::is_ascii_alphanumeric).chain(std::iter::repeat('0')).take(12).collect();
    format!("00000000-0000-4000-8000-{digits}")
}

#[tokio::test]
async fn a_failing_mail_provider_is_retried_and_its_failures_show_on_the_timeline() {
    let api = fake_mail_api();
    let url = api.url();
    let app = TestApp::with(&[
        ("MAILER", "http"),
        ("MAIL_API_URL", url.as_str()),
        ("MAIL_RETRY_BASE_SECS", "0"),
        REMIND_NOW,
    ]);
    let admin = app.admin().await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let job = open_job(&app, &recruiter, "Python engineer").await;
    let (flaky, bounce) =
        (format!("flaky-{}@example.com", unique()), format!("bounce-{}@example.com", unique()));
    let (flaky_id, _) = invite(&app, &recruiter, &job, &flaky).await;
    let (bounce_id, _) = invite(&app, &recruiter, &job, &bounce).await;
    let read = |id: String| {
        let app = &app;
        let recruiter = recruiter.clone();
        async move { app.get(&recruiter, &format!("/api/v1/invitations/{id}")).await.1 }
    };
    // The cron queues the reminders and retries until everything to the flaky address is sent.
    let mut done = Value::Null;
    for _ in 0..20 {
        cron(&app).await;
        done = read(flaky_id.clone()).await;
        let statuses = kinds(&done["notifications"]);
        if statuses.len() == 2 && statuses.iter().all(|(_, s)| s == "sent") {
            break;
        }
    }
    let statuses = kinds(&done["notifications"]);
    assert_eq!(statuses.len(), 2, "{done}");
    assert!(statuses.iter().all(|(_, s)| s == "sent"), "{done}");
    let attempts: u64 =
        done["notifications"].as_array().unwrap().iter().map(|n| n["attempts"].as_u64().unwrap()).sum();
    assert_eq!(attempts, 4, "two failures, then one success each: {done}");
    cron_repeatedly(&app).await;
    let accepted = api.accepted_for(&flaky);
    assert_eq!(accepted.len(), 2, "the invitation and the reminder, once each: {accepted:?}");
    // A refused reminder is given up at once, and the timeline says so.
    let bounced = read(bounce_id).await;
    let reminder = bounced["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "invitation_reminder")
        .cloned()
        .expect("a reminder");
    assert_eq!(
        (reminder["status"].as_str(), reminder["attempts"].as_u64()),
        (Some("failed"), Some(1)),
        "{bounced}"
    );
    assert!(reminder["last_error"].as_str().is_some_and(|e| e.contains("refused")), "{bounced}");
    assert!(reminder["sent_at"].is_null());
}

#[tokio::test]
async fn sent_resume_feedback_is_emailed_to_the_candidate_once() {
    let app = TestApp::with(&[("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0")]);
    let candidate = app.register("Fay Feedback").await;
    let admin = app.admin().await;
    let (status, body) = app
        .upload_resume(
            &candidate.token,
            b"Fay Feedback\nJavaScript developer\nSkills: React, Node.js\n",
            "f.txt",
            "application/octet-stream",
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["resume_id"].as_str().expect("resume_id").to_owned();
    let path = format!("/api/v1/resumes/{id}/feedback");
    app.wait_ok(&admin, &path, Duration::from_secs(60), &[404]).await;
    let edited = format!("Edited by a recruiter {}", unique());
    let (status, approved) =
        app.post(&admin, &format!("{path}/approve"), &json!({"feedback_content": edited})).await;
    assert_eq!(status, 200, "{approved}");
    let mut sent = Vec::new();
    for _ in 0..20 {
        cron_repeatedly(&app).await;
        sent = mails(&app, &candidate.email, "resume_feedback").await;
        if !sent.is_empty() {
            break;
        }
    }
    cron_repeatedly(&app).await;
    let sent_again = mails(&app, &candidate.email, "resume_feedback").await;
    assert_eq!(sent_again.len(), 1, "{sent_again:?}");
    assert_eq!(sent, sent_again);
    assert!(sent[0]["text"].as_str().unwrap().contains(&edited), "the feedback text is the content");
}
