//! The Worker's fetch entry: request id, CORS, routing, error envelope, security headers and the
//! request log line. Stateless: handlers authenticate, validate and forward to a Durable Object,
//! D1 or R2. wasm32 only.

use crate::interview_client::InterviewClient;
use crate::protocol::InterviewRequest;
use worker::{event, Context, Env, Headers, Method, Request, Response};

use crate::config::DbBackend;
use crate::handlers::{self, internal, interviews, recruiter, resumes, videos, Ctx, HandlerResult};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::routes::{match_route, Matched, NoMatch, Route};
use crate::http::{cors, request_log_line, SECURITY_HEADERS};
use crate::platform::{self, error_response, json, log_error, now_ms};
use std::cell::RefCell;

/// What the request log line reports besides method and status.
#[derive(Default)]
struct LogFields {
    route: &'static str,
    user_id: Option<String>,
    interview_id: Option<String>,
    /// `BENCH_TIMINGS` stage ends (clock ms).
    marks: Vec<(&'static str, i64)>,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, worker_ctx: Context) -> worker::Result<Response> {
    let started = now_ms();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method();
    let origin = req.headers().get("Origin").ok().flatten();
    let mut log = LogFields { route: "unmatched", ..LogFields::default() };

    let (result, allowed_origins) = match platform::config(&env) {
        Ok(config) if config.db_backend == DbBackend::Postgres && !cfg!(feature = "postgres") => {
            log_error("config", &crate::store::db::UNAVAILABLE);
            (
                Err(ApiError::new(ErrorCode::ServiceUnavailable, "The service is not available.")),
                config.allowed_origins.clone(),
            )
        }
        Ok(config) => {
            let ctx = Ctx {
                env: &env,
                config: &config,
                worker_ctx: &worker_ctx,
                user_id: RefCell::new(None),
                marks: RefCell::new(Vec::new()),
                db: std::cell::OnceCell::new(),
            };
            let result = handle(req, &ctx, &mut log).await;
            log.user_id = ctx.user_id.take();
            log.marks = ctx.marks.take();
            (result, config.allowed_origins.clone())
        }
        Err(e) => {
            log_error("config", &e);
            (Err(ApiError::internal()), Vec::new())
        }
    };
    let response = match result {
        Ok(r) => r,
        Err(e) => error_response(&e, &request_id),
    };
    let status = response.status_code();
    let response =
        finish(response, &request_id, origin.as_deref(), &allowed_origins, method == Method::Options);
    #[allow(clippy::cast_precision_loss)]
    let duration = (now_ms() - started) as f64;
    worker::console_log!(
        "{}",
        request_log_line(
            &request_id,
            method.as_ref(),
            log.route,
            status,
            duration,
            log.user_id.as_deref(),
            log.interview_id.as_deref(),
        )
    );
    if !log.marks.is_empty() {
        // Bench-only: milliseconds from the request's start to the end of each stage.
        let stages: serde_json::Map<String, serde_json::Value> =
            log.marks.iter().map(|(k, t)| ((*k).to_owned(), (t - started).into())).collect();
        worker::console_log!(
            "{}",
            serde_json::json!({
                "event": "timing", "request_id": request_id, "route": log.route, "status": status, "stages": stages,
            })
        );
    }
    Ok(response)
}

/// Adds `X-Request-Id`, the security headers and the CORS grant to any response.
fn finish(
    response: Response,
    request_id: &str,
    origin: Option<&str>,
    allowed: &[String],
    preflight: bool,
) -> Response {
    let headers = Headers::new();
    for (k, v) in response.headers().entries() {
        let _ = headers.set(&k, &v);
    }
    let _ = headers.set("X-Request-Id", request_id);
    for (k, v) in SECURITY_HEADERS {
        let _ = headers.set(k, v);
    }
    for (k, v) in cors::grant(origin, allowed, preflight) {
        let _ = headers.set(k, &v);
    }
    response.with_headers(headers)
}

async fn handle(req: Request, ctx: &Ctx<'_>, log: &mut LogFields) -> HandlerResult {
    let path = req.path();
    if req.method() == Method::Options {
        // Preflight: the grant itself is added by `finish`; unknown paths stay 404.
        return match match_route("GET", &path).or_else(|_| match_route("POST", &path)) {
            Err(NoMatch::NotFound) => Err(ApiError::not_found()),
            _ => Ok(Response::empty().map_err(internal("preflight"))?.with_status(204)),
        };
    }
    let matched = match match_route(req.method().as_ref(), &path) {
        Ok(m) => m,
        Err(NoMatch::NotFound) => return Err(ApiError::not_found()),
        Err(NoMatch::MethodNotAllowed(allowed)) => {
            return Err(ApiError::new(ErrorCode::MethodNotAllowed, "Method not allowed on this route.")
                .with_extra("allowed_methods", serde_json::json!(allowed)));
        }
    };
    log.route = matched.pattern;
    if let Err(e) = crate::platform::ensure_bank(ctx.env).await {
        log_error("question bank", &e);
        return Err(ApiError::internal());
    }
    if !["/api/v1/resumes", "/api/v1/auth", "/api/v1/m"].iter().any(|p| matched.pattern.starts_with(p)) {
        log.interview_id = matched.param("id").map(str::to_owned);
    }
    dispatch(req, ctx, &matched).await
}

fn query_is(req: &Request, query: &str) -> bool {
    req.url().is_ok_and(|u| u.query() == Some(query))
}

async fn dispatch(req: Request, ctx: &Ctx<'_>, matched: &Matched) -> HandlerResult {
    let id = matched.param("id").unwrap_or_default();
    match matched.route {
        Route::Register => handlers::auth::register(req, ctx).await,
        Route::Login => handlers::auth::login(req, ctx).await,
        Route::Logout => handlers::auth::logout(req, ctx).await,
        Route::Refresh => handlers::auth::refresh(req, ctx).await,
        Route::Me => handlers::auth::me(req, ctx).await,
        Route::SessionList => handlers::account::sessions(req, ctx).await,
        Route::SessionRevoke => handlers::account::revoke(req, ctx, Some(id)).await,
        Route::SessionRevokeAll => handlers::account::revoke(req, ctx, None).await,
        Route::PasswordResetRequest => handlers::account::reset_request(req, ctx).await,
        Route::PasswordResetConfirm => {
            handlers::account::use_emailed_link(req, ctx, crate::domain::account::PASSWORD_RESET).await
        }
        Route::PasswordChange => handlers::account::change_password(req, ctx).await,
        Route::EmailVerify => {
            handlers::account::use_emailed_link(req, ctx, crate::domain::account::VERIFY_EMAIL).await
        }
        Route::EmailVerifyResend => handlers::account::resend(req, ctx).await,
        Route::AdminCreateUser => handlers::admin::create(req, ctx).await,
        Route::AdminUpdateUser => handlers::admin::update(req, ctx, id).await,
        Route::InterviewStart | Route::InterviewCreate => interviews::start(req, ctx).await,
        Route::InterviewList => interviews::list(req, ctx).await,
        Route::InterviewGet => interviews::read(req, ctx, id, InterviewRequest::View).await,
        Route::InterviewStatus => interviews::read(req, ctx, id, InterviewRequest::Status).await,
        Route::MessageList => interviews::messages(req, ctx, id).await,
        Route::MessageLatest => interviews::read(req, ctx, id, InterviewRequest::Latest).await,
        Route::Transcript => interviews::read(req, ctx, id, InterviewRequest::Transcript).await,
        Route::MessagePost => interviews::answer(req, ctx, id).await,
        Route::MessageRetry => interviews::action(req, ctx, id, InterviewRequest::Retry).await,
        Route::InterviewComplete => interviews::action(req, ctx, id, InterviewRequest::Complete).await,
        Route::TechCheck => interviews::tech_check(req, ctx, id).await,
        Route::VideoConsent => interviews::video_consent(req, ctx, id).await,
        Route::RecruiterCandidates => recruiter::candidates(req, ctx).await,
        Route::RecruiterCandidate => recruiter::candidate(req, ctx, id).await,
        Route::RecruiterInterviews => recruiter::interviews(req, ctx).await,
        Route::RecruiterStats => recruiter::stats(req, ctx).await,
        Route::InterviewAssessment => interviews::read(req, ctx, id, InterviewRequest::Assessment).await,
        Route::RecruiterInterview => recruiter::interview(req, ctx, id).await,
        Route::RealtimeTicket => handlers::realtime::ticket(req, ctx, id).await,
        Route::RealtimeConnect => handlers::realtime::connect(req, ctx, id).await,
        Route::InterviewAudio => {
            handlers::voice::audio(req, ctx, id, matched.param("file").unwrap_or_default()).await
        }
        Route::VideoUploadChunk => videos::upload_chunk(req, ctx, id).await,
        Route::VideoUploadStatus => videos::simple(req, ctx, id, InterviewRequest::VideoStatus).await,
        Route::VideoFinalize => videos::simple(req, ctx, id, InterviewRequest::VideoFinalize).await,
        Route::VideoGet => videos::simple(req, ctx, id, InterviewRequest::VideoView).await,
        Route::VideoStream => videos::stream(req, ctx, id).await,
        Route::VideoDelete => videos::simple(req, ctx, id, InterviewRequest::VideoDelete).await,
        Route::ResumeUpload => resumes::upload(req, ctx).await,
        Route::ResumeList => resumes::list(req, ctx).await,
        Route::ResumeGet => resumes::get(req, ctx, id).await,
        Route::ResumeFeedback => resumes::feedback(req, ctx, id).await,
        Route::ResumeFeedbackApprove => resumes::approve(req, ctx, id).await,
        Route::RecruiterFeedback => resumes::recruiter_list(req, ctx).await,
        Route::JobCreate => handlers::jobs::create(req, ctx).await,
        Route::JobList => handlers::jobs::list(req, ctx).await,
        Route::JobGet => handlers::jobs::get(req, ctx, id).await,
        Route::JobUpdate => handlers::jobs::update(req, ctx, id).await,
        Route::InvitationCreate => handlers::invitations::create(req, ctx, id).await,
        Route::InvitationList => handlers::invitations::list(req, ctx, id).await,
        Route::InvitationGet => handlers::invitations::get(req, ctx, id).await,
        Route::InvitationResend => handlers::invitations::resend(req, ctx, id).await,
        Route::InvitationRevoke => handlers::invitations::revoke(req, ctx, id).await,
        Route::JobResults => handlers::invitations::results(req, ctx, id).await,
        Route::JobCompare => handlers::invitations::compare(req, ctx, id).await,
        Route::Unsubscribe => handlers::invitations::unsubscribe(req, ctx, id).await,
        Route::InvitePublic => handlers::invitations::public_view(req, ctx, id).await,
        Route::InviteAccept => handlers::invitations::accept(req, ctx, id).await,
        Route::DevMailbox => handlers::invitations::dev_mailbox(req, ctx).await,
        Route::DevMailboxClear => handlers::invitations::dev_mailbox_clear(req, ctx).await,
        Route::OrgGet => handlers::members::org(req, ctx).await,
        Route::OrgMembers => handlers::members::list(req, ctx).await,
        Route::OrgMemberInvite => handlers::members::invite(req, ctx).await,
        Route::OrgMemberUpdate => handlers::members::update(req, ctx, id).await,
        Route::StaffInviteAccept => handlers::members::accept(req, ctx, id).await,
        Route::HiringGet => handlers::hiring::get(req, ctx, id).await,
        Route::HiringDecide => handlers::hiring::decide(req, ctx, id).await,
        Route::HiringReview => handlers::hiring::review(req, ctx, id).await,
        Route::HiringOverride => handlers::hiring::override_score(req, ctx, id).await,
        Route::JobResultsExport => handlers::hiring::export_results(req, ctx, id).await,
        Route::AuditList => handlers::audit::list(req, ctx).await,
        Route::AuditExport => handlers::audit::export(req, ctx).await,
        Route::WebhookCreate => handlers::webhooks::create(req, ctx).await,
        Route::WebhookList => handlers::webhooks::list(req, ctx).await,
        Route::WebhookGet => handlers::webhooks::get(req, ctx, id).await,
        Route::WebhookUpdate => handlers::webhooks::update(req, ctx, id).await,
        Route::WebhookDelete => handlers::webhooks::delete(req, ctx, id).await,
        Route::WebhookRotate => handlers::webhooks::rotate(req, ctx, id).await,
        Route::WebhookTest => handlers::webhooks::test(req, ctx, id).await,
        Route::WebhookDeliveries => handlers::webhooks::deliveries(req, ctx, id).await,
        Route::DecisionTemplatesGet => handlers::decision_mail::get(req, ctx).await,
        Route::DecisionTemplatesPut => handlers::decision_mail::put(req, ctx).await,
        Route::ExportList
        | Route::ExportCreate
        | Route::ExportGet
        | Route::ExportDownload
        | Route::MediaLink
        | Route::AccountDelete
        | Route::OrgCandidateErase
        | Route::RetentionGet
        | Route::RetentionPut => handlers::privacy::handle(req, ctx, matched.route, id).await,
        Route::Health => {
            if ctx.config.test_faults.iter().any(|f| f == "panic") && query_is(&req, "panic=1") {
                // Fault injection for the panic-to-500 test (TEST_FAULTS=panic; off by default).
                panic!("deliberate panic (TEST_FAULTS)");
            }
            health(ctx).await
        }
        Route::OpenApi => openapi(ctx).await,
    }
}

/// `GET /health`: D1, R2 and the interview Durable Object namespace, and the AI provider in use.
async fn health(ctx: &Ctx<'_>) -> HandlerResult {
    let d1_ok = match ctx.db() {
        Ok(db) => crate::store::ping(db).await,
        Err(_) => false,
    };
    let r2_ok = match ctx.env.bucket("MEDIA") {
        Ok(bucket) => bucket.head("health/probe").await.is_ok(),
        Err(_) => false,
    };
    let do_ok = interview_do_ping(ctx.env).await.is_ok();
    let status = |ok: bool| if ok { "ok" } else { "error" };
    let all_ok = d1_ok && r2_ok && do_ok;
    json(
        if all_ok { 200 } else { 503 },
        &serde_json::json!({
            "status": if all_ok { "ok" } else { "degraded" },
            "version": env!("CARGO_PKG_VERSION"),
            "ai_provider": ctx.config.ai_provider().as_str(),
            "storage": { "d1": status(d1_ok), "r2": status(r2_ok), "durable_objects": status(do_ok) },
        }),
    )
    .map_err(internal("health"))
}

/// Round trip to a dedicated interview DO instance's internal ping (writes and reads its SQLite).
async fn interview_do_ping(env: &Env) -> worker::Result<()> {
    let client = InterviewClient::named(env, "__health").map_err(|e| worker::Error::RustError(e.message))?;
    let _: (u16, serde_json::Value) =
        client.call(None, InterviewRequest::Ping).await.map_err(|e| worker::Error::RustError(e.message))?;
    Ok(())
}

/// `GET /api/v1/openapi.json`: the document, from the static assets (scripts/build-web copies
/// docs/openapi.json there), so it does not weigh on the wasm.
async fn openapi(ctx: &Ctx<'_>) -> HandlerResult {
    let assets = ctx.env.assets("ASSETS").map_err(internal("assets binding"))?;
    let mut answer =
        assets.fetch("https://assets.local/openapi.json", None).await.map_err(internal("openapi asset"))?;
    if answer.status_code() != 200 {
        return Err(ApiError::internal());
    }
    let body = answer.text().await.map_err(internal("openapi asset"))?;
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    Ok(Response::ok(body).map_err(internal("openapi"))?.with_headers(headers))
}
