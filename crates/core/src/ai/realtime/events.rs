//! The events the socket writes by itself, apart from a turn's GA sequence (`builtin.rs`): the
//! session events every official Realtime client expects (docs/voice.md#session-fields), the
//! product's own `interview.state`, `interview.evaluation`, `interview.completed`, and `error`.
//!
//! Every event carries an `event_id` from [`EventIds`] (the DO seeds it with a random nonce per
//! instance, so ids stay unique across hibernation and restarts). An `error` caused by a client
//! event echoes that event's `event_id` as `error.event_id`, like the real API.
//!
//! The session the client sees is the interview's, redacted: its output modalities, audio format
//! and voice, never instructions or tools. A client's `session.update` changes nothing; it is
//! answered with this same session as `session.updated`.
//!
//! Must not: put evaluations anywhere but `interview.evaluation` (and only when live feedback is
//! on), or upstream error text in an `error` event.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::client_events::ClientFrame;
use super::AUDIO_SAMPLE_RATE;
use crate::domain::engine::EngineLimits;
use crate::domain::enums::{CompletionReason, Difficulty};
use crate::domain::evaluation::Evaluation;
use crate::domain::interviewer::Session;

/// Error codes that are the server's fault (`error.type: "server_error"`); every other code is
/// an `invalid_request_error`.
const SERVER_ERROR_CODES: &[&str] = &["upstream_error", "upstream_unavailable", "internal_error"];

/// Upstream error codes caused by the client's own (allowed) events, passed on with our wording.
const CLIENT_CAUSED_UPSTREAM_CODES: &[(&str, &str)] = &[
    ("input_audio_buffer_commit_empty", "There is not enough audio to commit (at least 100 ms is needed)."),
    ("response_cancel_not_active", "There is no response to cancel."),
    ("conversation_already_has_active_response", "A response is already in progress."),
];

/// How many characters of the nonce go into event ids.
const NONCE_CHARS: usize = 16;

/// Server `event_id`s: `event_{nonce}_{n}`, `n` counting from 1.
#[derive(Debug)]
pub struct EventIds {
    prefix: String,
    next: Cell<u64>,
}

impl EventIds {
    /// Ids under `nonce` (only its first ASCII letters and digits are used).
    #[must_use]
    pub fn new(nonce: &str) -> Self {
        let nonce: String = nonce.chars().filter(char::is_ascii_alphanumeric).take(NONCE_CHARS).collect();
        EventIds { prefix: format!("event_{nonce}_"), next: Cell::new(1) }
    }

    /// The next id.
    #[must_use]
    pub fn next_id(&self) -> String {
        let n = self.next.get();
        self.next.set(n.wrapping_add(1));
        format!("{}{n}", self.prefix)
    }

    /// `fields` (an object) as an event of type `kind` with the next id.
    #[must_use]
    pub fn event(&self, kind: &str, mut fields: Value) -> String {
        if let Value::Object(map) = &mut fields {
            map.insert("type".into(), Value::from(kind));
            map.insert("event_id".into(), Value::from(self.next_id()));
        }
        fields.to_string()
    }
}

/// The session a client is told about: the interview's, without instructions or tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView<'a> {
    /// The upstream model, when a voice provider answers (`None`: the built-in interviewer).
    pub model: Option<&'a str>,
    /// The interviewer's voice, when it speaks (`None`: text only).
    pub voice: Option<&'a str>,
}

impl SessionView<'_> {
    /// The built-in interviewer: text out, no model.
    #[must_use]
    pub const fn text_only() -> SessionView<'static> {
        SessionView { model: None, voice: None }
    }

    fn to_json(self) -> Value {
        let pcm = json!({"type": "audio/pcm", "rate": AUDIO_SAMPLE_RATE});
        let mut session = json!({"type": "realtime"});
        if let Some(model) = self.model {
            session["model"] = json!(model);
        }
        match self.voice {
            Some(voice) => {
                session["output_modalities"] = json!(["audio"]);
                session["audio"] =
                    json!({"input": {"format": pcm}, "output": {"format": pcm, "voice": voice}});
            }
            None => session["output_modalities"] = json!(["text"]),
        }
        session
    }
}

/// `session.created`: the first event on every (re)connect.
#[must_use]
pub fn session_created(ids: &EventIds, view: SessionView<'_>) -> String {
    ids.event("session.created", json!({"session": view.to_json()}))
}

/// `session.updated`: the answer to a client's `session.update`, which changes nothing.
#[must_use]
pub fn session_updated(ids: &EventIds, view: SessionView<'_>) -> String {
    ids.event("session.updated", json!({"session": view.to_json()}))
}

/// The fields of `interview.state`, sent after every turn and on every (re)connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewProgress {
    /// The question being answered (after completion, the last one asked).
    pub question_number: u32,
    pub total_questions: u32,
    pub current_difficulty: Difficulty,
    /// Answers evaluated so far.
    pub questions_asked: u32,
}

impl InterviewProgress {
    #[must_use]
    pub fn from_session(session: &Session, limits: &EngineLimits) -> Self {
        InterviewProgress {
            question_number: session.current.question_number,
            total_questions: session.total_questions(limits),
            current_difficulty: session.state.current_difficulty,
            questions_asked: session.state.questions_asked,
        }
    }
}

/// `{"type":"interview.state", event_id, question_number, total_questions, current_difficulty, questions_asked}`.
#[must_use]
pub fn state_event(ids: &EventIds, progress: &InterviewProgress) -> String {
    ids.event(
        "interview.state",
        json!({
            "question_number": progress.question_number,
            "total_questions": progress.total_questions,
            "current_difficulty": progress.current_difficulty,
            "questions_asked": progress.questions_asked,
        }),
    )
}

/// `{"type":"interview.evaluation", question_number, evaluation}` for the answer to question
/// `question_number` — only when `show_live_feedback` (`SHOW_LIVE_FEEDBACK`, a practice setting);
/// `None` otherwise.
#[must_use]
pub fn evaluation_event(
    ids: &EventIds,
    show_live_feedback: bool,
    question_number: u32,
    evaluation: &Evaluation,
) -> Option<String> {
    show_live_feedback.then(|| {
        ids.event(
            "interview.evaluation",
            json!({"question_number": question_number, "evaluation": evaluation}),
        )
    })
}

/// `{"type":"interview.completed", completion_reason}`; the DO then closes with
/// [`super::CLOSE_COMPLETED`].
#[must_use]
pub fn completed_event(ids: &EventIds, reason: CompletionReason) -> String {
    ids.event("interview.completed", json!({"completion_reason": reason}))
}

/// An `error` event in the GA shape: `{"type":"error","event_id","error":{"type","code",
/// "message","param":null,"event_id"}}`, with `error.type` `server_error` for the server's own
/// failures and `invalid_request_error` for everything the client caused; `cause` is the
/// `event_id` of the client event that caused it, if any.
#[must_use]
pub fn error_event(ids: &EventIds, code: &str, message: &str, cause: Option<&str>) -> String {
    let kind = if SERVER_ERROR_CODES.contains(&code) { "server_error" } else { "invalid_request_error" };
    ids.event(
        "error",
        json!({"error": {"type": kind, "code": code, "message": message, "param": null, "event_id": cause}}),
    )
}

/// The answer to an audio event when no voice provider is configured.
#[must_use]
pub fn voice_unavailable_event(ids: &EventIds, cause: Option<&str>) -> String {
    error_event(
        ids,
        "voice_unavailable",
        "Voice is not available for this interview; answer in text instead.",
        cause,
    )
}

/// The answer to `response.cancel` when no response is active (the built-in interviewer's
/// responses are complete before the client can cancel them), as the real API answers it.
#[must_use]
pub fn nothing_to_cancel_event(ids: &EventIds, cause: Option<&str>) -> String {
    let code = "response_cancel_not_active";
    let message = CLIENT_CAUSED_UPSTREAM_CODES.iter().find(|(c, _)| *c == code).map_or("", |(_, m)| m);
    error_event(ids, code, message, cause)
}

/// The `error` event answering a rejected client frame; `None` for any other frame.
#[must_use]
pub fn rejection_event(ids: &EventIds, frame: &ClientFrame, cause: Option<&str>) -> Option<String> {
    match frame {
        ClientFrame::Rejected { code, message } => Some(error_event(ids, code.as_str(), message, cause)),
        _ => None,
    }
}

/// What the client hears about an upstream `error` (`server_events::UpstreamEvent::Error`): the
/// codes its own events can cause, with our wording; anything else as `upstream_error`. The
/// upstream's message is never passed on.
#[must_use]
pub fn upstream_error_event(ids: &EventIds, code: Option<&str>) -> String {
    match CLIENT_CAUSED_UPSTREAM_CODES.iter().find(|(c, _)| Some(*c) == code) {
        Some((code, message)) => error_event(ids, code, message, None),
        None => error_event(
            ids,
            "upstream_error",
            "The voice service reported an error. You can continue in text, or reconnect.",
            None,
        ),
    }
}

#[cfg(test)]
mod tests;
