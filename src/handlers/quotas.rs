//! Per-account quotas (docs/security.md#quotas), each configurable in `[vars]`, each answering
//! the error envelope: 429 `RATE_LIMITED` with `Retry-After` for a rate (uploads per hour,
//! tickets per minute, video bytes per day), 429 `QUOTA_EXCEEDED` for a stored amount (résumés
//! per candidate, résumé bytes per day), 413 `PAYLOAD_TOO_LARGE` for one request that can never
//! fit. Rates live in the limiter DO (atomic per key); the résumé amounts are counted in D1 and
//! enforced by a conditional insert (see `store::quotas`).

use super::Ctx;
use crate::auth::access::Principal;
use crate::domain::rate_limit::{Quota, Rule};
use crate::http::error::{ApiError, ErrorCode};

/// Realtime tickets per user per minute (`REALTIME_TICKETS_PER_MINUTE`).
///
/// # Errors
/// 429 `RATE_LIMITED` with `Retry-After`.
pub async fn ticket(ctx: &Ctx<'_>, me: &Principal) -> Result<(), ApiError> {
    let per_minute = ctx.config.realtime_tickets_per_minute.max(1);
    let rule = Rule { capacity: per_minute, refill_per_minute: f64::from(per_minute) };
    ctx.rate_limit(&format!("tickets:{}", me.user_id), rule, ErrorCode::RateLimited).await
}

/// Résumé uploads per candidate per hour (`RESUME_UPLOADS_PER_HOUR`), taken before the body is
/// read.
///
/// # Errors
/// 429 `RATE_LIMITED` with `Retry-After`.
pub async fn resume_upload(ctx: &Ctx<'_>, me: &Principal) -> Result<(), ApiError> {
    let per_hour = ctx.config.resume_uploads_per_hour.max(1);
    let rule = Rule { capacity: per_hour, refill_per_minute: f64::from(per_hour) / 60.0 };
    ctx.rate_limit(&format!("resume-uploads:{}", me.user_id), rule, ErrorCode::RateLimited).await
}

/// The answer when a candidate has as many résumés as `RESUMES_PER_CANDIDATE` allows.
#[must_use]
pub fn too_many_resumes(max: u32) -> ApiError {
    ApiError::new(ErrorCode::QuotaExceeded, format!("You can store at most {max} resumes."))
}

/// The answer when `RESUME_BYTES_PER_DAY` would be exceeded.
#[must_use]
pub fn resume_bytes_exceeded(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::QuotaExceeded,
        format!("You can upload at most {max} bytes of resumes per day. Please retry tomorrow."),
    )
    .with_retry_after(3600)
}

/// Invitation emails per organization per day (`INVITATION_EMAILS_PER_DAY`): every invitation,
/// resend and staff invitation is an email, a paid call to the mail provider. Taken before
/// anything is written, for all of a bulk request's addresses at once.
///
/// # Errors
/// 429 `RATE_LIMITED` with `Retry-After` when the day's emails are used up (or `count` exceeds
/// a whole day's).
pub async fn invitation_emails(ctx: &Ctx<'_>, org: &str, count: u64) -> Result<(), ApiError> {
    if count == 0 {
        return Ok(());
    }
    let max = ctx.config.invitation_emails_per_day;
    ctx.take_quota(
        &format!("invite-emails:{org}"),
        Quota::per_day(max),
        count,
        &format!("Your organization can send at most {max} invitation emails per day. Please retry later."),
    )
    .await
}

/// Video bytes per candidate per day (`VIDEO_BYTES_PER_DAY`), charged for each chunk before its
/// bytes reach the interview's DO (a refused chunk is stored nowhere; a resent one counts again).
///
/// # Errors
/// 413 `PAYLOAD_TOO_LARGE` for a chunk larger than the whole daily quota; 429 `RATE_LIMITED`
/// with `Retry-After` when the day's quota is used up.
pub async fn video_bytes(ctx: &Ctx<'_>, me: &Principal, size: u64) -> Result<(), ApiError> {
    let max = ctx.config.video_bytes_per_day;
    if size > max {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The chunk has {size} bytes; at most {max} video bytes can be uploaded per day."),
        ));
    }
    ctx.take_quota(
        &format!("video-bytes:{}", me.user_id),
        Quota::per_day(max),
        size,
        "The daily video upload quota is used up. Please retry later.",
    )
    .await
}
