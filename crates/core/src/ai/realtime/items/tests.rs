use std::cell::Cell;

use serde_json::json;

use super::*;

const SEED: &str = "3f2a9c1e-0000-4000-8000-000000000001";

fn ours(seq: u64) -> String {
    item_id(SEED, seq)
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Runs `events` (upstream frames) through `ids` with the log at `tail`; the rewritten events.
fn relay(ids: &mut ItemIds, tail: LogTail, events: &[Value]) -> Vec<Value> {
    events.iter().map(|e| parse(&ids.to_client(&e.to_string(), || tail))).collect()
}

fn assistant(id: &str, status: &str) -> Value {
    json!({"id": id, "object": "realtime.item", "type": "message", "status": status, "role": "assistant",
           "content": []})
}

fn user(id: &str) -> Value {
    json!({"id": id, "object": "realtime.item", "type": "message", "status": "completed", "role": "user",
           "content": [{"type": "input_audio", "transcript": null}]})
}

/// An audio response as the upstream streams it: item `id` after `previous`.
fn spoken_reply(id: &str, previous: Option<&str>) -> Vec<Value> {
    let at = |kind: &str| {
        json!({"type": kind, "event_id": "e", "response_id": "resp_u", "item_id": id,
                                  "output_index": 0, "content_index": 0})
    };
    let mut delta = at("response.output_audio.delta");
    delta["delta"] = json!("AAAA");
    vec![
        json!({"type": "response.created", "event_id": "e", "response": {"id": "resp_u", "output": []}}),
        json!({"type": "response.output_item.added", "event_id": "e", "response_id": "resp_u", "output_index": 0,
               "item": assistant(id, "in_progress")}),
        json!({"type": "conversation.item.added", "event_id": "e", "previous_item_id": previous,
               "item": assistant(id, "in_progress")}),
        at("response.content_part.added"),
        delta,
        at("response.output_audio_transcript.delta"),
        at("response.output_audio.done"),
        json!({"type": "conversation.item.done", "event_id": "e", "previous_item_id": previous,
               "item": assistant(id, "completed")}),
        json!({"type": "response.done", "event_id": "e", "response": {"id": "resp_u", "status": "completed",
               "output": [assistant(id, "completed")]}}),
    ]
}

/// The ids an event names: `item_id`, `item.id`, `response.output[].id`.
fn named(e: &Value) -> Vec<&str> {
    let mut out: Vec<&str> =
        [e.get("item_id"), e.pointer("/item/id")].into_iter().flatten().filter_map(Value::as_str).collect();
    if let Some(Value::Array(items)) = e.pointer("/response/output") {
        out.extend(items.iter().filter_map(|i| i["id"].as_str()));
    }
    out
}

#[test]
fn a_spoken_turn_reads_as_the_log() {
    let mut ids = ItemIds::new(SEED);
    // The greeting (the first question, message 1).
    let q1 = LogTail { last_seq: 1, question_seq: 1 };
    for e in relay(&mut ids, q1, &spoken_reply("item_up_A", None)) {
        assert!(named(&e).iter().all(|id| *id == ours(1)), "{e}");
        if let Some(previous) = e.get("previous_item_id") {
            assert_eq!(previous, &Value::Null, "{e}");
        }
    }
    // The candidate speaks: server VAD names the item before it is added.
    let answer = [
        json!({"type": "input_audio_buffer.speech_started", "event_id": "e", "audio_start_ms": 10, "item_id": "item_up_B"}),
        json!({"type": "input_audio_buffer.speech_stopped", "event_id": "e", "audio_end_ms": 900, "item_id": "item_up_B"}),
        json!({"type": "input_audio_buffer.committed", "event_id": "e", "item_id": "item_up_B", "previous_item_id": "item_up_A"}),
        json!({"type": "conversation.item.added", "event_id": "e", "previous_item_id": "item_up_A", "item": user("item_up_B")}),
        json!({"type": "conversation.item.done", "event_id": "e", "previous_item_id": "item_up_A", "item": user("item_up_B")}),
        json!({"type": "conversation.item.input_audio_transcription.completed", "event_id": "e", "item_id": "item_up_B",
               "content_index": 0, "transcript": "An answer."}),
    ];
    for e in relay(&mut ids, q1, &answer) {
        assert_eq!(named(&e), [ours(2).as_str()], "{e}");
        if let Some(previous) = e.get("previous_item_id") {
            assert_eq!(previous, &json!(ours(1)), "{e}");
        }
    }
    // The reply (message 3) follows the function call and its output, which the client never
    // sees: it names the answer, not the hidden output.
    let q3 = LogTail { last_seq: 3, question_seq: 3 };
    for e in relay(&mut ids, q3, &spoken_reply("item_up_D", Some("item_up_C_output"))) {
        assert!(named(&e).iter().all(|id| *id == ours(3)), "{e}");
        if let Some(previous) = e.get("previous_item_id") {
            assert_eq!(previous, &json!(ours(2)), "{e}");
        }
    }
    assert_eq!(ids.upstream_id(&ours(3)), Some("item_up_D"));
    assert_eq!(ids.upstream_id(&ours(2)), Some("item_up_B"));
    assert_eq!(ids.upstream_id("item_unknown"), None);
}

#[test]
fn a_typed_answer_is_the_stored_answer() {
    let mut ids = ItemIds::new(SEED);
    relay(&mut ids, LogTail { last_seq: 1, question_seq: 1 }, &spoken_reply("item_up_A", None));
    // A typed answer is stored (message 2) before it is forwarded; the upstream echoes it.
    let typed = json!({"type": "conversation.item.added", "event_id": "e", "previous_item_id": "item_up_A",
        "item": {"id": "item_up_T", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}});
    let e = relay(&mut ids, LogTail { last_seq: 2, question_seq: 1 }, &[typed]).remove(0);
    assert_eq!((e["item"]["id"].clone(), e["previous_item_id"].clone()), (json!(ours(2)), json!(ours(1))));
    assert_eq!(e["item"]["content"][0]["text"], "x", "the rest of the event is unchanged");
}

#[test]
fn a_reconnect_binds_the_question_to_the_same_id() {
    let q = LogTail { last_seq: 5, question_seq: 5 };
    let first = relay(&mut ItemIds::new(SEED), q, &spoken_reply("item_up_A", Some("item_up_Z")));
    // A new upstream connection has new ids; the question it says again is the same item.
    let again = relay(&mut ItemIds::new(SEED), q, &spoken_reply("item_other", None));
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(named(a), named(b));
        assert_eq!(a.get("previous_item_id"), b.get("previous_item_id"));
    }
    assert_eq!(named(&first[1]), [ours(5).as_str()]);
    assert_eq!(first[2]["previous_item_id"], json!(ours(4)));
}

#[test]
fn further_interviewer_items_are_asides_after_the_last_item() {
    let mut ids = ItemIds::new(SEED);
    let q1 = LogTail { last_seq: 1, question_seq: 1 };
    relay(&mut ids, q1, &spoken_reply("item_up_A", None));
    // The model speaks again before the next question (a filler, a repeat).
    let aside = relay(&mut ids, q1, &spoken_reply("item_up_F", Some("item_up_A")));
    let aside_id = format!("{}_1", ours(1));
    assert_eq!(named(&aside[1]), [aside_id.as_str()]);
    assert_eq!(aside[2]["previous_item_id"], json!(ours(1)));
    assert_eq!(message_seq(SEED, &aside_id), None, "an aside is no message");
    // The answer then follows the aside, so a client's history keeps the spoken order.
    let spoken = json!({"type": "conversation.item.added", "previous_item_id": "item_up_F", "item": user("item_up_B")});
    let e = relay(&mut ids, q1, &[spoken]).remove(0);
    assert_eq!((e["item"]["id"].clone(), e["previous_item_id"].clone()), (json!(ours(2)), json!(aside_id)));
    // Several candidate items before the next question are the one answer.
    let again = json!({"type": "input_audio_buffer.committed", "item_id": "item_up_B2", "previous_item_id": "item_up_B"});
    assert_eq!(relay(&mut ids, q1, &[again]).remove(0)["item_id"], json!(ours(2)));
}

#[test]
fn hidden_and_unknown_items_keep_their_ids_and_need_no_log() {
    let mut ids = ItemIds::new(SEED);
    let reads = Cell::new(0);
    let tail = || {
        reads.set(reads.get() + 1);
        LogTail { last_seq: 1, question_seq: 1 }
    };
    let call = json!({"type": "conversation.item.added", "previous_item_id": "p",
                      "item": {"id": "item_fc", "type": "function_call", "call_id": "c", "name": "n", "arguments": ""}})
    .to_string();
    assert!(matches!(ids.to_client(&call, tail), Cow::Borrowed(_)));
    // A delta of an item no event introduced (say, after a restart): passed as it is.
    let delta = r#"{"type":"response.output_text.delta","item_id":"item_x","delta":"hi"}"#;
    assert!(matches!(ids.to_client(delta, tail), Cow::Borrowed(_)));
    // Events that name no item are not even parsed.
    for raw in [
        r#"{"type":"rate_limits.updated","rate_limits":[]}"#,
        r#"{"type":"input_audio_buffer.cleared","event_id":"e"}"#,
        r#"{"type":"response.created","response":{"id":"r","output":[]}}"#,
    ] {
        assert!(matches!(ids.to_client(raw, tail), Cow::Borrowed(_)), "{raw}");
    }
    assert_eq!(reads.get(), 0, "the log is read only to bind a visible item");
    // Once bound, an item's events do not read the log again.
    let added = json!({"type": "response.output_item.added", "item": assistant("item_up_A", "in_progress")});
    ids.to_client(&added.to_string(), tail);
    let delta = r#"{"type":"response.output_audio.delta","item_id":"item_up_A","delta":"AAAA"}"#;
    for _ in 0..3 {
        assert_eq!(parse(&ids.to_client(delta, tail))["item_id"], json!(ours(1)));
    }
    assert_eq!(reads.get(), 1);
}

#[test]
fn the_fast_path_swaps_only_the_ids() {
    let mut ids = ItemIds::new(SEED);
    let q = || LogTail { last_seq: 1, question_seq: 1 };
    ids.to_client(
        &json!({"type": "conversation.item.added", "item": assistant("item_up_A", "in_progress")})
            .to_string(),
        q,
    );
    let b64 = "QUJD".repeat(1_600);
    let raw = format!(
        r#"{{"type":"response.output_audio.delta","event_id":"event_9","response_id":"resp_1","item_id":"item_up_A","output_index":0,"content_index":0,"delta":"{b64}"}}"#
    );
    let out = ids.to_client(&raw, q);
    assert_eq!(out, raw.replace("item_up_A", &ours(1)), "byte for byte, but the id");
    // An escaped id is parsed instead, with the same result.
    let escaped = r#"{"type":"response.output_text.delta","item_id":"item\u005fup_A","delta":"a"}"#;
    assert_eq!(parse(&ids.to_client(escaped, q))["item_id"], json!(ours(1)));
    // committed: both ids in place, `null` or a string.
    let committed =
        r#"{"type":"input_audio_buffer.committed","item_id":"item_up_B","previous_item_id":null}"#;
    let out = ids.to_client(committed, || LogTail { last_seq: 1, question_seq: 1 });
    assert_eq!(
        out,
        format!(
            r#"{{"type":"input_audio_buffer.committed","item_id":"{}","previous_item_id":"{}"}}"#,
            ours(2),
            ours(1)
        )
    );
}

#[test]
fn message_ids_parse_back_to_sequence_numbers() {
    assert_eq!(message_seq(SEED, &ours(7)), Some(7));
    assert_eq!(message_seq(SEED, &ours(12)), Some(12));
    for other in
        ["", "item_", "item_x_1", &format!("{}_2", ours(1)), &format!("{}x", ours(1)), "item_3f2a9c1e0000_01"]
    {
        assert_eq!(message_seq(SEED, other), None, "{other}");
    }
}

fn message(seq: u32, message_type: MessageType, text: &str, channel: &str) -> StoredMessage {
    StoredMessage {
        seq,
        id: format!("m{seq}"),
        message_type,
        content_text: text.to_owned(),
        audio_url: None,
        metadata: json!({"client_metadata": {"channel": channel}}),
        response_time_ms: None,
        created_ms: 0,
    }
}

#[test]
fn retrieve_is_answered_from_the_log() {
    let ids = EventIds::new("n");
    let log = [
        message(1, MessageType::AiQuestion, "What is JSX?", ""),
        message(2, MessageType::CandidateResponse, "Syntax sugar.", "voice"),
        message(3, MessageType::CandidateResponse, "Typed.", "realtime"),
    ];
    let lookup = |seq: u64| log.iter().find(|m| u64::from(m.seq) == seq).cloned();
    let got = parse(&retrieve_answer(&ids, SEED, &ours(1), true, lookup, Some("evt_1")));
    assert_eq!(got["type"], "conversation.item.retrieved");
    assert!(got["event_id"].is_string());
    assert_eq!(
        got["item"],
        json!({"id": ours(1), "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant",
               "content": [{"type": "output_audio", "transcript": "What is JSX?"}]})
    );
    let text = parse(&retrieve_answer(&ids, SEED, &ours(1), false, lookup, None));
    assert_eq!(text["item"]["content"], json!([{"type": "output_text", "text": "What is JSX?"}]));
    let spoken = parse(&retrieve_answer(&ids, SEED, &ours(2), true, lookup, None));
    assert_eq!(spoken["item"]["role"], "user");
    assert_eq!(spoken["item"]["content"], json!([{"type": "input_audio", "transcript": "Syntax sugar."}]));
    let typed = parse(&retrieve_answer(&ids, SEED, &ours(3), true, lookup, None));
    assert_eq!(typed["item"]["content"], json!([{"type": "input_text", "text": "Typed."}]));

    for unknown in [ours(9), format!("{}_1", ours(1)), "item_up_A".to_owned()] {
        let e = parse(&retrieve_answer(&ids, SEED, &unknown, true, lookup, Some("evt_2")));
        assert_eq!(e["type"], "error", "{unknown}");
        assert_eq!(e["error"]["code"], "item_not_found");
        assert_eq!(e["error"]["type"], "invalid_request_error");
        assert_eq!(e["error"]["event_id"], "evt_2");
        assert_eq!(e["error"]["param"], Value::Null);
    }
}

/// Not a benchmark with a verdict: prints how long the id swap takes on 10 000 audio deltas of
/// 100 ms (6 400 base64 characters), next to the fast path's redaction of the same frames, so
/// the swap's share of the relay's per-event work is visible in `--nocapture` runs.
#[test]
fn ten_thousand_audio_deltas_get_their_ids_swapped() {
    let mut ids = ItemIds::new(SEED);
    let q = || LogTail { last_seq: 1, question_seq: 1 };
    ids.to_client(
        &json!({"type": "conversation.item.added", "item": assistant("item_up_A", "in_progress")})
            .to_string(),
        q,
    );
    let distinct: Vec<String> = (0..16)
        .map(|n| {
            format!(
                r#"{{"type":"response.output_audio.delta","event_id":"event_{n}","response_id":"resp_1","item_id":"item_up_A","output_index":0,"content_index":0,"delta":"{}"}}"#,
                "QUJD".repeat(1_600)
            )
        })
        .collect();
    let frames: Vec<&String> = distinct.iter().cycle().take(10_000).collect();
    let started = std::time::Instant::now();
    let redacted = frames
        .iter()
        .filter(|f| super::super::server_events::redact_upstream(f).client_text().is_some())
        .count();
    let redact = started.elapsed();
    let started = std::time::Instant::now();
    let swapped = frames.iter().filter(|f| matches!(ids.to_client(f, q), Cow::Owned(_))).count();
    let swap = started.elapsed();
    let started = std::time::Instant::now();
    let both = frames
        .iter()
        .filter(|f| {
            let (redacted, peeked) = super::super::server_events::redact_peeked(f);
            let out = redacted.client_text().map(|t| ids.to_client_peeked(t, &peeked, q));
            matches!(out, Some(Cow::Owned(_)))
        })
        .count();
    let together = started.elapsed();
    assert_eq!((redacted, swapped, both), (10_000, 10_000, 10_000));
    println!("10k audio deltas: redaction {redact:?}, id swap {swap:?}, both with one walk {together:?}");
}

#[test]
fn many_candidate_items_never_push_out_the_question() {
    let mut ids = ItemIds::new(SEED);
    let q = || LogTail { last_seq: 1, question_seq: 1 };
    relay(&mut ids, LogTail { last_seq: 1, question_seq: 1 }, &spoken_reply("item_up_A", None));
    // Server VAD announcing far more utterances than the mapper keeps.
    for n in 0..(3 * MAX_BINDINGS) {
        let raw = format!(r#"{{"type":"input_audio_buffer.speech_started","item_id":"item_up_s{n}"}}"#);
        assert_eq!(parse(&ids.to_client(&raw, q))["item_id"], json!(ours(2)));
    }
    assert!(ids.bindings.len() <= MAX_BINDINGS);
    let delta = r#"{"type":"response.output_audio.delta","item_id":"item_up_A","delta":"AAAA"}"#;
    assert_eq!(parse(&ids.to_client(delta, q))["item_id"], json!(ours(1)));
    assert_eq!(ids.upstream_id(&ours(2)), Some(format!("item_up_s{}", 3 * MAX_BINDINGS - 1).as_str()));
}
