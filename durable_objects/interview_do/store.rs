//! The interview's storage: the core's [`InterviewStore`] over the Durable Object's SQLite.
//!
//! - `kv`: the interview record, the interviewer `Session` and small slots (JSON);
//! - `messages`: the message log (sequence numbers are the primary key, so never duplicated);
//! - `idempotency`: `Idempotency-Key` → (body fingerprint, answer sequence number);
//! - `turn_results`: the stored answer of every finished turn (replays return it);
//! - `evaluations`: each answer's evaluation (for the assessment);
//! - `outbox`: rows still to project into D1, flushed by the alarm and retried until they land;
//! - `schedule`: the deadlines the one alarm multiplexes;
//! - `tickets` (see `realtime.rs`) and the video slots (see `video.rs`) use the same `kv`.
//!
//! Every method is synchronous: writes made without an intervening `await` commit atomically.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{SqlStorage, SqlStorageValue};

use crate::domain::enums::MessageType;
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::Session;
use crate::interview::ports::StoreResult;
use crate::interview::{
    Deadline, InterviewStore, KeyEntry, OutboxEntry, QueuedRow, Slot, StoreError, TurnReply,
};

pub const SCHEMA: &str = "
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

fn int(n: impl Into<i64>) -> SqlStorageValue {
    SqlStorageValue::Integer(n.into())
}

fn err(context: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| StoreError::new(context, e)
}

/// The Durable Object's SQLite, as the interview's store.
#[derive(Clone)]
pub struct SqlStore {
    sql: SqlStorage,
    /// Messages written through this store and its siblings (the instance's handles), so the
    /// relay knows when the log's tail it read is stale without reading it again.
    message_writes: Rc<Cell<u64>>,
    /// Rows queued for the projection through this store and its siblings (`flows::Flush`).
    outbox_writes: Rc<Cell<u64>>,
    /// The record and the session as last read or written on this instance. The object is the
    /// only writer of its storage, so memory stays right; every turn reads both twice (the
    /// answer is stored, then finished), and decoding the session's JSON each time was a fifth
    /// of the object's CPU per turn. Erasure forgets it (`forget_cached`).
    cached: Rc<RefCell<Cached>>,
}

/// `None`: not read yet; `Some(None)`: read, absent.
#[derive(Default)]
struct Cached {
    record: Option<Option<InterviewRecord>>,
    session: Option<Option<Session>>,
}

impl SqlStore {
    pub fn new(sql: SqlStorage) -> Self {
        SqlStore { sql, message_writes: Rc::default(), outbox_writes: Rc::default(), cached: Rc::default() }
    }

    /// Another store over `sql` sharing this one's write count (a handle on the same instance).
    pub fn sibling(&self, sql: SqlStorage) -> Self {
        SqlStore {
            sql,
            message_writes: Rc::clone(&self.message_writes),
            outbox_writes: Rc::clone(&self.outbox_writes),
            cached: Rc::clone(&self.cached),
        }
    }

    /// How many messages were written on this instance (a version of the log, not a count).
    pub fn message_writes(&self) -> u64 {
        self.message_writes.get()
    }

    /// How many outbox rows were queued on this instance (a version, not a count).
    pub fn outbox_writes(&self) -> u64 {
        self.outbox_writes.get()
    }

    /// Forgets the cached record and session (the storage was erased under the store).
    pub fn forget_cached(&self) {
        *self.cached.borrow_mut() = Cached::default();
    }

    /// Retention (docs/privacy.md): deletes the transcript (messages, stored turns,
    /// evaluations, idempotency keys) and/or the assessment, in one synchronous batch.
    pub fn purge(&self, transcript: bool, assessment: bool) -> StoreResult<()> {
        if transcript {
            for table in ["messages", "turn_results", "evaluations", "idempotency"] {
                self.run("purge", &format!("DELETE FROM {table}"), vec![])?;
            }
        }
        if assessment {
            self.run("purge", "DELETE FROM kv WHERE k IN ('assessment', 'assessment_attempts')", vec![])?;
        }
        Ok(())
    }

    /// Whether this object's storage holds the interview tables (a read: nothing is created).
    pub fn has_schema(&self) -> StoreResult<bool> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let rows: Vec<Row> = self.rows(
            "schema read",
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'kv'",
            vec![],
        )?;
        Ok(rows.first().is_some_and(|r| r.n > 0.0))
    }

    pub fn create_schema(&self) -> worker::Result<()> {
        self.sql.exec(SCHEMA, None).map(|_| ())
    }

    fn rows<T: DeserializeOwned>(
        &self,
        context: &'static str,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> StoreResult<Vec<T>> {
        self.sql.exec(query, bindings).and_then(|c| c.to_array()).map_err(err(context))
    }

    fn run(&self, context: &'static str, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<()> {
        self.sql.exec(query, bindings).map(|_| ()).map_err(err(context))
    }

    fn messages(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<Vec<StoredMessage>> {
        Ok(self.rows::<MessageRow>("message read", query, bindings)?.into_iter().map(Into::into).collect())
    }

    /// A JSON value of the `kv` table.
    pub fn kv_get<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        #[derive(Deserialize)]
        struct Row {
            v: String,
        }
        let rows: Vec<Row> = self.rows("kv read", "SELECT v FROM kv WHERE k = ?", vec![key.into()])?;
        match rows.into_iter().next() {
            None => Ok(None),
            Some(r) => serde_json::from_str(&r.v).map(Some).map_err(|e| StoreError::new("kv decode", e)),
        }
    }

    pub fn kv_put<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<()> {
        // Written as untyped JSON here: read back from storage next time (the typed writers
        // below cache what they wrote).
        match key {
            "record" => self.cached.borrow_mut().record = None,
            "session" => self.cached.borrow_mut().session = None,
            _ => {}
        }
        let text = serde_json::to_string(value).map_err(|e| StoreError::new("kv encode", e))?;
        self.run(
            "kv write",
            "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
            vec![key.into(), text.into()],
        )
    }

    pub fn kv_delete(&self, key: &str) -> StoreResult<()> {
        self.forget_cached();
        self.run("kv delete", "DELETE FROM kv WHERE k = ?", vec![key.into()])
    }

    /// The foundation's ping counter (proves the object's storage persists).
    pub fn ping(&self) -> StoreResult<f64> {
        self.run(
            "ping",
            "INSERT INTO do_meta (key, value) VALUES ('pings', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
            vec![],
        )?;
        #[derive(Deserialize)]
        struct Row {
            value: f64,
        }
        let rows: Vec<Row> = self.rows("ping", "SELECT value FROM do_meta WHERE key = 'pings'", vec![])?;
        Ok(rows.first().map_or(0.0, |r| r.value))
    }
}

impl InterviewStore for SqlStore {
    fn exists(&self) -> StoreResult<bool> {
        Ok(self.kv_get::<Value>("record")?.is_some())
    }
    fn record(&self) -> StoreResult<Option<InterviewRecord>> {
        if let Some(record) = &self.cached.borrow().record {
            return Ok(record.clone());
        }
        let record: Option<InterviewRecord> = self.kv_get("record")?;
        self.cached.borrow_mut().record = Some(record.clone());
        Ok(record)
    }
    fn session(&self) -> StoreResult<Option<Session>> {
        if let Some(session) = &self.cached.borrow().session {
            return Ok(session.clone());
        }
        let session: Option<Session> = self.kv_get("session")?;
        self.cached.borrow_mut().session = Some(session.clone());
        Ok(session)
    }
    fn put_record(&self, record: &InterviewRecord) -> StoreResult<()> {
        self.kv_put("record", record)?;
        self.cached.borrow_mut().record = Some(Some(record.clone()));
        Ok(())
    }
    fn put_session(&self, session: &Session) -> StoreResult<()> {
        self.kv_put("session", session)?;
        self.cached.borrow_mut().session = Some(Some(session.clone()));
        Ok(())
    }
    fn slot(&self, slot: Slot) -> StoreResult<Option<Value>> {
        self.kv_get(slot.key())
    }
    fn put_slot(&self, slot: Slot, value: &Value) -> StoreResult<()> {
        self.kv_put(slot.key(), value)
    }
    fn insert_message(&self, m: &StoredMessage) -> StoreResult<()> {
        self.message_writes.set(self.message_writes.get().wrapping_add(1));
        self.run(
            "message write",
            "INSERT INTO messages (seq, id, message_type, content_text, audio_url, metadata, response_time_ms, created_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                int(m.seq),
                m.id.clone().into(),
                m.message_type.as_str().into(),
                m.content_text.clone().into(),
                m.audio_url.clone().map_or(SqlStorageValue::Null, Into::into),
                m.metadata.to_string().into(),
                m.response_time_ms.map_or(SqlStorageValue::Null, SqlStorageValue::Integer),
                int(m.created_ms),
            ],
        )
    }
    fn set_message_audio(&self, message_id: &str, audio_url: &str) -> StoreResult<()> {
        self.run(
            "message audio",
            "UPDATE messages SET audio_url = ? WHERE id = ?",
            vec![audio_url.into(), message_id.into()],
        )
    }
    fn message(&self, seq: u32) -> StoreResult<Option<StoredMessage>> {
        Ok(self.messages("SELECT * FROM messages WHERE seq = ?", vec![int(seq)])?.into_iter().next())
    }
    fn last_message(&self, kind: Option<MessageType>) -> StoreResult<Option<StoredMessage>> {
        let rows = match kind {
            Some(k) => self.messages(
                "SELECT * FROM messages WHERE message_type = ? ORDER BY seq DESC LIMIT 1",
                vec![k.as_str().into()],
            )?,
            None => self.messages("SELECT * FROM messages ORDER BY seq DESC LIMIT 1", vec![])?,
        };
        Ok(rows.into_iter().next())
    }
    fn messages_page(&self, after: u32, skip: u32, limit: u32) -> StoreResult<Vec<StoredMessage>> {
        self.messages(
            "SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ? OFFSET ?",
            vec![int(after), int(limit), int(skip)],
        )
    }
    fn message_count(&self) -> StoreResult<u64> {
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let rows: Vec<Count> = self.rows("count", "SELECT COUNT(*) AS n FROM messages", vec![])?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(rows.first().map_or(0, |c| c.n.max(0.0) as u64))
    }
    fn all_messages(&self) -> StoreResult<Vec<StoredMessage>> {
        self.messages("SELECT * FROM messages ORDER BY seq", vec![])
    }
    fn key_entry(&self, key: &str) -> StoreResult<Option<KeyEntry>> {
        #[derive(Deserialize)]
        struct Row {
            fingerprint: String,
            answer_seq: u32,
        }
        let rows: Vec<Row> = self.rows(
            "idempotency read",
            "SELECT fingerprint, answer_seq FROM idempotency WHERE key = ?",
            vec![key.into()],
        )?;
        Ok(rows.into_iter().next().map(|r| KeyEntry { fingerprint: r.fingerprint, answer_seq: r.answer_seq }))
    }
    fn put_key_entry(&self, key: &str, entry: &KeyEntry, created_ms: i64) -> StoreResult<()> {
        self.run(
            "idempotency write",
            "INSERT INTO idempotency (key, fingerprint, answer_seq, created_ms) VALUES (?, ?, ?, ?)",
            vec![key.into(), entry.fingerprint.clone().into(), int(entry.answer_seq), int(created_ms)],
        )
    }
    fn turn_result(&self, answer_seq: u32) -> StoreResult<Option<TurnReply>> {
        #[derive(Deserialize)]
        struct Row {
            result: String,
        }
        let rows: Vec<Row> = self.rows(
            "result read",
            "SELECT result FROM turn_results WHERE answer_seq = ?",
            vec![int(answer_seq)],
        )?;
        Ok(rows.into_iter().next().and_then(|r| serde_json::from_str(&r.result).ok()))
    }
    fn put_turn_result(&self, answer_seq: u32, result: &TurnReply) -> StoreResult<()> {
        let text = serde_json::to_string(result).map_err(|e| StoreError::new("result encode", e))?;
        self.run(
            "result write",
            "INSERT INTO turn_results (answer_seq, result) VALUES (?, ?)",
            vec![int(answer_seq), text.into()],
        )
    }
    fn put_evaluation(&self, answer_seq: u32, evaluation: &Evaluation) -> StoreResult<()> {
        let text = serde_json::to_string(evaluation).map_err(|e| StoreError::new("evaluation encode", e))?;
        self.run(
            "evaluation write",
            "INSERT OR REPLACE INTO evaluations (answer_seq, evaluation) VALUES (?, ?)",
            vec![int(answer_seq), text.into()],
        )
    }
    fn evaluations(&self) -> StoreResult<Vec<(u32, Evaluation)>> {
        #[derive(Deserialize)]
        struct Row {
            answer_seq: u32,
            evaluation: String,
        }
        let rows: Vec<Row> = self.rows(
            "evaluations read",
            "SELECT answer_seq, evaluation FROM evaluations ORDER BY answer_seq",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| serde_json::from_str(&r.evaluation).ok().map(|e| (r.answer_seq, e)))
            .collect())
    }
    fn enqueue(&self, entry: &OutboxEntry) -> StoreResult<()> {
        self.outbox_writes.set(self.outbox_writes.get().wrapping_add(1));
        self.run(
            "outbox write",
            "INSERT INTO outbox (kind, payload) VALUES (?, ?)",
            vec![entry.kind().into(), entry.payload().to_string().into()],
        )
    }
    fn outbox_batch(&self, max: u32) -> StoreResult<Vec<QueuedRow>> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            kind: String,
            payload: String,
            attempts: u32,
        }
        let rows: Vec<Row> =
            self.rows("outbox read", "SELECT * FROM outbox ORDER BY id LIMIT ?", vec![int(max)])?;
        Ok(rows
            .into_iter()
            .map(|r| QueuedRow {
                id: r.id,
                kind: r.kind,
                payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
                attempts: r.attempts,
            })
            .collect())
    }
    fn outbox_delete_through(&self, id: i64) -> StoreResult<()> {
        self.run("outbox delete", "DELETE FROM outbox WHERE id <= ?", vec![int(id)])
    }
    fn outbox_bump_through(&self, id: i64) -> StoreResult<()> {
        self.run("outbox attempts", "UPDATE outbox SET attempts = attempts + 1 WHERE id <= ?", vec![int(id)])
    }
    fn outbox_is_empty(&self) -> StoreResult<bool> {
        let rows: Vec<Value> = self.rows("outbox read", "SELECT id FROM outbox LIMIT 1", vec![])?;
        Ok(rows.is_empty())
    }
    fn schedule(&self, deadline: Deadline, due_ms: i64) -> StoreResult<()> {
        self.run(
            "schedule write",
            "INSERT INTO schedule (name, due_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET due_ms = excluded.due_ms",
            vec![deadline.as_str().into(), int(due_ms)],
        )
    }
    fn unschedule(&self, deadline: Deadline) -> StoreResult<()> {
        self.run("schedule delete", "DELETE FROM schedule WHERE name = ?", vec![deadline.as_str().into()])
    }
    fn earliest_due(&self) -> StoreResult<Option<i64>> {
        #[derive(Deserialize)]
        struct Row {
            due: Option<f64>,
        }
        let rows: Vec<Row> = self.rows("schedule read", "SELECT MIN(due_ms) AS due FROM schedule", vec![])?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(rows.first().and_then(|r| r.due).map(|d| d as i64))
    }
    fn due(&self, now_ms: i64) -> StoreResult<Vec<Deadline>> {
        #[derive(Deserialize)]
        struct Row {
            name: String,
        }
        let rows: Vec<Row> = self.rows(
            "schedule read",
            "SELECT name FROM schedule WHERE due_ms <= ? ORDER BY due_ms",
            vec![int(now_ms)],
        )?;
        let mut due = Vec::new();
        for Row { name } in rows {
            match Deadline::parse(&name) {
                Some(d) => due.push(d),
                // A name this version does not know: drop it rather than fire forever.
                None => {
                    self.run("schedule delete", "DELETE FROM schedule WHERE name = ?", vec![name.into()])?
                }
            }
        }
        Ok(due)
    }
}
