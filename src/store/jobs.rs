//! D1 side of the cron jobs' own bookkeeping: one `job_runs` row per run.

use crate::store::Db;

use super::text;

/// Records one job run: when it started and finished (RFC 3339) and what it did (JSON text).
///
/// # Errors
/// D1 failures.
pub async fn record_run(
    db: &Db,
    job: &str,
    started_at: &str,
    finished_at: &str,
    details: &str,
) -> worker::Result<()> {
    db.prepare("INSERT INTO job_runs (job, started_at, finished_at, details) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[text(job), text(started_at), text(finished_at), text(details)])?
        .run()
        .await?;
    Ok(())
}
