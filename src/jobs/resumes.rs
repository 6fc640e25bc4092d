//! Résumé work that runs off the request path (docs/resumes.md#parsing): parsing (started by the upload
//! with `wait_until`, retried by the frequent cron up to 3 attempts in all) and feedback delivery
//! through the `feedback_deliveries` outbox (started by an approval with `wait_until`, and by the
//! cron for due feedback, 5 attempts with backoff).
//!
//! Every parse extracts its file within its own budget and deadline
//! ([`EXTRACT_DEADLINE_MS`]); a size or budget failure is final, and a résumé whose run died
//! mid-parse ends `parser_crashed`, never retried. The cron delivers feedback *before* parsing
//! and parses each résumé on its own, so one bad file cannot stall delivery or the batch
//! (docs/decisions/0005-resume-parsing-isolation.md).
//!
//! Delivery makes the feedback `sent` (visible to the candidate) on its first attempt; the
//! webhook, when `FEEDBACK_WEBHOOK_URL` is set, is the part that is retried.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use serde_json::{json, Value};
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::adapters::openai_http::{FetchClient, OpenAiSettings};
use crate::ai::breaker::CircuitBreaker;
use crate::ai::client::chat_completion_with;
use crate::ai::resume::{build_resume_request, merge, parse_resume_response, ModelResume};
use crate::config::Config;
use crate::domain::resume::delivery::{
    delivery_backoff_ms, signature_header_value, signed_string, year_of, CRON_PARSE_WINDOW_MS,
    DELIVERY_HEADER, DELIVERY_LEASE_MS, EXTRACT_DEADLINE_MS, MAX_DELIVERY_ATTEMPTS, PARSE_STALE_MS,
    SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_TIMEOUT_MS,
};
use crate::domain::resume::{
    detect, extract_text_within, generate_feedback, parse_resume, Budget, ParsedResume,
};
use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, log_event, now_ms};
use crate::store::resumes as store;

/// Résumés and deliveries handled per cron run (a run must finish well within its CPU budget).
const BATCH: u32 = 20;

/// Runs the frequent résumé jobs; returns when it started and what it did.
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    (started, run_inner(env).await)
}

async fn run_inner(env: &Env) -> worker::Result<Value> {
    let config = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let db = env.d1("DB")?;
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
    // Then parsing, each résumé on its own (its own budget and deadline; a failure is recorded
    // and the loop moves on), and none started once the run's parsing window has passed.
    let mut parsed = json!({ "completed": 0, "failed": 0, "skipped": 0, "deferred": 0 });
    for id in store::parse_candidates(&db, BATCH).await? {
        let key = if now_ms() - now > CRON_PARSE_WINDOW_MS {
            "deferred"
        } else {
            match parse(env, &config, &id).await {
                Ok(ParseOutcome::Completed) => "completed",
                Ok(ParseOutcome::Failed) => "failed",
                Ok(ParseOutcome::Skipped) => "skipped",
                Err(e) => {
                    log_error("resume parse", &e);
                    "failed"
                }
            }
        };
        parsed[key] = json!(parsed[key].as_u64().unwrap_or(0) + 1);
    }
    Ok(json!({
        "parsing": parsed,
        "parsing_crashed": crashed,
        "feedback_enqueued": items.len(),
        "deliveries": delivered,
    }))
}

/// What one parsing attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseOutcome {
    Completed,
    Failed,
    /// Nothing to do (already done, no attempt left, or another worker holds it).
    Skipped,
}

/// One parsing attempt of a résumé: claim, read the file from R2, extract its text, derive
/// `parsed_data`, then store it with the generated feedback — or record why it failed.
///
/// # Errors
/// D1 failures while claiming or recording (the attempt is then retried once stale).
pub async fn parse(env: &Env, config: &Config, id: &str) -> worker::Result<ParseOutcome> {
    let db = env.d1("DB")?;
    let now = now_ms();
    // The claim counts the attempt and marks `processing` before any parsing: if this run
    // dies, the résumé stays `processing` and the cron ends it `parser_crashed`.
    let Some(claim) = store::claim_parse(&db, id, &rfc3339_ms(now)).await? else {
        return Ok(ParseOutcome::Skipped);
    };
    #[allow(clippy::cast_possible_truncation)]
    let attempt = claim.parse_attempts as i64;
    let result = attempt_parse(env, config, &db, id, &claim, attempt).await;
    let (code, reason, is_final) = match result {
        Ok(true) => {
            log_event("resume_parsed", json!({ "resume_id": id, "attempt": attempt }));
            return Ok(ParseOutcome::Completed);
        }
        Ok(false) => return Ok(ParseOutcome::Skipped),
        Err(Failure::Content(code, reason, is_final)) => (code, reason, is_final),
        Err(Failure::Platform(e)) => {
            log_error("resume parse", &e);
            ("internal", "a temporary storage error interrupted parsing".to_owned(), false)
        }
    };
    log_event(
        "resume_parse_failed",
        json!({ "resume_id": id, "attempt": attempt, "code": code, "final": is_final }),
    );
    store::fail_parse(&db, id, attempt, (code, &reason), is_final, &rfc3339_ms(now_ms())).await?;
    Ok(ParseOutcome::Failed)
}

enum Failure {
    /// The file itself: a stable code, a reason for the owner, and whether it is final (a size
    /// or budget limit: not retried).
    Content(&'static str, String, bool),
    Platform(worker::Error),
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        Failure::Platform(e)
    }
}

async fn attempt_parse(
    env: &Env,
    config: &Config,
    db: &worker::D1Database,
    id: &str,
    claim: &store::ParseClaim,
    attempt: i64,
) -> Result<bool, Failure> {
    let object = env.bucket("MEDIA")?.get(&claim.storage_path).execute().await?;
    let Some(body) = object.as_ref().and_then(worker::Object::body) else {
        return Err(Failure::Content(
            "missing_file",
            "the uploaded file is missing from storage".to_owned(),
            false,
        ));
    };
    let bytes = body.bytes().await?;
    let kind = detect(&bytes).ok_or_else(|| {
        Failure::Content("unsupported_type", "the file is not a PDF, DOCX or text file".into(), false)
    })?;
    // One hard budget for this document: the default work limits and a deadline on the
    // Worker's clock.
    let clock = || u64::try_from(now_ms()).unwrap_or(0);
    let deadline = u64::try_from(now_ms().saturating_add(EXTRACT_DEADLINE_MS)).unwrap_or(0);
    let budget = Budget::default().with_deadline(&clock, deadline);
    let extracted = extract_text_within(kind, &bytes, &budget);
    drop(bytes);
    log_event(
        "resume_extracted",
        json!({ "resume_id": id, "work": budget.used(), "limit": budget.exceeded().map(|l| l.code()) }),
    );
    let text = extracted.map_err(|e| Failure::Content(e.code(), e.to_string(), e.is_final()))?;
    let now = now_ms();
    let now_text = rfc3339_ms(now);
    let parsed = parse_resume(&text, year_of(&now_text));
    let parsed = match OpenAiSettings::from_config(config) {
        None => parsed,
        Some(settings) => model_extraction(&settings, config, id, &text, parsed).await,
    };
    let name = store::candidate_name(db, &claim.candidate_id).await?;
    let feedback = generate_feedback(&parsed, None, name.as_deref());
    let parsed_json = serde_json::to_string(&parsed).map_err(|e| Failure::Platform(e.into()))?;
    let gaps = serde_json::to_string(&feedback.identified_gaps).map_err(|e| Failure::Platform(e.into()))?;
    let resources =
        serde_json::to_string(&feedback.recommended_resources).map_err(|e| Failure::Platform(e.into()))?;
    #[allow(clippy::cast_possible_truncation)]
    let auto_send_ms = (config.feedback_auto_send_hours * 3_600_000.0).round() as i64;
    let feedback_id = uuid::Uuid::new_v4().to_string();
    let new = store::NewFeedback {
        id: &feedback_id,
        content: &feedback.feedback_content,
        gaps_json: &gaps,
        resources_json: &resources,
        auto_send_at: &rfc3339_ms(now + auto_send_ms),
    };
    Ok(store::complete_parse(db, id, attempt, &parsed_json, &new, &now_text).await?)
}

/// The OpenAI structured extraction merged into the built-in parse; the built-in parse alone
/// when the call fails (after its retries) or its answer is unusable.
async fn model_extraction(
    settings: &OpenAiSettings,
    config: &Config,
    id: &str,
    text: &str,
    builtin: ParsedResume,
) -> ParsedResume {
    let body = build_resume_request(&config.openai_model, text);
    let mut breaker = CircuitBreaker::default();
    let context = format!("resume:{id}");
    let (result, _report) = chat_completion_with(
        &FetchClient,
        settings,
        &body,
        &mut breaker,
        &context,
        &parse_resume_response,
        &|m: &ModelResume| m.usage,
    )
    .await;
    match result {
        Ok(model) => merge(builtin, model.parsed),
        Err(e) => {
            log_event("resume_extraction_fallback", json!({ "resume_id": id, "reason": e.log_reason() }));
            builtin
        }
    }
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
    let db = env.d1("DB")?;
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

/// POSTs the signed payload; `Err` carries a short reason for `last_error` (never a response
/// body or a secret).
async fn post_webhook(
    db: &worker::D1Database,
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
async fn with_timeout<T>(future: impl Future<Output = T>, ms: u64) -> Option<T> {
    let mut future = pin!(future);
    let mut timer = pin!(Delay::from(Duration::from_millis(ms)));
    poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
    })
    .await
}
