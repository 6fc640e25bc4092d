//! The interview DO's realtime socket (SPEC.md §5): tickets, the browser WebSocket (hibernation
//! API, one socket per interview), and either the built-in typed interviewer or the relay to the
//! OpenAI Realtime upstream. What to forward, refuse or act on is decided by the pure
//! `ai::realtime` modules; this file is sockets, storage and flow.
//!
//! - The browser socket is accepted with the hibernation API and tagged [`CLIENT_TAG`]; its
//!   attachment carries the user it was opened for, so a woken instance knows who is speaking.
//!   `{"type":"ping"}` is answered by the runtime's auto-response without waking the object.
//! - Without a key (built-in provider) a typed answer runs the same turn as `POST /messages`
//!   and is answered with the GA event sequence; audio answers `voice_unavailable`.
//! - With a key the DO holds one upstream socket (outbound sockets cannot hibernate, so the
//!   object stays in memory while it is open). The candidate's transcript is stored as the
//!   pending answer as soon as it arrives (an upstream dying mid-answer loses nothing); the
//!   model's `evaluate_candidate_answer` call finishes that turn with the model's evaluation.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    Fetch, Headers, Method, Request, RequestInit, Response, SqlStorageValue, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::{config, internal_response, limits, storage, Accepted, InterviewDo, Outcome, TurnBody};
use crate::ai::realtime::builtin::{
    assistant_message_events, completed_event, error_event, evaluation_event, rejection_event, state_event,
    typed_turn_events, upstream_error_event, voice_unavailable_event, InterviewProgress,
};
use crate::ai::realtime::client_events::{
    classify_client_frame, forwardable, ClientFrame, MAX_USER_TEXT_CHARS,
};
use crate::ai::realtime::server_events::{redact_upstream, Redacted, UpstreamEvent};
use crate::ai::realtime::session::{
    function_output_events, greeting_response_create, instructions, instructions_update,
    parse_tool_arguments, say_response_create, session_update, InterviewBrief, SessionSettings, ToolOutput,
    DEFAULT_VOICE, TOOL_NAME,
};
use crate::ai::realtime::ticket::{check, parse_token, Ticket, TicketError};
use crate::ai::realtime::{
    CLOSE_COMPLETED, CLOSE_REPLACED, CLOSE_REPLACED_REASON, MAX_FRAME_BYTES, PING_FRAME, PONG_FRAME,
};
use crate::auth::access::Principal;
use crate::config::Config;
use crate::domain::engine::cost::PriceTable;
use crate::domain::enums::{CompletionReason, InterviewStatus, MessageType, UserRole};
use crate::domain::interview::InterviewRecord;
use crate::domain::interviewer::Session;
use crate::http::error::{ApiError, ErrorCode};
use crate::platform::{log_error, log_event, now_ms};

/// The tag of browser sockets.
const CLIENT_TAG: &str = "client";

/// PCM16 mono at 24 kHz: bytes per millisecond.
const PCM_BYTES_PER_MS: u64 = 48;

/// What a hibernated browser socket remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Attachment {
    user_id: String,
    connected_ms: i64,
}

/// The upstream socket, once open; frames the client sent while it was opening wait in order.
enum Upstream {
    Opening(Vec<String>),
    Open(WebSocket),
}

/// In-memory relay state (lost with the instance, like the upstream socket itself).
#[derive(Default)]
pub(super) struct Relay {
    upstream: Option<Upstream>,
    /// A tool call waiting for its `response.done` (and for the answer to be stored).
    call: Option<PendingCall>,
    /// Candidate audio appended since the last transcript, in bytes.
    audio_in_bytes: u64,
    /// Audio the model produced, in bytes, not yet added to the cost.
    audio_out_bytes: u64,
}

struct PendingCall {
    call_id: String,
    arguments_json: String,
    response_done: bool,
}

pub(super) type SharedRelay = Rc<RefCell<Relay>>;

fn send(ws: &WebSocket, text: &str) {
    if let Err(e) = ws.send_with_str(text) {
        log_error("socket send", &e);
    }
}

fn refusal(err: &ApiError) -> worker::Result<Response> {
    internal_response(err)
}

/// The interview's candidate as the caller (sockets carry no token; the ticket vouched for them).
fn candidate(user_id: String) -> Principal {
    Principal { user_id, role: UserRole::Candidate, jti: String::new(), token_exp_ms: 0 }
}

/// A typed answer or an explicit commit (hold-to-speak) does not start an upstream response by
/// itself: the relay follows it with a `response.create`.
fn needs_response(frame: &ClientFrame) -> bool {
    matches!(frame, ClientFrame::AudioCommit | ClientFrame::UserText { .. })
}

/// Whether this interview talks to the OpenAI Realtime upstream (else the built-in interviewer).
fn uses_upstream(cfg: &Config, record: &InterviewRecord) -> bool {
    cfg.openai_api_key.is_some() && record.ai_provider == "openai"
}

fn ticket_refused(reason: TicketError, interview_id: &str) -> ApiError {
    log_event("realtime_ticket_refused", json!({ "interview_id": interview_id, "reason": reason.as_str() }));
    ApiError::new(ErrorCode::Unauthorized, "The realtime ticket is missing, invalid, used or expired.")
}

impl InterviewDo {
    pub(super) fn ensure_ticket_schema(&self) -> worker::Result<()> {
        self.sql().exec(
            "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, ticket TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0)",
            None,
        )?;
        Ok(())
    }

    /// `POST /realtime-ticket`: a single-use ticket for the interview's owner.
    pub(super) fn issue_ticket(&self, who: &Principal, cfg: &Config) -> Outcome {
        let (record, _) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        Self::refuse_if_closed(&record)?;
        let bytes = crate::webcrypto::random_bytes(24).map_err(|e| {
            log_error("ticket random", &e);
            ApiError::internal()
        })?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let mut ticket = Ticket::issue(&id, &record.id, &who.user_id, now).map_err(|e| {
            log_error("ticket issue", &e);
            ApiError::internal()
        })?;
        ticket.expires_ms = now.saturating_add(cfg.realtime_ticket_ttl_secs.saturating_mul(1000));
        let sql = self.sql();
        // Expired tickets are useless: drop them while issuing (a ticket lives 60 s).
        let _ = sql.exec(
            "DELETE FROM tickets WHERE CAST(json_extract(ticket, '$.expires_ms') AS INTEGER) < ?",
            vec![SqlStorageValue::Integer(now_ms() - 60_000)],
        );
        sql.exec(
            "INSERT INTO tickets (id, ticket, used) VALUES (?, ?, 0)",
            vec![id.clone().into(), json!(ticket).to_string().into()],
        )
        .map_err(storage("ticket write"))?;
        let token = ticket.token();
        log_event("realtime_ticket_issued", json!({ "interview_id": record.id }));
        Ok((
            200,
            json!({
                "ticket": token,
                "expires_in": cfg.realtime_ticket_ttl_secs,
                "url": format!("/api/v1/realtime/{}?ticket={}", record.id, token),
            }),
        ))
    }

    /// Checks and redeems a ticket; the user it was issued to, and the interview.
    fn redeem(
        &self,
        token: Option<&str>,
    ) -> std::result::Result<(String, InterviewRecord, Session), ApiError> {
        let (record, session) = self.load()?;
        let id = token.ok_or(TicketError::Malformed).and_then(parse_token);
        let id = id.map_err(|e| ticket_refused(e, &record.id))?;
        #[derive(Deserialize)]
        struct Row {
            ticket: String,
            used: i64,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec("SELECT ticket, used FROM tickets WHERE id = ?", vec![id.into()])
            .and_then(|c| c.to_array())
            .map_err(storage("ticket read"))?;
        let row = rows.into_iter().next().ok_or_else(|| ticket_refused(TicketError::Unknown, &record.id))?;
        let ticket: Ticket = serde_json::from_str(&row.ticket).map_err(|_| ApiError::internal())?;
        let now = u64::try_from(now_ms()).unwrap_or(0);
        check(&ticket, &record.id, &record.candidate_id, now, row.used != 0)
            .map_err(|e| ticket_refused(e, &record.id))?;
        Self::refuse_if_closed(&record)?;
        self.sql()
            .exec("UPDATE tickets SET used = 1 WHERE id = ?", vec![id.into()])
            .map_err(storage("ticket redeem"))?;
        Ok((ticket.user_id, record, session))
    }

    /// `GET /realtime/connect?ticket=`: refuses before any upgrade, else accepts the socket,
    /// replaces an older one (4000) and sends the state and the latest question.
    pub(super) async fn open_socket(&self, req: &Request) -> worker::Result<Response> {
        let upgrade = req.headers().get("Upgrade").ok().flatten().unwrap_or_default();
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return refusal(&ApiError::new(ErrorCode::UpgradeRequired, "Expected a WebSocket upgrade."));
        }
        let query: Vec<(String, String)> =
            req.url().map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
        let token = query.iter().find(|(k, _)| k == "ticket").map(|(_, v)| v.as_str());
        let (user_id, record, session) = match self.redeem(token) {
            Ok(ok) => ok,
            Err(e) => return refusal(&e),
        };
        let cfg = match self.cached_config() {
            Ok(c) => c,
            Err(e) => return refusal(&e),
        };
        let pair = WebSocketPair::new()?;
        for old in self.state.get_websockets_with_tag(CLIENT_TAG) {
            let _ = old.close(Some(CLOSE_REPLACED), Some(CLOSE_REPLACED_REASON));
        }
        self.state.accept_websocket_with_tags(&pair.server, &[CLIENT_TAG]);
        pair.server.serialize_attachment(Attachment { user_id, connected_ms: now_ms() })?;
        if let Ok(auto) = worker::worker_sys::WebSocketRequestResponsePair::new(PING_FRAME, PONG_FRAME) {
            self.state.set_websocket_auto_response(&auto);
        }
        self.welcome(&pair.server, &session, &cfg);
        log_event("realtime_connected", json!({ "interview_id": record.id }));
        if uses_upstream(&cfg, &record) {
            self.ensure_upstream(&cfg, true);
        }
        Response::from_websocket(pair.client)
    }

    fn record_id(&self) -> String {
        self.load().map(|(r, _)| r.id).unwrap_or_default()
    }

    /// `interview.state` and the latest question, on every (re)connect.
    fn welcome(&self, ws: &WebSocket, session: &Session, cfg: &Config) {
        send(ws, &state_event(&InterviewProgress::from_session(session, &limits(cfg))));
        if let Ok(Some(question)) = self.last_message(Some(MessageType::AiQuestion)) {
            for event in
                assistant_message_events(&question.id, u64::from(question.seq), &question.content_text)
            {
                send(ws, &event);
            }
        }
    }

    fn clients(&self) -> Vec<WebSocket> {
        self.state.get_websockets_with_tag(CLIENT_TAG)
    }

    fn broadcast(&self, text: &str) {
        for ws in self.clients() {
            send(&ws, text);
        }
    }

    /// Sends `interview.state` to a connected socket (after a REST turn too).
    pub(super) fn push_state(&self, cfg: &Config) {
        if self.clients().is_empty() {
            return;
        }
        if let Ok((_, session)) = self.load() {
            self.broadcast(&state_event(&InterviewProgress::from_session(&session, &limits(cfg))));
        }
    }

    /// After completion: `interview.completed`, then close every socket with 1000.
    pub(super) fn finish_sockets(&self, reason: CompletionReason) {
        for ws in self.clients() {
            send(&ws, &completed_event(reason));
            let _ = ws.close(Some(CLOSE_COMPLETED), Some("interview completed"));
        }
        if let Some(Upstream::Open(up)) = self.relay.borrow_mut().upstream.take() {
            let _ = up.close(Some(1000), Some("interview completed"));
        }
    }

    pub(super) async fn on_client_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) {
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                send(&ws, &error_event("invalid_event", "Send JSON text frames."));
                return;
            }
        };
        let frame = classify_client_frame(&text, MAX_FRAME_BYTES);
        if let Some(rejection) = rejection_event(&frame) {
            log_event("realtime_event_rejected", json!({ "interview_id": self.record_id() }));
            send(&ws, &rejection);
            return;
        }
        if self.forward_if_open(&frame) {
            return;
        }
        let Ok(cfg) = self.cached_config() else {
            send(&ws, &error_event("internal_error", "Something went wrong."));
            return;
        };
        let Some(attachment) = ws.deserialize_attachment::<Attachment>().ok().flatten() else {
            let _ = ws.close(Some(1008), Some("unknown connection"));
            return;
        };
        let who = candidate(attachment.user_id);
        let Ok((record, _)) = self.load() else { return };
        if record.status != InterviewStatus::InProgress {
            let reason = record.completion_reason.unwrap_or(CompletionReason::CandidateRequest);
            if record.status == InterviewStatus::Completed {
                self.finish_sockets(reason);
            } else {
                send(&ws, &error_event("interview_abandoned", "This interview was abandoned."));
                let _ = ws.close(Some(1000), Some("interview abandoned"));
            }
            return;
        }
        if matches!(frame, ClientFrame::Ping) {
            send(&ws, PONG_FRAME);
            return;
        }
        if uses_upstream(&cfg, &record) {
            self.relay_client_frame(&who, &frame, &cfg).await;
            return;
        }
        match frame {
            ClientFrame::UserText { text } => {
                self.builtin_typed_turn(&ws, &who, &record.id, &text, &cfg).await
            }
            _ => send(&ws, &voice_unavailable_event()),
        }
    }

    /// A typed answer answered by the built-in interviewer: the same turn as `POST /messages`.
    async fn builtin_typed_turn(
        &self,
        ws: &WebSocket,
        who: &Principal,
        interview_id: &str,
        text: &str,
        cfg: &Config,
    ) {
        let body = json!({ "message_text": text.trim(), "client_metadata": { "channel": "realtime" } });
        match self.turn(who, body, cfg).await {
            Ok((_, result)) => {
                let reply = result["ai_response"].as_str().unwrap_or_default();
                let seq = self
                    .last_message(Some(MessageType::CandidateResponse))
                    .ok()
                    .flatten()
                    .map_or(0, |m| m.seq);
                for event in typed_turn_events(interview_id, u64::from(seq), text, reply) {
                    send(ws, &event);
                }
                self.after_socket_turn(&result, cfg);
            }
            Err(e) => send(ws, &error_event(&e.code.as_str().to_ascii_lowercase(), &e.message)),
        }
    }

    /// A REST turn's events for a connected socket (text and voice share one log).
    pub(super) fn notify_sockets(&self, outcome: &Outcome, cfg: &Config) {
        if let Ok((_, result)) = outcome {
            if !self.clients().is_empty() {
                self.after_socket_turn(result, cfg);
            }
        }
    }

    /// The product events after a finished turn: live evaluation (practice), state, completion.
    fn after_socket_turn(&self, result: &Value, cfg: &Config) {
        if let Some(evaluation) =
            result.get("evaluation").and_then(|e| serde_json::from_value(e.clone()).ok())
        {
            let question =
                result["question_number"].as_u64().and_then(|q| u32::try_from(q).ok()).unwrap_or(0);
            if let Some(event) =
                evaluation_event(cfg.show_live_feedback, question.saturating_sub(1), &evaluation)
            {
                self.broadcast(&event);
            }
        }
        self.push_state(cfg);
        if result["interview_complete"].as_bool() == Some(true) {
            let reason = result
                .get("completion_reason")
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or(CompletionReason::CriteriaMet);
            self.finish_sockets(reason);
        }
    }

    // ----- the upstream relay ------------------------------------------------------------------

    /// The hot path (audio arrives 50 frames a second): with the upstream open, audio and
    /// `response.cancel` frames go straight through, without reading the configuration, the
    /// socket's attachment or the interview. Every way out of `in_progress` (completion by any
    /// route, abandonment) closes the upstream first, so an open upstream means a live interview.
    /// Typed answers and pings take the full path.
    fn forward_if_open(&self, frame: &ClientFrame) -> bool {
        if matches!(frame, ClientFrame::UserText { .. } | ClientFrame::Ping) {
            return false;
        }
        let upstream = match &self.relay.borrow().upstream {
            Some(Upstream::Open(ws)) => ws.clone(),
            _ => return false,
        };
        let Some(text) = forwardable(frame) else { return true };
        let mut sent = upstream.send_with_str(&text).is_ok();
        if needs_response(frame) {
            sent = sent && upstream.send_with_str(crate::ai::realtime::session::response_create()).is_ok();
        }
        let mut relay = self.relay.borrow_mut();
        if let ClientFrame::AudioAppend { pcm_bytes, .. } = frame {
            relay.audio_in_bytes += pcm_bytes;
        }
        if !sent {
            relay.upstream = None;
            drop(relay);
            self.broadcast(&upstream_error_event(None));
        }
        true
    }

    /// The configuration, read from the environment once per instance (it cannot change while
    /// the instance lives).
    fn cached_config(&self) -> std::result::Result<Config, ApiError> {
        if let Some(cfg) = self.config_cache.borrow().as_ref() {
            return Ok(cfg.clone());
        }
        let cfg = config(&self.env)?;
        *self.config_cache.borrow_mut() = Some(cfg.clone());
        Ok(cfg)
    }

    /// After abandonment: tell the socket why, close it, and close the upstream.
    pub(super) fn abandon_sockets(&self) {
        for ws in self.clients() {
            send(&ws, &error_event("interview_abandoned", "This interview was abandoned after inactivity."));
            let _ = ws.close(Some(CLOSE_COMPLETED), Some("interview abandoned"));
        }
        if let Some(Upstream::Open(up)) = self.relay.borrow_mut().upstream.take() {
            let _ = up.close(Some(1000), Some("interview abandoned"));
        }
    }

    /// Client → upstream, through the allow-list; typed answers are stored before forwarding.
    async fn relay_client_frame(&self, who: &Principal, frame: &ClientFrame, cfg: &Config) {
        let Some(text) = forwardable(frame) else { return };
        if let ClientFrame::AudioAppend { pcm_bytes, .. } = frame {
            self.relay.borrow_mut().audio_in_bytes += pcm_bytes;
        }
        if let ClientFrame::UserText { text: answer } = frame {
            let body = TurnBody {
                message_text: answer.trim().to_owned(),
                client_metadata: json!({ "channel": "realtime" }),
                idempotency_key: None,
                audio_url: None,
            };
            if let Err(e) = self.accept_answer(who, body, cfg).await {
                self.broadcast(&error_event(&e.code.as_str().to_ascii_lowercase(), &e.message));
                return;
            }
        }
        self.upstream_send(&text, cfg);
        if needs_response(frame) {
            self.upstream_send(&crate::ai::realtime::session::response_create(), cfg);
        }
    }

    fn upstream_send(&self, text: &str, cfg: &Config) {
        let mut relay = self.relay.borrow_mut();
        match &mut relay.upstream {
            Some(Upstream::Open(ws)) => {
                if ws.send_with_str(text).is_err() {
                    relay.upstream = None;
                    drop(relay);
                    self.broadcast(&upstream_error_event(None));
                }
            }
            Some(Upstream::Opening(queue)) => queue.push(text.to_owned()),
            None => {
                relay.upstream = Some(Upstream::Opening(vec![text.to_owned()]));
                drop(relay);
                self.spawn_upstream(cfg, false);
            }
        }
    }

    /// Opens the upstream unless it is open or opening.
    fn ensure_upstream(&self, cfg: &Config, greet: bool) {
        {
            let mut relay = self.relay.borrow_mut();
            if relay.upstream.is_some() {
                return;
            }
            relay.upstream = Some(Upstream::Opening(Vec::new()));
        }
        self.spawn_upstream(cfg, greet);
    }

    fn spawn_upstream(&self, cfg: &Config, greet: bool) {
        let this = self.handle();
        let cfg = cfg.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = this.run_upstream(&cfg, greet).await {
                log_error("realtime upstream", &e);
                this.relay.borrow_mut().upstream = None;
                this.broadcast(&upstream_error_event(None));
            }
        });
    }

    /// Connects, configures the session, flushes queued frames, then relays until it closes.
    async fn run_upstream(&self, cfg: &Config, greet: bool) -> worker::Result<()> {
        let key = cfg.openai_api_key.clone().unwrap_or_default();
        let url = cfg.openai_realtime_url.replacen("wss://", "https://", 1).replacen("ws://", "http://", 1);
        let headers = Headers::new();
        headers.set("Authorization", &format!("Bearer {key}"))?;
        headers.set("Upgrade", "websocket")?;
        let init = RequestInit { method: Method::Get, headers, ..RequestInit::default() };
        let response = Fetch::Request(Request::new_with_init(&url, &init)?).send().await?;
        let status = response.status_code();
        let Some(ws) = response.websocket() else {
            return Err(worker::Error::RustError(format!("upstream refused the upgrade: {status}")));
        };
        let mut events = ws.events()?;
        ws.accept()?;
        let (record, session) = self.load().map_err(|e| worker::Error::RustError(e.message))?;
        let limits = limits(cfg);
        let brief = InterviewBrief::from_session(&session, &limits);
        let settings = SessionSettings {
            model: &cfg.realtime_model,
            voice: DEFAULT_VOICE,
            transcription_model: &cfg.transcription_model,
        };
        let prompt = instructions(&brief);
        ws.send_with_str(session_update(&settings, &prompt))?;
        let question = self.last_message(Some(MessageType::AiQuestion)).ok().flatten();
        if let Some(q) = &question {
            let opening = if greet && q.seq == 1 {
                greeting_response_create(&brief, &q.content_text)
            } else {
                say_response_create(&prompt, &q.content_text)
            };
            ws.send_with_str(opening)?;
        }
        let queued = match self.relay.borrow_mut().upstream.replace(Upstream::Open(ws.clone())) {
            Some(Upstream::Opening(queue)) => queue,
            _ => Vec::new(),
        };
        for frame in queued {
            ws.send_with_str(frame)?;
        }
        log_event("realtime_upstream_open", json!({ "interview_id": record.id }));
        while let Some(event) = events.next().await {
            match event {
                Ok(worker::WebsocketEvent::Message(msg)) => {
                    if let Some(text) = msg.text() {
                        self.on_upstream_frame(&text, cfg).await;
                    }
                }
                Ok(worker::WebsocketEvent::Close(close)) => {
                    log_event(
                        "realtime_upstream_closed",
                        json!({ "interview_id": record.id, "code": close.code() }),
                    );
                    break;
                }
                Err(e) => {
                    log_error("realtime upstream event", &e);
                    break;
                }
            }
        }
        let was_current =
            matches!(&self.relay.borrow().upstream, Some(Upstream::Open(current)) if *current == ws);
        if was_current {
            self.relay.borrow_mut().upstream = None;
            self.account_audio();
            if self.load().is_ok_and(|(r, _)| r.status == InterviewStatus::InProgress) {
                // The interview stays resumable: text mode, or reconnecting the socket.
                self.broadcast(&upstream_error_event(None));
            }
        }
        Ok(())
    }

    async fn on_upstream_frame(&self, text: &str, cfg: &Config) {
        let redacted = redact_upstream(text);
        if let Some(out) = redacted.client_text() {
            self.broadcast(out);
        }
        let Redacted::Intercept { event, .. } = redacted else { return };
        match event {
            UpstreamEvent::AudioDelta { bytes_len } => self.relay.borrow_mut().audio_out_bytes += bytes_len,
            UpstreamEvent::InputTranscript { text, .. } => self.on_transcript(&text, cfg).await,
            UpstreamEvent::InputTranscriptFailed { .. } => {
                self.on_transcript("(The answer could not be transcribed.)", cfg).await;
            }
            UpstreamEvent::FunctionCall { call_id, name, arguments_json } => {
                if name == TOOL_NAME {
                    self.relay.borrow_mut().call =
                        Some(PendingCall { call_id, arguments_json, response_done: false });
                }
            }
            UpstreamEvent::ResponseDone { usage, function_call_ids, .. } => {
                self.add_realtime_usage(&usage, cfg);
                let ready = {
                    let mut relay = self.relay.borrow_mut();
                    match &mut relay.call {
                        Some(call) if function_call_ids.contains(&call.call_id) => {
                            call.response_done = true;
                            true
                        }
                        _ => false,
                    }
                };
                if ready {
                    self.finish_voice_turn(cfg).await;
                }
            }
            UpstreamEvent::Error { code, .. } => {
                log_event(
                    "realtime_upstream_error",
                    json!({ "interview_id": self.record_id(), "code": code }),
                );
                self.broadcast(&upstream_error_event(code.as_deref()));
            }
            UpstreamEvent::OutputTranscriptDone { .. } => {}
        }
    }

    /// The candidate's spoken answer: stored at once as the pending answer.
    async fn on_transcript(&self, text: &str, cfg: &Config) {
        let Ok((record, _)) = self.load() else { return };
        if record.pending.is_some() {
            return;
        }
        let who = candidate(record.candidate_id.clone());
        let trimmed: String = text.trim().chars().take(MAX_USER_TEXT_CHARS).collect();
        let body = TurnBody {
            message_text: if trimmed.is_empty() { "(silence)".to_owned() } else { trimmed },
            client_metadata: json!({ "channel": "voice" }),
            idempotency_key: None,
            audio_url: None,
        };
        match self.accept_answer(&who, body, cfg).await {
            Ok(Accepted::Pending(_) | Accepted::Done(_)) => {
                self.finish_voice_turn(cfg).await;
            }
            Err(e) => self.broadcast(&error_event(&e.code.as_str().to_ascii_lowercase(), &e.message)),
        }
    }

    /// Runs the engine turn once the tool call, its `response.done` and the answer are all in.
    async fn finish_voice_turn(&self, cfg: &Config) {
        let ready = {
            let relay = self.relay.borrow();
            relay.call.as_ref().is_some_and(|c| c.response_done)
        };
        if !ready {
            return;
        }
        let Ok((record, session)) = self.load() else { return };
        let Some(pending) = record.pending.clone() else { return };
        let Some(call) = self.relay.borrow_mut().call.take() else { return };
        let evaluation = match parse_tool_arguments(&call.arguments_json) {
            Ok(e) => Some(e),
            Err(_) => {
                log_event("realtime_tool_arguments_invalid", json!({ "interview_id": record.id }));
                None
            }
        };
        let who = candidate(record.candidate_id.clone());
        let difficulty_before = session.state.current_difficulty;
        self.account_audio();
        match self.finish_pending(&who, cfg, Some(pending.answer_seq), now_ms(), evaluation).await {
            Ok((_, result)) => {
                let complete = result["interview_complete"].as_bool() == Some(true);
                let reply = result["ai_response"].as_str().map(str::to_owned);
                let (_, after) = self.load().unwrap_or((record, session));
                let output = ToolOutput {
                    evaluation_recorded: true,
                    next_question: if complete { None } else { reply.clone() },
                    difficulty_adjusted: after.state.current_difficulty != difficulty_before,
                    new_difficulty: after.state.current_difficulty,
                    interview_complete: complete,
                    closing_message: if complete { reply } else { None },
                };
                if !complete {
                    let limits = limits(cfg);
                    let brief = InterviewBrief::from_session(&after, &limits);
                    self.upstream_send(&instructions_update(&instructions(&brief)), cfg);
                }
                for event in function_output_events(&call.call_id, &output) {
                    self.upstream_send(&event, cfg);
                }
                self.after_socket_turn(&result, cfg);
            }
            Err(e) => self.broadcast(&error_event(&e.code.as_str().to_ascii_lowercase(), &e.message)),
        }
    }

    fn add_realtime_usage(&self, usage: &crate::domain::engine::cost::RealtimeUsage, cfg: &Config) {
        let Ok(Some(mut session)) = self.kv_get::<Session>("session") else { return };
        session.state.cost.add_realtime(&PriceTable::default(), &cfg.realtime_model, usage);
        if let Err(e) = self.kv_put("session", &session) {
            log_error("realtime usage write", &e.message);
        }
    }

    /// Adds the audio streamed so far (both directions) to the reported durations.
    fn account_audio(&self) {
        let (audio_in, audio_out) = {
            let mut relay = self.relay.borrow_mut();
            (std::mem::take(&mut relay.audio_in_bytes), std::mem::take(&mut relay.audio_out_bytes))
        };
        if audio_in + audio_out == 0 {
            return;
        }
        let Ok(Some(mut session)) = self.kv_get::<Session>("session") else { return };
        session.state.cost.add_realtime_audio(audio_in / PCM_BYTES_PER_MS, audio_out / PCM_BYTES_PER_MS);
        if let Err(e) = self.kv_put("session", &session) {
            log_error("realtime audio write", &e.message);
        }
    }

    pub(super) fn on_client_close(&self) {
        // The last browser socket gone: the upstream has no one to talk to.
        if self.clients().is_empty() {
            if let Some(Upstream::Open(up)) = self.relay.borrow_mut().upstream.take() {
                let _ = up.close(Some(1000), Some("client left"));
            }
        }
    }
}
