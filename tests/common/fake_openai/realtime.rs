//! The fake's Realtime WebSocket (`GET /v1/realtime?model=…`, GA event names and shapes of
//! OpenAI's Realtime API, docs/voice.md), served on the same listener as the HTTP fake.
//!
//! Handshake: the bearer check of the HTTP fake (401, no upgrade), then `model` (or
//! `intent=transcription`) must be in the query (400), and the request must be a WebSocket upgrade
//! (426). An `OpenAI-Beta: realtime=v1` header gets `error{code:"beta_api_shape_disabled"}` and close
//! 4000, as the real service does since the beta shutdown.
//!
//! Conversation (one task per connection, client events handled in arrival order):
//! - connect → `session.created` (the default session: server VAD, no transcription, no tools);
//! - `session.update` → validated (`session.type:"realtime"` required; unknown or beta keys such as
//!   `temperature`/`modalities` answer `error{code:"unknown_parameter"}`), deep-merged, then
//!   `session.updated` with the full session;
//! - `input_audio_buffer.append` → the decoded bytes are counted (base64 must decode); with server
//!   VAD in the session, the first non-silent chunk sends `input_audio_buffer.speech_started` and
//!   the first all-silent chunk after speech ends the turn (`speech_stopped`, the commit sequence
//!   below, then a response when `create_response` is not false) — so a client streams tone frames
//!   ([`pcm16_tone`]) then a silence frame ([`pcm16_silence`]);
//! - `input_audio_buffer.commit` → at least 100 ms (4,800 bytes) buffered, else
//!   `error{code:"input_audio_buffer_commit_empty"}`; then `input_audio_buffer.committed`,
//!   `conversation.item.added`/`.done` (user item, `input_audio`), and when the session has
//!   `audio.input.transcription`, `conversation.item.input_audio_transcription.delta` and
//!   `.completed` with the next queued transcript ([`RealtimeBehaviour::transcripts`], else
//!   [`DEFAULT_AUDIO_TRANSCRIPT`]). Like the real API, an explicit commit does not start a response;
//! - `input_audio_buffer.clear` → `input_audio_buffer.cleared`;
//! - `conversation.item.create` → `conversation.item.added` + `.done`. A user `input_text` message
//!   (or a committed audio turn) becomes the pending answer; a `function_call_output` whose
//!   `output` is JSON makes its `next_question` the next thing to say;
//! - `response.create` → by what is pending: a user answer → a `function_call` response calling the
//!   session's tool (`evaluate_candidate_answer` preferred) with JSON arguments steered by the
//!   answer text (`STRONG` → excellent 0.95/0.9, `WEAK` → poor 0.1/0.2, else fair 0.5/0.5); a
//!   function output → an audio response speaking its `next_question` (a closing line when it has
//!   none); nothing pending → a greeting (first response of the connection) or a short filler.
//!   Audio responses stream `response.output_audio_transcript.delta` (3 pieces) interleaved with 2
//!   `response.output_audio.delta` chunks of 100 ms base64 PCM16 (`output_text.*` when the session's
//!   `output_modalities` is `["text"]`). Every response ends with `response.done` carrying `usage`;
//! - `response.cancel` → `error{code:"response_cancel_not_active"}` (responses are sent whole);
//!   `conversation.item.truncate`/`.delete` → `.truncated`/`.deleted`; anything else →
//!   `error{code:"invalid_value"}`. Errors echo the client's `event_id`.
//!
//! Knobs ([`RealtimeBehaviour`]): latency before every server event, a one-shot drop (after N
//! server events on a connection, or in the middle of the Nth audio response), with a close frame
//! or as an abrupt TCP close, echo modes for latency and load measurements (`echo`, `echo_audio`), and `respond_to_items` (answer
//! typed items and function outputs without waiting for `response.create`). The HTTP fake's
//! failure queue and fault mode also apply to the handshake (e.g. `Failure::status(503)` refuses
//! the upgrade). Records
//! ([`RealtimeConnection`]): the handshake, every client and server event, the appended byte count.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{error_body, lock, Behaviour, Records, Request, Response};

/// What a committed audio turn transcribes to when no transcript is queued (evaluated excellent).
pub const DEFAULT_AUDIO_TRANSCRIPT: &str = concat!(
    "I would use useMemo to memoize the expensive computation ",
    "and useCallback to keep the handler identity stable. STRONG"
);

/// The tool the fake calls when the session declares it (else the session's first function tool).
pub const TOOL_NAME: &str = "evaluate_candidate_answer";

/// PCM16 24 kHz mono: bytes per second.
const BYTES_PER_SECOND: usize = 48_000;
/// A commit needs at least 100 ms of audio.
const MIN_COMMIT_BYTES: usize = BYTES_PER_SECOND / 10;

/// A one-shot connection drop. It fires once (on whichever connection reaches it first), then the
/// knob resets to [`RealtimeDrop::None`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum RealtimeDrop {
    #[default]
    None,
    /// Right after the Nth server event of a connection (`session.created` is event 1).
    AfterServerEvents(usize),
    /// In the Nth audio response of a connection (1 = the first), after its first transcript
    /// delta and first audio delta: the transcript is never completed.
    MidAudioResponse(usize),
    /// Right after the first server event of this type (e.g. the candidate's transcript, so the
    /// tool call never comes).
    AfterEventType(String),
}

/// The Realtime knobs. Change them with `FakeOpenAi::realtime(|r| …)`.
#[derive(Debug, Clone, Default)]
pub struct RealtimeBehaviour {
    /// Slept before every server event (echo events excepted).
    pub event_latency: Duration,
    pub drop: RealtimeDrop,
    /// How a drop ends the connection: `Some((code, reason))` sends a close frame; `None` closes
    /// the TCP connection with no close frame (the client sees an abnormal closure, 1006).
    pub drop_close: Option<(u16, String)>,
    /// User transcripts for committed audio turns, one per commit, before
    /// [`DEFAULT_AUDIO_TRANSCRIPT`].
    pub transcripts: VecDeque<String>,
    /// Echo mode for latency measurements: every `input_audio_buffer.append` is answered at once
    /// (no latency) with `input_audio_buffer.speech_started{audio_start_ms: n, item_id:
    /// "echo_<client event_id, or n>"}`, n counting appends from 1 on the connection; server VAD
    /// is off while echoing.
    pub echo: bool,
    /// Audio echo for load measurements: every `input_audio_buffer.append` is answered at once
    /// (no latency) with `response.output_audio.delta` carrying the same base64 audio (the
    /// relay's audio fast path back to the client); server VAD is off while echoing. With
    /// [`RealtimeBehaviour::echo`] too, the `speech_started` echo comes first.
    pub echo_audio: bool,
    /// Answer a user `conversation.item.create` (typed answer) or a `function_call_output` at once,
    /// as if `response.create` had followed. Off by default: the real API waits for
    /// `response.create`.
    pub respond_to_items: bool,
}

/// One Realtime connection as recorded (a snapshot; the live one keeps growing).
#[derive(Debug, Clone, Default)]
pub struct RealtimeConnection {
    /// Request target of the handshake (with the query string).
    pub target: String,
    /// Handshake headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Every client event as received (invalid JSON is recorded as a string).
    pub client_events: Vec<Value>,
    /// Every server event as sent.
    pub server_events: Vec<Value>,
    /// Decoded bytes of every `input_audio_buffer.append`.
    pub appended_bytes: usize,
    /// The fake dropped the connection (a [`RealtimeDrop`] fired).
    pub dropped_by_fake: bool,
    /// The connection is over (either side).
    pub ended: bool,
    /// The client's close frame, if it sent one.
    pub client_close: Option<(u16, String)>,
}

impl RealtimeConnection {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The client events of one type, oldest first.
    pub fn client_events_of_type(&self, event_type: &str) -> Vec<Value> {
        self.client_events.iter().filter(|e| e["type"] == event_type).cloned().collect()
    }

    /// The server events of one type, oldest first.
    pub fn server_events_of_type(&self, event_type: &str) -> Vec<Value> {
        self.server_events.iter().filter(|e| e["type"] == event_type).cloned().collect()
    }
}

/// Why the handshake is refused (after the bearer check), or `None` to upgrade.
pub(super) fn handshake_problem(request: &Request, upgrade: bool) -> Option<Response> {
    let invalid = |status: u16, message: &str, code: Option<&str>| {
        Some(Response::json(status, &error_body(message, "invalid_request_error", None, code)))
    };
    let query = request.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let has = |key: &str| {
        query.split('&').any(|p| p.split_once('=').is_some_and(|(k, v)| k == key && !v.is_empty()))
    };
    if !has("model") && !has("intent") && !has("call_id") {
        return invalid(400, "Missing required parameter: 'model'.", Some("missing_required_parameter"));
    }
    if !upgrade || request.header("sec-websocket-key").is_none() {
        return invalid(426, "This endpoint requires a WebSocket upgrade.", None);
    }
    None
}

/// What the next `response.create` answers.
#[derive(Debug, Clone)]
enum Pending {
    Nothing,
    Answer(String),
    FunctionOutput(Option<String>),
}

/// Why a connection handler stops early.
struct Stop;

struct Conn<'a> {
    ws: WebSocketStream<TokioIo<Upgraded>>,
    index: usize,
    behaviour: &'a Mutex<Behaviour>,
    records: &'a Mutex<Records>,
    session: Value,
    ids: usize,
    sent: usize,
    buffered: usize,
    appended_total: usize,
    appends: usize,
    speaking: Option<String>,
    last_item: Option<String>,
    pending: Pending,
    responses: usize,
    audio_responses: usize,
}

/// Serves one accepted Realtime WebSocket (hyper wrote the 101 and handed over the connection,
/// with any bytes it had read past the handshake).
pub(super) async fn serve(
    io: TokioIo<Upgraded>,
    target: &str,
    headers: Vec<(String, String)>,
    behaviour: std::sync::Arc<Mutex<Behaviour>>,
    records: std::sync::Arc<Mutex<Records>>,
) {
    let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    let beta = headers.iter().any(|(k, v)| k == "openai-beta" && v.contains("realtime"));
    let index = {
        let mut r = lock(&records);
        r.realtime.push(RealtimeConnection { target: target.to_owned(), headers, ..Default::default() });
        r.realtime.len() - 1
    };
    let model = target
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|p| p.strip_prefix("model=")))
        .unwrap_or("gpt-realtime")
        .to_owned();
    let mut conn = Conn {
        ws,
        index,
        behaviour: &behaviour,
        records: &records,
        session: default_session(index, &model),
        ids: 0,
        sent: 0,
        buffered: 0,
        appended_total: 0,
        appends: 0,
        speaking: None,
        last_item: None,
        pending: Pending::Nothing,
        responses: 0,
        audio_responses: 0,
    };
    let _ = conn.run(beta).await;
    conn.record(|c| c.ended = true);
}

fn default_session(index: usize, model: &str) -> Value {
    let model = if model == "gpt-realtime" { "gpt-realtime-2025-08-28" } else { model };
    json!({
        "type": "realtime", "object": "realtime.session", "id": format!("sess_fake{index}"),
        "model": model, "expires_at": 1_767_229_200,
        "output_modalities": ["audio"], "instructions": "You are a helpful assistant.",
        "tools": [], "tool_choice": "auto", "max_output_tokens": "inf",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24_000},
                "transcription": null, "noise_reduction": null,
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                    "silence_duration_ms": 200, "idle_timeout_ms": null, "create_response": true,
                    "interrupt_response": true}
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24_000}, "voice": "marin", "speed": 1.0}
        },
        "tracing": null, "prompt": null, "include": null, "truncation": "auto"
    })
}

/// Objects merge key by key; anything else (arrays, null, scalars) replaces.
fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => deep_merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

const SESSION_KEYS: &[&str] = &[
    "type",
    "object",
    "id",
    "model",
    "expires_at",
    "instructions",
    "output_modalities",
    "audio",
    "tools",
    "tool_choice",
    "max_output_tokens",
    "tracing",
    "truncation",
    "prompt",
    "include",
];

/// The evaluation a model would give `answer`: (quality, accuracy, clarity, missed concepts).
fn evaluate(answer: &str) -> (&'static str, f64, f64) {
    if answer.contains("STRONG") {
        ("excellent", 0.95, 0.9)
    } else if answer.contains("WEAK") {
        ("poor", 0.1, 0.2)
    } else {
        ("fair", 0.5, 0.5)
    }
}

/// Splits `text` into `n` roughly equal pieces on character boundaries (concatenation = text).
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(n).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

impl Conn<'_> {
    fn record(&self, change: impl FnOnce(&mut RealtimeConnection)) {
        if let Some(c) = lock(self.records).realtime.get_mut(self.index) {
            change(c);
        }
    }

    fn knobs(&self) -> RealtimeBehaviour {
        lock(self.behaviour).realtime.clone()
    }

    fn id(&mut self, prefix: &str) -> String {
        self.ids += 1;
        format!("{prefix}_fake{}x{}", self.index, self.ids)
    }

    async fn run(&mut self, beta: bool) -> Result<(), Stop> {
        if beta {
            self.error(
                "invalid_request_error",
                "beta_api_shape_disabled",
                "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.",
                None,
                None,
            )
            .await?;
            return self.close_with(4000, "beta_api_shape_disabled").await;
        }
        let session = self.session.clone();
        self.send(json!({"type": "session.created", "session": session})).await?;
        while let Some(message) = self.ws.next().await {
            match message {
                Ok(Message::Text(text)) => {
                    let event: Value =
                        serde_json::from_str(text.as_str()).unwrap_or(Value::String(text.to_string()));
                    self.record(|c| c.client_events.push(event.clone()));
                    self.handle(event).await?;
                }
                Ok(Message::Binary(_)) => {
                    self.error(
                        "invalid_request_error",
                        "invalid_value",
                        "Binary frames are not supported.",
                        None,
                        None,
                    )
                    .await?;
                }
                Ok(Message::Close(frame)) => {
                    let close = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    self.record(|c| c.client_close = close);
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Sends one server event (after the latency knob), records it, and applies the drop knob.
    async fn send(&mut self, event: Value) -> Result<(), Stop> {
        let latency = self.knobs().event_latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        self.send_now(event).await?;
        match self.knobs().drop {
            RealtimeDrop::AfterServerEvents(n) if self.sent >= n => return self.fire_drop().await,
            RealtimeDrop::AfterEventType(t) if t == kind => return self.fire_drop().await,
            _ => {}
        }
        Ok(())
    }

    async fn send_now(&mut self, mut event: Value) -> Result<(), Stop> {
        let event_id = self.id("event");
        if let Some(map) = event.as_object_mut() {
            // `type` first, then `event_id`, like the real service.
            let mut ordered = Map::new();
            ordered.insert("type".into(), map.remove("type").unwrap_or(Value::Null));
            ordered.insert("event_id".into(), json!(event_id));
            ordered.extend(std::mem::take(map));
            event = Value::Object(ordered);
        }
        self.ws.send(Message::text(event.to_string())).await.map_err(|_| Stop)?;
        self.sent += 1;
        self.record(|c| c.server_events.push(event));
        Ok(())
    }

    /// Ends the connection as the drop knob says, resetting the knob (one-shot).
    async fn fire_drop(&mut self) -> Result<(), Stop> {
        let close = {
            let mut b = lock(self.behaviour);
            b.realtime.drop = RealtimeDrop::None;
            b.realtime.drop_close.clone()
        };
        self.record(|c| c.dropped_by_fake = true);
        match close {
            Some((code, reason)) => self.close_with(code, &reason).await,
            None => Err(Stop),
        }
    }

    async fn close_with(&mut self, code: u16, reason: &str) -> Result<(), Stop> {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_owned().into() };
        let _ = self.ws.close(Some(frame)).await;
        // Let the client's close reply arrive (bounded), then drop the socket.
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
        Err(Stop)
    }

    async fn error(
        &mut self,
        error_type: &str,
        code: &str,
        message: &str,
        param: Option<&str>,
        event_id: Option<&str>,
    ) -> Result<(), Stop> {
        self.send(json!({"type": "error", "error": {"type": error_type, "code": code, "message": message,
            "param": param, "event_id": event_id}}))
            .await
    }

    async fn handle(&mut self, event: Value) -> Result<(), Stop> {
        let event_id = event["event_id"].as_str().map(str::to_owned);
        let eid = event_id.as_deref();
        let Some(kind) = event["type"].as_str() else {
            return self
                .error(
                    "invalid_request_error",
                    "invalid_value",
                    "The event is not a JSON object with a 'type'.",
                    Some("type"),
                    eid,
                )
                .await;
        };
        match kind {
            "session.update" => self.session_update(&event["session"], eid).await,
            "input_audio_buffer.append" => self.append(&event, eid).await,
            "input_audio_buffer.commit" => {
                if self.buffered < MIN_COMMIT_BYTES {
                    let ms = self.buffered * 1000 / BYTES_PER_SECOND;
                    let message = format!(
                        "Error committing input audio buffer: buffer too small. \
                         Expected at least 100ms of audio, but buffer only has {ms}.00ms of audio."
                    );
                    return self
                        .error(
                            "invalid_request_error",
                            "input_audio_buffer_commit_empty",
                            &message,
                            None,
                            eid,
                        )
                        .await;
                }
                let item_id = self.speaking.take().unwrap_or_else(|| self.id("item"));
                self.commit(item_id).await
            }
            "input_audio_buffer.clear" => {
                self.buffered = 0;
                self.speaking = None;
                self.send(json!({"type": "input_audio_buffer.cleared"})).await
            }
            "conversation.item.create" => self.item_create(&event, eid).await,
            "response.create" => self.respond().await,
            "response.cancel" => {
                self.error(
                    "invalid_request_error",
                    "response_cancel_not_active",
                    "Cancellation failed: no active response found.",
                    None,
                    eid,
                )
                .await
            }
            "conversation.item.truncate" => {
                self.send(json!({"type": "conversation.item.truncated", "item_id": event["item_id"],
                    "content_index": event["content_index"], "audio_end_ms": event["audio_end_ms"]}))
                    .await
            }
            "conversation.item.delete" => {
                self.send(json!({"type": "conversation.item.deleted", "item_id": event["item_id"]})).await
            }
            other => {
                let message = format!(
                    "Invalid value: '{other}'. Supported values are: 'session.update', \
                     'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', \
                     'conversation.item.create', 'conversation.item.truncate', 'conversation.item.delete', \
                     'response.create', and 'response.cancel'."
                );
                self.error("invalid_request_error", "invalid_value", &message, Some("type"), eid).await
            }
        }
    }

    async fn session_update(&mut self, patch: &Value, eid: Option<&str>) -> Result<(), Stop> {
        let Some(fields) = patch.as_object() else {
            return self
                .error(
                    "invalid_request_error",
                    "missing_required_parameter",
                    "Missing required parameter: 'session'.",
                    Some("session"),
                    eid,
                )
                .await;
        };
        if patch["type"] != "realtime" {
            return self
                .error(
                    "invalid_request_error",
                    "missing_required_parameter",
                    "Missing required parameter: 'session.type'.",
                    Some("session.type"),
                    eid,
                )
                .await;
        }
        if let Some(unknown) = fields.keys().find(|k| !SESSION_KEYS.contains(&k.as_str())) {
            let param = format!("session.{unknown}");
            return self
                .error(
                    "invalid_request_error",
                    "unknown_parameter",
                    &format!("Unknown parameter: '{param}'."),
                    Some(&param),
                    eid,
                )
                .await;
        }
        deep_merge(&mut self.session, patch);
        let session = self.session.clone();
        self.send(json!({"type": "session.updated", "session": session})).await
    }

    fn server_vad(&self) -> bool {
        self.session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    }

    async fn append(&mut self, event: &Value, eid: Option<&str>) -> Result<(), Stop> {
        let Some(audio) = event["audio"].as_str().and_then(b64_decode) else {
            return self
                .error(
                    "invalid_request_error",
                    "invalid_value",
                    "Invalid 'audio'. Expected base64-encoded audio.",
                    Some("audio"),
                    eid,
                )
                .await;
        };
        self.buffered += audio.len();
        self.appended_total += audio.len();
        self.appends += 1;
        let bytes = audio.len();
        self.record(|c| c.appended_bytes += bytes);
        let knobs = self.knobs();
        if knobs.echo {
            let n = self.appends;
            let item_id = format!("echo_{}", eid.map_or_else(|| n.to_string(), str::to_owned));
            self.send_now(json!({"type": "input_audio_buffer.speech_started",
                "audio_start_ms": n, "item_id": item_id}))
                .await?;
        }
        if knobs.echo_audio {
            self.send_now(json!({"type": "response.output_audio.delta", "response_id": "resp_echo",
                "item_id": "item_echo", "output_index": 0, "content_index": 0, "delta": event["audio"]}))
                .await?;
        }
        if knobs.echo || knobs.echo_audio {
            return Ok(());
        }
        if !self.server_vad() {
            return Ok(());
        }
        let silent = audio.chunks_exact(2).all(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs() < 100);
        let at_ms = (self.appended_total * 1000 / BYTES_PER_SECOND) as u64;
        match (&self.speaking, silent) {
            (None, false) => {
                let item_id = self.id("item");
                self.speaking = Some(item_id.clone());
                self.send(json!({"type": "input_audio_buffer.speech_started",
                    "audio_start_ms": at_ms, "item_id": item_id}))
                    .await
            }
            (Some(item_id), true) => {
                let item_id = item_id.clone();
                self.speaking = None;
                self.send(json!({"type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": at_ms, "item_id": item_id}))
                    .await?;
                self.commit(item_id).await?;
                if self.session["audio"]["input"]["turn_detection"]["create_response"] != false {
                    self.respond().await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The commit sequence for the buffered audio as user item `item_id`.
    async fn commit(&mut self, item_id: String) -> Result<(), Stop> {
        let previous = self.last_item.replace(item_id.clone());
        let audio_ms = self.buffered * 1000 / BYTES_PER_SECOND;
        self.buffered = 0;
        self.send(
            json!({"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": previous}),
        )
        .await?;
        let item = json!({"id": item_id, "object": "realtime.item", "type": "message", "status": "completed",
            "role": "user", "content": [{"type": "input_audio", "transcript": null}]});
        self.send(json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}))
            .await?;
        self.send(json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}))
            .await?;
        let transcript = lock(self.behaviour)
            .realtime
            .transcripts
            .pop_front()
            .unwrap_or_else(|| DEFAULT_AUDIO_TRANSCRIPT.to_owned());
        if !self.session["audio"]["input"]["transcription"].is_null() {
            self.send(
                json!({"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id,
                "content_index": 0, "delta": transcript}),
            )
            .await?;
            let audio_tokens = audio_ms / 100 + 1;
            let output_tokens = transcript.len() / 4 + 1;
            self.send(
                json!({"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id,
                "content_index": 0, "transcript": transcript,
                "usage": {"type": "tokens", "input_tokens": audio_tokens,
                    "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
                    "output_tokens": output_tokens, "total_tokens": audio_tokens + output_tokens}}),
            )
            .await?;
        }
        self.pending = Pending::Answer(transcript);
        Ok(())
    }

    async fn item_create(&mut self, event: &Value, eid: Option<&str>) -> Result<(), Stop> {
        let item = &event["item"];
        let item_type = item["type"].as_str().unwrap_or_default();
        let pending = match item_type {
            "message" => {
                let text: Vec<&str> = item["content"]
                    .as_array()
                    .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect())
                    .unwrap_or_default();
                (item["role"] == "user").then(|| Pending::Answer(text.join(" ")))
            }
            "function_call_output" => {
                let output: Value =
                    item["output"].as_str().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default();
                Some(Pending::FunctionOutput(output["next_question"].as_str().map(str::to_owned)))
            }
            other => {
                let message = format!(
                    "Invalid value: '{other}'. Supported values are: 'message', 'function_call', \
                     and 'function_call_output'."
                );
                return self
                    .error("invalid_request_error", "invalid_value", &message, Some("item.type"), eid)
                    .await;
            }
        };
        let item_id = item["id"].as_str().map(str::to_owned).unwrap_or_else(|| self.id("item"));
        let mut stored = item.clone();
        if let Some(map) = stored.as_object_mut() {
            map.insert("id".into(), json!(item_id));
            map.insert("object".into(), json!("realtime.item"));
            map.insert("status".into(), json!("completed"));
        }
        let previous = self.last_item.replace(item_id);
        self.send(json!({"type": "conversation.item.added", "previous_item_id": previous, "item": stored}))
            .await?;
        self.send(json!({"type": "conversation.item.done", "previous_item_id": previous, "item": stored}))
            .await?;
        if let Some(p) = pending {
            self.pending = p;
            if self.knobs().respond_to_items {
                return self.respond().await;
            }
        }
        Ok(())
    }

    /// The session's tool to call: `evaluate_candidate_answer` if declared, else its first function.
    fn tool(&self) -> Option<Value> {
        let tools = self.session["tools"].as_array()?;
        tools
            .iter()
            .find(|t| t["name"] == TOOL_NAME)
            .or_else(|| tools.iter().find(|t| t["type"] == "function"))
            .cloned()
    }

    async fn respond(&mut self) -> Result<(), Stop> {
        let pending = std::mem::replace(&mut self.pending, Pending::Nothing);
        self.responses += 1;
        match pending {
            Pending::Answer(answer) => match self.tool() {
                Some(tool) => self.function_call_response(&tool, &answer).await,
                None => self.audio_response("Thank you. Let us move on.".to_owned()).await,
            },
            Pending::FunctionOutput(Some(question)) => self.audio_response(question).await,
            Pending::FunctionOutput(None) => {
                self.audio_response("Thank you, that completes the interview. Goodbye.".to_owned()).await
            }
            Pending::Nothing if self.responses == 1 => {
                self.audio_response(
                    "Hello, welcome to your interview. Let us begin with the first question.".to_owned(),
                )
                .await
            }
            Pending::Nothing => self.audio_response("Please take your time.".to_owned()).await,
        }
    }

    fn response_object(&self, id: &str, status: &str, output: Value, usage: Value) -> Value {
        json!({"id": id, "object": "realtime.response", "status": status, "status_details": null,
            "output": output, "conversation_id": format!("conv_fake{}", self.index),
            "output_modalities": self.session["output_modalities"],
            "max_output_tokens": self.session["max_output_tokens"],
            "audio": {"output": {"format": self.session["audio"]["output"]["format"],
                "voice": self.session["audio"]["output"]["voice"]}},
            "usage": usage, "metadata": null})
    }

    fn usage(&self, text_out: usize, audio_out: usize) -> Value {
        let text_in = 100 + 20 * self.ids;
        let audio_in = self.appended_total / (BYTES_PER_SECOND / 10);
        let input = text_in + audio_in;
        let output = text_out + audio_out;
        json!({"total_tokens": input + output, "input_tokens": input, "output_tokens": output,
            "input_token_details": {"text_tokens": text_in, "audio_tokens": audio_in, "image_tokens": 0,
                "cached_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0}},
            "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out}})
    }

    async fn response_start(&mut self) -> Result<String, Stop> {
        let response_id = self.id("resp");
        let response = self.response_object(&response_id, "in_progress", json!([]), Value::Null);
        self.send(json!({"type": "response.created", "response": response})).await?;
        self.send(json!({"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 40_000, "remaining": 39_000, "reset_seconds": 1.5}]}))
            .await?;
        Ok(response_id)
    }

    async fn function_call_response(&mut self, tool: &Value, answer: &str) -> Result<(), Stop> {
        let response_id = self.response_start().await?;
        let name = tool["name"].as_str().unwrap_or(TOOL_NAME).to_owned();
        let (quality, accuracy, clarity) = evaluate(answer);
        let skill_area = tool["parameters"]["properties"]["skill_area"]["enum"]
            .get(0)
            .and_then(Value::as_str)
            .unwrap_or("general")
            .to_owned();
        let arguments = json!({"answer_quality": quality, "technical_accuracy": accuracy,
            "explanation_clarity": clarity, "identified_skills": ["fake skill"], "skill_area": skill_area})
        .to_string();
        let item_id = self.id("item");
        let call_id = self.id("call");
        let mut item = json!({"id": item_id, "object": "realtime.item", "type": "function_call",
            "status": "in_progress", "name": name, "call_id": call_id, "arguments": ""});
        let previous = self.last_item.replace(item_id.clone());
        self.send(json!({"type": "response.output_item.added", "response_id": response_id,
            "output_index": 0, "item": item}))
            .await?;
        self.send(json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}))
            .await?;
        for delta in pieces(&arguments, 2) {
            self.send(json!({"type": "response.function_call_arguments.delta", "response_id": response_id,
                "item_id": item_id, "output_index": 0, "call_id": call_id, "delta": delta}))
                .await?;
        }
        self.send(json!({"type": "response.function_call_arguments.done", "response_id": response_id,
            "item_id": item_id, "output_index": 0, "call_id": call_id, "name": name, "arguments": arguments}))
            .await?;
        item["status"] = json!("completed");
        item["arguments"] = json!(arguments);
        self.send(json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}))
            .await?;
        self.send(json!({"type": "response.output_item.done", "response_id": response_id,
            "output_index": 0, "item": item}))
            .await?;
        let usage = self.usage(arguments.len() / 4 + 1, 0);
        let response = self.response_object(&response_id, "completed", json!([item]), usage);
        self.send(json!({"type": "response.done", "response": response})).await
    }

    async fn audio_response(&mut self, transcript: String) -> Result<(), Stop> {
        let text_only = self.session["output_modalities"] == json!(["text"]);
        if !text_only {
            self.audio_responses += 1;
        }
        let drop_here =
            !text_only && self.knobs().drop == RealtimeDrop::MidAudioResponse(self.audio_responses);
        let response_id = self.response_start().await?;
        let item_id = self.id("item");
        let mut item = json!({"id": item_id, "object": "realtime.item", "type": "message",
            "status": "in_progress", "role": "assistant", "content": []});
        let previous = self.last_item.replace(item_id.clone());
        self.send(json!({"type": "response.output_item.added", "response_id": response_id,
            "output_index": 0, "item": item}))
            .await?;
        self.send(json!({"type": "conversation.item.added", "previous_item_id": previous, "item": item}))
            .await?;
        let ids =
            json!({"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0});
        let with = |kind: &str, extra: Value| {
            let mut event = ids.clone();
            event["type"] = json!(kind);
            if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
                e.extend(x.clone());
            }
            event
        };
        let (part_type, delta_type, done_type, field) = if text_only {
            ("text", "response.output_text.delta", "response.output_text.done", "text")
        } else {
            (
                "audio",
                "response.output_audio_transcript.delta",
                "response.output_audio_transcript.done",
                "transcript",
            )
        };
        self.send(with("response.content_part.added", json!({"part": {"type": part_type, field: ""}})))
            .await?;
        let chunk = b64_encode(&pcm16_tone(100));
        for (i, delta) in pieces(&transcript, 3).into_iter().enumerate() {
            self.send(with(delta_type, json!({"delta": delta}))).await?;
            if !text_only && i < 2 {
                self.send(with("response.output_audio.delta", json!({"delta": chunk}))).await?;
                if drop_here {
                    return self.fire_drop().await;
                }
            }
        }
        if !text_only {
            self.send(with("response.output_audio.done", json!({}))).await?;
        }
        self.send(with(done_type, json!({field: transcript}))).await?;
        self.send(with(
            "response.content_part.done",
            json!({"part": {"type": part_type, field: transcript}}),
        ))
        .await?;
        let content_type = if text_only { "output_text" } else { "output_audio" };
        item["status"] = json!("completed");
        item["content"] = json!([{"type": content_type, field: transcript}]);
        self.send(json!({"type": "conversation.item.done", "previous_item_id": previous, "item": item}))
            .await?;
        self.send(json!({"type": "response.output_item.done", "response_id": response_id,
            "output_index": 0, "item": item}))
            .await?;
        let audio_out = if text_only { 0 } else { 2 * 2 }; // 2 × 100 ms at 20 tokens/s
        let usage = self.usage(transcript.len() / 4 + 1, audio_out);
        let response = self.response_object(&response_id, "completed", json!([item]), usage);
        self.send(json!({"type": "response.done", "response": response})).await
    }
}

/// `ms` milliseconds of a non-silent PCM16 24 kHz mono square wave (400 Hz, amplitude 3000).
pub fn pcm16_tone(ms: usize) -> Vec<u8> {
    (0..ms * 24).flat_map(|i| if (i / 30) % 2 == 0 { 3000i16 } else { -3000 }.to_le_bytes()).collect()
}

/// `ms` milliseconds of PCM16 24 kHz mono silence.
pub fn pcm16_silence(ms: usize) -> Vec<u8> {
    vec![0; ms * 48]
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional); `None` on any other character.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        });
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
