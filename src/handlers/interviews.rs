//! `/api/v1/interviews`: the Worker side of interviews. It authenticates, validates and forwards
//! to the interview's Durable Object (the single writer), which also checks ownership; the
//! candidate's list comes from D1.

use serde_json::{json, Value};
use worker::{Headers, Method, Request, RequestInit, Response};

use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::enums::{InterviewMode, RoleType};
use crate::domain::interviewer::tailor_skill_areas;
use crate::domain::rate_limit::Rule;
use crate::http::error::{ApiError, ErrorCode};
use crate::store;

/// Longest answer, in characters after trimming (SPEC.md §4.3).
pub const MAX_ANSWER_CHARS: usize = 2000;

const ROLE_TYPES: &[&str] = &["react", "python", "javascript", "fullstack"];
const MODES: &[&str] = &["text", "voice"];

/// Interview ids are UUIDs; anything else cannot exist (and never reaches a Durable Object).
pub fn interview_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

/// The stub of the interview's Durable Object (one per interview, named by its id).
pub fn interview_stub(ctx: &Ctx<'_>, id: &str) -> Result<worker::Stub, ApiError> {
    let namespace = ctx.env.durable_object("INTERVIEW").map_err(internal("interview namespace"))?;
    namespace.id_from_name(id).and_then(|oid| oid.get_stub()).map_err(internal("interview stub"))
}

/// Calls the interview's DO at `path` on behalf of `who`, mapping its answer back.
pub async fn forward(
    ctx: &Ctx<'_>,
    who: &Principal,
    id: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> HandlerResult {
    let stub = interview_stub(ctx, id)?;
    let headers = Headers::new();
    let _ = headers.set("X-User-Id", &who.user_id);
    let _ = headers.set("X-User-Role", who.role.as_str());
    let _ = headers.set("Content-Type", "application/json");
    let init =
        RequestInit { method, headers, body: body.map(|b| b.to_string().into()), ..RequestInit::default() };
    let req = Request::new_with_init(&format!("https://interview.internal{path}"), &init)
        .map_err(internal("do request"))?;
    let mut resp = stub.fetch_with_request(req).await.map_err(internal("interview do"))?;
    let status = resp.status_code();
    let body = resp.text().await.map_err(internal("interview do body"))?;
    if status >= 400 {
        let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        return Err(ApiError::from_internal(&value).unwrap_or_else(ApiError::internal));
    }
    // The DO already wrote JSON: pass it through instead of parsing and re-serialising it.
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    Ok(Response::ok(body).map_err(internal("interview response"))?.with_status(status).with_headers(headers))
}

/// `POST /api/v1/interviews/start` (and `POST /api/v1/interviews`).
pub async fn start(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    if me.role.is_staff() {
        return Err(ApiError::new(ErrorCode::Forbidden, "Only candidates take interviews."));
    }
    let mut f = read_json(&mut req).await?;
    let role_type = f.required_enum("role_type", RoleType::parse, ROLE_TYPES);
    let resume_id = f.optional_str("resume_id", 1..=64, true);
    let mode = f.optional_enum("mode", InterviewMode::parse, MODES).unwrap_or(InterviewMode::Text);
    f.finish()?;
    let role_type = role_type.ok_or_else(ApiError::internal)?;
    let per_hour = ctx.config.starts_per_hour.max(1);
    let rule = Rule { capacity: per_hour, refill_per_minute: f64::from(per_hour) / 60.0 };
    ctx.rate_limit(&format!("starts:{}", me.user_id), rule, ErrorCode::RateLimited).await?;
    let skill_areas = match &resume_id {
        None => None,
        Some(rid) => Some(resume_skill_areas(ctx, &me, rid, role_type).await?),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "interview_id": id,
        "candidate_id": me.user_id,
        "role_type": role_type,
        "mode": mode,
        "resume_id": resume_id,
        "skill_areas": skill_areas,
    });
    forward(ctx, &me, &id, Method::Post, "/start", Some(&body)).await
}

/// The skill areas a caller's parsed resume suggests for `role`.
async fn resume_skill_areas(
    ctx: &Ctx<'_>,
    me: &Principal,
    resume_id: &str,
    role: RoleType,
) -> Result<Vec<String>, ApiError> {
    let row = store::resumes::parsed_data(&ctx.db()?, resume_id)
        .await
        .map_err(internal("resume lookup"))?
        .filter(|r| r.candidate_id == me.user_id)
        .ok_or_else(|| ApiError::field("resume_id", "No such resume."))?;
    let skills: Vec<String> = row
        .parsed_data
        .and_then(|p| serde_json::from_str::<Value>(&p).ok())
        .and_then(|p| p.get("skills").cloned())
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    Ok(tailor_skill_areas(role, &skills))
}

/// `GET /api/v1/interviews`: the caller's interviews, newest first.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let url = req.url().map_err(internal("url"))?;
    let mut skip = 0u32;
    let mut limit = 50u32;
    let mut errors = Vec::new();
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "skip" => match v.parse::<u32>() {
                Ok(n) => skip = n,
                Err(_) => errors.push(("skip", "Must be a non-negative integer.")),
            },
            "limit" => match v.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => limit = n,
                _ => errors.push(("limit", "Must be an integer between 1 and 100.")),
            },
            _ => {}
        }
    }
    if let Some((field, message)) = errors.first() {
        return Err(ApiError::field(field, *message));
    }
    let (rows, total) = store::interviews::list_for_candidate(&ctx.db()?, &me.user_id, skip, limit)
        .await
        .map_err(internal("list"))?;
    json(200, &json!({ "interviews": rows, "total_count": total, "skip": skip, "limit": limit }))
}

/// Read routes forwarded as they are: view, status, messages, latest, transcript.
pub async fn read(req: Request, ctx: &Ctx<'_>, id: &str, do_path: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned));
    let path = match query {
        Some(q) if do_path == "/messages" => format!("{do_path}?{q}"),
        _ => do_path.to_owned(),
    };
    forward(ctx, &me, &id, Method::Get, &path, None).await
}

/// `POST /api/v1/interviews/{id}/messages`: a text answer (JSON), or a legacy voice answer
/// (multipart `audio_file`).
pub async fn answer(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        if !content_type.to_ascii_lowercase().contains("boundary=") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "A multipart body needs a boundary parameter in its Content-Type.",
            ));
        }
        return super::voice::answer(req, ctx, &me, &id).await;
    }
    let key = req.headers().get("Idempotency-Key").ok().flatten();
    let mut f = read_json(&mut req).await?;
    let text = f.required_str("message_text", 1..=MAX_ANSWER_CHARS, true);
    let metadata = f.optional_object("client_metadata", |m| {
        let pasted = m.optional_bool("pasted");
        let typing_ms = m.optional_u64("typing_ms", 0..=86_400_000);
        Some(json!({ "pasted": pasted, "typing_ms": typing_ms }))
    });
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 200 || !k.bytes().all(|b| b.is_ascii_graphic()) {
            f.error("Idempotency-Key", "Must be 1 to 200 visible ASCII characters.");
        }
    }
    f.finish()?;
    let body = json!({
        "message_text": text.ok_or_else(ApiError::internal)?,
        "client_metadata": metadata.unwrap_or(Value::Null),
        "idempotency_key": key,
    });
    forward(ctx, &me, &id, Method::Post, "/turn", Some(&body)).await
}

/// `POST /api/v1/interviews/{id}/messages/retry` and `/complete`: no body.
pub async fn action(req: Request, ctx: &Ctx<'_>, id: &str, do_path: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    forward(ctx, &me, &id, Method::Post, do_path, Some(&json!({}))).await
}

/// `POST /api/v1/interviews/{id}/tech-check`.
pub async fn tech_check(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let mut f = read_json(&mut req).await?;
    let microphone_ok = f.required_bool("microphone_ok");
    let camera_ok = f.required_bool("camera_ok");
    let browser = f.required_str("browser", 1..=200, true);
    let sample_rate_hz = f.optional_u64("sample_rate_hz", 8_000..=384_000);
    let notes = f.optional_str("notes", 0..=1000, true);
    f.finish()?;
    let body = json!({
        "microphone_ok": microphone_ok,
        "camera_ok": camera_ok,
        "browser": browser,
        "sample_rate_hz": sample_rate_hz,
        "notes": notes,
    });
    forward(ctx, &me, &id, Method::Post, "/tech-check", Some(&body)).await
}

/// `POST /api/v1/interviews/{id}/video-consent`.
pub async fn video_consent(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let mut f = read_json(&mut req).await?;
    let consent = f.required_bool("consent");
    f.finish()?;
    forward(ctx, &me, &id, Method::Post, "/video-consent", Some(&json!({ "consent": consent }))).await
}
