//! The interview aggregate: everything an interview's Durable Object decides, as plain Rust over
//! ports. Start, turn (idempotency, one pending answer, rate limit, provider call, model failure
//! and retry, engine decision, completion by criteria, limit or cost cap), completion, abandonment,
//! assessment generation, the API views and the outbox rows all live here; the DO is a thin shell
//! that routes a typed [`crate::protocol`] request to [`Interview`] and implements the ports over
//! its SQLite storage, its alarm and `worker::Fetch`.
//!
//! The rules behind it are described in `docs/interviews.md`; the Durable Object as the single
//! writer of its interview in `docs/decisions/0001-do-single-writer.md`.
//!
//! # Consistency
//! All writes of one state change are made through the synchronous [`InterviewStore`] without an
//! `await` between them, so the DO's storage commits them atomically. The candidate's answer is
//! stored before the provider is called; a provider failure leaves the turn pending (503,
//! resumable) and never loses the answer. While the provider works, other requests may run (the
//! DO's input gate opens during outgoing I/O): the aggregate reloads the state afterwards and
//! only finishes the turn if it is still the pending one.

pub mod archived;
pub mod error;
pub mod memory;
pub mod outbox;
pub mod ports;
pub mod provider;
pub mod replies;

mod alarm;
mod assessment;
mod lifecycle;
mod spend;
mod turn;
mod views;

#[cfg(test)]
mod tests;

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::access::{owner_access, read_access, Access};
use crate::config::Config;
use crate::domain::engine::EngineLimits;
use crate::domain::enums::{InterviewStatus, UserRole};
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::Session;
use crate::ids::UserId;

pub use alarm::{AlarmReport, FLUSH_BATCH};
pub use error::InterviewError;
pub use lifecycle::{Inactivity, StartInterview, VoiceAudio};
pub use outbox::OutboxEntry;
pub use ports::{
    Alarm, Clock, Deadline, Ids, InterviewStore, KeyEntry, Projector, Provider, ProviderAssessment,
    ProviderFailure, ProviderTurn, QueuedRow, Slot, StoreError, TurnInput, Usage,
};
pub use replies::*;
pub use turn::{Accepted, Answer};
pub use views::MessagesQuery;

pub type Result<T> = std::result::Result<T, InterviewError>;

/// Who is calling, as the Worker authenticated them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub user_id: UserId,
    pub role: UserRole,
    /// The id of the session (token) the call was made with, when there is one: a realtime
    /// ticket remembers it, so revoking that session closes the sockets it opened.
    #[serde(default)]
    pub session: Option<String>,
    /// The staff member's organization (`None` for candidates).
    #[serde(default)]
    pub org: Option<String>,
}

impl From<&crate::auth::access::Principal> for Caller {
    /// The authenticated principal as the interview object sees them.
    fn from(who: &crate::auth::access::Principal) -> Self {
        Caller {
            user_id: UserId::new(who.user_id.clone()),
            role: who.role,
            session: who.session.clone(),
            org: who.org_id.clone(),
        }
    }
}

impl Caller {
    #[must_use]
    pub fn candidate(user_id: UserId) -> Self {
        Caller { user_id, role: UserRole::Candidate, session: None, org: None }
    }

    /// Whether the caller is staff of the organization `record` belongs to.
    #[must_use]
    pub fn is_staff_of(&self, record: &InterviewRecord, config: &Config) -> bool {
        self.role.is_staff() && self.org.as_deref() == Some(record.org(&config.default_org_id))
    }

    /// Reading: the owner and staff of the interview's organization; anyone else gets the same
    /// 404 as a missing interview.
    fn can_read(&self, record: &InterviewRecord, config: &Config) -> Result<()> {
        let in_org = self.is_staff_of(record, config);
        refused(read_access(self.user_id.as_str(), self.role, &record.candidate_id, in_org))
    }

    /// Acting as the candidate: only the owner; the organization's staff get 403, others 404.
    fn require_owner(&self, record: &InterviewRecord, config: &Config) -> Result<()> {
        let in_org = self.is_staff_of(record, config);
        refused(owner_access(self.user_id.as_str(), self.role, &record.candidate_id, in_org))
    }

    fn require_staff(&self) -> Result<()> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(InterviewError::Forbidden)
        }
    }
}

/// The aggregate's error for an access rule's answer (`auth::access`, shared with the Worker).
fn refused(access: Access) -> Result<()> {
    match access {
        Access::Allowed => Ok(()),
        Access::Forbidden => Err(InterviewError::Forbidden),
        Access::NotFound => Err(InterviewError::NotFound),
    }
}

/// Structured log events (the DO writes them as JSON lines; tests collect them).
pub trait EventLog {
    fn event(&self, name: &'static str, fields: Value);
}

/// One interview, with the ports it runs against.
pub struct Interview<'a, A, P> {
    pub store: &'a dyn InterviewStore,
    pub alarm: &'a A,
    pub provider: &'a P,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn Ids,
    pub log: &'a dyn EventLog,
    pub config: &'a Config,
    /// The answer whose provider call is in flight in this instance (a duplicate waits).
    pub in_flight: &'a Cell<Option<u32>>,
}

/// The engine's limits from the configuration.
#[must_use]
pub fn limits(c: &Config) -> EngineLimits {
    EngineLimits {
        min_questions: c.min_questions,
        max_questions: c.max_questions,
        min_boundaries: c.min_boundaries,
        cost_cap_micros: c.interview_cost_cap_micros,
    }
    .normalized()
}

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The record and session (404 when this DO holds no interview).
    fn load(&self) -> Result<(InterviewRecord, Session)> {
        let mut record = self.store.record()?.ok_or(InterviewError::NotFound)?;
        // Interviews that predate organizations belong to the default one (and say so in D1).
        record.org_id.get_or_insert_with(|| self.config.default_org_id.clone());
        let session = self
            .store
            .session()?
            .ok_or_else(|| InterviewError::Storage(StoreError::new("load", "session missing")))?;
        Ok((record, session))
    }

    /// Saves the record and session and queues their projection (same synchronous batch).
    fn save(&self, record: &InterviewRecord, session: &Session) -> Result<()> {
        self.store.put_record(record)?;
        self.store.put_session(session)?;
        let projection = record.projection(session, &limits(self.config), self.now());
        self.store.enqueue(&OutboxEntry::Interview(projection))?;
        Ok(())
    }

    fn insert_message(&self, interview_id: &str, m: &StoredMessage) -> Result<()> {
        self.store.insert_message(m)?;
        self.store.enqueue(&OutboxEntry::Message(outbox::MessageRow::of(interview_id, m)))?;
        Ok(())
    }

    fn slot<T: serde::de::DeserializeOwned>(&self, slot: Slot) -> Result<Option<T>> {
        Ok(self.store.slot(slot)?.and_then(|v| serde_json::from_value(v).ok()))
    }

    fn put_slot<T: Serialize>(&self, slot: Slot, value: &T) -> Result<()> {
        let v = serde_json::to_value(value).map_err(|e| StoreError::new("slot encode", e))?;
        Ok(self.store.put_slot(slot, &v)?)
    }

    fn inactivity_window_ms(&self) -> i64 {
        #[allow(clippy::cast_possible_truncation)]
        let window = (self.config.abandon_after_minutes * 60_000.0) as i64;
        window
    }

    /// Points the one alarm at the earliest deadline.
    pub async fn arm(&self) {
        match self.store.earliest_due() {
            Ok(due) => self.alarm.arm(due).await,
            Err(e) => self.log.event("arm_failed", json!({ "reason": e.to_string() })),
        }
    }

    /// Schedules inactivity and the outbox's fallback flush after a state change, then arms.
    ///
    /// The shell projects the queued rows right after the step ([`Interview::flush_queued`], off
    /// the request's path); the alarm is only the fallback, should that flush fail or the
    /// instance go away first. It is moved only when no flush is due sooner, so successive
    /// turns leave it (and the platform's alarm) alone.
    async fn after_change(&self, record: &InterviewRecord) -> Result<()> {
        if record.status == InterviewStatus::InProgress {
            self.store
                .schedule(Deadline::Inactivity, record.last_activity_ms + self.inactivity_window_ms())?;
        } else {
            self.store.unschedule(Deadline::Inactivity)?;
        }
        let fallback = self.now() + alarm::OUTBOX_FALLBACK_MS;
        if !self.store.due(fallback)?.contains(&Deadline::Outbox) {
            self.store.schedule(Deadline::Outbox, fallback)?;
        }
        self.arm().await;
        Ok(())
    }
}

/// Refuses work on an interview that is no longer in progress.
///
/// # Errors
/// `Completed` or `Abandoned`.
pub fn refuse_if_closed(record: &InterviewRecord) -> Result<()> {
    match record.status {
        InterviewStatus::InProgress => Ok(()),
        InterviewStatus::Completed => Err(InterviewError::Completed),
        InterviewStatus::Abandoned => Err(InterviewError::Abandoned),
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
