//! `/api/v1/org…`: an organization's own page for its admins (docs/organizations.md#members):
//! its members, staff invitations by email (the account exists, inactive, until the emailed link
//! sets its password), role changes and deactivation. Every id outside the admin's organization
//! is 404.

use serde_json::json;
use worker::Request;

use super::auth::{hash_password, sign_in, throttle, user_body};
use super::invitations::{base_url, new_token, send_soon};
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::auth::{validate_full_name, validate_password, Email};
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole, UserStatus};
use crate::domain::invitation as rules;
use crate::domain::mail;
use crate::domain::time::rfc3339_ms;
use crate::http::error::{ApiError, ErrorCode};
use crate::platform::{log_event, now_ms};
use crate::store::users::{self, NewUser};
use crate::store::{invitations, is_unique_violation, mail as outbox};

const STAFF_ROLES: &[&str] = &["admin", "recruiter", "viewer"];
/// How long a staff invitation's link works.
const STAFF_INVITE_DAYS: i64 = 7;

fn parse_staff_role(s: &str) -> Option<UserRole> {
    UserRole::parse(s).filter(|r| r.is_staff())
}

/// `GET /api/v1/org` (staff): the caller's organization.
pub async fn org(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let name =
        invitations::org_name(ctx.db()?, &org).await.map_err(internal("org lookup"))?.unwrap_or_default();
    json(200, &json!({ "id": org, "name": name }))
}

/// `GET /api/v1/org/members` (admin): the organization's staff, newest first.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_admin()?;
    let rows = users::org_members(ctx.db()?, &org).await.map_err(internal("members"))?;
    let items: Vec<_> = rows
        .iter()
        .map(|u| {
            let mut body = user_body(u);
            body["invited"] = json!(u.password_hash == users::INVITED_PASSWORD_HASH);
            body
        })
        .collect();
    json(200, &json!({ "items": items }))
}

/// `POST /api/v1/org/members/invite` `{email, role, full_name?}` (admin) → 201 `{member, link}`.
pub async fn invite(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_admin()?;
    let mut f = read_json(&mut req).await?;
    let email = f.required_str("email", 1..=254, true);
    let role = f.required_enum("role", parse_staff_role, STAFF_ROLES);
    let name = f.optional_str("full_name", 0..=10_000, true);
    let email = email.and_then(|e| Email::parse(&e).map_err(|m| f.error("email", m)).ok());
    let name = match name {
        Some(n) => validate_full_name(&n).map(str::to_owned).map_err(|m| f.error("full_name", m)).ok(),
        None => None,
    };
    f.finish()?;
    let (Some(email), Some(role)) = (email, role) else { return Err(ApiError::internal()) };
    let email = email.into_string();
    let db = ctx.db()?;
    if users::by_email(db, &email).await.map_err(internal("user lookup"))?.is_some() {
        return Err(ApiError::new(ErrorCode::EmailTaken, "An account with this email already exists."));
    }
    super::quotas::invitation_emails(ctx, &org, 1).await?;
    let now = now_ms();
    let now_text = rfc3339_ms(now);
    let (user_id, invite_id) = (uuid::Uuid::new_v4().to_string(), uuid::Uuid::new_v4().to_string());
    let token = new_token()?;
    let link = rules::staff_link(&base_url(&req, ctx)?, &token);
    let expires_at = rfc3339_ms(now + STAFF_INVITE_DAYS * 86_400_000);
    let full_name =
        name.unwrap_or_else(|| email.split('@').next().unwrap_or("Staff member").chars().take(60).collect());
    let full_name = if full_name.chars().count() < 2 { "Staff member".to_owned() } else { full_name };
    let new = NewUser {
        id: &user_id,
        email: &email,
        password_hash: users::INVITED_PASSWORD_HASH,
        full_name: &full_name,
        phone: None,
        role,
        org_id: &org,
        now: &now_text,
    };
    let org_name = invitations::org_name(db, &org).await.map_err(internal("org lookup"))?.unwrap_or_default();
    let mut statements =
        users::invite_staff(db, &new, &invite_id, &rules::token_hash(&token), &expires_at, &me.user_id)
            .map_err(internal("staff invite"))?;
    let message = mail::staff_invite(&email, &org_name, role.as_str(), &link, &expires_at);
    let mail_id = uuid::Uuid::new_v4().to_string();
    statements.push(
        outbox::enqueue(
            db,
            &mail_id,
            &message,
            Some(&invite_id),
            &format!("staff_invite:{invite_id}"),
            &now_text,
        )
        .map_err(internal("mail enqueue"))?,
    );
    let event =
        AuditEvent::new(AuditAction::MemberInvited, "user", user_id.clone()).with_detail(role.as_str());
    statements.push(super::audit::statement(ctx, &req, &me, &event)?);
    match db.batch(statements).await {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::new(ErrorCode::EmailTaken, "An account with this email already exists."));
        }
        Err(e) => return Err(internal("staff invite")(e)),
    }
    log_event("staff_invited", json!({ "user_id": user_id, "role": role, "by": me.user_id }));
    send_soon(ctx);
    let user =
        users::by_id(db, &user_id).await.map_err(internal("user lookup"))?.ok_or_else(ApiError::internal)?;
    let mut member = user_body(&user);
    member["invited"] = json!(true);
    json(201, &json!({ "member": member, "link": link }))
}

/// `PATCH /api/v1/org/members/{id}` `{role?, is_active?}` (admin). An admin cannot demote or
/// deactivate themselves (an organization always keeps an admin who can act).
pub async fn update(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_admin()?;
    let mut f = read_json(&mut req).await?;
    let role = f.optional_enum("role", parse_staff_role, STAFF_ROLES);
    let is_active = f.optional_bool("is_active");
    if id == me.user_id && (is_active == Some(false) || role.is_some_and(|r| r != UserRole::Admin)) {
        f.error(
            if is_active == Some(false) { "is_active" } else { "role" },
            "You cannot demote or deactivate yourself.",
        );
    }
    if role.is_none() && is_active.is_none() {
        f.error("role", "Give a role, is_active, or both.");
    }
    f.finish()?;
    let db = ctx.db()?;
    let user = users::by_id(db, id)
        .await
        .map_err(internal("member lookup"))?
        .filter(|u| u.role.is_staff() && u.org_id.as_deref() == Some(org.as_str()))
        .ok_or_else(ApiError::not_found)?;
    let now = rfc3339_ms(now_ms());
    if let Some(role) = role {
        users::set_role(db, &user.id, role, &now).await.map_err(internal("member role"))?;
    }
    if let Some(active) = is_active {
        if user.password_hash == users::INVITED_PASSWORD_HASH && active {
            return Err(ApiError::field("is_active", "This member has not accepted the invitation yet."));
        }
        let status = if active { UserStatus::Active } else { UserStatus::Inactive };
        users::set_status(db, &user.id, status, &now).await.map_err(internal("member status"))?;
        if !active {
            super::seam::close_sockets(ctx, &user.id, None, None).await;
        }
    }
    let detail = format!(
        "{}{}",
        role.map(|r| format!("role {r} ")).unwrap_or_default(),
        is_active.map(|a| if a { "activated" } else { "deactivated" }).unwrap_or_default()
    );
    let event =
        AuditEvent::new(AuditAction::MemberUpdated, "user", user.id.clone()).with_detail(detail.trim());
    super::audit::record(ctx, &req, &me, &event).await?;
    log_event(
        "member_updated",
        json!({ "user_id": user.id, "role": role, "is_active": is_active, "by": me.user_id }),
    );
    let user = users::by_id(db, &user.id)
        .await
        .map_err(internal("member lookup"))?
        .ok_or_else(ApiError::internal)?;
    json(200, &user_body(&user))
}

/// `POST /api/v1/auth/staff-invite/{token}` `{password, full_name?}` (public: the emailed link's
/// token is the credential) → 200 with a token, as a login.
pub async fn accept(mut req: Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    throttle(ctx, &req, "staff-invite").await?;
    let mut f = read_json(&mut req).await?;
    let password = f.required_str("password", 1..=1024, false);
    let name = f.optional_str("full_name", 0..=10_000, true);
    let password =
        password.and_then(|p| validate_password(&p).map_err(|m| f.error("password", m)).ok().map(|()| p));
    let name = match name {
        Some(n) => validate_full_name(&n).map(str::to_owned).map_err(|m| f.error("full_name", m)).ok(),
        None => None,
    };
    f.finish()?;
    let password = password.ok_or_else(ApiError::internal)?;
    let invalid = || {
        ApiError::new(ErrorCode::InvitationNotFound, "This invitation link is not valid, used or expired.")
    };
    if !rules::is_token_shaped(token) {
        return Err(invalid());
    }
    let db = ctx.db()?;
    let now = rfc3339_ms(now_ms());
    let (invite_id, user_id) = users::open_staff_invite(db, &rules::token_hash(token), &now)
        .await
        .map_err(internal("staff invite"))?
        .ok_or_else(invalid)?;
    let hash = hash_password(&password).await?;
    if !users::accept_staff_invite(db, &invite_id, &user_id, &hash, name.as_deref(), &now)
        .await
        .map_err(internal("staff invite accept"))?
    {
        return Err(invalid());
    }
    let user =
        users::by_id(db, &user_id).await.map_err(internal("user lookup"))?.ok_or_else(ApiError::internal)?;
    log_event("staff_invite_accepted", json!({ "user_id": user.id }));
    json(200, &sign_in(ctx, &req, &user).await?)
}
