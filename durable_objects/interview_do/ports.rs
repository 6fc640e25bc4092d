//! The core's small ports on the platform: the alarm, the clock, ids, the log, and the D1
//! projection of the outbox.

use serde_json::Value;
use worker::{Env, Storage};

use crate::interview::{Alarm, Clock, EventLog, Ids, Projector, QueuedRow};
use crate::platform::{log_error, log_event, now_ms};

/// The Durable Object's one alarm.
pub struct DoAlarm(pub Storage);

impl Alarm for DoAlarm {
    async fn arm(&self, due_ms: Option<i64>) {
        let result = match due_ms {
            // An i64 is an offset from now for `set_alarm`, not an absolute time.
            Some(due) => self.0.set_alarm((due - now_ms()).max(0)).await,
            None => self.0.delete_alarm().await,
        };
        if let Err(e) = result {
            log_error("arm alarm", &e);
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
            let mut statements = Vec::new();
            for row in rows {
                statements.extend(crate::store::interviews::projection_statements(
                    &db,
                    &row.kind,
                    &row.payload,
                )?);
            }
            db.batch(statements).await?;
            Ok::<(), worker::Error>(())
        }
        .await;
        result.map_err(|e| e.to_string())
    }
}
