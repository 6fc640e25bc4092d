//! Route handlers (wasm32): each authenticates, validates, then calls D1, R2 or a Durable Object.
//! Shared request plumbing lives here: the auth guard, JSON bodies, rate limits, client IP.

pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod decision_mail;
pub mod hiring;
pub mod interviews;
pub mod invitations;
pub mod jobs;
pub mod members;
pub mod privacy;
pub mod quotas;
pub mod realtime;
pub mod recruiter;
pub mod resumes;
pub mod seam;
pub mod videos;
pub mod voice;
pub mod webhooks;

use std::cell::{OnceCell, RefCell};

use worker::{Context, Env, Request, Response};

use crate::auth::access::{bearer_token, Principal};
use crate::auth::{JwtKeys, TokenError};
use crate::config::Config;
use crate::domain::rate_limit::{LimitRequest, Quota, Rule};
use crate::http::body;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::json::{self, Fields};
use crate::http::MAX_JSON_BODY_BYTES;
use crate::ids::UserId;
use crate::platform::{log_error, now_ms};
use crate::protocol::Bearer;
use crate::store;

/// Per-request context handed to handlers.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub config: &'a Config,
    /// For `wait_until` work that outlives the response.
    pub worker_ctx: &'a Context,
    /// Set by the auth guard, reported in the request log line.
    pub user_id: RefCell<Option<String>>,
    /// Bench-only stage times (`BENCH_TIMINGS`): (stage, clock ms when it ended).
    pub marks: RefCell<Vec<(&'static str, i64)>>,
    /// The request's relational store, opened on first use ([`Ctx::db`]).
    pub db: OnceCell<store::Db>,
}

pub type HandlerResult = Result<Response, ApiError>;

/// Maps a platform error to a 500 after logging its cause.
pub fn internal(context: &'static str) -> impl Fn(worker::Error) -> ApiError {
    move |e| {
        log_error(context, &e);
        if store::is_unreachable(&e) {
            // A database outage: nothing was accepted, the client may retry.
            return ApiError::new(
                ErrorCode::ServiceUnavailable,
                "The service is briefly unavailable. Please retry.",
            );
        }
        ApiError::internal()
    }
}

/// The request's query parameters, decoded, in order (see [`crate::http::query_pairs`]).
///
/// # Errors
/// 500 when the request URL cannot be read (never for a request the runtime accepted).
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req.url().map_err(internal("url"))?;
    Ok(crate::http::query_pairs(url.query().unwrap_or_default()))
}

/// A JSON response.
///
/// # Errors
/// Never in practice (serializing a `Value`).
pub fn json(status: u16, value: &serde_json::Value) -> HandlerResult {
    crate::platform::json(status, value).map_err(internal("json response"))
}

/// A JSON response with a constant body (smaller wasm than a `json!` at each call site).
///
/// # Errors
/// Never for a valid constant.
pub fn json_const(status: u16, body: &'static str) -> HandlerResult {
    json(status, &serde_json::from_str(body).map_err(|_| ApiError::internal())?)
}

impl Ctx<'_> {
    /// Notes that `stage` ended now, when `BENCH_TIMINGS` is on (the `timing` log line).
    pub fn mark(&self, stage: &'static str) {
        if self.config.bench_timings {
            self.marks.borrow_mut().push((stage, now_ms()));
        }
    }

    /// The request's store, shared by the whole request (for Postgres: one connection, opened
    /// by the first query).
    pub fn db(&self) -> Result<&store::Db, ApiError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = store::Db::from_env(self.env).map_err(internal("database"))?;
        Ok(self.db.get_or_init(|| db))
    }

    /// The JWT keys, or a 500 when `JWT_SECRET` is missing or shorter than 32 bytes.
    pub fn jwt(&self) -> Result<JwtKeys, ApiError> {
        let secret = self.config.jwt_secret.as_deref().ok_or_else(|| {
            log_error("auth", &"JWT_SECRET is missing or shorter than 32 bytes; auth is disabled");
            ApiError::internal()
        })?;
        JwtKeys::new(secret.as_bytes()).map_err(|e| {
            log_error("auth", &e);
            ApiError::internal()
        })
    }

    /// The bearer token verified (signature, expiry, a session) without reading its account:
    /// for a call whose account the interview object checks
    /// (docs/accounts.md#where-the-account-is-checked). Everything else uses [`Ctx::authenticate`].
    ///
    /// # Errors
    /// 401 `UNAUTHORIZED` or `TOKEN_EXPIRED`.
    pub fn bearer(&self, req: &Request) -> Result<Bearer, ApiError> {
        let header = req.headers().get("Authorization").ok().flatten();
        let token = bearer_token(header.as_deref()).ok_or_else(ApiError::unauthorized)?;
        let claims = self.jwt()?.verify(token, now_ms()).map_err(|e| match e {
            TokenError::Expired => ApiError::new(ErrorCode::TokenExpired, "The token has expired."),
            TokenError::Invalid => ApiError::unauthorized(),
        })?;
        // Tokens from before sessions existed carry no `sid`: signed out (docs/accounts.md#sessions).
        let session = claims.sid.ok_or_else(ApiError::unauthorized)?;
        *self.user_id.borrow_mut() = Some(claims.sub.clone());
        Ok(Bearer { user_id: UserId::new(claims.sub), jti: claims.jti, session, exp_ms: claims.exp_ms })
    }

    /// The auth guard: a valid, unrevoked bearer token of an active user. The role comes from
    /// the database, so a demotion applies at once.
    ///
    /// # Errors
    /// 401 `UNAUTHORIZED` or `TOKEN_EXPIRED`.
    pub async fn authenticate(&self, req: &Request) -> Result<Principal, ApiError> {
        let bearer = self.bearer(req)?;
        let principal = store::users::token_principal(self.db()?, &bearer, now_ms())
            .await
            .map_err(internal("auth lookup"))?;
        self.mark("auth");
        principal.ok_or_else(ApiError::unauthorized)
    }

    /// Takes a token from the rate-limit bucket `key`.
    ///
    /// # Errors
    /// 429 `code` with `Retry-After` when the bucket is empty. A limiter failure is logged and
    /// lets the request through (availability over strictness for a throttle).
    pub async fn rate_limit(&self, key: &str, rule: Rule, code: ErrorCode) -> Result<(), ApiError> {
        match take(self.env, key, rule).await {
            Ok(None) => Ok(()),
            Ok(Some(retry_after)) => {
                Err(ApiError::new(code, "Too many requests. Please retry later.")
                    .with_retry_after(retry_after))
            }
            Err(e) => {
                log_error("rate limiter", &e);
                Ok(())
            }
        }
    }

    /// Takes `cost` units (e.g. bytes) from the quota bucket `key`.
    ///
    /// # Errors
    /// 429 `RATE_LIMITED` with `message` and `Retry-After` when the bucket lacks them. A limiter
    /// failure is logged and lets the request through, as [`Ctx::rate_limit`].
    pub async fn take_quota(
        &self,
        key: &str,
        quota: Quota,
        cost: u64,
        message: &str,
    ) -> Result<(), ApiError> {
        match ask_limiter(self.env, "/take", key, &LimitRequest::new(quota, cost)).await {
            Ok(None) => Ok(()),
            Ok(Some(retry_after)) => {
                Err(ApiError::new(ErrorCode::RateLimited, message).with_retry_after(retry_after))
            }
            Err(e) => {
                log_error("rate limiter", &e);
                Ok(())
            }
        }
    }

    /// Whether the bucket `key` has a token, without taking it.
    ///
    /// # Errors
    /// 429 `code` when it is empty; a limiter failure lets the request through.
    pub async fn rate_peek(&self, key: &str, rule: Rule, code: ErrorCode) -> Result<(), ApiError> {
        match ask_limiter(self.env, "/peek", key, &LimitRequest::of(rule)).await {
            Ok(Some(retry_after)) => {
                Err(ApiError::new(code, "Too many requests. Please retry later.")
                    .with_retry_after(retry_after))
            }
            Ok(None) => Ok(()),
            Err(e) => {
                log_error("rate limiter", &e);
                Ok(())
            }
        }
    }
}

/// Asks the limiter DO for one token; `Some(retry_after_secs)` when refused.
async fn take(env: &Env, key: &str, rule: Rule) -> worker::Result<Option<u32>> {
    ask_limiter(env, "/take", key, &LimitRequest::of(rule)).await
}

/// Asks the limiter DO at `path` (`/take`, `/peek`) for the body's `cost` (default one);
/// `Some(retry_after_secs)` when refused.
async fn ask_limiter(env: &Env, path: &str, key: &str, body: &LimitRequest) -> worker::Result<Option<u32>> {
    #[derive(serde::Deserialize)]
    struct Taken {
        allowed: bool,
        retry_after_secs: Option<u32>,
    }
    let stub = env.durable_object("LIMITER")?.id_from_name(key)?.get_stub()?;
    let init = worker::RequestInit {
        method: worker::Method::Post,
        body: Some(serde_json::to_string(body)?.into()),
        ..worker::RequestInit::default()
    };
    let req = Request::new_with_init(&format!("https://limiter.internal{path}"), &init)?;
    let taken: Taken = stub.fetch_with_request(req).await?.json().await?;
    Ok((!taken.allowed).then(|| taken.retry_after_secs.unwrap_or(1)))
}

/// The client's IP as Cloudflare reports it (`CF-Connecting-IP`), for throttling and audit.
pub fn client_ip(req: &Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .filter(|ip| !ip.is_empty() && ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Reads a request body as a stream, keeping at most `cap` bytes: `Err(TooLarge)` as soon as a
/// declared `Content-Length` or the bytes actually received exceed it. Reading stops there, so
/// nothing past `cap + 1` bytes is ever read (docs/security.md#bodies). The stream is released,
/// not cancelled: the runtime then treats the rest like a body never read. (A cancelled request
/// stream made `wrangler dev` fail that request with a 500 "Network connection lost" now and
/// then, instead of our 413.) A request without a body reads as empty.
///
/// # Errors
/// `Err(Ok(TooLarge))` above the cap; `Err(Err(e))` when the body cannot be read.
pub async fn read_capped(req: &mut Request, cap: usize) -> Result<Vec<u8>, BodyError> {
    use wasm_bindgen::JsCast;
    let declared = body::declared_length(req.headers().get("Content-Length").ok().flatten().as_deref());
    let mut body = body::CappedBody::new(cap, declared).map_err(|_| BodyError::TooLarge)?;
    let Some(stream) = req.inner().body() else { return Ok(Vec::new()) };
    if stream.locked() {
        return Err(BodyError::Unreadable);
    }
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let outcome = loop {
        let Ok(result) = wasm_bindgen_futures::JsFuture::from(reader.read()).await else {
            break Err(BodyError::Unreadable);
        };
        let field = |name: &str| js_sys::Reflect::get(&result, &name.into()).unwrap_or_default();
        if field("done").as_bool().unwrap_or(true) {
            break Ok(());
        }
        let Some(chunk) = field("value").dyn_ref::<js_sys::Uint8Array>().map(js_sys::Uint8Array::to_vec)
        else {
            break Err(BodyError::Unreadable);
        };
        if body.push(&chunk).is_err() {
            break Err(BodyError::TooLarge);
        }
    };
    reader.release_lock();
    outcome.map(|()| body.into_bytes())
}

/// Why a capped body read stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// More than the cap (declared or received).
    TooLarge,
    /// The stream failed (client went away, malformed framing).
    Unreadable,
}

/// Reads a JSON object body: 415 for another content type, 413 above 64 KiB (by
/// `Content-Length` before reading, and while reading: never more than 64 KiB + 1 bytes are
/// read), 400 for invalid JSON.
///
/// # Errors
/// As above.
pub async fn read_json(req: &mut Request) -> Result<Fields, ApiError> {
    let content_type = req.headers().get("Content-Type").ok().flatten();
    if !json::is_json_content_type(content_type.as_deref()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "This route accepts application/json only.",
        ));
    }
    let body = read_capped(req, MAX_JSON_BODY_BYTES).await.map_err(|e| match e {
        BodyError::TooLarge => json::too_large(),
        BodyError::Unreadable => ApiError::new(ErrorCode::MalformedJson, "The body could not be read."),
    })?;
    json::parse_object(content_type.as_deref(), &body).map(Fields::new)
}

/// A stand-alone request carrying `bytes` (a body already read under a cap) with the original
/// `content_type` (a multipart boundary is case-sensitive), so the platform's parsers (form
/// data) run on the capped copy and never on the original stream.
///
/// # Errors
/// Platform errors building the request (never for valid input).
pub fn request_from_bytes(bytes: &[u8], content_type: &str) -> worker::Result<Request> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", content_type)?;
    let init = worker::RequestInit {
        method: worker::Method::Post,
        headers,
        body: Some(js_sys::Uint8Array::from(bytes).into()),
        ..worker::RequestInit::default()
    };
    Request::new_with_init("https://body.internal/", &init)
}
