//! An interview no Durable Object holds — one imported from the system the product replaces
//! (`scripts/import-seed`, docs/postgres.md#import) — read from its relational rows: the staff
//! detail in the shape of the object's own [`Detail`], so `GET /recruiter/interviews/{id}`
//! answers alike for both. The rows are what the store returns on either backend: JSON columns
//! as text (D1) or as JSON (Postgres), booleans as 0/1 or `true`/`false`.

use serde_json::{json, Map, Value};

use super::replies::{CostView, Detail, SessionState};
use crate::domain::assessment::ASSESSMENT_VERSION;
use crate::domain::engine::cost::micros_to_usd;
use crate::domain::interview::StoredMessage;
use crate::domain::time::parse_rfc3339_ms;

/// One interview's rows.
#[derive(Debug, Clone, Default)]
pub struct ArchivedRows {
    /// The `interviews` row.
    pub interview: Value,
    /// Its `interview_sessions` row, if any.
    pub session: Option<Value>,
    /// Its `interview_messages` rows, in sequence order.
    pub messages: Vec<Value>,
    /// Its `assessment_results` row, if any.
    pub assessment: Option<Value>,
}

/// A JSON column: text holding JSON (D1) or JSON already (Postgres); `Null` when absent or not
/// JSON.
fn json_column(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => false,
    }
}

fn count(value: Option<&Value>) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    value.and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|x| x.max(0.0) as u64))).unwrap_or(0)
}

fn field(row: &Value, name: &str) -> Value {
    row.get(name).cloned().unwrap_or(Value::Null)
}

/// `value` if it deserializes as `T`, else `T::default()`.
fn typed_or_default<T: serde::de::DeserializeOwned + Default>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_default()
}

/// An `interview_messages` row as the log's message (for its one API view).
fn message(row: &Value) -> Result<StoredMessage, String> {
    let text = |name: &str| row.get(name).and_then(Value::as_str);
    Ok(StoredMessage {
        seq: u32::try_from(count(row.get("sequence_number"))).unwrap_or(u32::MAX),
        id: text("id").unwrap_or_default().to_owned(),
        message_type: serde_json::from_value(field(row, "message_type"))
            .map_err(|e| format!("message_type: {e}"))?,
        content_text: text("content_text").unwrap_or_default().to_owned(),
        audio_url: text("audio_url").map(str::to_owned),
        metadata: Value::Null,
        response_time_ms: None,
        created_ms: text("created_at")
            .and_then(parse_rfc3339_ms)
            .ok_or("created_at: not an RFC 3339 time")?,
    })
}

/// The staff detail of the interview in `rows`.
///
/// # Errors
/// A row whose enumerated columns (difficulty, provider, message type) hold values the product
/// does not know, or a message without a readable time (the schema's CHECKs make that a corrupt
/// row).
pub fn detail(rows: &ArchivedRows) -> Result<Detail, String> {
    let row = &rows.interview;
    let session = rows.session.as_ref();
    let from_session = |name: &str| session.and_then(|s| s.get(name)).filter(|v| !v.is_null());
    let difficulty =
        from_session("current_difficulty").cloned().unwrap_or_else(|| field(row, "current_difficulty"));
    let questions_asked = count(from_session("questions_asked").or_else(|| row.get("questions_asked")));
    let boundaries = json_column(from_session("skill_boundaries").or_else(|| row.get("skill_boundaries")));
    let progression = match json_column(from_session("progression_state")) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let progression_field = |name: &str, empty: Value| progression.get(name).cloned().unwrap_or(empty);
    let session_state = SessionState {
        current_difficulty: serde_json::from_value(difficulty)
            .map_err(|e| format!("current_difficulty: {e}"))?,
        questions_asked: u32::try_from(questions_asked).unwrap_or(u32::MAX),
        skill_boundaries: typed_or_default(boundaries.clone()),
        skills_explored: typed_or_default(progression_field("skills_explored", json!([]))),
    };
    let micros = |name: &str| count(row.get(name));
    let total_micros = micros("total_cost_micros")
        .max(micros("llm_cost_micros") + micros("speech_cost_micros") + micros("realtime_cost_micros"));
    let cost = CostView {
        llm_usd: micros_to_usd(micros("llm_cost_micros")),
        speech_usd: micros_to_usd(micros("speech_cost_micros")),
        realtime_usd: micros_to_usd(micros("realtime_cost_micros")),
        total_usd: micros_to_usd(total_micros),
        tokens_in: count(row.get("tokens_in")),
        tokens_out: count(row.get("tokens_out")),
        audio_in_s: count(row.get("audio_in_ms")) / 1000,
        audio_out_s: count(row.get("audio_out_ms")) / 1000,
    };
    let transcript = rows.messages.iter().map(|m| message(m).map(|m| m.view())).collect::<Result<_, _>>()?;
    let answers =
        rows.messages.iter().filter(|m| m.get("message_type") == Some(&json!("candidate_response"))).count();
    let assessment = rows.assessment.as_ref().map(|a| {
        json!({
            "version": ASSESSMENT_VERSION,
            "overall_score": field(a, "overall_score"),
            "skill_scores": json_column(a.get("skill_scores")),
            "skill_boundary_map": json_column(a.get("skill_boundary_map")),
            "strengths": json_column(a.get("strengths")),
            "weaknesses": json_column(a.get("weaknesses")),
            "integrity_score": field(a, "integrity_score"),
            "integrity_flags": json_column(a.get("integrity_flags")),
            "ai_reasoning": json_column(a.get("ai_reasoning")),
            "recommended_actions": json_column(a.get("recommended_actions")),
            "summary": field(a, "summary"),
            "generator": field(a, "generator"),
            "partial": flag(a.get("partial")),
            "generated_at": field(a, "generated_at"),
            "questions_answered": answers,
        })
    });
    let interview = json!({
        "id": field(row, "id"),
        "candidate_id": field(row, "candidate_id"),
        "resume_id": field(row, "resume_id"),
        "role_type": field(row, "role_type"),
        "status": field(row, "status"),
        "mode": field(row, "mode"),
        "started_at": field(row, "started_at"),
        "completed_at": field(row, "completed_at"),
        "duration_seconds": field(row, "duration_seconds"),
        "completion_reason": field(row, "completion_reason"),
        "current_difficulty": session_state.current_difficulty,
        "questions_asked": session_state.questions_asked,
        "question_number": session_state.questions_asked,
        "total_questions": count(row.get("total_questions")).max(questions_asked),
        "skill_boundaries": boundaries,
        "video_recording_consent": flag(row.get("video_recording_consent")),
        "video_recording_status": field(row, "video_recording_status"),
        "tech_check_metadata": json_column(row.get("tech_check_metadata")),
        "job_id": field(row, "job_id"),
        "job_version": field(row, "job_version"),
        "cost_usd": micros_to_usd(total_micros),
    });
    Ok(Detail {
        interview,
        session_state,
        progression: json!({
            "level_transitions": progression_field("level_transitions", json!([])),
            "skills_pending": progression_field("skills_pending", json!([])),
            "memory_truncations": progression_field("memory_truncations", json!(0)),
            "model_fallbacks": progression_field("model_fallbacks", json!(0)),
        }),
        transcript,
        assessment,
        cost,
        ai_provider: serde_json::from_value(field(row, "ai_provider"))
            .map_err(|e| format!("ai_provider: {e}"))?,
        ai_model: row.get("ai_model").and_then(Value::as_str).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AiProviderKind;

    /// An imported interview as D1 returns it (JSON as text, booleans as 0/1).
    fn d1_rows() -> ArchivedRows {
        ArchivedRows {
            interview: json!({
                "id": "i1", "candidate_id": "c1", "resume_id": null, "role_type": "python", "status": "completed",
                "mode": "text", "started_at": "2025-01-02T10:00:00.000Z", "completed_at": "2025-01-02T10:30:00.000Z",
                "duration_seconds": 1800, "completion_reason": "max_questions", "current_difficulty": "advanced",
                "questions_asked": 2, "total_questions": 0, "skill_boundaries": "[]", "ai_provider": "openai",
                "ai_model": "gpt-4o", "tokens_in": 1200, "tokens_out": 300, "audio_in_ms": 61_000, "audio_out_ms": 0,
                "llm_cost_micros": 25_000, "speech_cost_micros": 5_000, "realtime_cost_micros": 0,
                "total_cost_micros": 30_000, "tech_check_metadata": null, "video_recording_consent": 0,
                "video_recording_status": "not_started", "job_id": null, "job_version": null,
            }),
            session: Some(json!({
                "current_difficulty": "intermediate", "questions_asked": 2, "skill_boundaries": "[]",
                "progression_state": "{\"seed\":{\"level\":3}}",
            })),
            messages: vec![
                json!({"id": "m1", "sequence_number": 1, "message_type": "ai_question", "content_text": "What is a generator?",
                       "audio_url": null, "created_at": "2025-01-02T10:00:01.000Z"}),
                json!({"id": "m2", "sequence_number": 2, "message_type": "candidate_response", "content_text": "A lazy iterator.",
                       "audio_url": null, "created_at": "2025-01-02T10:01:00.000Z"}),
            ],
            assessment: Some(json!({
                "overall_score": 72.5, "skill_scores": "{\"python_core\":72.5}", "skill_boundary_map": "{}",
                "strengths": "[]", "weaknesses": "[]", "integrity_score": 100, "integrity_flags": "[]",
                "ai_reasoning": "{}", "recommended_actions": "[\"Advance\"]", "summary": "", "generator": "openai",
                "partial": 0, "generated_at": "2025-01-02T10:31:00.000Z",
            })),
        }
    }

    #[test]
    fn an_imported_interview_reads_in_the_objects_shape() {
        let d = detail(&d1_rows()).expect("detail");
        assert_eq!(d.interview["id"], "i1");
        assert_eq!(d.interview["status"], "completed");
        // The session row is the newer state: it wins over the interview row's copy.
        assert_eq!(d.interview["current_difficulty"], "intermediate");
        assert_eq!(d.session_state.questions_asked, 2);
        assert_eq!(d.interview["total_questions"], 2, "never fewer than the questions asked");
        assert_eq!(d.interview["video_recording_consent"], false);
        assert_eq!(d.transcript.len(), 2);
        assert_eq!(d.transcript[1]["sequence_number"], 2);
        assert_eq!(d.transcript[1]["content_text"], "A lazy iterator.");
        assert_eq!(d.transcript[1]["created_at"], "2025-01-02T10:01:00.000Z");
        let a = d.assessment.expect("assessment");
        assert_eq!(a["overall_score"], 72.5);
        assert_eq!(a["skill_scores"]["python_core"], 72.5, "JSON text columns are parsed");
        assert_eq!(a["recommended_actions"][0], "Advance");
        assert_eq!(a["partial"], false);
        assert_eq!(a["questions_answered"], 1);
        assert!((d.cost.total_usd - 0.03).abs() < 1e-9);
        assert_eq!(d.cost.audio_in_s, 61);
        assert_eq!(d.ai_provider, AiProviderKind::Openai);
        assert_eq!(d.ai_model.as_deref(), Some("gpt-4o"));
        assert_eq!(d.progression["memory_truncations"], 0);
    }

    #[test]
    fn postgres_shapes_read_the_same() {
        let mut rows = d1_rows();
        rows.interview["video_recording_consent"] = json!(true);
        rows.interview["skill_boundaries"] = json!([]);
        if let Some(a) = rows.assessment.as_mut() {
            a["skill_scores"] = json!({"python_core": 72.5});
            a["partial"] = json!(true);
        }
        if let Some(s) = rows.session.as_mut() {
            s["progression_state"] = json!({"skills_explored": ["python_core"], "memory_truncations": 1});
        }
        let d = detail(&rows).expect("detail");
        assert_eq!(d.interview["video_recording_consent"], true);
        let a = d.assessment.expect("assessment");
        assert_eq!(a["skill_scores"]["python_core"], 72.5);
        assert_eq!(a["partial"], true);
        assert_eq!(d.session_state.skills_explored, vec!["python_core".to_owned()]);
        assert_eq!(d.progression["memory_truncations"], 1);
    }

    #[test]
    fn no_session_row_no_assessment_and_unknown_values() {
        let mut rows = d1_rows();
        rows.session = None;
        rows.assessment = None;
        let d = detail(&rows).expect("detail");
        assert_eq!(d.interview["current_difficulty"], "advanced", "the interview row's copy");
        assert!(d.assessment.is_none());
        rows.interview["ai_provider"] = json!("someone-else");
        assert!(detail(&rows).is_err(), "a value outside the schema's CHECK is refused, not guessed");
    }
}
