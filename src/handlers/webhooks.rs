//! `/api/v1/org/webhooks…` (org admins; docs/hiring.md#webhooks): ATS endpoints, their secret
//! rotation, a test event, and the delivery log. Another organization's endpoint is 404;
//! recruiters and viewers 403. Every change is in one batch with its audit entry; a secret is
//! returned only on creation and rotation, and never logged.

use crate::store::Statement;
use serde_json::{json, Value};
use worker::Request;

use super::audit::{statement, statement_if_changed};
use super::{internal, json, query_pairs, read_json, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::AuditAction;
use crate::domain::time::rfc3339_ms;
use crate::domain::webhook::{parse_input, secret_text, MAX_PER_ORG, TEST_EVENT};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::listing::{decode_cursor, encode_cursor, parse_limit};
use crate::platform::{log_error, log_event, now_ms};
use crate::store::webhooks as store;

/// An endpoint as the API shows it: `events` an array, `active` a boolean, and when a rotated
/// secret still signs, until when.
fn view(mut row: Value) -> Value {
    if let Some(events) = row["events"].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        row["events"] = events;
    }
    row["active"] = json!(row["active"].as_i64() == Some(1));
    if let Some(until) = row.as_object_mut().and_then(|m| m.remove("previous_secret_expires_at")) {
        let live = until.as_str().is_some_and(|u| u > rfc3339_ms(now_ms()).as_str());
        row["previous_secret_expires_at"] = if live { until } else { Value::Null };
    }
    row
}

/// The caller (an org admin) and their organization.
async fn admin(ctx: &Ctx<'_>, req: &Request) -> Result<(Principal, String), ApiError> {
    let me = ctx.authenticate(req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_admin()?;
    Ok((me, org))
}

/// The organization's endpoint `id` (canonical), or 404.
async fn owned(ctx: &Ctx<'_>, org: &str, id: &str) -> Result<(String, Value), ApiError> {
    let id = uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())?;
    let row = store::get(ctx.db()?, &id, org).await.map_err(internal("webhook get"))?;
    row.map(|r| (id, r)).ok_or_else(ApiError::not_found)
}

fn new_secret() -> Result<String, ApiError> {
    let bytes = crate::webcrypto::random_bytes(32).map_err(|_| ApiError::internal())?;
    Ok(secret_text(&bytes))
}

fn events_json(events: Option<&Vec<String>>) -> Result<Option<String>, ApiError> {
    events.map(|e| serde_json::to_string(e).map_err(|_| ApiError::internal())).transpose()
}

fn changed(results: &[crate::store::DbResult]) -> bool {
    results.first().map_or(0, crate::store::DbResult::changed) >= 1
}

/// Sends the queued deliveries after the response (the frequent cron retries what fails).
pub(super) fn send_soon(ctx: &Ctx<'_>) {
    let (env, config) = (ctx.env.clone(), ctx.config.clone());
    ctx.worker_ctx.wait_until(async move {
        if let Err(e) = crate::jobs::webhooks::send_due(&env, &config).await {
            log_error("webhook send", &e);
        }
    });
}

/// `POST /api/v1/org/webhooks` `{url, events, description?}` → 201 with the endpoint and its
/// `secret` (shown only here and on rotation).
pub async fn create(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let (me, org) = admin(ctx, &req).await?;
    let input = parse_input(read_json(&mut req).await?.into_map(), true, ctx.config.webhook_allow_http)?;
    let (Some(url), Some(events)) = (input.url.as_deref(), events_json(input.events.as_ref())?) else {
        return Err(ApiError::internal());
    };
    let id = uuid::Uuid::new_v4().to_string();
    let secret = new_secret()?;
    let now = rfc3339_ms(now_ms());
    let db = ctx.db()?;
    let insert =
        store::create(db, &id, &org, url, &events, input.description.as_deref(), &secret, &me.user_id, &now)
            .map_err(internal("webhook insert"))?;
    let event =
        AuditEvent::new(AuditAction::WebhookCreated, "webhook", id.clone()).with_detail(events.clone());
    let results = db
        .batch(vec![insert, statement_if_changed(ctx, &req, &me, &event)?])
        .await
        .map_err(internal("webhook create"))?;
    if !changed(&results) {
        return Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!("An organization has at most {MAX_PER_ORG} webhooks."),
        ));
    }
    log_event("webhook_created", json!({ "webhook_id": id, "by": me.user_id }));
    let (_, row) = owned(ctx, &org, &id).await?;
    let mut body = view(row);
    body["secret"] = json!(secret);
    json(201, &body)
}

/// `GET /api/v1/org/webhooks`: the organization's endpoints, newest first.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let (_, org) = admin(ctx, &req).await?;
    let rows = store::list(ctx.db()?, &org).await.map_err(internal("webhook list"))?;
    json(200, &json!({ "items": rows.into_iter().map(view).collect::<Vec<_>>() }))
}

/// `GET /api/v1/org/webhooks/{id}`.
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (_, org) = admin(ctx, &req).await?;
    let (_, row) = owned(ctx, &org, id).await?;
    json(200, &view(row))
}

/// Runs `change` then its audit entry in one batch, and answers with the endpoint as it is now.
async fn apply(
    ctx: &Ctx<'_>,
    req: &Request,
    me: &Principal,
    org: &str,
    id: &str,
    change: Vec<Statement>,
    event: &AuditEvent,
) -> Result<(), ApiError> {
    let mut batch = change;
    batch.push(statement(ctx, req, me, event)?);
    ctx.db()?.batch(batch).await.map_err(internal("webhook change"))?;
    log_event("webhook_changed", json!({ "action": event.action, "webhook_id": id, "org_id": org }));
    Ok(())
}

/// `PATCH /api/v1/org/webhooks/{id}` `{url?, events?, active?, description?}`.
pub async fn update(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (me, org) = admin(ctx, &req).await?;
    let (id, _) = owned(ctx, &org, id).await?;
    let input = parse_input(read_json(&mut req).await?.into_map(), false, ctx.config.webhook_allow_http)?;
    let events = events_json(input.events.as_ref())?;
    let now = rfc3339_ms(now_ms());
    let db = ctx.db()?;
    let change =
        store::update(db, &id, &org, &input, events.as_deref(), &now).map_err(internal("webhook update"))?;
    let mut fields: Vec<&str> = Vec::new();
    for (name, given) in [
        ("url", input.url.is_some()),
        ("events", input.events.is_some()),
        ("active", input.active.is_some()),
        ("description", input.description.is_some()),
    ] {
        if given {
            fields.push(name);
        }
    }
    let event =
        AuditEvent::new(AuditAction::WebhookUpdated, "webhook", id.clone()).with_detail(fields.join(","));
    apply(ctx, &req, &me, &org, &id, vec![change], &event).await?;
    let (_, row) = owned(ctx, &org, &id).await?;
    json(200, &view(row))
}

/// `DELETE /api/v1/org/webhooks/{id}` → 204 (its delivery log goes with it).
pub async fn delete(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (me, org) = admin(ctx, &req).await?;
    let (id, _) = owned(ctx, &org, id).await?;
    let change = store::delete(ctx.db()?, &id, &org).map_err(internal("webhook delete"))?;
    let event = AuditEvent::new(AuditAction::WebhookDeleted, "webhook", id.clone());
    apply(ctx, &req, &me, &org, &id, change, &event).await?;
    worker::Response::empty().map(|r| r.with_status(204)).map_err(internal("empty response"))
}

/// `POST /api/v1/org/webhooks/{id}/rotate-secret` → `{secret}`; the previous secret keeps
/// signing for `WEBHOOK_SECRET_OVERLAP_HOURS`.
pub async fn rotate(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (me, org) = admin(ctx, &req).await?;
    let (id, _) = owned(ctx, &org, id).await?;
    let secret = new_secret()?;
    let now = now_ms();
    #[allow(clippy::cast_possible_truncation)]
    let overlap_ms = (ctx.config.webhook_secret_overlap_hours * 3_600_000.0) as i64;
    let until = rfc3339_ms(now + overlap_ms.max(0));
    let change = store::rotate(ctx.db()?, &id, &org, &secret, &until, &rfc3339_ms(now))
        .map_err(internal("webhook rotate"))?;
    let event = AuditEvent::new(AuditAction::WebhookSecretRotated, "webhook", id.clone());
    apply(ctx, &req, &me, &org, &id, vec![change], &event).await?;
    json(200, &json!({ "secret": secret, "previous_secret_expires_at": until }))
}

/// `POST /api/v1/org/webhooks/{id}/test` → 202 `{event_id}`: a `webhook.test` event queued
/// for that endpoint.
pub async fn test(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (me, org) = admin(ctx, &req).await?;
    let (id, _) = owned(ctx, &org, id).await?;
    let event_id = format!("{TEST_EVENT}:{}", uuid::Uuid::new_v4());
    let data = json!({ "webhook_id": id }).to_string();
    let now = rfc3339_ms(now_ms());
    let queue = store::enqueue(ctx.db()?, &event_id, TEST_EVENT, &now, &data, &org, Some(&id))
        .map_err(internal("webhook test"))?;
    let event = AuditEvent::new(AuditAction::WebhookTested, "webhook", id.clone());
    apply(ctx, &req, &me, &org, &id, vec![queue], &event).await?;
    send_soon(ctx);
    json(202, &json!({ "event_id": event_id }))
}

/// `GET /api/v1/org/webhooks/{id}/deliveries?limit=&cursor=`: the delivery log, newest first.
pub async fn deliveries(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (_, org) = admin(ctx, &req).await?;
    let (id, _) = owned(ctx, &org, id).await?;
    let query = query_pairs(&req)?;
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let limit = parse_limit(param("limit"))?;
    let cursor = match param("cursor") {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::validation(vec![crate::error::FieldError {
                field: "cursor".into(),
                message: "Malformed cursor.".into(),
            }])
        })?),
    };
    let mut items = store::deliveries(ctx.db()?, &id, &org, cursor.as_ref(), limit)
        .await
        .map_err(internal("webhook deliveries"))?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|e| {
            encode_cursor(e["created_at"].as_str().unwrap_or_default(), e["id"].as_str().unwrap_or_default())
        })
    } else {
        None
    };
    json(200, &json!({ "items": items, "next_cursor": next }))
}
