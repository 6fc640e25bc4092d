//! `/api/v1/resumes` and `GET /api/v1/recruiter/feedback` (docs/resumes.md): upload to R2, parsing
//! off the request path (the parse queue's consumer, retried through the frequent cron), reads for the owner and
//! staff, and the staff approval of feedback, which also starts its delivery.
//!
//! A candidate asking for feedback that is not `sent` yet gets 404 `NOT_FOUND` with a "not
//! available yet" message, the same answer as when there is none: the candidate never sees
//! draft feedback or whether staff are still reviewing it.

use serde_json::{json, Value};
use worker::{FormEntry, HttpMetadata, Request};

use super::{
    internal, json, query_pairs, quotas, read_capped, read_json, request_from_bytes, BodyError, Ctx,
    HandlerResult,
};
use crate::domain::enums::FeedbackStatus;
use crate::domain::resume::delivery::MAX_PARSE_ATTEMPTS;
use crate::domain::resume::{detect, MAX_RESUME_BYTES};
use crate::domain::time::rfc3339_ms;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::listing::parse_limit;
use crate::jobs::{parsing, resumes as jobs};
use crate::platform::{log_error, log_event, now_ms};
use crate::store::quotas as quota_store;
use crate::store::resumes as store;

/// Room for the multipart framing around a file of the maximum size.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The window of `RESUME_BYTES_PER_DAY`.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Longest edited feedback, in characters.
const MAX_FEEDBACK_CHARS: usize = 20_000;

const FEEDBACK_STATUSES: &[&str] = &["pending_approval", "approved", "sent"];

fn resume_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

fn too_large() -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, "The resume is larger than 10 MiB.")
}

/// `POST /api/v1/resumes`: multipart `file` → 202 `{resume_id, parsing_status:"pending"}`.
pub async fn upload(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    if me.role.is_staff() {
        return Err(ApiError::new(ErrorCode::Forbidden, "Only candidates upload resumes."));
    }
    // The boundary is case-sensitive: keep the header as sent, compare lower-cased.
    let raw_content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    let content_type = raw_content_type.to_ascii_lowercase();
    if !content_type.starts_with("multipart/form-data") || !content_type.contains("boundary=") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Upload the resume as multipart/form-data with a `file` field.",
        ));
    }
    // Quotas before the body is read (docs/security.md#quotas): uploads per hour, then the stored
    // count and the day's bytes (enforced again, atomically, by the insert).
    quotas::resume_upload(ctx, &me).await?;
    let (max_count, max_bytes) = (ctx.config.resumes_per_candidate, ctx.config.resume_bytes_per_day);
    let since = rfc3339_ms(now_ms() - DAY_MS);
    let usage =
        quota_store::resume_usage(ctx.db()?, &me.user_id, &since).await.map_err(internal("resume usage"))?;
    if usage.count >= i64::from(max_count) {
        return Err(quotas::too_many_resumes(max_count));
    }
    if u64::try_from(usage.bytes_today).unwrap_or(0) >= max_bytes {
        return Err(quotas::resume_bytes_exceeded(max_bytes));
    }
    // Read under a hard cap whatever the headers say: nothing past the cap is ever read.
    let body = read_capped(&mut req, MAX_RESUME_BYTES + MULTIPART_OVERHEAD).await.map_err(|e| match e {
        BodyError::TooLarge => too_large(),
        BodyError::Unreadable => ApiError::field("file", "The multipart body could not be read."),
    })?;
    let mut copy = request_from_bytes(&body, &raw_content_type).map_err(internal("resume body"))?;
    drop(body);
    let form = copy
        .form_data()
        .await
        .map_err(|_| ApiError::field("file", "The multipart body could not be read."))?;
    let Some(FormEntry::File(file)) = form.get("file") else {
        return Err(ApiError::field("file", "A file is required in the `file` field."));
    };
    if file.size() > MAX_RESUME_BYTES {
        return Err(too_large());
    }
    let bytes = file.bytes().await.map_err(|_| ApiError::field("file", "The file could not be read."))?;
    if bytes.len() > MAX_RESUME_BYTES {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(ApiError::field("file", "The file is empty."));
    }
    let kind = detect(&bytes).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The resume must be a PDF, a DOCX or a plain text file.",
        )
    })?;
    let id = uuid::Uuid::new_v4().to_string();
    let storage_path = format!("resumes/{}/{id}", me.user_id);
    let size = i64::try_from(bytes.len()).map_err(|_| too_large())?;
    let metadata =
        HttpMetadata { content_type: Some(kind.content_type().to_owned()), ..HttpMetadata::default() };
    ctx.env
        .bucket("MEDIA")
        .map_err(internal("r2 binding"))?
        .put(&storage_path, bytes)
        .http_metadata(metadata)
        .execute()
        .await
        .map_err(internal("resume put"))?;
    let now = rfc3339_ms(now_ms());
    let file_name = kind.display_file_name(&file.name());
    let row = store::NewResume {
        id: &id,
        candidate_id: &me.user_id,
        file_name: &file_name,
        content_type: kind.stored_content_type(),
        size_bytes: size,
        storage_path: &storage_path,
        now: &now,
    };
    let db = ctx.db()?;
    let inserted = quota_store::insert_resume_within(db, &row, max_count, max_bytes, &since)
        .await
        .map_err(internal("resume insert"))?;
    if !inserted {
        // Over a quota (another upload won the race, or this file does not fit the day's bytes):
        // the stored object goes, and the answer names the quota.
        if let Err(e) = ctx.env.bucket("MEDIA").map_err(internal("r2 binding"))?.delete(&storage_path).await {
            log_error("resume quota cleanup", &e);
        }
        let usage =
            quota_store::resume_usage(db, &me.user_id, &since).await.map_err(internal("resume usage"))?;
        return Err(if usage.count >= i64::from(max_count) {
            quotas::too_many_resumes(max_count)
        } else {
            quotas::resume_bytes_exceeded(max_bytes)
        });
    }
    log_event("resume_uploaded", json!({ "resume_id": id, "kind": kind.as_str(), "size_bytes": size }));
    // Parsing happens in the parse queue's consumer, one résumé per invocation, never in this
    // request. Should the queue refuse the message, the résumé stays `pending` and the cron
    // enqueues it again.
    if let Err(e) = parsing::enqueue(ctx.env, &id).await {
        log_error("resume enqueue", &e);
    }
    json(202, &json!({ "resume_id": id, "parsing_status": "pending" }))
}

/// A stored résumé row as the API shows it.
fn present_resume(mut row: Value) -> Value {
    let parsed = row["parsed_data"].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok());
    let attempts = row["parse_attempts"].as_f64().unwrap_or(0.0);
    let failed = row["parsing_status"] == "failed";
    if let Some(obj) = row.as_object_mut() {
        obj.insert("parsed_data".into(), parsed.unwrap_or(Value::Null));
        let code = obj.remove("parse_error_code").unwrap_or(Value::Null);
        let reason = obj.remove("parse_error").unwrap_or(Value::Null);
        let error = if reason.is_null() { Value::Null } else { json!({ "code": code, "reason": reason }) };
        obj.insert("parsing_error".into(), error);
        #[allow(clippy::cast_precision_loss)]
        let retry = failed && attempts < MAX_PARSE_ATTEMPTS as f64;
        obj.insert("will_retry".into(), json!(retry));
    }
    row
}

/// `?skip=&limit=` (default 0 and 50, limit 1–100).
fn paging(pairs: &[(String, String)]) -> Result<(u32, u32), ApiError> {
    let (mut skip, mut limit) = (0u32, crate::http::listing::DEFAULT_LIMIT);
    for (k, v) in pairs {
        match k.as_str() {
            "skip" => {
                skip = v.parse().map_err(|_| ApiError::field("skip", "Must be a non-negative integer."))?
            }
            "limit" => limit = parse_limit(Some(v))?,
            _ => {}
        }
    }
    Ok((skip, limit))
}

/// `GET /api/v1/resumes`: the caller's résumés, newest first.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let (skip, limit) = paging(&query_pairs(&req)?)?;
    let (rows, total) = store::list_for_candidate(ctx.db()?, &me.user_id, skip, limit)
        .await
        .map_err(internal("resume list"))?;
    let resumes: Vec<Value> = rows.into_iter().map(present_resume).collect();
    json(200, &json!({ "resumes": resumes, "total_count": total, "skip": skip, "limit": limit }))
}

/// Loads a résumé the caller may read (its owner, or staff of an organization that may see the
/// candidate: docs/organizations.md; others 404).
async fn readable(ctx: &Ctx<'_>, me: &crate::auth::access::Principal, id: &str) -> Result<Value, ApiError> {
    let id = resume_id(id)?;
    let db = ctx.db()?;
    let row = store::get(db, &id).await.map_err(internal("resume get"))?.ok_or_else(ApiError::not_found)?;
    let owner = row["candidate_id"].as_str().unwrap_or_default();
    let in_org = match me.org_id.as_deref() {
        Some(org) if me.role.is_staff() && owner != me.user_id => {
            crate::store::users::visible_to_org(db, owner, org)
                .await
                .map_err(internal("resume visibility"))?
        }
        _ => false,
    };
    me.can_read(owner, in_org)?;
    Ok(row)
}

/// `GET /api/v1/resumes/{id}`.
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let row = readable(ctx, &me, id).await?;
    json(200, &present_resume(row))
}

/// Stored feedback as the API shows it; candidates get the delivered content only.
fn present_feedback(mut row: Value, staff: bool) -> Value {
    for key in ["identified_gaps", "recommended_resources"] {
        let parsed = row[key].as_str().and_then(|s| serde_json::from_str::<Value>(s).ok());
        row[key] = parsed.unwrap_or_else(|| json!([]));
    }
    if staff {
        return row;
    }
    json!({
        "id": row["id"],
        "resume_id": row["resume_id"],
        "status": row["status"],
        "feedback_content": row["feedback_content"],
        "identified_gaps": row["identified_gaps"],
        "recommended_resources": row["recommended_resources"],
        "sent_at": row["sent_at"],
    })
}

fn feedback_not_ready() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "Feedback for this resume is not available yet.")
}

/// `GET /api/v1/resumes/{id}/feedback`: staff see it in any state (with its delivery); the
/// candidate only once it is `sent`.
pub async fn feedback(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let resume = readable(ctx, &me, id).await?;
    let db = ctx.db()?;
    let resume_id = resume["id"].as_str().unwrap_or_default();
    let row = store::feedback_for_resume(db, resume_id)
        .await
        .map_err(internal("feedback get"))?
        .ok_or_else(feedback_not_ready)?;
    let staff = me.role.is_staff();
    if !staff && row["status"] != FeedbackStatus::Sent.as_str() {
        return Err(feedback_not_ready());
    }
    let feedback_id = row["id"].as_str().unwrap_or_default().to_owned();
    let mut body = present_feedback(row, staff);
    if staff {
        body["delivery"] = store::delivery_for(db, &feedback_id)
            .await
            .map_err(internal("delivery get"))?
            .unwrap_or(Value::Null);
    }
    json(200, &body)
}

/// `POST /api/v1/resumes/{id}/feedback/approve` `{feedback_content?}` (recruiters and admins):
/// approves (and optionally edits) the feedback, then delivers it at once in the background; the
/// cron retries what this attempt could not finish.
pub async fn approve(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_staff_writer()?;
    let mut f = read_json(&mut req).await?;
    let content = f.optional_str("feedback_content", 1..=MAX_FEEDBACK_CHARS, true);
    f.finish()?;
    let resume = readable(ctx, &me, id).await?;
    let db = ctx.db()?;
    let resume_id = resume["id"].as_str().unwrap_or_default();
    let row = store::feedback_for_resume(db, resume_id)
        .await
        .map_err(internal("feedback get"))?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "This resume has no feedback yet."))?;
    let feedback_id = row["id"].as_str().unwrap_or_default().to_owned();
    let now = rfc3339_ms(now_ms());
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let approved = store::approve(db, &feedback_id, content.as_deref(), &me.user_id, &delivery_id, &now)
        .await
        .map_err(internal("feedback approve"))?;
    if !approved && content.is_some() {
        return Err(ApiError::field(
            "feedback_content",
            "The feedback was already sent and can no longer be edited.",
        ));
    }
    if approved {
        log_event("feedback_approved", json!({ "feedback_id": feedback_id, "edited": content.is_some() }));
        let (env, config, fid) = (ctx.env.clone(), ctx.config.clone(), feedback_id.clone());
        ctx.worker_ctx.wait_until(async move {
            if let Err(e) = jobs::deliver(&env, &config, &fid).await {
                log_error("feedback delivery", &e);
            }
        });
    }
    let row = store::feedback(db, &feedback_id)
        .await
        .map_err(internal("feedback get"))?
        .ok_or_else(ApiError::internal)?;
    json(200, &present_feedback(row, true))
}

/// `GET /api/v1/recruiter/feedback?status=&skip=&limit=` (staff).
pub async fn recruiter_list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?;
    let pairs = query_pairs(&req)?;
    let (skip, limit) = paging(&pairs)?;
    let status = match pairs.iter().find(|(k, _)| k == "status").map(|(_, v)| v.as_str()) {
        None => None,
        Some(s) if FEEDBACK_STATUSES.contains(&s) => Some(s.to_owned()),
        Some(_) => {
            return Err(ApiError::field("status", "Must be one of pending_approval, approved, sent."));
        }
    };
    let (rows, total) = store::list_feedback(ctx.db()?, org, status.as_deref(), skip, limit)
        .await
        .map_err(internal("feedback list"))?;
    let feedback: Vec<Value> = rows.into_iter().map(|r| present_feedback(r, true)).collect();
    json(200, &json!({ "feedback": feedback, "total_count": total, "skip": skip, "limit": limit }))
}
