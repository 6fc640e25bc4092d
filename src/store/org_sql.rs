//! The SQL of the organization lists added with jobs and invitations, as constants compiled on
//! every target, so that `tests/query_plans.rs` checks their plans against the real schema in
//! SQLite natively; the repositories (`job_posts`, `invitations`, `mail`) bind them.
//!
//! Written to run on D1 and, translated (`interview_core::sql`), on Postgres: an optional
//! parameter is compared before it is tested for NULL (`(status = ?2 OR ?2 IS NULL)`: Postgres
//! types a parameter at its first use and cannot type a bare `?2 IS NULL`), and a first page's
//! cursor is NULL, not `''` (Postgres cannot compare a `timestamptz` with text).

/// Organization `?1`'s jobs, optionally by status `?2`, after the keyset cursor (`?3` =
/// updated_at, `?4` = id; NULL for the first page), newest change first, `?5` rows.
pub const JOBS_PAGE: &str =
    "SELECT id, title, role_family, status, current_version, deadline, created_at, updated_at FROM jobs \
     WHERE org_id = ?1 AND (status = ?2 OR ?2 IS NULL) \
     AND (updated_at < ?3 OR (updated_at = ?3 AND id < ?4) OR ?3 IS NULL) \
     ORDER BY updated_at DESC, id DESC LIMIT ?5";

/// The columns every invitation read selects (with the started interview's status).
pub const INVITATION_COLUMNS: &str =
    "v.id, v.org_id, v.job_id, v.email, v.status, v.expires_at, v.created_at, \
     v.sent_at, v.opened_at, v.started_at, v.interview_id, v.send_attempts, v.last_send_error, \
     (SELECT i.status FROM interviews i WHERE i.id = v.interview_id) AS interview_status, \
     (SELECT i.completed_at FROM interviews i WHERE i.id = v.interview_id) AS completed_at";

/// Organization `?1`'s job `?2`'s invitations, optionally by stored status `?3`, after the
/// keyset cursor (`?4` = created_at, `?5` = id; NULL for the first page), newest first, `?6` rows.
pub const INVITATIONS_PAGE: &str =
    "FROM invitations v WHERE v.org_id = ?1 AND v.job_id = ?2 AND (v.status = ?3 OR ?3 IS NULL) \
     AND (v.created_at < ?4 OR (v.created_at = ?4 AND v.id < ?5) OR ?4 IS NULL) \
     ORDER BY v.created_at DESC, v.id DESC LIMIT ?6";

/// Which of the addresses in the JSON array `?2` have a live invitation to job `?1` at `?3`.
pub const LIVE_EMAILS: &str = "SELECT DISTINCT email FROM invitations WHERE job_id = ?1 \
     AND email IN (SELECT value FROM json_each(?2)) \
     AND status <> 'revoked' AND (status IN ('started', 'completed') OR expires_at > ?3)";

/// Organization `?1`'s job `?2`'s results: invitations with candidate, interview and assessment.
pub const JOB_RESULTS: &str = "SELECT v.id AS invitation_id, v.email, v.status AS stored_status, v.expires_at, \
     v.candidate_id, CASE WHEN v.erased_at IS NOT NULL THEN 'Erased candidate' ELSE u.full_name END AS candidate_name, \
     v.interview_id, i.status AS interview_status, \
     COALESCE(a.overall_score, i.overall_score) AS overall_score, a.skill_scores, \
     i.started_at, i.completed_at, v.created_at, a.skill_boundary_map, a.integrity_flags, \
     (SELECT d.decision FROM hiring_decisions d WHERE d.interview_id = v.interview_id \
      ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS decision, \
     (SELECT o.overall_score FROM score_overrides o WHERE o.interview_id = v.interview_id \
      ORDER BY o.created_at DESC, o.id DESC LIMIT 1) AS override_score \
     FROM invitations v LEFT JOIN interviews i ON i.id = v.interview_id \
     LEFT JOIN users u ON u.id = v.candidate_id LEFT JOIN assessment_results a ON a.interview_id = v.interview_id \
     WHERE v.org_id = ?1 AND v.job_id = ?2 ORDER BY v.created_at DESC, v.id DESC LIMIT 1000";

/// The interviews of the JSON array `?3` that organization `?1`'s job `?2` started, for the comparison.
pub const JOB_COMPARE: &str =
    "SELECT i.id AS interview_id, u.full_name AS candidate_name, i.status AS interview_status, \
     COALESCE(a.overall_score, i.overall_score) AS overall_score, a.skill_scores, a.skill_boundary_map, \
     a.integrity_flags \
     FROM invitations v JOIN interviews i ON i.id = v.interview_id JOIN users u ON u.id = i.candidate_id \
     LEFT JOIN assessment_results a ON a.interview_id = i.id \
     WHERE v.org_id = ?1 AND v.job_id = ?2 AND CAST(v.interview_id AS TEXT) IN (SELECT value FROM json_each(?3))";

/// Pending messages due at `?1`, oldest first, `?2` of them.
pub const MAIL_DUE: &str = "SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ?1 \
     ORDER BY next_attempt_at, id LIMIT ?2";

/// Interview `?1` if organization `?2` owns it, with the assessment's overall score.
pub const HIRING_INTERVIEW: &str = "SELECT i.id, COALESCE(a.overall_score, i.overall_score) AS overall_score \
     FROM interviews i LEFT JOIN assessment_results a ON a.interview_id = i.id WHERE i.id = ?1 AND i.org_id = ?2";

/// Interview `?1`'s decisions in organization `?2`, newest first.
pub const DECISIONS_OF: &str = "SELECT d.id, d.decision, d.reason, d.decided_by AS staff_id, \
     u.full_name AS staff_name, d.created_at FROM hiring_decisions d LEFT JOIN users u ON u.id = d.decided_by \
     WHERE d.interview_id = ?1 AND d.org_id = ?2 ORDER BY d.created_at DESC, d.id DESC LIMIT 200";

/// Interview `?1`'s reviews in organization `?2`, newest first.
pub const REVIEWS_OF: &str = "SELECT r.id, r.note, r.ratings, r.reviewer_id AS staff_id, \
     u.full_name AS staff_name, r.created_at FROM interview_reviews r LEFT JOIN users u ON u.id = r.reviewer_id \
     WHERE r.interview_id = ?1 AND r.org_id = ?2 ORDER BY r.created_at DESC, r.id DESC LIMIT 200";

/// Interview `?1`'s score overrides in organization `?2`, newest first.
pub const OVERRIDES_OF: &str = "SELECT o.id, o.overall_score, o.reason, o.overridden_by AS staff_id, \
     u.full_name AS staff_name, o.created_at FROM score_overrides o LEFT JOIN users u ON u.id = o.overridden_by \
     WHERE o.interview_id = ?1 AND o.org_id = ?2 ORDER BY o.created_at DESC, o.id DESC LIMIT 200";

/// Organization `?1`'s audit trail, optionally by actor `?2`, action `?3`, target `?4`, from
/// `?5` (inclusive) to `?6` (exclusive), after the keyset cursor (`?7` = created_at, `?8` = id;
/// NULL for the first page), newest first, `?9` rows.
pub const AUDIT_PAGE: &str = "SELECT l.id, l.actor_id, u.full_name AS actor_name, l.action, l.target_type, \
     l.target_id, l.detail, l.client, l.created_at FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id \
     WHERE l.org_id = ?1 AND (l.actor_id = ?2 OR ?2 IS NULL) AND (l.action = ?3 OR ?3 IS NULL) \
     AND (l.target_id = ?4 OR ?4 IS NULL) AND (l.created_at >= ?5 OR ?5 IS NULL) \
     AND (l.created_at < ?6 OR ?6 IS NULL) \
     AND (l.created_at < ?7 OR (l.created_at = ?7 AND l.id < ?8) OR ?7 IS NULL) \
     ORDER BY l.created_at DESC, l.id DESC LIMIT ?9";

/// One audit entry.
pub const AUDIT_INSERT: &str =
    "INSERT INTO audit_log (id, org_id, actor_id, action, target_type, target_id, \
     detail, client, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// One audit entry, written only if the batch's previous statement changed a row (a conditional
/// update that lost a race records nothing).
pub const AUDIT_INSERT_IF_CHANGED: &str =
    "INSERT INTO audit_log (id, org_id, actor_id, action, target_type, \
     target_id, detail, client, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE changes() > 0";
