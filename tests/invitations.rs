//! Invitations end to end against `wrangler dev` (docs/jobs.md#invitations, docs/email.md): a
//! recruiter invites emails to an open job; each gets a single-use link by email (here the dev
//! mailbox); the invited candidate registers, opens the link and starts exactly one interview
//! for the job; expired, revoked and used links and other addresses are refused; a failing mail
//! provider is retried and its failure shows on the invitation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::app::error_code;
use common::fake_mail::fake_mail_api;
use common::{d1_query, unique, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";
/// The dev mailbox, retries due at once (so a test can drive them with the cron), and a small
/// daily email quota per organization (the other tests stay well under it).
const DEV: &[(&str, &str)] =
    &[("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0"), ("INVITATION_EMAILS_PER_DAY", "40")];
/// `INVITATION_EMAILS_PER_DAY` above.
const EMAILS_PER_DAY: usize = 40;

fn job_body(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Build and run the Python services behind our billing platform.",
        "role_family": "python",
        "questions": [
            {"text": "What is the difference between a list and a tuple in Python?", "skill_area": "data_model_types",
             "level": "warmup", "rubric": [{"point": "tuples are immutable", "synonyms": ["cannot be changed", "immutable"]}]},
            {"text": "How does a Python generator differ from a function returning a list?", "skill_area": "iteration_generators",
             "level": "intermediate", "rubric": [{"point": "values are produced lazily", "synonyms": ["lazy", "on demand", "yield"]}]},
            {"text": "How would you find a memory leak in a long-running Python service?", "skill_area": "data_model_types",
             "level": "advanced", "rubric": [{"point": "compare heap snapshots", "synonyms": ["tracemalloc", "snapshot"]}]}
        ],
        "status": "open"
    })
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    common::app::send(app.request(Method::PATCH, path, token).json(body)).await
}

async fn open_job(app: &TestApp, recruiter: &str) -> String {
    let (status, job) = app.post(recruiter, "/api/v1/jobs", &job_body("Python engineer")).await;
    assert_eq!(status, 201, "job: {job}");
    job["id"].as_str().expect("job id").to_owned()
}

/// The token in an invitation link (`…/#/invite/{token}`).
fn token_of(link: &str) -> String {
    let token = link.rsplit("/invite/").next().expect("an invite link").to_owned();
    assert_eq!(token.len(), 43, "{link}");
    token
}

/// The dev mailbox's messages to `to`, waiting (and running the sender via the cron) until
/// there are `count`.
async fn mailbox(app: &TestApp, to: &str, count: usize) -> Vec<Value> {
    for _ in 0..40 {
        let (status, body) = app.get("", &format!("/api/v1/dev/mailbox?to={to}")).await;
        assert_eq!(status, 200, "{body}");
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        if messages.len() >= count {
            return messages;
        }
        app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("{count} message(s) to {to} never arrived");
}

#[tokio::test]
async fn an_invited_candidate_starts_exactly_one_interview_through_the_emailed_link() {
    let app = TestApp::with(DEV);
    // A second organization, so the candidate (a global account) interviews outside the default one.
    let admin = app.admin_of_new_org(&format!("Acme Payments {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let job = open_job(&app, &recruiter).await;
    let (ada, bob) = (format!("ada-{}@example.com", unique()), format!("bob-{}@example.com", unique()));

    // Bulk invite: a case variant of the same address is skipped as a duplicate.
    let path = format!("/api/v1/jobs/{job}/invitations");
    let (status, invited) =
        app.post(&recruiter, &path, &json!({"emails": [ada, bob, ada.to_uppercase()]})).await;
    assert_eq!(status, 201, "{invited}");
    let invitations = invited["invitations"].as_array().expect("invitations");
    assert_eq!(invitations.len(), 2, "{invited}");
    assert_eq!(invited["skipped"], json!([{"email": ada, "reason": "duplicate"}]));
    assert!(invitations.iter().all(|i| i["status"] == "sent" && i["link"].is_string()), "{invited}");
    let ada_invitation = invitations.iter().find(|i| i["email"] == ada.as_str()).expect("ada's invitation");
    let ada_id = ada_invitation["id"].as_str().expect("id").to_owned();
    let ada_link = ada_invitation["link"].as_str().expect("link").to_owned();
    let bob_id = invitations.iter().find(|i| i["email"] == bob.as_str()).expect("bob's")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Inviting an address with a live invitation again skips it.
    let (status, again) = app.post(&recruiter, &path, &json!({"emails": [bob]})).await;
    assert_eq!((status, again["invitations"].as_array().map(Vec::len)), (201, Some(0)), "{again}");
    assert_eq!(again["skipped"][0]["reason"], "already_invited");
    // The link is shown once: reads never carry it; only the token's hash is stored.
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada_id}")).await;
    assert!(read.get("link").is_none(), "{read}");
    let token = token_of(&ada_link);
    let stored = d1_query(app.server, &format!("SELECT token_hash FROM invitations WHERE id = '{ada_id}'"));
    assert_ne!(stored[0]["token_hash"].as_str(), Some(token.as_str()));

    // The email arrives in the dev mailbox with the same working link, and says what it is for.
    let messages = mailbox(&app, &ada, 1).await;
    assert_eq!(messages.len(), 1, "one email per invitation");
    let text = messages[0]["text"].as_str().expect("text");
    assert!(text.contains(&ada_link), "the email carries the link");
    assert!(messages[0]["subject"].as_str().expect("subject").contains("Python engineer"));
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada_id}")).await;
    assert!(read["sent_at"].is_string() && read["last_send_error"].is_null(), "{read}");

    // Opening the link (no account needed) shows the organization and the job, and marks it opened.
    let (status, landing) = app.get("", &format!("/api/v1/invite/{token}")).await;
    assert_eq!(status, 200, "{landing}");
    assert!(landing["org"]["name"].as_str().expect("org").starts_with("Acme Payments"));
    assert_eq!(landing["job"]["title"], "Python engineer");
    assert_eq!(landing["job"]["description"], job_body("x")["description"]);
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada_id}")).await;
    assert_eq!(read["status"], "opened", "{read}");

    // Another account cannot use it; staff cannot either.
    let eve = app.register("Eve Other").await;
    let accept = format!("/api/v1/invite/{token}/accept");
    let (status, body) = app.post(&eve.token, &accept, &json!({})).await;
    assert_eq!((status, error_code(&body)), (403, "INVITATION_EMAIL_MISMATCH"), "{body}");
    let (status, _) = app.post(&recruiter, &accept, &json!({})).await;
    assert_eq!(status, 403);

    // The invited address (any case) registers and starts the job's interview, once.
    let candidate = app.register_as(&ada.to_uppercase(), "Ada Lovelace").await;
    let (status, started) = app.post(&candidate.token, &accept, &json!({})).await;
    assert_eq!(status, 201, "{started}");
    let interview = started["id"].as_str().expect("interview id").to_owned();
    assert!(started["first_question"].is_object(), "{started}");
    let (status, _) = app.get(&candidate.token, &format!("/api/v1/interviews/{interview}")).await;
    assert_eq!(status, 200, "the candidate reads their interview with another organization");
    let (status, body) = app.post(&candidate.token, &accept, &json!({})).await;
    assert_eq!((status, error_code(&body)), (410, "INVITATION_USED"), "{body}");
    let (status, body) = app.get("", &format!("/api/v1/invite/{token}")).await;
    assert_eq!((status, error_code(&body)), (410, "INVITATION_USED"), "{body}");
    // The organization's staff see the interview; the invitation points at it.
    let (status, _) = app.get(&recruiter, &format!("/api/v1/recruiter/interviews/{interview}")).await;
    assert_eq!(status, 200);
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{ada_id}")).await;
    assert_eq!(
        (read["status"].as_str(), read["interview_id"].as_str()),
        (Some("started"), Some(interview.as_str()))
    );

    // The job's results list both invitations with their statuses.
    let (status, results) = app.get(&recruiter, &format!("/api/v1/jobs/{job}/results")).await;
    assert_eq!(status, 200, "{results}");
    let items = results["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{results}");
    let row = |email: &str| items.iter().find(|r| r["email"] == email).cloned().expect("row");
    assert_eq!(row(&ada)["invitation_status"], "started");
    assert_eq!(row(&ada)["interview_status"], "in_progress");
    assert_eq!(row(&ada)["candidate_name"], "Ada Lovelace");
    assert_eq!(row(&bob)["invitation_status"], "sent");
    assert!(row(&bob)["interview_id"].is_null());

    // Revoked: the link stops working; it cannot be resent.
    let (status, revoked) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{bob_id}/revoke")).await;
    assert_eq!((status, revoked["status"].as_str()), (200, Some("revoked")), "{revoked}");
    let bob_token = token_of(
        mailbox(&app, &bob, 1).await[0]["text"]
            .as_str()
            .unwrap()
            .lines()
            .find(|l| l.contains("/invite/"))
            .unwrap()
            .trim(),
    );
    let (status, body) = app.get("", &format!("/api/v1/invite/{bob_token}")).await;
    assert_eq!((status, error_code(&body)), (410, "INVITATION_REVOKED"), "{body}");
    let (status, body) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{bob_id}/resend")).await;
    assert_eq!((status, error_code(&body)), (409, "INVITATION_CLOSED"), "{body}");
    // Nor can a started one be revoked.
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{ada_id}/revoke")).await;
    assert_eq!(status, 409);

    // Expired: refused; a resend gives a new link and the old one is dead.
    let carl = format!("carl-{}@example.com", unique());
    let (_, invited) = app.post(&recruiter, &path, &json!({"emails": [carl]})).await;
    let carl_id = invited["invitations"][0]["id"].as_str().expect("id").to_owned();
    let carl_token = token_of(invited["invitations"][0]["link"].as_str().expect("link"));
    d1_query(
        app.server,
        &format!("UPDATE invitations SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = '{carl_id}'"),
    );
    let (status, body) = app.get("", &format!("/api/v1/invite/{carl_token}")).await;
    assert_eq!((status, error_code(&body)), (410, "INVITATION_EXPIRED"), "{body}");
    let carl_account = app.register_as(&carl, "Carl Candidate").await;
    let (status, body) =
        app.post(&carl_account.token, &format!("/api/v1/invite/{carl_token}/accept"), &json!({})).await;
    assert_eq!((status, error_code(&body)), (410, "INVITATION_EXPIRED"), "{body}");
    let (_, read) = app.get(&recruiter, &format!("/api/v1/invitations/{carl_id}")).await;
    assert_eq!(read["status"], "expired");
    let (status, resent) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{carl_id}/resend")).await;
    assert_eq!((status, resent["status"].as_str()), (200, Some("sent")), "{resent}");
    let new_token = token_of(resent["link"].as_str().expect("a new link"));
    assert_ne!(new_token, carl_token);
    let (status, body) = app.get("", &format!("/api/v1/invite/{carl_token}")).await;
    assert_eq!((status, error_code(&body)), (404, "INVITATION_NOT_FOUND"), "{body}");
    assert_eq!(mailbox(&app, &carl, 2).await.len(), 2, "the resend is emailed too");
    let (status, started) =
        app.post(&carl_account.token, &format!("/api/v1/invite/{new_token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");

    // Garbage tokens are simply not found; viewers cannot invite; a closed job takes no invitations.
    let (status, body) = app.get("", "/api/v1/invite/not-a-token").await;
    assert_eq!((status, error_code(&body)), (404, "INVITATION_NOT_FOUND"));
    let viewer = app.staff(&admin, "viewer").await;
    let (status, _) = app.post(&viewer, &path, &json!({"emails": ["v@example.com"]})).await;
    assert_eq!(status, 403);
    let (status, body) = app.post(&recruiter, &path, &json!({"emails": ["not an email"]})).await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "emails[0]");
    let (status, _) =
        patch(&app, &recruiter, &format!("/api/v1/jobs/{job}"), &json!({"status": "closed"})).await;
    assert_eq!(status, 200);
    let (status, body) = app.post(&recruiter, &path, &json!({"emails": ["late@example.com"]})).await;
    assert_eq!((status, error_code(&body)), (409, "JOB_NOT_OPEN"), "{body}");
}

#[tokio::test]
async fn a_failing_mail_provider_is_retried_and_its_failure_shows_on_the_invitation() {
    let api = fake_mail_api();
    let url = api.url();
    let app = TestApp::with(&[
        ("MAILER", "http"),
        ("MAIL_API_URL", url.as_str()),
        ("MAIL_RETRY_BASE_SECS", "0"),
        ("MAIL_FROM", "Hiring <hiring@example.com>"),
    ]);
    let admin = app.admin().await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let job = open_job(&app, &recruiter).await;
    let (flaky, bounce) =
        (format!("flaky-{}@example.com", unique()), format!("bounce-{}@example.com", unique()));
    let (status, invited) = app
        .post(&recruiter, &format!("/api/v1/jobs/{job}/invitations"), &json!({"emails": [flaky, bounce]}))
        .await;
    assert_eq!(status, 201, "{invited}");
    let id_of = |email: &str| {
        invited["invitations"].as_array().unwrap().iter().find(|i| i["email"] == email).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (flaky_id, bounce_id) = (id_of(&flaky), id_of(&bounce));
    let recruiter = recruiter.as_str();
    let read = |id: String| async move { app.get(recruiter, &format!("/api/v1/invitations/{id}")).await.1 };

    // The first attempt (right after the request) fails: the failure is visible on the invitation.
    let mut first = Value::Null;
    for _ in 0..40 {
        first = read(flaky_id.clone()).await;
        if first["send_attempts"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(first["send_attempts"].as_u64() >= Some(1), "{first}");
    assert!(first["last_send_error"].as_str().is_some_and(|e| e.contains("503")), "{first}");
    assert!(first["sent_at"].is_null());

    // The cron retries until it goes through; the message is delivered once.
    let mut done = Value::Null;
    for _ in 0..20 {
        app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
        done = read(flaky_id.clone()).await;
        if done["sent_at"].is_string() {
            break;
        }
    }
    assert!(done["sent_at"].is_string(), "{done}");
    assert!(done["last_send_error"].is_null(), "{done}");
    assert_eq!(done["send_attempts"], 3, "two failures, then success: {done}");
    // More cron runs send nothing again.
    app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    let accepted = api.accepted_for(&flaky);
    assert_eq!(accepted.len(), 1, "sent exactly once");
    assert_eq!(accepted[0]["from"], "Hiring <hiring@example.com>");
    assert!(accepted[0]["text"].as_str().unwrap().contains("/#/invite/"));

    // A refused message is given up at once, and says so.
    let bounced = read(bounce_id).await;
    assert!(bounced["sent_at"].is_null(), "{bounced}");
    assert_eq!(bounced["send_attempts"], 1, "{bounced}");
    assert!(bounced["last_send_error"].as_str().is_some_and(|e| e.contains("refused")), "{bounced}");
    // The message bodies (which held the links) are gone once settled.
    let left = d1_query(
        app.server,
        "SELECT count(*) AS n FROM mail_outbox WHERE status <> 'pending' AND body_text <> ''",
    );
    assert_eq!(left[0]["n"], 0);
    // No dev mailbox outside MAILER = "dev".
    let (status, _) = app.get("", "/api/v1/dev/mailbox").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_org_admin_invites_staff_by_email_and_manages_their_roles() {
    let app = TestApp::with(DEV);
    let org_name = format!("Members Org {}", unique());
    let admin = app.admin_of_new_org(&org_name).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let (status, org) = app.get(&recruiter, "/api/v1/org").await;
    assert_eq!((status, org["name"].as_str()), (200, Some(org_name.as_str())), "{org}");
    let (status, _) = app.get(&recruiter, "/api/v1/org/members").await;
    assert_eq!(status, 403, "only admins manage members");
    let (status, members) = app.get(&admin, "/api/v1/org/members").await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(members["items"].as_array().map(Vec::len), Some(2), "the admin and the recruiter: {members}");

    // Invite by email: the account exists, inactive and password-less, until the link is used.
    let email = format!("new-staff-{}@example.com", unique());
    let (status, invited) =
        app.post(&admin, "/api/v1/org/members/invite", &json!({"email": email, "role": "recruiter"})).await;
    assert_eq!(status, 201, "{invited}");
    let member_id = invited["member"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (invited["member"]["is_active"].as_bool(), invited["member"]["invited"].as_bool()),
        (Some(false), Some(true))
    );
    let (status, _) =
        app.post(&admin, "/api/v1/org/members/invite", &json!({"email": email, "role": "viewer"})).await;
    assert_eq!(status, 409, "one account per email");
    let message = &mailbox(&app, &email, 1).await[0];
    let link = message["text"]
        .as_str()
        .expect("text")
        .lines()
        .find(|l| l.contains("/#/staff-invite/"))
        .expect("link")
        .trim();
    assert_eq!(link, invited["link"].as_str().expect("link"));
    let token = link.rsplit('/').next().expect("token");
    let (status, _) = common::app::send(
        app.request(Method::POST, "/api/v1/auth/login", "")
            .header("CF-Connecting-IP", common::unique_ip())
            .json(&json!({"email": email, "password": "invited"})),
    )
    .await;
    assert_eq!(status, 401, "no password works before the invitation is accepted");

    // The link sets the password once and signs the member in, in the admin's organization.
    let accept = format!("/api/v1/auth/staff-invite/{token}");
    let (status, body) = app.post("", &accept, &json!({"password": "short"})).await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"));
    let password = "a-Long-enough-passphrase-42";
    let (status, signed_in) =
        app.post("", &accept, &json!({"password": password, "full_name": "Nora New"})).await;
    assert_eq!(status, 200, "{signed_in}");
    let member = signed_in["token"].as_str().expect("token").to_owned();
    let (_, me) = app.get(&member, "/api/v1/auth/me").await;
    assert_eq!((me["role"].as_str(), me["full_name"].as_str()), (Some("recruiter"), Some("Nora New")));
    assert_eq!(me["org_id"], org["id"]);
    let (status, body) = app.post("", &accept, &json!({"password": password})).await;
    assert_eq!((status, error_code(&body)), (404, "INVITATION_NOT_FOUND"), "single use: {body}");

    // Role change applies at once; deactivation signs the member out; an admin cannot demote themselves.
    let path = format!("/api/v1/org/members/{member_id}");
    let (status, changed) = patch(&app, &admin, &path, &json!({"role": "viewer"})).await;
    assert_eq!((status, changed["role"].as_str()), (200, Some("viewer")), "{changed}");
    let (status, _) = app.post(&member, "/api/v1/jobs", &job_body("Viewer's job")).await;
    assert_eq!(status, 403, "a viewer cannot write");
    let (status, _) = patch(&app, &recruiter, &path, &json!({"is_active": false})).await;
    assert_eq!(status, 403, "a recruiter cannot manage members");
    let (status, changed) = patch(&app, &admin, &path, &json!({"is_active": false})).await;
    assert_eq!((status, changed["is_active"].as_bool()), (200, Some(false)), "{changed}");
    let (status, _) = app.get(&member, "/api/v1/jobs").await;
    assert_eq!(status, 401);
    let (_, me) = app.get(&admin, "/api/v1/auth/me").await;
    let (status, body) = patch(
        &app,
        &admin,
        &format!("/api/v1/org/members/{}", me["id"].as_str().unwrap()),
        &json!({"role": "viewer"}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");
}

#[tokio::test]
async fn an_organization_cannot_send_more_invitation_emails_than_its_daily_quota() {
    let app = TestApp::with(DEV);
    let admin = app.admin_of_new_org(&format!("Bulk Hiring {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let job = open_job(&app, &recruiter).await;
    let path = format!("/api/v1/jobs/{job}/invitations");
    let run = unique();
    let emails: Vec<String> = (0..EMAILS_PER_DAY).map(|i| format!("bulk{i}.{run}@example.com")).collect();
    let (status, body) = app.post(&recruiter, &path, &json!({ "emails": emails })).await;
    assert_eq!(status, 201, "{body}");
    let first = body["invitations"][0]["id"].as_str().expect("an invitation").to_owned();
    // The day's emails are used up: one more address, a resend and a staff invitation are refused
    // before anything is written.
    let (status, body) =
        app.post(&recruiter, &path, &json!({"emails": [format!("late.{run}@example.com")]})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{first}/resend")).await;
    assert_eq!(status, 429);
    let (status, _) = app
        .post(
            &admin,
            "/api/v1/org/members/invite",
            &json!({"email": format!("staff.{run}@example.com"), "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 429);
    let (status, list) = app.get(&recruiter, &format!("{path}?limit=100")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(EMAILS_PER_DAY), "nothing was created");
    // Another organization's quota is its own.
    let other = app.admin_of_new_org(&format!("Other Co {}", unique())).await;
    let other_recruiter = app.staff(&other, "recruiter").await;
    let other_job = open_job(&app, &other_recruiter).await;
    let (status, body) = app
        .post(
            &other_recruiter,
            &format!("/api/v1/jobs/{other_job}/invitations"),
            &json!({"emails": [format!("x.{run}@example.com")]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}
