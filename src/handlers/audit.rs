//! The audit trail's glue (docs/hiring.md#audit-trail): the statement every audited handler adds
//! to the batch of its change (or runs before it returns candidate data), and the org admins'
//! list and CSV export. No route edits or deletes an entry.

use crate::store::Statement;
use serde_json::json;
use worker::{Headers, Request, Response};

use super::{internal, json, query_pairs, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::{self as rules, client_label, AuditEvent, AuditFilters};
use crate::domain::enums::AuditAction;
use crate::domain::time::rfc3339_ms;
use crate::http::csv;
use crate::http::error::ApiError;
use crate::http::listing::encode_cursor;
use crate::platform::now_ms;
use crate::store::audit::{self as store, Actor};

/// The statement recording `event` by the staff member `me`, for the batch of the change.
///
/// # Errors
/// 403 for a caller outside any organization; 500 when binding fails.
pub fn statement(
    ctx: &Ctx<'_>,
    req: &Request,
    me: &Principal,
    event: &AuditEvent,
) -> Result<Statement, ApiError> {
    bind(ctx, req, me, event, false)
}

/// As [`statement`], placed right after a conditional update in its batch: recorded only if
/// that update changed a row.
///
/// # Errors
/// As [`statement`].
pub fn statement_if_changed(
    ctx: &Ctx<'_>,
    req: &Request,
    me: &Principal,
    event: &AuditEvent,
) -> Result<Statement, ApiError> {
    bind(ctx, req, me, event, true)
}

fn bind(
    ctx: &Ctx<'_>,
    req: &Request,
    me: &Principal,
    event: &AuditEvent,
    only_if_changed: bool,
) -> Result<Statement, ApiError> {
    let org = me.staff_org()?;
    let client = client_label(req.headers().get("User-Agent").ok().flatten().as_deref());
    let now = rfc3339_ms(now_ms());
    let actor = Actor { org_id: org, actor_id: &me.user_id, client: &client, now: &now };
    store::insert(ctx.db()?, &actor, event, only_if_changed).map_err(internal("audit entry"))
}

/// Records `event` on its own (a read of candidate data): the data is returned only once the
/// entry is stored.
///
/// # Errors
/// 500 when the entry cannot be written.
pub async fn record(
    ctx: &Ctx<'_>,
    req: &Request,
    me: &Principal,
    event: &AuditEvent,
) -> Result<(), ApiError> {
    statement(ctx, req, me, event)?.run().await.map_err(internal("audit entry"))?;
    Ok(())
}

/// Pages of at most this many entries are read for an export.
const EXPORT_PAGES: usize = 100;

/// `GET /api/v1/org/audit?actor_id=&action=&target_id=&from=&to=&limit=&cursor=` (org admins).
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?;
    let filters = AuditFilters::parse(&query_pairs(&req)?)?;
    let mut items =
        store::page(ctx.db()?, org, &filters, filters.limit).await.map_err(internal("audit list"))?;
    let next = if items.len() > filters.limit as usize {
        items.truncate(filters.limit as usize);
        items.last().map(|e| encode_cursor(&e.created_at, &e.id))
    } else {
        None
    };
    json(200, &json!({ "items": items, "next_cursor": next }))
}

/// `GET /api/v1/org/audit/export?…` (org admins): the filtered trail as CSV (at most 10,000
/// entries, newest first). The export is itself recorded.
pub async fn export(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?.to_owned();
    let mut filters = AuditFilters::parse(&query_pairs(&req)?)?;
    record(ctx, &req, &me, &AuditEvent::new(AuditAction::AuditExported, "organization", org.clone())).await?;
    let db = ctx.db()?;
    let mut body = csv::row(rules::CSV_HEADER);
    for _ in 0..EXPORT_PAGES {
        let mut page = store::page(db, &org, &filters, 100).await.map_err(internal("audit export"))?;
        let more = page.len() > 100;
        page.truncate(100);
        for e in &page {
            body.push_str(&csv::row(&rules::csv_cells(e)));
        }
        match page.last() {
            Some(last) if more => filters.cursor = Some((last.created_at.clone(), last.id.clone())),
            _ => break,
        }
    }
    csv_response(body, "audit.csv")
}

/// A CSV download.
///
/// # Errors
/// 500 when the response cannot be built.
pub fn csv_response(body: String, file_name: &str) -> HandlerResult {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", csv::CONTENT_TYPE);
    let _ = headers.set("Content-Disposition", &csv::attachment(file_name));
    let _ = headers.set("Cache-Control", "no-store");
    Ok(Response::ok(body).map_err(internal("csv response"))?.with_headers(headers))
}
