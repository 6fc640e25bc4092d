//! The hiring workflow against `wrangler dev` (docs/hiring.md): decisions, reviews with ratings
//! and score overrides with their role rules (viewers read, recruiters and admins write, other
//! organizations get 404) and history; the CSV export of a job's results, parsed by Python's
//! `csv` module, with a formula-shaped name neutralised; and the audit trail — an entry for every
//! audited action (table-driven), scoped to the organization, immutable through the API.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use common::app::{error_code, send};
use common::{unique, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    send(app.request(Method::PATCH, path, token).json(body)).await
}

/// An open job of the bank's `python` family.
async fn open_job(app: &TestApp, recruiter: &str) -> String {
    let (status, job) = app
        .post(
            recruiter,
            "/api/v1/jobs",
            &json!({"title": "Backend engineer (Python)", "role_family": "python", "status": "open"}),
        )
        .await;
    assert_eq!(status, 201, "job: {job}");
    job["id"].as_str().expect("job id").to_owned()
}

/// Parses CSV text with Python's `csv` module (as a recruiter's tooling would).
fn python_csv(text: &str) -> Vec<Vec<String>> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys\n\
             rows = list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')))\n\
             print(json.dumps(rows))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python3 output");
    assert!(out.status.success(), "python's csv module refused the export");
    serde_json::from_slice(&out.stdout).expect("rows")
}

async fn get_text(app: &TestApp, token: &str, path: &str) -> (u16, String, String) {
    let resp = app.request(Method::GET, path, token).send().await.expect("request");
    let status = resp.status().as_u16();
    let content_type =
        resp.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, resp.text().await.expect("body"))
}

#[tokio::test]
async fn decisions_reviews_and_overrides_keep_history_and_export_to_csv() {
    let app = TestApp::new();
    let admin = app.admin_of_new_org(&format!("Hiring Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let viewer = app.staff(&admin, "viewer").await;
    let outsider = app.admin_of_new_org(&format!("Other Co {}", unique())).await;
    let job = open_job(&app, &recruiter).await;
    let run = unique();
    let names = ["=HYPERLINK(\"http://evil.example\",\"open\")", "Lovelace, Ada", "Grace \"Amazing\" Hopper"];
    let mut interviews = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let email = format!("cand{i}.{run}@example.com");
        interviews.push(app.invited_interview(&recruiter, &job, &email, name).await);
    }
    app.complete_assessed(
        &interviews[0].0,
        &interviews[0].1,
        "A generator yields values lazily, one at a time, so memory stays flat.",
    )
    .await;
    app.complete_assessed(
        &interviews[1].0,
        &interviews[1].1,
        "Lists are mutable and tuples are not; tuples can be dict keys.",
    )
    .await;
    let id = interviews[0].1.clone();
    let base = format!("/api/v1/recruiter/interviews/{id}");

    // Nothing recorded yet; viewers read but cannot write; another organization sees nothing.
    let (status, hiring) = app.get(&viewer, &format!("{base}/hiring")).await;
    assert_eq!(status, 200, "{hiring}");
    assert!(hiring["decision"].is_null() && hiring["decisions"] == json!([]), "{hiring}");
    let original = hiring["original_score"].as_f64().expect("the assessment's score");
    let decision = json!({"decision": "hold", "reason": "Waiting for the panel"});
    for path in ["decisions", "reviews", "score-override"] {
        let (status, body) = app.post(&viewer, &format!("{base}/{path}"), &decision).await;
        assert_eq!((status, error_code(&body)), (403, "FORBIDDEN"), "viewer {path}: {body}");
        let (status, body) = app.post(&outsider, &format!("{base}/{path}"), &decision).await;
        assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"), "other org {path}: {body}");
    }
    let (status, _) = app.get(&outsider, &format!("{base}/hiring")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&interviews[0].0, &format!("{base}/hiring")).await;
    assert_eq!(status, 403, "the candidate does not see the hiring records");

    // Decisions: validated, kept as a history, the newest in force.
    let (status, body) =
        app.post(&recruiter, &format!("{base}/decisions"), &json!({"decision": "hire"})).await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["decision", "reason"]);
    let (status, _) = app.post(&recruiter, &format!("{base}/decisions"), &decision).await;
    assert_eq!(status, 201);
    let (status, hiring) = app
        .post(
            &admin,
            &format!("{base}/decisions"),
            &json!({"decision": "advance", "reason": "Strong on generators"}),
        )
        .await;
    assert_eq!(status, 201, "{hiring}");
    assert_eq!(hiring["decision"]["decision"], "advance");
    let history: Vec<&str> = hiring["decisions"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|d| d["decision"].as_str())
        .collect();
    assert_eq!(history, ["advance", "hold"], "newest first");

    // Reviews: notes and 1-5 ratings from several reviewers, averaged per area.
    let (status, body) = app
        .post(&recruiter, &format!("{base}/reviews"), &json!({"ratings": {"iteration_generators": 9}}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .post(
            &recruiter,
            &format!("{base}/reviews"),
            &json!({"note": "Clear on laziness.", "ratings": {"iteration_generators": 4}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, hiring) =
        app.post(&admin, &format!("{base}/reviews"), &json!({"ratings": {"iteration_generators": 2}})).await;
    assert_eq!(status, 201);
    assert_eq!(hiring["reviews"].as_array().map(Vec::len), Some(2));
    assert_eq!(hiring["average_ratings"]["iteration_generators"], json!(3.0));

    // An override needs a reason; the original score is kept beside it.
    let (status, body) =
        app.post(&recruiter, &format!("{base}/score-override"), &json!({"overall_score": 88})).await;
    assert_eq!(status, 422, "{body}");
    let (status, hiring) = app
        .post(
            &recruiter,
            &format!("{base}/score-override"),
            &json!({"overall_score": 88, "reason": "The panel's live exercise showed more depth"}),
        )
        .await;
    assert_eq!(status, 201, "{hiring}");
    assert_eq!(hiring["effective_score"], json!(88.0));
    assert_eq!(hiring["original_score"].as_f64(), Some(original));
    assert_eq!(hiring["score_override"]["reason"], "The panel's live exercise showed more depth");

    // The results list shows the decision and the score in force.
    let (_, results) = app.get(&viewer, &format!("/api/v1/jobs/{job}/results")).await;
    let row = results["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["interview_id"] == id.as_str())
        .cloned();
    let row = row.expect("the interview's row");
    assert_eq!((row["decision"].as_str(), row["effective_score"].as_f64()), (Some("advance"), Some(88.0)));

    // The CSV: three candidates, a header, Python's csv module reads it; the formula is text.
    let (status, content_type, text) =
        get_text(&app, &viewer, &format!("/api/v1/jobs/{job}/results/export")).await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = python_csv(&text);
    assert_eq!(rows.len(), 4, "a header and three candidates: {rows:?}");
    let header = &rows[0];
    let col =
        |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let by_email: BTreeMap<&str, &Vec<String>> =
        rows[1..].iter().map(|r| (r[col("email")].as_str(), r)).collect();
    let row = |i: usize| by_email[format!("cand{i}.{run}@example.com").as_str()];
    assert_eq!(row(0)[col("candidate_name")], format!("'{}", names[0]), "the formula is neutralised");
    assert_eq!(row(1)[col("candidate_name")], names[1]);
    assert_eq!(row(2)[col("candidate_name")], names[2]);
    assert_eq!(row(0)[col("decision")], "advance");
    assert_eq!(row(0)[col("effective_score")], "88");
    assert_eq!(row(0)[col("interview_status")], "completed");
    assert_eq!(row(2)[col("interview_status")], "in_progress");
    assert!(header.iter().any(|h| h.starts_with("score_")), "a column per skill area: {header:?}");
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let (status, _, _) = get_text(&app, &outsider, &format!("/api/v1/jobs/{job}/results/export")).await;
    assert_eq!(status, 404);
}

/// One audited action: what to do, and the entry it must leave (action, target id).
struct Audited {
    action: &'static str,
    target: String,
}

#[tokio::test]
async fn every_audited_action_leaves_one_entry_scoped_to_the_organization() {
    let app = TestApp::new();
    let admin = app.admin_of_new_org(&format!("Audit Co {}", unique())).await;
    let recruiter = app.staff(&admin, "recruiter").await;
    let outsider = app.admin_of_new_org(&format!("Elsewhere {}", unique())).await;
    let run = unique();
    let mut expected: Vec<Audited> = Vec::new();
    let (_, me) = app.get(&recruiter, "/api/v1/auth/me").await;
    expected.push(Audited { action: "member.created", target: me["id"].as_str().expect("id").to_owned() });

    let job = open_job(&app, &recruiter).await;
    expected.push(Audited { action: "job.created", target: job.clone() });
    let (status, _) =
        patch(&app, &recruiter, &format!("/api/v1/jobs/{job}"), &json!({"title": "Renamed"})).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "job.updated", target: job.clone() });
    let (token, id) =
        app.invited_interview(&recruiter, &job, &format!("audit.{run}@example.com"), "Audrey Auditee").await;
    expected.push(Audited { action: "invitations.created", target: job.clone() });
    let (status, body) = app
        .post(
            &recruiter,
            &format!("/api/v1/jobs/{job}/invitations"),
            &json!({"emails": [format!("two.{run}@example.com")]}),
        )
        .await;
    assert_eq!(status, 201);
    expected.push(Audited { action: "invitations.created", target: job.clone() });
    let second = body["invitations"][0]["id"].as_str().expect("id").to_owned();
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{second}/resend")).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "invitation.resent", target: second.clone() });
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{second}/revoke")).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "invitation.revoked", target: second.clone() });
    // A revoke that changes nothing records nothing.
    let (status, _) = app.post_empty(&recruiter, &format!("/api/v1/invitations/{second}/revoke")).await;
    assert_eq!(status, 409);

    app.complete_assessed(&token, &id, "Dicts map keys to values with average O(1) lookups.").await;
    let (status, _) = app.get(&recruiter, &format!("/api/v1/recruiter/interviews/{id}")).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "assessment.viewed", target: id.clone() });
    let (status, body) =
        app.post(&token, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        app.request(
            Method::POST,
            &format!("/api/v1/videos/{id}/upload-chunk?chunk_index=0&total_chunks=1"),
            &token,
        )
        .header("Content-Type", "video/webm")
        .body(vec![0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.get(&recruiter, &format!("/api/v1/videos/{id}")).await;
    assert_eq!(status, 200, "{body}");
    expected.push(Audited { action: "video.viewed", target: id.clone() });
    let base = format!("/api/v1/recruiter/interviews/{id}");
    for (path, body, action) in [
        ("decisions", json!({"decision": "reject", "reason": "Not enough depth"}), "decision.made"),
        ("reviews", json!({"note": "Short answers."}), "review.added"),
        ("score-override", json!({"overall_score": 10, "reason": "Calibration"}), "score.overridden"),
    ] {
        let (status, answer) = app.post(&recruiter, &format!("{base}/{path}"), &body).await;
        assert_eq!(status, 201, "{path}: {answer}");
        expected.push(Audited { action, target: id.clone() });
    }
    let (status, _, _) = get_text(&app, &recruiter, &format!("/api/v1/jobs/{job}/results/export")).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "results.exported", target: job.clone() });
    let (status, invited) = app
        .post(
            &admin,
            "/api/v1/org/members/invite",
            &json!({"email": format!("staff.{run}@example.com"), "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201, "{invited}");
    let member = invited["member"]["id"].as_str().expect("member id").to_owned();
    expected.push(Audited { action: "member.invited", target: member.clone() });
    let (status, _) =
        patch(&app, &admin, &format!("/api/v1/org/members/{member}"), &json!({"role": "recruiter"})).await;
    assert_eq!(status, 200);
    expected.push(Audited { action: "member.updated", target: member.clone() });

    // Only org admins read the trail.
    let (status, _) = app.get(&recruiter, "/api/v1/org/audit").await;
    assert_eq!(status, 403);
    let (status, page) = app.get(&admin, "/api/v1/org/audit?limit=100").await;
    assert_eq!(status, 200, "{page}");
    let entries = page["items"].as_array().expect("items");
    let mut recorded: Vec<(String, String)> = entries
        .iter()
        .map(|x| {
            (
                x["action"].as_str().unwrap_or_default().to_owned(),
                x["target_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut wanted: Vec<(String, String)> =
        expected.iter().map(|e| (e.action.to_owned(), e.target.clone())).collect();
    recorded.sort();
    wanted.sort();
    assert_eq!(recorded, wanted, "exactly one entry per action, nothing else: {page}");
    assert!(entries.iter().all(|x| x["actor_id"].is_string() && x["client"].is_string()), "{page}");
    // Filters, and newest first.
    let (_, only) = app.get(&admin, &format!("/api/v1/org/audit?action=decision.made&target_id={id}")).await;
    assert_eq!(only["items"].as_array().map(Vec::len), Some(1), "{only}");
    let times: Vec<&str> = entries.iter().filter_map(|e| e["created_at"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    let (status, body) = app.get(&admin, "/api/v1/org/audit?action=nope").await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"));

    // Another organization's admin sees none of it.
    let (_, theirs) = app.get(&outsider, "/api/v1/org/audit?limit=100").await;
    assert!(
        theirs["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["target_id"] != id.as_str() && e["target_id"] != job.as_str()),
        "{theirs}"
    );

    // No route changes or deletes an entry.
    let entry = entries[0]["id"].as_str().expect("entry id");
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, _) =
            send(app.request(method.clone(), "/api/v1/org/audit", &admin).json(&json!({}))).await;
        assert_eq!(status, 405, "{method} /org/audit");
        let (status, _) =
            send(app.request(method.clone(), &format!("/api/v1/org/audit/{entry}"), &admin)).await;
        assert_eq!(status, 404, "{method} /org/audit/{{id}}");
    }

    // The export is itself recorded, and carries every entry.
    let (status, content_type, text) = get_text(&app, &admin, "/api/v1/org/audit/export").await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/csv"));
    let rows = python_csv(&text);
    assert_eq!(rows[0][3], "action");
    assert_eq!(rows.len(), 1 + expected.len() + 1, "header, the entries and the export's own: {rows:?}");
    assert_eq!(rows[1][3], "audit.exported", "the export is the newest entry");
}
