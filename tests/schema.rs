//! The D1 schema (migrations/) accepts every enum value the code can write and rejects others.
//!
//! Runs natively against a real SQLite (the engine D1 is built on): loads every migration in
//! order, creates one valid row per table, then updates each enumerated column to every value of
//! the matching Rust enum (accepted) and to a wrong value (rejected by its CHECK).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use interview_edge::config::AiProviderKind;
use interview_edge::domain::enums::{
    AssessmentGenerator, AuditAction, CompletionReason, DeliveryStatus, Difficulty, FeedbackStatus,
    HiringDecision, InterviewMode, InterviewStatus, JobStatus, MessageType, ParsingStatus, RoleFamily,
    RoleType, UserRole, UserStatus, VideoStatus,
};
use rusqlite::Connection;

fn migrated() -> Connection {
    let conn = common::sqlite::migrated();
    conn.execute_batch(FIXTURES).expect("fixtures are valid rows");
    conn
}

const T: &str = "2026-11-22T01:02:03.456Z";

const FIXTURES: &str = "
INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
  VALUES ('u1', 'a@example.com', 'pbkdf2-sha256$1$x$y', 'Ada Lovelace', 'candidate', 't', 't');
INSERT INTO resumes (id, candidate_id, file_name, content_type, size_bytes, storage_path, uploaded_at, updated_at)
  VALUES ('r1', 'u1', 'cv.pdf', 'application/pdf', 10, 'resumes/u1/r1', 't', 't');
INSERT INTO resume_feedback (id, resume_id, candidate_id, feedback_content, generator, auto_send_at, created_at, updated_at)
  VALUES ('f1', 'r1', 'u1', 'Looks good', 'builtin', 't', 't', 't');
INSERT INTO feedback_deliveries (id, feedback_id, next_attempt_at, created_at) VALUES ('d1', 'f1', 't', 't');
INSERT INTO interviews (id, candidate_id, role_type, status, started_at, last_activity_at, created_at, updated_at)
  VALUES ('i1', 'u1', 'react', 'in_progress', 't', 't', 't', 't');
INSERT INTO interview_sessions (interview_id, current_difficulty, questions_asked, last_activity_at, updated_at)
  VALUES ('i1', 'warmup', 0, 't', 't');
INSERT INTO interview_messages (id, interview_id, sequence_number, message_type, content_text, created_at)
  VALUES ('m1', 'i1', 1, 'ai_question', 'Hello?', 't');
INSERT INTO assessment_results (id, interview_id, overall_score, skill_scores, skill_boundary_map, strengths,
  weaknesses, integrity_score, integrity_flags, ai_reasoning, recommended_actions, summary, generator, generated_at)
  VALUES ('a1', 'i1', 50, '{}', '{}', '[]', '[]', 100, '[]', '{}', '[]', 's', 'builtin', 't');
INSERT INTO video_recordings (id, interview_id, candidate_id, storage_path, content_type, total_chunks, status, created_at, updated_at)
  VALUES ('v1', 'i1', 'u1', 'videos/i1', 'video/webm', 1, 'uploading', 't', 't');
INSERT INTO jobs (id, org_id, title, role_family, created_by, created_at, updated_at)
  VALUES ('j0000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'Job', 'custom', 'u1', 't', 't');
INSERT INTO hiring_decisions (id, org_id, interview_id, decision, reason, decided_by, created_at)
  VALUES ('d0000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'i1', 'hold', 'r', 'u1', 't');
INSERT INTO decision_templates (org_id, decision, subject, body, updated_by, updated_at)
  VALUES ('00000000-0000-4000-8000-000000000001', 'hold', 's', 'b', 'u1', 't');
";

const JOB: &str = "j0000000-0000-4000-8000-000000000001";
const DECISION: &str = "d0000000-0000-4000-8000-000000000001";

/// (table, key column, key value, column, every value the code writes)
fn enum_columns() -> Vec<(&'static str, &'static str, &'static str, &'static str, Vec<&'static str>)> {
    fn all<T: Copy>(values: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
        values.iter().map(|v| f(*v)).collect()
    }
    let providers = vec![AiProviderKind::Builtin.as_str(), AiProviderKind::Openai.as_str()];
    vec![
        ("users", "id", "u1", "role", all(UserRole::ALL, UserRole::as_str)),
        ("users", "id", "u1", "status", all(UserStatus::ALL, UserStatus::as_str)),
        ("resumes", "id", "r1", "parsing_status", all(ParsingStatus::ALL, ParsingStatus::as_str)),
        ("resume_feedback", "id", "f1", "status", all(FeedbackStatus::ALL, FeedbackStatus::as_str)),
        (
            "resume_feedback",
            "id",
            "f1",
            "generator",
            all(AssessmentGenerator::ALL, AssessmentGenerator::as_str),
        ),
        ("feedback_deliveries", "id", "d1", "status", all(DeliveryStatus::ALL, DeliveryStatus::as_str)),
        ("interviews", "id", "i1", "role_type", all(RoleType::ALL, RoleType::as_str)),
        ("interviews", "id", "i1", "mode", all(InterviewMode::ALL, InterviewMode::as_str)),
        ("interviews", "id", "i1", "status", all(InterviewStatus::ALL, InterviewStatus::as_str)),
        ("interviews", "id", "i1", "completion_reason", all(CompletionReason::ALL, CompletionReason::as_str)),
        ("interviews", "id", "i1", "current_difficulty", all(Difficulty::ALL, Difficulty::as_str)),
        ("interviews", "id", "i1", "video_recording_status", all(VideoStatus::ALL, VideoStatus::as_str)),
        ("interviews", "id", "i1", "ai_provider", providers),
        (
            "interview_sessions",
            "interview_id",
            "i1",
            "current_difficulty",
            all(Difficulty::ALL, Difficulty::as_str),
        ),
        ("interview_messages", "id", "m1", "message_type", all(MessageType::ALL, MessageType::as_str)),
        (
            "assessment_results",
            "id",
            "a1",
            "generator",
            all(AssessmentGenerator::ALL, AssessmentGenerator::as_str),
        ),
        ("video_recordings", "id", "v1", "status", all(VideoStatus::ALL, VideoStatus::as_str)),
        ("jobs", "id", JOB, "status", all(JobStatus::ALL, JobStatus::as_str)),
        ("jobs", "id", JOB, "role_family", all(RoleFamily::ALL, RoleFamily::as_str)),
        ("hiring_decisions", "id", DECISION, "decision", all(HiringDecision::ALL, HiringDecision::as_str)),
        (
            "decision_templates",
            "org_id",
            "00000000-0000-4000-8000-000000000001",
            "decision",
            all(HiringDecision::ALL, HiringDecision::as_str),
        ),
    ]
}

#[test]
fn every_enum_value_the_code_writes_is_accepted_by_the_schema() {
    let conn = migrated();
    for (table, key, id, column, values) in enum_columns() {
        for value in values {
            let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key} = ?2");
            let changed = conn
                .execute(&sql, [value, id])
                .unwrap_or_else(|e| panic!("{table}.{column} refused '{value}': {e}"));
            assert_eq!(changed, 1, "{table}.{column}");
        }
    }
}

#[test]
fn values_outside_the_enums_are_rejected() {
    let conn = migrated();
    for (table, key, id, column, values) in enum_columns() {
        for wrong in ["bogus", "", "REACT"] {
            if values.contains(&wrong) {
                continue;
            }
            let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key} = ?2");
            assert!(conn.execute(&sql, [wrong, id]).is_err(), "{table}.{column} accepted '{wrong}'");
        }
    }
}

#[test]
fn emails_must_be_stored_lower_cased_and_unique() {
    let conn = migrated();
    let insert = "INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at) \
                  VALUES (?1, ?2, 'h', 'Someone', 'candidate', ?3, ?3)";
    assert!(conn.execute(insert, ["u2", "Mixed@Example.com", T]).is_err(), "upper case accepted");
    assert!(conn.execute(insert, ["u3", "a@example.com", T]).is_err(), "duplicate accepted");
    assert!(conn.execute(insert, ["u4", "b@example.com", T]).is_ok());
}

#[test]
fn json_columns_require_valid_json_and_sequences_are_unique_per_interview() {
    let conn = migrated();
    assert!(conn.execute("UPDATE interviews SET skill_boundaries = 'not json' WHERE id = 'i1'", []).is_err());
    assert!(conn.execute("UPDATE interview_messages SET metadata = '{' WHERE id = 'm1'", []).is_err());
    let dup = "INSERT INTO interview_messages (id, interview_id, sequence_number, message_type, content_text, created_at) \
               VALUES ('m2', 'i1', 1, 'candidate_response', 'x', 't')";
    assert!(conn.execute(dup, []).is_err(), "duplicate sequence number accepted");
}

/// The audit trail takes every action the code records and is append-only: the schema's triggers
/// refuse to change or delete an entry, whatever runs the statement.
#[test]
fn the_audit_trail_takes_every_action_and_is_append_only() {
    let conn = migrated();
    let insert = "INSERT INTO audit_log (id, org_id, actor_id, action, target_type, target_id, client, created_at) \
                  VALUES (?1, '00000000-0000-4000-8000-000000000001', 'u1', ?2, 'interview', 'i1', 'curl', ?3)";
    for (n, action) in AuditAction::ALL.iter().enumerate() {
        let id = format!("a0000000-0000-4000-8000-{n:012}");
        conn.execute(insert, [id.as_str(), action.as_str(), T]).unwrap_or_else(|e| panic!("{action}: {e}"));
    }
    let err = conn.execute("UPDATE audit_log SET detail = 'x'", []).expect_err("update refused");
    assert!(err.to_string().contains("cannot be changed"), "{err}");
    let err = conn.execute("DELETE FROM audit_log", []).expect_err("delete refused");
    assert!(err.to_string().contains("cannot be deleted"), "{err}");
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0)).expect("count");
    assert_eq!(count, AuditAction::ALL.len() as i64);
}
