//! The D1 projection replayed natively against the real schema (SQLite): applying an outbox row
//! twice changes nothing, an older interview snapshot never overwrites a newer one, and a
//! regenerated assessment updates its one row instead of adding another.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use interview_edge::domain::assessment::{generate_builtin, AssessmentInput};
use interview_edge::domain::engine::EngineLimits;
use interview_edge::domain::enums::{InterviewMode, InterviewStatus, MessageType, RoleType, VideoStatus};
use interview_edge::domain::interview::{InterviewRecord, StoredMessage};
use interview_edge::domain::interviewer::Session;
use interview_edge::domain::projection::assessment_row;
use interview_edge::store::projection::{batch, statements, Statement};
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

fn db() -> Connection {
    let conn = common::sqlite::migrated();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
         VALUES ('u1', 'a@example.com', 'h', 'Ada', 'candidate', 't', 't');",
    )
    .unwrap();
    conn
}

fn apply(conn: &Connection, kind: &str, payload: &Value) {
    run(conn, kind, statements(kind, payload));
}

fn run(conn: &Connection, kind: &str, statements: Vec<Statement>) {
    for (sql, params) in statements {
        let values: Vec<rusqlite::types::Value> = params
            .iter()
            .map(|v| match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::Number(n) if n.is_i64() => rusqlite::types::Value::Integer(n.as_i64().unwrap()),
                Value::Number(n) => rusqlite::types::Value::Real(n.as_f64().unwrap()),
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                other => rusqlite::types::Value::Text(other.to_string()),
            })
            .collect();
        conn.execute(&sql, params_from_iter(values)).unwrap_or_else(|e| panic!("{kind}: {e}\n{sql}"));
    }
}

fn record(version: u64, status: InterviewStatus) -> InterviewRecord {
    InterviewRecord {
        id: "i1".into(),
        candidate_id: "u1".into(),
        resume_id: None,
        role_type: RoleType::React,
        mode: InterviewMode::Text,
        status,
        started_ms: 1_000,
        completed_ms: (status == InterviewStatus::Completed).then_some(90_000),
        completion_reason: None,
        last_activity_ms: 2_000,
        version,
        pending: None,
        answers_bucket: None,
        ai_provider: interview_edge::config::AiProviderKind::Builtin,
        ai_model: None,
        tech_check_metadata: Some(json!({"microphone_ok": true})),
        video_recording_consent: true,
        video_recording_status: VideoStatus::NotStarted,
        model_fallbacks: 0,
        org_id: Some(interview_edge::config::DEFAULT_ORG_ID.into()),
        job_id: None,
        job_version: None,
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn replays_are_idempotent_and_older_snapshots_lose() {
    let conn = db();
    let session = Session::start("i1", RoleType::React, None);
    let limits = EngineLimits::default();
    let newer = record(3, InterviewStatus::Completed).projection(&session, &limits, 100_000);
    let older = record(2, InterviewStatus::InProgress).projection(&session, &limits, 50_000);
    apply(&conn, "interview", &newer);
    apply(&conn, "interview", &newer);
    apply(&conn, "interview", &older);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM interviews"), 1);
    let status: String = conn.query_row("SELECT status FROM interviews", [], |r| r.get(0)).unwrap();
    assert_eq!(status, "completed", "the older snapshot did not overwrite the newer one");
    assert_eq!(count(&conn, "SELECT state_version FROM interview_sessions"), 3);

    let message = json!({"id": "m1", "interview_id": "i1", "sequence_number": 1, "message_type": MessageType::AiQuestion,
        "content_text": "Hello?", "audio_url": null, "metadata": "{}", "response_time_ms": null, "created_at": "t"});
    apply(&conn, "message", &message);
    apply(&conn, "message", &message);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM interview_messages"), 1);
}

#[test]
fn a_regenerated_assessment_updates_its_single_row() {
    let conn = db();
    // ATS webhooks of the interview's organization: the completion and the assessment are
    // queued once per subscribed active endpoint, however often the rows are replayed.
    conn.execute_batch(&format!(
        "INSERT INTO webhooks (id, org_id, url, events, active, secret, created_by, created_at, updated_at) VALUES
         ('{a}', '{org}', 'https://a.example/h', '[\"interview.completed\",\"assessment.ready\"]', 1, 's', 'u1', 't', 't'),
         ('{b}', '{org}', 'https://b.example/h', '[\"decision.made\"]', 1, 's', 'u1', 't', 't'),
         ('{c}', '{org}', 'https://c.example/h', '[\"assessment.ready\"]', 0, 's', 'u1', 't', 't');",
        a = "a".repeat(36),
        b = "b".repeat(36),
        c = "c".repeat(36),
        org = interview_edge::config::DEFAULT_ORG_ID,
    ))
    .unwrap();
    let mut session = Session::start("i1", RoleType::React, None);
    let limits = EngineLimits::default();
    let mut messages = vec![StoredMessage {
        seq: 1,
        id: "m1".into(),
        message_type: MessageType::AiQuestion,
        content_text: session.opening_message(),
        audio_url: None,
        metadata: json!({}),
        response_time_ms: None,
        created_ms: 1_000,
    }];
    let turn = session
        .answer_builtin("Props flow down and state is local because of ownership.", 2, &limits)
        .unwrap();
    messages.push(StoredMessage {
        seq: 2,
        id: "m2".into(),
        message_type: MessageType::CandidateResponse,
        content_text: "Props flow down and state is local because of ownership.".into(),
        audio_url: None,
        metadata: json!({}),
        response_time_ms: Some(20_000),
        created_ms: 21_000,
    });
    apply(&conn, "interview", &record(1, InterviewStatus::Completed).projection(&session, &limits, 30_000));
    let evaluations = vec![(2, turn.evaluation.clone())];
    let input = |partial| AssessmentInput {
        interview_id: "i1",
        role: RoleType::React,
        session: &session,
        messages: &messages,
        evaluations: &evaluations,
        partial,
        now_ms: 40_000,
    };
    let first = generate_builtin(&input(false));
    let second = generate_builtin(&input(true));
    apply(&conn, "assessment", &assessment_row("i1", &first));
    apply(&conn, "assessment", &assessment_row("i1", &second));
    apply(&conn, "assessment", &assessment_row("i1", &second));
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM assessment_results"),
        1,
        "one row however often it is regenerated"
    );
    assert_eq!(count(&conn, "SELECT partial FROM assessment_results"), 1, "the latest generation wins");
    let score: f64 = conn.query_row("SELECT overall_score FROM interviews", [], |r| r.get(0)).unwrap();
    assert!((score - second.overall_score).abs() < 1e-9, "the interview carries the score");
    apply(&conn, "interview", &record(2, InterviewStatus::Completed).projection(&session, &limits, 50_000));
    let events: Vec<(String, String, String)> = conn
        .prepare("SELECT webhook_id, event_id, data FROM webhook_deliveries ORDER BY event_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|(w, _, _)| w == &"a".repeat(36)), "only the subscribed active endpoint");
    assert_eq!(events[0].1, "assessment.ready:i1");
    assert_eq!(events[1].1, "interview.completed:i1");
    let ready: Value = serde_json::from_str(&events[0].2).unwrap();
    assert_eq!(ready["interview_id"], "i1");
    assert!(ready["overall_score"].is_number() && ready["partial"].is_boolean(), "{ready}");
    let completed: Value = serde_json::from_str(&events[1].2).unwrap();
    assert_eq!(completed["candidate_id"], "u1");
}

#[test]
fn the_video_row_follows_the_recording_and_the_interview_carries_its_status() {
    use interview_edge::domain::media::recording::{object_key, VideoRecording};
    use interview_edge::domain::media::video::VideoContentType;
    let conn = db();
    let session = Session::start("i1", RoleType::React, None);
    apply(
        &conn,
        "interview",
        &record(1, InterviewStatus::InProgress).projection(&session, &EngineLimits::default(), 1),
    );
    let mut v = VideoRecording {
        id: "v1".into(),
        interview_id: "i1".into(),
        candidate_id: "u1".into(),
        key: object_key("i1", "n1", VideoContentType::Webm),
        content_type: VideoContentType::Webm,
        upload_id: Some("up-1".into()),
        total_chunks: 3,
        chunk_count: 1,
        file_size_bytes: 6,
        status: VideoStatus::Uploading,
        created_ms: 1_000,
        last_chunk_ms: 1_000,
        uploaded_ms: None,
        deleted_ms: None,
    };
    apply(&conn, "video", &v.projection(2_000));
    apply(&conn, "video", &v.projection(2_000));
    v.status = VideoStatus::Completed;
    v.chunk_count = 3;
    v.file_size_bytes = 30;
    v.uploaded_ms = Some(3_000);
    apply(&conn, "video", &v.projection(3_000));
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM video_recordings"), 1);
    assert_eq!(count(&conn, "SELECT file_size_bytes FROM video_recordings"), 30);
    let url: Option<String> =
        conn.query_row("SELECT video_recording_url FROM interviews", [], |r| r.get(0)).unwrap();
    assert_eq!(url.as_deref(), Some("/api/v1/videos/i1/stream"));
    // A stale replay (an older flush landing late) changes nothing.
    let mut stale = v.clone();
    stale.status = VideoStatus::Uploading;
    apply(&conn, "video", &stale.projection(2_500));
    let status: String = conn.query_row("SELECT status FROM video_recordings", [], |r| r.get(0)).unwrap();
    assert_eq!(status, "completed");
    v.mark_deleted(4_000);
    apply(&conn, "video", &v.projection(4_000));
    let row: (String, Option<String>, Option<String>) = conn
        .query_row("SELECT status, deleted_at, upload_id FROM video_recordings", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(row.0, "deleted");
    assert!(row.1.is_some() && row.2.is_none());
    let url: Option<String> =
        conn.query_row("SELECT video_recording_url FROM interviews", [], |r| r.get(0)).unwrap();
    assert_eq!(url, None, "a deleted video has no URL");
}

#[test]
fn an_interview_started_for_a_job_projects_the_job_and_its_version() {
    let conn = db();
    conn.execute_batch(
        "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
         VALUES ('s1', 'r@example.com', 'h', 'Rae', 'recruiter', 't', 't');
         INSERT INTO jobs (id, org_id, title, role_family, created_by, created_at, updated_at)
         VALUES ('00000000-0000-4000-8000-00000000j0b1', '00000000-0000-4000-8000-000000000001', 'Job', 'custom', 's1', 't', 't');",
    )
    .unwrap();
    let session = Session::start("i1", RoleType::Fullstack, None);
    let mut r = record(1, InterviewStatus::InProgress);
    r.job_id = Some("00000000-0000-4000-8000-00000000j0b1".into());
    r.job_version = Some(2);
    apply(&conn, "interview", &r.projection(&session, &EngineLimits::default(), 1));
    let (job, version): (String, i64) = conn
        .query_row("SELECT job_id, job_version FROM interviews", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!((job.as_str(), version), ("00000000-0000-4000-8000-00000000j0b1", 2));
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT id FROM interviews WHERE job_id = '00000000-0000-4000-8000-00000000j0b1'",
            [],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("idx_interviews_job"), "{plan}");
}

/// Every row of every table, as text, in a stable order (the webhook deliveries' random ids left
/// out), to compare two databases.
fn dump(conn: &Connection) -> Vec<String> {
    let mut tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // The migrations' own rows carry the time they ran.
    tables.retain(|t| t != "d1_migrations" && t != "organizations");
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut line = format!("{t}:");
                for (i, name) in names.iter().enumerate() {
                    if t == "webhook_deliveries" && name == "id" {
                        continue;
                    }
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push_str(&format!(" {name}={v:?}"));
                }
                Ok(line)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

fn message_row(seq: u32, kind: MessageType) -> Value {
    json!({"id": format!("m{seq}"), "interview_id": "i1", "sequence_number": seq, "message_type": kind,
        "content_text": format!("text {seq}"), "audio_url": null, "metadata": "{\"k\":1}",
        "response_time_ms": if kind == MessageType::CandidateResponse { json!(1200) } else { json!(null) },
        "created_at": format!("2026-12-04T00:00:{:02}.000Z", seq % 60)})
}

/// The outbox rows of an interview from its start to its completion, as the object queues
/// them: each turn saves twice (the answer accepted, the reply written), so two snapshots and
/// two messages per turn, and the completing turn's snapshot is `completed`.
fn outbox_of_a_whole_interview(turns: u32) -> Vec<(String, Value)> {
    let session = Session::start("i1", RoleType::React, None);
    let limits = EngineLimits::default();
    let mut rows = vec![
        ("interview".to_owned(), record(1, InterviewStatus::InProgress).projection(&session, &limits, 1_000)),
        ("message".to_owned(), message_row(1, MessageType::AiQuestion)),
    ];
    for t in 0..turns {
        let v = 2 + u64::from(t) * 2;
        let last = t + 1 == turns;
        rows.push(("message".to_owned(), message_row(2 + t * 2, MessageType::CandidateResponse)));
        rows.push((
            "interview".to_owned(),
            record(v, InterviewStatus::InProgress).projection(&session, &limits, 2_000),
        ));
        rows.push(("message".to_owned(), message_row(3 + t * 2, MessageType::AiQuestion)));
        let status = if last { InterviewStatus::Completed } else { InterviewStatus::InProgress };
        rows.push(("interview".to_owned(), record(v + 1, status).projection(&session, &limits, 3_000)));
    }
    rows
}

fn with_a_webhook() -> Connection {
    let conn = db();
    conn.execute_batch(
        "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
         VALUES ('s1', 'r@example.com', 'h', 'Rae', 'recruiter', 't', 't');
         INSERT INTO webhooks (id, org_id, url, events, secret, created_by, created_at, updated_at)
         VALUES ('00000000-0000-4000-8000-0000000000w1', '00000000-0000-4000-8000-000000000001',
                 'https://hooks.example.com/x', '[\"interview.completed\"]', 's', 's1', 't', 't');",
    )
    .unwrap();
    conn
}

#[test]
fn a_batch_leaves_the_same_rows_as_its_rows_one_by_one_with_fewer_statements() {
    for turns in [1, 3, 12] {
        let rows = outbox_of_a_whole_interview(turns);
        let one_by_one = with_a_webhook();
        let mut single = 0;
        for (kind, p) in &rows {
            let s = statements(kind, p);
            single += s.len();
            run(&one_by_one, kind, s);
        }
        let batched = with_a_webhook();
        let refs: Vec<(&str, &Value)> = rows.iter().map(|(k, p)| (k.as_str(), p)).collect();
        let b = batch(&refs);
        let n = b.len();
        run(&batched, "batch", b);
        assert_eq!(dump(&batched), dump(&one_by_one), "{turns} turns");
        assert_eq!(count(&batched, "SELECT COUNT(*) FROM interview_messages"), i64::from(1 + turns * 2));
        assert_eq!(
            count(&batched, "SELECT COUNT(*) FROM webhook_deliveries"),
            1,
            "the completion is announced once"
        );
        assert_eq!(count(&batched, "SELECT state_version FROM interviews"), i64::from(1 + turns * 2));
        // The newest snapshot once (two statements, three when completed) and the messages in
        // inserts of at most eleven rows.
        let message_inserts = usize::try_from(1 + turns * 2).unwrap().div_ceil(11);
        assert!(n <= 3 + message_inserts, "{turns} turns: {n} statements");
        assert!(n < single, "{turns} turns: {n} statements batched, {single} one by one");
    }
}

#[test]
fn one_turn_of_a_started_interview_projects_in_three_statements_and_replays_change_nothing() {
    let rows = outbox_of_a_whole_interview(2);
    let conn = with_a_webhook();
    let refs: Vec<(&str, &Value)> = rows.iter().map(|(k, p)| (k.as_str(), p)).collect();
    // The start's rows, then the first turn's four (its answer, a snapshot, the reply, a snapshot).
    run(&conn, "start", batch(&refs[..2]));
    let turn = batch(&refs[2..6]);
    assert_eq!(turn.len(), 3, "the newest snapshot (interview and session rows) and one message insert");
    run(&conn, "turn", turn);
    let before = dump(&conn);
    // A flush that failed after D1 applied it is retried whole: nothing changes.
    run(&conn, "turn again", batch(&refs[2..6]));
    assert_eq!(dump(&conn), before);
    // An older snapshot arriving after a newer one loses, in a batch as alone.
    run(&conn, "older", batch(&refs[2..4]));
    assert_eq!(dump(&conn), before);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_deliveries"), 0, "not completed yet");
}

#[test]
fn a_batch_keeps_recordings_after_their_messages_and_assessments_after_their_interview() {
    let mut rows = outbox_of_a_whole_interview(2);
    // A legacy voice answer's recording, added after its message (the first turn's answer).
    rows.insert(
        3,
        ("message_audio".to_owned(), json!({"id": "m2", "audio_url": "https://media.example/audio/m2.webm"})),
    );
    let session = Session::start("i1", RoleType::React, None);
    let limits = EngineLimits::default();
    let input = AssessmentInput {
        interview_id: "i1",
        role: RoleType::React,
        session: &session,
        messages: &[],
        evaluations: &[],
        partial: false,
        now_ms: 40_000,
    };
    rows.push(("assessment".to_owned(), assessment_row("i1", &generate_builtin(&input))));
    rows.push((
        "interview".to_owned(),
        record(9, InterviewStatus::Completed).projection(&session, &limits, 50_000),
    ));
    let one_by_one = with_a_webhook();
    for (kind, p) in &rows {
        apply(&one_by_one, kind, p);
    }
    let batched = with_a_webhook();
    let refs: Vec<(&str, &Value)> = rows.iter().map(|(k, p)| (k.as_str(), p)).collect();
    run(&batched, "batch", batch(&refs));
    assert_eq!(dump(&batched), dump(&one_by_one));
    let audio: Option<String> = batched
        .query_row("SELECT audio_url FROM interview_messages WHERE id = 'm2'", [], |r| r.get(0))
        .unwrap();
    assert!(audio.is_some(), "the recording found its message");
    assert_eq!(count(&batched, "SELECT COUNT(*) FROM assessment_results"), 1);
    assert_eq!(count(&batched, "SELECT state_version FROM interviews"), 9);
}

#[test]
fn many_messages_go_in_inserts_within_the_parameter_limit() {
    let mut rows = vec![(
        "interview".to_owned(),
        record(1, InterviewStatus::InProgress).projection(
            &Session::start("i1", RoleType::React, None),
            &EngineLimits::default(),
            1_000,
        ),
    )];
    rows.extend((1..=40).map(|seq| ("message".to_owned(), message_row(seq, MessageType::AiQuestion))));
    let refs: Vec<(&str, &Value)> = rows.iter().map(|(k, p)| (k.as_str(), p)).collect();
    let statements = batch(&refs);
    assert!(statements.iter().all(|(_, params)| params.len() <= 100), "D1 binds at most 100 parameters");
    assert_eq!(statements.len(), 2 + 40_usize.div_ceil(11));
    let conn = db();
    run(&conn, "batch", statements);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM interview_messages"), 40);
}
