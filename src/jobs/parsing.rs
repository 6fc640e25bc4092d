//! Résumé parsing (docs/resumes.md#parsing): one résumé per invocation of the parse queue's
//! consumer (`PARSE_QUEUE`, `max_batch_size = 1`). The upload enqueues its résumé; the frequent
//! cron enqueues the ones to retry (`pending`, or `failed` with attempts left, up to 3 attempts
//! in all). Nothing else parses: not the upload's request, not the cron
//! (docs/decisions/0007-resume-parse-queue.md).
//!
//! Every parse claims its attempt first (so a run that dies leaves `processing`, which the cron
//! ends `parser_crashed`, never retried), then extracts its file within one hard budget
//! ([`PARSE_MAX_WORK`] units, the bound on how long this synchronous step holds the isolate);
//! a size or budget failure is final. The queue's own retries are off: a message is
//! acknowledged whatever the parse did, the attempt counter decides what is retried.

use serde_json::json;
use worker::{event, Context, Env, MessageBatch, MessageExt};

use crate::adapters::openai_http::{FetchClient, OpenAiSettings};
use crate::ai::breaker::CircuitBreaker;
use crate::ai::client::chat_completion_with;
use crate::ai::resume::{build_resume_request, merge, parse_resume_response, ModelResume};
use crate::config::Config;
use crate::domain::resume::delivery::{
    text_for_parsing, year_of, ParseJob, CRON_PARSE_BATCH, EXTRACT_DEADLINE_MS, PARSE_MAX_WORK,
};
use crate::domain::resume::{
    detect, extract_text_within, generate_feedback, parse_resume, Budget, ParsedResume,
};
use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, log_event, now_ms};
use crate::store::resumes as store;

/// The parse queue's producer binding (wrangler.toml).
const QUEUE: &str = "PARSE_QUEUE";

/// The parse queue's consumer: parses each message's résumé (one per batch) and acknowledges it
/// whatever happened; a failure is recorded on the résumé, never thrown (a throw would make the
/// queue redeliver, and a file is retried only through its attempt counter).
#[event(queue)]
async fn consume(batch: MessageBatch<ParseJob>, env: Env, _ctx: Context) -> worker::Result<()> {
    let config = match crate::platform::config(&env) {
        Ok(config) => config,
        Err(e) => {
            log_event("resume_parse_config_error", json!({ "error": e.to_string() }));
            batch.ack_all();
            return Ok(());
        }
    };
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(e) => {
            log_error("resume parse message", &e);
            batch.ack_all();
            return Ok(());
        }
    };
    for message in messages {
        if let Err(e) = parse(&env, &config, &message.body().resume_id).await {
            log_error("resume parse", &e);
        }
        message.ack();
    }
    Ok(())
}

/// Puts one résumé on the parse queue (the upload).
///
/// # Errors
/// The queue refused the message (the résumé stays `pending`; the cron enqueues it again).
pub async fn enqueue(env: &Env, resume_id: &str) -> worker::Result<()> {
    env.queue(QUEUE)?.send(ParseJob { resume_id: resume_id.to_owned() }).await
}

/// Puts the résumés to (re)try on the parse queue (the cron); returns how many. A résumé whose
/// message is still queued may be sent twice: the claim lets only one of them parse.
///
/// # Errors
/// D1 or the queue.
pub async fn enqueue_retries(env: &Env, db: &crate::store::Db) -> worker::Result<usize> {
    let ids = store::parse_candidates(db, CRON_PARSE_BATCH).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let count = ids.len();
    let jobs: Vec<ParseJob> = ids.into_iter().map(|resume_id| ParseJob { resume_id }).collect();
    env.queue(QUEUE)?.send_batch(jobs).await?;
    Ok(count)
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
    let db = crate::store::Db::from_env(env)?;
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
    db: &crate::store::Db,
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
    // One hard budget for this document: PARSE_MAX_WORK units (what bounds how long this
    // synchronous step holds the isolate) and a deadline on the Worker's clock as a backstop.
    let clock = || u64::try_from(now_ms()).unwrap_or(0);
    let started = now_ms();
    let deadline = u64::try_from(started.saturating_add(EXTRACT_DEADLINE_MS)).unwrap_or(0);
    let budget = Budget::new(PARSE_MAX_WORK).with_deadline(&clock, deadline);
    let extracted = extract_text_within(kind, &bytes, &budget);
    drop(bytes);
    log_event(
        "resume_extracted",
        json!({
            "resume_id": id,
            "work": budget.used(),
            "limit": budget.exceeded().map(|l| l.code()),
            "clock_ms": now_ms() - started,
        }),
    );
    let text = extracted.map_err(|e| Failure::Content(e.code(), e.to_string(), e.is_final()))?;
    // The taxonomy parse and the feedback are not budgeted: they read a bounded prefix.
    let text = text_for_parsing(&text);
    let now = now_ms();
    let now_text = rfc3339_ms(now);
    let parsed = parse_resume(text, year_of(&now_text));
    let parsed = match OpenAiSettings::from_config(config) {
        None => parsed,
        Some(settings) => model_extraction(&settings, config, id, text, parsed).await,
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
