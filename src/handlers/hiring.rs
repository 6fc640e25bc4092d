//! `/api/v1/recruiter/interviews/{id}/…` hiring records (docs/hiring.md): decisions, reviews with
//! ratings, score overrides, and the CSV export of a job's results. Staff of the interview's
//! organization read them; recruiters and admins write them (viewers 403); another
//! organization's interview is 404. Every write is in one batch with its audit entry.

use worker::Request;

use super::audit::{csv_response, record, statement};
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::AuditAction;
use crate::domain::hiring::{parse_decision, parse_override, parse_review, HiringView};
use crate::domain::job_results::csv_rows;
use crate::domain::time::rfc3339_ms;
use crate::http::csv;
use crate::http::error::ApiError;
use crate::platform::{log_event, now_ms};
use crate::store::hiring::{self as store, OwnedInterview, Scope};

/// The caller's organization's interview `id`, or 404.
async fn owned(ctx: &Ctx<'_>, me: &Principal, id: &str) -> Result<(String, OwnedInterview), ApiError> {
    let org = me.staff_org()?.to_owned();
    let id = super::seam::interview_id(id)?;
    let interview = store::interview(ctx.db()?, id.as_str(), &org)
        .await
        .map_err(internal("hiring interview"))?
        .ok_or_else(ApiError::not_found)?;
    Ok((org, interview))
}

async fn view(ctx: &Ctx<'_>, org: &str, interview: OwnedInterview) -> Result<HiringView, ApiError> {
    let db = ctx.db()?;
    let decisions = store::decisions(db, &interview.id, org).await.map_err(internal("decisions"))?;
    let reviews = store::reviews(db, &interview.id, org).await.map_err(internal("reviews"))?;
    let overrides = store::overrides(db, &interview.id, org).await.map_err(internal("overrides"))?;
    Ok(HiringView::new(interview.id, decisions, reviews, overrides, interview.overall_score))
}

fn value(v: &HiringView) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|_| ApiError::internal())
}

/// `GET …/hiring`: decisions, reviews and overrides, newest first (staff).
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_staff()?;
    let (org, interview) = owned(ctx, &me, id).await?;
    let interview_id = interview.id.clone();
    let mut body = value(&view(ctx, &org, interview).await?)?;
    body["notifications"] = super::invitations::notifications(ctx, &interview_id).await?;
    json(200, &body)
}

/// What a write stores: its statement, given the record's scope.
enum Write {
    Decision(crate::domain::hiring::DecisionInput),
    Review(crate::domain::hiring::ReviewInput),
    Override(crate::domain::hiring::OverrideInput),
}

async fn write(
    mut req: Request,
    ctx: &Ctx<'_>,
    id: &str,
    kind: fn(serde_json::Map<String, serde_json::Value>) -> Result<Write, ApiError>,
) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_staff_writer()?;
    let (org, interview) = owned(ctx, &me, id).await?;
    let input = kind(read_json(&mut req).await?.into_map())?;
    let db = ctx.db()?;
    let record_id = uuid::Uuid::new_v4().to_string();
    let now = rfc3339_ms(now_ms());
    let scope =
        Scope { id: &record_id, org_id: &org, interview_id: &interview.id, by: &me.user_id, now: &now };
    let (insert, event) = match &input {
        Write::Decision(d) => (
            store::insert_decision(db, &scope, d.decision, &d.reason),
            AuditEvent::new(AuditAction::DecisionMade, "interview", interview.id.clone())
                .with_detail(d.decision.as_str()),
        ),
        Write::Review(r) => {
            let ratings = serde_json::to_string(&r.ratings).map_err(|_| ApiError::internal())?;
            (
                store::insert_review(db, &scope, r.note.as_deref(), &ratings),
                AuditEvent::new(AuditAction::ReviewAdded, "interview", interview.id.clone())
                    .with_detail(format!("{} rating(s)", r.ratings.len())),
            )
        }
        Write::Override(o) => (
            store::insert_override(db, &scope, o.overall_score, &o.reason),
            AuditEvent::new(AuditAction::ScoreOverridden, "interview", interview.id.clone()).with_detail(
                format!(
                    "{} -> {}",
                    interview.overall_score.map_or_else(|| "none".to_owned(), |s| s.to_string()),
                    o.overall_score
                ),
            ),
        ),
    };
    let insert = insert.map_err(internal("hiring insert"))?;
    let mut batch = vec![insert, statement(ctx, &req, &me, &event)?];
    let notify = matches!(&input, Write::Decision(d) if d.notify_candidate);
    if let Write::Decision(d) = &input {
        if d.notify_candidate {
            // The candidate's message (the org's template, never the reason), in the same batch.
            let queued =
                super::decision_mail::queue(&req, ctx, &org, &interview.id, d.decision, &record_id, &now)
                    .await?;
            batch.extend(queued);
        }
        // `decision.made` for the org's ATS webhooks, in the decision's batch (no reason text).
        let data = serde_json::json!({
            "interview_id": interview.id,
            "decision_id": record_id,
            "decision": d.decision.as_str(),
            "decided_by": me.user_id,
        });
        let event_id = format!("decision.made:{record_id}");
        batch.push(
            crate::store::webhooks::enqueue(
                db,
                &event_id,
                "decision.made",
                &now,
                &data.to_string(),
                &org,
                None,
            )
            .map_err(internal("webhook enqueue"))?,
        );
    }
    db.batch(batch).await.map_err(internal("hiring write"))?;
    if matches!(input, Write::Decision(_)) {
        super::webhooks::send_soon(ctx);
    }
    if notify {
        super::invitations::send_soon(ctx);
    }
    log_event(
        "hiring_record",
        serde_json::json!({ "action": event.action, "interview_id": interview.id, "by": me.user_id }),
    );
    json(201, &value(&view(ctx, &org, interview).await?)?)
}

/// `POST …/decisions` `{decision, reason, notify_candidate?}` (recruiter, admin) → 201 with the
/// records; with `notify_candidate`, the candidate's decision message is queued in the batch.
pub async fn decide(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    write(req, ctx, id, |m| parse_decision(m).map(Write::Decision)).await
}

/// `POST …/reviews` `{note?, ratings?}` (recruiter, admin) → 201 with the records.
pub async fn review(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    write(req, ctx, id, |m| parse_review(m).map(Write::Review)).await
}

/// `POST …/score-override` `{overall_score, reason}` (recruiter, admin) → 201 with the records.
pub async fn override_score(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    write(req, ctx, id, |m| parse_override(m).map(Write::Override)).await
}

/// `GET /api/v1/jobs/{id}/results/export?sort=` (staff): the job's results as CSV, recorded in
/// the audit trail before any row is returned.
pub async fn export_results(req: Request, ctx: &Ctx<'_>, job_id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let (job_id, views) = super::invitations::result_views(&req, ctx, &org, job_id).await?;
    let event = AuditEvent::new(AuditAction::ResultsExported, "job", job_id.clone())
        .with_detail(format!("{} row(s)", views.len()));
    record(ctx, &req, &me, &event).await?;
    let body: String = csv_rows(&views).iter().map(|r| csv::row(r)).collect();
    csv_response(body, &format!("job-{job_id}-results.csv"))
}
