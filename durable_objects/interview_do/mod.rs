//! The interview Durable Object: one instance per interview (`id_from_name(interview_id)`), the
//! single writer of its interview (`docs/decisions/0001-do-single-writer.md`). It is a thin shell:
//! it decodes a typed [`InterviewCall`], runs it on the core's interview aggregate
//! ([`crate::interview::Interview`]) over this object's ports, and answers with the typed reply,
//! serialised once.
//!
//! - `store.rs`: the core's `InterviewStore` over the object's SQLite;
//! - `ports.rs`: the alarm, clock, ids, log and the D1 projection of the outbox;
//! - `realtime.rs` / `relay.rs`: tickets, the hibernatable browser socket, the built-in typed
//!   turns and the OpenAI Realtime relay (`docs/voice.md`);
//! - `video.rs`: the resumable R2 multipart upload of the interview's video (`docs/video.md`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Serialize;
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage,
};

use crate::adapters::provider::{platform_provider, PlatformProvider};
use crate::ai::realtime::events::EventIds;
use crate::auth::access::Principal;
use crate::auth::checked::CheckedBearer;
use crate::config::Config;
use crate::domain::enums::CompletionReason;
use crate::http::error::{ApiError, ErrorCode};
use crate::interview::{AssessmentReply, Caller, Interview, InterviewStore, StoreError};
use crate::platform::log_error;
use crate::protocol::{encode_error, InterviewCall, InterviewRequest, CALL_HEADER};

mod bearer;
mod erasure;
mod flows;
mod live_socket;
mod ports;
mod realtime;
mod relay;
mod socket_reader;
mod store;
mod tickets;
mod video;
mod video_removal;
mod voice_turn;

use ports::{D1Projector, DoAlarm, JsonLog, UuidIds, WorkerClock};
use store::SqlStore;

#[durable_object]
pub struct InterviewDo {
    state: State,
    env: Env,
    store: SqlStore,
    alarm: DoAlarm,
    schema_ready: Rc<Cell<bool>>,
    /// The projection of the outbox after each event (`flows.rs`, `flush_soon`).
    flush: Rc<flows::Flush>,
    /// The answer whose model call is in flight in this instance (a duplicate waits its turn).
    in_flight: Rc<Cell<Option<u32>>>,
    /// The realtime relay's in-memory state (the upstream socket lives as long as the instance).
    relay: relay::SharedRelay,
    /// The `event_id`s of the events the socket writes itself (a random nonce per instance).
    events: Rc<EventIds>,
    /// The bearer token this instance checked last (`bearer.rs`).
    checked: Rc<RefCell<CheckedBearer>>,
}

/// A random nonce for this instance's event ids (the clock if randomness fails).
fn event_nonce() -> String {
    crate::webcrypto::random_bytes(6).map_or_else(
        |_| format!("{:x}", crate::platform::now_ms()),
        |bytes| bytes.iter().map(|b| format!("{b:02x}")).collect(),
    )
}

impl DurableObject for InterviewDo {
    fn new(state: State, env: Env) -> Self {
        let store = SqlStore::new(state.storage().sql());
        let alarm = DoAlarm { storage: state.storage(), armed: Rc::default() };
        Self {
            state,
            env,
            store,
            alarm,
            schema_ready: Rc::default(),
            flush: Rc::default(),
            in_flight: Rc::default(),
            relay: Rc::new(RefCell::new(relay::Relay::default())),
            events: Rc::new(EventIds::new(&event_nonce())),
            checked: Rc::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if let Err(e) = crate::platform::ensure_bank(&self.env).await {
            log_error("question bank", &e);
            return error_response(&ApiError::internal());
        }
        let call = match read_call(&mut req).await {
            Ok(call) => call,
            Err(e) => return error_response(&e),
        };
        // Nothing is stored before an interview starts: any other call to an object that holds
        // no interview is refused without a write (a socket gets the bad ticket's 401, so ids
        // cannot be probed).
        let creates = matches!(call.request, InterviewRequest::Start(_) | InterviewRequest::Ping);
        // An instance that already created or found its tables needs no second look.
        let known = creates
            || self.schema_ready.get()
            || match self.store.has_schema() {
                Ok(found) => found,
                Err(e) => {
                    log_error("interview do schema", &e);
                    return error_response(&ApiError::internal());
                }
            };
        if !known {
            // A token whose account fails its check learns nothing of which ids exist.
            if let Some(bearer) = call.bearer.clone() {
                if let Err(e) = self.check_bearer(bearer).await {
                    return error_response(&e);
                }
            }
            if matches!(call.request, InterviewRequest::Erase) {
                // Nothing stored (never started, or erased already): erasing again is fine.
                let gone = crate::protocol::Erased { outcome: "gone".to_owned() };
                return reply(200, &gone).or_else(|e| error_response(&e));
            }
            return error_response(&absent(&call.request));
        }
        let ready = self.ensure_schema();
        if let Err(e) = ready {
            log_error("interview do schema", &e);
            return error_response(&ApiError::internal());
        }
        let response = match self.route(call, req).await {
            Ok(resp) => Ok(resp),
            Err(e) => error_response(&e),
        };
        self.flush_soon();
        response
    }

    async fn alarm(&self) -> Result<Response> {
        // An erased object keeps no schema: its (deleted) alarm must not recreate one.
        if !self.schema_ready.get() && !self.store.has_schema().unwrap_or(false) {
            return Response::ok("gone");
        }
        // A failure throws, and the runtime retries the alarm.
        crate::platform::ensure_bank(&self.env).await?;
        self.ensure_schema()?;
        let cfg = match self.cached_config() {
            Ok(cfg) => cfg,
            Err(e) => return error_response(&e),
        };
        // The platform cleared the alarm that fired.
        self.alarm.forget();
        let provider = platform_provider(&cfg);
        match self.core(&cfg, &provider).run_alarm(&D1Projector(&self.env)).await {
            Ok(report) if report.abandoned => self.abandon_sockets(),
            Ok(_) => {}
            Err(e) => log_error("interview alarm", &format!("{e:?}")),
        }
        self.flush_soon();
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        if let Err(e) = crate::platform::ensure_bank(&self.env).await {
            // Without the bank no answer can be evaluated: the client is told to reconnect
            // (nothing it sent was recorded), rather than being answered by an empty bank.
            log_error("question bank", &e);
            let _ = ws.close(Some(1011), Some("temporarily unavailable"));
            return Ok(());
        }
        self.ensure_schema()?;
        self.on_client_message(ws, message).await;
        self.flush_soon();
        Ok(())
    }

    async fn websocket_close(
        &self,
        _ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        self.on_client_close();
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, error: worker::Error) -> Result<()> {
        log_error("client socket", &error);
        self.on_client_close();
        Ok(())
    }
}

/// The call: in the header for byte bodies and upgrades, else the JSON body.
async fn read_call(req: &mut Request) -> std::result::Result<InterviewCall, ApiError> {
    if let Some(text) = req.headers().get(CALL_HEADER).ok().flatten() {
        return InterviewCall::decode(&text);
    }
    let text = req.text().await.map_err(|_| ApiError::new(ErrorCode::MalformedJson, "Bad internal body."))?;
    InterviewCall::decode(&text)
}

fn error_response(err: &ApiError) -> Result<Response> {
    let headers = worker::Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    Ok(Response::ok(encode_error(err))?.with_status(err.status()).with_headers(headers))
}

/// The refusal for a call to an object that holds no interview.
fn absent(request: &InterviewRequest) -> ApiError {
    match request {
        InterviewRequest::Connect { .. } => crate::protocol::ticket_refused(),
        _ => ApiError::not_found(),
    }
}

/// A typed reply, serialised once.
fn reply<T: Serialize>(status: u16, body: &T) -> std::result::Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| {
        log_error("reply encode", &e);
        ApiError::internal()
    })?;
    let headers = worker::Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    Ok(Response::ok(text).map_err(|_| ApiError::internal())?.with_status(status).with_headers(headers))
}

/// Maps a storage failure to a 500 after logging its cause.
fn storage(context: &'static str) -> impl Fn(worker::Error) -> ApiError {
    move |e| {
        log_error(context, &e);
        ApiError::internal()
    }
}

/// The envelope of an aggregate's refusal (a storage failure is logged first).
fn refused(e: crate::interview::InterviewError) -> ApiError {
    if let Some(reason) = e.log_reason() {
        log_error("interview", &reason);
    }
    e.into()
}

fn stored(e: StoreError) -> ApiError {
    log_error(e.context, &e.message);
    ApiError::internal()
}

/// The caller as the principal the socket and video code check.
fn principal(c: &Caller) -> Principal {
    Principal {
        user_id: c.user_id.as_str().to_owned(),
        role: c.role,
        jti: String::new(),
        token_exp_ms: 0,
        org_id: c.org.clone(),
        session: c.session.clone(),
        email_verified: true,
    }
}

type Outcome = std::result::Result<(u16, Value), ApiError>;

impl InterviewDo {
    /// Another handle on this instance (same storage, same in-memory state) for tasks that
    /// outlive one event, like the upstream socket's reader.
    fn handle(&self) -> InterviewDo {
        let state =
            State::from(wasm_bindgen::JsCast::unchecked_into::<worker::worker_sys::DurableObjectState>(
                AsRef::<wasm_bindgen::JsValue>::as_ref(self.state.as_raw()).clone(),
            ));
        InterviewDo {
            store: self.store.sibling(state.storage().sql()),
            alarm: DoAlarm { storage: state.storage(), armed: Rc::clone(&self.alarm.armed) },
            state,
            env: self.env.clone(),
            schema_ready: Rc::clone(&self.schema_ready),
            flush: Rc::clone(&self.flush),
            in_flight: Rc::clone(&self.in_flight),
            relay: Rc::clone(&self.relay),
            events: Rc::clone(&self.events),
            checked: Rc::clone(&self.checked),
        }
    }

    /// The interview aggregate over this object's ports.
    fn core<'a>(
        &'a self,
        cfg: &'a Config,
        provider: &'a PlatformProvider<'a>,
    ) -> Interview<'a, DoAlarm, PlatformProvider<'a>> {
        Interview {
            store: &self.store,
            alarm: &self.alarm,
            provider,
            clock: &WorkerClock,
            ids: &UuidIds,
            log: &JsonLog,
            config: cfg,
            in_flight: &self.in_flight,
        }
    }

    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            self.store.create_schema()?;
            self.ensure_ticket_schema()?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    /// The configuration, read from the environment once per isolate ([`crate::platform::config`]).
    pub(super) fn cached_config(&self) -> std::result::Result<Rc<Config>, ApiError> {
        crate::platform::config(&self.env).map_err(|e| {
            log_error("config", &e);
            ApiError::internal()
        })
    }

    async fn route(&self, call: InterviewCall, req: Request) -> std::result::Result<Response, ApiError> {
        let cfg = self.cached_config()?;
        let provider = platform_provider(&cfg);
        let core = self.core(&cfg, &provider);
        let caller = match (call.caller, call.bearer) {
            (Some(caller), _) => Some(caller),
            (None, Some(bearer)) => Some(self.check_bearer(bearer).await?),
            (None, None) => None,
        };
        // Ticket lifetimes run on the Worker's fresh clock (see `InterviewCall::sent_ms`).
        let ticket_now = call.sent_ms.unwrap_or(0).max(crate::platform::now_ms());
        let who = || caller.clone().ok_or_else(ApiError::unauthorized);
        match call.request {
            InterviewRequest::Ping => {
                reply(200, &json!({ "ok": true, "pings": self.store.ping().map_err(stored)? }))
            }
            InterviewRequest::Connect { ticket } => {
                self.open_socket(&req, &ticket, ticket_now).await.map_err(storage("socket"))
            }
            InterviewRequest::Start(body) => {
                let started = core.start(&who()?, body).await.map_err(refused)?;
                // Project right away so the interview lists at once; the alarm retries on failure.
                core.flush_now(&D1Projector(&self.env)).await;
                reply(201, &started)
            }
            InterviewRequest::View => reply(200, &core.view(&who()?).map_err(refused)?),
            InterviewRequest::Status => reply(200, &core.status(&who()?).map_err(refused)?),
            InterviewRequest::Messages(q) => reply(200, &core.messages(&who()?, &q).map_err(refused)?),
            InterviewRequest::Latest => reply(200, &core.latest(&who()?).map_err(refused)?),
            InterviewRequest::Transcript => reply(200, &core.transcript(&who()?).map_err(refused)?),
            InterviewRequest::Assessment => match core.assessment(&who()?).map_err(refused)? {
                ready @ AssessmentReply::Ready(_) => reply(200, &ready),
                not_yet => reply(202, &not_yet),
            },
            InterviewRequest::Detail => reply(200, &core.detail(&who()?).map_err(refused)?),
            InterviewRequest::Turn(answer) => {
                let result = core.turn(&who()?, answer).await.map_err(refused)?;
                self.notify_sockets(&result, &cfg);
                reply(200, &result)
            }
            InterviewRequest::Retry => {
                let result = core.retry(&who()?).await.map_err(refused)?;
                self.notify_sockets(&result, &cfg);
                reply(200, &result)
            }
            InterviewRequest::Complete => {
                let done = core.complete(&who()?).await.map_err(refused)?;
                self.finish_sockets(CompletionReason::CandidateRequest);
                reply(200, &done)
            }
            InterviewRequest::TechCheck(metadata) => {
                reply(200, &core.tech_check(&who()?, metadata).await.map_err(refused)?)
            }
            InterviewRequest::VideoConsent { consent } => {
                reply(200, &core.video_consent(&who()?, consent).await.map_err(refused)?)
            }
            InterviewRequest::RealtimeTicket => {
                let caller = who()?;
                let issued =
                    self.issue_ticket(&principal(&caller), caller.session.clone(), ticket_now, &cfg)?;
                // The connect route finds the interview in D1 before it reaches this object: if
                // the start's projection is still queued (its flush failed and waits for a
                // retry), project it now so the ticket is usable at once.
                if !self.store.outbox_is_empty().unwrap_or(true) {
                    core.flush_now(&D1Projector(&self.env)).await;
                }
                reply(200, &issued)
            }
            InterviewRequest::AuthorizeAnswer => {
                core.authorize_answer(&who()?).map_err(refused)?;
                reply(200, &crate::interview::Ack { ok: true })
            }
            InterviewRequest::CloseSockets { user_id, session, keep } => {
                self.checked.borrow_mut().forget_sessions(
                    user_id.as_str(),
                    session.as_deref(),
                    keep.as_deref(),
                );
                let closed = self.close_user_sockets(user_id.as_str(), session.as_deref(), keep.as_deref());
                reply(200, &crate::protocol::SocketsClosed { closed })
            }
            InterviewRequest::ForgetToken { user_id, jti } => {
                self.checked.borrow_mut().forget_token(user_id.as_str(), &jti);
                reply(200, &crate::interview::Ack { ok: true })
            }
            InterviewRequest::VoiceAudio(body) => {
                reply(200, &core.voice_audio(&who()?, body).await.map_err(refused)?)
            }
            InterviewRequest::Erase => self.erase().await,
            InterviewRequest::Purge { transcript, assessment } => self.purge(transcript, assessment),
            InterviewRequest::VideoRetention { retention_ms, idle_ms } => {
                let (status, body) = self.video_retention(retention_ms, idle_ms, &cfg).await?;
                reply(status, &body)
            }
            video => {
                let (status, body) = self.video_route(&principal(&who()?), video, req, &cfg).await?;
                reply(status, &body)
            }
        }
    }
}
