//! The one alarm: it multiplexes the interview's deadlines (inactivity, outbox flush,
//! assessment) through the store's schedule and always points at the earliest.

use serde_json::json;

use super::lifecycle::Inactivity;
use super::ports::{Deadline, Projector};
use super::{Alarm, Interview, Provider, Result};

/// How many queued rows one flush projects.
pub const FLUSH_BATCH: u32 = 200;
/// After a step, the outbox is flushed by the shell at once ([`Interview::flush_queued`]); the
/// alarm flushes it this much later only if that did not happen.
pub const OUTBOX_FALLBACK_MS: i64 = 10_000;
/// The most backoff between failed flushes or assessment attempts.
const MAX_BACKOFF_MS: i64 = 300_000;
/// Deadlines this close are treated as due (the alarm may fire a little early).
const EARLY_MS: i64 = 5;

/// What an alarm run did that the shell must act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlarmReport {
    /// The interview was abandoned: close its sockets.
    pub abandoned: bool,
}

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// Serves every due deadline, then re-arms for the next.
    ///
    /// # Errors
    /// Storage failures (the alarm fires again).
    pub async fn run_alarm(&self, projector: &impl Projector) -> Result<AlarmReport> {
        let mut report = AlarmReport::default();
        for deadline in self.store.due(self.now() + EARLY_MS)? {
            match deadline {
                Deadline::Inactivity => {
                    report.abandoned |= self.check_inactivity()? == Inactivity::Abandoned;
                }
                Deadline::Assessment => {
                    if let Err(e) = self.generate_assessment().await {
                        self.log.event("assessment_failed", json!({ "reason": e.log_reason() }));
                    }
                }
                Deadline::Outbox => {
                    self.store.unschedule(Deadline::Outbox)?;
                    if let Err(attempts) = self.flush_outbox(projector).await {
                        // Retry with backoff: 1 s, 2 s, 4 s … capped at 5 minutes.
                        let delay = 1000_i64 << attempts.min(8);
                        self.store.schedule(Deadline::Outbox, self.now() + delay.min(MAX_BACKOFF_MS))?;
                    }
                }
            }
        }
        self.arm().await;
        Ok(report)
    }

    /// Projects the queued rows in one batch; `Err(attempts)` when the projection refused.
    ///
    /// # Errors
    /// The attempts made so far, for the backoff.
    pub async fn flush_outbox(&self, projector: &impl Projector) -> std::result::Result<(), u32> {
        let rows = match self.store.outbox_batch(FLUSH_BATCH) {
            Ok(rows) => rows,
            Err(e) => {
                self.log.event("outbox_read_failed", json!({ "reason": e.to_string() }));
                return Err(0);
            }
        };
        let Some(last_id) = rows.last().map(|r| r.id) else { return Ok(()) };
        let attempts = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
        match projector.project(&rows).await {
            Ok(()) => {
                if let Err(e) = self.store.outbox_delete_through(last_id) {
                    self.log.event("outbox_delete_failed", json!({ "reason": e.to_string() }));
                }
                if matches!(self.store.outbox_is_empty(), Ok(false)) {
                    let _ = self.store.schedule(Deadline::Outbox, self.now());
                }
                Ok(())
            }
            Err(reason) => {
                self.log.event("outbox_flush_failed", json!({ "reason": reason, "rows": rows.len() }));
                let _ = self.store.outbox_bump_through(last_id);
                Err(attempts + 1)
            }
        }
    }

    /// Projects every queued row now, batch by batch (after a step, off the request's path);
    /// `false` when a batch was refused (the rows stay queued for the alarm's fallback flush,
    /// which [`Interview::after_change`] scheduled). The schedule is left alone: a fallback
    /// that finds nothing queued costs one empty read.
    pub async fn flush_queued(&self, projector: &impl Projector) -> bool {
        // Bounded: a batch that was projected but could not be deleted must not spin.
        for _ in 0..8 {
            match self.store.outbox_is_empty() {
                Ok(true) => return true,
                Ok(false) => {}
                Err(_) => return false,
            }
            if self.flush_outbox(projector).await.is_err() {
                return false;
            }
        }
        false
    }

    /// Projects at once (after a start, so the interview lists immediately); the alarm retries
    /// on failure.
    pub async fn flush_now(&self, projector: &impl Projector) {
        if self.flush_outbox(projector).await.is_ok() {
            let _ = self.store.unschedule(Deadline::Outbox);
            self.arm().await;
        }
    }
}
