//! The D1 projection of an interview DO's outbox rows, as plain SQL with JSON-valued parameters:
//! idempotent upserts (an outbox row applied twice changes nothing) that are versioned (an older
//! interview snapshot never overwrites a newer one). Pure and compiled on every target, so
//! `tests/projection.rs` replays it against the real schema in SQLite; `store::interviews`
//! (wasm32) binds it to D1. The payloads come from the core (`InterviewRecord::projection`,
//! `VideoRecording::projection`, `domain::projection::assessment_row`).

use serde_json::Value;

use crate::domain::media::recording::stream_url;

/// One statement: SQL with `?N` placeholders and its parameters in order.
pub type Statement = (String, Vec<Value>);

const INTERVIEW_COLUMNS: &[&str] = &[
    "id",
    "candidate_id",
    "org_id",
    "job_id",
    "job_version",
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

const ASSESSMENT_COLUMNS: &[&str] = &[
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

const VIDEO_COLUMNS: &[&str] = &[
    "id",
    "interview_id",
    "candidate_id",
    "storage_path",
    "content_type",
    "upload_id",
    "total_chunks",
    "chunk_count",
    "file_size_bytes",
    "duration_seconds",
    "status",
    "uploaded_at",
    "last_chunk_at",
    "deleted_at",
    "created_at",
    "updated_at",
];

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

fn updates(columns: &[&str], keep: &[&str]) -> String {
    columns
        .iter()
        .filter(|c| !keep.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn values(columns: &[&str], p: &Value) -> Vec<Value> {
    columns.iter().map(|c| normalise(&p[*c])).collect()
}

/// Booleans become 0/1 (SQLite has no boolean), nested JSON becomes its text.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::from(u8::from(*b)),
        Value::Array(_) | Value::Object(_) => Value::from(v.to_string()),
        other => other.clone(),
    }
}

/// Video rows are guarded by `updated_at` (the DO's clock): two flushes racing to D1 cannot
/// leave an older state behind.
///
/// The statements for one outbox row of `kind` (`interview`, `message`, `assessment`, `video`).
#[must_use]
pub fn statements(kind: &str, p: &Value) -> Vec<Statement> {
    match kind {
        "interview" => vec![
            (
                format!(
                    "INSERT INTO interviews ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {} \
                     WHERE excluded.state_version > interviews.state_version",
                    INTERVIEW_COLUMNS.join(", "),
                    placeholders(INTERVIEW_COLUMNS.len()),
                    updates(INTERVIEW_COLUMNS, &["id", "created_at"])
                ),
                values(INTERVIEW_COLUMNS, p),
            ),
            (
                "INSERT INTO interview_sessions (interview_id, current_difficulty, questions_asked, skill_boundaries, \
                 progression_state, state_version, last_activity_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (interview_id) DO UPDATE SET current_difficulty = excluded.current_difficulty, \
                 questions_asked = excluded.questions_asked, skill_boundaries = excluded.skill_boundaries, \
                 progression_state = excluded.progression_state, state_version = excluded.state_version, \
                 last_activity_at = excluded.last_activity_at, updated_at = excluded.updated_at \
                 WHERE excluded.state_version > interview_sessions.state_version"
                    .to_owned(),
                values(
                    &[
                        "id", "current_difficulty", "questions_asked", "skill_boundaries", "progression_state",
                        "state_version", "last_activity_at", "updated_at",
                    ],
                    p,
                ),
            ),
        ]
        .into_iter()
        // The completion webhook's insert does nothing before the interview completes.
        .chain((p["status"] == "completed").then(|| interview_completed(p)))
        .collect(),
        "message" => vec![messages(&[p])],
        "message_audio" => vec![(
            "UPDATE interview_messages SET audio_url = ?2 WHERE id = ?1".to_owned(),
            values(&["id", "audio_url"], p),
        )],
        "assessment" => vec![
            (
                format!(
                    "INSERT INTO assessment_results ({}) VALUES ({}) ON CONFLICT (interview_id) DO UPDATE SET {}",
                    ASSESSMENT_COLUMNS.join(", "),
                    placeholders(ASSESSMENT_COLUMNS.len()),
                    updates(ASSESSMENT_COLUMNS, &["id", "interview_id"])
                ),
                values(ASSESSMENT_COLUMNS, p),
            ),
            (
                "UPDATE interviews SET overall_score = ?2 WHERE id = ?1".to_owned(),
                values(&["interview_id", "overall_score"], p),
            ),
            assessment_ready(p),
        ],
        "video" => vec![
            (
                format!(
                    "INSERT INTO video_recordings ({}) VALUES ({}) ON CONFLICT (interview_id) DO UPDATE SET {} \
                     WHERE excluded.updated_at >= video_recordings.updated_at",
                    VIDEO_COLUMNS.join(", "),
                    placeholders(VIDEO_COLUMNS.len()),
                    updates(VIDEO_COLUMNS, &["id", "interview_id", "candidate_id", "created_at"])
                ),
                values(VIDEO_COLUMNS, p),
            ),
            // The status comes with the (versioned) interview row; the URL follows the video row
            // as it stands after the guarded upsert above, so a stale replay cannot bring it back.
            (
                "UPDATE interviews SET video_recording_url = CASE WHEN (SELECT status FROM video_recordings \
                 WHERE interview_id = ?1) = 'completed' THEN ?2 END WHERE id = ?1"
                    .to_owned(),
                vec![p["interview_id"].clone(), Value::from(stream_url(
                    p["interview_id"].as_str().unwrap_or_default(),
                ))],
            ),
        ],
        _ => Vec::new(),
    }
}

/// The statement queueing one webhook event for every active endpoint of an organization
/// subscribed to its type (docs/hiring.md#webhooks), in the batch of the change that caused it.
/// `event_id` is the event id's SQL (`<type>:<subject id>`; `?1` when bound), `?2` the type,
/// `?3` its time; `data` and `org` are SQL expressions over the other parameters (`from` may join more tables, as `w`
/// is the endpoint); `guard` a condition. The unique (endpoint, event id) makes a replay a
/// no-op.
#[must_use]
pub fn webhook_enqueue_sql(event_id: &str, data: &str, org: &str, from: &str, guard: &str) -> String {
    format!(
        "INSERT INTO webhook_deliveries (id, webhook_id, org_id, event_id, event_type, data, status, attempts, \
         next_attempt_at, created_at, updated_at) SELECT lower(hex(randomblob(16))), w.id, w.org_id, {event_id}, ?2, \
         {data}, 'pending', 0, ?3, ?3, ?3 FROM webhooks w{from} WHERE w.org_id = {org} AND w.active AND {guard} \
         AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?2) ON CONFLICT (webhook_id, event_id) DO NOTHING"
    )
}

const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "interview_id",
    "sequence_number",
    "message_type",
    "content_text",
    "audio_url",
    "metadata",
    "response_time_ms",
    "created_at",
];

/// Rows per multi-row message insert: D1 binds at most 100 parameters per statement.
const MESSAGES_PER_STATEMENT: usize = 100 / MESSAGE_COLUMNS.len();

/// One insert of message rows (each once: a replayed row changes nothing).
fn messages(rows: &[&Value]) -> Statement {
    let n = MESSAGE_COLUMNS.len();
    let tuples = (0..rows.len())
        .map(|r| format!("({})", (1..=n).map(|i| format!("?{}", r * n + i)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!(
            "INSERT INTO interview_messages ({}) VALUES {tuples} ON CONFLICT DO NOTHING",
            MESSAGE_COLUMNS.join(", ")
        ),
        rows.iter().flat_map(|p| values(MESSAGE_COLUMNS, p)).collect(),
    )
}

/// The statements for a batch of outbox rows `(kind, payload)` in their order, without what one
/// batch makes redundant: an interview's older snapshots (each `save` queues one, so a turn
/// queues two) are left out and its newest is written where its first stood, so the rows that
/// depend on it still follow it; message rows wait, past interview rows, until another kind of
/// row (which may depend on them) or the end, and go in one multi-row insert. Applying it leaves
/// the same rows as applying each row's [`statements`] in turn, with fewer statements (a
/// built-in turn: three instead of eight).
#[must_use]
pub fn batch<'a>(rows: &[(&'a str, &'a Value)]) -> Vec<Statement> {
    let mut newest: Vec<(&str, &Value)> = Vec::new();
    for (kind, p) in rows {
        if *kind != "interview" {
            continue;
        }
        let id = p["id"].as_str().unwrap_or_default();
        let version = |v: &Value| v["state_version"].as_u64().unwrap_or(0);
        match newest.iter_mut().find(|(i, _)| *i == id) {
            Some(slot) if version(p) >= version(slot.1) => slot.1 = p,
            Some(_) => {}
            None => newest.push((id, p)),
        }
    }
    let mut out = Vec::new();
    let mut pending: Vec<&Value> = Vec::new();
    let mut written: Vec<&str> = Vec::new();
    for (kind, p) in rows {
        if *kind == "message" {
            pending.push(p);
            if pending.len() == MESSAGES_PER_STATEMENT {
                out.push(messages(&pending));
                pending.clear();
            }
            continue;
        }
        if *kind == "interview" {
            // Messages may wait past an interview row (they depend on it, never it on them).
            let id = p["id"].as_str().unwrap_or_default();
            if !written.contains(&id) {
                written.push(id);
                let snapshot = newest.iter().find(|(i, _)| *i == id).map_or(*p, |(_, v)| *v);
                out.extend(statements(kind, snapshot));
            }
            continue;
        }
        // Any other row may depend on the messages before it (a recording's audio URL does).
        if !pending.is_empty() {
            out.push(messages(&pending));
            pending.clear();
        }
        out.extend(statements(kind, p));
    }
    if !pending.is_empty() {
        out.push(messages(&pending));
    }
    out
}

/// `interview.completed` for an org interview's row once its status is `completed`.
fn interview_completed(p: &Value) -> Statement {
    let id = p["id"].as_str().unwrap_or_default();
    (
        webhook_enqueue_sql(
            "?1",
            "json_object('interview_id', CAST(?4 AS TEXT), 'job_id', CAST(?5 AS TEXT), 'candidate_id', \
             CAST(?6 AS TEXT), 'invitation_id', (SELECT id FROM invitations WHERE interview_id = ?11), \
             'completion_reason', CAST(?7 AS TEXT), 'completed_at', CAST(?10 AS TEXT))",
            "?8",
            "",
            "?9 = 'completed'",
        ),
        vec![
            Value::from(format!("interview.completed:{id}")),
            Value::from("interview.completed"),
            p["completed_at"].clone(),
            p["id"].clone(),
            p["job_id"].clone(),
            p["candidate_id"].clone(),
            p["completion_reason"].clone(),
            p["org_id"].clone(),
            p["status"].clone(),
            // Postgres types each parameter once: ?10 is ?3 as text, ?11 is ?4 as an id.
            p["completed_at"].clone(),
            p["id"].clone(),
        ],
    )
}

/// `assessment.ready` for an org interview's (first) assessment.
fn assessment_ready(p: &Value) -> Statement {
    let id = p["interview_id"].as_str().unwrap_or_default();
    (
        webhook_enqueue_sql(
            "?1",
            "json_object('interview_id', ?4, 'job_id', i.job_id, 'candidate_id', i.candidate_id, \
             'overall_score', CAST(?5 AS NUMERIC), 'partial', json(CASE WHEN ?6 = 1 THEN 'true' ELSE 'false' END))",
            "i.org_id",
            " JOIN interviews i ON i.id = ?4",
            "TRUE",
        ),
        vec![
            Value::from(format!("assessment.ready:{id}")),
            Value::from("assessment.ready"),
            p["generated_at"].clone(),
            p["interview_id"].clone(),
            p["overall_score"].clone(),
            Value::from(u8::from(p["partial"].as_bool().unwrap_or(false))),
        ],
    )
}
