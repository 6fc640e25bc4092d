//! The frequent cron's notifications (docs/email.md#notifications): reminders to invited
//! candidates who have not started, and completion notices to a job's recruiters. Each message
//! is queued in `mail_outbox` under a `dedupe_key` (`reminder:{invitation}`,
//! `completed:{invitation}:{recipient}`), so two runs — even concurrent ones — queue it once;
//! the mail sender delivers it. wasm32 only; the messages are built in `domain::mail`.

use crate::store::Db;
use serde_json::{json, Value};
use worker::Env;

use crate::config::Config;
use crate::domain::invitation::{encode_token, token_hash, TOKEN_BYTES};
use crate::domain::mail;
use crate::domain::time::rfc3339_ms;
use crate::platform::now_ms;
use crate::store::mail as store;

/// Invitations handled per run and kind (the rest wait for the next run).
const BATCH: u32 = 25;

/// The frequent cron's run.
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let result = async {
        let config = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let db = crate::store::Db::from_env(env)?;
        let base = config.public_base_url.clone().unwrap_or_default();
        let reminders = reminders(&db, &config, &base).await?;
        let completions = completions(&db, &base).await?;
        Ok(json!({ "reminders": reminders, "completions": completions }))
    }
    .await;
    (started, result)
}

fn field<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or_default()
}

/// Queues the reminders due now; returns how many invitations it looked at.
async fn reminders(db: &Db, config: &Config, base: &str) -> worker::Result<usize> {
    let now = now_ms();
    #[allow(clippy::cast_possible_truncation)]
    let ahead = (config.invite_reminder_hours * 3_600_000.0) as i64;
    let now_text = rfc3339_ms(now);
    let due = store::due_reminders(db, &now_text, &rfc3339_ms(now.saturating_add(ahead)), BATCH).await?;
    for row in &due {
        let bytes = crate::webcrypto::random_bytes(TOKEN_BYTES)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let bytes: [u8; TOKEN_BYTES] =
            bytes.try_into().map_err(|_| worker::Error::RustError("random bytes".into()))?;
        let token = encode_token(&bytes);
        let id = field(row, "id");
        let message = mail::invitation_reminder(
            field(row, "email"),
            field(row, "org_name"),
            field(row, "title"),
            field(row, "ends_at"),
            &mail::unsubscribe_link(base, &token),
        );
        let mail_id = uuid::Uuid::new_v4().to_string();
        let statements = store::enqueue_optional(
            db,
            &mail_id,
            &message,
            id,
            &format!("reminder:{id}"),
            &token_hash(&token),
            &now_text,
        )?;
        db.batch(statements.into()).await?;
    }
    Ok(due.len())
}

/// Queues the completion notices of interviews completed since the last run, marking each
/// invitation in the same batch; returns how many invitations it looked at.
async fn completions(db: &Db, base: &str) -> worker::Result<usize> {
    let rows = store::completed_unnotified(db, BATCH).await?;
    let now_text = rfc3339_ms(now_ms());
    for row in &rows {
        let id = field(row, "id");
        let interview = field(row, "interview_id");
        let link = format!("{}/#/recruiter/interview/{interview}", base.trim_end_matches('/'));
        let recipients = store::completion_recipients(
            db,
            field(row, "org_id"),
            field(row, "created_by"),
            field(row, "job_created_by"),
        )
        .await?;
        let mut statements = vec![store::mark_completion_notified(db, id, &now_text)?];
        for to in &recipients {
            let message = mail::interview_completed(
                field(to, "email"),
                field(row, "candidate_name"),
                field(row, "title"),
                row["score"].as_f64(),
                &link,
            );
            let key = format!("completed:{id}:{}", field(to, "id"));
            statements.push(store::enqueue(
                db,
                &uuid::Uuid::new_v4().to_string(),
                &message,
                Some(id),
                &key,
                &now_text,
            )?);
        }
        db.batch(statements).await?;
    }
    Ok(rows.len())
}
