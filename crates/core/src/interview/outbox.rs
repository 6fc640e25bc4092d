//! The rows an interview queues for the relational projection (D1 or Postgres). Each entry is
//! an idempotent, versioned upsert once the store binds it; the Durable Object keeps the truth
//! and retries until the projection lands.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::enums::MessageType;
use crate::domain::interview::StoredMessage;
use crate::domain::time::rfc3339_ms;

/// A message row of the projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: String,
    pub interview_id: String,
    pub sequence_number: u32,
    pub message_type: MessageType,
    pub content_text: String,
    pub audio_url: Option<String>,
    /// The metadata as JSON text (the column is TEXT).
    pub metadata: String,
    pub response_time_ms: Option<i64>,
    pub created_at: String,
}

impl MessageRow {
    #[must_use]
    pub fn of(interview_id: &str, m: &StoredMessage) -> Self {
        MessageRow {
            id: m.id.clone(),
            interview_id: interview_id.to_owned(),
            sequence_number: m.seq,
            message_type: m.message_type,
            content_text: m.content_text.clone(),
            audio_url: m.audio_url.clone(),
            metadata: m.metadata.to_string(),
            response_time_ms: m.response_time_ms,
            created_at: rfc3339_ms(m.created_ms),
        }
    }
}

/// A message's recording, added after the fact (legacy voice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAudio {
    pub id: String,
    pub audio_url: String,
}

/// One queued projection row.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEntry {
    /// The `interviews` row (`InterviewRecord::projection`).
    Interview(Value),
    Message(MessageRow),
    MessageAudio(MessageAudio),
    /// The `assessments` row (`domain::projection::assessment_row`).
    Assessment(Value),
    /// The `video_recordings` row.
    Video(Value),
}

impl OutboxEntry {
    /// The kind stored beside the payload (the projection's statement selector).
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            OutboxEntry::Interview(_) => "interview",
            OutboxEntry::Message(_) => "message",
            OutboxEntry::MessageAudio(_) => "message_audio",
            OutboxEntry::Assessment(_) => "assessment",
            OutboxEntry::Video(_) => "video",
        }
    }

    /// The payload as the projection reads it.
    #[must_use]
    pub fn payload(&self) -> Value {
        match self {
            OutboxEntry::Interview(v) | OutboxEntry::Assessment(v) | OutboxEntry::Video(v) => v.clone(),
            OutboxEntry::Message(m) => serde_json::to_value(m).unwrap_or(Value::Null),
            OutboxEntry::MessageAudio(a) => serde_json::to_value(a).unwrap_or(Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_row_carries_the_projection_columns() {
        let m = StoredMessage {
            seq: 3,
            id: "m3".into(),
            message_type: MessageType::CandidateResponse,
            content_text: "an answer".into(),
            audio_url: None,
            metadata: serde_json::json!({ "question_number": 2 }),
            response_time_ms: Some(1200),
            created_ms: 0,
        };
        let entry = OutboxEntry::Message(MessageRow::of("i1", &m));
        assert_eq!(entry.kind(), "message");
        let p = entry.payload();
        assert_eq!(p["interview_id"], "i1");
        assert_eq!(p["sequence_number"], 3);
        assert_eq!(p["message_type"], "candidate_response");
        assert_eq!(p["metadata"], "{\"question_number\":2}");
        assert_eq!(p["created_at"], "1970-01-01T00:00:00.000Z");
    }
}
