//! In-memory implementations of the ports, for native tests of the whole aggregate: a store,
//! an alarm that remembers where it points, a manual clock, sequential ids, a log that collects
//! events, a projector that can be told to fail, and a scripted provider.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

use crate::ai::breaker::CircuitBreaker;
use crate::ai::errors::AiError;
use crate::domain::assessment::{Assessment, AssessmentInput};
use crate::domain::enums::MessageType;
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::Session;

use super::ports::{
    Alarm, Clock, Deadline, Ids, InterviewStore, KeyEntry, Projector, Provider, ProviderAssessment,
    ProviderFailure, ProviderTurn, QueuedRow, Slot, StoreResult, TurnInput,
};
use super::{EventLog, OutboxEntry, TurnReply};

/// The whole interview storage in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub record: RefCell<Option<InterviewRecord>>,
    pub session: RefCell<Option<Session>>,
    pub slots: RefCell<HashMap<&'static str, Value>>,
    pub messages: RefCell<BTreeMap<u32, StoredMessage>>,
    pub keys: RefCell<HashMap<String, KeyEntry>>,
    pub results: RefCell<BTreeMap<u32, TurnReply>>,
    pub evaluations: RefCell<BTreeMap<u32, Evaluation>>,
    pub outbox: RefCell<Vec<QueuedRow>>,
    next_outbox_id: Cell<i64>,
    pub schedule: RefCell<HashMap<&'static str, (Deadline, i64)>>,
}

impl InterviewStore for MemoryStore {
    fn exists(&self) -> StoreResult<bool> {
        Ok(self.record.borrow().is_some())
    }
    fn record(&self) -> StoreResult<Option<InterviewRecord>> {
        Ok(self.record.borrow().clone())
    }
    fn session(&self) -> StoreResult<Option<Session>> {
        Ok(self.session.borrow().clone())
    }
    fn put_record(&self, record: &InterviewRecord) -> StoreResult<()> {
        *self.record.borrow_mut() = Some(record.clone());
        Ok(())
    }
    fn put_session(&self, session: &Session) -> StoreResult<()> {
        *self.session.borrow_mut() = Some(session.clone());
        Ok(())
    }
    fn slot(&self, slot: Slot) -> StoreResult<Option<Value>> {
        Ok(self.slots.borrow().get(slot.key()).cloned())
    }
    fn put_slot(&self, slot: Slot, value: &Value) -> StoreResult<()> {
        self.slots.borrow_mut().insert(slot.key(), value.clone());
        Ok(())
    }
    fn insert_message(&self, message: &StoredMessage) -> StoreResult<()> {
        let mut messages = self.messages.borrow_mut();
        if messages.contains_key(&message.seq) {
            return Err(super::StoreError::new("message write", "UNIQUE constraint failed: messages.seq"));
        }
        messages.insert(message.seq, message.clone());
        Ok(())
    }
    fn set_message_audio(&self, message_id: &str, audio_url: &str) -> StoreResult<()> {
        for m in self.messages.borrow_mut().values_mut() {
            if m.id == message_id {
                m.audio_url = Some(audio_url.to_owned());
            }
        }
        Ok(())
    }
    fn message(&self, seq: u32) -> StoreResult<Option<StoredMessage>> {
        Ok(self.messages.borrow().get(&seq).cloned())
    }
    fn last_message(&self, kind: Option<MessageType>) -> StoreResult<Option<StoredMessage>> {
        Ok(self.messages.borrow().values().rev().find(|m| kind.is_none_or(|k| m.message_type == k)).cloned())
    }
    fn messages_page(&self, after: u32, skip: u32, limit: u32) -> StoreResult<Vec<StoredMessage>> {
        Ok(self
            .messages
            .borrow()
            .values()
            .filter(|m| m.seq > after)
            .skip(skip as usize)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    fn message_count(&self) -> StoreResult<u64> {
        Ok(self.messages.borrow().len() as u64)
    }
    fn all_messages(&self) -> StoreResult<Vec<StoredMessage>> {
        Ok(self.messages.borrow().values().cloned().collect())
    }
    fn key_entry(&self, key: &str) -> StoreResult<Option<KeyEntry>> {
        Ok(self.keys.borrow().get(key).cloned())
    }
    fn put_key_entry(&self, key: &str, entry: &KeyEntry, _created_ms: i64) -> StoreResult<()> {
        self.keys.borrow_mut().insert(key.to_owned(), entry.clone());
        Ok(())
    }
    fn turn_result(&self, answer_seq: u32) -> StoreResult<Option<TurnReply>> {
        Ok(self.results.borrow().get(&answer_seq).cloned())
    }
    fn put_turn_result(&self, answer_seq: u32, result: &TurnReply) -> StoreResult<()> {
        self.results.borrow_mut().insert(answer_seq, result.clone());
        Ok(())
    }
    fn put_evaluation(&self, answer_seq: u32, evaluation: &Evaluation) -> StoreResult<()> {
        self.evaluations.borrow_mut().insert(answer_seq, evaluation.clone());
        Ok(())
    }
    fn evaluations(&self) -> StoreResult<Vec<(u32, Evaluation)>> {
        Ok(self.evaluations.borrow().iter().map(|(k, v)| (*k, v.clone())).collect())
    }
    fn enqueue(&self, entry: &OutboxEntry) -> StoreResult<()> {
        let id = self.next_outbox_id.get() + 1;
        self.next_outbox_id.set(id);
        self.outbox.borrow_mut().push(QueuedRow {
            id,
            kind: entry.kind().to_owned(),
            payload: entry.payload(),
            attempts: 0,
        });
        Ok(())
    }
    fn outbox_batch(&self, max: u32) -> StoreResult<Vec<QueuedRow>> {
        Ok(self.outbox.borrow().iter().take(max as usize).cloned().collect())
    }
    fn outbox_delete_through(&self, id: i64) -> StoreResult<()> {
        self.outbox.borrow_mut().retain(|r| r.id > id);
        Ok(())
    }
    fn outbox_bump_through(&self, id: i64) -> StoreResult<()> {
        for r in self.outbox.borrow_mut().iter_mut().filter(|r| r.id <= id) {
            r.attempts += 1;
        }
        Ok(())
    }
    fn outbox_is_empty(&self) -> StoreResult<bool> {
        Ok(self.outbox.borrow().is_empty())
    }
    fn schedule(&self, deadline: Deadline, due_ms: i64) -> StoreResult<()> {
        self.schedule.borrow_mut().insert(deadline.as_str(), (deadline, due_ms));
        Ok(())
    }
    fn unschedule(&self, deadline: Deadline) -> StoreResult<()> {
        self.schedule.borrow_mut().remove(deadline.as_str());
        Ok(())
    }
    fn earliest_due(&self) -> StoreResult<Option<i64>> {
        Ok(self.schedule.borrow().values().map(|(_, due)| *due).min())
    }
    fn due(&self, now_ms: i64) -> StoreResult<Vec<Deadline>> {
        let mut due: Vec<(i64, Deadline)> =
            self.schedule.borrow().values().filter(|(_, t)| *t <= now_ms).map(|(d, t)| (*t, *d)).collect();
        due.sort_by_key(|(t, d)| (*t, d.as_str()));
        Ok(due.into_iter().map(|(_, d)| d).collect())
    }
}

/// An alarm that remembers where it points.
#[derive(Debug, Default)]
pub struct MemoryAlarm {
    pub due_ms: Cell<Option<i64>>,
    pub armed: Cell<u32>,
}

impl Alarm for MemoryAlarm {
    async fn arm(&self, due_ms: Option<i64>) {
        self.due_ms.set(due_ms);
        self.armed.set(self.armed.get() + 1);
    }
}

/// A clock the test moves.
#[derive(Debug)]
pub struct ManualClock(pub Cell<i64>);

impl ManualClock {
    #[must_use]
    pub fn at(ms: i64) -> Self {
        ManualClock(Cell::new(ms))
    }
    pub fn advance(&self, ms: i64) {
        self.0.set(self.0.get() + ms);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

/// Ids `m1`, `m2`, ….
#[derive(Debug, Default)]
pub struct SeqIds(Cell<u32>);

impl Ids for SeqIds {
    fn new_id(&self) -> String {
        self.0.set(self.0.get() + 1);
        format!("m{}", self.0.get())
    }
}

/// Collects events.
#[derive(Debug, Default)]
pub struct MemoryLog(pub RefCell<Vec<(&'static str, Value)>>);

impl MemoryLog {
    #[must_use]
    pub fn count(&self, name: &str) -> usize {
        self.0.borrow().iter().filter(|(n, _)| *n == name).count()
    }
}

impl EventLog for MemoryLog {
    fn event(&self, name: &'static str, fields: Value) {
        self.0.borrow_mut().push((name, fields));
    }
}

/// A projector that records what it applied, or fails while `failing` is set.
#[derive(Debug, Default)]
pub struct MemoryProjector {
    pub applied: RefCell<Vec<QueuedRow>>,
    pub failing: Cell<bool>,
}

impl Projector for MemoryProjector {
    async fn project(&self, rows: &[QueuedRow]) -> Result<(), String> {
        if self.failing.get() {
            return Err("projection unavailable".into());
        }
        self.applied.borrow_mut().extend_from_slice(rows);
        Ok(())
    }
}

/// One scripted provider step.
#[derive(Debug, Clone)]
pub enum Step {
    /// Evaluate with the built-in rubrics (as the offline interviewer does).
    Builtin,
    /// Answer with this evaluation.
    Evaluate(Evaluation),
    /// Fail like an unavailable model.
    Fail(AiError),
}

/// A provider that follows a script, then evaluates with the built-in rubrics; it counts calls.
#[derive(Debug, Default)]
pub struct ScriptedProvider {
    pub script: RefCell<VecDeque<Step>>,
    pub calls: Cell<u32>,
    /// Usage billed per call, if any.
    pub usage: RefCell<Option<super::Usage>>,
}

impl ScriptedProvider {
    #[must_use]
    pub fn with(steps: impl IntoIterator<Item = Step>) -> Self {
        ScriptedProvider { script: RefCell::new(steps.into_iter().collect()), ..ScriptedProvider::default() }
    }
}

impl Provider for ScriptedProvider {
    async fn evaluate(
        &self,
        input: TurnInput<'_>,
        _breaker: &mut CircuitBreaker,
    ) -> Result<ProviderTurn, ProviderFailure> {
        self.calls.set(self.calls.get() + 1);
        let usage = self.usage.borrow().clone();
        match self.script.borrow_mut().pop_front().unwrap_or(Step::Builtin) {
            Step::Builtin => Ok(ProviderTurn {
                evaluation: input.session.evaluate_builtin(input.answer),
                questions: None,
                usage,
            }),
            Step::Evaluate(evaluation) => Ok(ProviderTurn { evaluation, questions: None, usage }),
            Step::Fail(error) => Err(ProviderFailure { error, usage }),
        }
    }

    async fn assess(
        &self,
        _record: &InterviewRecord,
        _input: &AssessmentInput<'_>,
        builtin: Assessment,
        _breaker: &mut CircuitBreaker,
    ) -> ProviderAssessment {
        ProviderAssessment { assessment: builtin, usage: None, fallback_reason: None }
    }
}

/// An HTTP client that answers from a script (then repeats its last answer) and counts calls;
/// waits advance nothing (the retry delays are only recorded).
#[derive(Debug, Default)]
pub struct ScriptedHttp {
    pub replies: RefCell<VecDeque<Result<crate::ai::client::HttpReply, crate::ai::client::NoAnswer>>>,
    pub calls: Cell<u32>,
    pub slept_ms: RefCell<Vec<u64>>,
    pub now_ms: Cell<i64>,
}

impl ScriptedHttp {
    /// A 200 chat completion whose structured content is `content`.
    #[must_use]
    pub fn completion(content: &Value) -> crate::ai::client::HttpReply {
        let body = serde_json::json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_741_570_283,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
                "message": {"role": "assistant", "content": content.to_string(), "refusal": null}}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 200, "total_tokens": 1400}
        });
        crate::ai::client::HttpReply {
            status: 200,
            body: body.to_string(),
            retry_after: None,
            retry_after_ms: None,
        }
    }

    /// An error status with an OpenAI error body.
    #[must_use]
    pub fn status(status: u16) -> crate::ai::client::HttpReply {
        let body = serde_json::json!({"error": {"message": "upstream trouble", "type": "server_error"}});
        crate::ai::client::HttpReply {
            status,
            body: body.to_string(),
            retry_after: None,
            retry_after_ms: None,
        }
    }
}

impl crate::ai::client::HttpClient for ScriptedHttp {
    async fn post_json(
        &self,
        _url: &str,
        _api_key: &str,
        _body: &str,
        _timeout_ms: u64,
    ) -> Result<crate::ai::client::HttpReply, crate::ai::client::NoAnswer> {
        self.calls.set(self.calls.get() + 1);
        let mut replies = self.replies.borrow_mut();
        match replies.len() {
            0 => Err(crate::ai::client::NoAnswer { timed_out: false }),
            1 => replies.front().cloned().unwrap_or(Err(crate::ai::client::NoAnswer { timed_out: false })),
            _ => replies.pop_front().unwrap_or(Err(crate::ai::client::NoAnswer { timed_out: false })),
        }
    }

    async fn sleep(&self, ms: u64) {
        self.slept_ms.borrow_mut().push(ms);
    }

    fn now_ms(&self) -> i64 {
        self.now_ms.get()
    }

    fn jitter(&self) -> f64 {
        0.5
    }

    fn log(&self, _event: &'static str, _fields: Value) {}
}
