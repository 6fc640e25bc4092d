//! Privacy routes (docs/privacy.md): a candidate's data exports and their signed media links,
//! erasure (a candidate's own, an org admin's of what their organization holds) and the
//! organization's retention settings. The work itself runs in `crate::jobs::privacy`, on the
//! frequent cron (every five minutes). One entry point for all of them.

use serde_json::{json, Value};
use worker::{Headers, Request, Response};

use super::invitations::base_url;
use super::{internal, json, read_json, Ctx, HandlerResult};
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, UserRole};
use crate::domain::privacy::{self as rules, Retention};
use crate::domain::rate_limit::Rule;
use crate::domain::time::rfc3339_ms;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::routes::Route;
use crate::jobs::privacy as work;
use crate::platform::now_ms;
use crate::store::privacy as sql;
use crate::store::{all_rows, exec, first_row, opt_text, text};

fn uuid_or_404(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

fn expired() -> ApiError {
    ApiError::new(ErrorCode::ExportExpired, "This export or link has expired; request a new export.")
}

/// Exports and self-erasure are the candidate's (staff accounts are managed by their admins).
fn not_candidate() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "Only candidates can do this; staff accounts are managed by an admin.",
    )
}

/// 202 `{id, status: "pending"}`: the frequent cron does the work (docs/privacy.md).
fn accepted(id: &str) -> HandlerResult {
    json(202, &json!({ "id": id, "status": "pending" }))
}

fn pending() -> ApiError {
    ApiError::new(ErrorCode::ExportPending, "An export is already being prepared.")
}

/// Dispatches the privacy routes.
pub async fn handle(req: Request, ctx: &Ctx<'_>, route: Route, id: &str) -> HandlerResult {
    match route {
        Route::MediaLink => return media(&req, ctx, id).await,
        Route::RetentionGet | Route::RetentionPut => {
            return retention(req, ctx, route == Route::RetentionPut).await
        }
        Route::OrgCandidateErase => return erase(req, ctx, Some(id)).await,
        Route::AccountDelete => return erase(req, ctx, None).await,
        _ => {}
    }
    let me = ctx.authenticate(&req).await?;
    if me.role.is_staff() {
        return Err(not_candidate());
    }
    let db = ctx.db()?;
    let now = rfc3339_ms(now_ms());
    match route {
        Route::ExportCreate => {
            let per_day = rules::EXPORTS_PER_DAY;
            let rule = Rule { capacity: per_day, refill_per_minute: f64::from(per_day) / 1440.0 };
            ctx.rate_limit(&format!("exports:{}", me.user_id), rule, ErrorCode::RateLimited).await?;
            let id = uuid::Uuid::new_v4().to_string();
            let binds = [text(&id), text(&me.user_id), text(&base_url(&req, ctx)?), text(&now)];
            match exec(db, sql::INSERT_EXPORT, &binds).await {
                Ok(_) => {}
                Err(e) if crate::store::is_unique_violation(&e) => return Err(pending()),
                Err(e) => return Err(internal("export insert")(e)),
            }
            accepted(&id)
        }
        _ => {
            // The list, one export, or its download.
            let one = if route == Route::ExportList { None } else { Some(uuid_or_404(id)?) };
            let binds = [text(&me.user_id), opt_text(one.as_deref()), text(&now)];
            let mut rows = all_rows(db, sql::EXPORTS, &binds).await.map_err(internal("exports"))?;
            let Some(id) = one else {
                return json(200, &json!({ "items": rows }));
            };
            let row = rows.pop().ok_or_else(ApiError::not_found)?;
            if route == Route::ExportGet {
                return json(200, &row);
            }
            match row["status"].as_str() {
                Some("ready") => {}
                Some("pending") => return Err(pending()),
                _ => return Err(expired()),
            }
            let key = work::export_key(&me.user_id, &id);
            object_response(ctx, &key, Some("application/json"), "attachment; filename=\"my-data.json\"")
                .await
        }
    }
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

/// `GET /api/v1/media/{token}?key=…`: an object of the candidate the signed token names (their
/// résumé, or a video or audio of one of their interviews), until the token expires (410); a
/// token that does not verify, or an object that is not theirs, is a 404.
async fn media(req: &Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    let (payload, sig, expires_ms, user) = rules::read_media_token(token).ok_or_else(ApiError::not_found)?;
    let mac = crate::auth::lockout::hex(&media_mac(ctx.config.jwt_secret.as_deref(), payload).await?);
    if !rules::same_mac(mac.as_bytes(), sig.as_bytes()) {
        return Err(ApiError::not_found());
    }
    if expires_ms <= now_ms() {
        return Err(expired());
    }
    let query = super::query_pairs(req)?;
    let key = query.iter().find(|(k, _)| k == "key").map(|(_, v)| v.as_str()).unwrap_or_default();
    match rules::media_key_owner(key, user) {
        Some(None) => {}
        Some(Some(interview)) => {
            let check = "SELECT 1 AS x FROM interviews WHERE id = ?1 AND candidate_id = ?2";
            first_row(ctx.db()?, check, &[text(interview), text(user)])
                .await
                .map_err(internal("media owner"))?
                .ok_or_else(ApiError::not_found)?;
        }
        None => return Err(ApiError::not_found()),
    }
    object_response(ctx, key, None, "attachment").await
}

/// `DELETE /api/v1/me` `{password}` (`candidate` None) or `POST
/// /api/v1/org/candidates/{id}/erase` (org admins) → 202: opens (or finds the pending) erasure
/// request, processed by the frequent cron. A candidate's own erasure switches the
/// account off, revokes its sessions and closes its sockets at once; an organization's covers
/// what it holds, and a candidate it does not see is a 404.
async fn erase(mut req: Request, ctx: &Ctx<'_>, candidate: Option<&str>) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let db = ctx.db()?;
    let (target, org, password) = match candidate {
        None => {
            if me.role.is_staff() {
                return Err(not_candidate());
            }
            let mut f = read_json(&mut req).await?;
            let password = f.required_str("password", 1..=1024, false);
            f.finish()?;
            (me.user_id.clone(), None, password)
        }
        Some(id) => {
            me.require_admin()?;
            (uuid_or_404(id)?, Some(me.staff_org()?.to_owned()), None)
        }
    };
    let user = crate::store::users::by_id(db, &target)
        .await
        .map_err(internal("user lookup"))?
        .filter(|u| u.role == UserRole::Candidate)
        .ok_or_else(ApiError::not_found)?;
    if let Some(password) = password {
        if !super::auth::password_matches(&password, &user.password_hash).await? {
            return Err(ApiError::field("password", "The password is incorrect."));
        }
    }
    if let Some(org) = &org {
        if !crate::store::users::visible_to_org(db, &user.id, org).await.map_err(internal("visibility"))? {
            return Err(ApiError::not_found());
        }
    }
    let found = first_row(db, sql::PENDING_ERASURE, &[text(&user.id), opt_text(org.as_deref())])
        .await
        .map_err(internal("erasure lookup"))?;
    let id = match found {
        Some(row) => row["id"].as_str().unwrap_or_default().to_owned(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            let subject = uuid::Uuid::new_v4().to_string();
            let binds = [
                text(&id),
                text(&subject),
                text(&user.id),
                text(&user.email),
                opt_text(org.as_deref()),
                // The actor of an own erasure is its subject id (never the user id).
                text(if org.is_some() { &me.user_id } else { &subject }),
                text(&rfc3339_ms(now_ms())),
            ];
            let batch = sql::open_erasure(db, &binds, org.is_none()).map_err(internal("erasure open"))?;
            db.batch(batch).await.map_err(internal("erasure open"))?;
            id
        }
    };
    if org.is_none() {
        super::seam::close_sockets(ctx, &user.id, None, None).await;
    }
    accepted(&id)
}

/// `GET`/`PUT /api/v1/org/settings/retention` (org admins): each period in days, or null for
/// the default. A change is audited (`settings.updated`).
async fn retention(mut req: Request, ctx: &Ctx<'_>, put: bool) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    me.require_admin()?;
    let org = me.staff_org()?.to_owned();
    let db = ctx.db()?;
    let settings = if put {
        let mut f = read_json(&mut req).await?;
        let settings = Retention::parse(&mut f);
        f.finish()?;
        let d = settings.days.map(sql::days);
        let [t, a, r, s, v] = d;
        let binds = [text(&org), t, a, r, s, v, text(&me.user_id), text(&rfc3339_ms(now_ms()))];
        let event = AuditEvent::new(AuditAction::SettingsUpdated, "organization", org.clone())
            .with_detail("retention");
        let batch = vec![
            db.prepare(sql::PUT_RETENTION).bind(&binds).map_err(internal("retention put"))?,
            super::audit::statement(ctx, &req, &me, &event)?,
        ];
        db.batch(batch).await.map_err(internal("retention put"))?;
        settings
    } else {
        let row: Value = first_row(db, sql::RETENTION, &[text(&org)])
            .await
            .map_err(internal("retention"))?
            .unwrap_or_default();
        Retention { days: rules::CATEGORIES.map(|c| row[c].as_f64()) }
    };
    json(200, &serde_json::to_value(settings.view(ctx.config)).map_err(|_| ApiError::internal())?)
}
