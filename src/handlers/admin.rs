//! `/api/v1/admin/users`: admins create staff accounts and (de)activate users.

use worker::Request;

use super::auth::{account_fields, create_user, user_body};
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole, UserStatus};
use crate::domain::time::rfc3339_ms;
use crate::http::error::ApiError;
use crate::platform::{log_event, now_ms};
use crate::store;

const STAFF_ROLES: &[&str] = &["recruiter", "viewer", "admin"];

fn parse_staff_role(s: &str) -> Option<UserRole> {
    UserRole::parse(s).filter(|r| r.is_staff())
}

/// `POST /api/v1/admin/users` `{email, password, full_name, role}` → 201.
pub async fn create(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let mut f = read_json(&mut req).await?;
    let account = account_fields(&mut f);
    let role = f.required_enum("role", parse_staff_role, STAFF_ROLES);
    f.finish()?;
    let (Some(account), Some(role)) = (account, role) else { return Err(ApiError::internal()) };
    // New staff join the admin's own organization.
    let org_id = me.org_id.clone().ok_or_else(ApiError::forbidden)?;
    let (id, _) = create_user(ctx, &account, role, &org_id).await?;
    let event = AuditEvent::new(AuditAction::MemberCreated, "user", id.clone()).with_detail(role.as_str());
    super::audit::record(ctx, &req, &me, &event).await?;
    log_event("staff_created", serde_json::json!({ "user_id": id, "role": role, "by": me.user_id }));
    let user = store::users::by_id(ctx.db()?, &id)
        .await
        .map_err(internal("staff lookup"))?
        .ok_or_else(ApiError::internal)?;
    json(201, &user_body(&user))
}

/// `PATCH /api/v1/admin/users/{id}` `{is_active}`.
pub async fn update(mut req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let mut f = read_json(&mut req).await?;
    let is_active = f.required_bool("is_active");
    if is_active == Some(false) && id == me.user_id {
        f.error("is_active", "You cannot deactivate your own account.");
    }
    f.finish()?;
    let is_active = is_active.ok_or_else(ApiError::internal)?;
    let db = ctx.db()?;
    // Another organization's staff and candidates are not there for this admin (404, not 403).
    let org_id = me.org_id.as_deref().ok_or_else(ApiError::not_found)?;
    if !store::users::visible_to_org(db, id, org_id).await.map_err(internal("admin visibility"))? {
        return Err(ApiError::not_found());
    }
    let user = store::users::by_id(db, id)
        .await
        .map_err(internal("admin lookup"))?
        .ok_or_else(ApiError::not_found)?;
    let status = if is_active { UserStatus::Active } else { UserStatus::Inactive };
    store::users::set_status(db, &user.id, status, &rfc3339_ms(now_ms()))
        .await
        .map_err(internal("admin update"))?;
    if status != UserStatus::Active {
        super::seam::close_sockets(ctx, &user.id, None, None).await;
    }
    let event = AuditEvent::new(AuditAction::MemberUpdated, "user", user.id.clone())
        .with_detail(if is_active { "activated" } else { "deactivated" });
    super::audit::record(ctx, &req, &me, &event).await?;
    log_event(
        "user_status_changed",
        serde_json::json!({ "user_id": user.id, "status": status, "by": me.user_id }),
    );
    let user = store::users::by_id(db, id)
        .await
        .map_err(internal("admin lookup"))?
        .ok_or_else(ApiError::not_found)?;
    json(200, &user_body(&user))
}
