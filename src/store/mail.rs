//! The `mail_outbox` and `dev_mailbox` tables (docs/email.md). Messages are queued as prepared
//! statements for the caller's batch (so a message exists exactly when the change it announces
//! does); the sender claims one due message at a time, so two senders never send it twice.

use crate::store::{Db, Statement};
use serde::Deserialize;
use serde_json::Value;

use super::{int, opt_text, text};
use crate::domain::mail::OutgoingMail;

/// A message the sender claimed.
#[derive(Debug, Clone, Deserialize)]
pub struct QueuedMail {
    pub id: String,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub ref_id: Option<String>,
    pub attempts: i64,
}

/// The statement that queues `mail` (for the caller's batch). A second statement with the same
/// `dedupe_key` changes nothing.
///
/// # Errors
/// Binding failures.
pub fn enqueue(
    db: &Db,
    id: &str,
    mail: &OutgoingMail,
    ref_id: Option<&str>,
    dedupe_key: &str,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO mail_outbox (id, kind, to_addr, subject, body_text, ref_id, dedupe_key, status, attempts, \
         next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&[
        text(id),
        text(mail.kind.as_str()),
        text(&mail.to),
        text(&mail.subject),
        text(&mail.text),
        opt_text(ref_id),
        text(dedupe_key),
        text(now),
    ])
}

/// As [`enqueue`], for a resent invitation: the message is queued only if the invitation now
/// holds `token_hash` (run after the rotation in the same batch), so a resend that lost a race
/// with a revocation or an accept never emails a dead link.
///
/// # Errors
/// Binding failures.
pub fn enqueue_if_token(
    db: &Db,
    id: &str,
    mail: &OutgoingMail,
    invitation_id: &str,
    token_hash: &str,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO mail_outbox (id, kind, to_addr, subject, body_text, ref_id, dedupe_key, status, attempts, \
         next_attempt_at, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8 \
         WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?10 AND token_hash = ?9) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&[
        text(id),
        text(mail.kind.as_str()),
        text(&mail.to),
        text(&mail.subject),
        text(&mail.text),
        text(invitation_id),
        text(&format!("invitation:{invitation_id}:{id}")),
        text(now),
        text(token_hash),
        // ?6 again: `ref_id` is text, the invitation's id a uuid on Postgres.
        text(invitation_id),
    ])
}

/// Ids of pending messages due at `now`, oldest first (at most `limit`); `only` narrows to
/// given ids (the ones a request just queued).
///
/// # Errors
/// D1 failures.
pub async fn due(db: &Db, now: &str, limit: u32) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows = db
        .prepare(super::org_sql::MAIL_DUE)
        .bind(&[text(now), int(i64::from(limit))])?
        .all()
        .await?
        .results::<Id>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Claims message `id` for one attempt: counts the attempt and leases it until `lease_until`
/// (a sender that dies mid-send leaves it to a later run). `None` when another sender has it,
/// or it is not due.
///
/// # Errors
/// D1 failures.
pub async fn claim(db: &Db, id: &str, now: &str, lease_until: &str) -> worker::Result<Option<QueuedMail>> {
    let claimed = db
        .prepare(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?3 \
             WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2",
        )
        .bind(&[text(id), text(now), text(lease_until)])?
        .run()
        .await?;
    if claimed.meta()?.and_then(|m| m.changes).unwrap_or(0) != 1 {
        return Ok(None);
    }
    db.prepare(
        "SELECT id, kind, to_addr, subject, body_text, ref_id, attempts FROM mail_outbox WHERE id = ?1",
    )
    .bind(&[text(id)])?
    .first::<QueuedMail>(None)
    .await
}

/// The table an email's delivery state is mirrored on (`send_attempts`, `last_send_error`,
/// `sent_at`), by kind.
fn mirror_table(kind: &str) -> Option<&'static str> {
    match kind {
        "invitation" => Some("invitations"),
        "staff_invite" => Some("staff_invites"),
        _ => None,
    }
}

/// Records the outcome of an attempt: `sent` (body blanked), `failed` (given up; body blanked,
/// error kept) or a retry at `retry_at`; mirrored on the invitation it announces.
///
/// # Errors
/// D1 failures.
pub async fn record(db: &Db, mail: &QueuedMail, outcome: Outcome<'_>, now: &str) -> worker::Result<()> {
    let (status, next, error) = match outcome {
        Outcome::Sent => ("sent", now, None),
        Outcome::Retry { at, error } => ("pending", at, Some(error)),
        Outcome::Failed { error } => ("failed", now, Some(error)),
        Outcome::Skipped => ("skipped", now, Some("the address unsubscribed from this kind of email")),
    };
    let error = error.map(|e| e.chars().take(300).collect::<String>());
    let mut statements = vec![db
        .prepare(
            "UPDATE mail_outbox SET status = ?2, next_attempt_at = ?3, last_error = ?4, \
             sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END, \
             body_text = CASE WHEN ?2 = 'pending' THEN body_text ELSE '' END WHERE id = ?1",
        )
        .bind(&[text(&mail.id), text(status), text(next), opt_text(error.as_deref()), text(now)])?];
    if let (Some(table), Some(ref_id)) = (mirror_table(&mail.kind), mail.ref_id.as_deref()) {
        // Only the newest message of an invitation speaks for it (a resend supersedes the first).
        // A sent invitation records when (`?7`); staff invites have no such column.
        let sent = status == "sent" && table == "invitations";
        let sent_at = if sent { ", sent_at = ?7" } else { "" };
        let mut binds = vec![
            text(ref_id),
            int(mail.attempts),
            opt_text(error.as_deref()),
            text(&mail.id),
            text(&mail.kind),
            // ?1 again, as text: the row's id is a uuid on Postgres, `ref_id` text.
            text(ref_id),
        ];
        if sent {
            binds.push(text(now));
        }
        statements.push(
            db.prepare(format!(
                "UPDATE {table} SET send_attempts = ?2, last_send_error = ?3{sent_at} WHERE id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM mail_outbox m WHERE m.ref_id = ?6 AND m.id <> ?4 AND m.kind = ?5 \
                 AND m.created_at > (SELECT created_at FROM mail_outbox WHERE id = ?4))"
            ))
            .bind(&binds)?,
        );
    }
    db.batch(statements).await?;
    Ok(())
}

/// What became of one attempt, as stored.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Sent,
    Retry {
        at: &'a str,
        error: &'a str,
    },
    Failed {
        error: &'a str,
    },
    /// Not sent: the address opted out of this optional kind.
    Skipped,
}

/// Puts a message in the dev mailbox (`MAILER = "dev"`).
///
/// # Errors
/// D1 failures.
pub async fn dev_deliver(db: &Db, mail: &QueuedMail, now: &str) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO dev_mailbox (id, kind, to_addr, subject, body_text, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&[text(&mail.id), text(&mail.kind), text(&mail.to_addr), text(&mail.subject), text(&mail.body_text), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// The dev mailbox, newest first, optionally for one address.
///
/// # Errors
/// D1 failures.
pub async fn dev_messages(db: &Db, to: Option<&str>) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT id, kind, to_addr AS \"to\", subject, body_text AS text, created_at FROM dev_mailbox \
         WHERE (to_addr = ?1 OR ?1 IS NULL) ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .bind(&[opt_text(to)])?
    .all()
    .await?
    .results::<Value>()
}

/// Empties the dev mailbox.
///
/// # Errors
/// D1 failures.
pub async fn dev_clear(db: &Db) -> worker::Result<()> {
    db.prepare("DELETE FROM dev_mailbox").run().await?;
    Ok(())
}

/// The statements that queue an optional message with its unsubscribe token (only the token's
/// hash is stored, and only if the message itself was queued: a duplicate leaves no token).
///
/// # Errors
/// Binding failures.
#[allow(clippy::too_many_arguments)]
pub fn enqueue_optional(
    db: &Db,
    id: &str,
    mail: &OutgoingMail,
    ref_id: &str,
    dedupe_key: &str,
    token_hash: &str,
    now: &str,
) -> worker::Result<[Statement; 2]> {
    Ok([
        enqueue(db, id, mail, Some(ref_id), dedupe_key, now)?,
        db.prepare(
            "INSERT INTO mail_optouts (token_hash, email, created_at) SELECT ?1, ?2, ?3 \
             WHERE EXISTS (SELECT 1 FROM mail_outbox WHERE id = ?4) ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(&[text(token_hash), text(&mail.to), text(now), text(id)])?,
    ])
}

/// Whether `email` opted out of optional mail.
///
/// # Errors
/// D1 failures.
pub async fn opted_out(db: &Db, email: &str) -> worker::Result<bool> {
    Ok(db
        .prepare("SELECT 1 AS x FROM mail_optouts WHERE email = ?1 AND opted_out_at IS NOT NULL LIMIT 1")
        .bind(&[text(email)])?
        .first::<Value>(None)
        .await?
        .is_some())
}

/// Opts out the address of unsubscribe token `token_hash`; `false` for an unknown token.
///
/// # Errors
/// D1 failures.
pub async fn opt_out(db: &Db, token_hash: &str, now: &str) -> worker::Result<bool> {
    let done = db
        .prepare("UPDATE mail_optouts SET opted_out_at = COALESCE(opted_out_at, ?2) WHERE token_hash = ?1")
        .bind(&[text(token_hash), text(now)])?
        .run()
        .await?;
    Ok(done.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// The messages about `ref_id` (an invitation; for an interview, the invitation that started
/// it), oldest first: kind, status, attempts, last error, when queued and sent. Never the
/// address or the content.
///
/// # Errors
/// D1 failures.
pub async fn timeline(db: &Db, ref_id: &str) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT kind, status, attempts, last_error, created_at, sent_at FROM mail_outbox \
         WHERE ref_id = ?1 OR ref_id = (SELECT CAST(id AS TEXT) FROM invitations WHERE interview_id = ?2) \
         ORDER BY created_at, id LIMIT 100",
    )
    // The id twice: `ref_id` is text, `interview_id` a uuid on Postgres (a parameter has one type).
    .bind(&[text(ref_id), text(ref_id)])?
    .all()
    .await?
    .results::<Value>()
}

/// Invitations due a reminder: not started, not revoked, job open, not yet reminded, the
/// address not opted out, and the link (or the job's deadline, if earlier) expiring after
/// `now` and by `until`. With the organization's name and the job's title.
///
/// # Errors
/// D1 failures.
pub async fn due_reminders(db: &Db, now: &str, until: &str, limit: u32) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT * FROM (SELECT i.id, i.email, min(i.expires_at, COALESCE(j.deadline, i.expires_at)) AS ends_at, \
         j.title, o.name AS org_name FROM invitations i JOIN jobs j ON j.id = i.job_id \
         JOIN organizations o ON o.id = i.org_id \
         WHERE i.status IN ('sent', 'opened') AND i.interview_id IS NULL AND i.revoked_at IS NULL \
         AND j.status = 'open' \
         AND NOT EXISTS (SELECT 1 FROM mail_outbox m WHERE m.dedupe_key = 'reminder:' || i.id) \
         AND NOT EXISTS (SELECT 1 FROM mail_optouts x WHERE x.email = i.email AND x.opted_out_at IS NOT NULL)) AS due \
         WHERE ends_at > ?1 AND ends_at <= ?2 ORDER BY ends_at LIMIT ?3",
    )
    .bind(&[text(now), text(until), int(i64::from(limit))])?
    .all()
    .await?
    .results::<Value>()
}

/// Invitations whose interview completed and whose recruiters were not told yet, with the
/// candidate's name, the job's title and the score.
///
/// # Errors
/// D1 failures.
pub async fn completed_unnotified(db: &Db, limit: u32) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT i.id, i.org_id, i.interview_id, i.created_by, j.created_by AS job_created_by, j.title, \
         u.full_name AS candidate_name, COALESCE(a.overall_score, v.overall_score) AS score \
         FROM invitations i JOIN interviews v ON v.id = i.interview_id JOIN jobs j ON j.id = i.job_id \
         JOIN users u ON u.id = v.candidate_id LEFT JOIN assessment_results a ON a.interview_id = v.id \
         WHERE i.interview_id IS NOT NULL AND i.completion_notified_at IS NULL AND v.status = 'completed' LIMIT ?1",
    )
    .bind(&[int(i64::from(limit))])?
    .all()
    .await?
    .results::<Value>()
}

/// Who is told of a completion: the invitation's sender and the job's creator, if still active
/// recruiters or admins of the organization (at most 2).
///
/// # Errors
/// D1 failures.
pub async fn completion_recipients(
    db: &Db,
    org_id: &str,
    sender: &str,
    job_creator: &str,
) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT id, email FROM users WHERE id IN (?2, ?3) AND org_id = ?1 AND status = 'active' \
         AND role IN ('recruiter', 'admin') ORDER BY id LIMIT 20",
    )
    .bind(&[text(org_id), text(sender), text(job_creator)])?
    .all()
    .await?
    .results::<Value>()
}

/// Marks invitation `id`'s completion notified (for the batch that queues the notices).
///
/// # Errors
/// Binding failures.
pub fn mark_completion_notified(db: &Db, id: &str, now: &str) -> worker::Result<Statement> {
    db.prepare(
        "UPDATE invitations SET completion_notified_at = ?2 WHERE id = ?1 AND completion_notified_at IS NULL",
    )
    .bind(&[text(id), text(now)])
}
