//! Invitations to a job (docs/jobs.md#invitations): recruiters invite emails in bulk, resend and
//! revoke; a candidate opens the emailed link, signs in with the invited address and starts
//! exactly one interview for the job. Also the job's results and comparison, and the local dev
//! mailbox. The rules are in `domain::invitation`, `domain::job_results` and `domain::mail`.

use serde_json::{json, Value};
use worker::Request;

use super::interviews::start_guards;
use super::seam::forward;
use super::{audit, quotas};
use super::{client_ip, internal, json, query_pairs, read_json, Ctx, HandlerResult};
use crate::config::MailerKind;
use crate::domain::audit::AuditEvent;
use crate::domain::enums::{AuditAction, InterviewMode, InterviewStatus, InvitationStatus, JobStatus};
use crate::domain::invitation::{
    self as rules, check_email, check_open_for_change, check_usable, effective_status, parse_invite_request,
    InvitationView, TOKEN_BYTES,
};
use crate::domain::job::JobSpec;
use crate::domain::job_results::{self, CompareRow, ResultRow, Sort};
use crate::domain::mail;
use crate::domain::rate_limit::Rule;
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::listing::{encode_cursor, StatusPage};
use crate::ids::{InterviewId, UserId};
use crate::interview::StartInterview;
use crate::platform::{log_error, log_event, now_ms};
use crate::store::invitations::{self as store, InvitationRow, NewInvitation};
use crate::store::job_posts::{self, JobRow};
use crate::store::mail as outbox;

/// Invitations (and their emails) written per D1 batch.
const BATCH_INVITATIONS: usize = 40;
const DAY_MS: i64 = 86_400_000;

fn uuid_or_404(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::not_found())
}

fn not_found_invitation() -> ApiError {
    ApiError::new(
        ErrorCode::InvitationNotFound,
        "This invitation link is not valid. Check that you copied all of it.",
    )
}

fn stored_status(row: &InvitationRow) -> InvitationStatus {
    InvitationStatus::parse(&row.status).unwrap_or(InvitationStatus::Sent)
}

fn status_now(row: &InvitationRow, now: i64) -> InvitationStatus {
    let expires = parse_rfc3339_ms(&row.expires_at).unwrap_or(0);
    let interview = row.interview_status.as_deref().and_then(InterviewStatus::parse);
    effective_status(stored_status(row), expires, now, interview)
}

fn view(row: &InvitationRow, now: i64, link: Option<String>) -> InvitationView {
    InvitationView {
        id: row.id.clone(),
        job_id: row.job_id.clone(),
        email: row.email.clone(),
        status: status_now(row, now),
        expires_at: row.expires_at.clone(),
        created_at: row.created_at.clone(),
        sent_at: row.sent_at.clone(),
        opened_at: row.opened_at.clone(),
        started_at: row.started_at.clone(),
        completed_at: row.completed_at.clone(),
        interview_id: row.interview_id.clone(),
        send_attempts: u32::try_from(row.send_attempts).unwrap_or(0),
        last_send_error: row.last_send_error.clone(),
        link,
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|_| ApiError::internal())
}

/// Where links in emails point: `PUBLIC_BASE_URL`, else this request's origin.
pub(super) fn base_url(req: &Request, ctx: &Ctx<'_>) -> Result<String, ApiError> {
    if let Some(base) = &ctx.config.public_base_url {
        return Ok(base.clone());
    }
    Ok(req.url().map_err(internal("url"))?.origin().ascii_serialization())
}

/// A new 256-bit link token (base64url).
pub(super) fn new_token() -> Result<String, ApiError> {
    let bytes = crate::webcrypto::random_bytes(TOKEN_BYTES).map_err(|_| ApiError::internal())?;
    let bytes: [u8; TOKEN_BYTES] = bytes.try_into().map_err(|_| ApiError::internal())?;
    Ok(rules::encode_token(&bytes))
}

/// The organization's job `id`, or 404.
async fn job_of(ctx: &Ctx<'_>, org: &str, id: &str) -> Result<(JobRow, JobSpec), ApiError> {
    let id = uuid_or_404(id)?;
    let row = job_posts::get(ctx.db()?, &id, org)
        .await
        .map_err(internal("job get"))?
        .ok_or_else(ApiError::not_found)?;
    let spec: JobSpec = serde_json::from_str(&row.spec).map_err(|_| ApiError::internal())?;
    Ok((row, spec))
}

/// Whether the job takes new invitations and interviews: open, before its deadline.
fn require_open(row: &JobRow, spec: &JobSpec, now: i64) -> Result<(), ApiError> {
    let past_deadline = spec.deadline.as_deref().and_then(parse_rfc3339_ms).is_some_and(|d| now >= d);
    if row.status != JobStatus::Open.as_str() || past_deadline {
        return Err(ApiError::new(ErrorCode::JobNotOpen, "This job is not open for interviews."));
    }
    Ok(())
}

/// Delivers the queued mail after the response (the frequent cron retries what fails).
pub(super) fn send_soon(ctx: &Ctx<'_>) {
    if ctx.config.mailer == MailerKind::None {
        return;
    }
    let (env, config) = (ctx.env.clone(), ctx.config.clone());
    ctx.worker_ctx.wait_until(async move {
        if let Err(e) = crate::jobs::mail::send_due(&env, &config).await {
            log_error("mail send", &e);
        }
    });
}

/// `POST /api/v1/jobs/{id}/invitations` → 201 `{invitations, skipped}`.
pub async fn create(mut req: Request, ctx: &Ctx<'_>, job_id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_staff_writer()?;
    let (job, spec) = job_of(ctx, &org, job_id).await?;
    let mut request = parse_invite_request(&read_json(&mut req).await?.into_map())?;
    let now = now_ms();
    require_open(&job, &spec, now)?;
    let now_text = rfc3339_ms(now);
    let db = ctx.db()?;
    let emails_json = serde_json::to_string(&request.emails).map_err(|_| ApiError::internal())?;
    let live = store::live_emails(db, &job.id, &emails_json, &now_text)
        .await
        .map_err(internal("invitation lookup"))?;
    request.skip_already_invited(&live);
    quotas::invitation_emails(ctx, &org, request.emails.len() as u64).await?;
    let org_name = store::org_name(db, &org).await.map_err(internal("org lookup"))?.unwrap_or_default();
    let base = base_url(&req, ctx)?;
    let expires_at = rfc3339_ms(now + i64::from(request.expires_in_days) * DAY_MS);
    let mut created = Vec::with_capacity(request.emails.len());
    for chunk in request.emails.chunks(BATCH_INVITATIONS) {
        let mut statements = Vec::with_capacity(chunk.len() * 2);
        let mut links = Vec::with_capacity(chunk.len());
        for email in chunk {
            let (id, token) = (uuid::Uuid::new_v4().to_string(), new_token()?);
            let link = rules::link(&base, &token);
            let new = NewInvitation {
                id: &id,
                org_id: &org,
                job_id: &job.id,
                email,
                token_hash: &rules::token_hash(&token),
                expires_at: &expires_at,
                by: &me.user_id,
                now: &now_text,
            };
            statements.push(store::insert(db, &new).map_err(internal("invitation insert"))?);
            let message = mail::invitation(email, &org_name, &spec.title, &link, &expires_at);
            let mail_id = uuid::Uuid::new_v4().to_string();
            statements.push(
                outbox::enqueue(db, &mail_id, &message, Some(&id), &format!("invitation:{id}:1"), &now_text)
                    .map_err(internal("mail enqueue"))?,
            );
            links.push((id, link));
        }
        let event = AuditEvent::new(AuditAction::InvitationsCreated, "job", job.id.clone())
            .with_detail(format!("{} invitation(s)", chunk.len()));
        statements.push(audit::statement(ctx, &req, &me, &event)?);
        db.batch(statements).await.map_err(internal("invitation batch"))?;
        created.extend(links);
    }
    let mut invitations = Vec::with_capacity(created.len());
    for (id, link) in created {
        if let Some(row) = store::get(db, &id, &org).await.map_err(internal("invitation get"))? {
            invitations.push(to_value(&view(&row, now, Some(link)))?);
        }
    }
    log_event(
        "invitations_created",
        json!({ "job_id": job.id, "count": invitations.len(), "skipped": request.skipped.len() }),
    );
    send_soon(ctx);
    json(201, &json!({ "invitations": invitations, "skipped": request.skipped }))
}

/// `GET /api/v1/jobs/{id}/invitations?status=&limit=&cursor=` (staff).
pub async fn list(req: Request, ctx: &Ctx<'_>, job_id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let (job, _) = job_of(ctx, &org, job_id).await?;
    let StatusPage { status, limit, cursor } = StatusPage::parse(
        &query_pairs(&req)?,
        InvitationStatus::parse,
        &InvitationStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    )?;
    // `expired` and `completed` are derived: filter on the stored status that can become them,
    // then on the derived one.
    let stored = status.map(|s| match s {
        InvitationStatus::Expired => None,
        InvitationStatus::Completed => Some(InvitationStatus::Started),
        other => Some(other),
    });
    let now = now_ms();
    let db = ctx.db()?;
    let mut items = Vec::new();
    let mut next = None;
    let mut page_cursor = cursor;
    // At most a few pages are scanned for a derived filter; the cursor continues from the last row read.
    for _ in 0..5 {
        let mut rows = store::list(
            db,
            &org,
            &job.id,
            stored.flatten().map(InvitationStatus::as_str),
            page_cursor.as_ref().map(|(k, i): &(String, String)| (k.as_str(), i.as_str())),
            limit,
        )
        .await
        .map_err(internal("invitation list"))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let last = rows.last().map(|r| (r.created_at.clone(), r.id.clone()));
        for row in &rows {
            let v = view(row, now, None);
            if status.is_none_or(|s| v.status == s) && items.len() < limit as usize {
                items.push(to_value(&v)?);
            }
        }
        next = if more { last.as_ref().map(|(k, i)| encode_cursor(k, i)) } else { None };
        if !more || items.len() >= limit as usize || status.is_none() {
            break;
        }
        page_cursor = last;
    }
    json(200, &json!({ "items": items, "next_cursor": next }))
}

/// The organization's invitation `id`, or 404.
async fn invitation_of(ctx: &Ctx<'_>, org: &str, id: &str) -> Result<InvitationRow, ApiError> {
    let id = uuid_or_404(id)?;
    store::get(ctx.db()?, &id, org).await.map_err(internal("invitation get"))?.ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/invitations/{id}` (staff).
pub async fn get(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let row = invitation_of(ctx, &org, id).await?;
    let mut body = to_value(&view(&row, now_ms(), None))?;
    body["notifications"] = notifications(ctx, &row.id).await?;
    json(200, &body)
}

/// The messages about an invitation or an interview (docs/email.md#notifications).
pub(super) async fn notifications(ctx: &Ctx<'_>, ref_id: &str) -> Result<Value, ApiError> {
    Ok(Value::Array(outbox::timeline(ctx.db()?, ref_id).await.map_err(internal("mail timeline"))?))
}

/// `POST /api/v1/unsubscribe/{token}` (public): the address the emailed link was sent to gets
/// no more optional mail (reminders). Idempotent; 404 for an unknown token.
pub async fn unsubscribe(req: Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    let rule = Rule { capacity: 30, refill_per_minute: 30.0 };
    ctx.rate_limit(&format!("unsubscribe:{}", client_ip(&req)), rule, ErrorCode::RateLimited).await?;
    let done = rules::is_token_shaped(token)
        && outbox::opt_out(ctx.db()?, &rules::token_hash(token), &rfc3339_ms(now_ms()))
            .await
            .map_err(internal("unsubscribe"))?;
    if !done {
        return Err(ApiError::not_found());
    }
    json(200, &json!({ "unsubscribed": true }))
}

/// `POST /api/v1/invitations/{id}/resend`: a new link (the old one stops working) and expiry,
/// emailed again.
pub async fn resend(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_staff_writer()?;
    let row = invitation_of(ctx, &org, id).await?;
    let now = now_ms();
    check_open_for_change(status_now(&row, now))?;
    let (job, spec) = job_of(ctx, &org, &row.job_id).await?;
    require_open(&job, &spec, now)?;
    quotas::invitation_emails(ctx, &org, 1).await?;
    let db = ctx.db()?;
    let token = new_token()?;
    let link = rules::link(&base_url(&req, ctx)?, &token);
    let now_text = rfc3339_ms(now);
    let expires_at = rfc3339_ms(now + i64::from(rules::DEFAULT_EXPIRY_DAYS) * DAY_MS);
    let org_name = store::org_name(db, &org).await.map_err(internal("org lookup"))?.unwrap_or_default();
    let message = mail::invitation(&row.email, &org_name, &spec.title, &link, &expires_at);
    let hash = rules::token_hash(&token);
    let rotate = store::rotate(db, &row.id, &org, &hash, &expires_at, &now_text)
        .map_err(internal("invitation rotate"))?;
    let mail_id = uuid::Uuid::new_v4().to_string();
    let enqueue = outbox::enqueue_if_token(db, &mail_id, &message, &row.id, &hash, &now_text)
        .map_err(internal("mail enqueue"))?;
    let event = AuditEvent::new(AuditAction::InvitationResent, "invitation", row.id.clone());
    let audit = audit::statement_if_changed(ctx, &req, &me, &event)?;
    let results = db.batch(vec![rotate, enqueue, audit]).await.map_err(internal("invitation resend"))?;
    let rotated = results.first().map_or(0, crate::store::DbResult::changed);
    if rotated == 0 {
        return Err(rules::closed());
    }
    log_event("invitation_resent", json!({ "invitation_id": row.id }));
    send_soon(ctx);
    let row = invitation_of(ctx, &org, &row.id).await?;
    json(200, &to_value(&view(&row, now, Some(link)))?)
}

/// `POST /api/v1/invitations/{id}/revoke`: the link stops working.
pub async fn revoke(req: Request, ctx: &Ctx<'_>, id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    me.require_staff_writer()?;
    let row = invitation_of(ctx, &org, id).await?;
    let now = now_ms();
    check_open_for_change(status_now(&row, now))?;
    let event = AuditEvent::new(AuditAction::InvitationRevoked, "invitation", row.id.clone());
    let audit = audit::statement_if_changed(ctx, &req, &me, &event)?;
    if !store::revoke(ctx.db()?, &row.id, &org, &rfc3339_ms(now), audit)
        .await
        .map_err(internal("invitation revoke"))?
    {
        return Err(rules::closed());
    }
    log_event("invitation_revoked", json!({ "invitation_id": row.id }));
    let row = invitation_of(ctx, &org, &row.id).await?;
    json(200, &to_value(&view(&row, now, None))?)
}

/// The invitation a public token names, with a per-client throttle on lookups.
async fn by_token(req: &Request, ctx: &Ctx<'_>, token: &str) -> Result<InvitationRow, ApiError> {
    let rule = Rule { capacity: 30, refill_per_minute: 30.0 };
    ctx.rate_limit(&format!("invite-lookup:{}", client_ip(req)), rule, ErrorCode::RateLimited).await?;
    if !rules::is_token_shaped(token) {
        return Err(not_found_invitation());
    }
    store::by_token_hash(ctx.db()?, &rules::token_hash(token))
        .await
        .map_err(internal("invitation lookup"))?
        .ok_or_else(not_found_invitation)
}

/// `GET /api/v1/invite/{token}` (public): what the link is for; the first visit marks it opened.
pub async fn public_view(req: Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    let row = by_token(&req, ctx, token).await?;
    let now = now_ms();
    let status = status_now(&row, now);
    check_usable(status)?;
    let db = ctx.db()?;
    let (job, spec) = job_of(ctx, &row.org_id, &row.job_id).await?;
    let org_name =
        store::org_name(db, &row.org_id).await.map_err(internal("org lookup"))?.unwrap_or_default();
    if status == InvitationStatus::Sent {
        store::mark_opened(db, &row.id, &rfc3339_ms(now)).await.map_err(internal("invitation open"))?;
    }
    let open = require_open(&job, &spec, now).is_ok();
    json(
        200,
        &json!({
            "org": { "name": org_name },
            "job": {
                "id": job.id,
                "title": spec.title,
                "description": spec.description,
                "voice_required": spec.voice_required,
                "video_required": spec.video_required,
                "open": open,
            },
            // The invited address (the link is the invitee's credential), to prefill sign-in.
            "email": row.email,
            "status": if status == InvitationStatus::Sent { InvitationStatus::Opened } else { status },
            "expires_at": row.expires_at,
        }),
    )
}

/// `POST /api/v1/invite/{token}/accept` (candidate): starts the job's interview, once.
pub async fn accept(req: Request, ctx: &Ctx<'_>, token: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    if me.role.is_staff() {
        return Err(ApiError::new(ErrorCode::Forbidden, "Only candidates take interviews."));
    }
    let row = by_token(&req, ctx, token).await?;
    let now = now_ms();
    check_usable(status_now(&row, now))?;
    let db = ctx.db()?;
    let user = crate::store::users::by_id(db, &me.user_id)
        .await
        .map_err(internal("user lookup"))?
        .ok_or_else(ApiError::unauthorized)?;
    check_email(&row.email, &user.email)?;
    let (job, spec) = job_of(ctx, &row.org_id, &row.job_id).await?;
    require_open(&job, &spec, now)?;
    start_guards(ctx, &me).await?;
    let interview_id = uuid::Uuid::new_v4().to_string();
    let now_text = rfc3339_ms(now);
    if !store::claim(db, &row.id, &me.user_id, &interview_id, &now_text)
        .await
        .map_err(internal("invitation claim"))?
    {
        // Another accept (or an expiry, or a revocation) got there first.
        let row = store::by_token_hash(db, &rules::token_hash(token))
            .await
            .map_err(internal("invitation lookup"))?;
        return Err(row.map_or_else(not_found_invitation, |r| {
            // Still usable by its status: the claim lost a race with another accept.
            check_usable(status_now(&r, now_ms())).err().unwrap_or_else(rules::used)
        }));
    }
    let version = u32::try_from(job.current_version).map_err(|_| ApiError::internal())?;
    let body = StartInterview {
        interview_id: InterviewId::new(interview_id.clone()),
        candidate_id: UserId::new(me.user_id.clone()),
        role_type: spec.role_family.bank_role().unwrap_or(crate::domain::enums::RoleType::Fullstack),
        mode: if spec.voice_required { InterviewMode::Voice } else { InterviewMode::Text },
        resume_id: None,
        skill_areas: None,
        org_id: Some(row.org_id.clone()),
        // The version the interview keeps, whatever later edits of the job do.
        job: Some(crate::domain::job::JobBrief { job_id: job.id.clone(), version, spec }),
    };
    let started = forward(ctx, &me, &interview_id, crate::protocol::InterviewRequest::Start(body)).await;
    let ok = matches!(&started, Ok(r) if r.status_code() < 300);
    if !ok {
        if let Err(e) = store::unclaim(db, &row.id, &interview_id, &rfc3339_ms(now_ms())).await {
            log_error("invitation unclaim", &e);
        }
    } else {
        log_event("invitation_accepted", json!({ "invitation_id": row.id, "interview_id": interview_id }));
    }
    started
}

/// `GET /api/v1/jobs/{id}/results?sort=` (staff): every invitation with its interview and scores.
pub async fn results(req: Request, ctx: &Ctx<'_>, job_id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let (job_id, items) = result_views(&req, ctx, &org, job_id).await?;
    json(200, &json!({ "job_id": job_id, "items": items }))
}

/// Organization `org`'s job `job_id`'s results in the request's `sort=` order (the list and its
/// CSV export).
pub(super) async fn result_views(
    req: &Request,
    ctx: &Ctx<'_>,
    org: &str,
    job_id: &str,
) -> Result<(String, Vec<job_results::ResultView>), ApiError> {
    let (job, _) = job_of(ctx, org, job_id).await?;
    let mut sort = Sort::default();
    for (k, v) in query_pairs(req)? {
        if k == "sort" {
            sort = Sort::parse(&v)?;
        }
    }
    let rows = store::results(ctx.db()?, org, &job.id).await.map_err(internal("job results"))?;
    let rows: Vec<ResultRow> = rows
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::internal())?;
    Ok((job.id, job_results::present(rows, now_ms(), sort)))
}

/// `GET /api/v1/jobs/{id}/compare?interview_ids=a,b[,c[,d]]` (staff).
pub async fn compare(req: Request, ctx: &Ctx<'_>, job_id: &str) -> HandlerResult {
    let me = ctx.authenticate(&req).await?;
    let org = me.staff_org()?.to_owned();
    let (job, _) = job_of(ctx, &org, job_id).await?;
    let raw = query_pairs(&req)?
        .into_iter()
        .find(|(k, _)| k == "interview_ids")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let ids = job_results::parse_compare_ids(&raw)?;
    let ids_json = serde_json::to_string(&ids).map_err(|_| ApiError::internal())?;
    let rows = store::compare(ctx.db()?, &org, &job.id, &ids_json).await.map_err(internal("job compare"))?;
    let rows: Vec<CompareRow> = rows
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::internal())?;
    if rows.len() != ids.len() {
        // An id of another job or organization, or not an interview: as if it did not exist.
        return Err(ApiError::not_found());
    }
    json(200, &json!({ "job_id": job.id, "candidates": job_results::compare(rows, &ids) }))
}

fn dev_mailbox_enabled(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.config.mailer == MailerKind::Dev {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// `GET /api/v1/dev/mailbox?to=` (only with `MAILER = "dev"`): what would have been sent.
pub async fn dev_mailbox(req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    dev_mailbox_enabled(ctx)?;
    let to = query_pairs(&req)?.into_iter().find(|(k, _)| k == "to").map(|(_, v)| v.trim().to_lowercase());
    let messages = outbox::dev_messages(ctx.db()?, to.as_deref()).await.map_err(internal("dev mailbox"))?;
    json(200, &json!({ "messages": messages }))
}

/// `DELETE /api/v1/dev/mailbox` (only with `MAILER = "dev"`).
pub async fn dev_mailbox_clear(_req: Request, ctx: &Ctx<'_>) -> HandlerResult {
    dev_mailbox_enabled(ctx)?;
    outbox::dev_clear(ctx.db()?).await.map_err(internal("dev mailbox"))?;
    Ok(worker::Response::empty().map_err(internal("response"))?.with_status(204))
}
