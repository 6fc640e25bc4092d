//! The events the DO writes to the browser itself (docs/voice.md#providers): the Realtime GA event sequence
//! of a typed turn answered by the built-in interviewer (no OpenAI key), and the product's own
//! `interview.state`, `interview.evaluation`, `interview.completed` and `error` events.
//!
//! A typed turn without a key reads, to the client, like a text-only response of the real API
//! (OpenAI's Realtime GA events), so one client works against both:
//!
//! ```text
//! conversation.item.added / .done        the candidate's item (input_text)
//! response.created
//! response.output_item.added, conversation.item.added, response.content_part.added
//! response.output_text.delta × n         the reply in word-ish chunks
//! response.output_text.done, response.content_part.done, conversation.item.done,
//! response.output_item.done
//! response.done                          status completed, zero usage
//! ```
//!
//! Ids (`item_…`, `resp_…`, `event_…`) are derived from a seed (the interview id) and a counter
//! (the candidate message's sequence number), so the same turn always produces the same frames.
//!
//! Must not: put evaluations anywhere but `interview.evaluation` (and only when live feedback is
//! on), or upstream error text in an `error` event.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::client_events::ClientFrame;
use crate::domain::engine::EngineLimits;
use crate::domain::enums::{CompletionReason, Difficulty};
use crate::domain::evaluation::Evaluation;
use crate::domain::interviewer::Session;

/// Words per `response.output_text.delta`.
pub const WORDS_PER_DELTA: usize = 3;

/// How many characters of the seed go into ids.
const SEED_CHARS: usize = 12;

/// Error codes that are the server's fault (`error.type: "server_error"`); every other code is
/// an `invalid_request_error`.
const SERVER_ERROR_CODES: &[&str] = &["upstream_error", "upstream_unavailable", "internal_error"];

/// Upstream error codes caused by the client's own (allowed) events, passed on with our wording.
const CLIENT_CAUSED_UPSTREAM_CODES: &[(&str, &str)] = &[
    ("input_audio_buffer_commit_empty", "There is not enough audio to commit (at least 100 ms is needed)."),
    ("response_cancel_not_active", "There is no response to cancel."),
    ("conversation_already_has_active_response", "A response is already in progress."),
];

/// The ids of one built-in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnIds {
    pub user_item: String,
    pub assistant_item: String,
    pub response: String,
    event_prefix: String,
}

impl TurnIds {
    /// Ids for turn `counter` of the interview `seed` (only its first ASCII letters and digits
    /// are used).
    #[must_use]
    pub fn new(seed: &str, counter: u64) -> Self {
        let seed: String = seed.chars().filter(char::is_ascii_alphanumeric).take(SEED_CHARS).collect();
        let tag = format!("{seed}_{counter}");
        TurnIds {
            user_item: format!("item_{tag}_u"),
            assistant_item: format!("item_{tag}_a"),
            response: format!("resp_{tag}"),
            event_prefix: format!("event_{tag}_"),
        }
    }

    fn event_id(&self, n: usize) -> String {
        format!("{}{n}", self.event_prefix)
    }
}

/// Splits `text` into chunks of [`WORDS_PER_DELTA`] words, each with the whitespace after it, so
/// the chunks concatenate to `text` exactly.
#[must_use]
pub fn text_deltas(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut words, mut in_word) = (0, 0, false);
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                words += 1;
                in_word = false;
            }
        } else {
            if !in_word && words == WORDS_PER_DELTA {
                out.push(&text[start..i]);
                start = i;
                words = 0;
            }
            in_word = true;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn user_item(id: &str, text: &str) -> Value {
    json!({"id": id, "object": "realtime.item", "type": "message", "status": "completed", "role": "user",
           "content": [{"type": "input_text", "text": text}]})
}

fn assistant_item(id: &str, text: Option<&str>) -> Value {
    let (status, content) = match text {
        Some(text) => ("completed", json!([{"type": "output_text", "text": text}])),
        None => ("in_progress", json!([])),
    };
    json!({"id": id, "object": "realtime.item", "type": "message", "status": status, "role": "assistant",
           "content": content})
}

fn response(id: &str, status: &str, output: &Value, usage: &Value) -> Value {
    json!({"id": id, "object": "realtime.response", "status": status, "status_details": null,
           "output": output, "output_modalities": ["text"], "usage": usage, "metadata": null})
}

fn zero_usage() -> Value {
    json!({"total_tokens": 0, "input_tokens": 0, "output_tokens": 0,
           "input_token_details": {"text_tokens": 0, "audio_tokens": 0, "cached_tokens": 0},
           "output_token_details": {"text_tokens": 0, "audio_tokens": 0}})
}

/// Appends events, numbering their `event_id`s.
struct Events<'a> {
    ids: &'a TurnIds,
    out: Vec<String>,
}

impl Events<'_> {
    fn push(&mut self, kind: &str, mut fields: Value) {
        if let Value::Object(map) = &mut fields {
            map.insert("type".into(), Value::from(kind));
            map.insert("event_id".into(), Value::from(self.ids.event_id(self.out.len() + 1)));
        }
        self.out.push(fields.to_string());
    }
}

/// The GA events of a typed turn answered by the built-in interviewer: `candidate_text` is the
/// candidate's answer, `reply_text` the interviewer's reply (the next question, or the closing
/// message). `seed` and `counter` make the ids (see [`TurnIds::new`]).
#[must_use]
pub fn typed_turn_events(seed: &str, counter: u64, candidate_text: &str, reply_text: &str) -> Vec<String> {
    let ids = TurnIds::new(seed, counter);
    let mut ev = Events { ids: &ids, out: Vec::new() };
    let (user, assistant, resp) =
        (ids.user_item.as_str(), ids.assistant_item.as_str(), ids.response.as_str());

    let item = user_item(user, candidate_text);
    ev.push("conversation.item.added", json!({"previous_item_id": null, "item": item}));
    ev.push("conversation.item.done", json!({"previous_item_id": null, "item": item}));
    ev.push("response.created", json!({"response": response(resp, "in_progress", &json!([]), &Value::Null)}));
    let pending = assistant_item(assistant, None);
    ev.push("response.output_item.added", json!({"response_id": resp, "output_index": 0, "item": pending}));
    ev.push("conversation.item.added", json!({"previous_item_id": user, "item": pending}));
    let at = json!({"response_id": resp, "item_id": assistant, "output_index": 0, "content_index": 0});
    let with = |extra: Value| {
        let mut fields = at.clone();
        if let (Value::Object(fields), Value::Object(extra)) = (&mut fields, extra) {
            fields.extend(extra);
        }
        fields
    };
    ev.push("response.content_part.added", with(json!({"part": {"type": "text", "text": ""}})));
    for delta in text_deltas(reply_text) {
        ev.push("response.output_text.delta", with(json!({"delta": delta})));
    }
    ev.push("response.output_text.done", with(json!({"text": reply_text})));
    ev.push("response.content_part.done", with(json!({"part": {"type": "text", "text": reply_text}})));
    let done = assistant_item(assistant, Some(reply_text));
    ev.push("conversation.item.done", json!({"previous_item_id": user, "item": done}));
    ev.push("response.output_item.done", json!({"response_id": resp, "output_index": 0, "item": done}));
    ev.push("response.done", json!({"response": response(resp, "completed", &json!([done]), &zero_usage())}));
    ev.out
}

/// An interviewer message as a completed conversation item (`conversation.item.added` and
/// `.done`): how the latest question is replayed to a client that (re)connects. `counter` should
/// be the question message's sequence number.
#[must_use]
pub fn assistant_message_events(seed: &str, counter: u64, text: &str) -> Vec<String> {
    let ids = TurnIds::new(seed, counter);
    let mut ev = Events { ids: &ids, out: Vec::new() };
    let item = assistant_item(&ids.assistant_item, Some(text));
    ev.push("conversation.item.added", json!({"previous_item_id": null, "item": item}));
    ev.push("conversation.item.done", json!({"previous_item_id": null, "item": item}));
    ev.out
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

/// `{"type":"interview.state", question_number, total_questions, current_difficulty, questions_asked}`.
#[must_use]
pub fn state_event(progress: &InterviewProgress) -> String {
    json!({
        "type": "interview.state",
        "question_number": progress.question_number,
        "total_questions": progress.total_questions,
        "current_difficulty": progress.current_difficulty,
        "questions_asked": progress.questions_asked,
    })
    .to_string()
}

/// `{"type":"interview.evaluation", question_number, evaluation}` for the answer to question
/// `question_number` — only when `show_live_feedback` (`SHOW_LIVE_FEEDBACK`, a practice setting);
/// `None` otherwise.
#[must_use]
pub fn evaluation_event(
    show_live_feedback: bool,
    question_number: u32,
    evaluation: &Evaluation,
) -> Option<String> {
    show_live_feedback.then(|| {
        json!({"type": "interview.evaluation", "question_number": question_number, "evaluation": evaluation})
            .to_string()
    })
}

/// `{"type":"interview.completed", completion_reason}`; the DO then closes with
/// [`super::CLOSE_COMPLETED`].
#[must_use]
pub fn completed_event(reason: CompletionReason) -> String {
    json!({"type": "interview.completed", "completion_reason": reason}).to_string()
}

/// An `error` event in the GA shape: `{"type":"error","error":{"type","code","message"}}`, with
/// `error.type` `server_error` for the server's own failures and `invalid_request_error` for
/// everything the client caused.
#[must_use]
pub fn error_event(code: &str, message: &str) -> String {
    let kind = if SERVER_ERROR_CODES.contains(&code) { "server_error" } else { "invalid_request_error" };
    json!({"type": "error", "error": {"type": kind, "code": code, "message": message}}).to_string()
}

/// The answer to an audio event when no voice provider is configured.
#[must_use]
pub fn voice_unavailable_event() -> String {
    error_event("voice_unavailable", "Voice is not available for this interview; answer in text instead.")
}

/// The `error` event answering a rejected client frame; `None` for any other frame.
#[must_use]
pub fn rejection_event(frame: &ClientFrame) -> Option<String> {
    match frame {
        ClientFrame::Rejected { code, message } => Some(error_event(code.as_str(), message)),
        _ => None,
    }
}

/// What the client hears about an upstream `error` (`server_events::UpstreamEvent::Error`): the
/// codes its own events can cause, with our wording; anything else as `upstream_error`. The
/// upstream's message is never passed on.
#[must_use]
pub fn upstream_error_event(code: Option<&str>) -> String {
    match CLIENT_CAUSED_UPSTREAM_CODES.iter().find(|(c, _)| Some(*c) == code) {
        Some((code, message)) => error_event(code, message),
        None => error_event(
            "upstream_error",
            "The voice service reported an error. You can continue in text, or reconnect.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::realtime::client_events::RejectCode;
    use crate::domain::enums::{AnswerQuality, RoleType};

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    const REPLY: &str = "Thanks.  Let's move on to hooks.\nWhat does useEffect's dependency array do?";

    #[test]
    fn a_typed_turn_follows_the_ga_order() {
        let events: Vec<Value> =
            typed_turn_events("3f2a9c1e-0000-4000-8000-000000000001", 7, "It memoizes.", REPLY)
                .iter()
                .map(|e| parse(e))
                .collect();
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap_or("?")).collect();
        let deltas = text_deltas(REPLY).len();
        assert!(deltas >= 3, "several deltas: {deltas}");
        let mut expected = vec![
            "conversation.item.added",
            "conversation.item.done",
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
        ];
        expected.extend(std::iter::repeat_n("response.output_text.delta", deltas));
        expected.extend([
            "response.output_text.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
        ]);
        assert_eq!(types, expected);

        // The candidate's item comes first, as a user input_text message.
        assert_eq!(events[0]["item"]["role"], "user");
        assert_eq!(events[1]["item"]["content"][0], json!({"type": "input_text", "text": "It memoizes."}));
        // The deltas concatenate to the reply, which .done and response.done repeat.
        let streamed: String = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .filter_map(|e| e["delta"].as_str())
            .collect();
        assert_eq!(streamed, REPLY);
        let text_done =
            events.iter().find(|e| e["type"] == "response.output_text.done").cloned().unwrap_or_default();
        assert_eq!(text_done["text"], REPLY);
        let done = events.last().cloned().unwrap_or_default();
        assert_eq!(done["response"]["status"], "completed");
        assert_eq!(done["response"]["output"][0]["content"][0]["text"], REPLY);
        assert_eq!(done["response"]["usage"]["total_tokens"], 0);
    }

    #[test]
    fn ids_are_deterministic_and_consistent() {
        let a = typed_turn_events("interview-1", 3, "x", REPLY);
        assert_eq!(a, typed_turn_events("interview-1", 3, "x", REPLY));
        let b = typed_turn_events("interview-1", 4, "x", REPLY);
        let ids = |events: &[String]| -> Vec<String> {
            events.iter().map(|e| parse(e)["event_id"].as_str().unwrap_or_default().to_owned()).collect()
        };
        let (ids_a, ids_b) = (ids(&a), ids(&b));
        let unique: std::collections::HashSet<&String> = ids_a.iter().chain(&ids_b).collect();
        assert_eq!(unique.len(), ids_a.len() + ids_b.len(), "event ids are unique across turns");

        let t = TurnIds::new("interview-1", 3);
        assert_eq!((t.user_item.as_str(), t.response.as_str()), ("item_interview1_3_u", "resp_interview1_3"));
        for e in a.iter().map(|e| parse(e)) {
            if let Some(id) = e.get("response_id") {
                assert_eq!(id, "resp_interview1_3");
            }
            if let Some(id) = e.get("item_id") {
                assert_eq!(id, "item_interview1_3_a");
            }
        }
        // Hostile seeds cannot break out of the id.
        assert_eq!(TurnIds::new("\"}{evil", 1).response, "resp_evil_1");
    }

    #[test]
    fn deltas_split_on_words_and_keep_every_character() {
        for text in ["", "one", "  lead and trail  ", "a b c d e f g", "x\n\ny\tz w", "héllo wörld ✓ ok done"]
        {
            let chunks = text_deltas(text);
            assert_eq!(chunks.concat(), text, "{text:?}");
            assert!(chunks.iter().all(|c| c.split_whitespace().count() <= WORDS_PER_DELTA), "{chunks:?}");
            assert!(chunks.iter().all(|c| !c.is_empty()));
        }
        assert_eq!(text_deltas("a b c d e"), ["a b c ", "d e"]);
        assert!(text_deltas("").is_empty());
    }

    #[test]
    fn the_latest_question_replays_as_an_assistant_item() {
        let events: Vec<Value> =
            assistant_message_events("i", 9, "What is JSX?").iter().map(|e| parse(e)).collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["type"], "conversation.item.added");
        assert_eq!(events[1]["type"], "conversation.item.done");
        assert_eq!(events[1]["item"]["role"], "assistant");
        assert_eq!(events[1]["item"]["content"][0]["text"], "What is JSX?");
    }

    fn evaluation() -> Evaluation {
        Evaluation {
            answer_quality: AnswerQuality::Good,
            technical_accuracy: 0.8,
            explanation_clarity: 0.7,
            identified_skills: vec!["hooks".into()],
            skill_area: "state_hooks".into(),
            missed_concepts: vec![],
            cross_check: None,
        }
    }

    #[test]
    fn product_events_have_the_spec_fields() {
        let p = InterviewProgress {
            question_number: 4,
            total_questions: 14,
            current_difficulty: Difficulty::Intermediate,
            questions_asked: 3,
        };
        assert_eq!(
            parse(&state_event(&p)),
            json!({"type": "interview.state", "question_number": 4, "total_questions": 14,
                   "current_difficulty": "intermediate", "questions_asked": 3})
        );
        assert_eq!(evaluation_event(false, 3, &evaluation()), None, "no scores without live feedback");
        let live = parse(&evaluation_event(true, 3, &evaluation()).unwrap_or_default());
        assert_eq!(live["type"], "interview.evaluation");
        assert_eq!(live["question_number"], 3);
        assert_eq!(live["evaluation"]["answer_quality"], "good");
        assert_eq!(
            parse(&completed_event(CompletionReason::CriteriaMet)),
            json!({"type": "interview.completed", "completion_reason": "criteria_met"})
        );
    }

    #[test]
    fn progress_follows_the_session() {
        let session = Session::start("00000000-0000-4000-8000-000000000002", RoleType::Python, None);
        let p = InterviewProgress::from_session(&session, &EngineLimits::default());
        assert_eq!((p.question_number, p.questions_asked, p.current_difficulty), (1, 0, Difficulty::Warmup));
        assert!(p.total_questions >= 1 && p.total_questions <= 20);
    }

    #[test]
    fn errors_have_the_ga_shape_and_hide_upstream_text() {
        assert_eq!(
            parse(&error_event("event_not_allowed", "no")),
            json!({"type": "error", "error": {"type": "invalid_request_error", "code": "event_not_allowed", "message": "no"}})
        );
        assert_eq!(parse(&voice_unavailable_event())["error"]["code"], "voice_unavailable");
        let rejected = ClientFrame::Rejected { code: RejectCode::InvalidJson, message: "bad".into() };
        assert_eq!(parse(&rejection_event(&rejected).unwrap_or_default())["error"]["code"], "invalid_json");
        assert_eq!(rejection_event(&ClientFrame::Ping), None);

        let passed = parse(&upstream_error_event(Some("response_cancel_not_active")));
        assert_eq!(passed["error"]["code"], "response_cancel_not_active");
        for code in [None, Some("session_expired"), Some("server_error"), Some("invalid_api_key")] {
            let e = parse(&upstream_error_event(code));
            assert_eq!(
                (e["error"]["type"].as_str(), e["error"]["code"].as_str()),
                (Some("server_error"), Some("upstream_error"))
            );
        }
    }
}
