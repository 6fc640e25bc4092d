//! The interview Durable Object: one instance per interview (`id_from_name(interview_id)`), the
//! single writer of its interview. Every turn, completion and abandonment runs here, one at a
//! time, against the DO's own SQLite storage:
//!
//! - `kv`: the interview record and the interviewer `Session` (JSON);
//! - `messages`: the message log (sequence numbers are the primary key, so never duplicated);
//! - `idempotency`: `Idempotency-Key` → (body fingerprint, answer sequence number);
//! - `turn_results`: the stored answer of every finished turn (replays return it);
//! - `evaluations`: each answer's evaluation (for the assessment);
//! - `outbox`: rows still to project into D1, flushed by the alarm and retried until they land;
//! - `schedule`: the deadlines the one alarm multiplexes (inactivity, outbox);
//! - `tickets`: the realtime socket's single-use tickets.
//!
//! Two child modules keep the media flows apart: `interview_realtime.rs` (tickets, the
//! hibernatable browser socket, the built-in typed turns and the OpenAI Realtime relay) and
//! `interview_video.rs` (the resumable R2 multipart upload of the interview's video).
//!
//! All writes of one state change happen without an intervening `await`, so the runtime commits
//! them atomically. The candidate's answer is stored before the model is called; a model failure
//! leaves the turn pending (503, resumable), never loses the answer. Decisions live in the pure
//! modules (`domain::interviewer`, `domain::interview`, `ai`); this file is storage and flow.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

#[path = "interview_realtime.rs"]
mod realtime;

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
    WebSocket, WebSocketIncomingMessage,
};

use crate::ai::breaker::CircuitBreaker;
use crate::ai::errors::AiError;
use crate::auth::access::Principal;
use crate::config::{AiProviderKind, Config};
use crate::domain::assessment::{candidate_view, generate_builtin, staff_view, Assessment, AssessmentInput};
use crate::domain::engine::cost::PriceTable;
use crate::domain::engine::EngineLimits;
use crate::domain::enums::{
    CompletionReason, InterviewMode, InterviewStatus, MessageType, RoleType, UserRole, VideoStatus,
};
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::{body_fingerprint, InterviewRecord, PendingTurn, StoredMessage};
use crate::domain::interviewer::{ModelQuestions, Session};
use crate::domain::rate_limit::{Rule, Take, TokenBucket};
use crate::domain::time::rfc3339_ms;
use crate::http::error::{ApiError, ErrorCode};
use crate::platform::{log_error, log_event, now_ms};

/// The video recording routes (`/video…`): chunk upload to R2, finalize, delete, retention.
#[path = "interview_video.rs"]
mod video;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, message_type TEXT NOT NULL,
    content_text TEXT NOT NULL, audio_url TEXT, metadata TEXT NOT NULL,
    response_time_ms INTEGER, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, answer_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS turn_results (answer_seq INTEGER PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (answer_seq INTEGER PRIMARY KEY, evaluation TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS schedule (name TEXT PRIMARY KEY, due_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS do_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

/// Deadlines the alarm serves.
const INACTIVITY: &str = "inactivity";
const OUTBOX: &str = "outbox";
const ASSESSMENT: &str = "assessment";

#[durable_object]
pub struct InterviewDo {
    state: State,
    env: Env,
    schema_ready: Rc<Cell<bool>>,
    /// The answer whose model call is in flight in this instance (a duplicate waits its turn).
    in_flight: Rc<Cell<Option<u32>>>,
    /// The realtime relay's in-memory state (the upstream socket lives as long as the instance).
    relay: realtime::SharedRelay,
    /// The configuration, once read (the socket's hot path must not re-read the environment).
    config_cache: Rc<RefCell<Option<Config>>>,
}

impl DurableObject for InterviewDo {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            schema_ready: Rc::default(),
            in_flight: Rc::default(),
            relay: Rc::new(RefCell::new(realtime::Relay::default())),
            config_cache: Rc::default(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if let Err(e) = self.ensure_schema() {
            log_error("interview do schema", &e);
            return internal_response(&ApiError::internal());
        }
        if req.path() == "/realtime/connect" {
            return self.open_socket(&req).await;
        }
        match self.route(req).await {
            Ok((status, body)) => Ok(Response::from_json(&body)?.with_status(status)),
            Err(e) => internal_response(&e),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.ensure_schema()?;
        if let Err(e) = self.run_alarm().await {
            log_error("interview alarm", &e.message);
        }
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        self.ensure_schema()?;
        self.on_client_message(ws, message).await;
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

fn internal_response(err: &ApiError) -> Result<Response> {
    Ok(Response::from_json(&err.to_internal())?.with_status(err.status()))
}

/// Maps a storage failure to a 500 after logging its cause.
fn storage(context: &'static str) -> impl Fn(worker::Error) -> ApiError {
    move |e| {
        log_error(context, &e);
        ApiError::internal()
    }
}

type Outcome = std::result::Result<(u16, Value), ApiError>;

/// The caller as the Worker vouched for it (the DO is reachable only through the binding).
fn caller(req: &Request) -> std::result::Result<Principal, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let user_id = header("X-User-Id").ok_or_else(ApiError::unauthorized)?;
    let role = header("X-User-Role").and_then(|r| UserRole::parse(&r)).ok_or_else(ApiError::unauthorized)?;
    Ok(Principal { user_id, role, jti: String::new(), token_exp_ms: 0 })
}

fn config(env: &Env) -> std::result::Result<Config, ApiError> {
    crate::platform::config(env).map_err(|e| {
        log_error("config", &e);
        ApiError::internal()
    })
}

/// The engine's limits from the configuration.
pub fn limits(c: &Config) -> EngineLimits {
    EngineLimits {
        min_questions: c.min_questions,
        max_questions: c.max_questions,
        min_boundaries: c.min_boundaries,
        cost_cap_micros: c.interview_cost_cap_micros,
    }
    .normalized()
}

#[derive(Deserialize)]
struct StartBody {
    interview_id: String,
    candidate_id: String,
    role_type: RoleType,
    mode: InterviewMode,
    resume_id: Option<String>,
    skill_areas: Option<Vec<String>>,
}

/// What [`InterviewDo::accept_answer`] found.
enum Accepted {
    /// A replayed key whose turn already finished: its stored result.
    Done(Value),
    /// The pending answer's sequence number, to finish.
    Pending(u32),
}

#[derive(Deserialize)]
struct TurnBody {
    message_text: String,
    #[serde(default)]
    client_metadata: Value,
    idempotency_key: Option<String>,
    /// The stored recording of a legacy voice answer.
    #[serde(default)]
    audio_url: Option<String>,
}

#[derive(Deserialize)]
struct MessageRow {
    seq: u32,
    id: String,
    message_type: MessageType,
    content_text: String,
    audio_url: Option<String>,
    metadata: String,
    response_time_ms: Option<i64>,
    created_ms: i64,
}

impl From<MessageRow> for StoredMessage {
    fn from(r: MessageRow) -> Self {
        StoredMessage {
            seq: r.seq,
            id: r.id,
            message_type: r.message_type,
            content_text: r.content_text,
            audio_url: r.audio_url,
            metadata: serde_json::from_str(&r.metadata).unwrap_or(Value::Null),
            response_time_ms: r.response_time_ms,
            created_ms: r.created_ms,
        }
    }
}

#[derive(Deserialize)]
struct TextRow {
    v: String,
}

impl InterviewDo {
    /// Another handle on this instance (same storage, same in-memory state) for tasks that
    /// outlive one event, like the upstream socket's reader.
    fn handle(&self) -> InterviewDo {
        InterviewDo {
            state: State::from(
                wasm_bindgen::JsCast::unchecked_into::<worker::worker_sys::DurableObjectState>(
                    AsRef::<wasm_bindgen::JsValue>::as_ref(self.state.as_raw()).clone(),
                ),
            ),
            env: self.env.clone(),
            schema_ready: Rc::clone(&self.schema_ready),
            in_flight: Rc::clone(&self.in_flight),
            relay: Rc::clone(&self.relay),
            config_cache: Rc::clone(&self.config_cache),
        }
    }

    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            self.sql().exec(SCHEMA, None)?;
            self.ensure_ticket_schema()?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    async fn route(&self, mut req: Request) -> Outcome {
        let path = req.path();
        if path == "/internal/ping" {
            return self.ping().map_err(storage("ping"));
        }
        if path == "/video" || path.starts_with("/video/") {
            // Before the JSON parse: chunk bodies are binary.
            return self.video_route(req, &path).await;
        }
        let who = caller(&req)?;
        let cfg = config(&self.env)?;
        let method = req.method();
        let body: Value = if method == worker::Method::Post {
            req.json().await.map_err(|_| ApiError::new(ErrorCode::MalformedJson, "Bad internal body."))?
        } else {
            Value::Null
        };
        let query =
            req.url().ok().map(|u| u.query_pairs().into_owned().collect::<Vec<_>>()).unwrap_or_default();
        let q = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        match (method, path.as_str()) {
            (worker::Method::Post, "/start") => self.start(&who, body, &cfg).await,
            (worker::Method::Get, "/view") => self.view(&who, &cfg),
            (worker::Method::Get, "/status") => self.status(&who),
            (worker::Method::Get, "/messages") => self.messages(&who, q("skip"), q("limit"), q("after_seq")),
            (worker::Method::Get, "/latest") => self.latest(&who),
            (worker::Method::Get, "/transcript") => self.transcript(&who),
            (worker::Method::Get, "/assessment") => self.assessment(&who),
            (worker::Method::Get, "/detail") => self.detail(&who, &cfg),
            (worker::Method::Post, "/turn") => {
                let outcome = self.turn(&who, body, &cfg).await;
                self.notify_sockets(&outcome, &cfg);
                outcome
            }
            (worker::Method::Post, "/retry") => {
                let outcome = self.retry(&who, &cfg).await;
                self.notify_sockets(&outcome, &cfg);
                outcome
            }
            (worker::Method::Post, "/complete") => {
                let outcome = self.complete(&who, &cfg).await;
                if outcome.is_ok() {
                    self.finish_sockets(CompletionReason::CandidateRequest);
                }
                outcome
            }
            (worker::Method::Post, "/tech-check") => self.tech_check(&who, body, &cfg).await,
            (worker::Method::Post, "/video-consent") => self.video_consent(&who, body, &cfg).await,
            (worker::Method::Post, "/realtime-ticket") => self.issue_ticket(&who, &cfg),
            (worker::Method::Post, "/voice-audio") => self.voice_audio(&who, body, &cfg).await,
            _ => Err(ApiError::not_found()),
        }
    }

    fn ping(&self) -> Result<(u16, Value)> {
        let sql = self.sql();
        sql.exec(
            "INSERT INTO do_meta (key, value) VALUES ('pings', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
            None,
        )?;
        #[derive(Deserialize)]
        struct Row {
            value: f64,
        }
        let row: Row = sql.exec("SELECT value FROM do_meta WHERE key = 'pings'", None)?.one()?;
        Ok((200, json!({ "ok": true, "pings": row.value })))
    }

    // ----- storage --------------------------------------------------------------------------

    fn kv_get<T: serde::de::DeserializeOwned>(&self, key: &str) -> std::result::Result<Option<T>, ApiError> {
        let rows: Vec<TextRow> = self
            .sql()
            .exec("SELECT v FROM kv WHERE k = ?", vec![key.into()])
            .and_then(|c| c.to_array())
            .map_err(storage("kv read"))?;
        match rows.into_iter().next() {
            None => Ok(None),
            Some(r) => serde_json::from_str(&r.v).map(Some).map_err(|e| {
                log_error("kv decode", &e);
                ApiError::internal()
            }),
        }
    }

    fn kv_put<T: serde::Serialize>(&self, key: &str, value: &T) -> std::result::Result<(), ApiError> {
        let text = serde_json::to_string(value).map_err(|e| {
            log_error("kv encode", &e);
            ApiError::internal()
        })?;
        self.sql()
            .exec(
                "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                vec![key.into(), text.into()],
            )
            .map(|_| ())
            .map_err(storage("kv write"))
    }

    fn load(&self) -> std::result::Result<(InterviewRecord, Session), ApiError> {
        let record: InterviewRecord = self.kv_get("record")?.ok_or_else(ApiError::not_found)?;
        let session: Session = self.kv_get("session")?.ok_or_else(ApiError::internal)?;
        Ok((record, session))
    }

    /// Saves the record and session and queues their projection (same synchronous batch).
    fn save(
        &self,
        record: &InterviewRecord,
        session: &Session,
        cfg: &Config,
    ) -> std::result::Result<(), ApiError> {
        self.kv_put("record", record)?;
        self.kv_put("session", session)?;
        let projection = record.projection(session, &limits(cfg), now_ms());
        self.enqueue("interview", &projection)
    }

    fn enqueue(&self, kind: &str, payload: &Value) -> std::result::Result<(), ApiError> {
        self.sql()
            .exec(
                "INSERT INTO outbox (kind, payload) VALUES (?, ?)",
                vec![kind.into(), payload.to_string().into()],
            )
            .map(|_| ())
            .map_err(storage("outbox write"))
    }

    fn insert_message(&self, interview_id: &str, m: &StoredMessage) -> std::result::Result<(), ApiError> {
        self.sql()
            .exec(
                "INSERT INTO messages (seq, id, message_type, content_text, audio_url, metadata, response_time_ms, created_ms) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    SqlStorageValue::Integer(i64::from(m.seq)),
                    m.id.clone().into(),
                    m.message_type.as_str().into(),
                    m.content_text.clone().into(),
                    m.audio_url.clone().map_or(SqlStorageValue::Null, Into::into),
                    m.metadata.to_string().into(),
                    m.response_time_ms.map_or(SqlStorageValue::Null, SqlStorageValue::Integer),
                    SqlStorageValue::Integer(m.created_ms),
                ],
            )
            .map_err(storage("message write"))?;
        self.enqueue(
            "message",
            &json!({
                "id": m.id,
                "interview_id": interview_id,
                "sequence_number": m.seq,
                "message_type": m.message_type,
                "content_text": m.content_text,
                "audio_url": m.audio_url,
                "metadata": m.metadata.to_string(),
                "response_time_ms": m.response_time_ms,
                "created_at": rfc3339_ms(m.created_ms),
            }),
        )
    }

    fn query_messages(
        &self,
        sql: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> std::result::Result<Vec<StoredMessage>, ApiError> {
        let rows: Vec<MessageRow> =
            self.sql().exec(sql, bindings).and_then(|c| c.to_array()).map_err(storage("message read"))?;
        Ok(rows.into_iter().map(StoredMessage::from).collect())
    }

    fn message(&self, seq: u32) -> std::result::Result<Option<StoredMessage>, ApiError> {
        Ok(self
            .query_messages(
                "SELECT * FROM messages WHERE seq = ?",
                vec![SqlStorageValue::Integer(i64::from(seq))],
            )?
            .into_iter()
            .next())
    }

    fn last_message(
        &self,
        kind: Option<MessageType>,
    ) -> std::result::Result<Option<StoredMessage>, ApiError> {
        let rows = match kind {
            Some(k) => self.query_messages(
                "SELECT * FROM messages WHERE message_type = ? ORDER BY seq DESC LIMIT 1",
                vec![k.as_str().into()],
            )?,
            None => self.query_messages("SELECT * FROM messages ORDER BY seq DESC LIMIT 1", vec![])?,
        };
        Ok(rows.into_iter().next())
    }

    fn stored_result(&self, answer_seq: u32) -> std::result::Result<Option<Value>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            result: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT result FROM turn_results WHERE answer_seq = ?",
                vec![SqlStorageValue::Integer(i64::from(answer_seq))],
            )
            .and_then(|c| c.to_array())
            .map_err(storage("result read"))?;
        Ok(rows.into_iter().next().and_then(|r| serde_json::from_str(&r.result).ok()))
    }

    // ----- the schedule and the alarm ---------------------------------------------------------

    fn schedule(&self, name: &str, due_ms: i64) -> std::result::Result<(), ApiError> {
        self.sql()
            .exec(
                "INSERT INTO schedule (name, due_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET due_ms = excluded.due_ms",
                vec![name.into(), SqlStorageValue::Integer(due_ms)],
            )
            .map(|_| ())
            .map_err(storage("schedule write"))
    }

    fn unschedule(&self, name: &str) -> std::result::Result<(), ApiError> {
        self.sql()
            .exec("DELETE FROM schedule WHERE name = ?", vec![name.into()])
            .map(|_| ())
            .map_err(storage("schedule delete"))
    }

    fn earliest_due(&self) -> std::result::Result<Option<i64>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            due: Option<f64>,
        }
        let row: Row = self
            .sql()
            .exec("SELECT MIN(due_ms) AS due FROM schedule", None)
            .and_then(|c| c.one())
            .map_err(storage("schedule read"))?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(row.due.map(|d| d as i64))
    }

    /// Points the one alarm at the earliest deadline.
    async fn arm(&self) {
        let result = async {
            match self.earliest_due().map_err(|_| worker::Error::RustError("schedule".into()))? {
                // An i64 is an offset from now for `set_alarm`, not an absolute time.
                Some(due) => self.state.storage().set_alarm((due - now_ms()).max(0)).await,
                None => self.state.storage().delete_alarm().await,
            }
        }
        .await;
        if let Err(e) = result {
            log_error("arm alarm", &e);
        }
    }

    /// Schedules inactivity and an immediate outbox flush after a state change, then arms.
    async fn after_change(
        &self,
        record: &InterviewRecord,
        cfg: &Config,
    ) -> std::result::Result<(), ApiError> {
        if record.status == InterviewStatus::InProgress {
            #[allow(clippy::cast_possible_truncation)]
            let window = (cfg.abandon_after_minutes * 60_000.0) as i64;
            self.schedule(INACTIVITY, record.last_activity_ms + window)?;
        } else {
            self.unschedule(INACTIVITY)?;
        }
        self.schedule(OUTBOX, now_ms())?;
        self.arm().await;
        Ok(())
    }

    async fn run_alarm(&self) -> std::result::Result<(), ApiError> {
        let cfg = config(&self.env)?;
        let now = now_ms();
        #[derive(Deserialize)]
        struct Row {
            name: String,
        }
        let due: Vec<Row> = self
            .sql()
            .exec("SELECT name FROM schedule WHERE due_ms <= ?", vec![SqlStorageValue::Integer(now + 5)])
            .and_then(|c| c.to_array())
            .map_err(storage("schedule read"))?;
        for Row { name } in due {
            match name.as_str() {
                INACTIVITY => self.check_inactivity(&cfg, now)?,
                ASSESSMENT => {
                    if let Err(e) = self.generate_assessment(&cfg).await {
                        log_error("assessment", &e.message);
                        let attempts: u32 = self.kv_get("assessment_attempts")?.unwrap_or(0) + 1;
                        self.kv_put("assessment_attempts", &attempts)?;
                        let delay = 1000_i64 << attempts.min(8);
                        self.schedule(ASSESSMENT, now_ms() + delay.min(300_000))?;
                    }
                }
                OUTBOX => {
                    self.unschedule(OUTBOX)?;
                    if let Err(attempts) = self.flush_outbox().await {
                        // Retry with backoff: 1 s, 2 s, 4 s … capped at 5 minutes.
                        let delay = 1000_i64 << attempts.min(8);
                        self.schedule(OUTBOX, now_ms() + delay.min(300_000))?;
                    }
                }
                _ => self.unschedule(&name)?,
            }
        }
        self.arm().await;
        Ok(())
    }

    fn check_inactivity(&self, cfg: &Config, now: i64) -> std::result::Result<(), ApiError> {
        let Ok((mut record, session)) = self.load() else { return self.unschedule(INACTIVITY) };
        #[allow(clippy::cast_possible_truncation)]
        let window = (cfg.abandon_after_minutes * 60_000.0) as i64;
        if record.status != InterviewStatus::InProgress {
            return self.unschedule(INACTIVITY);
        }
        if record.last_activity_ms + window > now {
            return self.schedule(INACTIVITY, record.last_activity_ms + window);
        }
        record.status = InterviewStatus::Abandoned;
        record.pending = None;
        record.version += 1;
        self.save(&record, &session, cfg)?;
        self.abandon_sockets();
        self.unschedule(INACTIVITY)?;
        self.schedule(OUTBOX, now)?;
        if session.state.questions_asked > 0 {
            self.schedule(ASSESSMENT, now)?;
        }
        log_event(
            "interview_abandoned",
            json!({ "interview_id": record.id, "questions_asked": session.state.questions_asked }),
        );
        Ok(())
    }

    /// Projects every queued row into D1 in one batch; `Err(attempts)` when D1 refused.
    async fn flush_outbox(&self) -> std::result::Result<(), u32> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            kind: String,
            payload: String,
            attempts: u32,
        }
        let rows: Vec<Row> = match self
            .sql()
            .exec("SELECT * FROM outbox ORDER BY id LIMIT 200", None)
            .and_then(|c| c.to_array())
        {
            Ok(rows) => rows,
            Err(e) => {
                log_error("outbox read", &e);
                return Err(0);
            }
        };
        let Some(last_id) = rows.last().map(|r| r.id) else { return Ok(()) };
        let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
        let result = async {
            let db = self.env.d1("DB")?;
            let mut statements = Vec::new();
            for row in &rows {
                let payload: Value = serde_json::from_str(&row.payload)?;
                statements.extend(crate::store::interviews::projection_statements(&db, &row.kind, &payload)?);
            }
            db.batch(statements).await?;
            Ok::<(), worker::Error>(())
        }
        .await;
        match result {
            Ok(()) => {
                if let Err(e) = self
                    .sql()
                    .exec("DELETE FROM outbox WHERE id <= ?", vec![SqlStorageValue::Integer(last_id)])
                {
                    log_error("outbox delete", &e);
                }
                let more = self
                    .sql()
                    .exec("SELECT id FROM outbox LIMIT 1", None)
                    .map(|c| c.to_array::<Value>().map(|v| !v.is_empty()));
                if matches!(more, Ok(Ok(true))) {
                    let _ = self.schedule(OUTBOX, now_ms());
                }
                Ok(())
            }
            Err(e) => {
                log_error("outbox flush", &e);
                let _ = self.sql().exec(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id <= ?",
                    vec![SqlStorageValue::Integer(last_id)],
                );
                Err(attempts + 1)
            }
        }
    }

    // ----- routes -----------------------------------------------------------------------------

    async fn start(&self, who: &Principal, body: Value, cfg: &Config) -> Outcome {
        let body: StartBody = serde_json::from_value(body).map_err(|_| ApiError::internal())?;
        if who.user_id != body.candidate_id {
            return Err(ApiError::forbidden());
        }
        if self.kv_get::<InterviewRecord>("record")?.is_some() {
            return Err(ApiError::new(ErrorCode::ValidationError, "This interview already exists."));
        }
        let now = now_ms();
        let session = Session::start(&body.interview_id, body.role_type, body.skill_areas);
        let provider = cfg.ai_provider();
        let record = InterviewRecord {
            id: body.interview_id.clone(),
            candidate_id: body.candidate_id,
            resume_id: body.resume_id,
            role_type: body.role_type,
            mode: body.mode,
            status: InterviewStatus::InProgress,
            started_ms: now,
            completed_ms: None,
            completion_reason: None,
            last_activity_ms: now,
            version: 1,
            pending: None,
            answers_bucket: None,
            ai_provider: provider.as_str().to_owned(),
            ai_model: (provider == AiProviderKind::Openai).then(|| cfg.openai_model.clone()),
            tech_check_metadata: None,
            video_recording_consent: false,
            video_recording_status: VideoStatus::NotStarted,
            model_fallbacks: 0,
        };
        let first = StoredMessage {
            seq: 1,
            id: uuid::Uuid::new_v4().to_string(),
            message_type: MessageType::AiQuestion,
            content_text: session.opening_message(),
            audio_url: None,
            metadata: question_metadata(&session),
            response_time_ms: None,
            created_ms: now,
        };
        // One synchronous batch: record, session, first question, outbox rows.
        self.save(&record, &session, cfg)?;
        self.insert_message(&record.id, &first)?;
        self.after_change(&record, cfg).await?;
        // Project right away so the interview lists at once; the alarm retries on failure.
        if self.flush_outbox().await.is_ok() {
            let _ = self.unschedule(OUTBOX);
            self.arm().await;
        }
        log_event(
            "interview_started",
            json!({ "interview_id": record.id, "user_id": record.candidate_id, "role_type": record.role_type,
                    "provider": record.ai_provider }),
        );
        let limits = limits(cfg);
        Ok((
            201,
            json!({
                "id": record.id,
                "candidate_id": record.candidate_id,
                "role_type": record.role_type,
                "status": record.status,
                "mode": record.mode,
                "started_at": rfc3339_ms(record.started_ms),
                "current_difficulty": session.state.current_difficulty,
                "question_number": 1,
                "total_questions": session.total_questions(&limits),
                "first_question": {
                    "message_id": first.id,
                    "text": first.content_text,
                    "skill_area": session.current.skill_area,
                    "difficulty": session.current.difficulty,
                },
                "realtime_url": format!("/api/v1/realtime/{}", record.id),
            }),
        ))
    }

    fn view(&self, who: &Principal, cfg: &Config) -> Outcome {
        let (record, session) = self.load()?;
        who.can_read(&record.candidate_id)?;
        Ok((200, record.view(&session, &limits(cfg), who.role.is_staff(), now_ms())))
    }

    fn status(&self, who: &Principal) -> Outcome {
        let (record, session) = self.load()?;
        who.can_read(&record.candidate_id)?;
        let last = self.last_message(None)?;
        Ok((200, record.status_view(&session, last.as_ref())))
    }

    fn messages(
        &self,
        who: &Principal,
        skip: Option<String>,
        limit: Option<String>,
        after: Option<String>,
    ) -> Outcome {
        let (record, _) = self.load()?;
        who.can_read(&record.candidate_id)?;
        let parse =
            |v: Option<String>, name: &str, default: i64, max: i64| -> std::result::Result<i64, ApiError> {
                match v {
                    None => Ok(default),
                    Some(s) => match s.parse::<i64>() {
                        Ok(n) if (0..=max).contains(&n) => Ok(n),
                        _ => Err(ApiError::field(name, format!("Must be an integer between 0 and {max}."))),
                    },
                }
            };
        let skip = parse(skip, "skip", 0, 1_000_000)?;
        let limit = parse(limit, "limit", 50, 100)?;
        let after = parse(after, "after_seq", 0, 1_000_000)?;
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let total: Count = self
            .sql()
            .exec("SELECT COUNT(*) AS n FROM messages", None)
            .and_then(|c| c.one())
            .map_err(storage("count"))?;
        let page = self.query_messages(
            "SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ? OFFSET ?",
            vec![
                SqlStorageValue::Integer(after),
                SqlStorageValue::Integer(limit),
                SqlStorageValue::Integer(skip),
            ],
        )?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let total_count = total.n.max(0.0) as u64;
        Ok((
            200,
            json!({
                "interview_id": record.id,
                "total_count": total_count,
                "messages": page.iter().map(StoredMessage::view).collect::<Vec<_>>(),
            }),
        ))
    }

    fn latest(&self, who: &Principal) -> Outcome {
        let (record, _) = self.load()?;
        who.can_read(&record.candidate_id)?;
        let m = self.last_message(Some(MessageType::AiQuestion))?.ok_or_else(ApiError::not_found)?;
        Ok((
            200,
            json!({ "message_id": m.id, "sequence_number": m.seq, "text": m.content_text, "audio_url": m.audio_url }),
        ))
    }

    fn transcript(&self, who: &Principal) -> Outcome {
        let (record, _) = self.load()?;
        who.can_read(&record.candidate_id)?;
        let all = self.query_messages("SELECT * FROM messages ORDER BY seq", vec![])?;
        let now = now_ms();
        Ok((
            200,
            json!({
                "interview_id": record.id,
                "started_at": rfc3339_ms(record.started_ms),
                "completed_at": record.completed_ms.map(rfc3339_ms),
                "duration_seconds": record.duration_seconds(now),
                "messages": all.iter().map(StoredMessage::view).collect::<Vec<_>>(),
            }),
        ))
    }

    /// `GET /assessment`: 202 while pending or generating, then the view for the caller's role.
    fn assessment(&self, who: &Principal) -> Outcome {
        let (record, session) = self.load()?;
        who.can_read(&record.candidate_id)?;
        if let Some(a) = self.kv_get::<Assessment>("assessment")? {
            let view = if who.role.is_staff() { staff_view(&a) } else { candidate_view(&a) };
            return Ok((200, view));
        }
        match record.status {
            InterviewStatus::InProgress => Ok((202, json!({ "status": "pending" }))),
            InterviewStatus::Abandoned if session.state.questions_asked == 0 => Err(ApiError::new(
                ErrorCode::NotFound,
                "This interview was abandoned before any answer, so it has no assessment.",
            )),
            _ => Ok((202, json!({ "status": "generating" }))),
        }
    }

    /// `GET /detail` (staff): everything a recruiter reviews about one interview.
    fn detail(&self, who: &Principal, cfg: &Config) -> Outcome {
        who.require_staff()?;
        let (record, session) = self.load()?;
        let now = now_ms();
        let messages = self.query_messages("SELECT * FROM messages ORDER BY seq", vec![])?;
        let cost = &session.state.cost;
        let usd = crate::domain::engine::cost::micros_to_usd;
        Ok((
            200,
            json!({
                "interview": record.view(&session, &limits(cfg), true, now),
                "session_state": InterviewRecord::session_state(&session),
                "progression": {
                    "level_transitions": session.state.level_transitions,
                    "skills_pending": session.state.skills_pending,
                    "memory_truncations": session.state.memory_truncations,
                    "model_fallbacks": record.model_fallbacks,
                },
                "transcript": messages.iter().map(StoredMessage::view).collect::<Vec<_>>(),
                "assessment": self.kv_get::<Assessment>("assessment")?.map(|a| staff_view(&a)),
                "cost": {
                    "llm_usd": usd(cost.llm_micros),
                    "speech_usd": usd(cost.speech_micros),
                    "realtime_usd": usd(cost.realtime_micros),
                    "total_usd": usd(cost.total_micros()),
                    "tokens_in": cost.tokens_in,
                    "tokens_out": cost.tokens_out,
                    "audio_in_s": cost.audio_in_ms / 1000,
                    "audio_out_s": cost.audio_out_ms / 1000,
                },
                "ai_provider": record.ai_provider,
                "ai_model": record.ai_model,
            }),
        ))
    }

    /// Generates and stores the assessment (alarm-driven, at least once, idempotent: a rerun
    /// replaces the stored one and upserts the same D1 row).
    async fn generate_assessment(&self, cfg: &Config) -> std::result::Result<(), ApiError> {
        let started = now_ms();
        let (record, session) = self.load()?;
        if record.status == InterviewStatus::InProgress {
            return self.unschedule(ASSESSMENT);
        }
        let messages = self.query_messages("SELECT * FROM messages ORDER BY seq", vec![])?;
        #[derive(Deserialize)]
        struct Row {
            answer_seq: u32,
            evaluation: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec("SELECT answer_seq, evaluation FROM evaluations ORDER BY answer_seq", None)
            .and_then(|c| c.to_array())
            .map_err(storage("evaluations read"))?;
        let evaluations: Vec<(u32, Evaluation)> = rows
            .into_iter()
            .filter_map(|r| serde_json::from_str(&r.evaluation).ok().map(|e| (r.answer_seq, e)))
            .collect();
        let input = AssessmentInput {
            interview_id: &record.id,
            role: record.role_type,
            session: &session,
            messages: &messages,
            evaluations: &evaluations,
            partial: record.status == InterviewStatus::Abandoned,
            now_ms: started,
        };
        let builtin = generate_builtin(&input);
        let assessment = match crate::adapters::openai_http::OpenAiSettings::from_config(cfg)
            .filter(|_| record.ai_provider == AiProviderKind::Openai.as_str())
        {
            None => builtin,
            Some(settings) => {
                let model = record.ai_model.clone().unwrap_or_else(|| cfg.openai_model.clone());
                let body = crate::ai::assessment::build_assessment_request(&model, &input, &builtin);
                let mut breaker = self.breaker(cfg);
                let parse =
                    |text: &str| crate::ai::assessment::parse_assessment_response(text, &input, &builtin);
                let (result, _) = crate::adapters::openai_http::chat_completion_with(
                    &settings,
                    &body,
                    &mut breaker,
                    &record.id,
                    &parse,
                    &|p: &crate::ai::assessment::ParsedAssessment| p.usage,
                )
                .await;
                let _ = self.kv_put("breaker", &breaker);
                match result {
                    Ok(parsed) => {
                        self.stash_usage(&model, &parsed.usage, false);
                        parsed.assessment
                    }
                    Err(e) => {
                        let usage = e.usage();
                        if usage.input_tokens + usage.output_tokens > 0 {
                            self.stash_usage(&model, &usage, false);
                        }
                        log_event(
                            "assessment_fallback",
                            json!({ "interview_id": record.id, "reason": e.to_string() }),
                        );
                        builtin
                    }
                }
            }
        };
        self.kv_put("assessment", &assessment)?;
        self.enqueue("assessment", &crate::domain::projection::assessment_row(&record.id, &assessment))?;
        self.unschedule(ASSESSMENT)?;
        self.schedule(OUTBOX, now_ms())?;
        log_event(
            "assessment_generated",
            json!({ "interview_id": record.id, "generator": assessment.generator, "partial": assessment.partial,
                    "ms": now_ms() - started }),
        );
        Ok(())
    }

    fn refuse_if_closed(record: &InterviewRecord) -> std::result::Result<(), ApiError> {
        match record.status {
            InterviewStatus::InProgress => Ok(()),
            InterviewStatus::Completed => {
                Err(ApiError::new(ErrorCode::InterviewCompleted, "This interview is already completed."))
            }
            InterviewStatus::Abandoned => Err(ApiError::new(
                ErrorCode::InterviewAbandoned,
                "This interview was abandoned after inactivity; start a new one.",
            )),
        }
    }

    async fn turn(&self, who: &Principal, body: Value, cfg: &Config) -> Outcome {
        let received = now_ms();
        let body: TurnBody = serde_json::from_value(body).map_err(|_| ApiError::internal())?;
        match self.accept_answer(who, body, cfg).await? {
            Accepted::Done(result) => Ok((200, result)),
            Accepted::Pending(seq) => self.finish_pending(who, cfg, Some(seq), received, None).await,
        }
    }

    /// Stores a candidate's answer as the pending turn (after the idempotency, status, pending
    /// and rate checks), or finds the stored result of a replayed key.
    async fn accept_answer(
        &self,
        who: &Principal,
        body: TurnBody,
        cfg: &Config,
    ) -> std::result::Result<Accepted, ApiError> {
        let (mut record, session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let fingerprint = body_fingerprint(&body.message_text, &body.client_metadata);
        if let Some(key) = &body.idempotency_key {
            #[derive(Deserialize)]
            struct Row {
                fingerprint: String,
                answer_seq: u32,
            }
            let rows: Vec<Row> = self
                .sql()
                .exec(
                    "SELECT fingerprint, answer_seq FROM idempotency WHERE key = ?",
                    vec![key.clone().into()],
                )
                .and_then(|c| c.to_array())
                .map_err(storage("idempotency read"))?;
            if let Some(row) = rows.into_iter().next() {
                if row.fingerprint != fingerprint {
                    return Err(ApiError::new(
                        ErrorCode::IdempotencyKeyReused,
                        "This Idempotency-Key was used with a different request.",
                    ));
                }
                if let Some(result) = self.stored_result(row.answer_seq)? {
                    return Ok(Accepted::Done(result));
                }
                return Ok(Accepted::Pending(row.answer_seq));
            }
        }
        Self::refuse_if_closed(&record)?;
        if record.pending.is_some() {
            return Err(ApiError::new(
                ErrorCode::AiResponsePending,
                "The interviewer has not answered your previous message yet. Retry it or use /messages/retry.",
            )
            .with_extra("pending_ai_response", true.into()));
        }
        let now = now_ms();
        let rule = Rule {
            capacity: cfg.answer_rate_burst,
            refill_per_minute: f64::from(cfg.answer_rate_per_minute),
        };
        let mut bucket = record.answers_bucket.unwrap_or_else(|| TokenBucket::full(rule, now));
        if let Take::Limited { retry_after_secs } = bucket.take(rule, now) {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                "You are answering too fast. Please wait a moment.",
            )
            .with_retry_after(retry_after_secs));
        }
        let last = self.last_message(None)?;
        let seq = last.as_ref().map_or(1, |m| m.seq + 1);
        let answer = StoredMessage {
            seq,
            id: uuid::Uuid::new_v4().to_string(),
            message_type: MessageType::CandidateResponse,
            content_text: body.message_text,
            audio_url: body.audio_url,
            metadata: json!({ "client_metadata": body.client_metadata, "question_number": session.current.question_number }),
            response_time_ms: last.as_ref().map(|m| (now - m.created_ms).max(0)),
            created_ms: now,
        };
        record.answers_bucket = Some(bucket);
        record.pending = Some(PendingTurn {
            answer_seq: seq,
            idempotency_key: body.idempotency_key.clone(),
            since_ms: now,
        });
        record.last_activity_ms = now;
        record.version += 1;
        // One synchronous batch: the answer, the pending mark, the key, the outbox rows.
        self.insert_message(&record.id, &answer)?;
        if let Some(key) = &body.idempotency_key {
            self.sql()
                .exec(
                    "INSERT INTO idempotency (key, fingerprint, answer_seq, created_ms) VALUES (?, ?, ?, ?)",
                    vec![
                        key.clone().into(),
                        fingerprint.into(),
                        SqlStorageValue::Integer(i64::from(seq)),
                        SqlStorageValue::Integer(now),
                    ],
                )
                .map_err(storage("idempotency write"))?;
        }
        self.save(&record, &session, cfg)?;
        if record.ai_provider != AiProviderKind::Builtin.as_str() {
            // A model call can take seconds: arm the alarm now so the answer reaches D1 and
            // inactivity is tracked even if this instance is evicted meanwhile. The built-in
            // provider answers at once and arms below.
            self.after_change(&record, cfg).await?;
        }
        Ok(Accepted::Pending(seq))
    }

    async fn retry(&self, who: &Principal, cfg: &Config) -> Outcome {
        let (record, _) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        match &record.pending {
            Some(p) => {
                let seq = p.answer_seq;
                self.finish_pending(who, cfg, Some(seq), now_ms(), None).await
            }
            None => {
                // Nothing pending: replay the latest finished turn, if any.
                Self::refuse_if_closed(&record)?;
                let last_answer = self.last_message(Some(MessageType::CandidateResponse))?;
                match last_answer.map(|m| m.seq).map(|s| self.stored_result(s)).transpose()?.flatten() {
                    Some(result) => Ok((200, result)),
                    None => {
                        Err(ApiError::new(ErrorCode::ValidationError, "There is no pending answer to retry."))
                    }
                }
            }
        }
    }

    /// Produces the interviewer's reply to the pending answer `answer_seq`: one provider call,
    /// then the engine's decision, the reply message and the stored result.
    async fn finish_pending(
        &self,
        who: &Principal,
        cfg: &Config,
        answer_seq: Option<u32>,
        received_ms: i64,
        provided_evaluation: Option<Evaluation>,
    ) -> Outcome {
        let (record, session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let Some(pending) = record.pending.clone() else {
            if let Some(result) = answer_seq.map(|s| self.stored_result(s)).transpose()?.flatten() {
                return Ok((200, result));
            }
            Self::refuse_if_closed(&record)?;
            return Err(ApiError::new(ErrorCode::ValidationError, "There is no pending answer."));
        };
        if answer_seq.is_some_and(|s| s != pending.answer_seq) {
            if let Some(result) = answer_seq.map(|s| self.stored_result(s)).transpose()?.flatten() {
                return Ok((200, result));
            }
        }
        if self.in_flight.get() == Some(pending.answer_seq) {
            return Err(ApiError::new(ErrorCode::AiResponsePending, "The interviewer is still answering.")
                .with_retry_after(1)
                .with_extra("pending_ai_response", true.into()));
        }
        let answer = self.message(pending.answer_seq)?.ok_or_else(ApiError::internal)?;
        let started = now_ms();
        self.in_flight.set(Some(pending.answer_seq));
        let provided = match provided_evaluation {
            // A realtime turn: the voice model already evaluated the answer through its tool.
            Some(evaluation) => Ok((evaluation, None, None)),
            None => self.evaluate(&record, &session, cfg, &answer.content_text).await,
        };
        self.in_flight.set(None);

        // Other requests may have run during the model call: continue from the stored state.
        let (mut record, mut session) = self.load()?;
        if record.pending.as_ref() != Some(&pending) {
            return match self.stored_result(pending.answer_seq)? {
                Some(result) => Ok((200, result)),
                None => {
                    Self::refuse_if_closed(&record)?;
                    Err(ApiError::new(ErrorCode::AiResponsePending, "The interviewer is still answering.")
                        .with_retry_after(1))
                }
            };
        }
        let (mut evaluation, questions, breaker) = match provided {
            Ok(p) => p,
            Err((err, breaker)) => {
                if let Some(b) = breaker {
                    self.kv_put("breaker", &b)?;
                }
                self.after_change(&record, cfg).await?;
                let retry_after = err.retry_after_secs();
                log_event("turn_failed", json!({ "interview_id": record.id, "reason": err.to_string() }));
                return Err(ApiError::new(
                    ErrorCode::AiUnavailable,
                    "The interviewer is temporarily unavailable. Your answer is saved; retry shortly.",
                )
                .with_retry_after(u32::try_from(retry_after).unwrap_or(u32::MAX))
                .with_extra("pending_ai_response", true.into())
                .with_extra("message_id", answer.id.clone().into()));
            }
        };
        if let Some(b) = breaker {
            self.kv_put("breaker", &b)?;
        }
        evaluation.skill_area = session.current.skill_area.clone();
        let limits = limits(cfg);
        let difficulty_before = session.state.current_difficulty;
        let decision = match session.apply_evaluation(&evaluation, pending.answer_seq, &limits) {
            Ok(d) => d,
            Err(_) => {
                return Err(ApiError::new(
                    ErrorCode::InterviewCompleted,
                    "This interview is already completed.",
                ))
            }
        };
        let next = session.plan_next(&decision, &evaluation, questions.as_ref());
        if next.as_ref().is_some_and(|n| n.model_fallback.is_some()) {
            record.model_fallbacks += 1;
        }
        let reply_text = next.as_ref().map_or_else(|| session.closing_text(), |n| n.reply_text.clone());
        let now = now_ms();
        let reply = StoredMessage {
            seq: pending.answer_seq + 1,
            id: uuid::Uuid::new_v4().to_string(),
            message_type: MessageType::AiQuestion,
            content_text: reply_text,
            audio_url: None,
            metadata: if next.is_some() { question_metadata(&session) } else { json!({ "closing": true }) },
            response_time_ms: Some(now - started),
            created_ms: now,
        };
        if let Some(reason) = decision.completion {
            record.status = InterviewStatus::Completed;
            record.completed_ms = Some(now);
            record.completion_reason = Some(reason);
            self.schedule(ASSESSMENT, now)?;
        }
        record.pending = None;
        record.last_activity_ms = now;
        record.version += 1;
        let mut result = json!({
            "message_id": answer.id,
            "ai_message_id": reply.id,
            "ai_response": reply.content_text,
            "question_number": decision.question_number,
            "total_questions": decision.total_questions,
            "interview_complete": decision.completion.is_some(),
            "session_state": InterviewRecord::session_state(&session),
        });
        if let Some(reason) = decision.completion {
            result["completion_reason"] = json!(reason);
        }
        if cfg.show_live_feedback {
            result["evaluation"] = json!(evaluation);
        }
        // One synchronous batch: reply, evaluation, result, state, outbox rows.
        self.insert_message(&record.id, &reply)?;
        self.sql()
            .exec(
                "INSERT OR REPLACE INTO evaluations (answer_seq, evaluation) VALUES (?, ?)",
                vec![
                    SqlStorageValue::Integer(i64::from(pending.answer_seq)),
                    json!(evaluation).to_string().into(),
                ],
            )
            .map_err(storage("evaluation write"))?;
        self.sql()
            .exec(
                "INSERT INTO turn_results (answer_seq, result) VALUES (?, ?)",
                vec![SqlStorageValue::Integer(i64::from(pending.answer_seq)), result.to_string().into()],
            )
            .map_err(storage("result write"))?;
        self.save(&record, &session, cfg)?;
        self.after_change(&record, cfg).await?;
        log_event(
            "turn",
            json!({ "interview_id": record.id, "question_number": decision.question_number,
                    "difficulty_before": difficulty_before, "difficulty_after": decision.difficulty_after,
                    "server_ms": now_ms() - received_ms, "model_ms": now - started,
                    "provider": record.ai_provider }),
        );
        if decision.difficulty_changed {
            log_event(
                "difficulty_changed",
                json!({ "interview_id": record.id, "from": difficulty_before, "to": decision.difficulty_after }),
            );
        }
        if let Some(b) = &decision.boundary {
            log_event(
                "skill_boundary",
                json!({ "interview_id": record.id, "skill_area": b.skill_area, "level": b.boundary_level }),
            );
        }
        if let Some(reason) = decision.completion {
            log_event("interview_completed", json!({ "interview_id": record.id, "reason": reason }));
        }
        Ok((200, result))
    }

    /// The provider's evaluation of `answer` and, for a model, its proposed questions; on
    /// failure the error and the breaker to save.
    async fn evaluate(
        &self,
        record: &InterviewRecord,
        session: &Session,
        cfg: &Config,
        answer: &str,
    ) -> std::result::Result<
        (Evaluation, Option<ModelQuestions>, Option<CircuitBreaker>),
        (AiError, Option<CircuitBreaker>),
    > {
        let Some(settings) = crate::adapters::openai_http::OpenAiSettings::from_config(cfg)
            .filter(|_| record.ai_provider == "openai")
        else {
            return Ok((session.evaluate_builtin(answer), None, None));
        };
        let model = record.ai_model.clone().unwrap_or_else(|| cfg.openai_model.clone());
        let log: Vec<(MessageType, String)> =
            match self.query_messages("SELECT * FROM messages ORDER BY seq", vec![]) {
                Ok(all) => all.into_iter().map(|m| (m.message_type, m.content_text)).collect(),
                Err(_) => vec![(MessageType::CandidateResponse, answer.to_owned())],
            };
        let prepared = crate::ai::turn::prepare_turn(session, &model, &log, answer);
        let mut breaker = self.breaker(cfg);
        let (result, _report) = crate::adapters::openai_http::chat_completion(
            &settings,
            &prepared.body,
            &mut breaker,
            &record.id,
        )
        .await;
        match result {
            Ok(parsed) => {
                let questions = crate::ai::turn::session_questions(&parsed.questions, session);
                // Cost and memory are recorded on the session the caller reloads: stash them.
                self.stash_usage(&model, &parsed.usage, prepared.memory.truncated());
                Ok((parsed.evaluation, Some(questions), Some(breaker)))
            }
            Err(e) => {
                let usage = e.usage();
                if usage.input_tokens + usage.output_tokens > 0 {
                    self.stash_usage(&model, &usage, false);
                }
                Err((e, Some(breaker)))
            }
        }
    }

    /// The stored circuit breaker, with the configured open time.
    fn breaker(&self, cfg: &Config) -> CircuitBreaker {
        let mut breaker: CircuitBreaker = self.kv_get("breaker").ok().flatten().unwrap_or_default();
        breaker.config.open_ms = cfg.openai_breaker_open_ms;
        breaker
    }

    /// Adds a model call's cost (and a memory truncation) to the stored session at once, so a
    /// failed turn's tokens are billed too.
    fn stash_usage(&self, model: &str, usage: &crate::domain::engine::cost::ChatUsage, truncated: bool) {
        let Ok(Some(mut session)) = self.kv_get::<Session>("session") else { return };
        session.state.cost.add_chat(&PriceTable::default(), model, usage);
        if truncated {
            session.state.memory_truncations += 1;
        }
        if let Err(e) = self.kv_put("session", &session) {
            log_error("usage write", &e.message);
        }
    }

    async fn complete(&self, who: &Principal, cfg: &Config) -> Outcome {
        let (mut record, session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let now = now_ms();
        match record.status {
            InterviewStatus::Abandoned => {
                return Self::refuse_if_closed(&record).map(|()| (200, Value::Null))
            }
            InterviewStatus::Completed => {}
            InterviewStatus::InProgress => {
                record.status = InterviewStatus::Completed;
                record.completed_ms = Some(now);
                record.completion_reason = Some(CompletionReason::CandidateRequest);
                record.pending = None;
                record.last_activity_ms = now;
                record.version += 1;
                self.save(&record, &session, cfg)?;
                self.schedule(ASSESSMENT, now)?;
                self.after_change(&record, cfg).await?;
                log_event(
                    "interview_completed",
                    json!({ "interview_id": record.id, "reason": "candidate_request" }),
                );
            }
        }
        Ok((
            200,
            json!({
                "interview_id": record.id,
                "completed_at": record.completed_ms.map(rfc3339_ms),
                "duration_seconds": record.duration_seconds(now),
                "questions_answered": session.state.questions_asked,
                "skill_boundaries_identified": session.state.skill_boundaries.len(),
                "completion_reason": record.completion_reason,
                "message": "The interview is complete. Your assessment is being prepared.",
            }),
        ))
    }

    /// After a legacy voice turn: the reply's synthesized audio and the speech costs.
    async fn voice_audio(&self, who: &Principal, body: Value, cfg: &Config) -> Outcome {
        #[derive(Deserialize)]
        struct VoiceAudio {
            ai_message_id: String,
            ai_audio_url: Option<String>,
            audio_ms: u64,
            tts_chars: u64,
        }
        let body: VoiceAudio = serde_json::from_value(body).map_err(|_| ApiError::internal())?;
        let (record, mut session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let prices = PriceTable::default();
        session.state.cost.add_transcription(&prices, &cfg.transcription_model, body.audio_ms);
        if body.tts_chars > 0 {
            session.state.cost.add_speech(&prices, &cfg.tts_model, body.tts_chars);
        }
        if let Some(url) = &body.ai_audio_url {
            self.sql()
                .exec(
                    "UPDATE messages SET audio_url = ? WHERE id = ?",
                    vec![url.clone().into(), body.ai_message_id.clone().into()],
                )
                .map_err(storage("message audio"))?;
            self.enqueue("message_audio", &json!({ "id": body.ai_message_id, "audio_url": url }))?;
        }
        let mut record = record;
        record.version += 1;
        self.save(&record, &session, cfg)?;
        self.after_change(&record, cfg).await?;
        Ok((200, json!({ "ok": true })))
    }

    async fn tech_check(&self, who: &Principal, body: Value, cfg: &Config) -> Outcome {
        let (mut record, session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let mut metadata = body;
        metadata["checked_at"] = json!(rfc3339_ms(now_ms()));
        record.tech_check_metadata = Some(metadata.clone());
        record.version += 1;
        self.save(&record, &session, cfg)?;
        self.after_change(&record, cfg).await?;
        Ok((200, json!({ "interview_id": record.id, "tech_check_metadata": metadata })))
    }

    async fn video_consent(&self, who: &Principal, body: Value, cfg: &Config) -> Outcome {
        let (mut record, session) = self.load()?;
        who.require_owner(&record.candidate_id)?;
        let consent = body.get("consent").and_then(Value::as_bool).ok_or_else(ApiError::internal)?;
        record.video_recording_consent = consent;
        record.version += 1;
        self.save(&record, &session, cfg)?;
        self.after_change(&record, cfg).await?;
        Ok((
            200,
            json!({ "interview_id": record.id, "video_recording_consent": consent,
                    "video_recording_status": record.video_recording_status }),
        ))
    }
}

/// Metadata of a question message: what was asked, for the transcript and the assessment.
fn question_metadata(session: &Session) -> Value {
    let q = &session.current;
    json!({
        "question_number": q.question_number,
        "skill_area": q.skill_area,
        "difficulty": q.difficulty,
        "question_id": q.question_id,
        "is_follow_up": q.is_follow_up,
    })
}
