//! The interview DO's realtime socket (`docs/voice.md#the-socket`): tickets, the browser WebSocket (hibernation
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

use serde_json::json;
use worker::{Request, Response, WebSocket, WebSocketIncomingMessage, WebSocketPair};

use super::flows::candidate;
use super::relay::PCM_BYTES_PER_MS;
use super::relay::{uses_upstream, Attachment};
use super::{error_response, InterviewDo};
use crate::adapters::provider::platform_provider;
use crate::ai::realtime::builtin::{assistant_message_events, typed_turn_events, TurnIds};
use crate::ai::realtime::client_events::{classify, ClientFrame};
use crate::ai::realtime::events::{
    completed_event, error_event, evaluation_event, nothing_to_cancel_event, rejection_event,
    session_created, session_updated, state_event, voice_unavailable_event, InterviewProgress, SessionView,
};
use crate::ai::realtime::items::retrieve_answer;
use crate::ai::realtime::session::DEFAULT_VOICE;
use crate::ai::realtime::{
    CLOSE_COMPLETED, CLOSE_REPLACED, CLOSE_REPLACED_REASON, MAX_FRAME_BYTES, PING_FRAME, PONG_FRAME,
};
use crate::config::Config;
use crate::domain::enums::{CompletionReason, InterviewStatus, MessageType};
use crate::domain::interview::InterviewRecord;
use crate::domain::interviewer::Session;
use crate::http::error::{ApiError, ErrorCode};
use crate::interview::{limits, Answer, Caller, TurnReply};
use crate::platform::{log_error, log_event, now_ms};
use crate::protocol::CLOSE_REVOKED;

/// The tag of browser sockets.
const CLIENT_TAG: &str = "client";

/// A client frame whose handling may wait on I/O, with the client's `event_id`.
pub(super) struct PendingFrame {
    frame: ClientFrame,
    cause: Option<String>,
}

pub(super) fn send(ws: &WebSocket, text: &str) {
    if let Err(e) = ws.send_with_str(text) {
        log_error("socket send", &e);
    }
}

fn refusal(err: &ApiError) -> worker::Result<Response> {
    error_response(err)
}

/// The session a client of this interview is told about (docs/voice.md#session-fields).
fn session_view<'a>(cfg: &'a Config, record: &InterviewRecord) -> SessionView<'a> {
    if uses_upstream(cfg, record) {
        SessionView { model: Some(&cfg.realtime_model), voice: Some(DEFAULT_VOICE) }
    } else {
        SessionView::text_only()
    }
}

impl InterviewDo {
    /// Opens the socket with `ticket` (its lifetime measured on `clock_ms`): refuses before any upgrade, else accepts the socket,
    /// replaces an older one (4000) and sends the state and the latest question.
    pub(super) async fn open_socket(
        &self,
        req: &Request,
        ticket: &str,
        clock_ms: i64,
    ) -> worker::Result<Response> {
        let upgrade = req.headers().get("Upgrade").ok().flatten().unwrap_or_default();
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return refusal(&ApiError::new(ErrorCode::UpgradeRequired, "Expected a WebSocket upgrade."));
        }
        let (ticket, record, session) = match self.redeem(Some(ticket), clock_ms) {
            Ok(ok) => ok,
            Err(e) => return refusal(&e),
        };
        // The ticket's account must still be active (a deactivated user's ticket is refused).
        if !self.account_active(&ticket.user_id).await {
            log_event("realtime_ticket_refused", json!({ "interview_id": record.id, "reason": "account" }));
            return refusal(&crate::protocol::ticket_refused());
        }
        let cfg = match self.cached_config() {
            Ok(c) => c,
            Err(e) => return refusal(&e),
        };
        let pair = WebSocketPair::new()?;
        for old in self.clients() {
            let _ = old.close(Some(CLOSE_REPLACED), Some(CLOSE_REPLACED_REASON));
        }
        let attachment =
            Attachment { user_id: ticket.user_id, connected_ms: now_ms(), session_id: ticket.session_id };
        if uses_upstream(&cfg, &record) {
            // Voice through the upstream: the object stays in memory while the upstream is open, so
            // the socket is read by listeners, not hibernation events (decision 0008).
            let this = self.handle();
            let (welcome_cfg, welcome_record) = (cfg.clone(), record.clone());
            self.accept_live(pair.server, attachment, move |ws| {
                this.welcome(ws, &welcome_record, &session, &welcome_cfg);
            });
        } else {
            self.state.accept_websocket_with_tags(&pair.server, &[CLIENT_TAG]);
            pair.server.serialize_attachment(attachment)?;
            if let Ok(auto) = worker::worker_sys::WebSocketRequestResponsePair::new(PING_FRAME, PONG_FRAME) {
                self.state.set_websocket_auto_response(&auto);
            }
            self.welcome(&pair.server, &record, &session, &cfg);
        }
        log_event("realtime_connected", json!({ "interview_id": record.id }));
        if uses_upstream(&cfg, &record) {
            self.ensure_upstream(&cfg, true);
        }
        Response::from_websocket(pair.client)
    }

    pub(super) fn record_id(&self) -> String {
        self.load().map(|(r, _)| r.id).unwrap_or_default()
    }

    /// `session.created`, `interview.state` and the latest question (under the item id it was
    /// streamed with), on every (re)connect.
    fn welcome(&self, ws: &WebSocket, record: &InterviewRecord, session: &Session, cfg: &Config) {
        send(ws, &session_created(&self.events, session_view(cfg, record)));
        send(ws, &state_event(&self.events, &InterviewProgress::from_session(session, &limits(cfg))));
        if let Ok(Some(question)) = self.last_message(Some(MessageType::AiQuestion)) {
            let seq = u64::from(question.seq);
            for event in assistant_message_events(&self.events, &record.id, seq, &question.content_text) {
                send(ws, &event);
            }
        }
    }

    /// The browser sockets: the live one (`live_socket.rs`), else the hibernatable ones. An
    /// interview's sockets are all of one mode (it uses the upstream or not), so with a live socket
    /// the runtime is not asked (this runs for every upstream event).
    pub(super) fn clients(&self) -> Vec<WebSocket> {
        match self.live_client() {
            Some(live) => vec![live],
            None => self.state.get_websockets_with_tag(CLIENT_TAG),
        }
    }

    pub(super) fn broadcast(&self, text: &str) {
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
            let progress = InterviewProgress::from_session(&session, &limits(cfg));
            self.broadcast(&state_event(&self.events, &progress));
        }
    }

    /// After completion: `interview.completed`, then close every socket with 1000.
    pub(super) fn finish_sockets(&self, reason: CompletionReason) {
        for ws in self.clients() {
            send(&ws, &completed_event(&self.events, reason));
            let _ = ws.close(Some(CLOSE_COMPLETED), Some("interview completed"));
        }
        self.close_upstream("interview completed");
    }

    pub(super) async fn on_client_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) {
        if let Some(pending) = self.client_frame_now(&ws, message) {
            self.client_frame_later(ws, pending).await;
        }
    }

    /// The part of a client frame's handling that needs no I/O: validation, the session and
    /// retrieval answers, and audio straight to an open upstream (the hot path, run in the live
    /// socket's listener). Returns the frame when the rest may wait on I/O.
    pub(super) fn client_frame_now(
        &self,
        ws: &WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Option<PendingFrame> {
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                send(ws, &error_event(&self.events, "invalid_event", "Send JSON text frames.", None));
                return None;
            }
        };
        let classified = classify(&text, MAX_FRAME_BYTES);
        let (frame, event_id) = (classified.frame, classified.event_id);
        let cause = event_id.as_deref();
        if let Some(rejection) = rejection_event(&self.events, &frame, cause) {
            log_event("realtime_event_rejected", json!({ "interview_id": self.record_id() }));
            send(ws, &rejection);
            return None;
        }
        match frame {
            // "Respond now": every answer is answered without being asked (docs/voice.md).
            ClientFrame::ResponseCreate => return None,
            // Nothing a client sends changes the session: it hears the interview's own.
            ClientFrame::SessionUpdate => {
                if let (Ok(cfg), Ok((record, _))) = (self.cached_config(), self.load()) {
                    send(ws, &session_updated(&self.events, session_view(&cfg, &record)));
                }
                return None;
            }
            // Answered from the log: the item ids the client sees are the messages'.
            ClientFrame::ItemRetrieve { item_id } => {
                if let (Ok(cfg), Ok((record, _))) = (self.cached_config(), self.load()) {
                    let spoken = uses_upstream(&cfg, &record);
                    let message = |seq| u32::try_from(seq).ok().and_then(|s| self.message_at(s));
                    send(ws, &retrieve_answer(&self.events, &record.id, &item_id, spoken, message, cause));
                }
                return None;
            }
            _ => {}
        }
        if self.forward_if_open(&frame) {
            return None;
        }
        Some(PendingFrame { frame, cause: event_id })
    }

    /// The rest of a client frame's handling: the answer rules, typed answers and everything
    /// sent to a closed upstream.
    pub(super) async fn client_frame_later(&self, ws: WebSocket, pending: PendingFrame) {
        let PendingFrame { frame, cause } = pending;
        let cause = cause.as_deref();
        let Ok(cfg) = self.cached_config() else {
            send(&ws, &error_event(&self.events, "internal_error", "Something went wrong.", cause));
            return;
        };
        let Some(attachment) = self.attachment_of(&ws) else {
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
                send(
                    &ws,
                    &error_event(&self.events, "interview_abandoned", "This interview was abandoned.", cause),
                );
                let _ = ws.close(Some(1000), Some("interview abandoned"));
            }
            return;
        }
        if matches!(frame, ClientFrame::Ping) {
            send(&ws, PONG_FRAME);
            return;
        }
        if uses_upstream(&cfg, &record) {
            self.relay_client_frame(&who, &frame, &cfg, cause).await;
            return;
        }
        match frame {
            ClientFrame::UserText { text } => {
                self.builtin_typed_turn(&ws, &who, &record.id, &text, &cfg, cause).await;
            }
            // A built-in response is complete before it could be cancelled.
            ClientFrame::ResponseCancel => send(&ws, &nothing_to_cancel_event(&self.events, cause)),
            _ => send(&ws, &voice_unavailable_event(&self.events, cause)),
        }
    }

    /// A typed answer answered by the built-in interviewer: the same turn as `POST /messages`.
    async fn builtin_typed_turn(
        &self,
        ws: &WebSocket,
        who: &Caller,
        interview_id: &str,
        text: &str,
        cfg: &Config,
        cause: Option<&str>,
    ) {
        let answer = Answer {
            message_text: text.trim().to_owned(),
            client_metadata: json!({ "channel": "realtime" }),
            idempotency_key: None,
            audio_url: None,
        };
        match self.turn(who, answer, cfg).await {
            Ok(result) => {
                let reply = result.ai_response.as_str();
                let seq_of =
                    |kind| self.last_message(Some(kind)).ok().flatten().map_or(0, |m| u64::from(m.seq));
                let answer_seq = seq_of(MessageType::CandidateResponse);
                let reply_seq = seq_of(MessageType::AiQuestion).max(answer_seq + 1);
                let turn = TurnIds::new(interview_id, answer_seq, reply_seq);
                for event in typed_turn_events(&self.events, &turn, text, reply) {
                    send(ws, &event);
                }
                self.after_socket_turn(&result, cfg);
            }
            Err(e) => {
                send(ws, &error_event(&self.events, &e.code.as_str().to_ascii_lowercase(), &e.message, cause))
            }
        }
    }

    /// A REST turn's events for a connected socket (text and voice share one log).
    pub(super) fn notify_sockets(&self, result: &TurnReply, cfg: &Config) {
        if !self.clients().is_empty() {
            self.after_socket_turn(result, cfg);
        }
    }

    /// The product events after a finished turn: live evaluation (practice), state, completion.
    pub(super) fn after_socket_turn(&self, result: &TurnReply, cfg: &Config) {
        if let Some(evaluation) = &result.evaluation {
            let question = result.question_number.saturating_sub(1);
            if let Some(event) = evaluation_event(&self.events, cfg.show_live_feedback, question, evaluation)
            {
                self.broadcast(&event);
            }
        }
        self.push_state(cfg);
        if result.interview_complete {
            self.finish_sockets(result.completion_reason.unwrap_or(CompletionReason::CriteriaMet));
        }
    }

    /// After abandonment: tell the socket why, close it, and close the upstream.
    pub(super) fn abandon_sockets(&self) {
        for ws in self.clients() {
            let message = "This interview was abandoned after inactivity.";
            send(&ws, &error_event(&self.events, "interview_abandoned", message, None));
            let _ = ws.close(Some(CLOSE_COMPLETED), Some("interview abandoned"));
        }
        self.close_upstream("interview abandoned");
    }

    pub(super) fn add_realtime_usage(
        &self,
        usage: &crate::domain::engine::cost::RealtimeUsage,
        cfg: &Config,
    ) {
        let provider = platform_provider(cfg);
        match self.core(cfg, &provider).add_realtime_usage(usage) {
            Ok(true) => self.finish_sockets(CompletionReason::CostLimit),
            Ok(false) => {}
            Err(e) => log_error("realtime usage write", &format!("{e:?}")),
        }
    }

    /// Adds the audio streamed so far (both directions) to the reported durations.
    pub(super) fn account_audio(&self) {
        let (audio_in, audio_out) = {
            let mut relay = self.relay.borrow_mut();
            (std::mem::take(&mut relay.audio_in_bytes), std::mem::take(&mut relay.audio_out_bytes))
        };
        if audio_in + audio_out == 0 {
            return;
        }
        let Ok(cfg) = self.cached_config() else { return };
        let provider = platform_provider(&cfg);
        let core = self.core(&cfg, &provider);
        match core.add_realtime_audio(audio_in / PCM_BYTES_PER_MS, audio_out / PCM_BYTES_PER_MS) {
            Ok(true) => self.finish_sockets(CompletionReason::CostLimit),
            Ok(false) => {}
            Err(e) => log_error("realtime audio write", &format!("{e:?}")),
        }
    }

    /// Closes `user_id`'s sockets on this interview (their session was revoked or the account
    /// deactivated) with [`CLOSE_REVOKED`], and the upstream with them; how many were closed.
    pub(super) fn close_user_sockets(&self, user_id: &str, session: Option<&str>, keep: Option<&str>) -> u32 {
        let mut closed = 0;
        for ws in self.clients() {
            let Some(a) = self.attachment_of(&ws) else { continue };
            if a.user_id == user_id && crate::protocol::closes_socket(a.session_id.as_deref(), session, keep)
            {
                send(
                    &ws,
                    &error_event(&self.events, "session_revoked", "Your session ended; sign in again.", None),
                );
                let _ = ws.close(Some(CLOSE_REVOKED), Some("session revoked"));
                closed += 1;
            }
        }
        if closed > 0 {
            self.close_upstream("session revoked");
            log_event(
                "realtime_sockets_revoked",
                json!({ "interview_id": self.record_id(), "closed": closed }),
            );
        }
        closed
    }
}
