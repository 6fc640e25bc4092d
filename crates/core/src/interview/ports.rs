//! The ports the interview aggregate runs against. The Durable Object implements them over its
//! SQLite storage, its alarm and `worker::Fetch`; [`super::memory`] implements them in memory
//! for native tests.

use serde_json::Value;

use crate::ai::breaker::CircuitBreaker;
use crate::ai::errors::AiError;
use crate::domain::assessment::{Assessment, AssessmentInput};
use crate::domain::engine::cost::ChatUsage;
use crate::domain::enums::MessageType;
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::{ModelQuestions, Session};

use super::outbox::OutboxEntry;
use super::TurnReply;

/// A storage failure, with where it happened (for the log; never shown to a client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub context: &'static str,
    pub message: String,
}

impl StoreError {
    #[must_use]
    pub fn new(context: &'static str, message: impl std::fmt::Display) -> Self {
        StoreError { context, message: message.to_string() }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The deadlines the one alarm multiplexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// Abandon the interview after inactivity.
    Inactivity,
    /// Project queued outbox rows into the relational store.
    Outbox,
    /// Generate the assessment.
    Assessment,
}

impl Deadline {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Deadline::Inactivity => "inactivity",
            Deadline::Outbox => "outbox",
            Deadline::Assessment => "assessment",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Deadline::Inactivity, Deadline::Outbox, Deadline::Assessment].into_iter().find(|d| d.as_str() == s)
    }
}

/// Small values kept beside the record (JSON in the DO's `kv` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The OpenAI circuit breaker.
    Breaker,
    /// The generated assessment.
    Assessment,
    /// Failed assessment attempts (for backoff).
    AssessmentAttempts,
}

impl Slot {
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Slot::Breaker => "breaker",
            Slot::Assessment => "assessment",
            Slot::AssessmentAttempts => "assessment_attempts",
        }
    }
}

/// An idempotency key's stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub fingerprint: String,
    pub answer_seq: u32,
}

/// One interview's storage. Every method is synchronous: the Durable Object's SQLite storage
/// commits all writes made without an intervening `await` atomically, and the aggregate never
/// awaits between the writes of one state change.
pub trait InterviewStore {
    /// Does an interview exist here? (No storage is created to answer.)
    fn exists(&self) -> StoreResult<bool>;
    fn record(&self) -> StoreResult<Option<InterviewRecord>>;
    fn session(&self) -> StoreResult<Option<Session>>;
    fn put_record(&self, record: &InterviewRecord) -> StoreResult<()>;
    fn put_session(&self, session: &Session) -> StoreResult<()>;

    fn slot(&self, slot: Slot) -> StoreResult<Option<Value>>;
    fn put_slot(&self, slot: Slot, value: &Value) -> StoreResult<()>;

    fn insert_message(&self, message: &StoredMessage) -> StoreResult<()>;
    fn set_message_audio(&self, message_id: &str, audio_url: &str) -> StoreResult<()>;
    fn message(&self, seq: u32) -> StoreResult<Option<StoredMessage>>;
    fn last_message(&self, kind: Option<MessageType>) -> StoreResult<Option<StoredMessage>>;
    /// Messages with `seq > after`, in order, `skip` then at most `limit`.
    fn messages_page(&self, after: u32, skip: u32, limit: u32) -> StoreResult<Vec<StoredMessage>>;
    fn message_count(&self) -> StoreResult<u64>;
    fn all_messages(&self) -> StoreResult<Vec<StoredMessage>>;

    fn key_entry(&self, key: &str) -> StoreResult<Option<KeyEntry>>;
    fn put_key_entry(&self, key: &str, entry: &KeyEntry, created_ms: i64) -> StoreResult<()>;

    fn turn_result(&self, answer_seq: u32) -> StoreResult<Option<TurnReply>>;
    fn put_turn_result(&self, answer_seq: u32, result: &TurnReply) -> StoreResult<()>;
    fn put_evaluation(&self, answer_seq: u32, evaluation: &Evaluation) -> StoreResult<()>;
    fn evaluations(&self) -> StoreResult<Vec<(u32, Evaluation)>>;

    fn enqueue(&self, entry: &OutboxEntry) -> StoreResult<()>;
    /// The oldest queued rows, at most `max`.
    fn outbox_batch(&self, max: u32) -> StoreResult<Vec<QueuedRow>>;
    /// Removes every queued row up to `id` (they landed).
    fn outbox_delete_through(&self, id: i64) -> StoreResult<()>;
    /// Counts a failed attempt on every queued row up to `id`.
    fn outbox_bump_through(&self, id: i64) -> StoreResult<()>;
    fn outbox_is_empty(&self) -> StoreResult<bool>;

    fn schedule(&self, deadline: Deadline, due_ms: i64) -> StoreResult<()>;
    fn unschedule(&self, deadline: Deadline) -> StoreResult<()>;
    fn earliest_due(&self) -> StoreResult<Option<i64>>;
    fn due(&self, now_ms: i64) -> StoreResult<Vec<Deadline>>;
}

/// A queued outbox row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedRow {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: u32,
}

/// The relational projection (D1 or Postgres): applies queued rows as idempotent upserts, all
/// of one flush together.
#[allow(async_fn_in_trait)] // single-threaded runtimes (workerd, tests): no `Send` bound wanted
pub trait Projector {
    async fn project(&self, rows: &[QueuedRow]) -> Result<(), String>;
}

/// The one alarm: pointed at the earliest deadline after every change (`None` clears it).
#[allow(async_fn_in_trait)] // single-threaded runtimes (workerd, tests): no `Send` bound wanted
pub trait Alarm {
    async fn arm(&self, due_ms: Option<i64>);
}

/// The time source.
pub trait Clock {
    fn now_ms(&self) -> i64;
}

/// The id source for new messages.
pub trait Ids {
    fn new_id(&self) -> String;
}

/// What the aggregate asks a provider about one answer.
pub struct TurnInput<'a> {
    pub record: &'a InterviewRecord,
    pub session: &'a Session,
    /// The log before this answer's reply (the answer included), for the model's memory;
    /// empty for an interview the built-in interviewer serves (it reads no log).
    pub log: &'a [StoredMessage],
    pub answer: &'a str,
}

/// A model call's billed usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub model: String,
    pub chat: ChatUsage,
    /// The conversation was trimmed to fit the model's memory.
    pub truncated: bool,
}

/// A provider's answer to one turn.
#[derive(Debug, Clone)]
pub struct ProviderTurn {
    pub evaluation: Evaluation,
    /// A model's proposed next questions (the built-in interviewer proposes none).
    pub questions: Option<ModelQuestions>,
    pub usage: Option<Usage>,
}

/// A provider's failure, with the usage billed before it failed.
#[derive(Debug, Clone)]
pub struct ProviderFailure {
    pub error: AiError,
    pub usage: Option<Usage>,
}

/// A provider's assessment: the narrative it wrote (or the built-in one) and its usage.
#[derive(Debug, Clone)]
pub struct ProviderAssessment {
    pub assessment: Assessment,
    pub usage: Option<Usage>,
    /// Why the built-in assessment stood in, if it did.
    pub fallback_reason: Option<String>,
}

/// The interviewer: the built-in one (rubrics, offline) or a model. It evaluates answers and
/// proposes questions; the engine alone decides what happens next.
#[allow(async_fn_in_trait)] // single-threaded runtimes (workerd, tests): no `Send` bound wanted
pub trait Provider {
    async fn evaluate(
        &self,
        input: TurnInput<'_>,
        breaker: &mut CircuitBreaker,
    ) -> Result<ProviderTurn, ProviderFailure>;

    async fn assess(
        &self,
        record: &InterviewRecord,
        input: &AssessmentInput<'_>,
        builtin: Assessment,
        breaker: &mut CircuitBreaker,
    ) -> ProviderAssessment;
}
