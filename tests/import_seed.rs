//! Importing the system being replaced (`scripts/import-seed`, docs/postgres.md): a throwaway
//! Postgres (`scripts/pg`) gets the seed's schema (scripts/seed-schema.sql) and a small generated
//! dataset — candidates (one with a Unicode name, one whose email already has an account in
//! different case), completed interviews with messages and assessments, an assessment with no
//! integrity score, a completed interview with no assessment (no score), duplicate sequence
//! numbers, a message with quotes and SQL in it, an interrupted and a never-started interview.
//! The script imports it into the harness's local D1 twice; the recruiter API then lists the
//! imported interviews with their scores, the candidate who already had an account sees theirs,
//! the transcripts are in D1 exactly as written, and the second run imported nothing twice. The
//! same import into the product's Postgres schema fits its native types and constraints.
//!
//! Skips (with a printed reason) only when PostgreSQL is not installed and `CI` is unset.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::pg::Cluster;
use common::{d1_query, exclusive, unique, TestApp};
use serde_json::Value;

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs `scripts/import-seed` into the server's local D1 (under the harness lock, retrying while
/// the running server holds the database file); returns its summary (stderr).
fn import(app: &TestApp, url: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut last = String::new();
    for _ in 0..8 {
        let out = exclusive(|| {
            Command::new("python3")
                .arg(format!("{root}/scripts/import-seed"))
                .args(["--from", url, "--persist-to"])
                .arg(&app.server.state_dir)
                .current_dir(root)
                .stdin(Stdio::null())
                .output()
                .expect("run scripts/import-seed")
        });
        last = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            return last;
        }
        assert!(last.contains("SQLITE_BUSY"), "import-seed failed:\n{last}");
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("import-seed kept finding the database locked:\n{last}");
}

struct Seed {
    zoe_email: String,
    existing_email: String,
    /// Completed, assessed (72.5, no integrity score), 4 messages.
    assessed: String,
    /// Completed, no assessment, duplicate sequence numbers, quotes.
    unscored: String,
    /// In progress in the seed: imported as abandoned.
    interrupted: String,
    /// Scheduled: never started, not imported.
    scheduled: String,
}

const QUOTED: &str = "It's \"quoted\" — 'single'; DROP TABLE users; --";
const UNICODE: &str = "Ответ: useState 🚀 naïve 状態";

/// The generated dataset, in the seed's shape (ids from uuid_generate_v4 where the seed would).
fn seed(pg: &Cluster) -> Seed {
    let u = unique();
    let s = Seed {
        zoe_email: format!("zoe-{u}@example.com"),
        existing_email: format!("existing-{u}@example.com"),
        assessed: new_id(),
        unscored: new_id(),
        interrupted: new_id(),
        scheduled: new_id(),
    };
    let (zoe, existing, bob) = (new_id(), new_id(), new_id());
    let mut sql = format!(
        "INSERT INTO candidates (id, email, full_name, password_hash, phone) VALUES \
         ('{zoe}', {}, 'Zoë Ångström-李', '$2b$12$abcdefghijklmnopqrstuv', '+44 20 7946 0958'), \
         ('{existing}', {}, 'Existing Person', '$2b$12$abcdefghijklmnopqrstuv', NULL), \
         ('{bob}', {}, {}, '$2b$12$abcdefghijklmnopqrstuv', '+1 555 0100 extension 1234 ask for the front desk');\n",
        lit(&s.zoe_email.replace("zoe", "Zoe")),
        lit(&s.existing_email.to_uppercase()),
        lit(&format!("bob-{u}@example.com")),
        lit("Bob O'Brien"),
    );
    let interview = |id: &str, candidate: &str, role: &str, status: &str, started: &str, completed: &str| {
        format!(
            "INSERT INTO interviews (id, candidate_id, role_type, status, started_at, completed_at, duration_seconds, \
             ai_model_used, total_tokens_used, cost_usd, speech_tokens_used, speech_cost_usd) VALUES \
             ('{id}', '{candidate}', '{role}', '{status}', {started}, {completed}, NULL, 'gpt-4o-mini', 1500, 0.0123, \
             200, 0.0015);\n\
             INSERT INTO interview_sessions (interview_id, current_difficulty_level, questions_asked_count, \
             skill_boundaries_identified, progression_state, last_activity_at) VALUES ('{id}', 'standard', 2, \
             '{{\"hooks\": \"proficient\"}}', '{{\"response_scores\": [8, 7]}}', {started});\n"
        )
    };
    sql += &interview(
        &s.assessed,
        &zoe,
        "react",
        "completed",
        "'2025-10-30 10:00:00+02'",
        "'2025-10-30 10:20:00.5+02'",
    );
    sql += &interview(
        &s.unscored,
        &existing,
        "python",
        "completed",
        "'2025-10-31 09:00:00+00'",
        "'2025-10-31 09:30:00+00'",
    );
    sql += &interview(&s.interrupted, &bob, "javascript", "in_progress", "'2025-11-01 12:00:00+00'", "NULL");
    sql += &interview(&s.scheduled, &bob, "fullstack", "scheduled", "NULL", "NULL");
    let message = |interview: &str, seq: i32, kind: &str, text: &str, at: &str| {
        format!(
            "INSERT INTO interview_messages (interview_id, session_id, sequence_number, message_type, content_text, \
             response_time_seconds, metadata, created_at) SELECT '{interview}', id, {seq}, '{kind}', {}, {}, \
             '{{\"hesitation\": 0.2}}', {at} FROM interview_sessions WHERE interview_id = '{interview}';\n",
            lit(text),
            if kind == "candidate_response" { "12" } else { "NULL" },
        )
    };
    for (seq, kind, text) in [
        (1, "ai_question", "What does useEffect do?"),
        (2, "candidate_response", "It runs side effects after render."),
        (3, "ai_question", "And its dependency array?"),
        (4, "candidate_response", UNICODE),
    ] {
        sql += &message(&s.assessed, seq, kind, text, &format!("'2025-10-30 10:0{seq}:00+02'"));
    }
    // Duplicate sequence numbers (the seed's DDL does not prevent them) and quotes.
    sql += &message(&s.unscored, 1, "ai_question", "Explain generators.", "'2025-10-31 09:01:00+00'");
    sql += &message(&s.unscored, 2, "candidate_response", QUOTED, "'2025-10-31 09:02:00+00'");
    sql += &message(&s.unscored, 2, "ai_question", "Thanks — next?", "'2025-10-31 09:03:00+00'");
    sql += &message(&s.interrupted, 1, "ai_question", "What is a closure?", "'2025-11-01 12:01:00+00'");
    sql += &format!(
        "INSERT INTO assessment_results (interview_id, overall_score, skill_scores, strengths, integrity_score, \
         recommended_actions, generated_at) VALUES ('{}', 72.5, '{{\"react_fundamentals\": 85, \"hooks\": 60}}', \
         '[\"clear answers\"]', NULL, '[\"Schedule technical deep-dive\"]', '2025-10-30 10:25:00+02');\n",
        s.assessed
    );
    pg.psql(&sql);
    s
}

fn counts(app: &TestApp, ids: &[&str]) -> Value {
    let list = ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", ");
    d1_query(
        app.server,
        &format!(
            "SELECT (SELECT COUNT(*) FROM interviews WHERE id IN ({list})) AS interviews, \
             (SELECT COUNT(*) FROM interview_messages WHERE interview_id IN ({list})) AS messages, \
             (SELECT COUNT(*) FROM assessment_results WHERE interview_id IN ({list})) AS assessments, \
             (SELECT COUNT(*) FROM interview_sessions WHERE interview_id IN ({list})) AS sessions, \
             (SELECT COUNT(*) FROM users) AS users"
        ),
    )
    .remove(0)
}

#[tokio::test]
async fn the_seed_systems_data_is_imported_once_and_listed_for_recruiters() {
    let Some(pg) = Cluster::start("import") else { return };
    pg.psql_file(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/seed-schema.sql")));
    let s = seed(&pg);

    let app = TestApp::new();
    let existing = app.register_as(&s.existing_email, "Already Registered").await;
    let admin = app.admin().await;

    let summary = import(&app, &pg.url);
    assert!(summary.contains("interviews (completed): 2"), "{summary}");
    assert!(summary.contains("interviews (abandoned): 1"), "{summary}");
    assert!(summary.contains("interviews skipped (scheduled, never started): 1"), "{summary}");
    let ids = [s.assessed.as_str(), s.unscored.as_str(), s.interrupted.as_str(), s.scheduled.as_str()];
    let first = counts(&app, &ids);
    assert_eq!(first["interviews"], 3, "{first}");
    assert_eq!(first["messages"], 8, "{first}");
    assert_eq!(first["assessments"], 1, "{first}");
    assert_eq!(first["sessions"], 3, "{first}");

    // Idempotent: a second run adds nothing.
    import(&app, &pg.url);
    assert_eq!(counts(&app, &ids), first, "the second import changed the data");

    // The recruiter API lists the imported interviews with their scores and candidates.
    let (status, body) = app.get(&admin, "/api/v1/recruiter/interviews?limit=100").await;
    assert_eq!(status, 200, "{body}");
    let listed = body["interviews"].as_array().expect("interviews");
    let find = |id: &str| listed.iter().find(|i| i["id"] == id).cloned();
    let assessed = find(&s.assessed).expect("the assessed interview is listed");
    assert_eq!(assessed["status"], "completed");
    assert_eq!(assessed["overall_score"], 72.5);
    assert_eq!(assessed["candidate_name"], "Zoë Ångström-李");
    assert_eq!(assessed["role_type"], "react");
    assert_eq!(assessed["started_at"], "2025-10-30T08:00:00.000Z");
    assert_eq!(assessed["completed_at"], "2025-10-30T08:20:00.500Z");
    assert_eq!(assessed["duration_seconds"], 1200);
    assert_eq!(assessed["questions_asked"], 2);
    let unscored = find(&s.unscored).expect("the unscored interview is listed");
    assert_eq!(unscored["status"], "completed");
    assert_eq!(unscored["overall_score"], Value::Null);
    assert_eq!(
        unscored["candidate_id"],
        existing.user_id.as_str(),
        "matched to the existing account by email"
    );
    let interrupted = find(&s.interrupted).expect("the interrupted interview is listed");
    assert_eq!(interrupted["status"], "abandoned");
    assert!(find(&s.scheduled).is_none(), "a never-started interview was imported");

    // Filters and the candidate profile work on imported rows too.
    let (_, scored) = app.get(&admin, "/api/v1/recruiter/interviews?min_score=70&limit=100").await;
    assert!(
        scored["interviews"].as_array().unwrap().iter().any(|i| i["id"] == s.assessed.as_str()),
        "{scored}"
    );
    let zoe_id = assessed["candidate_id"].as_str().unwrap();
    let (status, profile) = app.get(&admin, &format!("/api/v1/recruiter/candidates/{zoe_id}")).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["candidate"]["email"], s.zoe_email.as_str(), "emails are lower-cased");
    assert_eq!(profile["candidate"]["full_name"], "Zoë Ångström-李");
    assert_eq!(profile["interviews"][0]["id"], s.assessed.as_str());

    // The candidate who already had an account sees the imported interview as theirs.
    let (status, mine) = app.get(&existing.token, "/api/v1/interviews").await;
    assert_eq!(status, 200, "{mine}");
    let mine = mine["interviews"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["id"], s.unscored.as_str());

    // The transcripts and the assessment, in D1 as written (renumbered 1..n where the seed repeated
    // a sequence number).
    let transcript = |id: &str| -> Vec<(i64, String, String)> {
        d1_query(
            app.server,
            &format!(
                "SELECT sequence_number, message_type, content_text FROM interview_messages \
                 WHERE interview_id = '{id}' ORDER BY sequence_number"
            ),
        )
        .iter()
        .map(|r| {
            (
                r["sequence_number"].as_i64().unwrap(),
                r["message_type"].as_str().unwrap().to_owned(),
                r["content_text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
    };
    let t = transcript(&s.unscored);
    assert_eq!(
        t,
        vec![
            (1, "ai_question".to_owned(), "Explain generators.".to_owned()),
            (2, "candidate_response".to_owned(), QUOTED.to_owned()),
            (3, "ai_question".to_owned(), "Thanks — next?".to_owned()),
        ]
    );
    let t = transcript(&s.assessed);
    assert_eq!(t.len(), 4);
    assert_eq!(t[3], (4, "candidate_response".to_owned(), UNICODE.to_owned()));
    let a = d1_query(
        app.server,
        &format!(
            "SELECT id, overall_score, integrity_score, skill_scores, strengths, recommended_actions, generated_at \
             FROM assessment_results WHERE interview_id = '{}'",
            s.assessed
        ),
    )
    .remove(0);
    assert_eq!(a["id"], format!("assessment-{}", s.assessed));
    assert_eq!(a["overall_score"], 72.5);
    assert_eq!(a["integrity_score"], 100.0, "no integrity score in the seed: imported as 100");
    let skills: Value = serde_json::from_str(a["skill_scores"].as_str().unwrap()).unwrap();
    assert_eq!(skills["react_fundamentals"], 85);
    assert_eq!(a["generated_at"], "2025-10-30T08:25:00.000Z");
    let m = d1_query(
        app.server,
        &format!(
            "SELECT response_time_ms, metadata FROM interview_messages WHERE interview_id = '{}' \
             AND sequence_number = 2",
            s.assessed
        ),
    )
    .remove(0);
    assert_eq!(m["response_time_ms"], 12000);
    let meta: Value = serde_json::from_str(m["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(meta["hesitation"], 0.2);

    // The recruiter detail reads an imported interview from its rows (no Durable Object holds
    // it), in the live detail's shape; other organizations and candidates get what they get for
    // a live interview.
    let path = format!("/api/v1/recruiter/interviews/{}", s.assessed);
    let (status, detail) = app.get(&admin, &path).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["interview"]["id"], s.assessed.as_str());
    assert_eq!(detail["interview"]["status"], "completed");
    assert_eq!(detail["interview"]["started_at"], "2025-10-30T08:00:00.000Z");
    let said: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content_text"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "What does useEffect do?",
            "It runs side effects after render.",
            "And its dependency array?",
            UNICODE
        ]
    );
    assert_eq!(detail["transcript"][3]["sequence_number"], 4);
    assert_eq!(detail["assessment"]["overall_score"], 72.5);
    assert_eq!(detail["assessment"]["skill_scores"]["react_fundamentals"], 85);
    assert_eq!(detail["assessment"]["recommended_actions"][0], "Schedule technical deep-dive");
    assert_eq!(detail["assessment"]["questions_answered"], 2);
    assert_eq!(detail["session_state"]["questions_asked"], 2);
    assert_eq!(detail["session_state"]["current_difficulty"], "intermediate");
    assert_eq!(detail["ai_model"], "gpt-4o-mini");
    assert!(detail["cost"]["total_usd"].as_f64().unwrap() > 0.0, "{detail}");
    let (status, unscored) = app.get(&admin, &format!("/api/v1/recruiter/interviews/{}", s.unscored)).await;
    assert_eq!(status, 200, "{unscored}");
    assert_eq!(unscored["assessment"], Value::Null);
    assert_eq!(unscored["transcript"].as_array().unwrap().len(), 3);
    let other = app.admin_of_new_org(&format!("Another Org {}", unique())).await;
    let (status, body) = app.get(&other, &path).await;
    assert_eq!(status, 404, "another organization's staff: {body}");
    let (status, body) = app.get(&existing.token, &path).await;
    assert_eq!(status, 403, "a candidate: {body}");
    let (status, body) = app.get(&admin, &format!("/api/v1/recruiter/interviews/{}", new_id())).await;
    assert_eq!(status, 404, "an unknown id: {body}");

    // Imported accounts cannot sign in with the seed's password hash (a reset sets one).
    let u =
        d1_query(app.server, &format!("SELECT password_hash, role, org_id FROM users WHERE id = '{zoe_id}'"))
            .remove(0);
    assert_eq!(u["role"], "candidate");
    assert_eq!(u["org_id"], "00000000-0000-4000-8000-000000000001");
    assert!(!u["password_hash"].as_str().unwrap().contains("$2b$"), "the seed's hash was copied");
}

/// Runs `scripts/import-seed --to-postgres`; returns its summary.
fn import_to_postgres(seed_url: &str, product_url: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/scripts/import-seed"))
        .args(["--from", seed_url, "--to-postgres", product_url])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/import-seed");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "import-seed --to-postgres failed:\n{text}");
    text
}

/// The same import into the product's Postgres schema (migrations/postgres/): the mapped values
/// fit the native types (uuid, timestamptz, jsonb, boolean) and the constraints, once.
#[test]
fn the_seed_systems_data_imports_into_the_postgres_schema_too() {
    let Some(seed_pg) = Cluster::start("import-seed") else { return };
    seed_pg.psql_file(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/seed-schema.sql")));
    let s = seed(&seed_pg);
    let Some(product) = Cluster::start("import-product") else { return };
    product.migrate();
    let existing = new_id();
    product.psql(&format!(
        "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at, org_id) \
         VALUES ('{existing}', {}, 'h', 'Already Registered', 'candidate', now(), now(), \
         '00000000-0000-4000-8000-000000000001')",
        lit(&s.existing_email)
    ));

    let summary = import_to_postgres(&seed_pg.url, &product.url);
    assert!(summary.contains("interviews (completed): 2"), "{summary}");
    let counts = "SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM interviews) || ' ' || \
                  (SELECT count(*) FROM interview_messages) || ' ' || (SELECT count(*) FROM assessment_results) \
                  || ' ' || (SELECT count(*) FROM interview_sessions)";
    assert_eq!(product.psql(counts), "3 3 8 1 3");
    import_to_postgres(&seed_pg.url, &product.url);
    assert_eq!(product.psql(counts), "3 3 8 1 3", "the second import changed the data");

    let rows = product.json_rows(
        "SELECT i.id::text AS id, i.candidate_id::text AS candidate, i.status, i.overall_score, \
         to_char(i.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS started, \
         i.video_recording_consent AS consent, a.partial, a.skill_scores->>'hooks' AS hooks \
         FROM interviews i LEFT JOIN assessment_results a ON a.interview_id = i.id ORDER BY i.started_at",
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], s.assessed.as_str());
    assert_eq!(rows[0]["overall_score"], 72.5);
    assert_eq!(rows[0]["started"], "2025-10-30T08:00:00.000Z");
    assert_eq!(rows[0]["consent"], false);
    assert_eq!(rows[0]["partial"], false);
    assert_eq!(rows[0]["hooks"], "60");
    assert_eq!(rows[1]["id"], s.unscored.as_str());
    assert_eq!(rows[1]["candidate"], existing.as_str(), "matched to the existing account by email");
    assert_eq!(rows[1]["overall_score"], Value::Null);
    assert_eq!(rows[2]["status"], "abandoned");
    let transcript = product.json_rows(&format!(
        "SELECT sequence_number AS n, content_text AS text FROM interview_messages \
         WHERE interview_id = '{}' ORDER BY sequence_number",
        s.unscored
    ));
    let texts: Vec<&str> = transcript.iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Explain generators.", QUOTED, "Thanks — next?"]);
    assert_eq!(transcript[2]["n"], 3);
}
