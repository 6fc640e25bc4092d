//! The core's small ports on the platform: the alarm, the clock, ids, the log, and the D1
//! projection of the outbox.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::Value;
use worker::{Env, Storage};

use crate::interview::{Alarm, Clock, EventLog, Ids, Projector, QueuedRow};
use crate::platform::{log_error, log_event, now_ms};

/// The Durable Object's one alarm, with what this instance last set it to: pointing it at the
/// time it already points at costs the platform a durable write, and turns in quick succession
/// all leave the earliest deadline where it was (`Interview::after_change`).
pub struct DoAlarm {
    pub storage: Storage,
    /// `None`: not known (a new instance, or the alarm just fired); `Some(due)`: set by us.
    pub armed: Rc<Cell<Option<Option<i64>>>>,
}

impl DoAlarm {
    /// Forgets what was set: the alarm fired (the platform cleared it) or storage was erased.
    pub fn forget(&self) {
        self.armed.set(None);
    }
}

impl Alarm for DoAlarm {
    async fn arm(&self, due_ms: Option<i64>) {
        if self.armed.get() == Some(due_ms) {
            return;
        }
        let result = match due_ms {
            // An i64 is an offset from now for `set_alarm`, not an absolute time.
            Some(due) => self.storage.set_alarm((due - now_ms()).max(0)).await,
            None => self.storage.delete_alarm().await,
        };
        match result {
            Ok(()) => self.armed.set(Some(due_ms)),
            Err(e) => {
                self.forget();
                log_error("arm alarm", &e);
            }
        }
    }
}

/// `Date.now()`.
pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

/// Random UUIDs (v4).
pub struct UuidIds;

impl Ids for UuidIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// JSON log lines.
pub struct JsonLog;

impl EventLog for JsonLog {
    fn event(&self, name: &'static str, fields: Value) {
        log_event(name, fields);
    }
}

/// The D1 projection: every queued row as an idempotent, versioned upsert, in one batch.
pub struct D1Projector<'a>(pub &'a Env);

impl Projector for D1Projector<'_> {
    async fn project(&self, rows: &[QueuedRow]) -> Result<(), String> {
        let result = async {
            let db = crate::store::Db::from_env(self.0)?;
            let rows: Vec<(&str, &serde_json::Value)> =
                rows.iter().map(|r| (r.kind.as_str(), &r.payload)).collect();
            db.batch(crate::store::interviews::projection_statements(&db, &rows)?).await?;
            Ok::<(), worker::Error>(())
        }
        .await;
        result.map_err(|e| e.to_string())
    }
}
