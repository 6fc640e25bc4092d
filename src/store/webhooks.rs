//! The `webhooks` and `webhook_deliveries` tables (docs/hiring.md#webhooks). Endpoints are
//! scoped to their organization; deliveries are queued as statements for the caller's batch
//! (beside the change that caused the event) and claimed one attempt at a time by the sender,
//! so two senders never send an attempt twice. Rows are plain JSON values (no derived row
//! structs: the wasm is tight).

use crate::store::{Db, Statement};
use serde_json::Value;

use super::projection::webhook_enqueue_sql;
use super::{int, opt_text, text};
use crate::domain::webhook::{WebhookInput, MAX_PER_ORG};

/// The public columns of an endpoint (never the secrets).
const COLUMNS: &str =
    "id, url, events, description, active, previous_secret_expires_at, created_at, updated_at";

/// The statement adding an endpoint, unless the organization has [`MAX_PER_ORG`] already
/// (then it changes nothing).
///
/// # Errors
/// Binding failures.
#[allow(clippy::too_many_arguments)]
pub fn create(
    db: &Db,
    id: &str,
    org_id: &str,
    url: &str,
    events_json: &str,
    description: Option<&str>,
    secret: &str,
    by: &str,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO webhooks (id, org_id, url, events, description, active, secret, created_by, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, TRUE, ?6, ?7, ?8, ?8 WHERE (SELECT COUNT(*) FROM webhooks WHERE org_id = ?2) < ?9",
    )
    .bind(&[
        text(id),
        text(org_id),
        text(url),
        text(events_json),
        opt_text(description),
        text(secret),
        text(by),
        text(now),
        int(MAX_PER_ORG),
    ])
}

/// The organization's endpoints, newest first.
///
/// # Errors
/// D1 failures.
pub async fn list(db: &Db, org_id: &str) -> worker::Result<Vec<Value>> {
    db.prepare(format!(
        "SELECT {COLUMNS} FROM webhooks WHERE org_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 50"
    ))
    .bind(&[text(org_id)])?
    .all()
    .await?
    .results::<Value>()
}

/// Endpoint `id` if organization `org_id` owns it.
///
/// # Errors
/// D1 failures.
pub async fn get(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<Value>> {
    db.prepare(format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1 AND org_id = ?2"))
        .bind(&[text(id), text(org_id)])?
        .first::<Value>(None)
        .await
}

/// The statement applying a change (absent fields stay).
///
/// # Errors
/// Binding failures.
pub fn update(
    db: &Db,
    id: &str,
    org_id: &str,
    input: &WebhookInput,
    events_json: Option<&str>,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "UPDATE webhooks SET url = COALESCE(?3, url), events = COALESCE(?4, events), \
         description = CASE WHEN ?5 = 1 THEN ?6 ELSE description END, active = COALESCE(?7, active), \
         updated_at = ?8 WHERE id = ?1 AND org_id = ?2",
    )
    .bind(&[
        text(id),
        text(org_id),
        opt_text(input.url.as_deref()),
        opt_text(events_json),
        int(i64::from(input.description.is_some())),
        opt_text(input.description.as_deref()),
        input.active.map_or(wasm_bindgen::JsValue::NULL, |a| int(i64::from(a))),
        text(now),
    ])
}

/// The statements deleting an endpoint and its delivery log.
///
/// # Errors
/// Binding failures.
pub fn delete(db: &Db, id: &str, org_id: &str) -> worker::Result<Vec<Statement>> {
    Ok(vec![
        db.prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND org_id = ?2")
            .bind(&[text(id), text(org_id)])?,
        db.prepare("DELETE FROM webhooks WHERE id = ?1 AND org_id = ?2").bind(&[text(id), text(org_id)])?,
    ])
}

/// The statement rotating the secret: the current one keeps signing until `overlap_until`.
///
/// # Errors
/// Binding failures.
pub fn rotate(
    db: &Db,
    id: &str,
    org_id: &str,
    secret: &str,
    overlap_until: &str,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = ?4, secret = ?3, \
         updated_at = ?5 WHERE id = ?1 AND org_id = ?2",
    )
    .bind(&[text(id), text(org_id), text(secret), text(overlap_until), text(now)])
}

/// The statement queueing event `event_id` of `event_type` with `data` (a JSON object) for
/// every active endpoint of `org_id` subscribed to it — or, with `only`, for that one endpoint
/// whatever it subscribes to (the test event).
///
/// # Errors
/// Binding failures.
pub fn enqueue(
    db: &Db,
    event_id: &str,
    event_type: &str,
    now: &str,
    data_json: &str,
    org_id: &str,
    only: Option<&str>,
) -> worker::Result<Statement> {
    let sql = match only {
        None => webhook_enqueue_sql("?1", "json(?4)", "?5", "", "TRUE"),
        Some(_) => "INSERT INTO webhook_deliveries (id, webhook_id, org_id, event_id, event_type, data, status, \
                    attempts, next_attempt_at, created_at, updated_at) SELECT lower(hex(randomblob(16))), w.id, \
                    w.org_id, ?1, ?2, json(?4), 'pending', 0, ?3, ?3, ?3 FROM webhooks w WHERE w.org_id = ?5 \
                    AND w.id = ?6 ON CONFLICT (webhook_id, event_id) DO NOTHING"
            .to_owned(),
    };
    let mut params = vec![text(event_id), text(event_type), text(now), text(data_json), text(org_id)];
    if let Some(id) = only {
        params.push(text(id));
    }
    db.prepare(sql).bind(&params)
}

/// The frequent cron's scan: queues `invitation.expired` for every sent or opened invitation
/// past its expiry and marks it `expired`, in one batch (each expires once). Returns how many
/// invitations it marked.
///
/// # Errors
/// D1 failures.
pub async fn expire_invitations(db: &Db, now: &str) -> worker::Result<usize> {
    let due = "inv.status IN ('sent', 'opened') AND inv.expires_at <= ?3";
    let queue = db
        .prepare(webhook_enqueue_sql(
            "?1 || inv.id",
            "json_object('invitation_id', inv.id, 'job_id', inv.job_id, 'expires_at', inv.expires_at)",
            "inv.org_id",
            " JOIN invitations inv ON inv.org_id = w.org_id",
            due,
        ))
        .bind(&[text("invitation.expired:"), text("invitation.expired"), text(now)])?;
    let mark = db
        .prepare(format!(
            "UPDATE invitations SET status = 'expired', updated_at = ?1 WHERE id IN \
             (SELECT inv.id FROM invitations inv WHERE {})",
            due.replace("?3", "?1")
        ))
        .bind(&[text(now)])?;
    let results = db.batch(vec![queue, mark]).await?;
    Ok(results.get(1).map_or(0, crate::store::DbResult::changed))
}

/// Ids of pending deliveries due at `now`, oldest first (at most `limit`).
///
/// # Errors
/// D1 failures.
pub async fn due(db: &Db, now: &str, limit: u32) -> worker::Result<Vec<String>> {
    let rows = db
        .prepare(
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
             ORDER BY next_attempt_at, id LIMIT ?2",
        )
        .bind(&[text(now), int(i64::from(limit))])?
        .all()
        .await?
        .results::<Value>()?;
    Ok(rows.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect())
}

/// Claims delivery `id` for one attempt: counts it and leases it until `lease_until`. `None`
/// when another sender has it or it is not due. The row carries the endpoint's URL and secrets.
///
/// # Errors
/// D1 failures.
pub async fn claim(db: &Db, id: &str, now: &str, lease_until: &str) -> worker::Result<Option<Value>> {
    let claimed = db
        .prepare(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?3, updated_at = ?2 \
             WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2",
        )
        .bind(&[text(id), text(now), text(lease_until)])?
        .run()
        .await?;
    if claimed.meta()?.and_then(|m| m.changes).unwrap_or(0) != 1 {
        return Ok(None);
    }
    db.prepare(
        "SELECT d.id, d.org_id, d.event_id, d.event_type, d.data, d.attempts, d.created_at, w.url, w.secret, \
         w.previous_secret, w.previous_secret_expires_at FROM webhook_deliveries d \
         JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?1",
    )
    .bind(&[text(id)])?
    .first::<Value>(None)
    .await
}

/// Records an attempt's outcome: `delivered`, `failed`, or `pending` again at `next`.
///
/// # Errors
/// D1 failures.
pub async fn record(
    db: &Db,
    id: &str,
    status: &str,
    next: &str,
    last_status: Option<u16>,
    error: Option<&str>,
    now: &str,
) -> worker::Result<()> {
    let error = error.map(|e| e.chars().take(300).collect::<String>());
    db.prepare(
        "UPDATE webhook_deliveries SET status = ?2, next_attempt_at = ?3, last_status = ?4, last_error = ?5, \
         delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END, updated_at = ?6 WHERE id = ?1",
    )
    .bind(&[
        text(id),
        text(status),
        text(next),
        last_status.map_or(wasm_bindgen::JsValue::NULL, |s| int(i64::from(s))),
        opt_text(error.as_deref()),
        text(now),
    ])?
    .run()
    .await?;
    Ok(())
}

/// An endpoint's delivery log, newest first, after `cursor` (`created_at`, `id`); `limit + 1`
/// rows so the caller knows whether there is more.
///
/// # Errors
/// D1 failures.
pub async fn deliveries(
    db: &Db,
    webhook_id: &str,
    org_id: &str,
    cursor: Option<&(String, String)>,
    limit: u32,
) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT id, event_id, event_type, status, attempts, last_status, last_error, next_attempt_at, \
         delivered_at, created_at, updated_at FROM webhook_deliveries WHERE webhook_id = ?1 AND org_id = ?2 \
         AND (created_at < ?3 OR (created_at = ?3 AND id < ?4) OR ?3 IS NULL) \
         ORDER BY created_at DESC, id DESC LIMIT ?5",
    )
    .bind(&[
        text(webhook_id),
        text(org_id),
        opt_text(cursor.map(|c| c.0.as_str())),
        opt_text(cursor.map(|c| c.1.as_str())),
        int(i64::from(limit) + 1),
    ])?
    .all()
    .await?
    .results::<Value>()
}
