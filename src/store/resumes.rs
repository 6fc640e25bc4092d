//! D1 side of résumés, their feedback and the feedback delivery outbox (docs/resumes.md#delivery).
//! Every state change is a conditional `UPDATE`, so concurrent attempts (the upload's
//! `wait_until`, the cron, an approval) never both win.

use crate::store::Db;
use serde::Deserialize;
use serde_json::Value;

use super::{int, opt_text, text};
use crate::domain::resume::delivery::{MAX_DELIVERY_ATTEMPTS, MAX_PARSE_ATTEMPTS};

/// Columns a résumé is shown with (always selected `FROM resumes`); `feedback_sent_at` tells the
/// owner when there is delivered feedback to fetch, and nothing about a draft.
const RESUME_COLUMNS: &str = "id, candidate_id, file_name, content_type, size_bytes, parsing_status, \
     parse_attempts, parse_error_code, parse_error, parsed_data, uploaded_at, parsed_at, updated_at, \
     (SELECT f.sent_at FROM resume_feedback f WHERE f.resume_id = resumes.id AND f.status = 'sent') \
     AS feedback_sent_at";

/// Columns feedback is shown with (always selected `FROM resume_feedback`); the candidate's name
/// and the résumé's file name are for staff (the candidate's view picks its own fields).
const FEEDBACK_COLUMNS: &str = "id, resume_id, candidate_id, feedback_content, identified_gaps, \
     recommended_resources, status, generator, auto_send_at, approved_at, approved_by, sent_at, created_at, \
     updated_at, (SELECT u.full_name FROM users u WHERE u.id = resume_feedback.candidate_id) AS candidate_name, \
     (SELECT r.file_name FROM resumes r WHERE r.id = resume_feedback.resume_id) AS file_name";

/// A new résumé row (inserted within the candidate's quotas by `store::quotas`).
pub struct NewResume<'a> {
    pub id: &'a str,
    pub candidate_id: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub storage_path: &'a str,
    pub now: &'a str,
}

/// One résumé (any owner), as stored.
///
/// # Errors
/// D1 failures.
pub async fn get(db: &Db, id: &str) -> worker::Result<Option<Value>> {
    db.prepare(format!("SELECT {RESUME_COLUMNS} FROM resumes WHERE id = ?1"))
        .bind(&[text(id)])?
        .first::<Value>(None)
        .await
}

/// A résumé's owner and its parsed data (JSON text, once parsed).
#[derive(Debug, Deserialize)]
pub struct ParsedData {
    pub candidate_id: String,
    pub parsed_data: Option<String>,
}

/// The owner and parsed data of a résumé (any owner), for tailoring an interview to it.
///
/// # Errors
/// D1 failures.
pub async fn parsed_data(db: &Db, id: &str) -> worker::Result<Option<ParsedData>> {
    db.prepare("SELECT candidate_id, parsed_data FROM resumes WHERE id = ?1")
        .bind(&[text(id)])?
        .first::<ParsedData>(None)
        .await
}

/// A candidate's résumés, newest first, and their total count.
///
/// # Errors
/// D1 failures.
pub async fn list_for_candidate(
    db: &Db,
    candidate_id: &str,
    skip: u32,
    limit: u32,
) -> worker::Result<(Vec<Value>, u64)> {
    let rows = db
        .prepare(format!(
            "SELECT {RESUME_COLUMNS} FROM resumes WHERE candidate_id = ?1 \
             ORDER BY uploaded_at DESC, id DESC LIMIT ?2 OFFSET ?3"
        ))
        .bind(&[text(candidate_id), int(i64::from(limit)), int(i64::from(skip))])?
        .all()
        .await?
        .results::<Value>()?;
    let total = count(db, "SELECT COUNT(*) AS n FROM resumes WHERE candidate_id = ?1", candidate_id).await?;
    Ok((rows, total))
}

async fn count(db: &Db, sql: &str, param: &str) -> worker::Result<u64> {
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let n = db.prepare(sql).bind(&[text(param)])?.first::<Count>(None).await?.map_or(0.0, |c| c.n);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(n.max(0.0) as u64)
}

/// What a parsing attempt needs, returned by [`claim_parse`].
#[derive(Debug, Deserialize)]
pub struct ParseClaim {
    pub candidate_id: String,
    pub storage_path: String,
    pub parse_attempts: f64,
}

/// Claims the next parsing attempt of a résumé: one that is `pending` or `failed` with attempts
/// left. Moves it to `processing` and counts the attempt *before* any parsing, so an attempt that
/// kills its run leaves the résumé in `processing`, where [`fail_crashed`] finds it; such a
/// résumé is never claimed again. `None` when there is nothing to do or another worker won.
///
/// # Errors
/// D1 failures.
pub async fn claim_parse(db: &Db, id: &str, now: &str) -> worker::Result<Option<ParseClaim>> {
    db.prepare(
        "UPDATE resumes SET parsing_status = 'processing', parse_attempts = parse_attempts + 1, updated_at = ?2 \
         WHERE id = ?1 AND parse_attempts < ?3 AND parsing_status IN ('pending', 'failed') \
         RETURNING candidate_id, storage_path, parse_attempts",
    )
    .bind(&[text(id), text(now), int(MAX_PARSE_ATTEMPTS)])?
    .returning::<ParseClaim>()
    .await
}

/// Résumés whose parsing should be (re)tried, oldest first: `pending`, or `failed` with
/// attempts left (a file that crashed or exhausted its budget has none).
///
/// # Errors
/// D1 failures.
pub async fn parse_candidates(db: &Db, limit: u32) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows = db
        .prepare(
            "SELECT id FROM resumes WHERE parse_attempts < ?1 AND parsing_status IN ('pending', 'failed') \
             ORDER BY uploaded_at LIMIT ?2",
        )
        .bind(&[int(MAX_PARSE_ATTEMPTS), int(i64::from(limit))])?
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Résumés still `processing` since before `stale_before` — their attempt's run died (a crash,
/// out of memory, the isolate killed) — end `failed` with `parser_crashed` and no attempt left:
/// a file that killed a run is never parsed again. Returns how many.
///
/// # Errors
/// D1 failures.
pub async fn fail_crashed(db: &Db, now: &str, stale_before: &str) -> worker::Result<usize> {
    let result = db
        .prepare(
            "UPDATE resumes SET parsing_status = 'failed', parse_error_code = 'parser_crashed', \
             parse_error = 'parsing stopped without finishing (the file crashed or stalled the parser); it will not be retried', \
             parse_attempts = MAX(parse_attempts, ?3), updated_at = ?1 \
             WHERE parsing_status = 'processing' AND updated_at < ?2",
        )
        .bind(&[text(now), text(stale_before), int(MAX_PARSE_ATTEMPTS)])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// Records a failed attempt (only by the worker that holds `attempt`). A `final` failure (a size
/// or budget limit: the same file would fail the same way) uses up the attempts left, so it is
/// not retried.
///
/// # Errors
/// D1 failures.
pub async fn fail_parse(
    db: &Db,
    id: &str,
    attempt: i64,
    (code, reason): (&str, &str),
    is_final: bool,
    now: &str,
) -> worker::Result<()> {
    let attempts_after = if is_final { attempt.max(MAX_PARSE_ATTEMPTS) } else { attempt };
    db.prepare(
        "UPDATE resumes SET parsing_status = 'failed', parse_error_code = ?3, parse_error = ?4, updated_at = ?5, \
         parse_attempts = ?6 WHERE id = ?1 AND parsing_status = 'processing' AND parse_attempts = ?2",
    )
    .bind(&[text(id), int(attempt), text(code), text(reason), text(now), int(attempts_after)])?
    .run()
    .await?;
    Ok(())
}

/// New feedback for a parsed résumé.
pub struct NewFeedback<'a> {
    pub id: &'a str,
    pub content: &'a str,
    pub gaps_json: &'a str,
    pub resources_json: &'a str,
    pub auto_send_at: &'a str,
}

/// Completes an attempt: stores `parsed_data` and creates the feedback in `pending_approval`,
/// atomically (a D1 batch), only if this worker still holds `attempt`. Returns whether it did.
///
/// # Errors
/// D1 failures.
pub async fn complete_parse(
    db: &Db,
    id: &str,
    attempt: i64,
    parsed_json: &str,
    feedback: &NewFeedback<'_>,
    now: &str,
) -> worker::Result<bool> {
    let update = db
        .prepare(
            "UPDATE resumes SET parsing_status = 'completed', parsed_data = ?3, parsed_at = ?4, \
             parse_error_code = NULL, parse_error = NULL, updated_at = ?4 \
             WHERE id = ?1 AND parsing_status = 'processing' AND parse_attempts = ?2",
        )
        .bind(&[text(id), int(attempt), text(parsed_json), text(now)])?;
    let insert = db
        .prepare(
            "INSERT INTO resume_feedback (id, resume_id, candidate_id, feedback_content, identified_gaps, \
             recommended_resources, status, generator, auto_send_at, created_at, updated_at) \
             SELECT ?1, r.id, r.candidate_id, ?3, ?4, ?5, 'pending_approval', 'builtin', ?6, ?7, ?7 \
             FROM resumes r WHERE r.id = ?2 AND r.parsing_status = 'completed' AND r.parsed_at = ?7 \
             ON CONFLICT (resume_id) DO NOTHING",
        )
        .bind(&[
            text(feedback.id),
            text(id),
            text(feedback.content),
            text(feedback.gaps_json),
            text(feedback.resources_json),
            text(feedback.auto_send_at),
            text(now),
        ])?;
    let results = db.batch(vec![update, insert]).await?;
    let changed = results.first().map_or(0, crate::store::DbResult::changed);
    Ok(changed > 0)
}

/// A candidate's display name (for the feedback greeting).
///
/// # Errors
/// D1 failures.
pub async fn candidate_name(db: &Db, candidate_id: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        full_name: String,
    }
    Ok(db
        .prepare("SELECT full_name FROM users WHERE id = ?1")
        .bind(&[text(candidate_id)])?
        .first::<Row>(None)
        .await?
        .map(|r| r.full_name))
}

/// The feedback of a résumé, as stored.
///
/// # Errors
/// D1 failures.
pub async fn feedback_for_resume(db: &Db, resume_id: &str) -> worker::Result<Option<Value>> {
    db.prepare(format!("SELECT {FEEDBACK_COLUMNS} FROM resume_feedback WHERE resume_id = ?1"))
        .bind(&[text(resume_id)])?
        .first::<Value>(None)
        .await
}

/// Feedback by id, as stored.
///
/// # Errors
/// D1 failures.
pub async fn feedback(db: &Db, id: &str) -> worker::Result<Option<Value>> {
    db.prepare(format!("SELECT {FEEDBACK_COLUMNS} FROM resume_feedback WHERE id = ?1"))
        .bind(&[text(id)])?
        .first::<Value>(None)
        .await
}

/// Staff list of the feedback on candidates organization `org_id` may see, optionally by status,
/// soonest auto-send first.
///
/// # Errors
/// D1 failures.
pub async fn list_feedback(
    db: &Db,
    org_id: &str,
    status: Option<&str>,
    skip: u32,
    limit: u32,
) -> worker::Result<(Vec<Value>, u64)> {
    let visible = format!(
        "EXISTS (SELECT 1 FROM users u WHERE u.id = resume_feedback.candidate_id AND {})",
        super::listing::user_in_org("u", 4)
    );
    let rows = db
        .prepare(format!(
            "SELECT {FEEDBACK_COLUMNS} FROM resume_feedback WHERE (status = ?1 OR ?1 IS NULL) AND {visible} \
             ORDER BY auto_send_at, id LIMIT ?2 OFFSET ?3"
        ))
        .bind(&[opt_text(status), int(i64::from(limit)), int(i64::from(skip)), text(org_id)])?
        .all()
        .await?
        .results::<Value>()?;
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let n = db
        .prepare(format!(
            "SELECT COUNT(*) AS n FROM resume_feedback WHERE (status = ?1 OR ?1 IS NULL) AND {}",
            visible.replace("?4", "?2")
        ))
        .bind(&[opt_text(status), text(org_id)])?
        .first::<Count>(None)
        .await?
        .map_or(0.0, |c| c.n);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((rows, n.max(0.0) as u64))
}

/// Approves feedback that is not yet sent, optionally replacing its content, and enqueues its
/// delivery (atomically). Returns whether it was approved now.
///
/// # Errors
/// D1 failures.
pub async fn approve(
    db: &Db,
    feedback_id: &str,
    content: Option<&str>,
    staff_id: &str,
    delivery_id: &str,
    now: &str,
) -> worker::Result<bool> {
    let update = db
        .prepare(
            "UPDATE resume_feedback SET status = 'approved', feedback_content = COALESCE(?2, feedback_content), \
             approved_at = ?4, approved_by = ?3, updated_at = ?4 WHERE id = ?1 AND status != 'sent'",
        )
        .bind(&[text(feedback_id), opt_text(content), text(staff_id), text(now)])?;
    let enqueue = enqueue_statement(db, delivery_id, feedback_id, now)?;
    let results = db.batch(vec![update, enqueue]).await?;
    let changed = results.first().map_or(0, crate::store::DbResult::changed);
    Ok(changed > 0)
}

fn enqueue_statement(
    db: &Db,
    delivery_id: &str,
    feedback_id: &str,
    now: &str,
) -> worker::Result<crate::store::Statement> {
    db.prepare(
        "INSERT INTO feedback_deliveries (id, feedback_id, status, attempts, next_attempt_at, created_at) \
         SELECT ?1, f.id, 'pending', 0, ?3, ?3 FROM resume_feedback f WHERE f.id = ?2 AND f.status != 'sent' \
         ON CONFLICT (feedback_id) DO NOTHING",
    )
    .bind(&[text(delivery_id), text(feedback_id), text(now)])
}

/// Feedback that is due (approved, or past its auto-send time) and has no delivery yet.
///
/// # Errors
/// D1 failures.
pub async fn due_without_delivery(db: &Db, now: &str, limit: u32) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows = db
        .prepare(
            "SELECT f.id FROM resume_feedback f WHERE (f.status = 'approved' \
             OR (f.status = 'pending_approval' AND f.auto_send_at <= ?1)) \
             AND NOT EXISTS (SELECT 1 FROM feedback_deliveries d WHERE d.feedback_id = f.id) \
             ORDER BY f.auto_send_at LIMIT ?2",
        )
        .bind(&[text(now), int(i64::from(limit))])?
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Enqueues deliveries (one per feedback; existing ones are kept).
///
/// # Errors
/// D1 failures.
pub async fn enqueue(db: &Db, items: &[(String, String)], now: &str) -> worker::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let statements = items
        .iter()
        .map(|(delivery_id, feedback_id)| enqueue_statement(db, delivery_id, feedback_id, now))
        .collect::<worker::Result<Vec<_>>>()?;
    db.batch(statements).await?;
    Ok(())
}

/// Feedback ids whose pending delivery is due.
///
/// # Errors
/// D1 failures.
pub async fn due_deliveries(db: &Db, now: &str, limit: u32) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        feedback_id: String,
    }
    let rows = db
        .prepare(
            "SELECT feedback_id FROM feedback_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
             ORDER BY next_attempt_at LIMIT ?2",
        )
        .bind(&[text(now), int(i64::from(limit))])?
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.feedback_id).collect())
}

/// A claimed delivery attempt.
#[derive(Debug, Deserialize)]
pub struct DeliveryClaim {
    pub id: String,
    pub attempts: f64,
}

/// Claims the next attempt of a feedback's pending, due delivery and leases it until
/// `lease_until`; `None` when not due or another worker holds it.
///
/// # Errors
/// D1 failures.
pub async fn claim_delivery(
    db: &Db,
    feedback_id: &str,
    now: &str,
    lease_until: &str,
) -> worker::Result<Option<DeliveryClaim>> {
    db.prepare(
        "UPDATE feedback_deliveries SET attempts = attempts + 1, next_attempt_at = ?3 \
         WHERE feedback_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 AND attempts < ?4 \
         RETURNING id, attempts",
    )
    .bind(&[text(feedback_id), text(now), text(lease_until), int(MAX_DELIVERY_ATTEMPTS)])?
    .returning::<DeliveryClaim>()
    .await
}

/// Makes feedback visible to its candidate (`sent`), once.
///
/// # Errors
/// D1 failures.
pub async fn mark_sent(db: &Db, feedback_id: &str, now: &str) -> worker::Result<()> {
    db.prepare(
        "UPDATE resume_feedback SET status = 'sent', sent_at = ?2, updated_at = ?2 WHERE id = ?1 AND status != 'sent'",
    )
    .bind(&[text(feedback_id), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// What the webhook payload carries besides the feedback itself.
///
/// # Errors
/// D1 failures.
pub async fn candidate_contact(db: &Db, candidate_id: &str) -> worker::Result<Option<Value>> {
    db.prepare("SELECT email, full_name FROM users WHERE id = ?1")
        .bind(&[text(candidate_id)])?
        .first::<Value>(None)
        .await
}

/// Records a delivery's outcome: delivered, or failed with the next attempt time (`None` when
/// no attempt is left: the row ends `failed`).
///
/// # Errors
/// D1 failures.
pub async fn finish_delivery(
    db: &Db,
    delivery_id: &str,
    outcome: Result<(), (&str, Option<&str>)>,
    now: &str,
) -> worker::Result<()> {
    let statement = match outcome {
        Ok(()) => db
            .prepare(
                "UPDATE feedback_deliveries SET status = 'delivered', delivered_at = ?2, last_error = NULL \
                 WHERE id = ?1",
            )
            .bind(&[text(delivery_id), text(now)])?,
        Err((error, Some(next))) => db
            .prepare("UPDATE feedback_deliveries SET last_error = ?2, next_attempt_at = ?3 WHERE id = ?1")
            .bind(&[text(delivery_id), text(error), text(next)])?,
        Err((error, None)) => db
            .prepare("UPDATE feedback_deliveries SET status = 'failed', last_error = ?2 WHERE id = ?1")
            .bind(&[text(delivery_id), text(error)])?,
    };
    statement.run().await?;
    Ok(())
}

/// A feedback's delivery row, for staff.
///
/// # Errors
/// D1 failures.
pub async fn delivery_for(db: &Db, feedback_id: &str) -> worker::Result<Option<Value>> {
    db.prepare(
        "SELECT status, attempts, next_attempt_at, last_error, delivered_at FROM feedback_deliveries \
         WHERE feedback_id = ?1",
    )
    .bind(&[text(feedback_id)])?
    .first::<Value>(None)
    .await
}
