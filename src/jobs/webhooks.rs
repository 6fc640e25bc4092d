//! The ATS webhook sender (docs/hiring.md#webhooks): delivers due rows of `webhook_deliveries`,
//! signed, and marks each invitation past its expiry `expired` (queueing `invitation.expired`).
//! Runs on every frequent cron run and right after a request that queued an event
//! (`wait_until`); each attempt is claimed first, so concurrent senders never send it twice.
//! wasm32 only; the rules (retries, signature header) are in `domain::webhook`.

use serde_json::{json, Value};
use worker::{AbortController, Env, Fetch, Headers, Method, Request, RequestInit};

use super::resumes::with_timeout;
use crate::config::Config;
use crate::domain::resume::delivery::signed_string;
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::domain::webhook::{
    retry_at, signature_header, ID_HEADER, LEASE_MS, SEND_BATCH, SIGNATURE_HEADER, TIMEOUT_MS,
    TIMESTAMP_HEADER,
};
use crate::platform::{log_event, now_ms};
use crate::store::webhooks as store;

/// The frequent cron's run: expired invitations announced, then every due delivery.
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let result = async {
        let config = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let expired =
            store::expire_invitations(&crate::store::Db::from_env(env)?, &rfc3339_ms(started)).await?;
        let mut counts = send_due(env, &config).await?;
        counts["invitations_expired"] = json!(expired);
        Ok(counts)
    }
    .await;
    (started, result)
}

fn bump(counts: &mut Value, key: &str) {
    counts[key] = json!(counts[key].as_u64().unwrap_or(0) + 1);
}

/// Sends what is due now. Returns counts by outcome.
///
/// # Errors
/// D1 failures (a failed attempt is an outcome, not an error).
pub async fn send_due(env: &Env, config: &Config) -> worker::Result<Value> {
    let mut counts = json!({ "delivered": 0, "retrying": 0, "failed": 0, "skipped": 0 });
    let db = crate::store::Db::from_env(env)?;
    #[allow(clippy::cast_possible_truncation)]
    let base_ms = (config.webhook_retry_base_secs * 1000.0) as i64;
    for id in store::due(&db, &rfc3339_ms(now_ms()), SEND_BATCH).await? {
        let now = now_ms();
        let Some(row) = store::claim(&db, &id, &rfc3339_ms(now), &rfc3339_ms(now + LEASE_MS)).await? else {
            bump(&mut counts, "skipped");
            continue;
        };
        let result = post(&row, now).await;
        let done = now_ms();
        let done_text = rfc3339_ms(done);
        let attempts = u32::try_from(row["attempts"].as_i64().unwrap_or(1)).unwrap_or(u32::MAX);
        let event_ms = row["created_at"].as_str().and_then(parse_rfc3339_ms).unwrap_or(done);
        let (status, next, code, error) = match result {
            Ok(code) => ("delivered", done_text.clone(), Some(code), None),
            Err((code, error)) => match retry_at(attempts, done, event_ms, base_ms) {
                Some(at) => ("pending", rfc3339_ms(at), code, Some(error)),
                None => ("failed", done_text.clone(), code, Some(error)),
            },
        };
        store::record(&db, &id, status, &next, code, error.as_deref(), &done_text).await?;
        let key = match status {
            "pending" => "retrying",
            other => other,
        };
        // Ids, attempt and outcome only: never the URL's secret parts, the secret or the body.
        log_event(
            "webhook_attempt",
            json!({ "event_id": row["event_id"], "attempt": attempts, "outcome": key, "status": code }),
        );
        bump(&mut counts, key);
    }
    Ok(counts)
}

/// The signing secrets, newest first: the current one, and the previous one while its overlap
/// window lasts.
fn secrets(row: &Value, now: &str) -> Vec<String> {
    let mut out: Vec<String> = row["secret"].as_str().map(str::to_owned).into_iter().collect();
    let live = row["previous_secret_expires_at"].as_str().is_some_and(|until| until > now);
    if let (true, Some(previous)) = (live, row["previous_secret"].as_str()) {
        out.push(previous.to_owned());
    }
    out
}

/// POSTs one delivery; `Ok(status)` for a 2xx, else the status (if any) and a short reason
/// (never a response body or a secret).
async fn post(row: &Value, now: i64) -> Result<u16, (Option<u16>, String)> {
    let data = row["data"].as_str().and_then(|d| serde_json::from_str::<Value>(d).ok()).unwrap_or(json!({}));
    let body = json!({
        "id": row["event_id"],
        "type": row["event_type"],
        "created_at": row["created_at"],
        "org_id": row["org_id"],
        "data": data,
    })
    .to_string();
    let timestamp = now.div_euclid(1000);
    let signed = signed_string(timestamp, &body);
    let mut macs = Vec::new();
    for secret in secrets(row, &rfc3339_ms(now)) {
        let mac = crate::webcrypto::hmac_sha256(secret.as_bytes(), signed.as_bytes())
            .await
            .map_err(|_| (None, "signing failed".to_owned()))?;
        macs.push(mac);
    }
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set(ID_HEADER, row["event_id"].as_str().unwrap_or_default());
    let _ = headers.set(TIMESTAMP_HEADER, &timestamp.to_string());
    let _ = headers.set(SIGNATURE_HEADER, &signature_header(&macs));
    let init =
        RequestInit { method: Method::Post, headers, body: Some(body.into()), ..RequestInit::default() };
    let url = row["url"].as_str().unwrap_or_default();
    let request = Request::new_with_init(url, &init).map_err(|_| (None, "invalid webhook URL".to_owned()))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    match with_timeout(Fetch::Request(request).send_with_signal(&signal), TIMEOUT_MS).await {
        None => {
            controller.abort();
            Err((None, "timeout".to_owned()))
        }
        Some(Err(_)) => Err((None, "network error".to_owned())),
        Some(Ok(resp)) if (200..300).contains(&resp.status_code()) => Ok(resp.status_code()),
        Some(Ok(resp)) => Err((Some(resp.status_code()), format!("HTTP {}", resp.status_code()))),
    }
}
