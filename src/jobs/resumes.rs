//! The frequent cron's résumé work (docs/resumes.md): end résumés whose parse died
//! (`parser_crashed`), deliver due feedback through the `feedback_deliveries` outbox (also
//! started by an approval with `wait_until`; 5 attempts with backoff), then put the résumés to
//! retry on the parse queue. The cron never parses: each résumé is parsed in its own queue
//! invocation ([`super::parsing`]), so no file can stall delivery or the batch
//! (docs/decisions/0007-resume-parse-queue.md).
//!
//! Delivery makes the feedback `sent` (visible to the candidate) on its first attempt; the
//! webhook, when `FEEDBACK_WEBHOOK_URL` is set, is the part that is retried.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use serde_json::{json, Value};
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use super::parsing;
use crate::config::Config;
use crate::domain::resume::delivery::{
    delivery_backoff_ms, signature_header_value, signed_string, DELIVERY_HEADER, DELIVERY_LEASE_MS,
    MAX_DELIVERY_ATTEMPTS, PARSE_STALE_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_TIMEOUT_MS,
};
use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, log_event, now_ms};
use crate::store::resumes as store;

/// Deliveries handled per cron run (a run must finish well within its CPU budget).
const BATCH: u32 = 20;

/// Runs the frequent résumé jobs; returns when it started and what it did.
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    (started, run_inner(env).await)
}

async fn run_inner(env: &Env) -> worker::Result<Value> {
    let config = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let db = crate::store::Db::from_env(env)?;
    let now = now_ms();
    // First, résumés whose parse died in an earlier run (it left them `processing`): failed for good.
    let crashed = store::fail_crashed(&db, &rfc3339_ms(now), &rfc3339_ms(now - PARSE_STALE_MS)).await?;
    // Then feedback delivery, before any parsing, so no file can stall it.
    let now_text = rfc3339_ms(now_ms());
    let due = store::due_without_delivery(&db, &now_text, BATCH).await?;
    let items: Vec<(String, String)> =
        due.iter().map(|f| (uuid::Uuid::new_v4().to_string(), f.clone())).collect();
    store::enqueue(&db, &items, &now_text).await?;
    let mut delivered = json!({ "delivered": 0, "retrying": 0, "failed": 0, "skipped": 0 });
    for feedback_id in store::due_deliveries(&db, &now_text, BATCH).await? {
        let key = match deliver(env, &config, &feedback_id).await {
            Ok(outcome) => outcome.as_str(),
            Err(e) => {
                log_error("feedback delivery", &e);
                "retrying"
            }
        };
        delivered[key] = json!(delivered[key].as_u64().unwrap_or(0) + 1);
    }
    // Then parsing: never here. Résumés to (re)try go on the parse queue, whose consumer parses
    // each one in its own invocation (super::parsing).
    let enqueued = parsing::enqueue_retries(env, &db).await?;
    Ok(json!({
        "parse_enqueued": enqueued,
        "parsing_crashed": crashed,
        "feedback_enqueued": items.len(),
        "deliveries": delivered,
    }))
}

/// What one delivery attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    Retrying,
    Failed,
    Skipped,
}

impl DeliveryOutcome {
    const fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retrying => "retrying",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Skipped => "skipped",
        }
    }
}

/// One delivery attempt of a feedback's outbox row: claim it (with a lease), make the feedback
/// `sent`, then POST the signed webhook when configured, and record the outcome.
///
/// # Errors
/// D1 failures (the lease then expires and the cron retries).
pub async fn deliver(env: &Env, config: &Config, feedback_id: &str) -> worker::Result<DeliveryOutcome> {
    let db = crate::store::Db::from_env(env)?;
    let now = now_ms();
    let Some(claim) =
        store::claim_delivery(&db, feedback_id, &rfc3339_ms(now), &rfc3339_ms(now + DELIVERY_LEASE_MS))
            .await?
    else {
        return Ok(DeliveryOutcome::Skipped);
    };
    #[allow(clippy::cast_possible_truncation)]
    let attempt = claim.attempts as i64;
    store::mark_sent(&db, feedback_id, &rfc3339_ms(now)).await?;
    email_feedback(&db, config, feedback_id, &rfc3339_ms(now)).await?;
    let outcome = match &config.feedback_webhook_url {
        None => Ok(()),
        Some(url) => post_webhook(&db, config, url, feedback_id, &claim.id, attempt).await,
    };
    let finished = rfc3339_ms(now_ms());
    let result = match outcome {
        Ok(()) => {
            store::finish_delivery(&db, &claim.id, Ok(()), &finished).await?;
            DeliveryOutcome::Delivered
        }
        Err(error) if attempt >= MAX_DELIVERY_ATTEMPTS => {
            store::finish_delivery(&db, &claim.id, Err((&error, None)), &finished).await?;
            DeliveryOutcome::Failed
        }
        Err(error) => {
            let next = rfc3339_ms(now_ms() + delivery_backoff_ms(attempt));
            store::finish_delivery(&db, &claim.id, Err((&error, Some(&next))), &finished).await?;
            DeliveryOutcome::Retrying
        }
    };
    log_event(
        "feedback_delivery",
        json!({ "feedback_id": feedback_id, "attempt": attempt, "outcome": result.as_str() }),
    );
    Ok(result)
}

/// Queues the feedback's email to the candidate (once: `dedupe_key` `feedback:{id}`; the mail
/// sender delivers it). Essential mail: it is what the candidate asked for.
async fn email_feedback(
    db: &crate::store::Db,
    config: &Config,
    feedback_id: &str,
    now: &str,
) -> worker::Result<()> {
    let Some(feedback) = store::feedback(db, feedback_id).await? else { return Ok(()) };
    let candidate = feedback["candidate_id"].as_str().unwrap_or_default();
    let Some(contact) = store::candidate_contact(db, candidate).await? else { return Ok(()) };
    let link = format!("{}/#/dashboard", config.public_base_url.as_deref().unwrap_or_default());
    let message = crate::domain::mail::resume_feedback(
        contact["email"].as_str().unwrap_or_default(),
        contact["full_name"].as_str().unwrap_or_default(),
        feedback["feedback_content"].as_str().unwrap_or_default(),
        &link,
    );
    crate::store::mail::enqueue(
        db,
        &uuid::Uuid::new_v4().to_string(),
        &message,
        Some(feedback_id),
        &format!("feedback:{feedback_id}"),
        now,
    )?
    .run()
    .await?;
    Ok(())
}

/// POSTs the signed payload; `Err` carries a short reason for `last_error` (never a response
/// body or a secret).
async fn post_webhook(
    db: &crate::store::Db,
    config: &Config,
    url: &str,
    feedback_id: &str,
    delivery_id: &str,
    attempt: i64,
) -> Result<(), String> {
    let Some(secret) = config.feedback_webhook_secret.as_deref() else {
        return Err("FEEDBACK_WEBHOOK_SECRET is not set".to_owned());
    };
    let storage = |e: worker::Error| {
        log_error("feedback payload", &e);
        "storage error".to_owned()
    };
    let feedback = store::feedback(db, feedback_id).await.map_err(storage)?.ok_or("feedback not found")?;
    let candidate_id = feedback["candidate_id"].as_str().unwrap_or_default().to_owned();
    let contact = store::candidate_contact(db, &candidate_id).await.map_err(storage)?.unwrap_or(Value::Null);
    let payload = webhook_payload(&feedback, &contact, delivery_id, attempt);
    let body = payload.to_string();
    let timestamp = now_ms().div_euclid(1000);
    let mac = crate::webcrypto::hmac_sha256(secret.as_bytes(), signed_string(timestamp, &body).as_bytes())
        .await
        .map_err(|_| "signing failed".to_owned())?;
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set(TIMESTAMP_HEADER, &timestamp.to_string());
    let _ = headers.set(SIGNATURE_HEADER, &signature_header_value(&mac));
    let _ = headers.set(DELIVERY_HEADER, delivery_id);
    let init =
        RequestInit { method: Method::Post, headers, body: Some(body.into()), ..RequestInit::default() };
    let request = Request::new_with_init(url, &init).map_err(|_| "invalid webhook URL".to_owned())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let sent = with_timeout(Fetch::Request(request).send_with_signal(&signal), WEBHOOK_TIMEOUT_MS).await;
    match sent {
        None => {
            controller.abort();
            Err("timeout".to_owned())
        }
        Some(Err(_)) => Err("network error".to_owned()),
        Some(Ok(resp)) if (200..300).contains(&resp.status_code()) => Ok(()),
        Some(Ok(resp)) => Err(format!("HTTP {}", resp.status_code())),
    }
}

/// The webhook's JSON body.
fn webhook_payload(feedback: &Value, contact: &Value, delivery_id: &str, attempt: i64) -> Value {
    let list = |key: &str| {
        feedback[key]
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .unwrap_or_else(|| json!([]))
    };
    json!({
        "event": "resume_feedback.sent",
        "delivery_id": delivery_id,
        "attempt": attempt,
        "feedback_id": feedback["id"],
        "resume_id": feedback["resume_id"],
        "candidate_id": feedback["candidate_id"],
        "candidate_email": contact["email"],
        "candidate_name": contact["full_name"],
        "feedback_content": feedback["feedback_content"],
        "identified_gaps": list("identified_gaps"),
        "recommended_resources": list("recommended_resources"),
        "approved": !feedback["approved_at"].is_null(),
        "sent_at": feedback["sent_at"],
    })
}

/// Polls `future` until it finishes or `ms` pass (`None`).
pub(crate) async fn with_timeout<T>(future: impl Future<Output = T>, ms: u64) -> Option<T> {
    let mut future = pin!(future);
    let mut timer = pin!(Delay::from(Duration::from_millis(ms)));
    poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
    })
    .await
}
