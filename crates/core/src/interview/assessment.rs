//! Assessment generation, driven by the alarm after completion or abandonment: the built-in
//! assessment always, and a model's narrative over it when the interview uses one.

use serde_json::json;

use crate::domain::assessment::{generate_builtin, AssessmentInput};
use crate::domain::enums::InterviewStatus;
use crate::domain::projection::assessment_row;

use super::ports::{Deadline, Slot};
use super::{Alarm, Interview, OutboxEntry, Provider, Result};

/// The most backoff between failed assessment attempts.
const MAX_BACKOFF_MS: i64 = 300_000;

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// Generates and stores the assessment (at least once, idempotent: a rerun replaces the
    /// stored one and upserts the same projection row). On failure the alarm retries with
    /// backoff.
    ///
    /// # Errors
    /// Storage failures (already rescheduled).
    pub async fn generate_assessment(&self) -> Result<()> {
        match self.try_generate_assessment().await {
            Ok(()) => Ok(()),
            Err(e) => {
                let attempts: u32 = self.slot(Slot::AssessmentAttempts)?.unwrap_or(0) + 1;
                self.put_slot(Slot::AssessmentAttempts, &attempts)?;
                let delay = 1000_i64 << attempts.min(8);
                self.store.schedule(Deadline::Assessment, self.now() + delay.min(MAX_BACKOFF_MS))?;
                Err(e)
            }
        }
    }

    async fn try_generate_assessment(&self) -> Result<()> {
        let started = self.now();
        let (record, session) = self.load()?;
        if record.status == InterviewStatus::InProgress {
            self.store.unschedule(Deadline::Assessment)?;
            return Ok(());
        }
        let messages = self.store.all_messages()?;
        let evaluations = self.store.evaluations()?;
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
        let mut breaker = self.breaker();
        let before = breaker;
        let produced = self.provider.assess(&record, &input, builtin, &mut breaker).await;
        if breaker != before {
            self.put_slot(Slot::Breaker, &breaker)?;
        }
        if let Some(usage) = &produced.usage {
            self.bill(usage)?;
        }
        if let Some(reason) = &produced.fallback_reason {
            self.log.event("assessment_fallback", json!({ "interview_id": record.id, "reason": reason }));
        }
        let assessment = produced.assessment;
        self.put_slot(Slot::Assessment, &assessment)?;
        self.store.enqueue(&OutboxEntry::Assessment(assessment_row(&record.id, &assessment)))?;
        self.store.unschedule(Deadline::Assessment)?;
        self.store.schedule(Deadline::Outbox, self.now())?;
        self.log.event(
            "assessment_generated",
            json!({ "interview_id": record.id, "generator": assessment.generator, "partial": assessment.partial,
                    "ms": self.now() - started }),
        );
        Ok(())
    }
}
