//! Decision messages to candidates (docs/hiring.md#decision-messages): the organization's
//! templates (`/api/v1/org/settings/decision-templates`: staff read, admins write) and the
//! statements that queue the message in a decision's batch when `notify_candidate` is set.

use crate::store::Statement;
use serde_json::Value;
use worker::Request;

use super::audit::statement;
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::domain::audit::AuditEvent;
use crate::domain::decision_mail::{
    default_template, parse_templates, render, Facts, Template, TemplatesView,
};
use crate::domain::enums::{AuditAction, HiringDecision};
use crate::domain::invitation::token_hash;
use crate::domain::mail::unsubscribe_link;
use crate::domain::time::rfc3339_ms;
use crate::http::error::ApiError;
use crate::platform::{log_event, now_ms};
use crate::store::decision_mail as store;

fn str_of<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row[key].as_str()
}

async fn view(ctx: &Ctx<'_>, org: &str) -> HandlerResult {
    let rows = store::templates(ctx.db()?, org).await.map_err(internal("decision templates"))?;
    let stored: Vec<_> = rows
        .iter()
        .filter_map(|r| {
            let decision = HiringDecision::parse(str_of(r, "decision")?)?;
            let t =
                Template { subject: str_of(r, "subject")?.to_owned(), body: str_of(r, "body")?.to_owned() };
            Some((decision, t, str_of(r, "updated_at").unwrap_or_default().to_owned()))
        })
        .collect();
    json(200, &serde_json::to_value(TemplatesView::new(&stored)).map_err(|_| ApiError::internal())?)
}

/// `GET /api/v1/org/settings/decision-templates` (staff): every decision's template (the
/// built-in one where the organization has not set its own) and the placeholders.
pub async fn get(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_staff()?;
    let org = me.staff_org()?.to_owned();
    view(ctx, &org).await
}

/// `PUT /api/v1/org/settings/decision-templates` `{advance?, hold?, reject?}` (admins): each
/// decision given gets its `{subject, body}`, or (`null`) the built-in message again; recorded
/// as `settings.updated` in the same batch.
pub async fn put(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_admin()?;
    let changes = parse_templates(read_json(&mut req).await?.into_map())?;
    let db = ctx.db()?;
    let now = rfc3339_ms(now_ms());
    let mut batch = Vec::with_capacity(changes.len() + 1);
    let mut detail = Vec::new();
    for (decision, template) in &changes {
        let t = template.as_ref().map(|t| (t.subject.as_str(), t.body.as_str()));
        batch.push(
            store::set(db, &org, decision.as_str(), t, &me.user_id, &now)
                .map_err(internal("decision template"))?,
        );
        detail.push(format!("{}{}", decision.as_str(), if t.is_some() { "" } else { " (default)" }));
    }
    let event = AuditEvent::new(AuditAction::SettingsUpdated, "org", org.clone())
        .with_detail(format!("decision_templates: {}", detail.join(", ")));
    batch.push(statement(ctx, &req, &me, &event)?);
    db.batch(batch).await.map_err(internal("decision templates update"))?;
    log_event("settings_updated", serde_json::json!({ "org_id": org, "by": me.user_id }));
    view(ctx, &org).await
}

/// The statements queueing the candidate's message about decision `decision_id` (for the
/// decision's batch): the organization's template for the decision (else the built-in one),
/// never the reason; deduplicated by decision; optional mail, so it carries an unsubscribe link
/// and is not sent to an address that opted out (the sender records it `skipped`).
///
/// # Errors
/// 500 when the interview's facts cannot be read.
pub async fn queue(
    req: &Request,
    ctx: &Ctx<'_>,
    org: &str,
    interview_id: &str,
    decision: HiringDecision,
    decision_id: &str,
    now: &str,
) -> Result<[Statement; 2], ApiError> {
    let db = ctx.db()?;
    let row = store::facts(db, interview_id, org, decision.as_str())
        .await
        .map_err(internal("decision mail facts"))?
        .ok_or_else(ApiError::internal)?;
    let template = match (str_of(&row, "subject"), str_of(&row, "body")) {
        (Some(subject), Some(body)) => Template { subject: subject.to_owned(), body: body.to_owned() },
        _ => default_template(decision),
    };
    let facts = Facts {
        candidate_name: str_of(&row, "candidate_name"),
        job_title: str_of(&row, "job_title").unwrap_or_default(),
        org_name: str_of(&row, "org_name").unwrap_or_default(),
    };
    let token = super::invitations::new_token()?;
    let link = unsubscribe_link(&super::invitations::base_url(req, ctx)?, &token);
    let to = str_of(&row, "email").ok_or_else(ApiError::internal)?;
    let message = render(&template, to, &facts, &link);
    let mail_id = uuid::Uuid::new_v4().to_string();
    crate::store::mail::enqueue_optional(
        db,
        &mail_id,
        &message,
        interview_id,
        &format!("decision:{decision_id}"),
        &token_hash(&token),
        now,
    )
    .map_err(internal("decision mail"))
}
