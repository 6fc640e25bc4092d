//! Self-test of the fake OpenAI Realtime WebSocket and audio endpoints
//! (`tests/common/fake_openai/realtime.rs`, `tests/common/fake_openai.rs`), driven directly with the
//! test WebSocket client (`tests/common/ws.rs`) and reqwest. No `wrangler dev` here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake_openai::{
    FakeOpenAi, RealtimeDrop, DEFAULT_TRANSCRIPTION, REALTIME_PATH, SPEECH_PATH, TRANSCRIPTIONS_PATH,
};
use common::ws::{self, b64_decode, pcm16_silence, pcm16_tone, WsClient};
use serde_json::{json, Value};

const KEY: &str = "sk-test-fake";
const WAIT: Duration = Duration::from_secs(5);

async fn fake() -> FakeOpenAi {
    let fake = FakeOpenAi::start().await;
    fake.set_api_key(Some(KEY));
    fake
}

async fn open(fake: &FakeOpenAi) -> WsClient {
    let auth = format!("Bearer {KEY}");
    let mut client =
        ws::connect_with_headers(&fake.realtime_url, &[("authorization", &auth)]).await.expect("upgrade");
    let created = client.next_json(WAIT).await.expect("first event");
    assert_eq!(created["type"], "session.created");
    client
}

/// The session.update the relay is expected to send: instructions, server VAD, transcription, the tool.
fn session_update(with_transcription: bool) -> Value {
    let transcription = if with_transcription {
        json!({"model": "gpt-4o-mini-transcribe", "language": "en"})
    } else {
        Value::Null
    };
    json!({"type": "session.update", "event_id": "cli_session", "session": {
        "type": "realtime",
        "instructions": "You are a technical interviewer.",
        "output_modalities": ["audio"],
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": transcription,
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500,
                    "create_response": true, "interrupt_response": true}},
            "output": {"voice": "marin"}
        },
        "tools": [{"type": "function", "name": "evaluate_candidate_answer",
            "description": "Record the evaluation of the candidate's last answer.",
            "parameters": {"type": "object", "properties": {
                "answer_quality": {"type": "string", "enum": ["excellent", "good", "fair", "poor"]},
                "technical_accuracy": {"type": "number"}, "explanation_clarity": {"type": "number"},
                "identified_skills": {"type": "array", "items": {"type": "string"}},
                "skill_area": {"type": "string", "enum": ["react_hooks", "state_management"]}},
                "required": ["answer_quality", "technical_accuracy", "explanation_clarity",
                    "identified_skills", "skill_area"]}}],
        "tool_choice": "auto"
    }})
}

async fn configured(fake: &FakeOpenAi, with_transcription: bool) -> WsClient {
    let mut client = open(fake).await;
    client.send_json(&session_update(with_transcription)).await;
    let (updated, _) = client.wait_for("session.updated", WAIT).await.expect("session.updated");
    assert_eq!(updated["session"]["instructions"], "You are a technical interviewer.");
    client
}

fn typed(text: &str) -> Value {
    json!({"type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
}

/// Waits for `response.done` and returns it with every event of the response before it.
async fn response(client: &mut WsClient) -> (Value, Vec<Value>) {
    client.wait_for("response.done", WAIT).await.expect("response.done")
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

fn joined(events: &[Value], kind: &str) -> String {
    of_type(events, kind).iter().map(|e| e["delta"].as_str().unwrap()).collect()
}

/// The function call of a response: (call_id, parsed arguments).
fn function_call(done: &Value, events: &[Value]) -> (String, Value) {
    let item = &done["response"]["output"][0];
    assert_eq!(item["type"], "function_call");
    assert_eq!(item["name"], "evaluate_candidate_answer");
    let args_done = of_type(events, "response.function_call_arguments.done")[0];
    assert_eq!(args_done["arguments"], item["arguments"]);
    assert_eq!(joined(events, "response.function_call_arguments.delta"), item["arguments"].as_str().unwrap());
    let args: Value = serde_json::from_str(item["arguments"].as_str().unwrap()).expect("JSON arguments");
    (item["call_id"].as_str().unwrap().to_owned(), args)
}

#[tokio::test]
async fn handshake_needs_the_bearer_key_and_a_model() {
    let fake = fake().await;
    let refused = ws::connect(&fake.realtime_url).await.err().expect("no bearer refused");
    assert_eq!(refused.status(), Some(401));
    let wrong = ws::connect_with_headers(&fake.realtime_url, &[("authorization", "Bearer sk-wrong")]).await;
    assert_eq!(wrong.err().and_then(|e| e.status()), Some(401));
    let no_model = format!("ws://127.0.0.1:{}{REALTIME_PATH}", fake.port);
    let auth = format!("Bearer {KEY}");
    let refused = ws::connect_with_headers(&no_model, &[("authorization", &auth)]).await;
    assert_eq!(refused.err().and_then(|e| e.status()), Some(400));
    assert_eq!(fake.realtime_connections(), 0);
    assert_eq!(fake.calls_to(REALTIME_PATH), 3);

    let mut client = open(&fake).await;
    assert_eq!(fake.realtime_connections(), 1);
    let connection = fake.realtime_connection(0).unwrap();
    assert_eq!(connection.header("authorization"), Some(auth.as_str()));
    assert!(connection.target.ends_with("?model=gpt-realtime"));
    assert_eq!(connection.server_events[0]["session"]["type"], "realtime");
    client.close(1000, "done").await;
}

#[tokio::test]
async fn beta_header_is_refused_like_the_real_service() {
    let fake = fake().await;
    let auth = format!("Bearer {KEY}");
    let mut client = ws::connect_with_headers(
        &fake.realtime_url,
        &[("authorization", &auth), ("openai-beta", "realtime=v1")],
    )
    .await
    .expect("upgrade");
    let error = client.next_json(WAIT).await.expect("error");
    assert_eq!(error["error"]["code"], "beta_api_shape_disabled");
    assert_eq!(client.next_close(WAIT).await.map(|c| c.0), Some(4000));
}

#[tokio::test]
async fn session_update_is_recorded_merged_and_validated() {
    let fake = fake().await;
    let mut client = configured(&fake, true).await;
    let updates = fake.realtime_client_events_of_type("session.update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["session"]["tools"][0]["name"], "evaluate_candidate_answer");
    let server = fake.realtime_server_events(0);
    let updated = &server.iter().find(|e| e["type"] == "session.updated").unwrap()["session"];
    // Merged: the sent fields plus the defaults not sent.
    assert_eq!(updated["audio"]["input"]["turn_detection"]["type"], "server_vad");
    assert_eq!(updated["audio"]["input"]["transcription"]["model"], "gpt-4o-mini-transcribe");
    assert_eq!(updated["audio"]["output"]["format"]["rate"], 24000);

    // Beta-shaped or unknown fields are refused with the client's event_id; the session survives.
    client
        .send_json(&json!({"type": "session.update", "event_id": "cli_bad",
            "session": {"type": "realtime", "temperature": 0.7}}))
        .await;
    let (error, _) = client.wait_for("error", WAIT).await.expect("error");
    assert_eq!(error["error"]["code"], "unknown_parameter");
    assert_eq!(error["error"]["event_id"], "cli_bad");
    client.send_json(&json!({"type": "session.update", "session": {"instructions": "x"}})).await;
    let (error, _) = client.wait_for("error", WAIT).await.expect("error");
    assert_eq!(error["error"]["param"], "session.type");
    client.send_json(&json!({"type": "no.such.event"})).await;
    let (error, _) = client.wait_for("error", WAIT).await.expect("error");
    assert_eq!(error["error"]["code"], "invalid_value");
}

#[tokio::test]
async fn first_response_is_a_spoken_greeting_with_usage() {
    let fake = fake().await;
    let mut client = configured(&fake, true).await;
    client.send_json(&json!({"type": "response.create"})).await;
    let (done, events) = response(&mut client).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[0], "response.created");
    let transcript = joined(&events, "response.output_audio_transcript.delta");
    assert!(!transcript.is_empty());
    assert_eq!(
        of_type(&events, "response.output_audio_transcript.done")[0]["transcript"],
        transcript.as_str()
    );
    let audio = of_type(&events, "response.output_audio.delta");
    assert_eq!(audio.len(), 2);
    for chunk in audio {
        let pcm = b64_decode(chunk["delta"].as_str().unwrap()).unwrap();
        assert!(!pcm.is_empty() && pcm.len().is_multiple_of(2));
    }
    assert_eq!(done["response"]["status"], "completed");
    assert_eq!(done["response"]["output"][0]["content"][0]["transcript"], transcript.as_str());
    let usage = &done["response"]["usage"];
    assert!(usage["output_token_details"]["audio_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
    );
    assert!(usage["input_token_details"]["audio_tokens"].is_u64());
}

#[tokio::test]
async fn typed_turn_calls_the_tool_and_the_output_is_spoken() {
    let fake = fake().await;
    let mut client = configured(&fake, true).await;
    client.send_json(&typed("I would memoize with useMemo. STRONG")).await;
    let (added, _) = client.wait_for("conversation.item.added", WAIT).await.expect("item added");
    assert_eq!(added["item"]["role"], "user");
    client.wait_for("conversation.item.done", WAIT).await.expect("item done");
    client.send_json(&json!({"type": "response.create"})).await;
    let (done, events) = response(&mut client).await;
    let (call_id, args) = function_call(&done, &events);
    assert_eq!(args["answer_quality"], "excellent");
    assert_eq!(args["skill_area"], "react_hooks");
    assert!(args["technical_accuracy"].as_f64().unwrap() > 0.9);

    // A weak typed answer is steered the other way.
    client.send_json(&typed("No idea. WEAK")).await;
    client.send_json(&json!({"type": "response.create"})).await;
    let (done, events) = response(&mut client).await;
    let (_, weak) = function_call(&done, &events);
    assert_eq!(weak["answer_quality"], "poor");

    // The function output's next_question is what the next response says.
    let next = "How would you share state between sibling components?";
    let output = json!({"evaluation_recorded": true, "next_question": next, "difficulty_adjusted": true,
        "new_difficulty": "intermediate", "interview_complete": false});
    client
        .send_json(&json!({"type": "conversation.item.create", "item": {"type": "function_call_output",
            "call_id": call_id, "output": output.to_string()}}))
        .await;
    client.send_json(&json!({"type": "response.create"})).await;
    let (done, events) = response(&mut client).await;
    assert_eq!(joined(&events, "response.output_audio_transcript.delta"), next);
    assert!(of_type(&events, "response.output_audio_transcript.delta").len() > 1);
    assert_eq!(done["response"]["output"][0]["type"], "message");
    assert!(done["response"]["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let outputs: Vec<Value> = fake
        .realtime_client_events_of_type("conversation.item.create")
        .into_iter()
        .filter(|e| e["item"]["type"] == "function_call_output")
        .collect();
    assert_eq!(outputs.len(), 1);
}

#[tokio::test]
async fn respond_to_items_answers_without_response_create() {
    let fake = fake().await;
    fake.realtime(|r| r.respond_to_items = true);
    let mut client = configured(&fake, false).await;
    client.send_json(&typed("I would lift state up. STRONG")).await;
    let (done, events) = response(&mut client).await;
    let (call_id, args) = function_call(&done, &events);
    assert_eq!(args["answer_quality"], "excellent");
    let output = json!({"next_question": "Next?", "interview_complete": false}).to_string();
    client
        .send_json(&json!({"type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": call_id, "output": output}}))
        .await;
    let (_, events) = response(&mut client).await;
    assert_eq!(joined(&events, "response.output_audio_transcript.delta"), "Next?");
    assert!(fake.realtime_client_events_of_type("response.create").is_empty());
}

#[tokio::test]
async fn an_injected_status_refuses_the_upgrade() {
    let fake = fake().await;
    fake.push_failures([common::fake_openai::Failure::status(503)]);
    let auth = format!("Bearer {KEY}");
    let refused = ws::connect_with_headers(&fake.realtime_url, &[("authorization", &auth)]).await;
    assert_eq!(refused.err().and_then(|e| e.status()), Some(503));
    open(&fake).await;
    assert_eq!(fake.realtime_connections(), 1);
}

#[tokio::test]
async fn committed_audio_is_transcribed_and_evaluated() {
    let fake = fake().await;
    let mut client = configured(&fake, true).await;
    // Too little audio: the real commit error.
    client.append_audio(&pcm16_tone(40)).await;
    client.send_json(&json!({"type": "input_audio_buffer.clear"})).await;
    client.wait_for("input_audio_buffer.cleared", WAIT).await.expect("cleared");
    client.append_audio(&pcm16_tone(40)).await;
    client.send_json(&json!({"type": "input_audio_buffer.commit", "event_id": "cli_c"})).await;
    let (error, _) = client.wait_for("error", WAIT).await.expect("error");
    assert_eq!(error["error"]["code"], "input_audio_buffer_commit_empty");

    fake.push_realtime_transcripts(["I am not sure. WEAK"]);
    client.append_audio(&pcm16_tone(200)).await;
    client.send_json(&json!({"type": "input_audio_buffer.commit"})).await;
    let (committed, _) = client.wait_for("input_audio_buffer.committed", WAIT).await.expect("committed");
    let item_id = committed["item_id"].clone();
    let (completed, before) = client
        .wait_for("conversation.item.input_audio_transcription.completed", WAIT)
        .await
        .expect("transcription");
    assert_eq!(completed["item_id"], item_id);
    assert_eq!(completed["transcript"], "I am not sure. WEAK");
    assert_eq!(of_type(&before, "conversation.item.added")[0]["item"]["id"], item_id);
    // An explicit commit does not start a response (like the real API); response.create does.
    assert!(client.next_json(Duration::from_millis(200)).await.is_none());
    client.send_json(&json!({"type": "response.create"})).await;
    let (done, events) = response(&mut client).await;
    assert_eq!(function_call(&done, &events).1["answer_quality"], "poor");
    assert_eq!(fake.realtime_connection(0).unwrap().appended_bytes, 2 * 40 * 48 + 200 * 48);
}

#[tokio::test]
async fn server_vad_ends_the_turn_on_silence_and_responds() {
    let fake = fake().await;
    let mut client = configured(&fake, true).await;
    client.append_audio(&pcm16_silence(100)).await;
    for _ in 0..5 {
        client.append_audio(&pcm16_tone(40)).await;
    }
    let (started, _) =
        client.wait_for("input_audio_buffer.speech_started", WAIT).await.expect("speech started");
    client.append_audio(&pcm16_silence(100)).await;
    let (stopped, _) = client.wait_for("input_audio_buffer.speech_stopped", WAIT).await.expect("stopped");
    assert_eq!(started["item_id"], stopped["item_id"]);
    let (completed, _) = client
        .wait_for("conversation.item.input_audio_transcription.completed", WAIT)
        .await
        .expect("transcription");
    assert!(completed["transcript"].as_str().unwrap().contains("STRONG"));
    let (done, events) = response(&mut client).await;
    assert_eq!(function_call(&done, &events).1["answer_quality"], "excellent");
}

#[tokio::test]
async fn drop_after_n_server_events_is_one_shot() {
    let fake = fake().await;
    fake.realtime(|r| r.drop = RealtimeDrop::AfterServerEvents(2));
    let mut client = open(&fake).await;
    client.send_json(&session_update(false)).await;
    client.wait_for("session.updated", WAIT).await.expect("updated");
    client.send_json(&typed("hello")).await;
    assert_eq!(client.next_close(WAIT).await.map(|c| c.0), Some(1006));
    let connection = fake.realtime_connection(0).unwrap();
    assert!(connection.dropped_by_fake);
    assert_eq!(connection.server_events.len(), 2);

    // The knob fired once: the next connection lives; a close frame can be asked for.
    let mut second = configured(&fake, false).await;
    second.send_json(&typed("hello")).await;
    second.wait_for("conversation.item.done", WAIT).await.expect("second connection lives");
    fake.realtime(|r| {
        r.drop = RealtimeDrop::AfterServerEvents(1);
        r.drop_close = Some((1011, "upstream failure".into()));
    });
    let auth = format!("Bearer {KEY}");
    let mut third = ws::connect_with_headers(&fake.realtime_url, &[("authorization", &auth)]).await.unwrap();
    assert_eq!(third.next_close(WAIT).await, Some((1011, "upstream failure".to_owned())));
    assert_eq!(third.received.len(), 1);
    assert_eq!(fake.realtime_connections(), 3);
}

#[tokio::test]
async fn close_mid_audio_response_cuts_the_transcript() {
    let fake = fake().await;
    fake.realtime(|r| r.drop = RealtimeDrop::MidAudioResponse(1));
    let mut client = configured(&fake, false).await;
    client.send_json(&json!({"type": "response.create"})).await;
    assert_eq!(client.next_close(WAIT).await.map(|c| c.0), Some(1006));
    let types: Vec<String> = client.received.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert!(types.contains(&"response.output_audio.delta".to_owned()));
    assert!(types.contains(&"response.output_audio_transcript.delta".to_owned()));
    assert!(!types.contains(&"response.output_audio_transcript.done".to_owned()));
    assert!(!types.contains(&"response.done".to_owned()));
}

#[tokio::test]
async fn latency_and_echo_mode() {
    let fake = fake().await;
    fake.realtime(|r| r.event_latency = Duration::from_millis(60));
    let mut client = configured(&fake, false).await;
    let started = Instant::now();
    client.send_json(&typed("hello")).await;
    client.wait_for("conversation.item.done", WAIT).await.expect("done");
    assert!(started.elapsed() >= Duration::from_millis(120), "two events, 60 ms each");

    // Echo: immediate, latency knob ignored, VAD off, the client's event_id comes back.
    fake.realtime(|r| r.echo = true);
    let mut rtts = Vec::new();
    for i in 0..20 {
        let sent = Instant::now();
        client
            .send_json(&json!({"type": "input_audio_buffer.append", "event_id": format!("e{i}"),
                "audio": ws::b64_encode(&pcm16_tone(20))}))
            .await;
        let echo = client.next_json(WAIT).await.expect("echo");
        rtts.push(sent.elapsed());
        assert_eq!(echo["type"], "input_audio_buffer.speech_started");
        assert_eq!(echo["item_id"], format!("echo_e{i}"));
        assert_eq!(echo["audio_start_ms"], i + 1);
    }
    rtts.sort();
    assert!(rtts[10] < Duration::from_millis(50), "median echo {:?}", rtts[10]);
}

#[tokio::test]
async fn audio_echo_mode_returns_the_same_bytes_as_output_audio() {
    let fake = fake().await;
    fake.realtime(|r| r.echo_audio = true);
    let mut client = configured(&fake, false).await;
    for i in 0..10u8 {
        // 20 ms of PCM16 at 24 kHz, tagged so each echo is told apart.
        let mut frame = pcm16_tone(20);
        frame[0] = i;
        client.append_audio(&frame).await;
        let echo = client.next_json(WAIT).await.expect("audio echo");
        assert_eq!(echo["type"], "response.output_audio.delta", "{echo}");
        assert_eq!(b64_decode(echo["delta"].as_str().unwrap()).unwrap(), frame);
    }
    // No VAD turn was started by the tone, and every byte was counted.
    let connection = fake.realtime_connection(0).unwrap();
    assert!(connection.server_events_of_type("input_audio_buffer.speech_started").is_empty());
    assert_eq!(connection.appended_bytes, 10 * 960);

    // Both echoes: speech_started first, then the audio.
    fake.realtime(|r| r.echo = true);
    client.append_audio(&pcm16_tone(20)).await;
    assert_eq!(client.next_json(WAIT).await.unwrap()["type"], "input_audio_buffer.speech_started");
    assert_eq!(client.next_json(WAIT).await.unwrap()["type"], "response.output_audio.delta");
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----fakeboundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match filename {
            Some(f) => format!("name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: audio/webm"),
            None => format!("name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: form-data; {disposition}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn transcribe(fake: &FakeOpenAi, key: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    let response = http()
        .post(format!("{}/audio/transcriptions", fake.base_url))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    (response.status().as_u16(), response.json().await.expect("json"))
}

#[tokio::test]
async fn transcription_endpoint_checks_and_answers() {
    let fake = fake().await;
    let audio: &[u8] = &[0x1A, 0x45, 0xDF, 0xA3, 1, 2, 3, 4];
    let good = [("file", Some("answer.webm"), audio), ("model", None, b"gpt-4o-mini-transcribe".as_slice())];
    let (status, body) = transcribe(&fake, KEY, &good).await;
    assert_eq!(status, 200);
    assert_eq!(body["text"], DEFAULT_TRANSCRIPTION);
    assert_eq!(body["usage"]["type"], "tokens");

    fake.push_transcriptions(["A strong answer. STRONG"]);
    let (_, body) = transcribe(&fake, KEY, &good).await;
    assert_eq!(body["text"], "A strong answer. STRONG");

    assert_eq!(transcribe(&fake, "sk-wrong", &good).await.0, 401);
    let (status, body) = transcribe(&fake, KEY, &[("model", None, b"whisper-1".as_slice())]).await;
    assert_eq!((status, body["error"]["param"].as_str()), (400, Some("file")));
    assert_eq!(transcribe(&fake, KEY, &[("file", Some("a.webm"), audio)]).await.0, 400);

    let recorded = fake.requests_to(TRANSCRIPTIONS_PATH);
    assert_eq!(recorded.len(), 5);
    let parts = recorded[0].multipart_parts();
    let file = parts.iter().find(|p| p.name == "file").unwrap();
    assert_eq!((file.filename.as_deref(), file.data.as_slice()), (Some("answer.webm"), audio));
    assert_eq!(parts.iter().find(|p| p.name == "model").unwrap().text(), "gpt-4o-mini-transcribe");
}

#[tokio::test]
async fn speech_endpoint_returns_audio() {
    let fake = fake().await;
    let speak = |format: Option<&str>| {
        let mut body = json!({"model": "gpt-4o-mini-tts", "input": "What is a closure?", "voice": "marin"});
        if let Some(f) = format {
            body["response_format"] = json!(f);
        }
        http().post(format!("{}/audio/speech", fake.base_url)).bearer_auth(KEY).json(&body).send()
    };
    let mp3 = speak(None).await.unwrap();
    assert_eq!(mp3.status(), 200);
    assert_eq!(mp3.headers()["content-type"], "audio/mpeg");
    let bytes = mp3.bytes().await.unwrap();
    assert!(bytes.len() > 417 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0);

    let wav = speak(Some("wav")).await.unwrap();
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    let bytes = wav.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize, bytes.len() - 44);

    let bad = http()
        .post(format!("{}/audio/speech", fake.base_url))
        .bearer_auth(KEY)
        .json(&json!({"model": "gpt-4o-mini-tts", "voice": "marin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let recorded = fake.requests_to(SPEECH_PATH);
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].json()["input"], "What is a closure?");
}
