//! The allow-list for browser → server frames (docs/voice.md#the-socket): what a candidate's client may send
//! on the realtime socket, and the exact JSON the DO forwards upstream for it.
//!
//! Allowed: `ping`, `input_audio_buffer.append` / `.commit` / `.clear`, `response.cancel`,
//! `conversation.item.create` of a `message` item with role `user` whose content parts are all
//! `input_text` (a typed answer), `conversation.item.retrieve` (answered from the log) and
//! `conversation.item.truncate` (forwarded under the upstream's item id), and — because every official client sends them — a
//! `session.update` and a `response.create` that steer nothing: the DO applies and forwards
//! neither (the session is the interview's; it answers every answer by itself). Everything else
//! is [`ClientFrame::Rejected`] with `event_not_allowed` — above all a `session.update` carrying
//! [`STEERING_SESSION_FIELDS`], a `response.create` carrying [`STEERING_RESPONSE_FIELDS`],
//! `system`/`assistant` items and a client's own `function_call_output` — and is never forwarded.
//!
//! [`classify`] also reads the client's `event_id` (a string of at most [`MAX_EVENT_ID_CHARS`]),
//! which an `error` caused by that event echoes as `error.event_id`.
//!
//! [`forwardable`] re-serializes an allowed frame from the fields parsed here and nothing else,
//! never the client's text: an `instructions`, `event_id`, `previous_item_id` or any other extra
//! field a client adds is dropped, so it cannot reach the model.
//!
//! Must not: forward anything it did not parse, or echo large client input in its messages.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::base64_decoded_len;

/// Longest typed answer, in characters after trimming (the REST limit, docs/interviews.md#a-turn).
pub const MAX_USER_TEXT_CHARS: usize = 2_000;

/// How much of a client's event type a rejection message quotes.
const MAX_QUOTED_TYPE_CHARS: usize = 64;

/// The longest client `event_id` echoed back (the GA limit).
pub const MAX_EVENT_ID_CHARS: usize = 512;

/// `session.update` fields that would steer the interviewer: a `session.update` carrying any of
/// them with a value (a non-empty string or array, or any object) is refused. Every other field
/// is accepted and ignored (docs/voice.md#session-fields).
pub const STEERING_SESSION_FIELDS: &[&str] = &["instructions", "tools", "prompt"];

/// `response.create` (`response.*`) fields that would steer the interviewer's reply: refused
/// when present with a value; a bare `response.create` (or one with other fields only) means
/// "respond now", which the socket always does by itself.
pub const STEERING_RESPONSE_FIELDS: &[&str] = &["instructions", "tools", "prompt", "input"];

/// Why a frame was refused; the `code` of the `error` event the DO answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectCode {
    /// A well-formed event the socket does not allow (docs/voice.md#the-socket).
    EventNotAllowed,
    /// Not JSON.
    InvalidJson,
    /// Longer than the frame limit.
    FrameTooLarge,
    /// JSON, but not a usable event of an allowed type (no `type`, a missing or mistyped field,
    /// an empty or too long answer, audio that is not base64).
    InvalidEvent,
}

impl RejectCode {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectCode::EventNotAllowed => "event_not_allowed",
            RejectCode::InvalidJson => "invalid_json",
            RejectCode::FrameTooLarge => "frame_too_large",
            RejectCode::InvalidEvent => "invalid_event",
        }
    }
}

impl std::fmt::Display for RejectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One browser frame, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// `{"type":"ping"}`: answer [`super::PONG_FRAME`], forward nothing.
    Ping,
    /// `input_audio_buffer.append` with valid, non-empty base64 audio.
    AudioAppend {
        /// The base64 audio (PCM16 mono 24 kHz), checked to hold only base64 characters.
        audio: String,
        /// Its length in characters.
        audio_b64_len: usize,
        /// The bytes it decodes to, for accounting (`cost::pcm16_24khz_ms`).
        pcm_bytes: u64,
    },
    /// `input_audio_buffer.commit`.
    AudioCommit,
    /// `input_audio_buffer.clear`.
    AudioClear,
    /// `response.cancel` (any `response_id` is dropped: it cancels the active response).
    ResponseCancel,
    /// A `session.update` without [`STEERING_SESSION_FIELDS`]: nothing in it is applied or
    /// forwarded; the DO answers with the interview's own `session.updated`.
    SessionUpdate,
    /// A `response.create` without [`STEERING_RESPONSE_FIELDS`]: "respond now". The socket
    /// answers every answer by itself, so it is acknowledged by doing nothing (never forwarded).
    ResponseCreate,
    /// `conversation.item.retrieve`: answered from the interview's log (`items::retrieve_answer`),
    /// never forwarded.
    ItemRetrieve { item_id: String },
    /// `conversation.item.truncate` (a client cuts the interviewer's audio it never played, as the
    /// agents SDK does on barge-in): forwarded with the upstream's id for `item_id`
    /// (`items::ItemIds::upstream_id`).
    ItemTruncate { item_id: String, content_index: u64, audio_end_ms: u64 },
    /// A typed answer: the `input_text` parts joined with newlines, trimmed, 1 to
    /// [`MAX_USER_TEXT_CHARS`] characters. Forwarded upstream it does not start a response by
    /// itself: with a key the DO follows it with `session::response_create()`.
    UserText { text: String },
    /// Refused; answer `events::error_event(…, code.as_str(), &message, event_id)` and forward nothing.
    Rejected { code: RejectCode, message: String },
}

impl ClientFrame {
    /// An audio event: without a voice provider it answers `voice_unavailable`.
    #[must_use]
    pub fn is_audio(&self) -> bool {
        matches!(self, ClientFrame::AudioAppend { .. } | ClientFrame::AudioCommit | ClientFrame::AudioClear)
    }

    fn rejected(code: RejectCode, message: impl Into<String>) -> ClientFrame {
        ClientFrame::Rejected { code, message: message.into() }
    }
}

/// One classified frame and the client's `event_id`, if it sent a usable one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub frame: ClientFrame,
    pub event_id: Option<String>,
}

/// Classifies one text frame from the browser. `max_bytes` is the frame limit (normally
/// [`super::MAX_FRAME_BYTES`]).
#[must_use]
pub fn classify_client_frame(text: &str, max_bytes: usize) -> ClientFrame {
    classify(text, max_bytes).frame
}

/// [`classify_client_frame`], with the client's `event_id`.
#[must_use]
pub fn classify(text: &str, max_bytes: usize) -> Classified {
    let bare = |frame| Classified { frame, event_id: None };
    if text.len() > max_bytes {
        return bare(ClientFrame::rejected(
            RejectCode::FrameTooLarge,
            format!("Frames are limited to {max_bytes} bytes."),
        ));
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return bare(ClientFrame::rejected(RejectCode::InvalidJson, "The frame is not valid JSON."));
    };
    let Value::Object(mut event) = value else {
        return bare(ClientFrame::rejected(RejectCode::InvalidEvent, "An event must be a JSON object."));
    };
    let event_id = match event.remove("event_id") {
        Some(Value::String(id)) if id.chars().count() <= MAX_EVENT_ID_CHARS => Some(id),
        _ => None,
    };
    let kind = match event.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => {
            let frame = ClientFrame::rejected(RejectCode::InvalidEvent, "An event needs a string `type`.");
            return Classified { frame, event_id };
        }
    };
    let frame = match kind.as_str() {
        "ping" => ClientFrame::Ping,
        "input_audio_buffer.append" => audio_append(event.remove("audio")),
        "input_audio_buffer.commit" => ClientFrame::AudioCommit,
        "input_audio_buffer.clear" => ClientFrame::AudioClear,
        "response.cancel" => ClientFrame::ResponseCancel,
        "conversation.item.create" => user_text(&event),
        "conversation.item.retrieve" => match item_ref(&event) {
            Ok(item_id) => ClientFrame::ItemRetrieve { item_id },
            Err(rejected) => rejected,
        },
        "conversation.item.truncate" => truncate(&event),
        "session.update" => {
            steering_free(&event, "session", STEERING_SESSION_FIELDS, ClientFrame::SessionUpdate)
        }
        "response.create" => {
            steering_free(&event, "response", STEERING_RESPONSE_FIELDS, ClientFrame::ResponseCreate)
        }
        other => ClientFrame::rejected(RejectCode::EventNotAllowed, not_allowed_message(other)),
    };
    Classified { frame, event_id }
}

/// A value that says something: not null, `""`, `[]` or `{}`... except that any object counts
/// (a `prompt` reference is an object).
fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// `session.update` / `response.create`: `ok` unless the `field` object (optional) carries one
/// of the `steering` fields with a value.
fn steering_free(event: &Map<String, Value>, field: &str, steering: &[&str], ok: ClientFrame) -> ClientFrame {
    let body = match event.get(field) {
        None | Some(Value::Null) => return ok,
        Some(Value::Object(body)) => body,
        Some(_) => {
            return ClientFrame::rejected(RejectCode::InvalidEvent, format!("`{field}` must be an object."))
        }
    };
    if let Some(name) = steering.iter().find(|name| body.get(**name).is_some_and(has_value)) {
        return ClientFrame::rejected(
            RejectCode::EventNotAllowed,
            format!("`{field}.{name}` is not allowed on this socket: the interview sets it."),
        );
    }
    ok
}

fn not_allowed_message(kind: &str) -> String {
    let quoted: String = kind.chars().take(MAX_QUOTED_TYPE_CHARS).collect();
    let ellipsis = if kind.chars().count() > MAX_QUOTED_TYPE_CHARS { "…" } else { "" };
    format!("Event type {quoted:?}{ellipsis} is not allowed on this socket.")
}

/// Standard base64: the alphabet, a length that is a multiple of 4, at most two `=` at the end.
fn is_base64(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let padding = bytes.iter().rev().take(2).take_while(|&&b| b == b'=').count();
    bytes[..bytes.len() - padding].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn audio_append(audio: Option<Value>) -> ClientFrame {
    match audio {
        Some(Value::String(audio)) if !audio.is_empty() && is_base64(&audio) => {
            let pcm_bytes = base64_decoded_len(&audio);
            ClientFrame::AudioAppend { audio_b64_len: audio.len(), pcm_bytes, audio }
        }
        _ => ClientFrame::rejected(
            RejectCode::InvalidEvent,
            "input_audio_buffer.append needs `audio`: non-empty base64 PCM16 (24 kHz, mono).",
        ),
    }
}

/// The `item_id` a client event names: a non-empty string of at most [`MAX_EVENT_ID_CHARS`].
fn item_ref(event: &Map<String, Value>) -> Result<String, ClientFrame> {
    match event.get("item_id") {
        Some(Value::String(id)) if !id.is_empty() && id.chars().count() <= MAX_EVENT_ID_CHARS => {
            Ok(id.clone())
        }
        _ => Err(ClientFrame::rejected(RejectCode::InvalidEvent, "The event needs a string `item_id`.")),
    }
}

/// `conversation.item.truncate`: `item_id`, `content_index` and `audio_end_ms` (non-negative integers).
fn truncate(event: &Map<String, Value>) -> ClientFrame {
    let item_id = match item_ref(event) {
        Ok(id) => id,
        Err(rejected) => return rejected,
    };
    let number = |key: &str| event.get(key).and_then(Value::as_u64);
    match (number("content_index"), number("audio_end_ms")) {
        (Some(content_index), Some(audio_end_ms)) => {
            ClientFrame::ItemTruncate { item_id, content_index, audio_end_ms }
        }
        _ => ClientFrame::rejected(
            RejectCode::InvalidEvent,
            "conversation.item.truncate needs integer `content_index` and `audio_end_ms`.",
        ),
    }
}

/// What is forwarded for a truncation.
#[derive(Serialize)]
struct Truncate<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    item_id: &'a str,
    content_index: u64,
    audio_end_ms: u64,
}

/// `conversation.item.create`: only a user message made of `input_text` parts.
fn user_text(event: &Map<String, Value>) -> ClientFrame {
    let not_allowed = || {
        ClientFrame::rejected(
            RejectCode::EventNotAllowed,
            "Only user messages with input_text content may be added to the conversation.",
        )
    };
    let invalid = |message: &str| ClientFrame::rejected(RejectCode::InvalidEvent, message);
    let Some(item) = event.get("item").and_then(Value::as_object) else {
        return invalid("conversation.item.create needs an `item` object.");
    };
    if item.get("type").and_then(Value::as_str) != Some("message")
        || item.get("role").and_then(Value::as_str) != Some("user")
    {
        return not_allowed();
    }
    let parts = match item.get("content") {
        Some(Value::Array(parts)) if !parts.is_empty() => parts,
        _ => return invalid("A user message needs a non-empty `content` array."),
    };
    let mut texts = Vec::with_capacity(parts.len());
    for part in parts {
        let Some(part) = part.as_object() else { return invalid("Every content part must be an object.") };
        if part.get("type").and_then(Value::as_str) != Some("input_text") {
            return not_allowed();
        }
        match part.get("text") {
            Some(Value::String(text)) => texts.push(text.as_str()),
            _ => return invalid("An input_text part needs a string `text`."),
        }
    }
    let text = texts.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return invalid("The answer is empty.");
    }
    if text.chars().count() > MAX_USER_TEXT_CHARS {
        return invalid("An answer is limited to 2000 characters.");
    }
    ClientFrame::UserText { text: text.to_owned() }
}

/// The exact JSON to send upstream for an allowed frame, built from its parsed fields only;
/// `None` for a ping (answered locally) and a rejected frame (never forwarded).
#[must_use]
pub fn forwardable(frame: &ClientFrame) -> Option<String> {
    match frame {
        ClientFrame::Ping
        | ClientFrame::Rejected { .. }
        | ClientFrame::SessionUpdate
        | ClientFrame::ResponseCreate
        | ClientFrame::ItemRetrieve { .. } => None,
        ClientFrame::ItemTruncate { item_id, content_index, audio_end_ms } => {
            serde_json::to_string(&Truncate {
                kind: "conversation.item.truncate",
                item_id,
                content_index: *content_index,
                audio_end_ms: *audio_end_ms,
            })
            .ok()
        }
        ClientFrame::AudioAppend { audio, .. } => {
            // `audio` holds only base64 characters, which JSON needs no escape for.
            const HEAD: &str = r#"{"type":"input_audio_buffer.append","audio":""#;
            let mut out = String::with_capacity(HEAD.len() + audio.len() + 2);
            out.push_str(HEAD);
            out.push_str(audio);
            out.push_str("\"}");
            Some(out)
        }
        ClientFrame::AudioCommit => Some(r#"{"type":"input_audio_buffer.commit"}"#.to_owned()),
        ClientFrame::AudioClear => Some(r#"{"type":"input_audio_buffer.clear"}"#.to_owned()),
        ClientFrame::ResponseCancel => Some(r#"{"type":"response.cancel"}"#.to_owned()),
        ClientFrame::UserText { text } => Some(
            json!({
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "user",
                         "content": [{"type": "input_text", "text": text}]},
            })
            .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests;
