//! Staff read models over D1: candidate search and detail, the interview list and detail's video
//! metadata, statistics. The list queries come from [`super::listing`] (parameterised,
//! index-friendly).

use crate::store::Db;
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::listing::{candidates_query, interviews_query, user_in_org, Param};
use crate::http::listing::{CandidateFilters, InterviewFilters};
use crate::interview::archived::ArchivedRows;

fn js(p: &Param) -> JsValue {
    match p {
        Param::Text(s) => JsValue::from_str(s),
        Param::Real(x) => JsValue::from_f64(*x),
        #[allow(clippy::cast_precision_loss)]
        Param::Int(n) => JsValue::from_f64(*n as f64),
    }
}

/// Runs a query and returns its rows as JSON objects.
async fn rows(db: &Db, sql: &str, params: &[Param]) -> worker::Result<Vec<Value>> {
    let binds: Vec<JsValue> = params.iter().map(js).collect();
    db.prepare(sql).bind(&binds)?.all().await?.results::<Value>()
}

/// One page of candidates (`limit + 1` rows: the extra one says a next page exists).
///
/// # Errors
/// D1 failures.
pub async fn candidates(db: &Db, filters: &CandidateFilters, org_id: &str) -> worker::Result<Vec<Value>> {
    let (sql, params) = candidates_query(filters, org_id);
    rows(db, &sql, &params).await
}

/// One page of interviews (`limit + 1` rows: the extra one says a next page exists).
///
/// # Errors
/// D1 failures.
pub async fn interviews(db: &Db, filters: &InterviewFilters, org_id: &str) -> worker::Result<Vec<Value>> {
    let (sql, params) = interviews_query(filters, org_id);
    rows(db, &sql, &params).await
}

/// A candidate's profile; `None` when there is no candidate with this id that organization
/// `org_id` may see.
///
/// # Errors
/// D1 failures.
pub async fn candidate(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<Value>> {
    Ok(rows(
        db,
        &format!(
            "SELECT u.id, u.email, u.full_name, u.phone, u.status, u.created_at, u.last_login_at FROM users u \
             WHERE u.id = ?1 AND u.role = 'candidate' AND {}",
            user_in_org("u", 2)
        ),
        &[Param::Text(id.to_owned()), Param::Text(org_id.to_owned())],
    )
    .await?
    .into_iter()
    .next())
}

/// A candidate's résumés, newest first (at most 100).
///
/// # Errors
/// D1 failures.
pub async fn candidate_resumes(db: &Db, id: &str) -> worker::Result<Vec<Value>> {
    rows(
        db,
        "SELECT id, file_name, content_type, size_bytes, parsing_status, uploaded_at, parsed_at FROM resumes \
         WHERE candidate_id = ?1 ORDER BY uploaded_at DESC LIMIT 100",
        &[Param::Text(id.to_owned())],
    )
    .await
}

/// A candidate's interviews with organization `org_id`, newest first (at most 100).
///
/// # Errors
/// D1 failures.
pub async fn candidate_interviews(db: &Db, id: &str, org_id: &str) -> worker::Result<Vec<Value>> {
    rows(
        db,
        "SELECT id, role_type, mode, status, started_at, completed_at, questions_asked, completion_reason, \
         overall_score, total_cost_micros FROM interviews WHERE candidate_id = ?1 AND org_id = ?2 \
         ORDER BY started_at DESC, id DESC LIMIT 100",
        &[Param::Text(id.to_owned()), Param::Text(org_id.to_owned())],
    )
    .await
}

/// The video recording metadata of an interview, if it has a recording.
///
/// # Errors
/// D1 failures.
pub async fn interview_video(db: &Db, interview_id: &str) -> worker::Result<Option<Value>> {
    Ok(rows(
        db,
        "SELECT id, interview_id, storage_path, content_type, file_size_bytes, duration_seconds, chunk_count, \
         total_chunks, status, uploaded_at FROM video_recordings WHERE interview_id = ?1",
        &[Param::Text(interview_id.to_owned())],
    )
    .await?
    .into_iter()
    .next())
}

/// The rows of organization `org_id`'s interview `id`, for an interview no Durable Object holds
/// (an imported one, [`crate::interview::archived`]); `None` when there is no such interview.
///
/// # Errors
/// Store failures.
pub async fn archived_interview(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<ArchivedRows>> {
    let both = [Param::Text(id.to_owned()), Param::Text(org_id.to_owned())];
    let Some(interview) =
        rows(db, "SELECT * FROM interviews WHERE id = ?1 AND org_id = ?2", &both).await?.into_iter().next()
    else {
        return Ok(None);
    };
    let one = [Param::Text(id.to_owned())];
    let session = rows(
        db,
        "SELECT current_difficulty, questions_asked, skill_boundaries, progression_state FROM interview_sessions \
         WHERE interview_id = ?1",
        &one,
    )
    .await?
    .into_iter()
    .next();
    let messages = rows(
        db,
        "SELECT id, sequence_number, message_type, content_text, audio_url, created_at FROM interview_messages \
         WHERE interview_id = ?1 ORDER BY sequence_number",
        &one,
    )
    .await?;
    let assessment = rows(
        db,
        "SELECT overall_score, skill_scores, skill_boundary_map, strengths, weaknesses, integrity_score, \
         integrity_flags, ai_reasoning, recommended_actions, summary, generator, partial, generated_at \
         FROM assessment_results WHERE interview_id = ?1",
        &one,
    )
    .await?
    .into_iter()
    .next();
    Ok(Some(ArchivedRows { interview, session, messages, assessment }))
}

/// Counts, averages and rates over organization `org_id`'s interviews.
///
/// # Errors
/// D1 failures.
pub async fn stats(db: &Db, org_id: &str) -> worker::Result<Vec<Value>> {
    rows(
        db,
        "SELECT status, COUNT(*) AS n, AVG(questions_asked) AS avg_questions, AVG(overall_score) AS avg_score, \
         AVG(total_cost_micros) AS avg_cost_micros FROM interviews WHERE org_id = ?1 GROUP BY status",
        &[Param::Text(org_id.to_owned())],
    )
    .await
}
