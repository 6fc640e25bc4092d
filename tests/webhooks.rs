//! ATS webhooks against `wrangler dev` (docs/hiring.md#webhooks): org admins register endpoints
//! (recruiters and viewers 403, another organization 404); a receiver in this test checks every
//! signature, is down (503) for the first attempts and still gets the event, and sees each event
//! under one id across retries; the delivery log shows the attempts; a test event; a secret
//! rotation signs with both secrets during the overlap; `decision.made`, `interview.completed`,
//! `assessment.ready` for an interview started through an invitation and `invitation.expired`
//! for an expired link are delivered once each; every change leaves its audit entry.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::app::{error_code, send};
use common::hooks::{self, Hook, Receiver};
use common::{d1_query, unique, TestApp};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";

/// One request the receiver got, and the status it answered.
/// This binary's ATS receiver: one failure counter for every delivery.
fn receiver() -> &'static Receiver {
    static RECEIVER: OnceLock<&'static Receiver> = OnceLock::new();
    RECEIVER.get_or_init(|| hooks::start("/hooks/ats", |_| String::new(), 503))
}

fn app() -> TestApp {
    receiver();
    TestApp::with(&[("WEBHOOK_ALLOW_HTTP", "true"), ("WEBHOOK_RETRY_BASE_SECS", "0")])
}

fn hmac_hex(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The signatures of a hook, newest first, each checked against `secrets` in order.
fn assert_signed(hook: &Hook, secrets: &[&str]) {
    let ts = hook.headers.get("x-webhook-timestamp").expect("timestamp header");
    let header = hook.headers.get("x-webhook-signature").expect("signature header");
    let sigs: Vec<&str> = header.split(',').collect();
    assert_eq!(sigs.len(), secrets.len(), "one signature per live secret: {header}");
    for (sig, secret) in sigs.iter().zip(secrets) {
        assert_eq!(*sig, format!("sha256={}", hmac_hex(secret, ts, &hook.body)), "signature");
    }
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(
        hook.headers.get("x-webhook-id").map(String::as_str),
        body["id"].as_str(),
        "X-Webhook-Id is the event id"
    );
}

/// Runs the frequent cron until `done` holds (deliveries retry at once with a zero base).
async fn deliver_until(app: &TestApp, what: &str, done: impl Fn() -> bool) {
    for _ in 0..60 {
        if done() {
            return;
        }
        app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(done(), "never delivered: {what}");
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    send(app.request(Method::PATCH, path, token).json(body)).await
}

#[tokio::test]
async fn org_admins_register_webhooks_that_are_signed_retried_and_delivered_once() {
    let app = app();
    let hook = receiver();
    let admin = app.admin_of_new_org(&format!("Hooks Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let viewer = app.staff(&admin, "viewer").await;
    let outsider = app.admin_of_new_org(&format!("Other Co {}", unique())).await;
    let all = ["interview.completed", "assessment.ready", "decision.made", "invitation.expired"];
    let create = json!({"url": hook.url, "events": all, "description": "ATS"});

    // Role rules and validation.
    for who in [&recruiter, &viewer] {
        let (status, body) = app.post(who, "/api/v1/org/webhooks", &create).await;
        assert_eq!((status, error_code(&body)), (403, "FORBIDDEN"), "{body}");
        let (status, _) = app.get(who, "/api/v1/org/webhooks").await;
        assert_eq!(status, 403);
    }
    for bad in [
        json!({"url": "ftp://x.example/h", "events": ["decision.made"]}),
        json!({"url": "https://user:pw@x.example/h", "events": ["decision.made"]}),
        json!({"url": "https://x.example/h", "events": ["message.sent"]}),
        json!({"url": "https://x.example/h"}),
    ] {
        let (status, body) = app.post(&admin, "/api/v1/org/webhooks", &bad).await;
        assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{bad}: {body}");
    }
    let (status, created) = app.post(&admin, "/api/v1/org/webhooks", &create).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["events"], json!(all));
    assert_eq!(created["active"], true);
    let base = format!("/api/v1/org/webhooks/{id}");
    let (status, listed) = app.get(&admin, "/api/v1/org/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        listed["items"][0].get("secret").is_none() && !listed.to_string().contains(&secret),
        "never listed"
    );
    let (status, got) = app.get(&admin, &base).await;
    assert_eq!((status, got["id"].as_str()), (200, Some(id.as_str())));
    assert!(!got.to_string().contains(&secret));

    // Another organization's admin: 404 everywhere.
    for (method, path) in [
        (Method::GET, base.clone()),
        (Method::PATCH, base.clone()),
        (Method::DELETE, base.clone()),
        (Method::POST, format!("{base}/rotate-secret")),
        (Method::POST, format!("{base}/test")),
        (Method::GET, format!("{base}/deliveries")),
    ] {
        let (status, body) =
            send(app.request(method.clone(), &path, &outsider).json(&json!({"active": false}))).await;
        assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "{method} {path}: {body}");
    }

    // A test event; the receiver is down for the first two attempts and still gets it.
    hook.fail_next("", 2);
    let (status, queued) = app.post(&admin, &format!("{base}/test"), &json!({})).await;
    assert_eq!(status, 202, "{queued}");
    let test_id = queued["event_id"].as_str().unwrap().to_owned();
    let of = |event: &str| {
        let event = event.to_owned();
        move |v: &Value| v["id"] == event.as_str()
    };
    deliver_until(&app, "test event", || hook.hooks(of(&test_id)).iter().any(|h| h.status == 200)).await;
    let attempts = hook.hooks(of(&test_id));
    assert_eq!(
        attempts.iter().map(|h| h.status).collect::<Vec<_>>(),
        vec![503, 503, 200],
        "retried until delivered"
    );
    for h in &attempts {
        assert_signed(h, &[&secret]);
        let body: Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(body["type"], "webhook.test");
        assert!(body["org_id"].is_string() && body["created_at"].is_string(), "{body}");
    }
    assert!(attempts.windows(2).all(|w| w[0].body == w[1].body), "the same body on every retry");
    let (status, log) = app.get(&admin, &format!("{base}/deliveries?limit=10")).await;
    assert_eq!(status, 200, "{log}");
    let entry =
        log["items"].as_array().unwrap().iter().find(|d| d["event_id"] == test_id.as_str()).cloned().unwrap();
    assert_eq!(
        (entry["status"].as_str(), entry["attempts"].as_i64(), entry["last_status"].as_i64()),
        (Some("delivered"), Some(3), Some(200)),
        "{entry}"
    );

    // Rotation: both secrets sign during the overlap, newest first.
    let (status, rotated) = app.post(&admin, &format!("{base}/rotate-secret"), &json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (_, queued) = app.post(&admin, &format!("{base}/test"), &json!({})).await;
    let second_test = queued["event_id"].as_str().unwrap().to_owned();
    deliver_until(&app, "test after rotation", || {
        hook.hooks(of(&second_test)).iter().any(|h| h.status == 200)
    })
    .await;
    for h in hook.hooks(of(&second_test)) {
        assert_signed(&h, &[&new_secret, &secret]);
    }

    // An interview started through an invitation, completed, decided.
    let (status, job) = app
        .post(
            &recruiter,
            "/api/v1/jobs",
            &json!({"title": "Backend engineer (Python)", "role_family": "python", "status": "open"}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let job = job["id"].as_str().unwrap().to_owned();
    let run = unique();
    let (status, body) = app
        .post(
            &recruiter,
            &format!("/api/v1/jobs/{job}/invitations"),
            &json!({"emails": [format!("hook.{run}@example.com"), format!("late.{run}@example.com")]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let link = body["invitations"][0]["link"].as_str().unwrap().to_owned();
    let late = body["invitations"][1]["id"].as_str().unwrap().to_owned();
    let token = link.rsplit("/invite/").next().unwrap().to_owned();
    let candidate = app.register_as(&format!("hook.{run}@example.com"), "Hook Candidate").await;
    let (status, started) =
        app.post(&candidate.token, &format!("/api/v1/invite/{token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");
    let interview = started["id"].as_str().unwrap().to_owned();
    app.complete_assessed(
        &candidate.token,
        &interview,
        "A generator yields values lazily, so memory stays flat.",
    )
    .await;
    let (status, body) = app
        .post(
            &recruiter,
            &format!("/api/v1/recruiter/interviews/{interview}/decisions"),
            &json!({"decision": "advance", "reason": "Strong answers"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let decision_id = body["decisions"][0]["id"].as_str().unwrap().to_owned();

    // The expired link: its expiry moved into the past.
    d1_query(
        app.server,
        &format!("UPDATE invitations SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = '{late}'"),
    );
    hook.fail_next("", 1);
    let expected = [
        (format!("interview.completed:{interview}"), "interview.completed"),
        (format!("assessment.ready:{interview}"), "assessment.ready"),
        (format!("decision.made:{decision_id}"), "decision.made"),
        (format!("invitation.expired:{late}"), "invitation.expired"),
    ];
    deliver_until(&app, "hiring events", || {
        expected.iter().all(|(id, _)| hook.hooks(of(id)).iter().any(|h| h.status == 200))
    })
    .await;
    // One more run: nothing is sent again, and the link expires once.
    app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    for (event_id, kind) in &expected {
        let hooks = hook.hooks(of(event_id));
        assert_eq!(hooks.iter().filter(|h| h.status == 200).count(), 1, "{event_id} delivered once");
        for h in &hooks {
            assert_signed(h, &[&new_secret, &secret]);
            let body: Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(body["type"], *kind);
            assert!(
                !h.body.contains("generator") && !h.body.contains("Strong answers"),
                "no message content"
            );
        }
    }
    let body = |event_id: &str| -> Value { serde_json::from_str(&hook.hooks(of(event_id))[0].body).unwrap() };
    assert_eq!(body(&expected[0].0)["data"]["interview_id"], interview.as_str());
    assert_eq!(body(&expected[0].0)["data"]["job_id"], job.as_str());
    assert!(body(&expected[1].0)["data"]["overall_score"].is_number());
    assert_eq!(body(&expected[2].0)["data"]["decision"], "advance");
    assert_eq!(body(&expected[3].0)["data"]["invitation_id"], late.as_str());
    let stored = d1_query(app.server, &format!("SELECT status FROM invitations WHERE id = '{late}'"));
    assert_eq!(stored[0]["status"], "expired");

    // Changes; a deactivated endpoint gets no new events; delete.
    let (status, changed) =
        patch(&app, &admin, &base, &json!({"events": ["decision.made"], "active": false})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["events"].clone(), changed["active"].clone()),
        (json!(["decision.made"]), json!(false))
    );
    let (status, body) = patch(&app, &recruiter, &base, &json!({"active": true})).await;
    assert_eq!((status, error_code(&body)), (403, "FORBIDDEN"));
    let (status, body) = patch(&app, &admin, &base, &json!({"url": "mailto:x"})).await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"));
    let (status, _) = send(app.request(Method::DELETE, &base, &admin)).await;
    assert_eq!(status, 204);
    let (status, _) = app.get(&admin, &base).await;
    assert_eq!(status, 404);

    // One audit entry per change, scoped to the organization.
    let (status, page) = app.get(&admin, "/api/v1/org/audit?limit=100").await;
    assert_eq!(status, 200);
    let mut recorded: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("webhook.")))
        .map(|e| {
            assert_eq!(e["target_id"], id.as_str());
            e["action"].as_str().unwrap().to_owned()
        })
        .collect();
    recorded.sort();
    let mut wanted: Vec<String> = [
        "webhook.created",
        "webhook.tested",
        "webhook.secret_rotated",
        "webhook.tested",
        "webhook.updated",
        "webhook.deleted",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    wanted.sort();
    assert_eq!(recorded, wanted, "{page}");
    let (_, theirs) = app.get(&outsider, "/api/v1/org/audit?limit=100").await;
    assert!(!theirs.to_string().contains(&id), "another organization's trail never shows it");
}
