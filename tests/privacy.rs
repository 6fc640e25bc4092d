//! Privacy end to end against `wrangler dev` (docs/privacy.md): a candidate's data export holds
//! every category of their data and nothing of anyone else, with media links that expire; an
//! erasure (the candidate's own, or an org admin's of what the organization holds) leaves no D1
//! row, Durable Object storage or R2 object of it — also when a run stops midway (one unit per
//! run here) — while other candidates are untouched, and records an audit entry; retention
//! deletes exactly what is past each organization's period (time injected as fractional days,
//! as the video retention test does).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::app::{error_code, send};
use common::{d1_query, unique, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const FREQUENT_CRON: &str = "*%2F5+*+*+*+*";
const DAILY_CRON: &str = "17+3+*+*+*";
/// Dev mailbox; résumé feedback sent at once; export media links valid 36 s; one erasure
/// unit per run, so every erasure takes several runs (a run "killed" after each unit).
const VARS: &[(&str, &str)] = &[
    ("MAILER", "dev"),
    ("MAIL_RETRY_BASE_SECS", "0"),
    ("FEEDBACK_AUTO_SEND_HOURS", "0"),
    ("EXPORT_LINK_HOURS", "0.01"),
    ("ERASURE_STEPS_PER_RUN", "1"),
];

fn app() -> TestApp {
    TestApp::with(VARS)
}

const RESUME: &str = "Jane Doe\njane@example.com\n\nSkills: Python, React, SQL, Docker\n\nExperience\n\
Senior engineer at Example Corp (2019-2024): built Python services and React front ends.\n";

async fn cron(app: &TestApp, cron: &str) {
    let resp = app.request(Method::GET, &format!("/__scheduled?cron={cron}"), "").send().await.unwrap();
    assert!(resp.status().is_success(), "cron trigger");
}

/// A candidate with a résumé, a completed interview whose answer carries `marker`, and a video:
/// (account, interview id, résumé id, video bytes).
async fn candidate_with_everything(
    app: &TestApp,
    marker: &str,
) -> (common::app::Account, String, String, Vec<u8>) {
    let me = app.register(&format!("Cand {marker}")).await;
    let (status, resume) =
        app.upload_resume(&me.token, format!("{RESUME}{marker}\n").as_bytes(), "cv.txt", "text/plain").await;
    assert_eq!(status, 202, "{resume}");
    let resume = resume["resume_id"].as_str().unwrap().to_owned();
    let id = app.start_id(&me.token, "python").await;
    let (status, body) = app
        .post(&me.token, &format!("/api/v1/interviews/{id}/video-consent"), &json!({"consent": true}))
        .await;
    assert_eq!(status, 200, "consent: {body}");
    app.answer_ok(&me.token, &id, &format!("Generators yield values lazily, one at a time. {marker}")).await;
    let video = video_bytes(marker.len() as u64, 4096);
    upload_video(app, &me.token, &id, &video).await;
    let (status, _) = app.post(&me.token, &format!("/api/v1/interviews/{id}/complete"), &json!({})).await;
    assert_eq!(status, 200);
    app.wait_ok(&me.token, &format!("/api/v1/interviews/{id}/assessment"), Duration::from_secs(60), &[202])
        .await;
    (me, id, resume, video)
}

fn video_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0x1A, 0x45, 0xDF, 0xA3];
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

async fn upload_video(app: &TestApp, token: &str, id: &str, video: &[u8]) {
    let path = format!("/api/v1/videos/{id}/upload-chunk?chunk_index=0&total_chunks=1");
    let (status, body) = send(
        app.request(Method::POST, &path, token).header("Content-Type", "video/webm").body(video.to_vec()),
    )
    .await;
    assert_eq!(status, 200, "chunk: {body}");
    let (status, body) = app.post_empty(token, &format!("/api/v1/videos/{id}/finalize")).await;
    assert_eq!(status, 200, "finalize: {body}");
}

async fn raw_get(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = app.request(Method::GET, path, token).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

/// Runs the frequent cron until erasure request `id` is done; returns its runs.
async fn erase_until_done(app: &TestApp, id: &str) -> i64 {
    for _ in 0..80 {
        let rows =
            d1_query(app.server, &format!("SELECT status, runs FROM erasure_requests WHERE id = '{id}'"));
        if rows[0]["status"] == "done" {
            return rows[0]["runs"].as_i64().unwrap();
        }
        cron(app, FREQUENT_CRON).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("erasure {id} never finished");
}

/// Every relational table's rows (but the migration bookkeeping), as text, by table.
fn d1_dump(app: &TestApp) -> Vec<(String, String)> {
    let list = if common::on_postgres() {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'"
    };
    let tables = d1_query(app.server, list);
    let names: Vec<String> = tables.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert!(names.len() > 20, "the tables: {names:?}");
    let select = |n: &String| format!("SELECT '{n}' AS _table, * FROM {n}");
    let rows = if common::on_postgres() {
        names.iter().flat_map(|n| d1_query(app.server, &select(n))).collect()
    } else {
        d1_query(app.server, &names.iter().map(|n| select(n) + ";").collect::<String>())
    };
    names
        .into_iter()
        .map(|n| {
            let mine: Vec<&Value> = rows.iter().filter(|r| r["_table"] == n.as_str()).collect();
            let text = serde_json::to_string(&mine).unwrap();
            (n, text)
        })
        .collect()
}

/// The tables whose rows mention any of `needles` (`audit_log` may keep interview ids of staff
/// reads: it is append-only, docs/privacy.md).
fn tables_mentioning(dump: &[(String, String)], needles: &[&str], skip_audit: bool) -> Vec<String> {
    dump.iter()
        .filter(|(t, _)| !(skip_audit && t == "audit_log"))
        .filter(|(_, rows)| needles.iter().any(|n| rows.contains(n)))
        .map(|(t, rows)| format!("{t}: {}", &rows[..rows.len().min(400)]))
        .collect()
}

/// Whether any interview Durable Object's SQLite storage holds `needle`.
fn do_storage_holds(app: &TestApp, needle: &str) -> bool {
    let found = do_file_holding(app, needle);
    if let Some(path) = &found {
        eprintln!("{needle} found in {}", path.display());
    }
    found.is_some()
}

fn do_file_holding(app: &TestApp, needle: &str) -> Option<std::path::PathBuf> {
    let mut stack = vec![app.server.state_dir.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sqlite") && sqlite_holds(&path, needle) {
                let p = path.to_string_lossy();
                if p.contains("InterviewDo") {
                    return Some(path);
                }
            }
        }
    }
    None
}

fn sqlite_holds(path: &Path, needle: &str) -> bool {
    let Ok(conn) = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return false;
    };
    let tables: Vec<String> = conn
        // The runtime's own bookkeeping (`__miniflare_do_name`: the object's name, `_cf_*`) is not
        // the object's storage.
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    tables.iter().any(|t| {
        conn.prepare(&format!("SELECT * FROM \"{t}\""))
            .and_then(|mut s| {
                let n = s.column_count();
                let mut rows = s.query([])?;
                let mut found = false;
                while let Some(row) = rows.next()? {
                    for i in 0..n {
                        if let Ok(text) = row.get::<_, String>(i) {
                            found |= text.contains(needle);
                        }
                    }
                }
                Ok(found)
            })
            .unwrap_or(false)
    })
}

/// Whether R2 holds any object under `prefix`.
fn r2_has(app: &TestApp, prefix: &str) -> bool {
    let mut stack = vec![app.server.state_dir.clone()];
    let mut found = false;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sqlite")
                && path.to_string_lossy().contains("R2BucketObject")
            {
                let conn =
                    rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .unwrap();
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM _mf_objects WHERE key LIKE ?1",
                        [format!("{prefix}%")],
                        |r| r.get(0),
                    )
                    .unwrap_or(0);
                found |= n > 0;
            }
        }
    }
    found
}

async fn open_job(app: &TestApp, admin: &str) -> String {
    let body = json!({
        "title": "Python engineer", "description": "Build and run Python services for our platform.",
        "role_family": "python", "status": "open",
        "questions": [{"text": "What is the difference between a list and a tuple in Python?",
            "skill_area": "data_model_types", "level": "warmup",
            "rubric": [{"point": "tuples are immutable", "synonyms": ["immutable"]}]}]
    });
    let (status, job) = app.post(admin, "/api/v1/jobs", &body).await;
    assert_eq!(status, 201, "job: {job}");
    job["id"].as_str().unwrap().to_owned()
}

/// `candidate` invited to `job` by `admin`, accepting: the org interview's id (one answer given).
async fn org_interview(
    app: &TestApp,
    admin: &str,
    job: &str,
    candidate: &common::app::Account,
    marker: &str,
) -> String {
    let (status, invited) = app
        .post(admin, &format!("/api/v1/jobs/{job}/invitations"), &json!({"emails": [candidate.email]}))
        .await;
    assert_eq!(status, 201, "{invited}");
    let link = invited["invitations"][0]["link"].as_str().unwrap().to_owned();
    let token = link.rsplit("/invite/").next().unwrap().to_owned();
    let (status, started) =
        app.post(&candidate.token, &format!("/api/v1/invite/{token}/accept"), &json!({})).await;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    app.answer_ok(&candidate.token, &id, &format!("Tuples are immutable, lists can change. {marker}")).await;
    id
}

#[tokio::test]
async fn an_export_holds_every_category_of_the_candidate_and_nothing_of_another() {
    let app = app();
    let other_marker = format!("OTHER-{}", unique());
    let (other, other_interview, other_resume, _) = candidate_with_everything(&app, &other_marker).await;
    let marker = format!("MINE-{}", unique());
    let (me, interview, resume, video) = candidate_with_everything(&app, &marker).await;
    // Let the résumé be parsed and its feedback sent (due at once here).
    for _ in 0..60 {
        cron(&app, FREQUENT_CRON).await;
        let rows =
            d1_query(app.server, &format!("SELECT status FROM resume_feedback WHERE resume_id = '{resume}'"));
        if rows.first().is_some_and(|r| r["status"] == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Staff cannot export; the candidate asks, and the export is built after the response.
    let admin = app.admin().await;
    let (status, _) = app.post(&admin, "/api/v1/me/exports", &json!({})).await;
    assert_eq!(status, 403);
    let (status, created) = app.post(&me.token, "/api/v1/me/exports", &json!({})).await;
    assert_eq!((status, created["status"].as_str()), (202, Some("pending")), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/me/exports/{id}");
    let mut view = Value::Null;
    for _ in 0..80 {
        let (status, body) = app.get(&me.token, &path).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] == "ready" {
            view = body;
            break;
        }
        cron(&app, FREQUENT_CRON).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(view["status"], "ready", "the export was built");
    assert!(view["expires_at"].is_string() && view["download_url"].is_string(), "{view}");
    // Another candidate sees nothing of it.
    assert_eq!(app.get(&other.token, &path).await.0, 404);
    assert_eq!(raw_get(&app, &other.token, &format!("{path}/download")).await.0, 404);

    let (status, bytes) = raw_get(&app, &me.token, view["download_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    // Every category.
    assert_eq!(doc["profile"]["email"], me.email.as_str(), "{doc}");
    let interviews = doc["interviews"].as_array().unwrap();
    assert_eq!(interviews.len(), 1);
    assert_eq!(interviews[0]["id"], interview.as_str());
    assert!(interviews[0]["details"].is_object(), "{}", interviews[0]);
    assert!(interviews[0]["transcript"].to_string().contains(&marker), "the messages");
    assert!(interviews[0]["assessment"]["overall_score"].is_number(), "{}", interviews[0]["assessment"]);
    assert_eq!(doc["resumes"][0]["id"], resume.as_str());
    assert!(doc["resumes"][0]["link"].is_string());
    assert!(doc["resumes"][0].get("parsed_data").is_some());
    assert!(doc["feedback_sent"].is_array());
    assert_eq!(doc["videos"][0]["interview_id"], interview.as_str());
    let consents = doc["consents"].as_array().unwrap();
    assert!(consents.iter().any(|c| c["kind"] == "video_recording" && c["given"] == 1), "{consents:?}");
    // Candidate-facing only: no staff fields.
    for staff_only in ["integrity_flags", "ai_reasoning", "cost", "decision", "recommended_actions"] {
        let key = format!("\"{staff_only}\":");
        assert!(!interviews[0].to_string().contains(&key), "{staff_only}");
    }
    // Nothing of the other candidate.
    for theirs in [&other.email, &other.user_id, &other_interview, &other_resume, &other_marker] {
        assert!(!text.contains(theirs.as_str()), "the export mentions {theirs}");
    }

    // Media links work, then expire (EXPORT_LINK_HOURS here is 36 s).
    let video_link = doc["videos"][0]["link"].as_str().unwrap().to_owned();
    let resume_link = doc["resumes"][0]["link"].as_str().unwrap().to_owned();
    let rel = |l: &str| l[l.find("/api/").unwrap()..].to_owned();
    assert_eq!(raw_get(&app, "", &rel(&video_link)).await, (200, video.clone()));
    let (status, file) = raw_get(&app, "", &rel(&resume_link)).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&file).contains(&marker));
    // Announced by email, with a link to the privacy page.
    let mut mails = Vec::new();
    for _ in 0..40 {
        let (_, body) = app.get("", &format!("/api/v1/dev/mailbox?to={}", me.email)).await;
        mails = body["messages"].as_array().cloned().unwrap_or_default();
        if mails.iter().any(|m| m["kind"] == "data_export") {
            break;
        }
        cron(&app, FREQUENT_CRON).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mail = mails.iter().find(|m| m["kind"] == "data_export").expect("the export email");
    assert!(mail["text"].as_str().unwrap().contains("/#/account/privacy"), "{mail}");

    let tampered = format!("{}x", rel(&video_link));
    assert_eq!(raw_get(&app, "", &tampered).await.0, 404, "a link that does not verify");
    let expires = doc["links_expire_at"].as_str().unwrap().to_owned();
    loop {
        if days_ago(0) > expires {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (status, body) = raw_get(&app, "", &rel(&video_link)).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, error_code(&body)), (410, "EXPORT_EXPIRED"), "an expired link");

    // The export itself expires (time injected: its expiry moved into the past): 410, then the
    // daily job deletes the document.
    assert!(r2_has(&app, &format!("exports/{}/", me.user_id)));
    d1_query(
        app.server,
        &format!("UPDATE data_exports SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = '{id}'"),
    );
    let (_, view) = app.get(&me.token, &path).await;
    assert_eq!((view["status"].as_str(), view["download_url"].clone()), (Some("expired"), Value::Null));
    let (status, _) = raw_get(&app, &me.token, &format!("{path}/download")).await;
    assert_eq!(status, 410);
    cron(&app, DAILY_CRON).await;
    for _ in 0..40 {
        if !r2_has(&app, &format!("exports/{}/", me.user_id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!r2_has(&app, &format!("exports/{}/", me.user_id)), "the expired export is deleted");
}

#[tokio::test]
async fn a_candidate_erases_their_account_and_a_run_stopped_midway_finishes_on_the_next() {
    let app = app();
    let admin = app.admin_of_new_org(&format!("Erasure Org {}", unique())).await;
    let job = open_job(&app, &admin).await;
    let other_marker = format!("KEEP-{}", unique());
    let (other, other_interview, other_resume, _) = candidate_with_everything(&app, &other_marker).await;
    let marker = format!("GONE-{}", unique());
    let (me, interview, resume, _) = candidate_with_everything(&app, &marker).await;
    let org_id = org_interview(&app, &admin, &job, &me, &marker).await;
    // What the account, mail and ATS features keep of them: an ATS delivery and a decision
    // message (with its opt-out token) about the org interview, an emailed reset link.
    let hook_url = format!("https://ats.example.invalid/{}", unique());
    let hook = json!({"url": hook_url, "events": ["decision.made"]});
    assert_eq!(app.post(&admin, "/api/v1/org/webhooks", &hook).await.0, 201);
    let decide = json!({"decision": "hold", "reason": "More signal needed.", "notify_candidate": true});
    let (status, body) =
        app.post(&admin, &format!("/api/v1/recruiter/interviews/{org_id}/decisions"), &decide).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app.post("", "/api/v1/auth/password-reset", &json!({"email": me.email})).await;
    assert!(status < 300, "{body}");
    let (status, export) = app.post(&me.token, "/api/v1/me/exports", &json!({})).await;
    assert_eq!(status, 202);
    let export = format!("/api/v1/me/exports/{}", export["id"].as_str().unwrap());
    for _ in 0..80 {
        if app.get(&me.token, &export).await.1["status"] == "ready" {
            break;
        }
        cron(&app, FREQUENT_CRON).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(r2_has(&app, &format!("exports/{}/", me.user_id)));
    assert!(do_storage_holds(&app, &interview), "the interview's object holds it before");
    // Every table below names them before (so the check after covers each).
    let mine = [me.user_id.as_str(), me.email.as_str(), &interview, &org_id, &resume, &marker];
    let named = tables_mentioning(&d1_dump(&app), &mine, false);
    for t in [
        "sessions",
        "account_tokens",
        "mail_outbox",
        "mail_optouts",
        "webhook_deliveries",
        "hiring_decisions",
    ] {
        assert!(named.iter().any(|n| n.starts_with(&format!("{t}:"))), "{t} does not name them: {named:?}");
    }

    // The password is required.
    let (status, body) =
        send(app.request(Method::DELETE, "/api/v1/me", &me.token).json(&json!({"password": "nope-Nope-1"})))
            .await;
    assert_eq!((status, error_code(&body)), (422, "VALIDATION_ERROR"), "{body}");
    let (status, body) =
        send(app.request(Method::DELETE, "/api/v1/me", &me.token).json(&json!({"password": PASSWORD}))).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("pending")), "{body}");
    let request = body["id"].as_str().unwrap().to_owned();
    // Signed out at once: every session revoked, the account no longer works.
    assert_eq!(app.get(&me.token, "/api/v1/auth/me").await.0, 401);
    let live = d1_query(
        app.server,
        &format!(
            "SELECT COUNT(*) AS n FROM sessions WHERE user_id = '{}' AND revoked_at IS NULL",
            me.user_id
        ),
    );
    assert_eq!(live[0]["n"], 0);
    let (status, _) = send(
        app.request(Method::POST, "/api/v1/auth/login", "")
            .json(&json!({"email": me.email, "password": PASSWORD})),
    )
    .await;
    assert!(status == 401 || status == 403, "login after erasure: {status}");

    // One unit per run: it takes several runs, each stopping midway, and still finishes.
    let runs = erase_until_done(&app, &request).await;
    assert!(runs >= 2, "the erasure was resumed after stopping midway ({runs} runs)");
    // Finishing again changes nothing.
    cron(&app, FREQUENT_CRON).await;

    // No D1 row mentions the candidate, their email or interviews (the audit trail keeps no id
    // of theirs either: no staff read their data here).
    let dump = d1_dump(&app);
    assert_eq!(tables_mentioning(&dump, &mine, true), Vec::<String>::new());
    // The append-only audit trail keeps the decision's entry, whose target is the (now empty)
    // interview id; never their id, email, résumé or words.
    let theirs_only = [me.user_id.as_str(), me.email.as_str(), &interview, &resume, &marker];
    assert_eq!(tables_mentioning(&dump, &theirs_only, false), Vec::<String>::new());
    // The ATS delivery log keeps that an event was sent, not whom it was about.
    let kept = d1_query(
        app.server,
        &format!(
            "SELECT data, event_id FROM webhook_deliveries WHERE webhook_id IN \
             (SELECT id FROM webhooks WHERE url = '{hook_url}')"
        ),
    );
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0]["event_id"].as_str().unwrap().starts_with("erased:"), "{kept:?}");
    // The other candidate is untouched.
    let theirs =
        [other.user_id.as_str(), other.email.as_str(), &other_interview, &other_resume, &other_marker];
    for t in
        ["users", "interviews", "interview_messages", "assessment_results", "resumes", "video_recordings"]
    {
        let rows = &dump.iter().find(|(n, _)| n == t).unwrap().1;
        assert!(theirs.iter().any(|x| rows.contains(x)), "{t} still holds the other candidate");
    }
    assert_eq!(app.get(&other.token, &format!("/api/v1/interviews/{other_interview}")).await.0, 200);
    // No Durable Object storage and no R2 object of theirs; the other's remain.
    for id in [&interview, &org_id] {
        assert!(!do_storage_holds(&app, id), "object storage of {id} remains");
        assert!(!r2_has(&app, &format!("videos/{id}/")) && !r2_has(&app, &format!("audio/{id}/")));
    }
    assert!(!do_storage_holds(&app, &marker));
    assert!(do_storage_holds(&app, &other_interview), "the other candidate's object is untouched");
    assert!(!r2_has(&app, &format!("resumes/{}/", me.user_id)));
    assert!(!r2_has(&app, &format!("exports/{}/", me.user_id)));
    assert!(r2_has(&app, &format!("resumes/{}/", other.user_id)));
    assert!(r2_has(&app, &format!("videos/{other_interview}/")));

    // Kept: the audit entry (a random subject id, no name or email) in each organization that
    // held their data, the anonymised counts, and the invitation shown as an erased candidate.
    let (_, audit) = app.get(&admin, "/api/v1/org/audit?action=candidate.erased").await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["target_type"], "candidate");
    let subject = entries[0]["target_id"].as_str().unwrap();
    assert!(subject != me.user_id && !entries[0].to_string().contains(&me.email));
    let counts =
        d1_query(app.server, &format!("SELECT interviews FROM erasure_counts WHERE job_id = '{job}'"));
    assert_eq!(counts[0]["interviews"], 1);
    let (_, results) = app.get(&admin, &format!("/api/v1/jobs/{job}/results")).await;
    assert!(results.to_string().contains("Erased candidate"), "{results}");
    let request_row = d1_query(app.server, &format!("SELECT * FROM erasure_requests WHERE id = '{request}'"));
    assert_eq!(
        (request_row[0]["user_id"].clone(), request_row[0]["email"].clone()),
        (Value::Null, Value::Null)
    );
}

#[tokio::test]
async fn an_org_admin_erases_only_what_their_organization_holds() {
    let app = app();
    let admin = app.admin_of_new_org(&format!("Holder Org {}", unique())).await;
    let stranger = app.admin_of_new_org(&format!("Stranger Org {}", unique())).await;
    let job = open_job(&app, &admin).await;
    let marker = format!("ORG-{}", unique());
    let (me, own_interview, resume, _) = candidate_with_everything(&app, &format!("SELF-{}", unique())).await;
    let org_interview = org_interview(&app, &admin, &job, &me, &marker).await;
    let hook = json!({"url": "https://ats.example.invalid/hook", "events": ["decision.made"]});
    assert_eq!(app.post(&admin, "/api/v1/org/webhooks", &hook).await.0, 201);
    let (status, body) = app
        .post(
            &admin,
            &format!("/api/v1/recruiter/interviews/{org_interview}/decisions"),
            &json!({"decision": "hold", "reason": "More signal needed.", "notify_candidate": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let named = tables_mentioning(&d1_dump(&app), &[org_interview.as_str(), &marker], true);
    for t in ["mail_outbox", "webhook_deliveries", "hiring_decisions", "interview_messages"] {
        assert!(named.iter().any(|n| n.starts_with(&format!("{t}:"))), "{t} does not name it: {named:?}");
    }

    let path = format!("/api/v1/org/candidates/{}/erase", me.user_id);
    assert_eq!(app.post(&stranger, &path, &json!({})).await.0, 404, "another organization");
    let recruiter = app.staff(&admin, "recruiter").await;
    assert_eq!(app.post(&recruiter, &path, &json!({})).await.0, 403, "admins only");
    assert_eq!(app.post(&admin, "/api/v1/org/candidates/not-a-uuid/erase", &json!({})).await.0, 404);
    let (status, body) = app.post(&admin, &path, &json!({})).await;
    assert_eq!(status, 202, "{body}");
    let request = body["id"].as_str().unwrap().to_owned();
    erase_until_done(&app, &request).await;

    // The organization's interview is gone everywhere: D1, its object (which answers 404), R2.
    let dump = d1_dump(&app);
    assert_eq!(tables_mentioning(&dump, &[org_interview.as_str(), &marker], true), Vec::<String>::new());
    assert_eq!(app.get(&me.token, &format!("/api/v1/interviews/{org_interview}")).await.0, 404);
    assert!(!do_storage_holds(&app, &org_interview) && !do_storage_holds(&app, &marker));
    // What the candidate did elsewhere stays: their account, own interview and résumé.
    assert_eq!(app.get(&me.token, &format!("/api/v1/interviews/{own_interview}")).await.0, 200);
    assert_eq!(app.get(&me.token, &format!("/api/v1/resumes/{resume}")).await.0, 200);
    assert!(r2_has(&app, &format!("videos/{own_interview}/")));
    // Audited in that organization, by its admin.
    let (_, audit) = app.get(&admin, "/api/v1/org/audit?action=candidate.erased").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    assert!(audit["items"][0]["actor_name"].is_string());
    assert_ne!(audit["items"][0]["target_id"], me.user_id.as_str());
    // The organization no longer knows the candidate: erasing again finds nothing.
    assert_eq!(app.post(&admin, &path, &json!({})).await.0, 404);
}

/// Now minus `days` days, as the product stores times (RFC 3339 UTC, milliseconds).
fn days_ago(days: u32) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock");
    let ms = i64::try_from(now.as_millis()).expect("ms") - i64::from(days) * 86_400_000;
    interview_core::domain::time::rfc3339_ms(ms)
}

/// Moves interview `id`'s end `days` days into the past (the retention job's clock, injected).
fn backdate_interview(app: &TestApp, id: &str, days: u32) {
    d1_query(
        app.server,
        &format!(
            "UPDATE interviews SET completed_at = '{then}', last_activity_at = '{then}' WHERE id = '{id}'",
            then = days_ago(days)
        ),
    );
    // A recorded answer: the audio the job removes (its R2 prefix and the message's link).
    d1_query(
        app.server,
        &format!(
            "UPDATE interview_messages SET audio_url = '/api/v1/interviews/{id}/audio/answer.webm' \
             WHERE interview_id = '{id}'"
        ),
    );
}

/// What remains of interview `id`: (messages, assessments, messages with audio) in D1.
fn remains(app: &TestApp, id: &str) -> (i64, i64, i64) {
    let rows = d1_query(
        app.server,
        &format!(
            "SELECT (SELECT COUNT(*) FROM interview_messages WHERE interview_id = '{id}') AS m, \
             (SELECT COUNT(*) FROM assessment_results WHERE interview_id = '{id}') AS a, \
             (SELECT COUNT(*) FROM interview_messages WHERE interview_id = '{id}' AND audio_url IS NOT NULL) AS au"
        ),
    );
    (rows[0]["m"].as_i64().unwrap(), rows[0]["a"].as_i64().unwrap(), rows[0]["au"].as_i64().unwrap())
}

/// A finished, assessed interview of a new candidate in `admin`'s organization (through `job`),
/// recorded on video if `video`.
async fn org_finished(
    app: &TestApp,
    admin: &str,
    job: &str,
    marker: &str,
    video: bool,
) -> (common::app::Account, String) {
    let cand = app.register(&format!("Retained {marker}")).await;
    let id = org_interview(app, admin, job, &cand, marker).await;
    if video {
        let path = format!("/api/v1/interviews/{id}/video-consent");
        assert_eq!(app.post(&cand.token, &path, &json!({"consent": true})).await.0, 200);
        upload_video(app, &cand.token, &id, &video_bytes(9, 4096)).await;
    }
    let (status, _) = app.post(&cand.token, &format!("/api/v1/interviews/{id}/complete"), &json!({})).await;
    assert_eq!(status, 200);
    app.wait_ok(&cand.token, &format!("/api/v1/interviews/{id}/assessment"), Duration::from_secs(60), &[202])
        .await;
    (cand, id)
}

/// Waits for the D1 projection of interview `id`'s assessment.
async fn assessment_projected(app: &TestApp, id: &str) {
    for _ in 0..40 {
        if remains(app, id).1 == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the assessment of {id} never reached D1");
}

#[tokio::test]
async fn retention_deletes_exactly_what_is_past_each_organizations_period() {
    // A server of its own: the daily job here sees only this test's (backdated) data.
    let app = TestApp::with(&[VARS, &[("EXPORT_TTL_DAYS", "7")]].concat());
    let a_admin = app.admin_of_new_org(&format!("Short Memory {}", unique())).await;
    let b_admin = app.admin_of_new_org(&format!("Long Memory {}", unique())).await;
    let default_admin = app.admin().await;
    // Defaults first, then validation and access.
    let (status, settings) = app.get(&a_admin, "/api/v1/org/settings/retention").await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["transcript_days"], Value::Null);
    assert_eq!(settings["effective"]["transcript_days"], 365.0);
    let put = |token: &str, body: Value| {
        let req = app.request(Method::PUT, "/api/v1/org/settings/retention", token).json(&body);
        send(req)
    };
    let (status, body) = put(&a_admin, json!({"transcript_days": 0, "audio_days": "x", "nope": 1})).await;
    assert_eq!(status, 422, "{body}");
    let recruiter = app.staff(&a_admin, "recruiter").await;
    assert_eq!(put(&recruiter, json!({})).await.0, 403);
    // A: 10 days for transcripts, assessments and audio, 1.7 s for videos. B: longer than the
    // defaults. The default organization: résumés after 200 days (the default is 365).
    let short =
        json!({"transcript_days": 10, "assessment_days": 10, "audio_days": 10, "video_days": 0.00002});
    let (status, body) = put(&a_admin, short).await;
    assert_eq!((status, body["effective"]["transcript_days"].as_f64()), (200, Some(10.0)), "{body}");
    assert_eq!(body["effective"]["resume_days"], 365.0);
    let long = json!({"transcript_days": 5000, "assessment_days": 5000, "audio_days": 5000});
    assert_eq!(put(&b_admin, long).await.0, 200);
    assert_eq!(put(&default_admin, json!({"resume_days": 200})).await.0, 200);
    let (_, audit) = app.get(&a_admin, "/api/v1/org/audit?action=settings.updated").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1));

    // Interviews: A's ended 30 days ago (past A's 10) and 5 days ago (within); B's 800 days ago
    // (within B's 5000); the default organization's 800 days ago (past every default) and 100
    // days ago (past the audio default of 90 only). A third of A's, not moved, has a video.
    let a_job = open_job(&app, &a_admin).await;
    let b_job = open_job(&app, &b_admin).await;
    let (a_cand, a_old) = org_finished(&app, &a_admin, &a_job, &format!("A-OLD-{}", unique()), false).await;
    let (_, a_video) = org_finished(&app, &a_admin, &a_job, &format!("A-VIDEO-{}", unique()), true).await;
    let (_, a_new) = org_finished(&app, &a_admin, &a_job, &format!("A-NEW-{}", unique()), false).await;
    let (_, b_old) = org_finished(&app, &b_admin, &b_job, &format!("B-OLD-{}", unique()), false).await;
    let (p_cand, p_old, old_resume, _) =
        candidate_with_everything(&app, &format!("P-OLD-{}", unique())).await;
    let p_new = app.start_id(&p_cand.token, "python").await;
    app.complete_assessed(&p_cand.token, &p_new, "Generators yield values lazily, one at a time.").await;
    let (status, new_resume) =
        app.upload_resume(&p_cand.token, RESUME.as_bytes(), "cv2.txt", "text/plain").await;
    assert_eq!(status, 202, "{new_resume}");
    let new_resume = new_resume["resume_id"].as_str().unwrap().to_owned();
    for (id, days) in [(&a_old, 30), (&a_new, 5), (&b_old, 800), (&p_old, 800), (&p_new, 100)] {
        assessment_projected(&app, id).await;
        backdate_interview(&app, id, days);
    }
    for (id, days) in [(&old_resume, 250), (&new_resume, 150)] {
        d1_query(
            app.server,
            &format!("UPDATE resumes SET uploaded_at = '{}' WHERE id = '{id}'", days_ago(days)),
        );
    }
    // A's video period (1.7 s) passes; the ends are moved again (a late projection of an
    // interview's row may have rewritten them meanwhile).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for (id, days) in [(&a_old, 30), (&a_new, 5), (&b_old, 800), (&p_old, 800), (&p_new, 100)] {
        backdate_interview(&app, id, days);
    }

    let before =
        d1_query(app.server, "SELECT COALESCE(MAX(id), 0) AS id FROM job_runs WHERE job = 'retention'");
    let before = before[0]["id"].as_i64().unwrap();
    cron(&app, DAILY_CRON).await;
    let mut details = Value::Null;
    for _ in 0..80 {
        let rows = d1_query(
            app.server,
            &format!("SELECT details FROM job_runs WHERE job = 'retention' AND id > {before}"),
        );
        if let Some(text) = rows.first().and_then(|r| r["details"].as_str()) {
            details = serde_json::from_str(text).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Exactly what is past its period, counted in job_runs.
    let state: Vec<_> = [&a_old, &a_new, &b_old, &p_old, &p_new].iter().map(|id| remains(&app, id)).collect();
    let all = json!({"run": details, "remains (A old, A new, B old, P old, P new)": format!("{state:?}")});
    let details = &all["run"];
    assert_eq!(details["transcripts_deleted"], 2, "{all}");
    assert_eq!(details["assessments_deleted"], 2, "{all}");
    assert_eq!(details["audios_deleted"], 3, "{all}");
    assert_eq!(details["resumes_deleted"], 1, "{all}");
    assert_eq!(details["failed"], 0, "{all}");
    assert_eq!(remains(&app, &a_old), (0, 0, 0), "A's old interview: past A's periods");
    assert_eq!(remains(&app, &p_old), (0, 0, 0), "the default organization's old interview");
    let kept = remains(&app, &a_video);
    assert!(kept.0 > 0 && kept.1 == 1, "A's interview with the video keeps the rest: {kept:?}");
    let kept = remains(&app, &a_new);
    assert!(kept.0 > 0 && kept.1 == 1 && kept.2 > 0, "A's recent interview is kept: {kept:?}");
    let kept = remains(&app, &b_old);
    assert!(kept.0 > 0 && kept.1 == 1 && kept.2 > 0, "B's periods are longer: {kept:?}");
    let kept = remains(&app, &p_new);
    assert!(kept.0 > 0 && kept.1 == 1 && kept.2 == 0, "only the audio is past 90 days: {kept:?}");
    // The objects' transcripts follow D1: gone for the purged interview, there for the others.
    assert!(app.messages(&a_cand.token, &a_old).await.is_empty());
    assert!(!app.messages(&p_cand.token, &p_new).await.is_empty());
    let purged = d1_query(app.server, "SELECT subject_id, category FROM retention_purges ORDER BY 1, 2");
    assert_eq!(purged.len(), 2 + 2 + 3 + 1, "{purged:?}");
    // Résumés: the default organization's 200 days, not the global 365.
    let names = d1_query(
        app.server,
        &format!("SELECT id, file_name FROM resumes WHERE id IN ('{old_resume}', '{new_resume}') ORDER BY id = '{old_resume}'"),
    );
    assert_eq!(names[1]["file_name"], "deleted", "{names:?}");
    assert_ne!(names[0]["file_name"], "deleted", "{names:?}");
    assert!(!r2_has(&app, &format!("resumes/{}/{old_resume}", p_cand.user_id)));
    assert!(r2_has(&app, &format!("resumes/{}/{new_resume}", p_cand.user_id)));
    // Videos: A's period passed; the default organization's 90 days did not.
    for _ in 0..40 {
        if !r2_has(&app, &format!("videos/{a_video}/")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!r2_has(&app, &format!("videos/{a_video}/")), "A's video is past A's period");
    assert!(r2_has(&app, &format!("videos/{p_old}/")), "the default period keeps this video");

    // A second run finds nothing more.
    let before = d1_query(app.server, "SELECT MAX(id) AS id FROM job_runs WHERE job = 'retention'");
    let before = before[0]["id"].as_i64().unwrap();
    cron(&app, DAILY_CRON).await;
    for _ in 0..80 {
        let rows = d1_query(
            app.server,
            &format!("SELECT details FROM job_runs WHERE job = 'retention' AND id > {before}"),
        );
        if let Some(text) = rows.first().and_then(|r| r["details"].as_str()) {
            let again: Value = serde_json::from_str(text).unwrap();
            for k in ["transcripts_deleted", "assessments_deleted", "audios_deleted", "resumes_deleted"] {
                assert_eq!(again[k], 0, "{again}");
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the second retention run left no job_runs row");
}
