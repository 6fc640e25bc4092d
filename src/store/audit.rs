//! The `audit_log` table (docs/hiring.md#audit-trail): append-only (its triggers refuse UPDATE
//! and DELETE), scoped to one organization.

use crate::store::{Db, Statement};

use super::org_sql::{AUDIT_INSERT, AUDIT_INSERT_IF_CHANGED, AUDIT_PAGE};
use super::{int, opt_text, text};
use crate::domain::audit::{AuditEntry, AuditEvent, AuditFilters};

/// Who recorded an event, where, when and from which client.
pub struct Actor<'a> {
    pub org_id: &'a str,
    pub actor_id: &'a str,
    pub client: &'a str,
    pub now: &'a str,
}

/// The statement recording `event` (for the batch of the change it records); with
/// `only_if_changed`, only when the batch's previous statement changed a row.
///
/// # Errors
/// Binding failures.
pub fn insert(
    db: &Db,
    actor: &Actor<'_>,
    event: &AuditEvent,
    only_if_changed: bool,
) -> worker::Result<Statement> {
    let id = uuid::Uuid::new_v4().to_string();
    let detail: Option<String> = event.detail.as_deref().map(|d| d.chars().take(300).collect());
    db.prepare(if only_if_changed { AUDIT_INSERT_IF_CHANGED } else { AUDIT_INSERT }).bind(&[
        text(&id),
        text(actor.org_id),
        text(actor.actor_id),
        text(event.action.as_str()),
        text(event.target_type),
        text(&event.target_id),
        opt_text(detail.as_deref()),
        text(actor.client),
        text(actor.now),
    ])
}

/// One page of the organization's trail, newest first (`limit + 1` rows: the caller pages).
///
/// # Errors
/// D1 failures.
pub async fn page(db: &Db, org_id: &str, f: &AuditFilters, limit: u32) -> worker::Result<Vec<AuditEntry>> {
    let (key, id) = f.cursor.as_ref().map(|(k, i)| (k.as_str(), i.as_str())).unzip();
    db.prepare(AUDIT_PAGE)
        .bind(&[
            text(org_id),
            opt_text(f.actor_id.as_deref()),
            opt_text(f.action.map(|a| a.as_str())),
            opt_text(f.target_id.as_deref()),
            opt_text(f.from.as_deref()),
            opt_text(f.to.as_deref()),
            opt_text(key),
            opt_text(id),
            int(i64::from(limit) + 1),
        ])?
        .all()
        .await?
        .results::<AuditEntry>()
}
