//! `/api/v1/recruiter`: staff views over their organization's candidates and interviews
//! (docs/interviews.md#recruiter-api, docs/organizations.md). Staff only (candidates get 403);
//! everything here is read-only, so viewers may use it too. Another organization's ids are 404.

use serde_json::{json, Value};
use worker::Request;

use super::{internal, json, query_pairs, Ctx, HandlerResult};
use crate::domain::audit::AuditEvent;
use crate::domain::engine::cost::micros_to_usd;
use crate::domain::enums::AuditAction;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::listing::{encode_cursor, CandidateFilters, InterviewFilters};
use crate::store::recruiter as store;

/// Splits `limit + 1` rows into the page and the next cursor.
fn page(mut rows: Vec<Value>, limit: u32, key: &str) -> (Vec<Value>, Option<String>) {
    let limit = limit as usize;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().and_then(|r| Some(encode_cursor(r.get(key)?.as_str()?, r.get("id")?.as_str()?)))
    } else {
        None
    };
    (rows, next)
}

fn with_cost(mut row: Value) -> Value {
    let micros = row.get("total_cost_micros").and_then(Value::as_f64).unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let usd = micros_to_usd(micros.max(0.0) as u64);
    if let Some(obj) = row.as_object_mut() {
        obj.remove("total_cost_micros");
        obj.insert("cost_usd".into(), json!(usd));
    }
    row
}

/// `GET /recruiter/candidates?q=&limit=&cursor=`.
pub async fn candidates(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let filters = CandidateFilters::parse(&query_pairs(&req)?)?;
    let found = store::candidates(ctx.db()?, &filters, org).await.map_err(internal("candidates"))?;
    let (items, next) = page(found, filters.limit, "created_at");
    json(200, &json!({ "candidates": items, "next_cursor": next }))
}

/// `GET /recruiter/candidates/{id}`: profile, resumes and interviews.
pub async fn candidate(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let db = ctx.db()?;
    let profile = store::candidate(db, id, org)
        .await
        .map_err(internal("candidate"))?
        .ok_or_else(ApiError::not_found)?;
    let resumes = store::candidate_resumes(db, id).await.map_err(internal("candidate resumes"))?;
    let interviews =
        store::candidate_interviews(db, id, org).await.map_err(internal("candidate interviews"))?;
    json(
        200,
        &json!({ "candidate": profile, "resumes": resumes,
                 "interviews": interviews.into_iter().map(with_cost).collect::<Vec<_>>() }),
    )
}

/// `GET /recruiter/interviews?status=&role_type=&from=&to=&min_score=&max_score=&limit=&cursor=`.
pub async fn interviews(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let filters = InterviewFilters::parse(&query_pairs(&req)?)?;
    let found =
        store::interviews(ctx.db()?, &filters, org).await.map_err(internal("recruiter interviews"))?;
    let (items, next) = page(found, filters.limit, "started_at");
    json(
        200,
        &json!({ "interviews": items.into_iter().map(with_cost).collect::<Vec<_>>(), "next_cursor": next }),
    )
}

/// `GET /recruiter/stats`.
pub async fn stats(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let groups = store::stats(ctx.db()?, org).await.map_err(internal("stats"))?;
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let total: f64 = groups.iter().filter_map(|g| num(g, "n")).sum();
    let mut by_status = serde_json::Map::new();
    for status in ["in_progress", "completed", "abandoned"] {
        by_status.insert(status.into(), json!(0));
    }
    let (mut questions, mut score_sum, mut score_n, mut cost_sum) = (0.0, 0.0, 0.0, 0.0);
    for g in &groups {
        let n = num(g, "n").unwrap_or(0.0);
        if let Some(s) = g.get("status").and_then(Value::as_str) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            by_status.insert(s.to_owned(), json!(n as u64));
        }
        questions += num(g, "avg_questions").unwrap_or(0.0) * n;
        cost_sum += num(g, "avg_cost_micros").unwrap_or(0.0) * n;
        if let Some(avg) = num(g, "avg_score") {
            // Only completed (and partial) interviews carry a score.
            score_sum += avg * n;
            score_n += n;
        }
    }
    let completed = by_status.get("completed").and_then(Value::as_f64).unwrap_or(0.0);
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    json(
        200,
        &json!({
            "total_interviews": total,
            "by_status": by_status,
            "average_questions_per_interview": if total > 0.0 { round(questions / total, 2) } else { 0.0 },
            "completion_rate": if total > 0.0 { round(completed / total, 4) } else { 0.0 },
            "average_score": if score_n > 0.0 { Some(round(score_sum / score_n, 2)) } else { None },
            "average_cost_usd": if total > 0.0 { round(cost_sum / total / 1_000_000.0, 4) } else { 0.0 },
        }),
    )
}

/// The detail of organization `me`'s interview `id` from its relational rows, when no Durable
/// Object holds it (`scripts/import-seed`); `None` when there is no such interview.
async fn archived(
    ctx: &Ctx<'_>,
    me: &crate::auth::access::Principal,
    id: &str,
) -> Result<Option<crate::interview::Detail>, ApiError> {
    let rows = store::archived_interview(ctx.db()?, id, me.staff_org()?)
        .await
        .map_err(internal("archived interview"))?;
    rows.map(|rows| {
        crate::interview::archived::detail(&rows).map_err(|e| {
            crate::platform::log_event(
                "archived_interview_unreadable",
                json!({ "interview_id": id, "reason": e }),
            );
            ApiError::internal()
        })
    })
    .transpose()
}

/// `GET /recruiter/interviews/{id}`: the interview, session state, transcript, full assessment,
/// cost breakdown (from its Durable Object) and video metadata (D1).
pub async fn interview(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_staff()?;
    let id = super::seam::interview_id(id)?;
    let client = super::seam::client(ctx, &id)?;
    let asked = client.call(Some(super::seam::caller(&me)), crate::protocol::InterviewRequest::Detail).await;
    let detail: crate::interview::Detail = match asked {
        Ok((_, detail)) => detail,
        // No object holds it: an imported interview is read from its rows (same shape).
        Err(e) if e.code == ErrorCode::NotFound => archived(ctx, &me, &id).await?.ok_or(e)?,
        Err(e) => return Err(e),
    };
    let event = AuditEvent::new(AuditAction::AssessmentViewed, "interview", id.as_str());
    super::audit::record(ctx, &req, &me, &event).await?;
    let mut detail = serde_json::to_value(detail).map_err(|_| ApiError::internal())?;
    let video = store::interview_video(ctx.db()?, &id).await.map_err(internal("video metadata"))?;
    detail["video"] = video.unwrap_or(Value::Null);
    json(200, &detail)
}
