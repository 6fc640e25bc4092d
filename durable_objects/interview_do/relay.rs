//! The OpenAI Realtime relay of the interview's socket (`docs/voice.md`,
//! `docs/decisions/0003-relay-socket-mode.md`): with a key the object holds one upstream socket
//! (outbound sockets cannot hibernate, so the object stays in memory while it is open). Client
//! frames pass the allow-list; the candidate's transcript is stored as the pending answer as soon
//! as it arrives (an upstream dying mid-answer loses nothing); the model's
//! `evaluate_candidate_answer` call finishes that turn with the model's evaluation.

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Fetch, Headers, Method, Request, RequestInit, WebSocket};

use super::socket_reader::{self, Ended, Step};
use super::InterviewDo;
use crate::ai::realtime::client_events::{forwardable, ClientFrame};
use crate::ai::realtime::events::{error_event, upstream_error_event};
use crate::ai::realtime::items::{ItemIds, LogTail};
use crate::ai::realtime::server_events::Peeked;
use crate::ai::realtime::session::{
    greeting_response_create, instructions, say_response_create, session_update, InterviewBrief,
    SessionSettings, DEFAULT_VOICE,
};
use crate::config::Config;
use crate::domain::enums::{InterviewStatus, MessageType};
use crate::domain::interview::InterviewRecord;
use crate::domain::rate_limit::{Rule, Take, TokenBucket};
use crate::interview::{limits, Answer, Caller};
use crate::platform::{log_error, log_event};

/// PCM16 mono at 24 kHz: bytes per millisecond.
pub(super) const PCM_BYTES_PER_MS: u64 = 48;

/// Candidate audio may run 10 s ahead of real time (a client that buffered a few seconds
/// catches up), refilled at real time plus 25 %: a flood of audio gets no further.
const AUDIO_RULE: Rule = Rule { capacity: 480_000, refill_per_minute: 48.0 * 60_000.0 * 1.25 };

/// What a hibernated browser socket remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Attachment {
    pub(super) user_id: String,
    pub(super) connected_ms: i64,
    /// The session whose ticket opened the socket.
    #[serde(default)]
    pub(super) session_id: Option<String>,
}

/// The upstream socket, once open; frames the client sent while it was opening wait in order.
pub(super) enum Upstream {
    Opening(Vec<String>),
    Open(WebSocket),
}

/// In-memory relay state (lost with the instance, like the upstream socket itself).
#[derive(Default)]
pub struct Relay {
    pub(super) upstream: Option<Upstream>,
    /// The browser socket in the non-hibernating mode (`live_socket.rs`), with who opened it.
    pub(super) live: Option<(WebSocket, Attachment)>,
    /// A tool call waiting for its `response.done` (and for the answer to be stored).
    pub(super) call: Option<PendingCall>,
    /// Candidate audio appended since the last transcript, in bytes.
    pub(super) audio_in_bytes: u64,
    /// The candidate's audio budget (real time plus slack).
    audio_bucket: Option<TokenBucket>,
    /// When a refused audio frame was last reported.
    audio_refused_ms: i64,
    /// Audio the model produced, in bytes, not yet added to the cost.
    pub(super) audio_out_bytes: u64,
    /// The upstream connection's item ids → the interview's (`ai::realtime::items`).
    pub(super) items: Option<ItemIds>,
    /// The log's tail as last read, with the store's write count then.
    log_tail: Option<(u64, LogTail)>,
}

pub(super) struct PendingCall {
    pub(super) call_id: String,
    pub(super) arguments_json: String,
    pub(super) response_done: bool,
}

pub type SharedRelay = Rc<RefCell<Relay>>;

/// A typed answer or an explicit commit (hold-to-speak) does not start an upstream response by
/// itself: the relay follows it with a `response.create`.
pub(super) fn needs_response(frame: &ClientFrame) -> bool {
    matches!(frame, ClientFrame::AudioCommit | ClientFrame::UserText { .. })
}

/// Whether this interview talks to the OpenAI Realtime upstream (else the built-in interviewer).
pub(super) fn uses_upstream(cfg: &Config, record: &InterviewRecord) -> bool {
    cfg.openai_api_key.is_some() && record.ai_provider == crate::config::AiProviderKind::Openai
}

impl InterviewDo {
    /// The hot path (audio arrives 50 frames a second): with the upstream open, audio and
    /// `response.cancel` frames go straight through, without reading the configuration, the
    /// socket's attachment or the interview. Every way out of `in_progress` (completion by any
    /// route, abandonment) closes the upstream first, so an open upstream means a live interview.
    /// Typed answers and pings take the full path.
    pub(super) fn forward_if_open(&self, frame: &ClientFrame) -> bool {
        // Typed answers, pings and anything that makes the model respond (paid work) take the
        // full path, through the answer rules.
        if matches!(
            frame,
            ClientFrame::UserText { .. } | ClientFrame::Ping | ClientFrame::ItemTruncate { .. }
        ) || needs_response(frame)
        {
            return false;
        }
        if !self.audio_within_budget(frame) {
            return true;
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
            self.broadcast(&upstream_error_event(&self.events, None));
        }
        true
    }

    /// Client → upstream, through the allow-list; typed answers are stored before forwarding.
    pub(super) async fn relay_client_frame(
        &self,
        who: &Caller,
        frame: &ClientFrame,
        cfg: &Config,
        cause: Option<&str>,
    ) {
        // A truncation names the client's item: forward it under the upstream's.
        let mapped;
        let frame = match frame {
            ClientFrame::ItemTruncate { item_id, content_index, audio_end_ms } => {
                let upstream = self
                    .relay
                    .borrow()
                    .items
                    .as_ref()
                    .and_then(|i| i.upstream_id(item_id).map(str::to_owned));
                let Some(upstream) = upstream else {
                    let message = "No conversation item has this item_id.";
                    self.broadcast(&error_event(&self.events, "item_not_found", message, cause));
                    return;
                };
                mapped = ClientFrame::ItemTruncate {
                    item_id: upstream,
                    content_index: *content_index,
                    audio_end_ms: *audio_end_ms,
                };
                &mapped
            }
            _ => frame,
        };
        let Some(text) = forwardable(frame) else { return };
        if !self.audio_within_budget(frame) {
            return;
        }
        if let ClientFrame::AudioAppend { pcm_bytes, .. } = frame {
            self.relay.borrow_mut().audio_in_bytes += pcm_bytes;
        }
        if matches!(frame, ClientFrame::AudioCommit) {
            // A commit makes the model transcribe and answer: the answer rules apply.
            if let Err(e) = self.authorize_response(who, cfg) {
                let code = e.code.as_str().to_ascii_lowercase();
                self.broadcast(&error_event(&self.events, &code, &e.message, cause));
                return;
            }
        }
        if let ClientFrame::UserText { text: answer } = frame {
            let body = Answer {
                message_text: answer.trim().to_owned(),
                client_metadata: json!({ "channel": "realtime" }),
                idempotency_key: None,
                audio_url: None,
            };
            if let Err(e) = self.accept_answer(who, body, cfg).await {
                let code = e.code.as_str().to_ascii_lowercase();
                self.broadcast(&error_event(&self.events, &code, &e.message, cause));
                return;
            }
        }
        self.upstream_send(&text, cfg);
        if needs_response(frame) {
            self.upstream_send(&crate::ai::realtime::session::response_create(), cfg);
        }
    }

    /// Audio frames may run ahead of real time only by the slack ([`AUDIO_RULE`]); a frame past
    /// it is dropped, and the client is told at most once a second.
    fn audio_within_budget(&self, frame: &ClientFrame) -> bool {
        let ClientFrame::AudioAppend { pcm_bytes, .. } = frame else { return true };
        let now = crate::platform::now_ms();
        let mut relay = self.relay.borrow_mut();
        let bucket = relay.audio_bucket.get_or_insert_with(|| TokenBucket::full(AUDIO_RULE, now));
        #[allow(clippy::cast_precision_loss)]
        let bytes = *pcm_bytes as f64;
        if bucket.take_n(AUDIO_RULE, now, bytes) == Take::Allowed {
            return true;
        }
        let notify = now - relay.audio_refused_ms >= 1_000;
        if notify {
            relay.audio_refused_ms = now;
        }
        drop(relay);
        if notify {
            let message = "Audio is arriving faster than real time.";
            self.broadcast(&error_event(&self.events, "audio_rate_exceeded", message, None));
        }
        false
    }

    pub(super) fn upstream_send(&self, text: &str, cfg: &Config) {
        let mut relay = self.relay.borrow_mut();
        match &mut relay.upstream {
            Some(Upstream::Open(ws)) => {
                if ws.send_with_str(text).is_err() {
                    relay.upstream = None;
                    drop(relay);
                    self.broadcast(&upstream_error_event(&self.events, None));
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
    pub(super) fn ensure_upstream(&self, cfg: &Config, greet: bool) {
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
                this.broadcast(&upstream_error_event(&this.events, None));
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
        // Listeners first, then accept; frames are handled in the listener (`socket_reader`).
        let reader = self.handle();
        let reader_cfg = Rc::new(cfg.clone());
        let reading = socket_reader::listen(&ws, move |frame| match frame {
            worker::WebSocketIncomingMessage::String(text) => reader.upstream_frame(&text, &reader_cfg),
            worker::WebSocketIncomingMessage::Binary(_) => Step::Done,
        })?;
        ws.accept()?;
        let (record, session) = self.load().map_err(|e| worker::Error::RustError(e.message))?;
        // A new upstream conversation: its items are bound afresh (the question it is told to
        // say again gets the id it had).
        self.relay.borrow_mut().items = Some(ItemIds::new(&record.id));
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
        match reading.ended().await {
            Ended::Closed(code) => {
                log_event("realtime_upstream_closed", json!({ "interview_id": record.id, "code": code }));
            }
            Ended::Failed(cause) => log_error("realtime upstream event", &cause),
        }
        let was_current =
            matches!(&self.relay.borrow().upstream, Some(Upstream::Open(current)) if *current == ws);
        if was_current {
            self.relay.borrow_mut().upstream = None;
            self.account_audio();
            if self.load().is_ok_and(|(r, _)| r.status == InterviewStatus::InProgress) {
                // The interview stays resumable: text mode, or reconnecting the socket.
                self.broadcast(&upstream_error_event(&self.events, None));
            }
        }
        Ok(())
    }

    /// `text` (an upstream event for the client) under the interview's item ids; the log is
    /// read only when an item is seen for the first time.
    pub(super) fn client_item_ids<'a>(
        &self,
        text: &'a str,
        peeked: &Peeked<'a>,
    ) -> std::borrow::Cow<'a, str> {
        let Some(mut items) = self.relay.borrow_mut().items.take() else {
            return std::borrow::Cow::Borrowed(text);
        };
        let out = items.to_client_peeked(text, peeked, || self.log_tail());
        self.relay.borrow_mut().items.get_or_insert(items);
        out
    }

    /// The log's tail, read again only after a message was written.
    fn log_tail(&self) -> LogTail {
        let version = self.store.message_writes();
        if let Some((seen, tail)) = self.relay.borrow().log_tail {
            if seen == version {
                return tail;
            }
        }
        let seq = |kind| self.last_message(kind).ok().flatten().map_or(0, |m| u64::from(m.seq));
        let tail = LogTail { last_seq: seq(None), question_seq: seq(Some(MessageType::AiQuestion)) };
        self.relay.borrow_mut().log_tail = Some((version, tail));
        tail
    }

    /// Closes the upstream, if open.
    pub(super) fn close_upstream(&self, reason: &str) {
        if let Some(Upstream::Open(up)) = self.relay.borrow_mut().upstream.take() {
            let _ = up.close(Some(1000), Some(reason));
        }
    }

    pub(super) fn on_client_close(&self) {
        // The last browser socket gone: the upstream has no one to talk to.
        if self.clients().is_empty() {
            self.close_upstream("client left");
        }
    }
}
