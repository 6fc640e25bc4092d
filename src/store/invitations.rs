//! The `invitations` table (docs/jobs.md#invitations), and the per-job results that join it to
//! interviews and assessments. Every staff read is scoped to one organization; the public
//! lookup goes by the token's hash only.

use crate::store::{Db, Statement};
use serde::Deserialize;
use serde_json::Value;

use super::org_sql::{
    INVITATIONS_PAGE, INVITATION_COLUMNS as COLUMNS, JOB_COMPARE, JOB_RESULTS, LIVE_EMAILS,
};
use super::{int, opt_text, text};

/// One invitation as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub org_id: String,
    pub job_id: String,
    pub email: String,
    pub status: String,
    pub expires_at: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub opened_at: Option<String>,
    pub started_at: Option<String>,
    pub interview_id: Option<String>,
    pub send_attempts: i64,
    pub last_send_error: Option<String>,
    pub interview_status: Option<String>,
    pub completed_at: Option<String>,
}

/// What a new invitation stores.
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub job_id: &'a str,
    pub email: &'a str,
    pub token_hash: &'a str,
    pub expires_at: &'a str,
    pub by: &'a str,
    pub now: &'a str,
}

/// The statement inserting `n` (for the caller's batch, beside its email).
///
/// # Errors
/// Binding failures.
pub fn insert(db: &Db, n: &NewInvitation<'_>) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO invitations (id, org_id, job_id, email, token_hash, status, expires_at, created_by, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7, ?8, ?8)",
    )
    .bind(&[
        text(n.id),
        text(n.org_id),
        text(n.job_id),
        text(n.email),
        text(n.token_hash),
        text(n.expires_at),
        text(n.by),
        text(n.now),
    ])
}

/// Which of `emails` (a JSON array) already have a live invitation to `job_id`: not revoked,
/// and either started or not yet expired at `now`.
///
/// # Errors
/// D1 failures.
pub async fn live_emails(db: &Db, job_id: &str, emails_json: &str, now: &str) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Email {
        email: String,
    }
    let rows = db
        .prepare(LIVE_EMAILS)
        .bind(&[text(job_id), text(emails_json), text(now)])?
        .all()
        .await?
        .results::<Email>()?;
    Ok(rows.into_iter().map(|r| r.email).collect())
}

/// Organization `org_id`'s invitation `id`.
///
/// # Errors
/// D1 failures.
pub async fn get(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<InvitationRow>> {
    db.prepare(format!("SELECT {COLUMNS} FROM invitations v WHERE v.id = ?1 AND v.org_id = ?2"))
        .bind(&[text(id), text(org_id)])?
        .first::<InvitationRow>(None)
        .await
}

/// The invitation whose token hashes to `token_hash`.
///
/// # Errors
/// D1 failures.
pub async fn by_token_hash(db: &Db, token_hash: &str) -> worker::Result<Option<InvitationRow>> {
    db.prepare(format!("SELECT {COLUMNS} FROM invitations v WHERE v.token_hash = ?1"))
        .bind(&[text(token_hash)])?
        .first::<InvitationRow>(None)
        .await
}

/// One page of a job's invitations, newest first (`limit + 1` rows), optionally by stored status.
///
/// # Errors
/// D1 failures.
pub async fn list(
    db: &Db,
    org_id: &str,
    job_id: &str,
    status: Option<&str>,
    cursor: Option<(&str, &str)>,
    limit: u32,
) -> worker::Result<Vec<InvitationRow>> {
    let (key, id) = cursor.unzip();
    db.prepare(format!("SELECT {COLUMNS} {INVITATIONS_PAGE}"))
        .bind(&[
            text(org_id),
            text(job_id),
            opt_text(status),
            opt_text(key),
            opt_text(id),
            int(i64::from(limit) + 1),
        ])?
        .all()
        .await?
        .results::<InvitationRow>()
}

/// Marks a sent invitation opened (the first visit of its link).
///
/// # Errors
/// D1 failures.
pub async fn mark_opened(db: &Db, id: &str, now: &str) -> worker::Result<()> {
    db.prepare("UPDATE invitations SET status = 'opened', opened_at = ?2, updated_at = ?2 WHERE id = ?1 AND status = 'sent'")
        .bind(&[text(id), text(now)])?
        .run()
        .await?;
    Ok(())
}

/// Claims invitation `id` for one interview: only a sent or opened link before its expiry, only
/// once (two concurrent accepts: one wins). Returns whether this call claimed it.
///
/// # Errors
/// D1 failures.
pub async fn claim(
    db: &Db,
    id: &str,
    candidate_id: &str,
    interview_id: &str,
    now: &str,
) -> worker::Result<bool> {
    let result = db
        .prepare(
            "UPDATE invitations SET status = 'started', started_at = ?4, updated_at = ?4, candidate_id = ?2, \
             interview_id = ?3 WHERE id = ?1 AND status IN ('sent', 'opened') AND expires_at > ?4",
        )
        .bind(&[text(id), text(candidate_id), text(interview_id), text(now)])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) == 1)
}

/// Undoes [`claim`] when the interview could not be started (the link works again).
///
/// # Errors
/// D1 failures.
pub async fn unclaim(db: &Db, id: &str, interview_id: &str, now: &str) -> worker::Result<()> {
    db.prepare(
        "UPDATE invitations SET status = 'opened', started_at = NULL, candidate_id = NULL, interview_id = NULL, \
         updated_at = ?3 WHERE id = ?1 AND interview_id = ?2 AND status = 'started'",
    )
    .bind(&[text(id), text(interview_id), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// Revokes an invitation that has not started an interview. Returns whether it applied.
///
/// # Errors
/// D1 failures.
pub async fn revoke(
    db: &Db,
    id: &str,
    org_id: &str,
    now: &str,
    audit_if_changed: Statement,
) -> worker::Result<bool> {
    let revoke = db
        .prepare(
            "UPDATE invitations SET status = 'revoked', revoked_at = ?3, updated_at = ?3 \
             WHERE id = ?1 AND org_id = ?2 AND status IN ('sent', 'opened', 'expired')",
        )
        .bind(&[text(id), text(org_id), text(now)])?;
    let results = db.batch(vec![revoke, audit_if_changed]).await?;
    Ok(results.first().map_or(0, crate::store::DbResult::changed) == 1)
}

/// The statement giving an unstarted invitation a new token and expiry (a resend), for the
/// caller's batch beside the new email.
///
/// # Errors
/// Binding failures.
pub fn rotate(
    db: &Db,
    id: &str,
    org_id: &str,
    token_hash: &str,
    expires_at: &str,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "UPDATE invitations SET token_hash = ?3, expires_at = ?4, status = 'sent', opened_at = NULL, sent_at = NULL, \
         send_attempts = 0, last_send_error = NULL, updated_at = ?5 \
         WHERE id = ?1 AND org_id = ?2 AND status IN ('sent', 'opened', 'expired')",
    )
    .bind(&[text(id), text(org_id), text(token_hash), text(expires_at), text(now)])
}

/// The organization's name.
///
/// # Errors
/// D1 failures.
pub async fn org_name(db: &Db, org_id: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    Ok(db
        .prepare("SELECT name FROM organizations WHERE id = ?1")
        .bind(&[text(org_id)])?
        .first::<Name>(None)
        .await?
        .map(|n| n.name))
}

/// A job's results: every invitation with its candidate, interview and assessment (at most
/// 1,000, the newest first; the handler sorts).
///
/// # Errors
/// D1 failures.
pub async fn results(db: &Db, org_id: &str, job_id: &str) -> worker::Result<Vec<Value>> {
    db.prepare(JOB_RESULTS).bind(&[text(org_id), text(job_id)])?.all().await?.results::<Value>()
}

/// What the comparison needs of up to 4 of a job's interviews (a JSON array of ids).
///
/// # Errors
/// D1 failures.
pub async fn compare(db: &Db, org_id: &str, job_id: &str, ids_json: &str) -> worker::Result<Vec<Value>> {
    db.prepare(JOB_COMPARE)
        .bind(&[text(org_id), text(job_id), text(ids_json)])?
        .all()
        .await?
        .results::<Value>()
}
