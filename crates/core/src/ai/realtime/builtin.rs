//! The Realtime GA event sequence of a typed turn answered by the built-in interviewer (no
//! OpenAI key), and the replay of the latest question on a (re)connect (docs/voice.md#providers).
//! The product's own events and `error` are in `events.rs`.
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
//! Item ids are those of the interview's messages: [`item_id`] of the interview id and the
//! message's sequence number, so a question has one id for the interview's life (streamed as a
//! reply, then replayed on every reconnect) and every item names the one before it in
//! `previous_item_id` (only the first question has none), which is how clients order history.

use serde_json::{json, Value};

use super::events::EventIds;

/// Words per `response.output_text.delta`.
pub const WORDS_PER_DELTA: usize = 3;

/// How many characters of the seed go into ids.
const SEED_CHARS: usize = 12;

fn clean_seed(seed: &str) -> String {
    seed.chars().filter(char::is_ascii_alphanumeric).take(SEED_CHARS).collect()
}

/// The conversation item id of message `seq` of the interview `seed` (only the seed's first
/// ASCII letters and digits are used): the same for the message's whole life.
#[must_use]
pub fn item_id(seed: &str, seq: u64) -> String {
    format!("item_{}_{seq}", clean_seed(seed))
}

/// The item before message `seq`: `None` for the first message.
fn previous_item(seed: &str, seq: u64) -> Value {
    if seq > 1 {
        Value::from(item_id(seed, seq - 1))
    } else {
        Value::Null
    }
}

/// The ids of one built-in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnIds {
    /// The item before the answer (the question it answers), or `null`.
    previous: Value,
    pub user_item: String,
    pub assistant_item: String,
    pub response: String,
}

impl TurnIds {
    /// Ids for the answer stored as message `answer_seq` of the interview `seed` and the reply
    /// stored as message `reply_seq`.
    #[must_use]
    pub fn new(seed: &str, answer_seq: u64, reply_seq: u64) -> Self {
        TurnIds {
            previous: previous_item(seed, answer_seq),
            user_item: item_id(seed, answer_seq),
            assistant_item: item_id(seed, reply_seq),
            response: format!("resp_{}_{reply_seq}", clean_seed(seed)),
        }
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

/// Appends events with their `event_id`s.
struct Events<'a> {
    ids: &'a EventIds,
    out: Vec<String>,
}

impl Events<'_> {
    fn push(&mut self, kind: &str, fields: Value) {
        self.out.push(self.ids.event(kind, fields));
    }
}

/// The GA events of a typed turn answered by the built-in interviewer: `candidate_text` is the
/// candidate's answer, `reply_text` the interviewer's reply (the next question, or the closing
/// message); `turn` names the items (see [`TurnIds::new`]).
#[must_use]
pub fn typed_turn_events(
    ids: &EventIds,
    turn: &TurnIds,
    candidate_text: &str,
    reply_text: &str,
) -> Vec<String> {
    let mut ev = Events { ids, out: Vec::new() };
    let (user, assistant, resp) =
        (turn.user_item.as_str(), turn.assistant_item.as_str(), turn.response.as_str());

    let item = user_item(user, candidate_text);
    ev.push("conversation.item.added", json!({"previous_item_id": turn.previous, "item": item}));
    ev.push("conversation.item.done", json!({"previous_item_id": turn.previous, "item": item}));
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
/// `.done`): how the latest question is replayed to a client that (re)connects, under the id it
/// had when it was streamed. `seq` is the message's sequence number in the interview `seed`.
#[must_use]
pub fn assistant_message_events(ids: &EventIds, seed: &str, seq: u64, text: &str) -> Vec<String> {
    let mut ev = Events { ids, out: Vec::new() };
    let item = assistant_item(&item_id(seed, seq), Some(text));
    let previous = previous_item(seed, seq);
    ev.push("conversation.item.added", json!({"previous_item_id": previous, "item": item}));
    ev.push("conversation.item.done", json!({"previous_item_id": previous, "item": item}));
    ev.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    const REPLY: &str = "Thanks.  Let's move on to hooks.\nWhat does useEffect's dependency array do?";

    #[test]
    fn a_typed_turn_follows_the_ga_order() {
        let turn = TurnIds::new("3f2a9c1e-0000-4000-8000-000000000001", 7, 8);
        let events: Vec<Value> = typed_turn_events(&EventIds::new("n"), &turn, "It memoizes.", REPLY)
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
    fn items_are_the_messages_and_name_their_predecessor() {
        let ids = EventIds::new("n");
        let turn = TurnIds::new("interview-1", 3, 4);
        assert_eq!(
            (turn.user_item.as_str(), turn.assistant_item.as_str(), turn.response.as_str()),
            ("item_interview1_3", "item_interview1_4", "resp_interview1_4")
        );
        let events: Vec<Value> =
            typed_turn_events(&ids, &turn, "x", REPLY).iter().map(|e| parse(e)).collect();
        let mut event_ids = std::collections::HashSet::new();
        for e in &events {
            assert!(event_ids.insert(e["event_id"].as_str().unwrap_or_default().to_owned()), "unique: {e}");
            if let Some(id) = e.get("response_id") {
                assert_eq!(id, "resp_interview1_4");
            }
            if let Some(id) = e.get("item_id") {
                assert_eq!(id, "item_interview1_4");
            }
            // Every item names the one before it: the question (2) before the answer (3), the
            // answer before the reply (4).
            match e["item"]["id"].as_str() {
                Some("item_interview1_3") => assert_eq!(e["previous_item_id"], "item_interview1_2", "{e}"),
                Some("item_interview1_4") if e.get("previous_item_id").is_some() => {
                    assert_eq!(e["previous_item_id"], "item_interview1_3", "{e}");
                }
                _ => {}
            }
        }
        // The reply, replayed on a reconnect, keeps its id and its predecessor.
        let replay: Vec<Value> =
            assistant_message_events(&ids, "interview-1", 4, REPLY).iter().map(|e| parse(e)).collect();
        assert_eq!(replay[1]["item"]["id"], "item_interview1_4");
        assert_eq!(replay[1]["previous_item_id"], "item_interview1_3");
        // Only the first question has no predecessor.
        let first = parse(&assistant_message_events(&ids, "interview-1", 1, "Q1")[0]);
        assert_eq!(first["previous_item_id"], Value::Null);
        // Hostile seeds cannot break out of the id.
        assert_eq!(TurnIds::new("\"}{evil", 1, 2).response, "resp_evil_2");
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
        let events: Vec<Value> = assistant_message_events(&EventIds::new("n"), "i", 9, "What is JSX?")
            .iter()
            .map(|e| parse(e))
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["type"], "conversation.item.added");
        assert_eq!(events[1]["type"], "conversation.item.done");
        assert_eq!(events[1]["item"]["role"], "assistant");
        assert_eq!(events[1]["item"]["content"][0]["text"], "What is JSX?");
    }
}
