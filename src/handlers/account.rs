//! The account lifecycle (docs/accounts.md): sign-in sessions and signing them out, password
//! reset by an emailed link, password change, email verification. The rules are in
//! `domain::account`; the SQL in `store::accounts`. Logs carry user ids only, never an address
//! or a token.

use serde_json::json;
use worker::Request;

use super::auth::{account_key, check_client_lock, count_failure, hash_password, password_ok, throttle};
use super::invitations::{base_url, new_token, send_soon};
use super::seam::close_sockets;
use super::{client_ip, internal, json, json_const, read_json, Ctx, HandlerResult};
use crate::auth::{validate_password, Email};
use crate::domain::account::{self as rules, PASSWORD_RESET, VERIFY_EMAIL};
use crate::domain::enums::UserStatus;
use crate::domain::invitation::{is_token_shaped, token_hash};
use crate::domain::mail::{self, OutgoingMail};
use crate::domain::rate_limit::Rule;
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::http::error::{ApiError, ErrorCode};
use crate::platform::{log_event, now_ms};
use crate::store::{self, accounts};

const HOUR_MS: i64 = 3_600_000;
/// The account emails the per-address cap counts (`MailKind`s, as a JSON array for the query).
const ACCOUNT_MAILS: &str = r#"["email_verification","password_reset","registration_attempt"]"#;

/// The one answer of registration (verification on) and of a resent verification link.
pub const VERIFICATION_SENT: &str = r#"{"status":"verification_sent",
"message":"Check your inbox: we sent a link to confirm your email address."}"#;

/// Whether `to` may get one more account email this hour (`ACCOUNT_EMAILS_PER_HOUR`); past the
/// cap, requests answer the same and nothing is sent.
async fn under_cap(ctx: &Ctx<'_>, to: &str) -> Result<bool, ApiError> {
    let since = rfc3339_ms(now_ms() - HOUR_MS);
    let sent = accounts::mails_since(ctx.db()?, to, ACCOUNT_MAILS, &since)
        .await
        .map_err(internal("account mail count"))?;
    Ok(sent < u64::from(ctx.config.account_emails_per_hour))
}

/// Queues `message` (plus `extra` statements in the same batch) and sends it after the response.
async fn queue(
    ctx: &Ctx<'_>,
    message: &OutgoingMail,
    mut statements: Vec<crate::store::Statement>,
) -> Result<(), ApiError> {
    let db = ctx.db()?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = rfc3339_ms(now_ms());
    statements.push(
        store::mail::enqueue(db, &id, message, None, &format!("account:{id}"), &now)
            .map_err(internal("mail enqueue"))?,
    );
    db.batch(statements).await.map_err(internal("account mail"))?;
    send_soon(ctx);
    Ok(())
}

/// Emails user `user_id` (at `email`) a fresh single-use link for `purpose` (verification or
/// reset), unless the address is past its hourly cap.
pub(super) async fn send_link(
    ctx: &Ctx<'_>,
    req: &Request,
    user_id: &str,
    email: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    if !under_cap(ctx, email).await? {
        log_event("account_mail_capped", json!({ "user_id": user_id, "purpose": purpose }));
        return Ok(());
    }
    let token = new_token()?;
    let now = now_ms();
    let (page, ttl_ms) = if purpose == VERIFY_EMAIL {
        ("verify", ctx.config.email_verification_ttl_hours * HOUR_MS as f64)
    } else {
        ("reset", ctx.config.password_reset_ttl_minutes * 60_000.0)
    };
    #[allow(clippy::cast_possible_truncation)]
    let expires_at = rfc3339_ms(now + ttl_ms as i64);
    let link = rules::link(&base_url(req, ctx)?, page, &token);
    let message = if purpose == VERIFY_EMAIL {
        mail::email_verification(email, &link, &expires_at)
    } else {
        mail::password_reset(email, &link, &expires_at)
    };
    let stored = accounts::insert_token(
        ctx.db()?,
        &token_hash(&token),
        user_id,
        purpose,
        &rfc3339_ms(now),
        &expires_at,
    )
    .map_err(internal("account token"))?;
    queue(ctx, &message, vec![stored]).await?;
    log_event("account_link_sent", json!({ "user_id": user_id, "purpose": purpose }));
    Ok(())
}

/// Tells the owner of `email` that someone tried to register with it (verification on).
pub(super) async fn send_registration_attempt(
    ctx: &Ctx<'_>,
    req: &Request,
    email: &str,
) -> Result<(), ApiError> {
    if under_cap(ctx, email).await? {
        let reset = format!("{}/#/reset", base_url(req, ctx)?.trim_end_matches('/'));
        queue(ctx, &mail::registration_attempt(email, &reset), Vec::new()).await?;
    }
    Ok(())
}

/// Uses the emailed link `token` for `purpose`, once: its user's id. 400 `LINK_INVALID`,
/// 410 `LINK_USED` or `LINK_EXPIRED` otherwise.
async fn use_link(ctx: &Ctx<'_>, token: &str, purpose: &str) -> Result<String, ApiError> {
    if !is_token_shaped(token) {
        return Err(rules::link_invalid());
    }
    let now = now_ms();
    let row = accounts::use_token(ctx.db()?, &token_hash(token), purpose, &rfc3339_ms(now))
        .await
        .map_err(internal("account token"))?
        .ok_or_else(rules::link_invalid)?;
    if let Some(user_id) = row["user_id"].as_str() {
        return Ok(user_id.to_owned());
    }
    let expires = row["expires_at"].as_str().and_then(parse_rfc3339_ms).unwrap_or(0);
    rules::check_link(row["used"].as_i64() != Some(0), expires, now)?;
    Err(rules::link_invalid())
}

/// `GET /api/v1/auth/sessions`: the caller's live sessions, `current` marking this token's.
pub async fn sessions(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let rows = accounts::live_sessions(ctx.db()?, &me.user_id, &rfc3339_ms(now_ms()))
        .await
        .map_err(internal("sessions"))?;
    let items: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|mut row| {
            let current = row["id"].as_str().is_some_and(|id| me.session.as_deref() == Some(id));
            row["current"] = json!(current);
            row
        })
        .collect();
    json(200, &json!({ "items": items }))
}

/// `DELETE /api/v1/auth/sessions/{id}`: signs one of the caller's sessions out (404 for any
/// other id) and closes its sockets. `POST /api/v1/auth/sessions/revoke-all` (`id` = `None`):
/// signs out every session of the account, this one included, and closes every socket.
pub async fn revoke(req: Request, ctx: &Ctx<'_>, id: Option<&str>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let id = match id {
        Some(id) => Some(super::seam::interview_id(id)?),
        None => None,
    };
    let revoked = accounts::revoke(ctx.db()?, &me.user_id, id.as_deref(), None, &rfc3339_ms(now_ms()))
        .await
        .map_err(internal("session revoke"))?;
    if id.is_some() && revoked == 0 {
        return Err(ApiError::not_found());
    }
    close_sockets(ctx, &me.user_id, id.clone(), None).await;
    log_event("sessions_revoked", json!({ "user_id": me.user_id, "count": revoked }));
    json(200, &json!({ "revoked": revoked }))
}

/// `POST /api/v1/auth/password-reset {email}` → always 202 with the same body. A known, active
/// account gets a single-use link (under the per-address cap); 429 `RATE_LIMITED` past the
/// per-client throttle.
pub async fn reset_request(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let rule = Rule { capacity: 10, refill_per_minute: 10.0 / 60.0 };
    ctx.rate_limit(&format!("password-reset:{}", client_ip(&req)), rule, ErrorCode::RateLimited).await?;
    let mut f = read_json(&mut req).await?;
    let email = f.required_str("email", 1..=254, true);
    let email = email.and_then(|e| Email::parse(&e).map_err(|m| f.error("email", m)).ok());
    f.finish()?;
    let email = email.ok_or_else(ApiError::internal)?.into_string();
    let user = store::users::by_email(ctx.db()?, &email).await.map_err(internal("reset lookup"))?;
    if let Some(user) = user.filter(|u| u.status == UserStatus::Active) {
        send_link(ctx, &req, &user.id, &user.email, PASSWORD_RESET).await?;
    }
    json_const(
        202,
        r#"{"status":"reset_requested","message":"If an account uses this address, we sent it a link to choose a new password."}"#,
    )
}

/// `POST /api/v1/auth/password-reset/confirm {token, password}` (`purpose` = reset): sets the
/// password (policy checked first), uses the link, signs out every session and closes every
/// socket. `POST /api/v1/auth/verify {token}` (`purpose` = verification): verifies the address of
/// the link's account, once. One handler: both use an emailed link.
pub async fn use_emailed_link(mut req: Request, ctx: &Ctx<'_>, purpose: &str) -> HandlerResult {
    let reset = purpose == PASSWORD_RESET;
    throttle(ctx, &req, purpose).await?;
    let mut f = read_json(&mut req).await?;
    let token = f.required_str("token", 1..=200, true);
    let password = if reset { f.required_str("password", 1..=1024, false) } else { None };
    let password =
        password.and_then(|p| validate_password(&p).map_err(|m| f.error("password", m)).ok().map(|()| p));
    f.finish()?;
    let token = token.ok_or_else(ApiError::internal)?;
    // Hashed before the link is used, so a failure here leaves the link usable.
    let hash = match password {
        Some(p) => Some(hash_password(&p).await?),
        None if reset => return Err(ApiError::internal()),
        None => None,
    };
    let user_id = use_link(ctx, &token, purpose).await?;
    let db = ctx.db()?;
    let now = rfc3339_ms(now_ms());
    log_event("account_link_used", json!({ "user_id": user_id, "purpose": purpose }));
    let Some(hash) = hash else {
        accounts::mark_verified(db, &user_id, &now).await.map_err(internal("verify"))?;
        return json_const(200, r#"{"status":"verified","email_verified":true}"#);
    };
    let set = accounts::set_password(db, &user_id, &hash, true, &now).map_err(internal("password set"))?;
    let revoke =
        accounts::revoke_sessions(db, &user_id, None, None, &now).map_err(internal("session revoke"))?;
    db.batch(vec![set, revoke]).await.map_err(internal("password reset"))?;
    close_sockets(ctx, &user_id, None, None).await;
    json_const(200, r#"{"status":"password_reset"}"#)
}

/// `POST /api/v1/auth/password {current_password, new_password}`: 403 `WRONG_PASSWORD` for a
/// wrong current password (counted like a failed login: the same per-client lockout); then
/// every other session is signed out and its sockets closed; this one stays valid.
pub async fn change_password(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let mut f = read_json(&mut req).await?;
    let current = f.required_str("current_password", 1..=1024, false);
    let new = f.required_str("new_password", 1..=1024, false);
    let new =
        new.and_then(|p| validate_password(&p).map_err(|m| f.error("new_password", m)).ok().map(|()| p));
    f.finish()?;
    let (Some(current), Some(new)) = (current, new) else { return Err(ApiError::internal()) };
    let db = ctx.db()?;
    let user = store::users::by_id(db, &me.user_id)
        .await
        .map_err(internal("user lookup"))?
        .ok_or_else(ApiError::unauthorized)?;
    let (key, ip, now) = (account_key(&user.email).await?, client_ip(&req), now_ms());
    check_client_lock(db, &key, &ip, now).await?;
    if !password_ok(Some(&user), &current).await? {
        count_failure(ctx, db, &key, &ip, now).await?;
        return Err(ApiError::new(ErrorCode::WrongPassword, "The current password is not correct."));
    }
    let hash = hash_password(&new).await?;
    let now = rfc3339_ms(now);
    let set = accounts::set_password(db, &user.id, &hash, false, &now).map_err(internal("password set"))?;
    let revoke = accounts::revoke_sessions(db, &user.id, None, me.session.as_deref(), &now)
        .map_err(internal("session revoke"))?;
    let results = db.batch(vec![set, revoke]).await.map_err(internal("password change"))?;
    let revoked = accounts::changed(&results, 1);
    close_sockets(ctx, &user.id, None, me.session.clone()).await;
    log_event("password_changed", json!({ "user_id": user.id, "sessions_revoked": revoked }));
    json(200, &json!({ "status": "password_changed", "sessions_revoked": revoked }))
}

/// `POST /api/v1/auth/verify/resend` (signed in): a new verification link (3 per hour per
/// account, 429 `RATE_LIMITED` past it); 200 `already_verified` for a verified address.
pub async fn resend(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    if me.email_verified {
        return json_const(200, r#"{"status":"already_verified"}"#);
    }
    let rule = Rule { capacity: 3, refill_per_minute: 3.0 / 60.0 };
    ctx.rate_limit(&format!("verify-resend:{}", me.user_id), rule, ErrorCode::RateLimited).await?;
    let user = store::users::by_id(ctx.db()?, &me.user_id)
        .await
        .map_err(internal("user lookup"))?
        .ok_or_else(ApiError::unauthorized)?;
    send_link(ctx, &req, &user.id, &user.email, VERIFY_EMAIL).await?;
    json_const(202, VERIFICATION_SENT)
}
