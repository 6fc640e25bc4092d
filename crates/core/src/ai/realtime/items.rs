//! The item ids a client sees when a voice provider answers (docs/voice.md#the-socket, "Item ids";
//! docs/decisions/0010-relay-item-ids.md). The upstream names every conversation item its own
//! way, anew on every connection; the client must see the interview's ids instead — those of the
//! built-in interviewer and of the replay on (re)connect ([`item_id`]: one per message of the
//! log, for the interview's life) — with `previous_item_id` chaining them in the log's order.
//!
//! [`ItemIds`] binds an upstream item to a message the first time a relayed event names it, and
//! rewrites `item_id`, `item.id`, `previous_item_id` and `response.output[].id` in every event
//! the client gets ([`ItemIds::to_client`], or [`ItemIds::to_client_peeked`] after
//! `server_events::redact_peeked`); [`ItemIds::upstream_id`] is the reverse, for the
//! client events that name an item (`conversation.item.truncate`). `conversation.item.retrieve`
//! is answered from the log itself ([`retrieve_answer`]).
//!
//! Binding rules (the DO reads the [`LogTail`] only when an unseen item must be bound):
//! * an interviewer item (an assistant `message`) is the latest question, the one the upstream
//!   was just told to say. Once that question is bound on this upstream connection, any further
//!   assistant item before the next question (a filler, a repeat, words before the tool call) is
//!   an *aside*, `item_{interview}_{seq}_{n}`: never replayed, chained after the last item.
//! * a candidate item (a user `message`, or the item the input-audio events announce) is the
//!   answer to the latest question: the stored answer awaiting its reply (a typed answer is
//!   stored before it is forwarded), else the next message (a spoken answer is stored when its
//!   transcript arrives). Every candidate item between two questions is that one answer.
//! * items the client never sees (function calls and outputs, system messages) are never bound;
//!   an event about an unbound item keeps the upstream's ids.
//! * `previous_item_id` of a bound item is the message before it (`null` for the first), or the
//!   aside said after that message.
//!
//! Cost: events that name their item at the top level (audio, transcript and text deltas, content
//! parts, input-audio events) have the id strings swapped in place, where the fast path's key walk
//! ([`super::server_events`]) found them, without being parsed; events with nested items
//! (`conversation.item.*`, `response.output_item.*`, `response.created`/`.done`) are parsed,
//! rewritten and re-serialized; events that name no item pass untouched.
//!
//! Must not: bind a hidden item (it would show a function call's place), or invent a message.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;
use serde_json::{Map, Value};

use super::builtin::item_id;
use super::events::{error_event, EventIds};
use super::server_events::{peek, Peek, Peeked};
use crate::domain::enums::MessageType;
use crate::domain::interview::StoredMessage;

/// Bindings kept per upstream connection (the oldest go first; an interview has a few dozen).
const MAX_BINDINGS: usize = 128;

/// Where the interview's log stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogTail {
    /// The last message's sequence number (0: none).
    pub last_seq: u64,
    /// The latest interviewer question's sequence number (0: none).
    pub question_seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Interviewer,
    Candidate,
}

#[derive(Debug, Clone)]
struct Binding {
    upstream: String,
    ours: String,
    previous: Option<String>,
    /// The message's sequence number.
    seq: u64,
}

/// The last item introduced to the client: its id, its message's sequence number, an aside?
#[derive(Debug, Clone)]
struct Introduced {
    id: String,
    seq: u64,
    aside: bool,
}

/// Upstream item ids → the interview's, for one upstream connection.
#[derive(Debug, Clone)]
pub struct ItemIds {
    seed: String,
    bindings: Vec<Binding>,
    last: Option<Introduced>,
    asides: u32,
}

/// The log tail, read at most once per rewritten event and only when it is needed.
struct Tail<F> {
    read: Option<F>,
    value: LogTail,
}

impl<F: FnOnce() -> LogTail> Tail<F> {
    fn get(&mut self) -> LogTail {
        if let Some(read) = self.read.take() {
            self.value = read();
        }
        self.value
    }
}

/// Events whose top-level `item_id` announces a candidate item (server VAD names it before the
/// item is added).
fn candidate_kind(kind: &str) -> bool {
    kind.starts_with("input_audio_buffer.")
        || kind.starts_with("conversation.item.input_audio_transcription.")
}

fn item_role(item: &Map<String, Value>) -> Option<Role> {
    if item.get("type").and_then(Value::as_str) != Some("message") {
        return None;
    }
    match item.get("role").and_then(Value::as_str) {
        Some("assistant") => Some(Role::Interviewer),
        Some("user") => Some(Role::Candidate),
        _ => None,
    }
}

impl ItemIds {
    /// Ids for the interview `seed` (its id), on a fresh upstream connection.
    #[must_use]
    pub fn new(seed: &str) -> Self {
        ItemIds { seed: seed.to_owned(), bindings: Vec::new(), last: None, asides: 0 }
    }

    /// The upstream id behind the client's `ours` (the latest bound), if any.
    #[must_use]
    pub fn upstream_id(&self, ours: &str) -> Option<&str> {
        self.bindings.iter().rev().find(|b| b.ours == ours).map(|b| b.upstream.as_str())
    }

    /// `text` (an upstream event the client may see) with the interview's item ids; `tail` is
    /// read only if an unseen item must be bound.
    pub fn to_client<'a>(&mut self, text: &'a str, tail: impl FnOnce() -> LogTail) -> Cow<'a, str> {
        self.rewrite(text, peek(text), tail)
    }

    /// [`ItemIds::to_client`] of the text `redact_peeked` walked (`peeked`), without walking it
    /// again; any other text is walked.
    pub fn to_client_peeked<'a>(
        &mut self,
        text: &'a str,
        peeked: &Peeked<'a>,
        tail: impl FnOnce() -> LogTail,
    ) -> Cow<'a, str> {
        let p = if std::ptr::eq(peeked.text, text) { peeked.peek.clone() } else { peek(text) };
        self.rewrite(text, p, tail)
    }

    fn rewrite<'a>(
        &mut self,
        text: &'a str,
        p: Option<Peek<'a>>,
        tail: impl FnOnce() -> LogTail,
    ) -> Cow<'a, str> {
        let mut tail = Tail { read: Some(tail), value: LogTail::default() };
        let Some(p) = p else { return self.parsed(text, &mut tail) };
        if p.nested_refs {
            return self.parsed(text, &mut tail);
        }
        let Some(span) = p.item_id else { return Cow::Borrowed(text) };
        let upstream = text.get(span.start + 1..span.end - 1).unwrap_or_default();
        let role = candidate_kind(p.kind).then_some(Role::Candidate);
        let Some(bound) = self.bind(upstream, role, &mut tail) else { return Cow::Borrowed(text) };
        let mut swaps = vec![(span, json_string(&bound.ours))];
        if let Some(previous) = p.previous_item_id {
            swaps.push((previous, serde_json::to_string(&bound.previous).unwrap_or_default()));
        }
        Cow::Owned(splice(text, swaps))
    }

    /// The slow path: parse, rewrite through serde, re-serialize (only when something changed).
    fn parsed<'a, F: FnOnce() -> LogTail>(&mut self, text: &'a str, tail: &mut Tail<F>) -> Cow<'a, str> {
        if !text.contains("item") {
            return Cow::Borrowed(text);
        }
        let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(text) else {
            return Cow::Borrowed(text);
        };
        let mut changed = false;
        let mut previous = None;
        if let Some(Value::Object(item)) = event.get_mut("item") {
            if let Some(bound) = self.rewrite_item(item, tail) {
                previous = Some(bound.previous);
                changed = true;
            }
        }
        if let Some(upstream) = event.get("item_id").and_then(Value::as_str).map(str::to_owned) {
            let kind = event.get("type").and_then(Value::as_str).unwrap_or_default();
            let role = candidate_kind(kind).then_some(Role::Candidate);
            if let Some(bound) = self.bind(&upstream, role, tail) {
                event.insert("item_id".into(), Value::from(bound.ours));
                previous.get_or_insert(bound.previous);
                changed = true;
            }
        }
        if let (Some(previous), true) = (previous, event.contains_key("previous_item_id")) {
            event.insert("previous_item_id".into(), previous.map_or(Value::Null, Value::from));
        }
        if let Some(Value::Array(output)) = event.get_mut("response").and_then(|r| r.get_mut("output")) {
            for item in output.iter_mut().filter_map(Value::as_object_mut) {
                changed |= self.rewrite_item(item, tail).is_some();
            }
        }
        if changed {
            Cow::Owned(Value::Object(event).to_string())
        } else {
            Cow::Borrowed(text)
        }
    }

    fn rewrite_item<F: FnOnce() -> LogTail>(
        &mut self,
        item: &mut Map<String, Value>,
        tail: &mut Tail<F>,
    ) -> Option<Binding> {
        let role = item_role(item)?;
        let upstream = item.get("id").and_then(Value::as_str)?.to_owned();
        let bound = self.bind(&upstream, Some(role), tail)?;
        item.insert("id".into(), Value::from(bound.ours.clone()));
        Some(bound)
    }

    /// The binding of `upstream`, made now if it is new and `role` says what it is.
    fn bind<F: FnOnce() -> LogTail>(
        &mut self,
        upstream: &str,
        role: Option<Role>,
        tail: &mut Tail<F>,
    ) -> Option<Binding> {
        if let Some(bound) = self.bindings.iter().rev().find(|b| b.upstream == upstream) {
            return Some(bound.clone());
        }
        let role = role?;
        let log = tail.get();
        let (seq, aside) = match role {
            Role::Interviewer => {
                let seq = log.question_seq;
                let said = item_id(&self.seed, seq);
                (seq, self.bindings.iter().any(|b| b.ours == said))
            }
            Role::Candidate if log.last_seq > log.question_seq => (log.last_seq, false),
            Role::Candidate => (log.last_seq + 1, false),
        };
        if seq == 0 {
            return None;
        }
        let (ours, previous) = if aside {
            self.asides += 1;
            (
                format!("{}_{}", item_id(&self.seed, seq), self.asides),
                self.last.as_ref().map(|l| l.id.clone()),
            )
        } else {
            let previous = match &self.last {
                Some(l) if l.aside && l.seq + 1 == seq => Some(l.id.clone()),
                _ => (seq > 1).then(|| item_id(&self.seed, seq - 1)),
            };
            (item_id(&self.seed, seq), previous)
        };
        if self.bindings.len() >= MAX_BINDINGS {
            // Room goes first from an upstream item this one supersedes (another candidate item of
            // the same answer: an unbound candidate item is bound again alike), then from messages
            // older than the one before this one; the latest question's binding stays.
            let at = self
                .bindings
                .iter()
                .position(|b| b.ours == ours)
                .or_else(|| self.bindings.iter().position(|b| b.seq + 1 < seq))
                .unwrap_or(0);
            self.bindings.remove(at);
        }
        let bound = Binding { upstream: upstream.to_owned(), ours, previous, seq };
        self.last = Some(Introduced { id: bound.ours.clone(), seq, aside });
        self.bindings.push(bound.clone());
        Some(bound)
    }
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `text` with each range replaced (ranges do not overlap).
fn splice(text: &str, mut swaps: Vec<(Range<usize>, String)>) -> String {
    swaps.sort_by_key(|(range, _)| range.start);
    let extra: usize = swaps.iter().map(|(_, s)| s.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut at = 0;
    for (range, with) in swaps {
        out.push_str(text.get(at..range.start).unwrap_or_default());
        out.push_str(&with);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// The sequence number of the message whose item id is `id` in the interview `seed`, if `id`
/// names one (an aside or a foreign id does not).
#[must_use]
pub fn message_seq(seed: &str, id: &str) -> Option<u64> {
    let prefix = item_id(seed, 0);
    let digits = id.strip_prefix(prefix.strip_suffix('0')?)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// One content part of a retrieved item.
#[derive(Debug, Serialize)]
struct Part<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<&'a str>,
}

/// A conversation item (GA `realtime.item`, a completed message).
#[derive(Debug, Serialize)]
struct Item<'a> {
    id: &'a str,
    object: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    role: &'static str,
    content: [Part<'a>; 1],
}

#[derive(Debug, Serialize)]
struct Retrieved<'a> {
    item: Item<'a>,
}

/// The answer to `conversation.item.retrieve` for `id`, from the interview's log: the message as
/// a completed item (`conversation.item.retrieved`), or `error` `item_not_found` echoing the
/// client's `cause` when `id` names no message. `message` looks a message up by sequence number;
/// `spoken` says whether a voice provider speaks the questions (their items are `output_audio`
/// with a transcript, as streamed; else `output_text`). A candidate's answer is `input_audio`
/// with its transcript when it was spoken, else `input_text`.
#[must_use]
pub fn retrieve_answer(
    ids: &EventIds,
    seed: &str,
    id: &str,
    spoken: bool,
    message: impl FnOnce(u64) -> Option<StoredMessage>,
    cause: Option<&str>,
) -> String {
    let Some(found) = message_seq(seed, id).and_then(message) else {
        return error_event(ids, "item_not_found", "No conversation item has this item_id.", cause);
    };
    let text = found.content_text.as_str();
    let (role, audio) = match found.message_type {
        MessageType::AiQuestion => ("assistant", spoken),
        MessageType::CandidateResponse => {
            let channel = found.metadata.pointer("/client_metadata/channel").and_then(Value::as_str);
            ("user", channel == Some("voice"))
        }
    };
    let part = match (role, audio) {
        ("assistant", true) => Part { kind: "output_audio", text: None, transcript: Some(text) },
        ("assistant", false) => Part { kind: "output_text", text: Some(text), transcript: None },
        (_, true) => Part { kind: "input_audio", text: None, transcript: Some(text) },
        (_, false) => Part { kind: "input_text", text: Some(text), transcript: None },
    };
    let item =
        Item { id, object: "realtime.item", kind: "message", status: "completed", role, content: [part] };
    let fields = serde_json::to_value(Retrieved { item }).unwrap_or(Value::Null);
    ids.event("conversation.item.retrieved", fields)
}

#[cfg(test)]
mod tests;
