//! Projection of interview DOs into D1 (`interviews`, `interview_sessions`,
//! `interview_messages`): idempotent upserts, so an outbox row applied twice changes nothing,
//! and versioned, so an older snapshot never overwrites a newer one. Also the candidate's list.

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

fn val(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_f64(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64().map_or(JsValue::NULL, JsValue::from_f64),
        Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

const INTERVIEW_COLUMNS: &[&str] = &[
    "id",
    "candidate_id",
    "resume_id",
    "role_type",
    "mode",
    "status",
    "started_at",
    "completed_at",
    "duration_seconds",
    "completion_reason",
    "current_difficulty",
    "questions_asked",
    "total_questions",
    "skill_boundaries",
    "ai_provider",
    "ai_model",
    "tokens_in",
    "tokens_out",
    "audio_in_ms",
    "audio_out_ms",
    "tts_chars",
    "llm_cost_micros",
    "speech_cost_micros",
    "realtime_cost_micros",
    "total_cost_micros",
    "tech_check_metadata",
    "video_recording_consent",
    "video_recording_status",
    "state_version",
    "last_activity_at",
    "created_at",
    "updated_at",
];

/// The D1 statements for one outbox row.
///
/// # Errors
/// Binding failures (never for well-formed payloads).
pub fn projection_statements(
    db: &D1Database,
    kind: &str,
    p: &Value,
) -> worker::Result<Vec<D1PreparedStatement>> {
    match kind {
        "interview" => {
            let placeholders: Vec<String> = (1..=INTERVIEW_COLUMNS.len()).map(|i| format!("?{i}")).collect();
            let updates: Vec<String> = INTERVIEW_COLUMNS
                .iter()
                .filter(|c| !matches!(**c, "id" | "created_at"))
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let sql = format!(
                "INSERT INTO interviews ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {} \
                 WHERE excluded.state_version > interviews.state_version",
                INTERVIEW_COLUMNS.join(", "),
                placeholders.join(", "),
                updates.join(", ")
            );
            let binds: Vec<JsValue> = INTERVIEW_COLUMNS.iter().map(|c| val(&p[*c])).collect();
            let interview = db.prepare(sql).bind(&binds)?;
            let session = db
                .prepare(
                    "INSERT INTO interview_sessions (interview_id, current_difficulty, questions_asked, skill_boundaries, \
                     progression_state, state_version, last_activity_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (interview_id) DO UPDATE SET current_difficulty = excluded.current_difficulty, \
                     questions_asked = excluded.questions_asked, skill_boundaries = excluded.skill_boundaries, \
                     progression_state = excluded.progression_state, state_version = excluded.state_version, \
                     last_activity_at = excluded.last_activity_at, updated_at = excluded.updated_at \
                     WHERE excluded.state_version > interview_sessions.state_version",
                )
                .bind(&[
                    val(&p["id"]),
                    val(&p["current_difficulty"]),
                    val(&p["questions_asked"]),
                    val(&p["skill_boundaries"]),
                    val(&p["progression_state"]),
                    val(&p["state_version"]),
                    val(&p["last_activity_at"]),
                    val(&p["updated_at"]),
                ])?;
            Ok(vec![interview, session])
        }
        "message" => {
            let stmt = db
                .prepare(
                    "INSERT INTO interview_messages (id, interview_id, sequence_number, message_type, content_text, \
                     audio_url, metadata, response_time_ms, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&[
                    val(&p["id"]),
                    val(&p["interview_id"]),
                    val(&p["sequence_number"]),
                    val(&p["message_type"]),
                    val(&p["content_text"]),
                    val(&p["audio_url"]),
                    val(&p["metadata"]),
                    val(&p["response_time_ms"]),
                    val(&p["created_at"]),
                ])?;
            Ok(vec![stmt])
        }
        "assessment" => {
            const COLUMNS: &[&str] = &[
                "id",
                "interview_id",
                "overall_score",
                "skill_scores",
                "skill_boundary_map",
                "strengths",
                "weaknesses",
                "integrity_score",
                "integrity_flags",
                "ai_reasoning",
                "recommended_actions",
                "summary",
                "generator",
                "partial",
                "generated_at",
            ];
            let placeholders: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
            let updates: Vec<String> = COLUMNS
                .iter()
                .filter(|c| !matches!(**c, "id" | "interview_id"))
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let sql = format!(
                "INSERT INTO assessment_results ({}) VALUES ({}) ON CONFLICT (interview_id) DO UPDATE SET {}",
                COLUMNS.join(", "),
                placeholders.join(", "),
                updates.join(", ")
            );
            let binds: Vec<JsValue> = COLUMNS.iter().map(|c| val(&p[*c])).collect();
            let upsert = db.prepare(sql).bind(&binds)?;
            let score = db
                .prepare("UPDATE interviews SET overall_score = ?2 WHERE id = ?1")
                .bind(&[val(&p["interview_id"]), val(&p["overall_score"])])?;
            Ok(vec![upsert, score])
        }
        _ => Ok(Vec::new()),
    }
}

/// One row of a candidate's interview list.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct ListRow {
    pub id: String,
    pub role_type: String,
    pub mode: String,
    pub status: String,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub completion_reason: Option<String>,
    pub current_difficulty: String,
    pub questions_asked: i64,
    pub total_questions: i64,
    pub overall_score: Option<f64>,
}

/// A candidate's interviews, newest first.
///
/// # Errors
/// D1 failures.
pub async fn list_for_candidate(
    db: &D1Database,
    candidate_id: &str,
    skip: u32,
    limit: u32,
) -> worker::Result<(Vec<ListRow>, u64)> {
    let rows = db
        .prepare(
            "SELECT id, role_type, mode, status, started_at, completed_at, completion_reason, current_difficulty, \
             questions_asked, total_questions, overall_score FROM interviews WHERE candidate_id = ?1 \
             ORDER BY started_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(&[JsValue::from_str(candidate_id), JsValue::from(limit), JsValue::from(skip)])?
        .all()
        .await?
        .results::<ListRow>()?;
    #[derive(serde::Deserialize)]
    struct Count {
        n: f64,
    }
    let total = db
        .prepare("SELECT COUNT(*) AS n FROM interviews WHERE candidate_id = ?1")
        .bind(&[JsValue::from_str(candidate_id)])?
        .first::<Count>(None)
        .await?
        .map_or(0.0, |c| c.n);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((rows, total as u64))
}
