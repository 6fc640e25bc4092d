//! An organization's decision message templates (`decision_templates`) and what a decision
//! message about an interview needs (docs/hiring.md#decision-messages). Every read and write is
//! scoped to one organization.

use crate::store::{Db, Statement};
use serde_json::Value;

use super::text;

/// The organization's own templates: `decision`, `subject`, `body`, `updated_at`.
///
/// # Errors
/// D1 failures.
pub async fn templates(db: &Db, org_id: &str) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT decision, subject, body, updated_at FROM decision_templates WHERE org_id = ?1 \
         ORDER BY decision LIMIT 10",
    )
    .bind(&[text(org_id)])?
    .all()
    .await?
    .results::<Value>()
}

/// The statement setting the organization's template of `decision`, or (`None`) removing it so
/// the built-in message applies again.
///
/// # Errors
/// Binding failures.
pub fn set(
    db: &Db,
    org_id: &str,
    decision: &str,
    template: Option<(&str, &str)>,
    by: &str,
    now: &str,
) -> worker::Result<Statement> {
    match template {
        Some((subject, body)) => db
            .prepare(
                "INSERT INTO decision_templates (org_id, decision, subject, body, updated_by, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (org_id, decision) DO UPDATE SET \
                 subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(&[text(org_id), text(decision), text(subject), text(body), text(by), text(now)]),
        None => db
            .prepare("DELETE FROM decision_templates WHERE org_id = ?1 AND decision = ?2")
            .bind(&[text(org_id), text(decision)]),
    }
}

/// What a decision message about interview `interview_id` of organization `org_id` needs: the
/// candidate's `email` and `candidate_name`, the `job_title` (the role when the interview has no
/// job), the `org_name`, and the organization's `subject`/`body` for `decision` (null when it
/// uses the built-in one).
///
/// # Errors
/// D1 failures.
pub async fn facts(
    db: &Db,
    interview_id: &str,
    org_id: &str,
    decision: &str,
) -> worker::Result<Option<Value>> {
    db.prepare(
        "SELECT u.email, u.full_name AS candidate_name, COALESCE(j.title, i.role_type) AS job_title, \
         o.name AS org_name, t.subject, t.body FROM interviews i JOIN users u ON u.id = i.candidate_id \
         JOIN organizations o ON o.id = i.org_id LEFT JOIN jobs j ON j.id = i.job_id \
         LEFT JOIN decision_templates t ON t.org_id = i.org_id AND t.decision = ?3 \
         WHERE i.id = ?1 AND i.org_id = ?2",
    )
    .bind(&[text(interview_id), text(org_id), text(decision)])?
    .first::<Value>(None)
    .await
}
