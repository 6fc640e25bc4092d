//! `/api/v1/auth`: register, login, logout, refresh, me (docs/accounts.md).
//!
//! Wrong email and wrong password answer the same 401 after the same PBKDF2 work, so neither
//! the message nor the timing tells whether an account exists. Logs carry user ids only.

use worker::Request;

use super::{client_ip, internal, json, read_json, Ctx, HandlerResult};
use crate::auth::lockout::{self, account_subject, LockoutPolicy};
use crate::auth::{validate_full_name, validate_optional_phone, validate_password, Email, PasswordHash};
use crate::auth::{HASH_LEN, PBKDF2_ITERATIONS, SALT_LEN};
use crate::domain::enums::{UserRole, UserStatus};
use crate::domain::rate_limit::Rule;
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::http::error::{ApiError, ErrorCode};
use crate::platform::{log_event, now_ms};
use crate::store::{self, users::NewUser};
use crate::webcrypto;

/// The one message for every failed login.
const BAD_CREDENTIALS: &str = "Invalid email or password.";

/// Per-IP throttle shared by login and register.
pub(crate) async fn throttle(ctx: &Ctx<'_>, req: &Request, action: &str) -> Result<(), ApiError> {
    let per_minute = ctx.config.auth_ip_rate_per_minute;
    let rule = Rule { capacity: per_minute.max(1), refill_per_minute: f64::from(per_minute.max(1)) };
    ctx.rate_limit(&format!("auth-ip:{action}:{}", client_ip(req)), rule, ErrorCode::RateLimited).await
}

/// Hashes a password with a fresh salt at the current parameters.
pub async fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = webcrypto::random_bytes(SALT_LEN).map_err(|e| {
        crate::platform::log_error("random", &e);
        ApiError::internal()
    })?;
    let hash = derive(password, &salt, PBKDF2_ITERATIONS, HASH_LEN).await?;
    Ok(PasswordHash::with_current_params(salt, hash).encode())
}

async fn derive(password: &str, salt: &[u8], iterations: u32, len: usize) -> Result<Vec<u8>, ApiError> {
    webcrypto::pbkdf2_sha256(password.as_bytes(), salt, iterations, len).await.map_err(|e| {
        crate::platform::log_error("pbkdf2", &format!("{e:?}"));
        ApiError::internal()
    })
}

/// A salt for the dummy derivation done when the email is unknown (equal work, no account).
const DUMMY_SALT: [u8; SALT_LEN] = [0x5a; SALT_LEN];

/// The token answer shared by register, login, refresh and staff-invite acceptance: a token of
/// sign-in session `sid`, and its expiry (ms).
pub(crate) fn token_body(
    ctx: &Ctx<'_>,
    user_id: &str,
    role: UserRole,
    email: &str,
    email_verified: bool,
    sid: &str,
) -> Result<(serde_json::Value, i64), ApiError> {
    let jti = uuid::Uuid::new_v4().to_string();
    let issued = ctx
        .jwt()?
        .issue_in_session(user_id, role, now_ms(), ctx.config.jwt_ttl_minutes, &jti, Some(sid))
        .map_err(|e| {
            crate::platform::log_error("jwt issue", &format!("{e:?}"));
            ApiError::internal()
        })?;
    let body = serde_json::json!({
        "token": issued.token,
        "token_type": "Bearer",
        "user_id": user_id,
        "candidate_id": (role == UserRole::Candidate).then_some(user_id),
        "role": role,
        "email": email,
        "email_verified": email_verified,
        "session_id": sid,
        "expires_at": rfc3339_ms(issued.expires_at_ms),
    });
    Ok((body, issued.expires_at_ms))
}

/// A sign-in: opens a new session for this client (User-Agent and IP) and answers its first
/// token (docs/accounts.md#sessions).
pub(crate) async fn sign_in(
    ctx: &Ctx<'_>,
    req: &Request,
    user: &store::users::UserRow,
) -> Result<serde_json::Value, ApiError> {
    let sid = uuid::Uuid::new_v4().to_string();
    let verified = user.email_verified_at.is_some();
    let (body, expires_ms) = token_body(ctx, &user.id, user.role, &user.email, verified, &sid)?;
    let agent = req.headers().get("User-Agent").ok().flatten();
    let client = crate::domain::account::client_label(agent.as_deref());
    let now = rfc3339_ms(now_ms());
    store::accounts::open_session(
        ctx.db()?,
        &sid,
        &user.id,
        &client,
        &client_ip(req),
        &now,
        &rfc3339_ms(expires_ms),
    )
    .await
    .map_err(internal("session open"))?;
    Ok(body)
}

/// Validated fields of a new account.
pub struct AccountFields {
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub phone: Option<String>,
}

/// Reads and validates `{email, password, full_name, phone?}`, naming every bad field.
pub fn account_fields(f: &mut crate::http::json::Fields) -> Option<AccountFields> {
    let email = f.required_str("email", 1..=254, true);
    let password = f.required_str("password", 1..=1024, false);
    let full_name = f.required_str("full_name", 0..=10_000, true);
    let phone = f.optional_str("phone", 0..=64, true);
    let email = email.and_then(|e| Email::parse(&e).map_err(|m| f.error("email", m)).ok());
    let password =
        password.and_then(|p| validate_password(&p).map_err(|m| f.error("password", m)).ok().map(|()| p));
    let full_name = full_name
        .and_then(|n| validate_full_name(&n).map(str::to_owned).map_err(|m| f.error("full_name", m)).ok());
    let phone = match validate_optional_phone(phone.as_deref()) {
        Ok(p) => p.map(str::to_owned),
        Err(m) => {
            f.error("phone", m);
            None
        }
    };
    Some(AccountFields { email: email?.into_string(), password: password?, full_name: full_name?, phone })
}

/// Inserts a user; 409 `EMAIL_TAKEN` when the (lower-cased) email exists. Staff accounts count
/// as verified; candidates verify their address (docs/accounts.md#email-verification).
pub async fn create_user(
    ctx: &Ctx<'_>,
    a: &AccountFields,
    role: UserRole,
    org_id: &str,
) -> Result<(String, String), ApiError> {
    let db = ctx.db()?;
    if store::users::by_email(db, &a.email).await.map_err(internal("user lookup"))?.is_some() {
        return Err(email_taken());
    }
    insert_user(ctx, a, role, org_id).await
}

/// [`create_user`] without the lookup (registration with verification on has done it).
async fn insert_user(
    ctx: &Ctx<'_>,
    a: &AccountFields,
    role: UserRole,
    org_id: &str,
) -> Result<(String, String), ApiError> {
    let password_hash = hash_password(&a.password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = rfc3339_ms(now_ms());
    let new = NewUser {
        id: &id,
        email: &a.email,
        password_hash: &password_hash,
        full_name: &a.full_name,
        phone: a.phone.as_deref(),
        role,
        org_id,
        now: &now,
    };
    match store::users::insert(ctx.db()?, &new).await {
        Ok(()) => Ok((id, now)),
        // Two registrations racing for one email: the UNIQUE index decides.
        Err(e) if store::is_unique_violation(&e) => Err(email_taken()),
        Err(e) => Err(internal("user insert")(e)),
    }
}

fn email_taken() -> ApiError {
    ApiError::new(ErrorCode::EmailTaken, "An account with this email already exists.")
}

/// `POST /api/v1/auth/register`. With `EMAIL_VERIFICATION = "off"`: 201 with a token (409
/// `EMAIL_TAKEN` for a known address). With `required`: 202 `{status: "verification_sent"}`
/// for a new and a known address alike, after the same PBKDF2 work; the new account gets a
/// verification link, the known one a "someone tried to register" email
/// (docs/accounts.md#email-verification).
pub async fn register(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    throttle(ctx, &req, "register").await?;
    let mut f = read_json(&mut req).await?;
    let account = account_fields(&mut f);
    f.finish()?;
    let account = account.ok_or_else(ApiError::internal)?;
    if ctx.config.email_verification_required {
        return register_verified(&req, ctx, &account).await;
    }
    let (id, _) = create_user(ctx, &account, UserRole::Candidate, &ctx.config.default_org_id).await?;
    *ctx.user_id.borrow_mut() = Some(id.clone());
    log_event("user_registered", serde_json::json!({ "user_id": id, "role": "candidate" }));
    let user = store::users::by_id(ctx.db()?, &id)
        .await
        .map_err(internal("user lookup"))?
        .ok_or_else(ApiError::internal)?;
    json(201, &sign_in(ctx, &req, &user).await?)
}

/// Registration with verification on: one answer whatever the address.
async fn register_verified(req: &Request, ctx: &Ctx<'_>, account: &AccountFields) -> HandlerResult {
    let db = ctx.db()?;
    let existing = store::users::by_email(db, &account.email).await.map_err(internal("user lookup"))?;
    let created = match existing {
        Some(_) => None,
        None => match insert_user(ctx, account, UserRole::Candidate, &ctx.config.default_org_id).await {
            Ok((id, _)) => Some(id),
            Err(e) if e.code == ErrorCode::EmailTaken => None,
            Err(e) => return Err(e),
        },
    };
    match created {
        Some(id) => {
            log_event("user_registered", serde_json::json!({ "user_id": id, "role": "candidate" }));
            super::account::send_link(ctx, req, &id, &account.email, crate::domain::account::VERIFY_EMAIL)
                .await?;
        }
        None => {
            // The same key derivation as a new account's, then the owner is told instead.
            let _ = hash_password(&account.password).await?;
            super::account::send_registration_attempt(ctx, req, &account.email).await?;
        }
    }
    super::json_const(202, super::account::VERIFICATION_SENT)
}

/// 429 `ACCOUNT_LOCKED` while `client` is locked out of the account `key` (before any KDF work).
pub(crate) async fn check_client_lock(
    db: &crate::store::Db,
    key: &str,
    client: &str,
    now: i64,
) -> Result<(), ApiError> {
    let lock = store::users::client_lock(db, key, client).await.map_err(internal("login lock"))?;
    if let Some(until) = lock.as_deref().and_then(parse_rfc3339_ms) {
        if until > now {
            let secs = u32::try_from((until - now + 999) / 1000).unwrap_or(u32::MAX);
            return Err(ApiError::new(
                ErrorCode::AccountLocked,
                "Too many failed logins from this client. Please retry later.",
            )
            .with_retry_after(secs));
        }
    }
    Ok(())
}

/// Whether `password` is `user`'s; the same KDF work when there is no user or no usable hash.
pub(crate) async fn password_ok(
    user: Option<&store::users::UserRow>,
    password: &str,
) -> Result<bool, ApiError> {
    match (user, user.and_then(|u| PasswordHash::parse(&u.password_hash))) {
        (Some(_), Some(h)) => Ok(h.matches(&derive(password, &h.salt, h.iterations, h.hash.len()).await?)),
        (user, _) => {
            if let Some(u) = user.filter(|u| u.password_hash != store::users::INVITED_PASSWORD_HASH) {
                crate::platform::log_error("login", &format!("unreadable password hash for user {}", u.id));
            }
            // Same KDF work as a real check, then the same answer.
            let _ = derive(password, &DUMMY_SALT, PBKDF2_ITERATIONS, HASH_LEN).await?;
            Ok(false)
        }
    }
}

/// Counts a failed password of `client` on account `key`, locking it out past the policy's
/// threshold (docs/security.md#login-lockout); the failure count.
pub(crate) async fn count_failure(
    ctx: &Ctx<'_>,
    db: &crate::store::Db,
    key: &str,
    client: &str,
    now: i64,
) -> Result<u32, ApiError> {
    let policy = LockoutPolicy::from_minutes(
        ctx.config.login_max_failures,
        ctx.config.login_lockout_minutes,
        ctx.config.login_lockout_max_minutes,
    );
    let reset_before = rfc3339_ms(now - lockout::RESET_AFTER_MS);
    let failures = store::users::record_client_failure(db, key, client, &reset_before, &rfc3339_ms(now))
        .await
        .map_err(internal("login failure"))?;
    let lock_ms = policy.lock_ms(failures);
    if lock_ms > 0 {
        store::users::lock_client(db, key, client, &rfc3339_ms(now + lock_ms))
            .await
            .map_err(internal("login lock"))?;
    }
    Ok(failures)
}

/// The lockout key of an email: an HMAC of the normalised email, so no email is stored and
/// unknown emails are counted exactly like real ones.
pub(crate) async fn account_key(email: &str) -> Result<String, ApiError> {
    let mac = webcrypto::hmac_sha256(b"interview-edge/login-lockout/v1", account_subject(email).as_bytes())
        .await
        .map_err(|e| {
            crate::platform::log_error("hmac", &format!("{e:?}"));
            ApiError::internal()
        })?;
    Ok(lockout::hex(&mac))
}

/// Whether `password` matches the stored hash `stored` (the login's KDF).
///
/// # Errors
/// 500 when the KDF fails.
pub(crate) async fn password_matches(password: &str, stored: &str) -> Result<bool, ApiError> {
    match PasswordHash::parse(stored) {
        Some(h) => Ok(h.matches(&derive(password, &h.salt, h.iterations, h.hash.len()).await?)),
        None => Ok(false),
    }
}

/// `POST /api/v1/auth/login`. Failures are counted per (account, client IP): a client that fails
/// `LOGIN_MAX_FAILURES` times is locked out of that account (429 `ACCOUNT_LOCKED`, progressively
/// longer), while every other client, the owner's included, still signs in
/// (docs/security.md#login-lockout).
pub async fn login(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    throttle(ctx, &req, "login").await?;
    let mut f = read_json(&mut req).await?;
    let email = f.required_str("email", 1..=254, true);
    let password = f.required_str("password", 1..=1024, false);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else { return Err(ApiError::internal()) };
    let ip = client_ip(&req);
    let db = ctx.db()?;
    let now = now_ms();
    let now_text = rfc3339_ms(now);
    let bad = || ApiError::new(ErrorCode::Unauthorized, BAD_CREDENTIALS);
    let key = account_key(&email).await?;

    // This client's lock on this account, checked before any KDF work.
    check_client_lock(db, &key, &ip, now).await?;

    let user = match Email::parse(&email) {
        Ok(e) => store::users::by_email(db, e.as_str()).await.map_err(internal("login lookup"))?,
        Err(_) => None,
    };
    let ok = password_ok(user.as_ref(), &password).await?;
    let user_id = user.as_ref().map(|u| u.id.clone());
    let user_id = user_id.as_deref();
    let Some(user) = user.filter(|_| ok) else {
        let failures = count_failure(ctx, db, &key, &ip, now).await?;
        let _ = store::users::log_attempt(db, user_id, &ip, false, &now_text).await;
        if let Some(id) = user_id {
            log_event("login_failed", serde_json::json!({ "user_id": id, "client_failures": failures }));
        }
        return Err(bad());
    };
    if user.status != UserStatus::Active {
        let _ = store::users::log_attempt(db, Some(&user.id), &ip, false, &now_text).await;
        return Err(ApiError::new(ErrorCode::Forbidden, "This account is deactivated."));
    }
    store::users::clear_client_failures(db, &key, &ip).await.map_err(internal("login success"))?;
    store::users::record_success(db, &user.id, &now_text).await.map_err(internal("login success"))?;
    let _ = store::users::log_attempt(db, Some(&user.id), &ip, true, &now_text).await;
    *ctx.user_id.borrow_mut() = Some(user.id.clone());
    json(200, &sign_in(ctx, &req, &user).await?)
}

/// `POST /api/v1/auth/logout`: ends the token's session (and revokes its `jti` until it
/// expires); the session's sockets close.
pub async fn logout(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let now = rfc3339_ms(now_ms());
    let db = ctx.db()?;
    store::users::revoke(db, &me.jti, &me.user_id, &rfc3339_ms(me.token_exp_ms), &now)
        .await
        .map_err(internal("logout"))?;
    store::accounts::revoke(db, &me.user_id, me.session.as_deref(), None, &now)
        .await
        .map_err(internal("logout"))?;
    super::seam::close_sockets(ctx, &me.user_id, me.session.clone(), None).await;
    json(200, &serde_json::json!({ "message": "Logged out." }))
}

/// `POST /api/v1/auth/refresh`: a fresh token in the same session; the presented one is revoked.
pub async fn refresh(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let db = ctx.db()?;
    let user = store::users::by_id(db, &me.user_id)
        .await
        .map_err(internal("refresh lookup"))?
        .ok_or_else(ApiError::unauthorized)?;
    let sid = me.session.as_deref().ok_or_else(ApiError::unauthorized)?;
    let verified = user.email_verified_at.is_some();
    let (body, expires_ms) = token_body(ctx, &user.id, user.role, &user.email, verified, sid)?;
    let now = rfc3339_ms(now_ms());
    store::accounts::touch_session(db, sid, &now, Some(&rfc3339_ms(expires_ms)))
        .await
        .map_err(internal("refresh session"))?;
    store::users::revoke(db, &me.jti, &me.user_id, &rfc3339_ms(me.token_exp_ms), &now)
        .await
        .map_err(internal("refresh revoke"))?;
    super::seam::forget_token(ctx, &me.user_id, &me.jti).await;
    json(200, &body)
}

/// `GET /api/v1/auth/me`.
pub async fn me(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let user = store::users::by_id(ctx.db()?, &me.user_id)
        .await
        .map_err(internal("me"))?
        .ok_or_else(ApiError::unauthorized)?;
    json(200, &user_body(&user))
}

/// The public view of a user.
pub fn user_body(user: &store::users::UserRow) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        // Staff act for one organization; candidates are global accounts.
        "org_id": if user.role.is_staff() { user.org_id.as_deref() } else { None },
        "is_active": user.status == UserStatus::Active,
        "email_verified": user.email_verified_at.is_some(),
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    })
}
