//! The typed answers of the interview operations. Each serialises to exactly the JSON the REST
//! API documents (`docs/openapi.json`), once, in the Durable Object; the Worker passes the bytes
//! through, and Rust callers (the socket code, legacy voice) read them back as these types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::engine::SkillBoundary;
use crate::domain::enums::{
    CompletionReason, Difficulty, InterviewMode, InterviewStatus, RoleType, VideoStatus,
};
use crate::domain::evaluation::Evaluation;
use crate::domain::interviewer::Session;

/// The `session_state` member of a turn's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub current_difficulty: Difficulty,
    pub questions_asked: u32,
    pub skill_boundaries: Vec<SkillBoundary>,
    pub skills_explored: Vec<String>,
}

impl SessionState {
    #[must_use]
    pub fn of(session: &Session) -> Self {
        SessionState {
            current_difficulty: session.state.current_difficulty,
            questions_asked: session.state.questions_asked,
            skill_boundaries: session.state.skill_boundaries.clone(),
            skills_explored: session.state.skills_explored.clone(),
        }
    }
}

/// The answer to a turn (`POST …/messages`, `…/messages/retry`), stored so replays return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnReply {
    pub message_id: String,
    pub ai_message_id: String,
    pub ai_response: String,
    pub question_number: u32,
    pub total_questions: u32,
    pub interview_complete: bool,
    pub session_state: SessionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_reason: Option<CompletionReason>,
    /// Only with `SHOW_LIVE_FEEDBACK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Evaluation>,
}

/// The first question of a started interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstQuestion {
    pub message_id: String,
    pub text: String,
    pub skill_area: String,
    pub difficulty: Difficulty,
}

/// `POST /interviews/start` (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub id: String,
    pub candidate_id: String,
    pub role_type: RoleType,
    pub status: InterviewStatus,
    pub mode: InterviewMode,
    pub started_at: String,
    pub current_difficulty: Difficulty,
    pub question_number: u32,
    pub total_questions: u32,
    pub first_question: FirstQuestion,
    pub realtime_url: String,
}

/// `GET …/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesPage {
    pub interview_id: String,
    pub total_count: u64,
    pub messages: Vec<Value>,
}

/// `GET …/messages/latest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestQuestion {
    pub message_id: String,
    pub sequence_number: u32,
    pub text: String,
    pub audio_url: Option<String>,
}

/// `GET …/transcript`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub interview_id: String,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub duration_seconds: i64,
    pub messages: Vec<Value>,
}

/// `GET …/assessment`: the view for the caller's role (200), or still pending/generating (202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AssessmentReply {
    Ready(Value),
    NotYet { status: AssessmentProgress },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentProgress {
    Pending,
    Generating,
}

/// The cost block of the staff detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    pub llm_usd: f64,
    pub speech_usd: f64,
    pub realtime_usd: f64,
    pub total_usd: f64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub audio_in_s: u64,
    pub audio_out_s: u64,
}

/// `GET /recruiter/interviews/{id}` (staff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    pub interview: Value,
    pub session_state: SessionState,
    pub progression: Value,
    pub transcript: Vec<Value>,
    pub assessment: Option<Value>,
    pub cost: CostView,
    pub ai_provider: crate::config::AiProviderKind,
    pub ai_model: Option<String>,
}

/// `POST …/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completed {
    pub interview_id: String,
    pub completed_at: Option<String>,
    pub duration_seconds: i64,
    pub questions_answered: u32,
    pub skill_boundaries_identified: usize,
    pub completion_reason: Option<CompletionReason>,
    pub message: String,
}

/// `POST …/tech-check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechChecked {
    pub interview_id: String,
    pub tech_check_metadata: Value,
}

/// `POST …/video-consent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentSet {
    pub interview_id: String,
    pub video_recording_consent: bool,
    pub video_recording_status: VideoStatus,
}

/// An acknowledgement with nothing else to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub ok: bool,
}
