//! Privacy tables (docs/privacy.md): data exports, erasure requests and their items, the
//! erasure's one D1 batch, retention settings and the retention job's scans. Rows read once are
//! `serde_json::Value`s.

use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

use super::{int, opt_text, text};
use crate::domain::privacy::ERASED_EMAIL;

fn f64_value(x: f64) -> wasm_bindgen::JsValue {
    wasm_bindgen::JsValue::from_f64(x)
}

// ------------------------------------------------------------------------------------ exports

/// Queues an export (refused by the unique index while one is pending).
///
/// # Errors
/// D1 failures (a UNIQUE violation: one is pending).
pub async fn insert_export(
    db: &D1Database,
    id: &str,
    user: &str,
    link_base: &str,
    now: &str,
) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO data_exports (id, user_id, status, link_base, created_at, updated_at) \
         VALUES (?1, ?2, 'pending', ?3, ?4, ?4)",
    )
    .bind(&[text(id), text(user), text(link_base), text(now)])?
    .run()
    .await?;
    Ok(())
}

const EXPORT_COLUMNS: &str = "id, user_id, status, size_bytes, created_at, ready_at, expires_at";

/// The user's export `id`.
///
/// # Errors
/// D1 failures.
pub async fn export(db: &D1Database, id: &str, user: &str) -> worker::Result<Option<Value>> {
    db.prepare(format!("SELECT {EXPORT_COLUMNS} FROM data_exports WHERE id = ?1 AND user_id = ?2"))
        .bind(&[text(id), text(user)])?
        .first::<Value>(None)
        .await
}

/// The user's latest exports, newest first.
///
/// # Errors
/// D1 failures.
pub async fn exports(db: &D1Database, user: &str) -> worker::Result<Vec<Value>> {
    db.prepare(format!(
        "SELECT {EXPORT_COLUMNS} FROM data_exports WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 10"
    ))
    .bind(&[text(user)])?
    .all()
    .await?
    .results::<Value>()
}

/// A pending export to build.
#[derive(Debug, Clone)]
pub struct ExportClaim {
    pub user_id: String,
    pub link_base: String,
    pub attempts: i64,
}

/// Claims pending export `id` for building: unclaimed, or its last claim older than
/// `stale_before` (the builder died). Counts the attempt.
///
/// # Errors
/// D1 failures.
pub async fn claim_export(
    db: &D1Database,
    id: &str,
    now: &str,
    stale_before: &str,
) -> worker::Result<Option<ExportClaim>> {
    db.prepare(
        "UPDATE data_exports SET attempts = attempts + 1, updated_at = ?2 WHERE id = ?1 AND status = 'pending' \
         AND (attempts = 0 OR updated_at < ?3) RETURNING user_id, link_base, attempts",
    )
    .bind(&[text(id), text(now), text(stale_before)])?
    .first::<Value>(None)
    .await
    .map(|row| {
        row.map(|r| ExportClaim {
            user_id: str_of(&r, "user_id"),
            link_base: str_of(&r, "link_base"),
            attempts: r["attempts"].as_i64().unwrap_or(0),
        })
    })
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// Pending exports never claimed or whose claim is stale, oldest first.
///
/// # Errors
/// D1 failures.
pub async fn due_exports(db: &D1Database, stale_before: &str) -> worker::Result<Vec<String>> {
    ids(
        db,
        "SELECT id FROM data_exports WHERE status = 'pending' AND (attempts = 0 OR updated_at < ?1) \
         ORDER BY updated_at LIMIT 5",
        &[text(stale_before)],
    )
    .await
}

/// Gives up an export after too many attempts.
///
/// # Errors
/// D1 failures.
pub async fn fail_export(db: &D1Database, id: &str, now: &str) -> worker::Result<()> {
    db.prepare(
        "UPDATE data_exports SET status = 'failed', updated_at = ?2 WHERE id = ?1 AND status = 'pending'",
    )
    .bind(&[text(id), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// Marks an export ready (for the batch that also queues its email).
///
/// # Errors
/// Binding failures.
pub fn export_ready(
    db: &D1Database,
    id: &str,
    size: i64,
    now: &str,
    expires_at: &str,
) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE data_exports SET status = 'ready', size_bytes = ?2, ready_at = ?3, expires_at = ?4, updated_at = ?3 \
         WHERE id = ?1 AND status = 'pending'",
    )
    .bind(&[text(id), int(size), text(now), text(expires_at)])
}

/// Ready exports past their expiry: (id, user_id).
///
/// # Errors
/// D1 failures.
pub async fn expired_exports(db: &D1Database, now: &str) -> worker::Result<Vec<Value>> {
    db.prepare("SELECT id, user_id FROM data_exports WHERE status = 'ready' AND expires_at <= ?1 LIMIT 500")
        .bind(&[text(now)])?
        .all()
        .await?
        .results::<Value>()
}

/// Marks an export expired (its object is deleted).
///
/// # Errors
/// D1 failures.
pub async fn expire_export(db: &D1Database, id: &str, now: &str) -> worker::Result<()> {
    db.prepare("UPDATE data_exports SET status = 'expired', updated_at = ?2 WHERE id = ?1")
        .bind(&[text(id), text(now)])?
        .run()
        .await?;
    Ok(())
}

// ------------------------------------------------------------------------- export contents

/// One query's rows bound to the candidate `user`.
///
/// # Errors
/// D1 failures.
pub async fn rows_of(db: &D1Database, sql: &str, user: &str) -> worker::Result<Vec<Value>> {
    db.prepare(sql).bind(&[text(user)])?.all().await?.results::<Value>()
}

/// The export's queries, by section (each bound to the candidate's id).
pub const EXPORT_SECTIONS: &[(&str, &str)] = &[
    (
        "profile",
        "SELECT id, email, full_name, phone, role, status, created_at, last_login_at FROM users WHERE id = ?1",
    ),
    (
        "interviews",
        "SELECT id, role_type, mode, status, started_at, completed_at, job_id, video_recording_consent, \
         video_recording_status FROM interviews WHERE candidate_id = ?1 ORDER BY started_at",
    ),
    (
        "resumes",
        "SELECT id, file_name, content_type, size_bytes, storage_path, parsing_status, parsed_data, uploaded_at, \
         parsed_at FROM resumes WHERE candidate_id = ?1 ORDER BY uploaded_at",
    ),
    (
        "feedback_sent",
        "SELECT id, resume_id, feedback_content, identified_gaps, recommended_resources, sent_at FROM resume_feedback \
         WHERE candidate_id = ?1 AND status = 'sent' ORDER BY sent_at",
    ),
    (
        "videos",
        "SELECT interview_id, storage_path, content_type, file_size_bytes, status, uploaded_at FROM video_recordings \
         WHERE candidate_id = ?1 AND status = 'completed'",
    ),
    (
        "consents",
        "SELECT 'video_recording' AS kind, id AS interview_id, video_recording_consent = 1 AS given, \
         updated_at AS recorded_at FROM interviews WHERE candidate_id = ?1 UNION ALL \
         SELECT 'optional_email_opt_out', NULL, 0, opted_out_at FROM mail_optouts \
         WHERE email = (SELECT email FROM users WHERE id = ?1) AND opted_out_at IS NOT NULL",
    ),
];

// ----------------------------------------------------------------------------------- erasure

/// The statements that open an erasure: the request, its items (the interviews in scope and,
/// for a candidate's own erasure, their résumé and export prefixes) and, for their own, the
/// account switched off at once.
///
/// # Errors
/// Binding failures.
pub fn open_erasure(db: &D1Database, r: &ErasureRow, now: &str) -> worker::Result<Vec<D1PreparedStatement>> {
    let (id, user, email, org) = (r.id.as_str(), r.user_id.as_str(), r.email.as_str(), r.org_id.as_deref());
    let mut out = vec![
        db.prepare(
            "INSERT INTO erasure_requests (id, subject_id, user_id, email, org_id, actor_id, status, created_at, \
             updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
        )
        .bind(&[text(id), text(&r.subject_id), text(user), text(email), opt_text(org), text(&r.actor_id), text(now)])?,
        db.prepare(
            "INSERT OR IGNORE INTO erasure_items (request_id, kind, ref) \
             SELECT ?1, 'interview', id FROM interviews WHERE candidate_id = ?2 AND (?3 IS NULL OR org_id = ?3) \
             UNION SELECT ?1, 'interview', interview_id FROM invitations WHERE interview_id IS NOT NULL \
             AND (candidate_id = ?2 OR email = ?4) AND (?3 IS NULL OR org_id = ?3)",
        )
        .bind(&[text(id), text(user), opt_text(org), text(email)])?,
    ];
    if org.is_none() {
        for prefix in [format!("resumes/{user}/"), format!("exports/{user}/")] {
            out.push(
                db.prepare(
                    "INSERT OR IGNORE INTO erasure_items (request_id, kind, ref) VALUES (?1, 'prefix', ?2)",
                )
                .bind(&[text(id), text(&prefix)])?,
            );
        }
        out.push(
            db.prepare("UPDATE users SET status = 'deleted', updated_at = ?2 WHERE id = ?1")
                .bind(&[text(user), text(now)])?,
        );
    }
    Ok(out)
}

/// A pending erasure request.
#[derive(Debug, Clone)]
pub struct ErasureRow {
    pub id: String,
    pub subject_id: String,
    pub user_id: String,
    pub email: String,
    pub org_id: Option<String>,
    pub actor_id: String,
}

/// The pending request of `user` in scope `org` (a repeated request returns it).
///
/// # Errors
/// D1 failures.
pub async fn pending_erasure(
    db: &D1Database,
    user: &str,
    org: Option<&str>,
) -> worker::Result<Option<String>> {
    Ok(ids(
        db,
        "SELECT id FROM erasure_requests WHERE status = 'pending' AND user_id = ?1 AND org_id IS ?2 LIMIT 1",
        &[text(user), opt_text(org)],
    )
    .await?
    .pop())
}

/// Pending requests, oldest first (`only`: just that one).
///
/// # Errors
/// D1 failures.
pub async fn pending_erasures(db: &D1Database, only: Option<&str>) -> worker::Result<Vec<ErasureRow>> {
    db.prepare(
        "SELECT id, subject_id, user_id, email, org_id, actor_id FROM erasure_requests \
         WHERE status = 'pending' AND (?1 IS NULL OR id = ?1) ORDER BY created_at LIMIT 20",
    )
    .bind(&[opt_text(only)])?
    .all()
    .await?
    .results::<Value>()
    .map(|rows| {
        rows.iter()
            .map(|r| ErasureRow {
                id: str_of(r, "id"),
                subject_id: str_of(r, "subject_id"),
                user_id: str_of(r, "user_id"),
                email: str_of(r, "email"),
                org_id: r["org_id"].as_str().map(str::to_owned),
                actor_id: str_of(r, "actor_id"),
            })
            .collect()
    })
}

/// Counts a run of request `id`.
///
/// # Errors
/// D1 failures.
pub async fn count_run(db: &D1Database, id: &str, now: &str) -> worker::Result<()> {
    db.prepare("UPDATE erasure_requests SET runs = runs + 1, updated_at = ?2 WHERE id = ?1")
        .bind(&[text(id), text(now)])?
        .run()
        .await?;
    Ok(())
}

/// Request `id`'s next items: (kind, ref).
///
/// # Errors
/// D1 failures.
pub async fn items(db: &D1Database, id: &str) -> worker::Result<Vec<(String, String)>> {
    let rows = db
        .prepare("SELECT kind, ref FROM erasure_items WHERE request_id = ?1 ORDER BY kind, ref LIMIT 100")
        .bind(&[text(id)])?
        .all()
        .await?
        .results::<Value>()?;
    Ok(rows.iter().map(|r| (str_of(r, "kind"), str_of(r, "ref"))).collect())
}

/// An item is done.
///
/// # Errors
/// D1 failures.
pub async fn item_done(db: &D1Database, id: &str, item: &(String, String)) -> worker::Result<()> {
    db.prepare("DELETE FROM erasure_items WHERE request_id = ?1 AND kind = ?2 AND ref = ?3")
        .bind(&[text(id), text(&item.0), text(&item.1)])?
        .run()
        .await?;
    Ok(())
}

/// The organizations whose audit trail records the erasure: the org in scope, or (own erasure)
/// every organization holding an interview or invitation of the candidate, and theirs.
///
/// # Errors
/// D1 failures.
pub async fn erasure_orgs(db: &D1Database, r: &ErasureRow) -> worker::Result<Vec<String>> {
    if let Some(org) = &r.org_id {
        return Ok(vec![org.clone()]);
    }
    ids(
        db,
        "SELECT org_id AS id FROM interviews WHERE candidate_id = ?1 UNION \
         SELECT org_id FROM invitations WHERE candidate_id = ?1 OR email = ?2 UNION \
         SELECT org_id FROM users WHERE id = ?1 AND org_id IS NOT NULL",
        &[text(&r.user_id), text(&r.email)],
    )
    .await
}

/// The first statement of the final batch: the request marked done, keeping only its subject
/// id. The audit entries follow it, written only if it changed the row (two runs finishing the
/// same request record it once).
///
/// # Errors
/// Binding failures.
pub fn finish_erasure(db: &D1Database, id: &str, now: &str) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE erasure_requests SET status = 'done', user_id = NULL, email = NULL, finished_at = ?2, \
         updated_at = ?2 WHERE id = ?1 AND status = 'pending'",
    )
    .bind(&[text(id), text(now)])
}

/// The interviews in scope (`?1` candidate, `?2` organization or NULL).
const SCOPE: &str = "(SELECT id FROM interviews WHERE candidate_id = ?1 AND (?2 IS NULL OR org_id = ?2))";
/// The invitations in scope (`?3` the candidate's email).
const INVITES: &str =
    "(SELECT id FROM invitations WHERE (candidate_id = ?1 OR email = ?3) AND (?2 IS NULL OR org_id = ?2))";

/// The rest of the erasure's final D1 batch:
/// anonymised counts, then every row in scope, children first; for an own erasure the
/// candidate's résumés, mail, tokens, exports and account.
///
/// # Errors
/// Binding failures.
pub fn erase_rows(db: &D1Database, r: &ErasureRow, now: &str) -> worker::Result<Vec<D1PreparedStatement>> {
    let mut sql: Vec<String> =
        vec!["INSERT INTO erasure_counts (org_id, job_id, candidates, interviews, completed, updated_at) \
         SELECT org_id, COALESCE(job_id, ''), 1, COUNT(*), SUM(status = 'completed'), ?4 FROM interviews \
         WHERE candidate_id = ?1 AND (?2 IS NULL OR org_id = ?2) GROUP BY org_id, COALESCE(job_id, '') \
         ON CONFLICT (org_id, job_id) DO UPDATE SET candidates = candidates + 1, \
         interviews = interviews + excluded.interviews, completed = completed + excluded.completed, \
         updated_at = excluded.updated_at"
            .to_owned()];
    for table in ["interview_messages", "interview_sessions", "assessment_results", "video_recordings"] {
        sql.push(format!("DELETE FROM {table} WHERE interview_id IN {SCOPE}"));
    }
    for table in ["hiring_decisions", "interview_reviews", "score_overrides"] {
        sql.push(format!("DELETE FROM {table} WHERE interview_id IN {SCOPE}"));
    }
    sql.push(format!("DELETE FROM retention_purges WHERE subject_id IN {SCOPE}"));
    sql.push(format!(
        "DELETE FROM mail_outbox WHERE ref_id IN {SCOPE} OR ref_id IN {INVITES} OR (?2 IS NULL AND to_addr = ?3)"
    ));
    sql.push(format!(
        "UPDATE invitations SET email = '{ERASED_EMAIL}', candidate_id = NULL, interview_id = NULL, \
         erased_at = ?4, last_send_error = NULL, updated_at = ?4, \
         revoked_at = CASE WHEN status IN ('sent', 'opened') THEN ?4 ELSE revoked_at END, \
         status = CASE WHEN status IN ('sent', 'opened') THEN 'revoked' ELSE status END WHERE id IN {INVITES}"
    ));
    sql.push("DELETE FROM interviews WHERE candidate_id = ?1 AND (?2 IS NULL OR org_id = ?2)".to_owned());
    if r.org_id.is_none() {
        sql.extend(
            [
                "DELETE FROM feedback_deliveries WHERE feedback_id IN \
                 (SELECT id FROM resume_feedback WHERE candidate_id = ?1)",
                "DELETE FROM resume_feedback WHERE candidate_id = ?1",
                "DELETE FROM retention_purges WHERE subject_id IN (SELECT id FROM resumes WHERE candidate_id = ?1)",
                "DELETE FROM resumes WHERE candidate_id = ?1",
                "DELETE FROM dev_mailbox WHERE to_addr = ?3",
                "DELETE FROM mail_optouts WHERE email = ?3",
                "DELETE FROM revoked_tokens WHERE user_id = ?1",
                "DELETE FROM login_attempts WHERE user_id = ?1",
                "DELETE FROM data_exports WHERE user_id = ?1",
                "DELETE FROM users WHERE id = ?1",
            ]
            .map(str::to_owned),
        );
    }
    sql.push("DELETE FROM erasure_items WHERE request_id = ?5".to_owned());
    let binds = [text(&r.user_id), opt_text(r.org_id.as_deref()), text(&r.email), text(now), text(&r.id)];
    sql.iter()
        .map(|q| {
            // Bind only the parameters a statement uses (D1 refuses extra ones).
            let n = (1..=5).rev().find(|i| q.contains(&format!("?{i}"))).unwrap_or(0);
            db.prepare(q).bind(&binds[..n])
        })
        .collect()
}

// --------------------------------------------------------------------------------- retention

/// Organization `org`'s retention periods (`None` for each unset one).
///
/// # Errors
/// D1 failures.
pub async fn retention(db: &D1Database, org: &str) -> worker::Result<[Option<f64>; 5]> {
    let row = db
        .prepare(
            "SELECT transcript_days, audio_days, resume_days, assessment_days, video_days FROM org_retention \
             WHERE org_id = ?1",
        )
        .bind(&[text(org)])?
        .first::<Value>(None)
        .await?
        .unwrap_or_default();
    Ok(crate::domain::privacy::CATEGORIES.map(|c| row[c].as_f64()))
}

/// The statement saving organization `org`'s periods.
///
/// # Errors
/// Binding failures.
pub fn put_retention(
    db: &D1Database,
    org: &str,
    days: &[Option<f64>; 5],
    by: &str,
    now: &str,
) -> worker::Result<D1PreparedStatement> {
    let v = |d: Option<f64>| d.map_or(wasm_bindgen::JsValue::NULL, f64_value);
    db.prepare(
        "INSERT INTO org_retention (org_id, transcript_days, audio_days, resume_days, assessment_days, video_days, \
         updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (org_id) DO UPDATE SET \
         transcript_days = excluded.transcript_days, audio_days = excluded.audio_days, \
         resume_days = excluded.resume_days, assessment_days = excluded.assessment_days, \
         video_days = excluded.video_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(&[text(org), v(days[0]), v(days[1]), v(days[2]), v(days[3]), v(days[4]), text(by), text(now)])
}

/// `?1` (now) minus the organization's period of `column` (else `?2` days), as stored times.
fn cutoff(column: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || (COALESCE(r.{column}, ?2) * 86400.0) || ' seconds')")
}

/// Finished interviews whose `category` (`transcript`, `audio`, `assessment`) is past its
/// organization's period and not yet purged, oldest first.
///
/// # Errors
/// D1 failures.
pub async fn interviews_past(
    db: &D1Database,
    category: &str,
    now: &str,
    default_days: f64,
) -> worker::Result<Vec<String>> {
    let sql = format!(
        "SELECT i.id FROM interviews i LEFT JOIN org_retention r ON r.org_id = i.org_id \
         WHERE i.status <> 'in_progress' AND COALESCE(i.completed_at, i.last_activity_at) < {} \
         AND NOT EXISTS (SELECT 1 FROM retention_purges p WHERE p.subject_id = i.id AND p.category = ?3) \
         ORDER BY i.started_at LIMIT 200",
        cutoff(&format!("{category}_days"))
    );
    ids(db, &sql, &[text(now), f64_value(default_days), text(category)]).await
}

/// Résumés past their period (the candidate's organization's, else the default), not yet purged:
/// (id, storage_path).
///
/// # Errors
/// D1 failures.
pub async fn resumes_past(db: &D1Database, now: &str, default_days: f64) -> worker::Result<Vec<Value>> {
    let sql = format!(
        "SELECT x.id, x.storage_path FROM resumes x JOIN users u ON u.id = x.candidate_id \
         LEFT JOIN org_retention r ON r.org_id = u.org_id WHERE x.uploaded_at < {} \
         AND NOT EXISTS (SELECT 1 FROM retention_purges p WHERE p.subject_id = x.id AND p.category = 'resume') \
         ORDER BY x.uploaded_at LIMIT 200",
        cutoff("resume_days")
    );
    db.prepare(sql).bind(&[text(now), f64_value(default_days)])?.all().await?.results::<Value>()
}

/// Completed videos past their organization's period: (interview_id, days).
///
/// # Errors
/// D1 failures.
pub async fn videos_past(db: &D1Database, now: &str, default_days: f64) -> worker::Result<Vec<Value>> {
    let sql = format!(
        "SELECT v.interview_id, COALESCE(r.video_days, ?2) AS days FROM video_recordings v \
         JOIN interviews i ON i.id = v.interview_id LEFT JOIN org_retention r ON r.org_id = i.org_id \
         WHERE v.status = 'completed' AND v.uploaded_at < {} ORDER BY v.uploaded_at LIMIT 500",
        cutoff("video_days")
    );
    db.prepare(sql).bind(&[text(now), f64_value(default_days)])?.all().await?.results::<Value>()
}

/// The D1 side of one purge: the rows of `category` and the mark that it is done.
///
/// # Errors
/// Binding failures.
pub fn purge_rows(
    db: &D1Database,
    category: &str,
    subject: &str,
    now: &str,
) -> worker::Result<Vec<D1PreparedStatement>> {
    let rows: &[&str] = match category {
        "transcript" => &["DELETE FROM interview_messages WHERE interview_id = ?1"],
        "assessment" => &["DELETE FROM assessment_results WHERE interview_id = ?1"],
        "audio" => &["UPDATE interview_messages SET audio_url = NULL WHERE interview_id = ?1"],
        _ => &[
            "DELETE FROM feedback_deliveries WHERE feedback_id IN (SELECT id FROM resume_feedback WHERE resume_id = ?1)",
            "DELETE FROM resume_feedback WHERE resume_id = ?1",
            "UPDATE resumes SET parsed_data = NULL, parse_error = NULL, parse_error_code = NULL, file_name = 'deleted' \
             WHERE id = ?1",
        ],
    };
    let mut out = Vec::new();
    for q in rows {
        out.push(db.prepare(*q).bind(&[text(subject)])?);
    }
    out.push(
        db.prepare(
            "INSERT OR IGNORE INTO retention_purges (subject_id, category, purged_at) VALUES (?1, ?2, ?3)",
        )
        .bind(&[text(subject), text(category), text(now)])?,
    );
    Ok(out)
}

async fn ids(db: &D1Database, sql: &str, binds: &[wasm_bindgen::JsValue]) -> worker::Result<Vec<String>> {
    let rows = db.prepare(sql).bind(binds)?.all().await?.results::<Value>()?;
    Ok(rows.iter().map(|r| str_of(r, "id")).collect())
}
