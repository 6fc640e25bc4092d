//! The `jobs` and `job_versions` tables (docs/jobs.md). Every read is scoped to one organization:
//! another organization's job is simply not found. (Named for job postings, as `jobs.rs` holds the
//! cron jobs' runs.)

use crate::store::{Db, Statement};
use serde::Deserialize;
use serde_json::Value;

use super::{int, opt_text, text};

/// A job with its current version's spec (JSON text).
#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub status: String,
    pub current_version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The current version's [`crate::domain::job::JobSpec`] (title, family, deadline included).
    pub spec: String,
}

/// What a new job, or a new version of one, stores.
pub struct JobWrite<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub title: &'a str,
    pub role_family: &'a str,
    pub status: &'a str,
    pub deadline: Option<&'a str>,
    pub spec_json: &'a str,
    pub by: &'a str,
    pub now: &'a str,
}

/// Creates a job and its version 1 (one batch).
///
/// # Errors
/// D1 failures.
pub async fn create(db: &Db, j: &JobWrite<'_>, audit: Statement) -> worker::Result<()> {
    let job = db
        .prepare(
            "INSERT INTO jobs (id, org_id, title, role_family, status, current_version, deadline, created_by, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?8)",
        )
        .bind(&[
            text(j.id),
            text(j.org_id),
            text(j.title),
            text(j.role_family),
            text(j.status),
            opt_text(j.deadline),
            text(j.by),
            text(j.now),
        ])?;
    let version = db
        .prepare("INSERT INTO job_versions (job_id, version, spec, created_by, created_at) VALUES (?1, 1, ?2, ?3, ?4)")
        .bind(&[text(j.id), text(j.spec_json), text(j.by), text(j.now)])?;
    db.batch(vec![job, version, audit]).await?;
    Ok(())
}

/// Organization `org_id`'s job `id` with its current spec.
///
/// # Errors
/// D1 failures.
pub async fn get(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<JobRow>> {
    db.prepare(
        "SELECT j.id, j.status, j.current_version, j.created_at, j.updated_at, v.spec FROM jobs j \
         JOIN job_versions v ON v.job_id = j.id AND v.version = j.current_version \
         WHERE j.id = ?1 AND j.org_id = ?2",
    )
    .bind(&[text(id), text(org_id)])?
    .first::<JobRow>(None)
    .await
}

/// Records a new state of job `id`: a new version when `spec_json` is given, the status always.
/// Only applies if the job is still at `expected_version` (a concurrent edit wins otherwise).
/// Returns whether it applied. `audit_if_changed` (an audit entry guarded by `changes()`) runs
/// last in the same batch, so it is recorded exactly when the edit applied.
///
/// # Errors
/// D1 failures.
pub async fn update(
    db: &Db,
    j: &JobWrite<'_>,
    expected_version: i64,
    new_spec: bool,
    audit_if_changed: Statement,
) -> worker::Result<bool> {
    let next = if new_spec { expected_version + 1 } else { expected_version };
    let job = db
        .prepare(
            "UPDATE jobs SET title = ?3, role_family = ?4, status = ?5, deadline = ?6, current_version = ?7, \
             updated_at = ?8 WHERE id = ?1 AND org_id = ?2 AND current_version = ?9",
        )
        .bind(&[
            text(j.id),
            text(j.org_id),
            text(j.title),
            text(j.role_family),
            text(j.status),
            opt_text(j.deadline),
            int(next),
            text(j.now),
            int(expected_version),
        ])?;
    if !new_spec {
        let results = db.batch(vec![job, audit_if_changed]).await?;
        return Ok(results.first().map_or(0, crate::store::DbResult::changed) > 0);
    }
    // The version row is written only if the job row moved to it (same batch, same transaction).
    let version = db
        .prepare(
            "INSERT INTO job_versions (job_id, version, spec, created_by, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5 FROM jobs WHERE id = ?1 AND current_version = ?2 AND updated_at = ?5",
        )
        .bind(&[text(j.id), int(next), text(j.spec_json), text(j.by), text(j.now)])?;
    let results = db.batch(vec![job, version, audit_if_changed]).await?;
    let changed = results.first().map_or(0, crate::store::DbResult::changed);
    Ok(changed > 0)
}

/// One page of organization `org_id`'s jobs, most recently changed first (`limit + 1` rows).
///
/// # Errors
/// D1 failures.
pub async fn list(
    db: &Db,
    org_id: &str,
    status: Option<&str>,
    cursor: Option<(&str, &str)>,
    limit: u32,
) -> worker::Result<Vec<Value>> {
    let (key, id) = cursor.unzip();
    db.prepare(super::org_sql::JOBS_PAGE)
        .bind(&[text(org_id), opt_text(status), opt_text(key), opt_text(id), int(i64::from(limit) + 1)])?
        .all()
        .await?
        .results::<Value>()
}
