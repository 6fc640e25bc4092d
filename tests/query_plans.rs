//! The recruiter list queries use the D1 indexes they were designed for: checked with
//! `EXPLAIN QUERY PLAN` against the real schema in SQLite (the engine D1 runs), so a schema or
//! query change that falls back to a full scan plus a sort fails here.
//!
//! The plans relied on:
//! - newest-first lists walk `idx_interviews_started` (or the status/role variants) in index
//!   order, so `ORDER BY started_at DESC, id DESC LIMIT n` needs no sort and stops after n rows;
//! - the keyset cursor is a range on the same index;
//! - candidate search walks `idx_users_role_created` for `role = 'candidate'` newest first.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use interview_edge::config::DEFAULT_ORG_ID;
use interview_edge::http::listing::{CandidateFilters, InterviewFilters};
use interview_edge::store::listing::{candidates_query, interviews_query, Param};
use rusqlite::{params_from_iter, Connection};

fn db() -> Connection {
    let conn = common::sqlite::migrated();
    // Statistics as a populated database would have them, so the planner sees selectivity.
    conn.execute_batch("ANALYZE;").expect("analyze");
    conn
}

/// A bound parameter as SQLite takes it (`None`: NULL).
fn value(p: Option<&Param>) -> rusqlite::types::Value {
    match p {
        None => rusqlite::types::Value::Null,
        Some(Param::Text(s)) => rusqlite::types::Value::Text(s.clone()),
        Some(Param::Real(x)) => rusqlite::types::Value::Real(*x),
        Some(Param::Int(n)) => rusqlite::types::Value::Integer(*n),
    }
}

fn plan(conn: &Connection, sql: &str, params: &[Param]) -> String {
    plan_of(conn, sql, params.iter().map(|p| value(Some(p))).collect())
}

fn plan_of(conn: &Connection, sql: &str, values: Vec<rusqlite::types::Value>) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("prepare");
    let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3)).expect("query");
    rows.map(|r| r.expect("row")).collect::<Vec<_>>().join("\n")
}

fn filters(pairs: &[(&str, &str)]) -> InterviewFilters {
    let q: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    InterviewFilters::parse(&q).expect("valid filters")
}

#[test]
fn interview_lists_walk_an_index_without_sorting() {
    let conn = db();
    let cursor = interview_edge::http::listing::encode_cursor("2026-11-22T00:00:00.000Z", "x");
    for pairs in [
        vec![],
        vec![("status", "completed")],
        vec![("role_type", "react")],
        vec![("status", "completed"), ("cursor", cursor.as_str())],
        vec![("from", "2026-11-01"), ("to", "2026-11-30")],
    ] {
        let (sql, params) = interviews_query(&filters(&pairs), DEFAULT_ORG_ID);
        let p = plan(&conn, &sql, &params);
        assert!(p.contains("USING INDEX") || p.contains("USING COVERING INDEX"), "{pairs:?}:\n{p}");
        assert!(!p.contains("TEMP B-TREE FOR ORDER BY"), "{pairs:?} sorts:\n{p}");
        assert!(p.contains("idx_interviews_"), "{pairs:?}:\n{p}");
    }
}

#[test]
fn candidate_search_walks_the_role_index() {
    let conn = db();
    for q in [vec![], vec![("q", "ada")]] {
        let pairs: Vec<(String, String)> =
            q.iter().map(|(k, v): &(&str, &str)| ((*k).to_owned(), (*v).to_owned())).collect();
        let (sql, params) =
            candidates_query(&CandidateFilters::parse(&pairs).expect("valid"), DEFAULT_ORG_ID);
        let p = plan(&conn, &sql, &params);
        assert!(p.contains("idx_users_role_created"), "{q:?}:\n{p}");
        assert!(!p.contains("TEMP B-TREE FOR ORDER BY"), "{q:?} sorts:\n{p}");
    }
}

#[test]
fn the_queries_run_and_page_by_keyset() {
    let conn = db();
    conn.execute_batch(
        "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
           VALUES ('u1', 'a@example.com', 'h', 'Ada', 'candidate', 't', 't');",
    )
    .expect("user");
    for i in 0..7 {
        conn.execute(
            "INSERT INTO interviews (id, candidate_id, role_type, status, started_at, last_activity_at, created_at, updated_at, overall_score)
             VALUES (?1, 'u1', 'react', 'completed', ?2, 't', 't', 't', ?3)",
            rusqlite::params![format!("i{i}"), format!("2026-11-2{i}T00:00:00.000Z"), f64::from(i) * 10.0],
        )
        .expect("interview");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("limit", "3".to_owned()), ("min_score", "10".to_owned())];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.clone()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let f = filters(&pairs);
        let (sql, params) = interviews_query(&f, DEFAULT_ORG_ID);
        let values: Vec<rusqlite::types::Value> = params.iter().map(|p| value(Some(p))).collect();
        let mut stmt = conn.prepare(&sql).expect("prepare");
        let rows: Vec<(String, String)> = stmt
            .query_map(params_from_iter(values), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(6)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        let page: Vec<_> = rows.iter().take(3).cloned().collect();
        seen.extend(page.iter().map(|(id, _)| id.clone()));
        if rows.len() <= 3 {
            break;
        }
        let (id, started) = page.last().cloned().expect("row");
        cursor = Some(interview_edge::http::listing::encode_cursor(&started, &id));
    }
    assert_eq!(seen, vec!["i6", "i5", "i4", "i3", "i2", "i1"], "newest first, score ≥ 10, no repeats");
}

#[test]
fn lists_are_scoped_to_the_callers_organization() {
    let conn = db();
    let other = "11111111-1111-4111-8111-111111111111";
    conn.execute_batch(&format!(
        "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('{other}', 'Other', 't', 't');
         INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at, org_id)
           VALUES ('ua', 'a@example.com', 'h', 'Ada', 'candidate', 't1', 't', '{DEFAULT_ORG_ID}'),
                  ('ub', 'b@example.com', 'h', 'Bea', 'candidate', 't2', 't', '{DEFAULT_ORG_ID}'),
                  ('rb', 'r@example.com', 'h', 'Rex', 'recruiter', 't3', 't', '{other}');
         INSERT INTO interviews (id, candidate_id, role_type, status, started_at, last_activity_at, created_at, updated_at, org_id)
           VALUES ('ia', 'ua', 'react', 'completed', 't', 't', 't', 't', '{DEFAULT_ORG_ID}'),
                  ('ib', 'ub', 'react', 'completed', 't', 't', 't', 't', '{other}');"
    ))
    .expect("rows");
    let run = |sql: &str, params: &[Param]| -> Vec<String> {
        let values: Vec<rusqlite::types::Value> = params
            .iter()
            .map(|p| match p {
                Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
                Param::Real(x) => rusqlite::types::Value::Real(*x),
                Param::Int(n) => rusqlite::types::Value::Integer(*n),
            })
            .collect();
        let mut stmt = conn.prepare(sql).expect("prepare");
        stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let (sql, params) = interviews_query(&filters(&[]), other);
    assert_eq!(run(&sql, &params), vec!["ib"], "the other organization sees only its interview");
    let (sql, params) = interviews_query(&filters(&[]), DEFAULT_ORG_ID);
    assert_eq!(run(&sql, &params), vec!["ia"]);
    let none = CandidateFilters::parse(&[]).expect("valid");
    // Bea registered with the default organization and interviewed with the other one: both see
    // her; Ada only the default one. Staff never appear in candidate lists.
    let (sql, params) = candidates_query(&none, other);
    assert_eq!(run(&sql, &params), vec!["ub"]);
    let (sql, params) = candidates_query(&none, DEFAULT_ORG_ID);
    assert_eq!(run(&sql, &params), vec!["ub", "ua"]);
}

/// The organization lists added with jobs and invitations (src/store/org_sql.rs): each walks an
/// index of its organization's rows in list order, never a scan and a sort.
#[test]
fn job_and_invitation_lists_walk_their_indexes() {
    use interview_edge::store::org_sql::{
        INVITATIONS_PAGE, INVITATION_COLUMNS, JOBS_PAGE, JOB_RESULTS, LIVE_EMAILS, MAIL_DUE,
    };
    let conn = db();
    let text = |s: &str| Param::Text(s.to_owned());
    let org = text(DEFAULT_ORG_ID);
    let job = text("00000000-0000-4000-8000-0000000000j1");
    let cases: Vec<(&str, String, Vec<Param>, &str)> = vec![
        (
            "jobs",
            JOBS_PAGE.to_owned(),
            vec![org.clone(), text(""), text(""), text(""), Param::Int(51)],
            "idx_jobs_org",
        ),
        (
            "jobs by status",
            JOBS_PAGE.to_owned(),
            vec![org.clone(), text("open"), text("2026-11-22T00:00:00.000Z"), text("x"), Param::Int(51)],
            "idx_jobs_org",
        ),
        (
            "invitations",
            format!("SELECT {INVITATION_COLUMNS} {INVITATIONS_PAGE}"),
            vec![org.clone(), job.clone(), text("sent"), text(""), text(""), Param::Int(51)],
            "idx_invitations_org_job_created",
        ),
        (
            "results",
            JOB_RESULTS.to_owned(),
            vec![org.clone(), job.clone()],
            "idx_invitations_org_job_created",
        ),
        (
            "live emails",
            LIVE_EMAILS.to_owned(),
            vec![job.clone(), text("[\"a@example.com\"]"), text("2026-11-22T00:00:00.000Z")],
            "idx_invitations_job_email",
        ),
        (
            "mail due",
            MAIL_DUE.to_owned(),
            vec![text("2026-11-22T00:00:00.000Z"), Param::Int(25)],
            "idx_mail_outbox_due",
        ),
    ];
    for (name, sql, params, index) in cases {
        let p = plan(&conn, &sql, &params);
        assert!(p.contains(index), "{name} must use {index}:\n{p}");
        assert!(!p.contains("TEMP B-TREE FOR ORDER BY"), "{name} sorts:\n{p}");
        assert!(
            !p.lines().any(|l| l.starts_with("SCAN v") || l == "SCAN jobs" || l == "SCAN mail_outbox"),
            "{name} scans:\n{p}"
        );
    }
}

/// The hiring records and the audit trail (src/store/org_sql.rs): each history walks its
/// interview's index newest first, the trail its organization's, and the results' decision and
/// override lookups stay index searches.
#[test]
fn hiring_histories_and_the_audit_trail_walk_their_indexes() {
    use interview_edge::store::org_sql::{
        AUDIT_PAGE, DECISIONS_OF, HIRING_INTERVIEW, JOB_RESULTS, OVERRIDES_OF, REVIEWS_OF,
    };
    let conn = db();
    let text = |s: &str| Some(Param::Text(s.to_owned()));
    let null = || None;
    let org = text(DEFAULT_ORG_ID);
    let interview = text("00000000-0000-4000-8000-0000000000i1");
    let cases: Vec<(&str, &str, Vec<Option<Param>>, &str)> = vec![
        ("decisions", DECISIONS_OF, vec![interview.clone(), org.clone()], "idx_hiring_decisions_interview"),
        ("reviews", REVIEWS_OF, vec![interview.clone(), org.clone()], "idx_interview_reviews_interview"),
        ("overrides", OVERRIDES_OF, vec![interview.clone(), org.clone()], "idx_score_overrides_interview"),
        (
            "owned interview",
            HIRING_INTERVIEW,
            vec![interview.clone(), org.clone()],
            "sqlite_autoindex_interviews_1",
        ),
        (
            "audit trail",
            AUDIT_PAGE,
            vec![org.clone(), null(), null(), null(), null(), null(), null(), null(), Some(Param::Int(51))],
            "idx_audit_org",
        ),
        (
            "audit trail by action after a cursor",
            AUDIT_PAGE,
            vec![
                org.clone(),
                null(),
                text("decision.made"),
                null(),
                text("2026-11-01T00:00:00.000Z"),
                null(),
                text("2026-11-22T00:00:00.000Z"),
                text("x"),
                Some(Param::Int(51)),
            ],
            "idx_audit_org",
        ),
        (
            "results with decisions",
            JOB_RESULTS,
            vec![org.clone(), text("00000000-0000-4000-8000-0000000000j1")],
            "idx_hiring_decisions_interview",
        ),
    ];
    for (name, sql, params, index) in cases {
        let p = plan_of(&conn, sql, params.iter().map(|p| value(p.as_ref())).collect());
        assert!(p.contains(index), "{name} must use {index}:\n{p}");
        assert!(!p.contains("TEMP B-TREE FOR ORDER BY"), "{name} sorts:\n{p}");
        assert!(
            !p.lines().any(|l| {
                let l = l.trim_start_matches(['|', '-', '`', ' ']);
                ["SCAN d", "SCAN r", "SCAN o", "SCAN l", "SCAN audit_log", "SCAN hiring_decisions"]
                    .contains(&l)
            }),
            "{name} scans:\n{p}"
        );
    }
}
