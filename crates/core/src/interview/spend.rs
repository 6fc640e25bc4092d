//! Spend limits on the paid paths that are not a whole turn: a realtime commit or
//! `response.create` (paid model work) goes through the same answer rules as a typed answer;
//! legacy voice is authorized before anything is stored or transcribed; and every usage record
//! is checked against the interview's cost cap, which ends the interview at once
//! (`docs/security.md#spend-limits`).

use serde_json::json;

use crate::domain::enums::{CompletionReason, InterviewStatus};
use crate::domain::interview::InterviewRecord;
use crate::domain::rate_limit::{Rule, Take, TokenBucket};

use super::ports::Deadline;
use super::{limits, refuse_if_closed, Alarm, Caller, Interview, InterviewError, Provider, Result};

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// The rules every answer passes, typed, spoken or a realtime commit: the interview in
    /// progress, no answer pending, and one token of the answer bucket (`ANSWER_RATE_BURST`,
    /// `ANSWER_RATE_PER_MINUTE`). The bucket after the take, for the caller to store (or drop).
    ///
    /// # Errors
    /// Closed interview, `AnswerPending`, `RateLimited`.
    pub(super) fn answer_rules(&self, record: &InterviewRecord, now: i64) -> Result<TokenBucket> {
        refuse_if_closed(record)?;
        if record.pending.is_some() {
            return Err(InterviewError::AnswerPending);
        }
        let rule = Rule {
            capacity: self.config.answer_rate_burst,
            refill_per_minute: f64::from(self.config.answer_rate_per_minute),
        };
        let mut bucket = record.answers_bucket.unwrap_or_else(|| TokenBucket::full(rule, now));
        match bucket.take(rule, now) {
            Take::Allowed => Ok(bucket),
            Take::Limited { retry_after_secs } => Err(InterviewError::RateLimited { retry_after_secs }),
        }
    }

    /// May the candidate make the model respond now (a realtime commit or `response.create`)?
    /// The owner only, and the answer rules; it takes (and stores) one token of the answer
    /// bucket, so a flood of commits gets at most the answers the rate allows.
    ///
    /// # Errors
    /// Access, closed interview, `AnswerPending`, `RateLimited`.
    pub fn authorize_response(&self, caller: &Caller) -> Result<()> {
        let (mut record, _) = self.load()?;
        caller.require_owner(&record, self.config)?;
        record.answers_bucket = Some(self.answer_rules(&record, self.now())?);
        self.store.put_record(&record)?;
        Ok(())
    }

    /// May the candidate answer now (checked before a legacy voice answer is stored or
    /// transcribed)? The answer rules, without keeping the token the turn itself takes.
    ///
    /// # Errors
    /// Access, closed interview, `AnswerPending`, `RateLimited`.
    pub fn authorize_answer(&self, caller: &Caller) -> Result<()> {
        let (record, _) = self.load()?;
        caller.require_owner(&record, self.config)?;
        self.answer_rules(&record, self.now()).map(|_| ())
    }

    /// Ends the interview (`cost_limit`) when its recorded cost reached the cap; whether it did.
    ///
    /// # Errors
    /// Storage failures.
    pub fn enforce_cost_cap(&self) -> Result<bool> {
        let Ok((mut record, session)) = self.load() else { return Ok(false) };
        let cap = limits(self.config).cost_cap_micros;
        if record.status != InterviewStatus::InProgress || cap == 0 || session.state.cost.total_micros() < cap
        {
            return Ok(false);
        }
        let now = self.now();
        record.status = InterviewStatus::Completed;
        record.completed_ms = Some(now);
        record.completion_reason = Some(CompletionReason::CostLimit);
        record.pending = None;
        record.version += 1;
        self.save(&record, &session)?;
        self.store.unschedule(Deadline::Inactivity)?;
        self.store.schedule(Deadline::Outbox, now)?;
        if session.state.questions_asked > 0 {
            self.store.schedule(Deadline::Assessment, now)?;
        }
        self.log.event(
            "interview_completed",
            json!({ "interview_id": record.id, "reason": CompletionReason::CostLimit }),
        );
        Ok(true)
    }
}
