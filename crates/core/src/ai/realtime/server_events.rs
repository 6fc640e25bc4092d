//! Upstream (OpenAI Realtime) → browser: what the DO forwards, rewrites, withholds or acts on for
//! every upstream frame (docs/voice.md#providers).
//!
//! Rules, by event type:
//! * `session.*` (`session.created`, `session.updated`): dropped. The client's session is the
//!   interview's (`events::session_created`, sent on connect, and `events::session_updated`, the
//!   answer to its own `session.update`); the upstream's, which answer the DO's own updates, carry
//!   the interviewer's prompt and would tell the client of updates it never asked for.
//!   `response.created` and `response.done` lose `instructions`, `tools` and `prompt` should a
//!   response ever carry them.
//! * Function calls carry the model's scores, which a candidate sees only as `interview.evaluation`
//!   in practice mode: `response.function_call_arguments.delta` is dropped, `.done` is intercepted
//!   (not forwarded) as [`UpstreamEvent::FunctionCall`], `response.output_item.*` and
//!   `conversation.item.*` events about `function_call`/`function_call_output` items (and any
//!   `system` message) are dropped, and `response.done` is forwarded without them.
//! * `response.done` is also intercepted for its `usage` (cost) and the call ids it completed
//!   ([`UpstreamEvent::ResponseDone`]).
//! * Transcripts (`conversation.item.input_audio_transcription.completed`,
//!   `response.output_audio_transcript.done`, `response.output_text.done`) are forwarded *and*
//!   intercepted, so the DO logs them as messages.
//! * `error` is intercepted and not forwarded: upstream error text stays out of clients (the DO
//!   answers with `events::upstream_error_event`).
//! * `response.output_audio.delta` is forwarded byte-identical and reported as
//!   [`UpstreamEvent::AudioDelta`] for audio accounting. It is the hot path (tens of frames per
//!   second, kilobytes each), so its type and the extent of its `delta` string are read by
//!   walking the top-level keys without parsing the values (no allocation, one word-at-a-time
//!   pass over the base64); the size comes from the string's length. Other high-volume types pass the same
//!   way.
//! * Everything else passes unchanged; an unparsable frame is dropped.
//!
//! Must not: forward instructions, tools or function-call arguments; allocate on the audio path.

use std::borrow::Cow;
use std::ops::Range;

use serde_json::{Map, Value};

use super::base64_decoded_len;
use crate::domain::engine::cost::RealtimeUsage;

/// `session.*` fields a client must never see.
pub const HIDDEN_SESSION_FIELDS: &[&str] = &["instructions", "tools", "prompt"];

const AUDIO_DELTA: &str = "response.output_audio.delta";

/// Types forwarded without parsing when the fast path can read the type: none of them carries
/// instructions, tools or function-call arguments.
const FAST_PASS: &[&str] = &[
    "response.output_audio_transcript.delta",
    "response.output_text.delta",
    "response.output_audio.done",
    "response.content_part.added",
    "response.content_part.done",
    "conversation.item.input_audio_transcription.delta",
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "input_audio_buffer.cleared",
    "input_audio_buffer.timeout_triggered",
    "conversation.item.truncated",
    "rate_limits.updated",
];

/// What the DO must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamEvent {
    /// `response.function_call_arguments.done`: run the engine turn now; send the function output
    /// and the next `response.create` after the [`UpstreamEvent::ResponseDone`] listing `call_id`
    /// (a `response.create` while a response is active is refused upstream).
    FunctionCall { call_id: String, name: String, arguments_json: String },
    /// `response.done`: the response's token usage (zero when absent), its status (`completed`,
    /// `cancelled`, `failed`, `incomplete`) and the function calls it made.
    ResponseDone { response_id: String, status: String, usage: RealtimeUsage, function_call_ids: Vec<String> },
    /// `conversation.item.input_audio_transcription.completed`: the candidate's spoken answer.
    InputTranscript { item_id: String, text: String },
    /// `conversation.item.input_audio_transcription.failed`: an answer without a transcript.
    InputTranscriptFailed { item_id: String },
    /// `response.output_audio_transcript.done` or `response.output_text.done`: what the
    /// interviewer said.
    OutputTranscriptDone { item_id: String, text: String },
    /// `response.output_audio.delta`: `bytes_len` bytes of PCM16 24 kHz model audio.
    AudioDelta { bytes_len: u64 },
    /// `error`: the upstream's `error.code` (may be absent) and message (for logs only).
    Error { code: Option<String>, message: String },
}

/// What to do with one upstream frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redacted<'a> {
    /// Forward the frame exactly as received.
    Pass(&'a str),
    /// Forward this text instead (a redacted copy).
    Rewrite(String),
    /// Forward nothing.
    Drop,
    /// Act on `event`; forward `forward` to the client if present (the raw frame or a redacted
    /// copy).
    Intercept { event: UpstreamEvent, forward: Option<Cow<'a, str>> },
}

impl Redacted<'_> {
    /// The text to send to the browser, if any.
    #[must_use]
    pub fn client_text(&self) -> Option<&str> {
        match self {
            Redacted::Pass(text) => Some(text),
            Redacted::Rewrite(text) => Some(text),
            Redacted::Drop => None,
            Redacted::Intercept { forward, .. } => forward.as_deref(),
        }
    }

    /// The event for the DO, if any.
    #[must_use]
    pub fn event(&self) -> Option<&UpstreamEvent> {
        match self {
            Redacted::Intercept { event, .. } => Some(event),
            _ => None,
        }
    }
}

/// One frame's top-level key walk, kept so `items::ItemIds::to_client_peeked` need not walk
/// the frame again (on an audio delta the walk is most of the fast path's work).
#[derive(Debug, Clone)]
pub struct Peeked<'a> {
    pub(super) text: &'a str,
    pub(super) peek: Option<Peek<'a>>,
}

/// Decides what happens to one upstream text frame.
#[must_use]
pub fn redact_upstream(text: &str) -> Redacted<'_> {
    redact_peeked(text).0
}

/// [`redact_upstream`], with the frame's key walk for the item id rewrite.
#[must_use]
pub fn redact_peeked(text: &str) -> (Redacted<'_>, Peeked<'_>) {
    let peeked = Peeked { text, peek: peek(text) };
    (redact(text, peeked.peek.as_ref()), peeked)
}

fn redact<'a>(text: &'a str, peeked: Option<&Peek<'a>>) -> Redacted<'a> {
    if let Some(&Peek { kind, delta, .. }) = peeked {
        if kind == AUDIO_DELTA {
            // `delta` is `None` when escaped (`\/`), which would make the length wrong: parse those.
            if let Some(delta) = delta {
                return audio_delta(text, base64_decoded_len(delta));
            }
        } else if FAST_PASS.contains(&kind) {
            return Redacted::Pass(text);
        }
    }
    let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(text) else {
        return Redacted::Drop;
    };
    let kind = match event.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => return Redacted::Drop,
    };
    match kind.as_str() {
        k if k.starts_with("session.") => Redacted::Drop,
        "response.created" => {
            strip_hidden(&mut event, "response").map_or(Redacted::Pass(text), Redacted::Rewrite)
        }
        AUDIO_DELTA => audio_delta(text, base64_decoded_len(str_at(&event, "delta"))),
        "response.function_call_arguments.delta" => Redacted::Drop,
        "response.function_call_arguments.done" => Redacted::Intercept {
            event: UpstreamEvent::FunctionCall {
                call_id: string_at(&event, "call_id"),
                name: string_at(&event, "name"),
                arguments_json: string_at(&event, "arguments"),
            },
            forward: None,
        },
        "response.output_item.added"
        | "response.output_item.done"
        | "conversation.item.added"
        | "conversation.item.done"
        | "conversation.item.created"
        | "conversation.item.retrieved" => {
            if event.get("item").is_some_and(is_hidden_item) {
                Redacted::Drop
            } else {
                Redacted::Pass(text)
            }
        }
        "response.done" => response_done(text, &mut event),
        "conversation.item.input_audio_transcription.completed" => Redacted::Intercept {
            event: UpstreamEvent::InputTranscript {
                item_id: string_at(&event, "item_id"),
                text: string_at(&event, "transcript"),
            },
            forward: Some(Cow::Borrowed(text)),
        },
        "conversation.item.input_audio_transcription.failed" => Redacted::Intercept {
            event: UpstreamEvent::InputTranscriptFailed { item_id: string_at(&event, "item_id") },
            forward: Some(Cow::Borrowed(text)),
        },
        "response.output_audio_transcript.done" | "response.output_text.done" => {
            let field = if kind == "response.output_text.done" { "text" } else { "transcript" };
            Redacted::Intercept {
                event: UpstreamEvent::OutputTranscriptDone {
                    item_id: string_at(&event, "item_id"),
                    text: string_at(&event, field),
                },
                forward: Some(Cow::Borrowed(text)),
            }
        }
        "error" => {
            let error = event.get("error");
            let field = |name: &str| error.and_then(|e| e.get(name)).and_then(Value::as_str);
            Redacted::Intercept {
                event: UpstreamEvent::Error {
                    code: field("code").map(str::to_owned),
                    message: field("message").unwrap_or_default().to_owned(),
                },
                forward: None,
            }
        }
        _ => Redacted::Pass(text),
    }
}

fn audio_delta(text: &str, bytes_len: u64) -> Redacted<'_> {
    Redacted::Intercept { event: UpstreamEvent::AudioDelta { bytes_len }, forward: Some(Cow::Borrowed(text)) }
}

fn str_at<'v>(event: &'v Map<String, Value>, key: &str) -> &'v str {
    event.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn string_at(event: &Map<String, Value>, key: &str) -> String {
    str_at(event, key).to_owned()
}

/// Removes [`HIDDEN_SESSION_FIELDS`] from the object `event[key]` and re-serializes the event;
/// `None` when there were none (forward it unchanged).
fn strip_hidden(event: &mut Map<String, Value>, key: &str) -> Option<String> {
    let removed = remove_hidden(event.get_mut(key)?.as_object_mut()?);
    removed.then(|| Value::Object(std::mem::take(event)).to_string())
}

fn remove_hidden(object: &mut Map<String, Value>) -> bool {
    let mut removed = false;
    for field in HIDDEN_SESSION_FIELDS {
        removed |= object.remove(*field).is_some();
    }
    removed
}

/// Items the client must not see: function calls and their outputs (they carry the scores) and
/// system messages.
fn is_hidden_item(item: &Value) -> bool {
    match item.get("type").and_then(Value::as_str) {
        Some("function_call" | "function_call_output") => true,
        Some("message") => item.get("role").and_then(Value::as_str) == Some("system"),
        _ => false,
    }
}

fn response_done<'a>(text: &'a str, event: &mut Map<String, Value>) -> Redacted<'a> {
    let Some(response) = event.get_mut("response").and_then(Value::as_object_mut) else {
        let done = UpstreamEvent::ResponseDone {
            response_id: String::new(),
            status: String::new(),
            usage: RealtimeUsage::default(),
            function_call_ids: Vec::new(),
        };
        return Redacted::Intercept { event: done, forward: Some(Cow::Borrowed(text)) };
    };
    let usage = parse_realtime_usage(response.get("usage"));
    let mut function_call_ids = Vec::new();
    let mut hidden = remove_hidden(response);
    if let Some(Value::Array(output)) = response.get_mut("output") {
        for item in output.iter() {
            if item.get("type").and_then(Value::as_str) == Some("function_call") {
                if let Some(id) = item.get("call_id").and_then(Value::as_str) {
                    function_call_ids.push(id.to_owned());
                }
            }
            hidden |= is_hidden_item(item);
        }
        if hidden {
            output.retain(|item| !is_hidden_item(item));
        }
    }
    let done = UpstreamEvent::ResponseDone {
        response_id: str_at(response, "id").to_owned(),
        status: str_at(response, "status").to_owned(),
        usage,
        function_call_ids,
    };
    let forward = if hidden {
        Cow::Owned(Value::Object(std::mem::take(event)).to_string())
    } else {
        Cow::Borrowed(text)
    };
    Redacted::Intercept { event: done, forward: Some(forward) }
}

/// Reads `response.done.usage` into the cost module's [`RealtimeUsage`]. Missing figures count
/// as zero; without a text/audio split the remainder of `input_tokens`/`output_tokens` counts
/// as text; cached tokens without a split count as cached text; cached counts never exceed
/// their inputs.
#[must_use]
pub fn parse_realtime_usage(usage: Option<&Value>) -> RealtimeUsage {
    let Some(usage) = usage.filter(|u| u.is_object()) else { return RealtimeUsage::default() };
    let n = |v: Option<&Value>| v.and_then(Value::as_u64);
    let input = usage.get("input_token_details");
    let output = usage.get("output_token_details");
    let cached = input.and_then(|d| d.get("cached_tokens_details"));

    let audio_in = n(input.and_then(|d| d.get("audio_tokens"))).unwrap_or(0);
    let text_in = n(input.and_then(|d| d.get("text_tokens")))
        .unwrap_or_else(|| n(usage.get("input_tokens")).unwrap_or(0).saturating_sub(audio_in));
    let audio_out = n(output.and_then(|d| d.get("audio_tokens"))).unwrap_or(0);
    let text_out = n(output.and_then(|d| d.get("text_tokens")))
        .unwrap_or_else(|| n(usage.get("output_tokens")).unwrap_or(0).saturating_sub(audio_out));
    let cached_audio = n(cached.and_then(|d| d.get("audio_tokens"))).unwrap_or(0);
    let cached_text = n(cached.and_then(|d| d.get("text_tokens"))).unwrap_or_else(|| {
        n(input.and_then(|d| d.get("cached_tokens"))).unwrap_or(0).saturating_sub(cached_audio)
    });
    RealtimeUsage {
        text_input_tokens: text_in,
        cached_text_input_tokens: cached_text.min(text_in),
        audio_input_tokens: audio_in,
        cached_audio_input_tokens: cached_audio.min(audio_in),
        text_output_tokens: text_out,
        audio_output_tokens: audio_out,
    }
}

// ---- the fast path ----------------------------------------------------------------------------
//
// The scanner finds string ends eight bytes at a time (SWAR: no SIMD on wasm32 by default, and the
// release profile optimises for size), so the kilobytes of base64 in an audio delta cost one
// quick pass and no allocation.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Non-zero when a byte of `word` equals `byte` (the classic "has a zero byte" test on
/// `word ^ byte…byte`).
const fn has_byte(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * byte as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Index of the first `"` or `\` in `b`.
fn find_quote_or_backslash(b: &[u8]) -> Option<usize> {
    let special = |c: &u8| *c == b'"' || *c == b'\\';
    let mut chunks = b.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        if has_byte(word, b'"') | has_byte(word, b'\\') != 0 {
            return chunk.iter().position(special).map(|p| offset + p);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(special).map(|p| offset + p)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The string starting at `b[i] == '"'`: the index after its closing quote, and whether it
/// contains escapes. `None` when it is not a (terminated) string.
fn skip_string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (mut j, mut escaped) = (i + 1, false);
    loop {
        j += find_quote_or_backslash(b.get(j..)?)?;
        if b.get(j) == Some(&b'"') {
            return Some((j + 1, escaped));
        }
        escaped = true;
        j += 2;
    }
}

/// The content of an escape-free string starting at `text[i] == '"'`, and the index after it.
fn plain_string(text: &str, i: usize) -> Option<(&str, usize)> {
    match skip_string(text.as_bytes(), i)? {
        (end, false) => Some((text.get(i + 1..end - 1)?, end)),
        (_, true) => None,
    }
}

/// The index after the JSON value starting at `b[i]`, without validating it.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i).map(|(end, _)| end),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?.0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let rest = b.get(i..)?;
            let len =
                rest.iter().position(|&c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
            Some(i + len.unwrap_or(rest.len()))
        }
    }
}

/// The top-level facts the fast path needs from a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Peek<'a> {
    /// The `type`.
    pub(super) kind: &'a str,
    /// The content (between the quotes) of a string `delta` without escapes, if any.
    pub(super) delta: Option<&'a str>,
    /// Where the top-level `item_id` value (quotes included) is, when it is a string without
    /// escapes (`items.rs` swaps it for the interview's id without parsing the frame).
    pub(super) item_id: Option<Range<usize>>,
    /// Where the top-level `previous_item_id` value is, when it is such a string or `null`.
    pub(super) previous_item_id: Option<Range<usize>>,
    /// The frame names items in a way the spans above do not cover: a nested `item` or
    /// `response`, an escaped, mistyped or repeated `item_id`/`previous_item_id`. It must be
    /// parsed to rewrite its item ids.
    pub(super) nested_refs: bool,
}

/// Walks the frame's top-level keys, skipping their values without parsing them (so a `"type"`
/// inside a nested object or a string never counts), and reads `type` and `delta`. `None`
/// whenever the frame is not one plain object with exactly one escape-free string `type`, keys
/// without escapes and nothing after it — the caller then parses it, and with duplicate keys
/// sees what a browser's `JSON.parse` sees (the last one).
pub(super) fn peek(text: &str) -> Option<Peek<'_>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let (mut kind, mut delta) = (None, None);
    let (mut item_id, mut previous_item_id, mut nested_refs) = (None, None, false);
    loop {
        let (key, next) = plain_string(text, i)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_end = match key {
            "type" => {
                let (value, end) = plain_string(text, i)?;
                if kind.replace(value).is_some() {
                    return None;
                }
                end
            }
            "delta" if b.get(i) == Some(&b'"') => {
                let (end, escaped) = skip_string(b, i)?;
                delta = if escaped { None } else { text.get(i + 1..end - 1) };
                end
            }
            "item_id" | "previous_item_id" => {
                let end = skip_value(b, i)?;
                let plain = match b.get(i) {
                    Some(b'"') => !skip_string(b, i)?.1,
                    _ => key == "previous_item_id" && text.get(i..end) == Some("null"),
                };
                let slot = if key == "item_id" { &mut item_id } else { &mut previous_item_id };
                nested_refs |= !plain || slot.replace(i..end).is_some();
                end
            }
            "item" | "response" => {
                nested_refs = true;
                skip_value(b, i)?
            }
            _ => skip_value(b, i)?,
        };
        i = skip_ws(b, value_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return None;
    }
    Some(Peek { kind: kind?, delta, item_id, previous_item_id, nested_refs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INSTRUCTIONS: &str = "SECRET-PROMPT: you are the interviewer; rubric: closures";

    fn session_event(kind: &str) -> String {
        json!({"type": kind, "event_id": "event_1", "session": {
            "type": "realtime", "object": "realtime.session", "id": "sess_1", "model": "gpt-realtime",
            "instructions": INSTRUCTIONS, "output_modalities": ["audio"],
            "tools": [{"type": "function", "name": "evaluate_candidate_answer", "description": "SECRET-TOOL",
                       "parameters": {"type": "object"}}],
            "tool_choice": "auto",
            "audio": {"output": {"voice": "marin", "format": {"type": "audio/pcm", "rate": 24000}}}}})
        .to_string()
    }

    fn audio_delta_frame(pcm_bytes: usize) -> String {
        // Real deltas hold base64 of PCM16; its content does not matter here, only its length.
        let b64 = "QUJD".repeat(pcm_bytes / 3);
        format!(
            r#"{{"type":"response.output_audio.delta","event_id":"event_9","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"{b64}"}}"#
        )
    }

    #[test]
    fn upstream_session_events_never_reach_the_client() {
        for kind in ["session.created", "session.updated"] {
            assert_eq!(redact_upstream(&session_event(kind)), Redacted::Drop, "{kind}");
        }
        // Spacing and key order do not defeat it (the fast path never passes session events).
        let spaced = format!(
            r#"{{ "session" : {{ "instructions" : "{INSTRUCTIONS}" }} , "type" : "session.updated" }}"#
        );
        assert_eq!(redact_upstream(&spaced), Redacted::Drop);
        let plain = r#"{"type":"session.updated","session":{"type":"realtime"}}"#;
        assert_eq!(redact_upstream(plain), Redacted::Drop);
    }

    #[test]
    fn audio_deltas_pass_byte_identical_and_are_counted() {
        let raw = audio_delta_frame(4_800);
        let redacted = redact_upstream(&raw);
        assert_eq!(redacted.client_text(), Some(raw.as_str()));
        assert!(
            matches!(&redacted, Redacted::Intercept { forward: Some(Cow::Borrowed(t)), .. } if std::ptr::eq(*t, raw.as_str()))
        );
        assert_eq!(redacted.event(), Some(&UpstreamEvent::AudioDelta { bytes_len: 4_800 }));

        // Other key orders and spacing take the slow path with the same answer.
        let other = r#"{ "delta": "AAAAAA==", "event_id": "e", "type": "response.output_audio.delta" }"#;
        let redacted = redact_upstream(other);
        assert_eq!(redacted.client_text(), Some(other));
        assert_eq!(redacted.event(), Some(&UpstreamEvent::AudioDelta { bytes_len: 4 }));
        let escaped = r#"{"type":"response.output_audio.delta","delta":"AA\/A"}"#;
        assert_eq!(redact_upstream(escaped).event(), Some(&UpstreamEvent::AudioDelta { bytes_len: 3 }));
    }

    #[test]
    fn the_fast_peek_reads_only_top_level_keys() {
        let table = [
            (r#"{"type":"a.b"}"#, Some("a.b")),
            (" {\"event_id\":\"e\" ,\n \"type\" : \"x\" } \n", Some("x")),
            (r#"{"event_id":"e\"type\":\"fake","type":"real"}"#, Some("real")),
            (r#"{"a":"ends in a backslash \\","type":"real"}"#, Some("real")),
            (
                r#"{"n":-1.5e3,"ok":true,"z":null,"o":{"type":"inner","a":[1,{"type":"}"}]},"type":"outer"}"#,
                Some("outer"),
            ),
            (r#"{"response":{"type":"inner"}}"#, None),
            (r#"{"type":"a","type":"b"}"#, None),
            (r#"{"type":"a"} trailing"#, None),
            (r#"{"type":"a",}"#, None),
            (r#"{"type":7}"#, None),
            (r#"{"type":"a\u0062"}"#, None),
            (r#"{"ty\u0070e":"a"}"#, None),
            (r#"[{"type":"x"}]"#, None),
            (r#"{"type""#, None),
            (r#"{"type":"a""#, None),
            ("{}", None),
            ("", None),
        ];
        for (text, expected) in table {
            assert_eq!(peek(text).map(|p| p.kind), expected, "{text}");
        }
        let p = peek(r#"{"delta":"AAAA","type":"response.output_audio.delta","item_id":"i"}"#);
        assert_eq!(p.and_then(|p| p.delta), Some("AAAA"));
        assert_eq!(peek(r#"{"type":"t","delta":{"x":1}}"#).map(|p| p.delta), Some(None));
    }

    #[test]
    fn the_word_at_a_time_scan_finds_every_position() {
        for len in 0..40 {
            assert_eq!(find_quote_or_backslash("A".repeat(len).as_bytes()), None);
            for at in 0..len {
                for special in ['"', '\\'] {
                    let mut text = "x/+=9".repeat(8)[..len].to_owned();
                    text.replace_range(at..=at, &special.to_string());
                    // Bytes that differ from the specials by one bit or that are above 0x80.
                    let text = text.replacen('x', "#", 1).replacen('9', "é", 1);
                    let expected = text.bytes().position(|c| c == b'"' || c == b'\\');
                    assert_eq!(find_quote_or_backslash(text.as_bytes()), expected, "{text:?}");
                }
            }
        }
        let escaped = r#""a\"b\\\\" rest"#;
        assert_eq!(skip_string(escaped.as_bytes(), 0), Some((escaped.len() - 5, true)));
        assert_eq!(skip_string(br#""plain" x"#, 0), Some((7, false)));
        assert_eq!(skip_string(br#""open"#, 0), None);
    }

    #[test]
    fn duplicate_keys_cannot_smuggle_a_session_past_the_fast_path() {
        // A browser's JSON.parse keeps the last `type`; so does the slow path.
        let raw = format!(
            r#"{{"type":"response.output_audio.delta","delta":"AAAA","type":"session.updated","session":{{"instructions":"{INSTRUCTIONS}"}}}}"#
        );
        let redacted = redact_upstream(&raw);
        assert!(!redacted.client_text().unwrap_or_default().contains("SECRET"), "{redacted:?}");
    }

    #[test]
    fn high_volume_events_pass_unparsed() {
        for kind in FAST_PASS {
            let raw = format!(r#"{{"type":"{kind}","event_id":"e","delta":"hello"}}"#);
            assert_eq!(redact_upstream(&raw), Redacted::Pass(raw.as_str()), "{kind}");
        }
        let unknown = r#"{"type":"some.future_event","x":1}"#;
        assert_eq!(redact_upstream(unknown), Redacted::Pass(unknown));
        assert_eq!(redact_upstream("not json"), Redacted::Drop);
        assert_eq!(redact_upstream(r#"{"no":"type"}"#), Redacted::Drop);
    }

    #[test]
    fn function_calls_are_intercepted_and_never_forwarded() {
        let args = r#"{"answer_quality":"good","technical_accuracy":0.8}"#;
        let done =
            json!({"type": "response.function_call_arguments.done", "event_id": "e", "response_id": "resp_1",
            "item_id": "item_f", "output_index": 0, "call_id": "call_1", "name": "evaluate_candidate_answer",
            "arguments": args})
            .to_string();
        let redacted = redact_upstream(&done);
        assert_eq!(redacted.client_text(), None);
        assert_eq!(
            redacted.event(),
            Some(&UpstreamEvent::FunctionCall {
                call_id: "call_1".into(),
                name: "evaluate_candidate_answer".into(),
                arguments_json: args.into(),
            })
        );
        let delta =
            r#"{"type":"response.function_call_arguments.delta","call_id":"call_1","delta":"{\"answer_q"}"#;
        assert_eq!(redact_upstream(delta), Redacted::Drop);

        let call_item = json!({"id": "item_f", "type": "function_call", "call_id": "call_1",
                               "name": "evaluate_candidate_answer", "arguments": args});
        let output_item = json!({"id": "item_o", "type": "function_call_output", "call_id": "call_1",
                                 "output": "{\"next_question\":\"…\"}"});
        let system_item = json!({"id": "item_s", "type": "message", "role": "system",
                                 "content": [{"type": "input_text", "text": "SECRET"}]});
        for kind in [
            "response.output_item.added",
            "response.output_item.done",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.created",
        ] {
            for item in [&call_item, &output_item, &system_item] {
                let raw = json!({"type": kind, "item": item}).to_string();
                assert_eq!(redact_upstream(&raw), Redacted::Drop, "{raw}");
            }
            let message =
                json!({"type": kind, "item": {"id": "item_b", "type": "message", "role": "assistant",
                                 "content": [{"type": "output_audio", "transcript": "Next question…"}]}})
                .to_string();
            assert_eq!(redact_upstream(&message), Redacted::Pass(message.as_str()));
        }
    }

    /// The `usage` example of OpenAI's Realtime API reference (`response.done`).
    fn response_done_frame(output: &Value) -> String {
        json!({"type": "response.done", "event_id": "event_X", "response": {
            "object": "realtime.response", "id": "resp_X", "status": "completed", "status_details": null,
            "output": output, "conversation_id": "conv_X", "output_modalities": ["audio"],
            "usage": {"total_tokens": 253, "input_tokens": 132, "output_tokens": 121,
                "input_token_details": {"text_tokens": 119, "audio_tokens": 13, "image_tokens": 0, "cached_tokens": 64,
                    "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0}},
                "output_token_details": {"text_tokens": 30, "audio_tokens": 91}},
            "metadata": null}})
        .to_string()
    }

    #[test]
    fn response_done_reports_usage_and_hides_function_calls() {
        let expected_usage = RealtimeUsage {
            text_input_tokens: 119,
            cached_text_input_tokens: 64,
            audio_input_tokens: 13,
            cached_audio_input_tokens: 0,
            text_output_tokens: 30,
            audio_output_tokens: 91,
        };
        let message = json!({"id": "item_B", "type": "message", "status": "completed", "role": "assistant",
                             "content": [{"type": "output_audio", "transcript": "Loud and clear!"}]});
        let raw = response_done_frame(&json!([message]));
        let redacted = redact_upstream(&raw);
        assert_eq!(redacted.client_text(), Some(raw.as_str()));
        assert_eq!(
            redacted.event(),
            Some(&UpstreamEvent::ResponseDone {
                response_id: "resp_X".into(),
                status: "completed".into(),
                usage: expected_usage,
                function_call_ids: vec![],
            })
        );

        let call = json!({"id": "item_F", "type": "function_call", "status": "completed", "call_id": "call_7",
                          "name": "evaluate_candidate_answer", "arguments": "{\"technical_accuracy\":0.93}"});
        let raw = response_done_frame(&json!([call]));
        let redacted = redact_upstream(&raw);
        let forwarded = redacted.client_text().unwrap_or_default();
        assert!(!forwarded.contains("0.93") && !forwarded.contains("call_7"), "{forwarded}");
        let v: Value = serde_json::from_str(forwarded).unwrap_or(Value::Null);
        assert_eq!(v["response"]["output"], json!([]));
        assert_eq!(v["response"]["usage"]["total_tokens"], 253);
        let Some(UpstreamEvent::ResponseDone { function_call_ids, usage, .. }) = redacted.event() else {
            panic!("{redacted:?}")
        };
        assert_eq!(function_call_ids, &vec!["call_7".to_owned()]);
        assert_eq!(*usage, expected_usage);
    }

    #[test]
    fn responses_never_carry_instructions_to_the_client() {
        let created =
            json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress",
            "instructions": INSTRUCTIONS, "tools": [], "output": []}})
            .to_string();
        let out = redact_upstream(&created).client_text().unwrap_or_default().to_owned();
        assert!(!out.contains("SECRET") && out.contains("resp_1"), "{out}");
        let plain =
            r#"{"type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}"#;
        assert_eq!(redact_upstream(plain), Redacted::Pass(plain));

        let done = json!({"type": "response.done", "response": {"id": "resp_1", "status": "completed",
            "instructions": INSTRUCTIONS, "output": []}})
        .to_string();
        let redacted = redact_upstream(&done);
        assert!(!redacted.client_text().unwrap_or_default().contains("SECRET"));
        assert!(matches!(redacted.event(), Some(UpstreamEvent::ResponseDone { .. })));
    }

    #[test]
    fn usage_parsing_tolerates_missing_details() {
        assert_eq!(parse_realtime_usage(None), RealtimeUsage::default());
        assert_eq!(parse_realtime_usage(Some(&Value::Null)), RealtimeUsage::default());
        let bare = json!({"input_tokens": 10, "output_tokens": 4,
                          "input_token_details": {"audio_tokens": 6, "cached_tokens": 50}});
        let u = parse_realtime_usage(Some(&bare));
        assert_eq!((u.text_input_tokens, u.audio_input_tokens, u.text_output_tokens), (4, 6, 4));
        assert_eq!(u.cached_text_input_tokens, 4, "cached is capped at its input");
        let cancelled =
            r#"{"type":"response.done","response":{"id":"resp_2","status":"cancelled","usage":null}}"#;
        let Some(UpstreamEvent::ResponseDone { status, usage, .. }) =
            redact_upstream(cancelled).event().cloned()
        else {
            panic!("not intercepted")
        };
        assert_eq!((status.as_str(), usage), ("cancelled", RealtimeUsage::default()));
    }

    #[test]
    fn transcripts_are_forwarded_and_intercepted() {
        let table = [
            (
                json!({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_A",
                       "content_index": 0, "transcript": "A closure keeps its scope.",
                       "usage": {"type": "duration", "seconds": 3}}),
                UpstreamEvent::InputTranscript {
                    item_id: "item_A".into(),
                    text: "A closure keeps its scope.".into(),
                },
            ),
            (
                json!({"type": "conversation.item.input_audio_transcription.failed", "item_id": "item_A",
                       "content_index": 0, "error": {"type": "server_error", "message": "x"}}),
                UpstreamEvent::InputTranscriptFailed { item_id: "item_A".into() },
            ),
            (
                json!({"type": "response.output_audio_transcript.done", "response_id": "r", "item_id": "item_B",
                       "output_index": 0, "content_index": 0, "transcript": "What is a closure?"}),
                UpstreamEvent::OutputTranscriptDone {
                    item_id: "item_B".into(),
                    text: "What is a closure?".into(),
                },
            ),
            (
                json!({"type": "response.output_text.done", "response_id": "r", "item_id": "item_C",
                       "output_index": 0, "content_index": 0, "text": "What is hoisting?"}),
                UpstreamEvent::OutputTranscriptDone {
                    item_id: "item_C".into(),
                    text: "What is hoisting?".into(),
                },
            ),
        ];
        for (frame, expected) in table {
            let raw = frame.to_string();
            let redacted = redact_upstream(&raw);
            assert_eq!(redacted.client_text(), Some(raw.as_str()));
            assert_eq!(redacted.event(), Some(&expected));
        }
    }

    #[test]
    fn upstream_errors_are_intercepted_not_forwarded() {
        let raw = r#"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"session_expired",
                     "message":"Your session hit the maximum duration of 60 minutes.","param":null,"event_id":null}}"#;
        let redacted = redact_upstream(raw);
        assert_eq!(redacted.client_text(), None);
        assert_eq!(
            redacted.event(),
            Some(&UpstreamEvent::Error {
                code: Some("session_expired".into()),
                message: "Your session hit the maximum duration of 60 minutes.".into(),
            })
        );
        let no_code = r#"{"type":"error","error":{"type":"server_error","code":null,"message":"boom"}}"#;
        assert_eq!(
            redact_upstream(no_code).event(),
            Some(&UpstreamEvent::Error { code: None, message: "boom".into() })
        );
    }

    /// Not a benchmark with a verdict: it prints how long 10 000 audio deltas of 100 ms
    /// (4 800 PCM bytes, 6 400 base64 characters) take on the fast path, and a full parse of the
    /// same frames for comparison, so a regression to parsing is visible in `--nocapture` runs.
    #[test]
    fn ten_thousand_audio_deltas_take_the_fast_path() {
        // 16 distinct frames cycled: the frame at hand is in cache, as a frame just read off the
        // socket is, so this measures the work per frame rather than memory bandwidth.
        let distinct: Vec<String> = (0..16).map(|_| audio_delta_frame(4_800)).collect();
        let frames: Vec<&String> = distinct.iter().cycle().take(10_000).collect();
        let started = std::time::Instant::now();
        let mut total = 0u64;
        let mut forwarded = 0usize;
        for frame in &frames {
            let redacted = redact_upstream(frame.as_str());
            if let Some(UpstreamEvent::AudioDelta { bytes_len }) = redacted.event() {
                total += bytes_len;
            }
            if matches!(redacted, Redacted::Intercept { forward: Some(Cow::Borrowed(_)), .. }) {
                forwarded += 1;
            }
        }
        let fast = started.elapsed();
        assert_eq!((total, forwarded), (48_000_000, 10_000));

        let started = std::time::Instant::now();
        let parsed = frames.iter().filter(|f| serde_json::from_str::<Value>(f.as_str()).is_ok()).count();
        let full = started.elapsed();
        assert_eq!(parsed, 10_000);
        println!("10k audio deltas: fast path {fast:?}, full parse {full:?}");
    }
}
