//! `/api/v1/jobs`: an organization's jobs (docs/jobs.md). Staff read their organization's jobs;
//! recruiters and admins create and edit them. Each accepted change of the spec is a new version
//! (an interview keeps the version it started with); another organization's job is 404.

use serde_json::{json, Value};
use worker::Request;

use super::{audit, internal, json, query_pairs, read_json, Ctx, HandlerResult};
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, JobStatus};
use crate::domain::job::{validate, JobSpec};
use crate::domain::time::rfc3339_ms;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::listing::{encode_cursor, StatusPage};
use crate::platform::{log_event, now_ms};
use crate::store::job_posts::{self as store, JobRow, JobWrite};

fn job_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

/// The API view of a job: the row's facts and its current spec.
fn present(row: &JobRow) -> Result<Value, ApiError> {
    let spec: JobSpec = serde_json::from_str(&row.spec).map_err(|_| ApiError::internal())?;
    let mut v = serde_json::to_value(&spec).map_err(|_| ApiError::internal())?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("id".into(), json!(row.id));
        obj.insert("status".into(), json!(row.status));
        obj.insert("version".into(), json!(row.current_version));
        obj.insert("created_at".into(), json!(row.created_at));
        obj.insert("updated_at".into(), json!(row.updated_at));
    }
    Ok(v)
}

fn conflict() -> ApiError {
    ApiError::new(ErrorCode::EditConflict, "The job was changed meanwhile; reload it and try again.")
}

fn spec_json(spec: &JobSpec) -> Result<String, ApiError> {
    serde_json::to_string(spec).map_err(|_| ApiError::internal())
}

/// What a create or an update stores: the row's fields, the title, family and deadline taken from
/// the spec, and the spec's JSON.
fn job_write<'a>(
    id: &'a str,
    org_id: &'a str,
    status: &'a str,
    spec: &'a JobSpec,
    spec_json: &'a str,
    by: &'a str,
    now: &'a str,
) -> JobWrite<'a> {
    JobWrite {
        id,
        org_id,
        title: &spec.title,
        role_family: spec.role_family.as_str(),
        status,
        deadline: spec.deadline.as_deref(),
        spec_json,
        by,
        now,
    }
}

/// `POST /api/v1/jobs` → 201 with the job (version 1, status `draft` unless given).
pub async fn create(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_staff_writer()?;
    let input = validate(&read_json(&mut req).await?.into_map(), None)?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = rfc3339_ms(now_ms());
    let spec = spec_json(&input.spec)?;
    let status = input.status.unwrap_or(JobStatus::Draft);
    let write = job_write(&id, &org, status.as_str(), &input.spec, &spec, &me.user_id, &now);
    let db = ctx.db()?;
    let audit =
        audit::statement(ctx, &req, &me, &AuditEvent::new(AuditAction::JobCreated, "job", id.clone()))?;
    store::create(db, &write, audit).await.map_err(internal("job create"))?;
    log_event("job_created", json!({ "job_id": id, "by": me.user_id }));
    let row = store::get(db, &id, &org).await.map_err(internal("job get"))?.ok_or_else(ApiError::internal)?;
    json(201, &present(&row)?)
}

/// `GET /api/v1/jobs/{id}`.
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let id = job_id(id)?;
    let row = store::get(ctx.db()?, &id, org)
        .await
        .map_err(internal("job get"))?
        .ok_or_else(ApiError::not_found)?;
    json(200, &present(&row)?)
}

/// `PATCH /api/v1/jobs/{id}`: any spec fields (merged over the current version, validated as a
/// whole) and/or `status`, optionally with the `version` the edit started from. A changed spec becomes a new version; the same spec keeps it.
pub async fn update(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_staff_writer()?;
    let id = job_id(id)?;
    let mut body = read_json(&mut req).await?.into_map();
    // The version the editor started from (optional): a stale one is a conflict, not a silent
    // overwrite of someone else's edit.
    let expected = match body.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::field("version", "Must be the job's version, an integer."))?,
        ),
    };
    let db = ctx.db()?;
    let row =
        store::get(db, &id, &org).await.map_err(internal("job get"))?.ok_or_else(ApiError::not_found)?;
    if expected.is_some_and(|v| v != row.current_version) {
        return Err(conflict());
    }
    let current: JobSpec = serde_json::from_str(&row.spec).map_err(|_| ApiError::internal())?;
    let input = validate(&body, Some(&current))?;
    let new_spec = input.spec != current;
    let status = input.status.map_or(row.status.clone(), |s| s.as_str().to_owned());
    let now = rfc3339_ms(now_ms());
    let spec = spec_json(&input.spec)?;
    let write = job_write(&id, &org, &status, &input.spec, &spec, &me.user_id, &now);
    let event = AuditEvent::new(AuditAction::JobUpdated, "job", id.clone())
        .with_detail(format!("status {status}{}", if new_spec { ", new version" } else { "" }));
    let audit = audit::statement_if_changed(ctx, &req, &me, &event)?;
    if !store::update(db, &write, row.current_version, new_spec, audit)
        .await
        .map_err(internal("job update"))?
    {
        return Err(conflict());
    }
    log_event("job_updated", json!({ "job_id": id, "new_version": new_spec, "by": me.user_id }));
    let row = store::get(db, &id, &org).await.map_err(internal("job get"))?.ok_or_else(ApiError::internal)?;
    json(200, &present(&row)?)
}

/// `GET /api/v1/jobs?status=&limit=&cursor=`: the organization's jobs, most recently changed first.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let page = StatusPage::parse(
        &query_pairs(&req)?,
        JobStatus::parse,
        &JobStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    )?;
    let limit = page.limit;
    let mut rows = store::list(ctx.db()?, org, page.status.map(JobStatus::as_str), page.after(), limit)
        .await
        .map_err(internal("job list"))?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().and_then(|r| Some(encode_cursor(r.get("updated_at")?.as_str()?, r.get("id")?.as_str()?)))
    } else {
        None
    };
    json(200, &json!({ "jobs": rows, "next_cursor": next }))
}
