//! One interview as its Durable Object stores it (the record beside the interviewer `Session`),
//! and the API views built from it (docs/interviews.md). Pure: the DO loads, calls, saves.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::engine::cost::micros_to_usd;
use super::engine::EngineLimits;
use super::enums::{CompletionReason, InterviewMode, InterviewStatus, MessageType, RoleType, VideoStatus};
use super::interviewer::Session;
use super::rate_limit::TokenBucket;
use super::time::rfc3339_ms;

/// A candidate answer whose AI reply is not written yet (the model failed or is in flight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTurn {
    pub answer_seq: u32,
    pub idempotency_key: Option<String>,
    pub since_ms: i64,
}

/// The interview's own facts (the engine state lives in the `Session`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewRecord {
    pub id: String,
    pub candidate_id: String,
    pub resume_id: Option<String>,
    pub role_type: RoleType,
    pub mode: InterviewMode,
    pub status: InterviewStatus,
    pub started_ms: i64,
    pub completed_ms: Option<i64>,
    pub completion_reason: Option<CompletionReason>,
    pub last_activity_ms: i64,
    /// Bumped on every change; D1 upserts only apply newer versions.
    pub version: u64,
    pub pending: Option<PendingTurn>,
    pub answers_bucket: Option<TokenBucket>,
    /// Fixed at start.
    pub ai_provider: super::enums::AiProviderKind,
    pub ai_model: Option<String>,
    pub tech_check_metadata: Option<Value>,
    pub video_recording_consent: bool,
    pub video_recording_status: VideoStatus,
    /// Calls whose model-proposed question was unusable (bank stood in).
    #[serde(default)]
    pub model_fallbacks: u32,
    /// The organization whose staff may see the interview. `None` on interviews started before
    /// organizations existed: they belong to the configured default organization.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The job (and its version) the interview was started for; `None` for a self-started one.
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub job_version: Option<u32>,
}

/// One message of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub seq: u32,
    pub id: String,
    pub message_type: MessageType,
    pub content_text: String,
    pub audio_url: Option<String>,
    pub metadata: Value,
    pub response_time_ms: Option<i64>,
    pub created_ms: i64,
}

impl StoredMessage {
    /// The API view of a message.
    #[must_use]
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "sequence_number": self.seq,
            "message_type": self.message_type,
            "content_text": self.content_text,
            "created_at": rfc3339_ms(self.created_ms),
            "audio_url": self.audio_url,
        })
    }
}

impl InterviewRecord {
    /// The organization the interview belongs to (`default_org` for interviews that predate
    /// organizations).
    #[must_use]
    pub fn org<'a>(&'a self, default_org: &'a str) -> &'a str {
        self.org_id.as_deref().unwrap_or(default_org)
    }

    /// Seconds from start to completion (or to now while running).
    #[must_use]
    pub fn duration_seconds(&self, now_ms: i64) -> i64 {
        (self.completed_ms.unwrap_or(now_ms) - self.started_ms).max(0) / 1000
    }

    /// `GET /interviews/{id}`.
    #[must_use]
    pub fn view(&self, session: &Session, limits: &EngineLimits, staff: bool, now_ms: i64) -> Value {
        let s = &session.state;
        let mut v = json!({
            "id": self.id,
            "candidate_id": self.candidate_id,
            "resume_id": self.resume_id,
            "role_type": self.role_type,
            "status": self.status,
            "mode": self.mode,
            "started_at": rfc3339_ms(self.started_ms),
            "completed_at": self.completed_ms.map(rfc3339_ms),
            "duration_seconds": self.completed_ms.map(|_| self.duration_seconds(now_ms)),
            "completion_reason": self.completion_reason,
            "current_difficulty": s.current_difficulty,
            "questions_asked": s.questions_asked,
            "question_number": session.current.question_number,
            "total_questions": session.total_questions(limits),
            "skill_boundaries": s.skill_boundaries,
            "video_recording_consent": self.video_recording_consent,
            "video_recording_status": self.video_recording_status,
            "tech_check_metadata": self.tech_check_metadata,
            "job_id": self.job_id,
            "job_version": self.job_version,
        });
        if staff {
            v["cost_usd"] = json!(micros_to_usd(s.cost.total_micros()));
        }
        v
    }

    /// The `session_state` member of a turn answer.
    #[must_use]
    pub fn session_state(session: &Session) -> Value {
        json!({
            "current_difficulty": session.state.current_difficulty,
            "questions_asked": session.state.questions_asked,
            "skill_boundaries": session.state.skill_boundaries,
            "skills_explored": session.state.skills_explored,
        })
    }

    /// `GET /interviews/{id}/status`, the session-recovery call.
    #[must_use]
    pub fn status_view(&self, session: &Session, last_message: Option<&StoredMessage>) -> Value {
        let mut v = json!({
            "status": self.status,
            "questions_asked": session.state.questions_asked,
            "current_difficulty": session.state.current_difficulty,
            "last_activity_at": rfc3339_ms(self.last_activity_ms),
            "pending_ai_response": self.pending.is_some(),
            "last_message": last_message.map(StoredMessage::view),
            "can_resume": self.status == InterviewStatus::InProgress,
            "session_state": Self::session_state(session),
        });
        match self.status {
            InterviewStatus::Completed => v["redirect_to"] = json!(format!("/results/{}", self.id)),
            InterviewStatus::Abandoned => v["can_restart"] = json!(true),
            InterviewStatus::InProgress => {}
        }
        v
    }

    /// The `interviews` row for D1 (an idempotent, versioned upsert).
    #[must_use]
    pub fn projection(&self, session: &Session, limits: &EngineLimits, now_ms: i64) -> Value {
        let mut row = self.projection_row(session, limits, now_ms);
        row["job_id"] = json!(self.job_id);
        row["job_version"] = json!(self.job_version);
        row
    }

    fn projection_row(&self, session: &Session, limits: &EngineLimits, now_ms: i64) -> Value {
        let s = &session.state;
        json!({
            "id": self.id,
            "candidate_id": self.candidate_id,
            "org_id": self.org_id,
            "resume_id": self.resume_id,
            "role_type": self.role_type,
            "mode": self.mode,
            "status": self.status,
            "started_at": rfc3339_ms(self.started_ms),
            "completed_at": self.completed_ms.map(rfc3339_ms),
            "duration_seconds": self.completed_ms.map(|_| self.duration_seconds(now_ms)),
            "completion_reason": self.completion_reason,
            "current_difficulty": s.current_difficulty,
            "questions_asked": s.questions_asked,
            "total_questions": session.total_questions(limits),
            "skill_boundaries": serde_json::to_string(&s.skill_boundaries).unwrap_or_else(|_| "[]".into()),
            "ai_provider": self.ai_provider,
            "ai_model": self.ai_model,
            "tokens_in": s.cost.tokens_in,
            "tokens_out": s.cost.tokens_out,
            "audio_in_ms": s.cost.audio_in_ms,
            "audio_out_ms": s.cost.audio_out_ms,
            "tts_chars": s.cost.tts_chars,
            "llm_cost_micros": s.cost.llm_micros,
            "speech_cost_micros": s.cost.speech_micros,
            "realtime_cost_micros": s.cost.realtime_micros,
            "total_cost_micros": s.cost.total_micros(),
            "tech_check_metadata": self.tech_check_metadata.as_ref().map(Value::to_string),
            "video_recording_consent": self.video_recording_consent,
            "video_recording_status": self.video_recording_status,
            "state_version": self.version,
            "last_activity_at": rfc3339_ms(self.last_activity_ms),
            "created_at": rfc3339_ms(self.started_ms),
            "updated_at": rfc3339_ms(now_ms),
            "progression_state": json!({
                "warmup_answered": s.warmup_answered,
                "skills_explored": s.skills_explored,
                "skills_pending": s.skills_pending,
                "level_transitions": s.level_transitions,
                "memory_truncations": s.memory_truncations,
                "model_fallbacks": self.model_fallbacks,
            }).to_string(),
        })
    }
}

/// A stable fingerprint of an answer's body, to tell an idempotent retry from a different
/// request reusing its key (FNV-1a 64, hex).
#[must_use]
pub fn body_fingerprint(message_text: &str, client_metadata: &Value) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in message_text.bytes().chain([0u8]).chain(client_metadata.to_string().bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: InterviewStatus) -> InterviewRecord {
        InterviewRecord {
            id: "i1".into(),
            candidate_id: "u1".into(),
            resume_id: None,
            role_type: RoleType::React,
            mode: InterviewMode::Text,
            status,
            started_ms: 1_000,
            completed_ms: (status != InterviewStatus::InProgress).then_some(61_000),
            completion_reason: None,
            last_activity_ms: 2_000,
            version: 3,
            pending: None,
            answers_bucket: None,
            ai_provider: crate::domain::enums::AiProviderKind::Builtin,
            ai_model: None,
            tech_check_metadata: None,
            video_recording_consent: false,
            video_recording_status: VideoStatus::NotStarted,
            model_fallbacks: 0,
            org_id: None,
            job_id: None,
            job_version: None,
        }
    }

    #[test]
    fn status_view_guides_recovery() {
        let session = Session::start("i1", RoleType::React, None);
        let v = record(InterviewStatus::Completed).status_view(&session, None);
        assert_eq!(v["redirect_to"], "/results/i1");
        assert_eq!(v["can_resume"], false);
        let v = record(InterviewStatus::Abandoned).status_view(&session, None);
        assert_eq!(v["can_restart"], true);
        let v = record(InterviewStatus::InProgress).status_view(&session, None);
        assert_eq!(v["can_resume"], true);
        assert!(v.get("redirect_to").is_none());
    }

    #[test]
    fn cost_is_shown_to_staff_only() {
        let session = Session::start("i1", RoleType::React, None);
        let limits = EngineLimits::default();
        let r = record(InterviewStatus::Completed);
        assert!(r.view(&session, &limits, false, 0).get("cost_usd").is_none());
        assert!(r.view(&session, &limits, true, 0)["cost_usd"].is_number());
        assert_eq!(r.view(&session, &limits, false, 0)["duration_seconds"], 60);
    }

    #[test]
    fn the_view_names_the_resume_it_was_started_with() {
        let session = Session::start("i1", RoleType::React, None);
        let limits = EngineLimits::default();
        let mut r = record(InterviewStatus::InProgress);
        assert!(r.view(&session, &limits, false, 0)["resume_id"].is_null());
        r.resume_id = Some("r1".into());
        assert_eq!(r.view(&session, &limits, true, 0)["resume_id"], "r1");
    }

    #[test]
    fn fingerprints_tell_bodies_apart() {
        let a = body_fingerprint("hello", &Value::Null);
        assert_eq!(a, body_fingerprint("hello", &Value::Null));
        assert_ne!(a, body_fingerprint("hello!", &Value::Null));
        assert_ne!(a, body_fingerprint("hello", &json!({"pasted": true})));
    }
}
