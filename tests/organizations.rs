//! Organizations end to end against `wrangler dev` (docs/organizations.md): staff see only their
//! own organization. Every id-taking staff operation of the OpenAPI document, called by another
//! organization's admin and recruiter with one of this organization's ids, answers 404 (never
//! 403 or 2xx, which would confirm the id); the lists never show the other organization's rows;
//! new staff join their admin's organization; the default organization keeps today's behaviour.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::app::send;
use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

/// The resource an `{id}` of a staff operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Interview,
    Candidate,
    User,
    Resume,
    Job,
    Invitation,
    Webhook,
    /// `/api/v1/invite/{id}`: the id is an emailed link's token (the credential itself), not an
    /// organization's resource; tests/invitations.rs covers it.
    InviteToken,
    /// `/api/v1/auth/sessions/{id}`: a sign-in session, only ever its own account's.
    Session,
    /// `/api/v1/me/…/{id}`: the caller's own data exports (candidates only: staff are refused
    /// whatever the id); tests/privacy.rs covers them.
    Own,
}

/// Which kind of id each id-taking path takes. A new `{id}` route must be added here, so the
/// cross-organization check cannot silently skip it.
fn kind_of(path: &str) -> Kind {
    if path.starts_with("/api/v1/interviews/{id}")
        || path.starts_with("/api/v1/videos/{id}")
        || path.starts_with("/api/v1/recruiter/interviews/{id}")
    {
        Kind::Interview
    } else if path.starts_with("/api/v1/recruiter/candidates/{id}")
        || path.starts_with("/api/v1/org/candidates/{id}")
    {
        Kind::Candidate
    } else if path.starts_with("/api/v1/admin/users/{id}") || path.starts_with("/api/v1/org/members/{id}") {
        Kind::User
    } else if path.starts_with("/api/v1/resumes/{id}") {
        Kind::Resume
    } else if path.starts_with("/api/v1/jobs/{id}") {
        Kind::Job
    } else if path.starts_with("/api/v1/invitations/{id}") {
        Kind::Invitation
    } else if path.starts_with("/api/v1/org/webhooks/{id}") {
        Kind::Webhook
    } else if path.starts_with("/api/v1/invite/{id}") {
        Kind::InviteToken
    } else if path.starts_with("/api/v1/auth/sessions/{id}") {
        Kind::Session
    } else if path.starts_with("/api/v1/me/") {
        Kind::Own
    } else {
        panic!("{path}: an id-taking route with no kind in tests/organizations.rs");
    }
}

/// A valid body (and query) for the operation, so the answer is about access, not validation.
fn valid_request(method: &str, path: &str) -> (String, Option<Value>) {
    let body = match (method, path) {
        (_, p) if p.ends_with("/messages") && method == "POST" => Some(json!({"message_text": "An answer."})),
        (_, p) if p.ends_with("/tech-check") => {
            Some(json!({"microphone_ok": true, "camera_ok": true, "browser": "Firefox 133"}))
        }
        (_, p) if p.ends_with("/video-consent") => Some(json!({"consent": true})),
        ("PATCH", p) if p.starts_with("/api/v1/admin/users") || p.starts_with("/api/v1/org/members") => {
            Some(json!({"is_active": false}))
        }
        ("PATCH", p) if p.starts_with("/api/v1/org/webhooks") => Some(json!({"active": false})),
        ("PATCH", p) if p.starts_with("/api/v1/jobs") => {
            Some(json!({"title": "Renamed by another organization"}))
        }
        ("POST", p) if p.ends_with("/invitations") => Some(json!({"emails": ["someone@example.com"]})),
        ("POST", _) => Some(json!({})),
        _ => None,
    };
    let path = if path.ends_with("/compare") {
        format!(
            "{path}?interview_ids=00000000-0000-4000-8000-00000000000a,00000000-0000-4000-8000-00000000000b"
        )
    } else if path.ends_with("/upload-chunk") {
        format!("{path}?chunk_index=0&total_chunks=1")
    } else {
        path.replace("{file}", "answer-1.webm")
    };
    (path, body)
}

/// The id-taking operations that need a bearer token, from the served OpenAPI document.
async fn id_operations(app: &TestApp) -> Vec<(String, String)> {
    let (status, doc) = app.get("", "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let bearer = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if bearer && path.contains("{id}") {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(ops.len() >= 25, "the document lists the id-taking operations: {ops:?}");
    ops
}

async fn call(app: &TestApp, token: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.request(method, path, token);
    if path.contains("/upload-chunk") {
        req = req.header("Content-Type", "video/webm").body(vec![0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]);
    } else if let Some(body) = body {
        req = req.json(body);
    }
    send(req).await
}

#[tokio::test]
async fn another_organizations_staff_get_404_on_every_id_route_and_see_none_of_its_rows() {
    let app = TestApp::new();
    // Organization A is the default one: a self-registered candidate with an interview, a
    // résumé and an answer; its admin and a recruiter.
    let admin_a = app.admin().await;
    let recruiter_a = app.staff(&admin_a, "recruiter").await;
    let candidate = app.register("Casey Candidate").await;
    let interview = app.start_id(&candidate.token, "python").await;
    app.answer_ok(&candidate.token, &interview, "I use dicts for lookups and lists for ordered data.").await;
    let (status, resume) = app
        .upload_resume(
            &candidate.token,
            b"Casey Candidate\nPython developer, 5 years.\n",
            "cv.txt",
            "text/plain",
        )
        .await;
    assert_eq!(status, 202, "upload: {resume}");
    let resume = resume["resume_id"].as_str().expect("resume id").to_owned();
    let (status, job) = app
        .post(&recruiter_a, "/api/v1/jobs", &json!({"title": "Python developer", "role_family": "python"}))
        .await;
    assert_eq!(status, 201, "job: {job}");
    let job = job["id"].as_str().expect("job id").to_owned();
    let (status, _) = app
        .request(Method::PATCH, &format!("/api/v1/jobs/{job}"), &recruiter_a)
        .json(&json!({"status": "open"}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("open the job");
    assert_eq!(status, 200);
    let (status, invited) = app
        .post(
            &recruiter_a,
            &format!("/api/v1/jobs/{job}/invitations"),
            &json!({"emails": ["invitee@example.com"]}),
        )
        .await;
    assert_eq!(status, 201, "invite: {invited}");
    let invitation = invited["invitations"][0]["id"].as_str().expect("invitation id").to_owned();
    let (status, hook) = app
        .post(
            &admin_a,
            "/api/v1/org/webhooks",
            &json!({"url": "https://ats.example.com/hook", "events": ["decision.made"]}),
        )
        .await;
    assert_eq!(status, 201, "webhook: {hook}");
    let webhook = hook["id"].as_str().expect("webhook id").to_owned();

    // Organization B: its first admin from the bootstrap command, and a recruiter it creates.
    let admin_b = app.admin_of_new_org("Beta Hiring Ltd").await;
    let recruiter_b = app.staff(&admin_b, "recruiter").await;
    let (_, me_a) = app.get(&admin_a, "/api/v1/auth/me").await;
    let (_, me_b) = app.get(&admin_b, "/api/v1/auth/me").await;
    let (_, me_rb) = app.get(&recruiter_b, "/api/v1/auth/me").await;
    let org_b = me_b["org_id"].as_str().expect("staff have an org").to_owned();
    assert_ne!(me_a["org_id"], me_b["org_id"], "two organizations");
    assert_eq!(me_rb["org_id"].as_str(), Some(org_b.as_str()), "new staff join their admin's organization");
    let recruiter_b_id = me_rb["id"].as_str().expect("id").to_owned();
    let (_, sessions) = app.get(&candidate.token, "/api/v1/auth/sessions").await;
    let session = sessions["items"][0]["id"].as_str().expect("the candidate's session").to_owned();

    // Sanity: A's recruiter reaches the same resources (so a 404 below is about the organization).
    for path in [
        format!("/api/v1/recruiter/interviews/{interview}"),
        format!("/api/v1/interviews/{interview}/transcript"),
        format!("/api/v1/recruiter/candidates/{}", candidate.user_id),
        format!("/api/v1/resumes/{resume}"),
        format!("/api/v1/jobs/{job}"),
        format!("/api/v1/jobs/{job}/invitations"),
        format!("/api/v1/jobs/{job}/results"),
        format!("/api/v1/invitations/{invitation}"),
    ] {
        let (status, body) = app.get(&recruiter_a, &path).await;
        assert_eq!(status, 200, "{path} for the interview's own organization: {body}");
    }

    let ids = |kind: Kind| match kind {
        Kind::Interview => interview.clone(),
        Kind::Candidate | Kind::User => candidate.user_id.clone(),
        Kind::Resume => resume.clone(),
        Kind::Job => job.clone(),
        Kind::Invitation => invitation.clone(),
        Kind::Webhook => webhook.clone(),
        Kind::InviteToken | Kind::Own => String::new(),
        Kind::Session => session.clone(),
    };
    let mut checked = 0;
    for (method, template) in id_operations(&app).await {
        if matches!(kind_of(&template), Kind::InviteToken | Kind::Own) {
            continue;
        }
        let (path, body) = valid_request(&method, &template);
        let path = path.replace("{id}", &ids(kind_of(&template)));
        // Admin routes answer a recruiter 403 whatever the id (a role check that says nothing
        // about the id); another organization's admin must get 404.
        let callers: &[(&str, &String)] =
            if template.starts_with("/api/v1/admin/") || template.starts_with("/api/v1/org/") {
                &[("admin B", &admin_b)]
            } else {
                &[("admin B", &admin_b), ("recruiter B", &recruiter_b)]
            };
        for (who, token) in callers.iter().copied() {
            let (status, answer) = call(&app, token, &method, &path, body.as_ref()).await;
            assert_eq!(
                status, 404,
                "{who} {method} {path} must not reach organization A's resource: {answer}"
            );
            assert_eq!(answer["error"]["code"], "NOT_FOUND", "{method} {path}: {answer}");
            checked += 1;
        }
    }
    assert!(checked >= 45, "{checked} cross-organization calls");
    // A's admin cannot manage B's staff either.
    let (status, _) = app
        .request(Method::PATCH, &format!("/api/v1/admin/users/{recruiter_b_id}"), &admin_a)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("patch");
    assert_eq!(status, 404, "organization A's admin cannot see B's recruiter");

    // The socket: B's staff get no ticket for A's interview (and without a ticket, no socket).
    let (status, _) = app.ticket(&recruiter_b, &interview).await;
    assert_eq!(status, 404);

    // Lists: B sees none of A's rows; A still sees them.
    for token in [&admin_b, &recruiter_b] {
        let (_, list) = app.get(token, "/api/v1/recruiter/interviews?limit=100").await;
        assert!(
            list["interviews"].as_array().expect("list").iter().all(|i| i["id"] != interview.as_str()),
            "{list}"
        );
        let (_, list) = app.get(token, "/api/v1/recruiter/candidates?limit=100").await;
        assert_eq!(list["candidates"], json!([]), "B has no candidates yet: {list}");
        let (_, list) = app.get(token, "/api/v1/recruiter/feedback?limit=100").await;
        assert!(
            list["feedback"].as_array().expect("list").iter().all(|f| f["resume_id"] != resume.as_str()),
            "{list}"
        );
        let (_, list) = app.get(token, "/api/v1/jobs").await;
        assert_eq!(list["jobs"], json!([]), "B has no jobs: {list}");
        let (_, stats) = app.get(token, "/api/v1/recruiter/stats").await;
        assert_eq!(stats["total_interviews"], json!(0.0), "{stats}");
    }
    let (_, list) = app.get(&recruiter_a, "/api/v1/recruiter/interviews?limit=100").await;
    assert!(list["interviews"].as_array().expect("list").iter().any(|i| i["id"] == interview.as_str()));
    let (_, list) =
        app.get(&recruiter_a, &format!("/api/v1/recruiter/candidates?q={}", candidate.email)).await;
    assert_eq!(list["candidates"].as_array().map(Vec::len), Some(1), "{list}");
    let (_, list) = app.get(&admin_a, "/api/v1/jobs").await;
    assert!(list["jobs"].as_array().expect("jobs").iter().any(|j| j["id"] == job.as_str()), "{list}");
    let (_, unchanged) = app.get(&recruiter_a, &format!("/api/v1/jobs/{job}")).await;
    assert_eq!(
        (unchanged["title"].as_str(), unchanged["version"].as_i64()),
        (Some("Python developer"), Some(1))
    );
    let (_, stats) = app.get(&recruiter_a, "/api/v1/recruiter/stats").await;
    assert!(stats["total_interviews"].as_f64().expect("total") >= 1.0, "{stats}");

    // The candidate is unaffected: they still read their own interview and résumé.
    let (status, _) = app.get(&candidate.token, &format!("/api/v1/interviews/{interview}")).await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&candidate.token, &format!("/api/v1/resumes/{resume}")).await;
    assert_eq!(status, 200);
}
