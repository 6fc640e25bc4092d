//! The candidate's answers as the assessment sees them: each candidate message of the log joined
//! with the engine's record of it (skill area, level, composite) and its evaluation, plus the
//! timing and client metadata the integrity checks read. Pure; reads nothing but its inputs.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::domain::engine::state::{AnswerRecord, InterviewState};
use crate::domain::enums::MessageType;
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::StoredMessage;

/// The engine's record of an answer and the skill area it was attributed to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored<'a> {
    pub skill_area: &'a str,
    pub record: &'a AnswerRecord,
}

/// One candidate message with everything known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<'a> {
    /// Sequence number of the candidate's message.
    pub seq: u32,
    pub text: &'a str,
    /// Characters of the trimmed text.
    pub chars: usize,
    /// Milliseconds from the previous message (the question) to this answer.
    pub response_time_ms: Option<i64>,
    /// `client_metadata.pasted` as the client reported it.
    pub pasted: Option<bool>,
    /// `client_metadata.typing_ms`: how long the client saw the candidate typing.
    pub typing_ms: Option<i64>,
    /// A spoken answer (it has audio, or its metadata says `"mode": "voice"`): typing-speed
    /// checks do not apply to it.
    pub voice: bool,
    /// Sequence number of the interviewer message just before it (the question it answers).
    pub question_seq: Option<u32>,
    /// That message's text (the question, with any acknowledgement before it).
    pub question_text: Option<&'a str>,
    /// The engine's record, when the answer was evaluated and applied.
    pub scored: Option<Scored<'a>>,
    pub evaluation: Option<&'a Evaluation>,
}

/// Every candidate message of `messages`, in sequence order, joined with the engine's records
/// (`state.skill_history`) and the stored evaluations (keyed by answer sequence number).
#[must_use]
pub fn collect<'a>(
    messages: &'a [StoredMessage],
    state: &'a InterviewState,
    evaluations: &'a [(u32, Evaluation)],
) -> Vec<Answer<'a>> {
    let mut ordered: Vec<&StoredMessage> = messages.iter().collect();
    ordered.sort_by_key(|m| m.seq);
    let mut out = Vec::new();
    let mut last_question: Option<u32> = None;
    let mut last_question_text: Option<&'a str> = None;
    for message in ordered {
        match message.message_type {
            MessageType::AiQuestion => {
                last_question = Some(message.seq);
                last_question_text = Some(message.content_text.as_str());
            }
            MessageType::CandidateResponse => {
                let client = message.metadata.get("client_metadata");
                let text = message.content_text.as_str();
                out.push(Answer {
                    seq: message.seq,
                    text,
                    chars: text.trim().chars().count(),
                    response_time_ms: message.response_time_ms,
                    pasted: client.and_then(|c| c.get("pasted")).and_then(Value::as_bool),
                    typing_ms: client.and_then(|c| c.get("typing_ms")).and_then(Value::as_i64),
                    voice: message.audio_url.is_some()
                        || message.metadata.get("mode").and_then(Value::as_str) == Some("voice"),
                    question_seq: last_question,
                    question_text: last_question_text,
                    scored: scored(state, message.seq),
                    evaluation: evaluations.iter().find(|(seq, _)| *seq == message.seq).map(|(_, e)| e),
                });
            }
        }
    }
    out
}

fn scored(state: &InterviewState, seq: u32) -> Option<Scored<'_>> {
    state.skill_history.iter().find_map(|(area, records)| {
        records.iter().find(|r| r.answer_seq == seq).map(|record| Scored { skill_area: area, record })
    })
}

/// Sequence numbers of the candidate's messages: the only numbers an assessment may cite.
#[must_use]
pub fn answer_seqs(messages: &[StoredMessage]) -> BTreeSet<u32> {
    messages.iter().filter(|m| m.message_type == MessageType::CandidateResponse).map(|m| m.seq).collect()
}
