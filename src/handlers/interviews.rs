//! `/api/v1/interviews`: the Worker side of interviews. It authenticates, validates and forwards
//! to the interview's Durable Object (the single writer), which also checks ownership; the
//! candidate's list comes from D1.

use serde_json::{json, Value};
use worker::Request;

use super::seam::{forward, interview_id};
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::AuditAction;
use crate::domain::enums::{InterviewMode, RoleType};
use crate::domain::interviewer::tailor_skill_areas;
use crate::domain::rate_limit::Rule;
use crate::http::error::{ApiError, ErrorCode};
use crate::ids::{IdempotencyKey, InterviewId, UserId};
use crate::interview::{Answer, MessagesQuery, StartInterview};
use crate::protocol::InterviewRequest;
use crate::store;

/// Longest answer, in characters after trimming (docs/interviews.md#a-turn).
pub const MAX_ANSWER_CHARS: usize = 2000;

const ROLE_TYPES: &[&str] = &["react", "python", "javascript", "fullstack"];
const MODES: &[&str] = &["text", "voice"];

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
    start_guards(ctx, &me).await?;
    let skill_areas = match &resume_id {
        None => None,
        Some(rid) => Some(resume_skill_areas(ctx, &me, rid, role_type).await?),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let body = StartInterview {
        interview_id: InterviewId::new(id.clone()),
        candidate_id: UserId::new(me.user_id.clone()),
        role_type,
        mode,
        resume_id,
        skill_areas,
        // Self-started interviews belong to the default organization (docs/organizations.md).
        org_id: Some(ctx.config.default_org_id.clone()),
        job: None,
    };
    forward(ctx, &me, &id, InterviewRequest::Start(body)).await
}

/// What every start passes first: the account's start rate and its daily spend budget.
///
/// # Errors
/// 429 `RATE_LIMITED` or `QUOTA_EXCEEDED`.
pub(crate) async fn start_guards(ctx: &Ctx<'_>, me: &Principal) -> Result<(), ApiError> {
    if ctx.config.email_verification_required && !me.email_verified {
        return Err(ApiError::new(
            ErrorCode::EmailNotVerified,
            "Confirm your email address before starting an interview: use the link we emailed you.",
        ));
    }
    let per_hour = ctx.config.starts_per_hour.max(1);
    let rule = Rule { capacity: per_hour, refill_per_minute: f64::from(per_hour) / 60.0 };
    ctx.rate_limit(&format!("starts:{}", me.user_id), rule, ErrorCode::RateLimited).await?;
    // The account's daily spend budget, across its interviews (docs/security.md#spend-limits).
    let budget = ctx.config.account_daily_spend_micros;
    if budget > 0 {
        let since = crate::domain::time::rfc3339_ms(crate::platform::now_ms() - 86_400_000);
        let spent = store::interviews::spend_since(ctx.db()?, &me.user_id, &since)
            .await
            .map_err(internal("spend lookup"))?;
        if spent >= budget {
            return Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                "This account has used its interview budget for today. Please try again tomorrow.",
            )
            .with_retry_after(3600));
        }
    }
    Ok(())
}

/// The skill areas a caller's parsed resume suggests for `role`.
async fn resume_skill_areas(
    ctx: &Ctx<'_>,
    me: &Principal,
    resume_id: &str,
    role: RoleType,
) -> Result<Vec<String>, ApiError> {
    let row = store::resumes::parsed_data(ctx.db()?, resume_id)
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
    let (rows, total) = store::interviews::list_for_candidate(ctx.db()?, &me.user_id, skip, limit)
        .await
        .map_err(internal("list"))?;
    json(200, &json!({ "interviews": rows, "total_count": total, "skip": skip, "limit": limit }))
}

/// Read routes forwarded as they are: view, status, latest, transcript, assessment.
pub async fn read(req: Request, ctx: &Ctx<'_>, id: &str, request: InterviewRequest) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let audited = matches!(request, InterviewRequest::Assessment) && me.role.is_staff();
    let response = forward(ctx, &me, &id, request).await?;
    if audited && response.status_code() == 200 {
        // A staff member read a candidate's assessment (docs/hiring.md#audit-trail).
        let event = AuditEvent::new(AuditAction::AssessmentViewed, "interview", id.as_str());
        super::audit::record(ctx, &req, &me, &event).await?;
    }
    Ok(response)
}

/// `GET /api/v1/interviews/{id}/messages?skip&limit&after_seq` (the object validates the values).
pub async fn messages(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let mut query = MessagesQuery::default();
    if let Ok(url) = req.url() {
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "skip" => query.skip = Some(v.into_owned()),
                "limit" => query.limit = Some(v.into_owned()),
                "after_seq" => query.after_seq = Some(v.into_owned()),
                _ => {}
            }
        }
    }
    forward(ctx, &me, &id, InterviewRequest::Messages(query)).await
}

/// `POST /api/v1/interviews/{id}/messages`: a text answer (JSON), or a legacy voice answer
/// (multipart `audio_file`).
pub async fn answer(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let me = ctx.authenticate(&req).await?;
        let id = interview_id(id)?;
        if !content_type.to_ascii_lowercase().contains("boundary=") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "A multipart body needs a boundary parameter in its Content-Type.",
            ));
        }
        return super::voice::answer(req, ctx, &me, &id).await;
    }
    // A typed answer: the object checks the token's account (docs/accounts.md#where-the-account-is-checked).
    let bearer = ctx.bearer(&req)?;
    ctx.mark("auth");
    match read_answer(&mut req, id).await {
        Ok((id, answer)) => {
            super::seam::forward_bearer(ctx, bearer, &id, InterviewRequest::Turn(answer)).await
        }
        // A bad request is told so only to a live account, as on every other route.
        Err(e) => Err(ctx.authenticate(&req).await.err().unwrap_or(e)),
    }
}

/// A typed answer's interview id and body, validated.
async fn read_answer(req: &mut Request, id: &str) -> Result<(String, Answer), ApiError> {
    let id = interview_id(id)?;
    let key = req.headers().get("Idempotency-Key").ok().flatten();
    let mut f = read_json(req).await?;
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
    let answer = Answer {
        message_text: text.ok_or_else(ApiError::internal)?,
        client_metadata: metadata.unwrap_or(Value::Null),
        idempotency_key: key.map(IdempotencyKey::new),
        audio_url: None,
    };
    Ok((id, answer))
}

/// `POST /api/v1/interviews/{id}/messages/retry` and `/complete`: no body.
pub async fn action(req: Request, ctx: &Ctx<'_>, id: &str, request: InterviewRequest) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    forward(ctx, &me, &id, request).await
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
    forward(ctx, &me, &id, InterviewRequest::TechCheck(body)).await
}

/// `POST /api/v1/interviews/{id}/video-consent`.
pub async fn video_consent(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = interview_id(id)?;
    let mut f = read_json(&mut req).await?;
    let consent = f.required_bool("consent");
    f.finish()?;
    let consent = consent.ok_or_else(ApiError::internal)?;
    forward(ctx, &me, &id, InterviewRequest::VideoConsent { consent }).await
}
