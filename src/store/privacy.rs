//! Privacy SQL (docs/privacy.md): data exports (the document itself is built here, as JSON
//! text, so the Worker only concatenates strings), erasure requests and the erasure's one D1
//! batch, retention settings and the retention job's scans. The jobs and handlers run these
//! through the shared [`super::exec`], [`super::first_row`] and [`super::all_rows`].

use crate::store::{Db, Statement};
use wasm_bindgen::JsValue;

use super::text;

// ------------------------------------------------------------------------------------ exports

/// Queues export `?1` of user `?2` (`?3` link base, `?4` now); the unique index refuses a
/// second pending one.
pub const INSERT_EXPORT: &str = "INSERT INTO data_exports (id, user_id, status, link_base, created_at, \
     updated_at) VALUES (?1, ?2, 'pending', ?3, ?4, ?4)";

/// User `?1`'s latest exports (`?2`: only that one) as the API shows them at `?3`: a ready
/// export past its expiry reads `expired`; the download URL while it can be downloaded.
pub const EXPORTS: &str = "SELECT id, CASE WHEN status = 'ready' AND expires_at <= ?3 THEN 'expired' \
     ELSE status END AS status, size_bytes, created_at, ready_at, expires_at, CASE WHEN status = 'ready' \
     AND expires_at > ?3 THEN '/api/v1/me/exports/' || id || '/download' END AS download_url \
     FROM data_exports WHERE user_id = ?1 AND (id = ?2 OR ?2 IS NULL) ORDER BY created_at DESC, id DESC LIMIT 10";

/// Claims pending export `?1` at `?2`: unclaimed, or its last claim older than `?3` (the
/// builder died). Counts the attempt.
pub const CLAIM_EXPORT: &str = "UPDATE data_exports SET attempts = attempts + 1, updated_at = ?2 \
     WHERE id = ?1 AND status = 'pending' AND (attempts = 0 OR updated_at < ?3) \
     RETURNING user_id, link_base, attempts";

/// Pending exports never claimed or whose claim is older than `?1`.
pub const DUE_EXPORTS: &str = "SELECT id FROM data_exports WHERE status = 'pending' \
     AND (attempts = 0 OR updated_at < ?1) ORDER BY updated_at LIMIT 5";

/// Export `?1` gives up (`?2` now).
pub const FAIL_EXPORT: &str =
    "UPDATE data_exports SET status = 'failed', updated_at = ?2 WHERE id = ?1 AND status = 'pending'";

/// Export `?1` is ready: `?2` bytes, at `?3`, until `?4`.
pub const EXPORT_READY: &str = "UPDATE data_exports SET status = 'ready', size_bytes = ?2, ready_at = ?3, \
     expires_at = ?4, updated_at = ?3 WHERE id = ?1 AND status = 'pending'";

/// Ready exports past their expiry at `?1` (at most 500): their documents' keys.
pub const EXPIRED_EXPORTS: &str =
    "SELECT 'exports/' || user_id || '/' || id || '.json' AS key FROM data_exports \
     WHERE status = 'ready' AND expires_at <= ?1 ORDER BY id LIMIT 500";

/// The same exports marked expired once their documents are deleted.
pub const EXPIRE_EXPORTS: &str = "UPDATE data_exports SET status = 'expired', updated_at = ?1 WHERE id IN \
     (SELECT id FROM data_exports WHERE status = 'ready' AND expires_at <= ?1 ORDER BY id LIMIT 500)";

/// A JSON column read back as JSON (every one is checked `json_valid` on D1, `jsonb` on
/// Postgres).
macro_rules! j {
    ($c:literal) => {
        concat!("json(", $c, ")")
    };
}

/// The export document but its interviews, for user `?1`: `?2` prefixes each object key into
/// its signed media link, `?3` is when it was generated, `?4` when the links expire. Also the
/// account's `status` and `email`.
pub const EXPORT_HEAD: &str = concat!(
    "SELECT u.status, u.email, json_object('format', 'interview-edge data export', 'version', 1, ",
    "'generated_at', CAST(?3 AS TEXT), 'links_expire_at', CAST(?4 AS TEXT), 'profile', json_object('id', u.id, 'email', u.email, ",
    "'full_name', u.full_name, 'phone', u.phone, 'role', u.role, 'status', u.status, 'created_at', u.created_at, ",
    "'last_login_at', u.last_login_at), 'resumes', (SELECT json_group_array(json_object('id', id, 'file_name', ",
    "file_name, 'content_type', content_type, 'size_bytes', size_bytes, 'parsing_status', parsing_status, ",
    "'parsed_data', ",
    j!("parsed_data"),
    ", 'uploaded_at', uploaded_at, 'parsed_at', parsed_at, 'link', ?2 || storage_path)) FROM ",
    "(SELECT * FROM resumes WHERE candidate_id = ?1 ORDER BY uploaded_at) AS r), 'feedback_sent', ",
    "(SELECT json_group_array(json_object('id', id, 'resume_id', resume_id, 'feedback_content', feedback_content, ",
    "'identified_gaps', ",
    j!("identified_gaps"),
    ", 'recommended_resources', ",
    j!("recommended_resources"),
    ", 'sent_at', sent_at)) FROM (SELECT * FROM resume_feedback WHERE candidate_id = ?1 AND status = 'sent' ",
    "ORDER BY sent_at) AS f), 'videos', (SELECT json_group_array(json_object('interview_id', interview_id, ",
    "'content_type', content_type, 'file_size_bytes', file_size_bytes, 'status', status, 'uploaded_at', ",
    "uploaded_at, 'link', ?2 || storage_path)) FROM video_recordings WHERE candidate_id = ?1 AND ",
    "status = 'completed'), 'consents', (SELECT json_group_array(json_object('kind', kind, 'interview_id', ",
    "interview_id, 'given', given, 'recorded_at', recorded_at)) FROM (SELECT 'video_recording' AS kind, ",
    "id AS interview_id, CASE WHEN video_recording_consent THEN 1 ELSE 0 END AS given, updated_at AS recorded_at ",
    "FROM interviews ",
    "WHERE candidate_id = ?1 UNION ALL SELECT 'optional_email_opt_out', NULL, 0, opted_out_at FROM mail_optouts ",
    "WHERE email = u.email AND opted_out_at IS NOT NULL) AS c)) AS doc FROM users u WHERE u.id = ?1"
);

/// User `?1`'s interviews, each as a JSON object (`j`) with the signed links (`?2` prefix) to
/// its recorded audio, which the job completes with what the interview's object shows the
/// candidate.
pub const EXPORT_INTERVIEWS: &str = "SELECT i.id, json_object('id', i.id, 'role_type', i.role_type, 'mode', \
     i.mode, 'status', i.status, 'started_at', i.started_at, 'completed_at', i.completed_at, 'job_id', i.job_id, \
     'video_recording_consent', CASE WHEN i.video_recording_consent THEN 1 ELSE 0 END, 'video_recording_status', i.video_recording_status, \
     'audio', (SELECT json_group_array(json_object('key', k, 'link', ?2 || k)) FROM (SELECT 'audio/' || i.id || '/' \
     || substr(m.audio_url, instr(m.audio_url, '/audio/') + 7) AS k FROM interview_messages m \
     WHERE m.interview_id = i.id AND m.audio_url IS NOT NULL ORDER BY m.sequence_number) AS a)) AS j \
     FROM interviews i WHERE i.candidate_id = ?1 ORDER BY i.started_at";

// ----------------------------------------------------------------------------------- erasure

/// The statements that open an erasure (`?1` request, `?2` subject id, `?3` user, `?4` email,
/// `?5` organization or NULL for the candidate's own, `?6` actor, `?7` now): the request, its
/// items (the interviews in scope and, for their own, their résumé and export prefixes) and, for
/// their own, the account switched off and every session revoked at once.
///
/// # Errors
/// Binding failures.
pub fn open_erasure(db: &Db, binds: &[JsValue; 7], own: bool) -> worker::Result<Vec<Statement>> {
    let mut sql = vec![
        "INSERT INTO erasure_requests (id, subject_id, user_id, email, org_id, actor_id, status, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
        "INSERT INTO erasure_items (request_id, kind, ref) \
         SELECT ?1, 'interview', id FROM interviews WHERE candidate_id = ?3 AND (org_id = ?5 OR ?5 IS NULL) \
         ON CONFLICT DO NOTHING",
        "INSERT INTO erasure_items (request_id, kind, ref) \
         SELECT ?1, 'interview', interview_id FROM invitations WHERE interview_id IS NOT NULL \
         AND (candidate_id = ?3 OR email = ?4) AND (org_id = ?5 OR ?5 IS NULL) ON CONFLICT DO NOTHING",
    ];
    if own {
        sql.extend([
            "INSERT INTO erasure_items (request_id, kind, ref) VALUES (?1, 'prefix', 'resumes/' || ?3 || '/'), \
             (?1, 'prefix', 'exports/' || ?3 || '/') ON CONFLICT DO NOTHING",
            "UPDATE users SET status = 'deleted', updated_at = ?7 WHERE id = ?3",
        ]);
    }
    let mut out: Vec<Statement> = sql.iter().map(|q| bind_used(db, q, binds)).collect::<Result<_, _>>()?;
    if own {
        let (user, now) =
            (binds[2].as_string().unwrap_or_default(), binds[6].as_string().unwrap_or_default());
        out.push(super::accounts::revoke_sessions(db, &user, None, None, &now)?);
    }
    Ok(out)
}

/// Statement `q` bound to only the parameters it uses, renumbered in order (`?1, ?3, ?5` become
/// `?1, ?2, ?3`): D1 refuses extra parameters and Postgres cannot type one the statement never
/// names. `binds` has at most 9 (single-digit placeholders).
fn bind_used(db: &Db, q: &str, binds: &[JsValue]) -> worker::Result<Statement> {
    let used: Vec<usize> = (1..=binds.len()).filter(|i| q.contains(&format!("?{i}"))).collect();
    let mut sql = q.to_owned();
    // Ascending, each to a number no larger: a new label never meets one still to be renamed.
    for (k, i) in used.iter().enumerate() {
        sql = sql.replace(&format!("?{i}"), &format!("?{}", k + 1));
    }
    let values: Vec<JsValue> = used.iter().map(|i| binds[i - 1].clone()).collect();
    db.prepare(sql).bind(&values)
}

/// The pending request of user `?1` in scope `?2` (a repeated request returns it).
pub const PENDING_ERASURE: &str =
    "SELECT id FROM erasure_requests WHERE status = 'pending' AND user_id = ?1 AND org_id IS NOT DISTINCT FROM ?2 LIMIT 1";

/// Pending requests, oldest first (`?1`: only that one), each run counted at `?2`.
pub const PENDING_ERASURES: &str = "UPDATE erasure_requests SET runs = runs + 1, updated_at = ?2 \
     WHERE id IN (SELECT id FROM erasure_requests WHERE status = 'pending' AND (id = ?1 OR ?1 IS NULL) \
     ORDER BY created_at LIMIT 20) RETURNING id, subject_id, user_id, email, org_id, actor_id";

/// Request `?1`'s remaining items.
pub const ITEMS: &str =
    "SELECT kind, ref FROM erasure_items WHERE request_id = ?1 ORDER BY kind, ref LIMIT 100";

/// Item (`?2`, `?3`) of request `?1` is done.
pub const ITEM_DONE: &str = "DELETE FROM erasure_items WHERE request_id = ?1 AND kind = ?2 AND ref = ?3";

/// The organizations whose audit trail records the erasure: `?3` (the org in scope) or, for an
/// own erasure, every organization holding an interview or invitation of user `?1` (email `?2`),
/// and theirs.
pub const ERASURE_ORGS: &str =
    "SELECT o.id FROM organizations o WHERE o.id = ?3 UNION SELECT org_id FROM interviews \
     WHERE ?3 IS NULL AND candidate_id = ?1 AND org_id IS NOT NULL UNION SELECT org_id FROM invitations \
     WHERE ?3 IS NULL AND (candidate_id = ?1 OR email = ?2) UNION SELECT org_id FROM users \
     WHERE ?3 IS NULL AND id = ?1 AND org_id IS NOT NULL";

/// The first statement of the final batch (`?1` request, `?2` now): the request marked done,
/// keeping only its subject id. The audit entries follow, written only if it changed the row
/// (two runs finishing the same request record it once).
pub const FINISH_ERASURE: &str =
    "UPDATE erasure_requests SET status = 'done', user_id = NULL, email = NULL, \
     finished_at = ?2, updated_at = ?2 WHERE id = ?1 AND status = 'pending'";

/// The interviews in scope (`?1` candidate, `?2` organization or NULL).
const SCOPE: &str = "(SELECT id FROM interviews WHERE candidate_id = ?1 AND (org_id = ?2 OR ?2 IS NULL))";
/// The invitations in scope (`?3` the candidate's email).
const INVITES: &str =
    "(SELECT id FROM invitations WHERE (candidate_id = ?1 OR email = ?3) AND (org_id = ?2 OR ?2 IS NULL))";
/// Mail about the candidate: about their interviews or invitations (decision messages,
/// reminders, staff's completion notices) and, for their own erasure, any mail to them.
const MAIL: &str =
    "(SELECT id FROM mail_outbox WHERE ref_id IN (SELECT CAST(id AS TEXT) FROM interviews WHERE candidate_id = ?1 \
     AND (org_id = ?2 OR ?2 IS NULL)) OR ref_id IN (SELECT CAST(id AS TEXT) FROM invitations WHERE (candidate_id = ?1 OR \
     email = ?3) AND (org_id = ?2 OR ?2 IS NULL)) OR (?2 IS NULL AND to_addr = ?3))";

/// The rest of the erasure's final batch, in order (`?1` user, `?2` organization or NULL,
/// `?3` email, `?4` now, `?5` request), each with
/// whether only the candidate's own erasure runs it. docs/privacy.md#erasure lists what each
/// removes or keeps; tests/privacy.rs checks that no table still names the candidate.
const ERASE: &[(bool, &str)] = &[
    (
        false,
        "INSERT INTO erasure_counts (org_id, job_id, candidates, interviews, completed, updated_at) \
         SELECT org_id, COALESCE(CAST(job_id AS TEXT), ''), 1, COUNT(*), \
         SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), ?4 FROM interviews \
         WHERE candidate_id = ?1 AND (org_id = ?2 OR ?2 IS NULL) GROUP BY org_id, COALESCE(CAST(job_id AS TEXT), '') \
         ON CONFLICT (org_id, job_id) DO UPDATE SET candidates = erasure_counts.candidates + 1, \
         interviews = erasure_counts.interviews + excluded.interviews, \
         completed = erasure_counts.completed + excluded.completed, \
         updated_at = excluded.updated_at",
    ),
    // ATS deliveries naming the candidate, their interviews or invitations keep only that an
    // event was delivered (or, pending, is not sent any more).
    (
        false,
        "UPDATE webhook_deliveries SET data = '{\"erased\":true}', event_id = 'erased:' || id, updated_at = ?4, \
         last_error = CASE WHEN status = 'pending' THEN 'candidate erased' ELSE last_error END, \
         status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END \
         WHERE (org_id = ?2 OR ?2 IS NULL) AND (data ->> 'candidate_id' IN (SELECT CAST(id AS TEXT) FROM users \
         WHERE id = ?1) OR data ->> 'interview_id' IN (SELECT CAST(id AS TEXT) FROM interviews WHERE candidate_id = ?1 \
         AND (org_id = ?2 OR ?2 IS NULL)) OR data ->> 'invitation_id' IN (SELECT CAST(id AS TEXT) FROM invitations \
         WHERE (candidate_id = ?1 OR email = ?3) AND (org_id = ?2 OR ?2 IS NULL)))",
    ),
    (false, "DELETE FROM dev_mailbox WHERE id IN MAIL OR (?2 IS NULL AND to_addr = ?3)"),
    (false, "DELETE FROM mail_outbox WHERE id IN MAIL"),
    (false, "DELETE FROM interview_messages WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM interview_sessions WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM assessment_results WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM video_recordings WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM hiring_decisions WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM interview_reviews WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM score_overrides WHERE interview_id IN SCOPE"),
    (false, "DELETE FROM retention_purges WHERE subject_id IN SCOPE"),
    (
        false,
        "UPDATE invitations SET email = 'erased@erased.invalid', candidate_id = NULL, interview_id = NULL, \
         erased_at = ?4, last_send_error = NULL, updated_at = ?4, \
         revoked_at = CASE WHEN status IN ('sent', 'opened') THEN ?4 ELSE revoked_at END, \
         status = CASE WHEN status IN ('sent', 'opened') THEN 'revoked' ELSE status END WHERE id IN INVITES",
    ),
    (false, "DELETE FROM interviews WHERE candidate_id = ?1 AND (org_id = ?2 OR ?2 IS NULL)"),
    (true, "DELETE FROM feedback_deliveries WHERE feedback_id IN (SELECT id FROM resume_feedback WHERE candidate_id = ?1)"),
    (true, "DELETE FROM resume_feedback WHERE candidate_id = ?1"),
    (true, "DELETE FROM retention_purges WHERE subject_id IN (SELECT id FROM resumes WHERE candidate_id = ?1)"),
    (true, "DELETE FROM resumes WHERE candidate_id = ?1"),
    (true, "DELETE FROM mail_optouts WHERE email = ?3"),
    (true, "DELETE FROM sessions WHERE user_id = ?1"),
    (true, "DELETE FROM account_tokens WHERE user_id = ?1"),
    (true, "DELETE FROM revoked_tokens WHERE user_id = ?1"),
    (true, "DELETE FROM login_attempts WHERE user_id = ?1"),
    (true, "DELETE FROM data_exports WHERE user_id = ?1"),
    // Another pending request of the candidate (an organization's) is covered by this one.
    (true, "DELETE FROM erasure_items WHERE request_id IN (SELECT id FROM erasure_requests WHERE user_id = ?1)"),
    (
        true,
        "UPDATE erasure_requests SET status = 'done', user_id = NULL, email = NULL, finished_at = ?4, \
         updated_at = ?4 WHERE user_id = ?1",
    ),
    (true, "DELETE FROM users WHERE id = ?1"),
    (false, "DELETE FROM erasure_items WHERE request_id = ?5"),
];

/// [`ERASE`]'s statements for an erasure (`binds` as [`ERASE`] names them).
///
/// # Errors
/// Binding failures.
pub fn erase_rows(db: &Db, binds: &[JsValue; 5], own: bool) -> worker::Result<Vec<Statement>> {
    ERASE
        .iter()
        .filter(|(own_only, _)| own || !own_only)
        .map(|(_, q)| {
            let q = q.replace("SCOPE", SCOPE).replace("INVITES", INVITES).replace("MAIL", MAIL);
            bind_used(db, &q, binds)
        })
        .collect()
}

// --------------------------------------------------------------------------------- retention

/// Organization `?1`'s retention periods (NULL: unset).
pub const RETENTION: &str = "SELECT transcript_days, audio_days, resume_days, assessment_days, video_days \
     FROM org_retention WHERE org_id = ?1";

/// Saves organization `?1`'s periods `?2`..`?6` (by `?7` at `?8`).
pub const PUT_RETENTION: &str = "INSERT INTO org_retention (org_id, transcript_days, audio_days, resume_days, \
     assessment_days, video_days, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
     ON CONFLICT (org_id) DO UPDATE SET transcript_days = excluded.transcript_days, audio_days = excluded.audio_days, \
     resume_days = excluded.resume_days, assessment_days = excluded.assessment_days, \
     video_days = excluded.video_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at";

/// `?1` (now) minus the organization's period of `column` (else `?2` days), as stored times.
fn cutoff(column: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || (COALESCE(r.{column}, ?2) * 86400.0) || ' seconds')")
}

/// What is past its period at `?1` (`?2`: the default days) and not yet purged, as `id` (an
/// interview, or a résumé for `resume`) and `key` (a résumé's file): finished interviews for
/// `transcript`, `audio` and `assessment`, résumés by their candidate's organization.
#[must_use]
pub fn past_sql(category: &str) -> String {
    let purged =
        "NOT EXISTS (SELECT 1 FROM retention_purges p WHERE p.subject_id = x.id AND p.category = ?3)";
    if category == "resume" {
        return format!(
            "SELECT x.id, x.storage_path AS key FROM resumes x JOIN users u ON u.id = x.candidate_id \
             LEFT JOIN org_retention r ON r.org_id = u.org_id WHERE x.uploaded_at < {} AND {purged} \
             ORDER BY x.uploaded_at LIMIT 200",
            cutoff("resume_days")
        );
    }
    format!(
        "SELECT x.id, NULL AS key FROM interviews x LEFT JOIN org_retention r ON r.org_id = x.org_id \
         WHERE x.status <> 'in_progress' AND COALESCE(x.completed_at, x.last_activity_at) < {} AND {purged} \
         ORDER BY x.started_at LIMIT 200",
        cutoff(&format!("{category}_days"))
    )
}

/// Completed videos past their organization's period at `?1` (`?2` the default): the interview
/// and the period in days.
#[must_use]
pub fn videos_past_sql() -> String {
    format!(
        "SELECT v.interview_id, COALESCE(r.video_days, ?2) AS days FROM video_recordings v \
         JOIN interviews i ON i.id = v.interview_id LEFT JOIN org_retention r ON r.org_id = i.org_id \
         WHERE v.status = 'completed' AND v.uploaded_at < {} ORDER BY v.uploaded_at LIMIT 500",
        cutoff("video_days")
    )
}

/// The D1 side of one purge of `category` for `subject`: its rows and the mark that it is done.
///
/// # Errors
/// Binding failures.
pub fn purge_rows(db: &Db, category: &str, subject: &str, now: &str) -> worker::Result<Vec<Statement>> {
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
    let binds = [text(subject), text(category), text(now)];
    rows.iter()
        .copied()
        .chain([
            "INSERT INTO retention_purges (subject_id, category, purged_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        ])
        .map(|q| bind_used(db, q, &binds))
        .collect()
}

/// An optional number of days as a parameter.
#[must_use]
pub fn days(d: Option<f64>) -> JsValue {
    d.map_or(JsValue::NULL, JsValue::from_f64)
}
