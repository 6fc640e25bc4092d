//! Thin helpers over `worker` types shared by the Worker and the Durable Objects: the clock,
//! configuration from `Env`, JSON responses and structured logging. wasm32 only.

use std::cell::RefCell;
use std::rc::Rc;

use worker::{Date, Env, Headers, Response};

use crate::config::{Config, ConfigError};
use crate::http::error::ApiError;

/// Milliseconds since the Unix epoch, from the runtime's clock.
#[must_use]
pub fn now_ms() -> i64 {
    // Date::now() is an f64 of whole milliseconds well below 2^53.
    #[allow(clippy::cast_possible_truncation)]
    let ms = Date::now().as_millis() as i64;
    ms
}

/// The typed configuration from `[vars]` and secrets, built once per isolate.
///
/// # Errors
/// A malformed variable, reported by name.
pub fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    if let Some(config) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))?);
    CONFIG.with(|c| *c.borrow_mut() = Some(Rc::clone(&config)));
    Ok(config)
}

thread_local! {
    /// The configuration, read once per isolate: a Worker's variables cannot change while an
    /// isolate lives (a new deployment, or a restarted `wrangler dev`, starts new isolates), and
    /// reading its ~60 variables through JS on every request cost CPU on every request.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

/// Installs the built-in question bank from the static assets (`/_internal/bank/<role>.json`,
/// copied there by `scripts/build-web`) unless this isolate already has it: the wasm does not
/// embed the bank (see `domain::bank`). Every entry point that may read the bank calls this
/// first; after the first call it is one check.
///
/// # Errors
/// The binding is missing, a file is missing or refused by the bank's checks.
pub async fn ensure_bank(env: &Env) -> worker::Result<()> {
    use crate::domain::bank;
    use crate::domain::enums::RoleType;
    if bank::installed() {
        return Ok(());
    }
    let assets = env.assets("ASSETS")?;
    let files = RoleType::ALL.iter().map(|role| {
        let assets = &assets;
        async move {
            let url = format!("https://assets.local/_internal/bank/{}.json", role.as_str());
            let mut resp = assets.fetch(url, None).await?;
            if resp.status_code() != 200 {
                return Err(worker::Error::RustError(format!(
                    "question bank asset for {role}: status {}",
                    resp.status_code()
                )));
            }
            let text = resp.text().await?;
            bank::install(*role, &text).map_err(|e| worker::Error::RustError(e.to_string()))
        }
    });
    futures_util::future::try_join_all(files).await.map(|_| ())
}

/// A JSON response with a status.
///
/// # Errors
/// Serialization failures (never for `serde_json::Value`).
pub fn json(status: u16, value: &serde_json::Value) -> worker::Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The error envelope as a response, with `Retry-After` when set.
#[must_use]
pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    if let Some(secs) = err.retry_after {
        let _ = headers.set("Retry-After", &secs.to_string());
    }
    // A 416 names the object's size (`bytes */SIZE`), as RFC 9110 §15.5.17 asks.
    if let Some(range) = err
        .extra
        .as_ref()
        .filter(|_| err.code == crate::http::error::ErrorCode::RangeNotSatisfiable)
        .and_then(|x| x.get("content_range"))
        .and_then(serde_json::Value::as_str)
    {
        let _ = headers.set("Content-Range", range);
    }
    Response::builder()
        .with_status(err.status())
        .with_headers(headers)
        .fixed(err.body(request_id).to_string().into_bytes())
}

/// Logs one structured event as a JSON line. Callers pass ids and numbers, never content.
pub fn log_event(event: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({ "event": event });
    if let (Some(obj), serde_json::Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    worker::console_log!("{line}");
}

/// Logs an internal error's cause for operators (the client only sees a generic message).
pub fn log_error(context: &str, cause: &dyn std::fmt::Display) {
    worker::console_error!(
        "{}",
        serde_json::json!({ "event": "error", "context": context, "cause": cause.to_string() })
    );
}
