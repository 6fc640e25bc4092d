//! Cron Triggers: one `scheduled` entry dispatching by cron expression to the periodic jobs.
//! Each job records what it did in D1 `job_runs` (started, finished, details as JSON). wasm32 only.
//!
//! - `*/5 * * * *` — frequent jobs: crashed parses ended, due feedback delivery, résumés to
//!   retry put on the parse queue (its consumer, `parsing`, parses one résumé per invocation),
//!   reminders and completion notices queued (`notify`), invitations past expiry announced,
//!   data exports and erasure requests (`privacy`, docs/privacy.md), then due mail and due ATS
//!   webhook deliveries sent;
//! - `17 3 * * *` — daily jobs: video retention (each organization's period; idle multipart
//!   uploads), retention of transcripts, assessments, audio and résumés and expired exports
//!   (`retention`), and
//!   pruning login-failure counts untouched for a day (docs/security.md#login-lockout).

pub(crate) mod mail;
mod notify;
pub(crate) mod parsing;
pub(crate) mod privacy;
pub(crate) mod resumes;
mod video_retention;
pub(crate) mod webhooks;

use serde_json::{json, Value};
use worker::{event, Env, ScheduleContext, ScheduledEvent};

use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, log_event, now_ms};

/// The cron expressions of `wrangler.toml`.
pub const FREQUENT: &str = "*/5 * * * *";
pub const DAILY: &str = "17 3 * * *";

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let cron = event.cron();
    if let Err(e) = crate::platform::ensure_bank(&env).await {
        // The jobs still run: only those that read the bank can fail, and they retry next time.
        log_error("question bank", &e);
    }
    if cron == FREQUENT {
        run(&env, "resume_jobs", resumes::run(&env).await).await;
        run(&env, "notifications", notify::run(&env).await).await;
        run(&env, "privacy", privacy::frequent(&env).await).await;
        run(&env, "mail", mail::run(&env).await).await;
        run(&env, "webhooks", webhooks::run(&env).await).await;
    } else if cron == DAILY {
        run(&env, "video_retention", video_retention::run(&env).await).await;
        run(&env, "retention", privacy::daily(&env).await).await;
        run(&env, "login_failures_prune", prune_login_failures(&env).await).await;
        run(&env, "sessions_prune", prune_sessions(&env).await).await;
    } else {
        log_event("cron_unknown", json!({ "cron": cron }));
    }
}

/// Deletes login-failure counts (per account and client) untouched for a day.
async fn prune_login_failures(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let before = rfc3339_ms(started - crate::auth::lockout::RESET_AFTER_MS);
    let result =
        async { crate::store::users::prune_login_failures(&crate::store::Db::from_env(env)?, &before).await }
            .await;
    (started, result.map(|()| json!({ "before": before })))
}

/// Deletes sessions and emailed account links that expired more than a day ago.
async fn prune_sessions(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let before = rfc3339_ms(started - 86_400_000);
    let result =
        async { crate::store::accounts::prune(&crate::store::Db::from_env(env)?, &before).await }.await;
    (started, result.map(|deleted| json!({ "before": before, "deleted": deleted })))
}

/// Records one job's outcome in `job_runs` and the log.
async fn run(env: &Env, job: &str, outcome: (i64, worker::Result<Value>)) {
    let (started_ms, result) = outcome;
    let details = match result {
        Ok(details) => details,
        Err(e) => {
            log_error(job, &e);
            json!({ "error": "job failed" })
        }
    };
    log_event("job_run", json!({ "job": job, "details": details }));
    let recorded = async {
        let db = crate::store::Db::from_env(env)?;
        crate::store::jobs::record_run(
            &db,
            job,
            &rfc3339_ms(started_ms),
            &rfc3339_ms(now_ms()),
            &details.to_string(),
        )
        .await
    }
    .await;
    if let Err(e) = recorded {
        log_error("job_runs insert", &e);
    }
}
