//! Decision messages to candidates against `wrangler dev` (docs/hiring.md#decision-messages):
//! the organization's templates (staff read, admins write, validated placeholders, scoped to the
//! organization, audited as `settings.updated`); a decision with `notify_candidate` lands in the
//! dev mailbox exactly once however often the sender runs, with the template and never the
//! reason; none without the flag; none to an address that unsubscribed (shown `skipped`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::app::error_code;
use common::{unique, TestApp};
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";
const TEMPLATES: &str = "/api/v1/org/settings/decision-templates";

async fn cron(app: &TestApp) {
    let (status, _) = app.get("", &format!("/__scheduled?cron={FREQUENT_CRON}")).await;
    assert_eq!(status, 200);
}

/// The dev mailbox's messages to `to` of `kind`.
async fn mails(app: &TestApp, to: &str, kind: &str) -> Vec<Value> {
    let (status, body) = app.get("", &format!("/api/v1/dev/mailbox?to={to}")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).cloned().collect()
}

/// The interview's `decision` messages on its timeline, as (status) in order.
async fn decision_statuses(app: &TestApp, token: &str, interview: &str) -> Vec<String> {
    let (status, hiring) = app.get(token, &format!("/api/v1/recruiter/interviews/{interview}/hiring")).await;
    assert_eq!(status, 200, "{hiring}");
    hiring["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["kind"] == "decision")
        .map(|n| n["status"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs the sender (the frequent cron) until no decision message of `interview` is pending —
/// twice in a row, then three at once, at least — and returns the timeline's statuses.
async fn settle(app: &TestApp, token: &str, interview: &str) -> Vec<String> {
    for round in 0..60 {
        cron(app).await;
        cron(app).await;
        tokio::join!(cron(app), cron(app), cron(app));
        let statuses = decision_statuses(app, token, interview).await;
        if !statuses.iter().any(|s| s == "pending") {
            return statuses;
        }
        assert!(round < 59, "a decision message stayed pending: {statuses:?}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    unreachable!()
}

async fn decide(app: &TestApp, token: &str, interview: &str, body: &Value) -> Value {
    let (status, out) =
        app.post(token, &format!("/api/v1/recruiter/interviews/{interview}/decisions"), body).await;
    assert_eq!(status, 201, "{out}");
    out
}

#[tokio::test]
async fn templates_are_validated_scoped_and_audited_and_decision_messages_land_once() {
    let app = TestApp::with(&[("MAILER", "dev"), ("MAIL_RETRY_BASE_SECS", "0")]);
    let org_name = format!("Decide Co {}", unique());
    let admin = app.admin_of_new_org(&org_name).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let viewer = app.staff(&admin, "viewer").await;
    let outsider = app.admin_of_new_org(&format!("Other Co {}", unique())).await;
    let candidate_only = app.candidate().await;

    // Built-in templates until the organization sets its own; staff read them.
    let (status, defaults) = app.get(&viewer, TEMPLATES).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(defaults["placeholders"], json!(["candidate_name", "job_title", "org_name"]));
    for d in ["advance", "hold", "reject"] {
        assert_eq!(defaults["templates"][d]["is_default"], true, "{defaults}");
        assert!(defaults["templates"][d]["body"].as_str().unwrap().contains("{{candidate_name}}"));
    }
    let (status, _) = app.get(&candidate_only, TEMPLATES).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("", TEMPLATES).await;
    assert_eq!(status, 401);

    // Only admins change them.
    let run = unique();
    let mine = json!({ "reject": {
        "subject": "About {{job_title}} at {{org_name}}",
        "body": format!("Dear {{{{ candidate_name }}}},\n\nWe will not continue. Marker {run}.\n\n{{{{org_name}}}}"),
    }});
    for token in [&viewer, &recruiter, &candidate_only] {
        let (status, body) = app.put(token, TEMPLATES, &mine).await;
        assert_eq!((status, error_code(&body)), (403, "FORBIDDEN"), "{body}");
    }
    // An unknown placeholder (and every other problem) is named by field.
    let (status, body) = app
        .put(
            &admin,
            TEMPLATES,
            &json!({ "reject": { "subject": "Hi", "body": "Your {{salary}} offer" }, "hold": { "subject": "x" }, "hire": {} }),
        )
        .await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");
    let fields: Vec<&str> =
        body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    for f in ["reject.body", "hold.body", "hire"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let (_, still) = app.get(&admin, TEMPLATES).await;
    assert_eq!(still["templates"]["reject"]["is_default"], true, "a refused PUT changes nothing");

    let (status, set) = app.put(&admin, TEMPLATES, &mine).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["templates"]["reject"]["is_default"], false);
    assert_eq!(set["templates"]["reject"]["subject"], "About {{job_title}} at {{org_name}}");
    assert_eq!(set["templates"]["advance"]["is_default"], true, "other decisions keep the default");
    // Another organization still has the defaults, and sees no entry of ours.
    let (_, theirs) = app.get(&outsider, TEMPLATES).await;
    assert_eq!(theirs["templates"]["reject"]["is_default"], true, "{theirs}");
    let (status, trail) = app.get(&admin, "/api/v1/org/audit?action=settings.updated").await;
    assert_eq!(status, 200, "{trail}");
    let entries = trail["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{trail}");
    assert_eq!(entries[0]["target_type"], "org");
    assert!(entries[0]["detail"].as_str().unwrap().contains("reject"), "{trail}");
    let (_, other_trail) = app.get(&outsider, "/api/v1/org/audit?action=settings.updated").await;
    assert_eq!(other_trail["items"], json!([]), "{other_trail}");

    // A rejection with notify_candidate: exactly one message, the template filled in, never the
    // reason, with an unsubscribe link; on the interview's timeline.
    let (status, job) = app
        .post(
            &recruiter,
            "/api/v1/jobs",
            &json!({"title": "Data engineer", "role_family": "python", "status": "open"}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let job = job["id"].as_str().unwrap().to_owned();
    let (ada, bob) = (format!("ada-{run}@example.com"), format!("bob-{run}@example.com"));
    let ada_interview = app.invited_interview(&recruiter, &job, &ada, "Ada Lovelace").await.1;
    let bob_interview = app.invited_interview(&recruiter, &job, &bob, "Bob Byte").await.1;
    let reason = format!("Private reason {run}: weak on SQL");
    decide(
        &app,
        &recruiter,
        &ada_interview,
        &json!({"decision": "reject", "reason": reason, "notify_candidate": true}),
    )
    .await;
    decide(&app, &recruiter, &bob_interview, &json!({"decision": "hold", "reason": reason})).await;
    assert_eq!(settle(&app, &recruiter, &ada_interview).await, ["sent"]);
    settle(&app, &recruiter, &bob_interview).await;
    let messages = mails(&app, &ada, "decision").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (subject, text) = (messages[0]["subject"].as_str().unwrap(), messages[0]["text"].as_str().unwrap());
    assert_eq!(subject, format!("About Data engineer at {org_name}"));
    assert!(text.starts_with("Dear Ada Lovelace,") && text.contains(&format!("Marker {run}.")), "{text}");
    assert!(!text.contains(&reason) && !text.contains("weak on SQL"), "the reason is never emailed");
    assert!(!text.contains("{{"), "{text}");
    assert!(mails(&app, &bob, "decision").await.is_empty(), "no flag, no message");
    assert!(decision_statuses(&app, &viewer, &bob_interview).await.is_empty());

    // Ada unsubscribes with the message's link: a later decision message to her is not sent,
    // and shows as skipped. A viewer cannot ask for a message either.
    let token = text.rsplit("/#/unsubscribe/").next().unwrap().split_whitespace().next().unwrap().to_owned();
    let (status, body) = app.post_empty("", &format!("/api/v1/unsubscribe/{token}")).await;
    assert_eq!((status, &body), (200, &json!({"unsubscribed": true})));
    let (status, _) = app
        .post(
            &viewer,
            &format!("/api/v1/recruiter/interviews/{ada_interview}/decisions"),
            &json!({"decision": "advance", "reason": "r", "notify_candidate": true}),
        )
        .await;
    assert_eq!(status, 403);
    decide(
        &app,
        &admin,
        &ada_interview,
        &json!({"decision": "advance", "reason": "Changed our mind", "notify_candidate": true}),
    )
    .await;
    assert_eq!(settle(&app, &recruiter, &ada_interview).await, ["sent", "skipped"]);
    assert_eq!(mails(&app, &ada, "decision").await.len(), 1, "an opted-out address gets no more");
    let (status, _) =
        app.get(&outsider, &format!("/api/v1/recruiter/interviews/{ada_interview}/hiring")).await;
    assert_eq!(status, 404);

    // null restores the built-in message.
    let (status, reset) = app.put(&admin, TEMPLATES, &json!({"reject": null})).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["templates"]["reject"], defaults["templates"]["reject"]);
}
