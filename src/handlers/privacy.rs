//! Privacy routes (docs/privacy.md): a candidate's data exports and their signed media links,
//! erasure (a candidate's own, an org admin's of what their organization holds) and the
//! organization's retention settings. The work itself runs in `crate::jobs::privacy`, kicked
//! after the response and resumed by the cron.

use serde_json::{json, Value};
use worker::{Headers, Request, Response};

use super::invitations::base_url;
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::auth::access::Principal;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole};
use crate::domain::privacy::{self as rules, Retention};
use crate::domain::rate_limit::Rule;
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::http::error::{ApiError, ErrorCode};
use crate::jobs::privacy as work;
use crate::platform::{log_error, now_ms};
use crate::store::privacy as store;

fn uuid_or_404(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

/// Exports and self-erasure are the candidate's (staff accounts are managed by their admins).
async fn candidate(req: &Request, ctx: &Ctx<'_>) -> Result<Principal, ApiError> {
    let me = ctx.authenticate(req).await?;
    if me.role.is_staff() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "Only candidates can do this; staff accounts are managed by an admin.",
        ));
    }
    Ok(me)
}

/// An export row as the API shows it: its status (a ready export past its expiry is
/// `expired`), and the download URL while it can be downloaded.
fn export_view(mut row: Value, now: i64) -> Value {
    let expired = row["expires_at"].as_str().and_then(parse_rfc3339_ms).is_some_and(|e| e <= now);
    if row["status"] == "ready" && expired {
        row["status"] = json!("expired");
    }
    let url = (row["status"] == "ready")
        .then(|| format!("/api/v1/me/exports/{}/download", row["id"].as_str().unwrap_or_default()));
    row["download_url"] = json!(url);
    if let Some(map) = row.as_object_mut() {
        map.remove("user_id");
    }
    row
}

/// `GET /api/v1/me/exports`: the caller's latest exports.
pub async fn list(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = candidate(&req, ctx).await?;
    let now = now_ms();
    let rows = store::exports(&ctx.db()?, &me.user_id).await.map_err(internal("exports"))?;
    json(200, &json!({ "items": rows.into_iter().map(|r| export_view(r, now)).collect::<Vec<_>>() }))
}

/// `POST /api/v1/me/exports` → 202 `{id, status}`: one pending at a time, a few a day.
pub async fn create(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = candidate(&req, ctx).await?;
    let per_day = ctx.config.exports_per_day.max(1);
    let rule = Rule { capacity: per_day, refill_per_minute: f64::from(per_day) / 1440.0 };
    ctx.rate_limit(&format!("exports:{}", me.user_id), rule, ErrorCode::RateLimited).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let link = base_url(&req, ctx)?;
    let inserted = store::insert_export(&ctx.db()?, &id, &me.user_id, &link, &rfc3339_ms(now_ms())).await;
    match inserted {
        Ok(()) => {}
        Err(e) if crate::store::is_unique_violation(&e) => {
            return Err(ApiError::new(ErrorCode::ExportPending, "An export is already being prepared."));
        }
        Err(e) => return Err(internal("export insert")(e)),
    }
    let (env, config, export) = (ctx.env.clone(), ctx.config.clone(), id.clone());
    ctx.worker_ctx.wait_until(async move {
        if let Err(e) = work::build_export(&env, &config, &export).await {
            log_error("export build", &e);
        }
    });
    json(202, &json!({ "id": id, "status": "pending" }))
}

async fn own_export(req: &Request, ctx: &Ctx<'_>, id: &str) -> Result<(Principal, Value), ApiError> {
    let me = candidate(req, ctx).await?;
    let id = uuid_or_404(id)?;
    let row = store::export(&ctx.db()?, &id, &me.user_id)
        .await
        .map_err(internal("export"))?
        .ok_or_else(ApiError::not_found)?;
    Ok((me, export_view(row, now_ms())))
}

/// `GET /api/v1/me/exports/{id}`: status, expiry and the download URL.
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (_, view) = own_export(&req, ctx, id).await?;
    json(200, &view)
}

fn expired() -> ApiError {
    ApiError::new(ErrorCode::ExportExpired, "This export or link has expired; request a new export.")
}

/// `GET /api/v1/me/exports/{id}/download`: the JSON document (owner only; 409 while pending,
/// 410 once expired).
pub async fn download(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let (me, view) = own_export(&req, ctx, id).await?;
    match view["status"].as_str() {
        Some("ready") => {}
        Some("pending") => {
            return Err(ApiError::new(ErrorCode::ExportPending, "The export is still being prepared."))
        }
        _ => return Err(expired()),
    }
    let key = work::export_key(&me.user_id, view["id"].as_str().unwrap_or_default());
    object_response(ctx, &key, Some("application/json"), "attachment; filename=\"my-data.json\"").await
}

/// An R2 object as a download, or 404.
async fn object_response(
    ctx: &Ctx<'_>,
    key: &str,
    content_type: Option<&str>,
    disposition: &str,
) -> HandlerResult {
    let bucket = ctx.env.bucket("MEDIA").map_err(internal("media bucket"))?;
    let object =
        bucket.get(key).execute().await.map_err(internal("r2 get"))?.ok_or_else(ApiError::not_found)?;
    let content_type = content_type
        .map(str::to_owned)
        .or(object.http_metadata().content_type)
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let headers = Headers::new();
    let _ = headers.set("Content-Type", &content_type);
    let _ = headers.set("Content-Disposition", disposition);
    let _ = headers.set("Cache-Control", "private, no-store");
    // Streamed as R2 hands it over (a video may be far larger than a Worker's memory).
    let body = object.body().ok_or_else(ApiError::internal)?.response_body().map_err(internal("r2 body"))?;
    Ok(Response::from_body(body).map_err(internal("download"))?.with_headers(headers))
}

/// The MAC of a media link's payload (HMAC-SHA256 under the JWT secret, domain-separated).
///
/// # Errors
/// 500 without a secret or when WebCrypto fails.
pub(crate) async fn media_mac(ctx_secret: Option<&str>, payload: &str) -> Result<Vec<u8>, ApiError> {
    let secret = ctx_secret.ok_or_else(ApiError::internal)?;
    crate::webcrypto::hmac_sha256(secret.as_bytes(), format!("media-link:{payload}").as_bytes())
        .await
        .map_err(|_| ApiError::internal())
}

/// `GET /api/v1/media/{token}`: the object a signed export link names, until it expires (410);
/// a token that does not verify is a 404.
pub async fn media(_req: Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    let (payload, sig) = rules::split_media_token(token).ok_or_else(ApiError::not_found)?;
    let mac = media_mac(ctx.config.jwt_secret.as_deref(), payload).await?;
    if !rules::same_mac(&mac, &sig) {
        return Err(ApiError::not_found());
    }
    let (expires_ms, key) = rules::read_media_payload(payload).ok_or_else(ApiError::not_found)?;
    if expires_ms <= now_ms() {
        return Err(expired());
    }
    object_response(ctx, &key, None, "attachment").await
}

/// `DELETE /api/v1/me` `{password}` → 202: the candidate's own erasure. The account is switched
/// off at once; the data goes in resumable steps right after the response and on the cron.
pub async fn delete_account(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = candidate(&req, ctx).await?;
    let mut f = read_json(&mut req).await?;
    let password = f.required_str("password", 1..=1024, false);
    f.finish()?;
    let password = password.ok_or_else(ApiError::internal)?;
    let db = ctx.db()?;
    let user = crate::store::users::by_id(&db, &me.user_id)
        .await
        .map_err(internal("user lookup"))?
        .ok_or_else(ApiError::unauthorized)?;
    if !super::auth::password_matches(&password, &user.password_hash).await? {
        return Err(ApiError::field("password", "The password is incorrect."));
    }
    let subject = uuid::Uuid::new_v4().to_string();
    let id = open(ctx, &user.id, &user.email, None, &subject, &subject).await?;
    super::seam::close_sockets(ctx, &me.user_id, None, None).await;
    json(202, &json!({ "id": id, "status": "pending" }))
}

/// `POST /api/v1/org/candidates/{id}/erase` → 202 (org admins): erases what the organization
/// holds of the candidate. A candidate the organization does not see is a 404.
pub async fn erase_candidate(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?.to_owned();
    let id = uuid_or_404(id)?;
    let db = ctx.db()?;
    let user = crate::store::users::by_id(&db, &id)
        .await
        .map_err(internal("user lookup"))?
        .filter(|u| u.role == UserRole::Candidate)
        .ok_or_else(ApiError::not_found)?;
    if !crate::store::users::visible_to_org(&db, &id, &org).await.map_err(internal("visibility"))? {
        return Err(ApiError::not_found());
    }
    let subject = uuid::Uuid::new_v4().to_string();
    let request = open(ctx, &user.id, &user.email, Some(&org), &subject, &me.user_id).await?;
    json(202, &json!({ "id": request, "status": "pending" }))
}

/// Opens (or finds the pending) erasure request and kicks its processing after the response.
async fn open(
    ctx: &Ctx<'_>,
    user: &str,
    email: &str,
    org: Option<&str>,
    subject: &str,
    actor: &str,
) -> Result<String, ApiError> {
    let db = ctx.db()?;
    let id = match store::pending_erasure(&db, user, org).await.map_err(internal("erasure lookup"))? {
        Some(id) => id,
        None => {
            let row = store::ErasureRow {
                id: uuid::Uuid::new_v4().to_string(),
                subject_id: subject.to_owned(),
                user_id: user.to_owned(),
                email: email.to_owned(),
                org_id: org.map(str::to_owned),
                actor_id: actor.to_owned(),
            };
            let batch =
                store::open_erasure(&db, &row, &rfc3339_ms(now_ms())).map_err(internal("erasure open"))?;
            let id = row.id;
            db.batch(batch).await.map_err(internal("erasure open"))?;
            id
        }
    };
    let (env, config, request) = (ctx.env.clone(), ctx.config.clone(), id.clone());
    ctx.worker_ctx.wait_until(async move {
        if let Err(e) = work::run_erasures(&env, &config, Some(&request)).await {
            log_error("erasure", &e);
        }
    });
    Ok(id)
}

/// `GET /api/v1/org/settings/retention` (org admins).
pub async fn retention_get(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?;
    let days = store::retention(&ctx.db()?, org).await.map_err(internal("retention"))?;
    json(200, &serde_json::to_value(Retention { days }.view(ctx.config)).map_err(|_| ApiError::internal())?)
}

/// `PUT /api/v1/org/settings/retention` (org admins): each period in days, or null for the
/// default. Audited (`settings.updated`).
pub async fn retention_put(mut req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?.to_owned();
    let mut f = read_json(&mut req).await?;
    let settings = Retention::parse(&mut f);
    f.finish()?;
    let db = ctx.db()?;
    let now = rfc3339_ms(now_ms());
    let event =
        AuditEvent::new(AuditAction::SettingsUpdated, "organization", org.clone()).with_detail("retention");
    let batch = vec![
        store::put_retention(&db, &org, &settings.days, &me.user_id, &now)
            .map_err(internal("retention put"))?,
        super::audit::statement(ctx, &req, &me, &event)?,
    ];
    db.batch(batch).await.map_err(internal("retention put"))?;
    json(200, &serde_json::to_value(settings.view(ctx.config)).map_err(|_| ApiError::internal())?)
}
