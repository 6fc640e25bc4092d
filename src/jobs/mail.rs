//! The mail sender (docs/email.md): delivers due messages of `mail_outbox` through the
//! configured mailer — the dev mailbox, an HTTP email API, or none (messages stay queued,
//! visible as unsent). Runs right after a request that queued mail (`wait_until`) and on every
//! frequent cron run; each attempt is claimed first, so concurrent senders never send a message
//! twice. wasm32 only; the decisions (classification, backoff) are in `domain::mail`.

use serde_json::{json, Value};
use worker::Env;

use crate::adapters::openai_http::FetchClient;
use crate::ai::client::HttpClient;
use crate::config::{Config, MailerKind};
use crate::domain::enums::MailKind;
use crate::domain::mail::{classify_status, next_step, optional, Attempt, HttpMailBody, Next, SEND_BATCH};
use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, log_event, now_ms};
use crate::store::mail::{self as store, Outcome, QueuedMail};

/// How long a claimed message is leased to its sender.
const LEASE_MS: i64 = 120_000;
/// Per-attempt timeout of the HTTP email API.
const SEND_TIMEOUT_MS: u64 = 10_000;

/// The frequent cron's run: every due message, up to [`SEND_BATCH`].
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    let result = async {
        let config = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
        send_due(env, &config).await
    }
    .await;
    (started, result)
}

/// Sends what is due now. Returns counts by outcome.
///
/// # Errors
/// D1 failures (a failed send is an outcome, not an error).
pub async fn send_due(env: &Env, config: &Config) -> worker::Result<Value> {
    let mut counts = json!({ "sent": 0, "retrying": 0, "failed": 0, "skipped": 0 });
    if config.mailer == MailerKind::None {
        return Ok(counts);
    }
    let db = crate::store::Db::from_env(env)?;
    #[allow(clippy::cast_possible_truncation)]
    let base_ms = (config.mail_retry_base_secs * 1000.0) as i64;
    for id in store::due(&db, &rfc3339_ms(now_ms()), SEND_BATCH).await? {
        let now = now_ms();
        let Some(mail) = store::claim(&db, &id, &rfc3339_ms(now), &rfc3339_ms(now + LEASE_MS)).await? else {
            counts["skipped"] = json!(counts["skipped"].as_u64().unwrap_or(0) + 1);
            continue;
        };
        // An optional kind to an opted-out address is never sent, and shows as skipped.
        if MailKind::parse(&mail.kind).is_some_and(optional) && store::opted_out(&db, &mail.to_addr).await? {
            store::record(&db, &mail, Outcome::Skipped, &rfc3339_ms(now_ms())).await?;
            counts["skipped"] = json!(counts["skipped"].as_u64().unwrap_or(0) + 1);
            continue;
        }
        let attempt = attempt(&db, config, &mail).await;
        let attempts = u32::try_from(mail.attempts).unwrap_or(u32::MAX);
        let done = now_ms();
        let now_text = rfc3339_ms(done);
        let next = next_step(attempt, attempts, done, base_ms);
        let retry_at = match &next {
            Next::RetryAt { at, .. } => rfc3339_ms(*at),
            Next::Sent | Next::Failed { .. } => String::new(),
        };
        let outcome = match &next {
            Next::Sent => Outcome::Sent,
            Next::RetryAt { error, .. } => Outcome::Retry { at: &retry_at, error },
            Next::Failed { error } => Outcome::Failed { error },
        };
        store::record(&db, &mail, outcome, &now_text).await?;
        let key = next.label();
        // Kind and attempt number only: never the address or the content.
        log_event("mail_attempt", json!({ "kind": mail.kind, "attempt": attempts, "outcome": key }));
        counts[key] = json!(counts[key].as_u64().unwrap_or(0) + 1);
    }
    Ok(counts)
}

/// One delivery attempt through the configured mailer.
async fn attempt(db: &crate::store::Db, config: &Config, mail: &QueuedMail) -> Attempt {
    match config.mailer {
        MailerKind::None => Attempt::Retry("no mailer is configured".into()),
        MailerKind::Dev => match store::dev_deliver(db, mail, &rfc3339_ms(now_ms())).await {
            Ok(()) => Attempt::Sent,
            Err(e) => {
                log_error("dev mailbox", &e);
                Attempt::Retry("the dev mailbox could not store the message".into())
            }
        },
        MailerKind::Http => {
            let Some(url) = config.mail_api_url.as_deref() else {
                return Attempt::Retry("MAIL_API_URL is not configured".into());
            };
            let body = HttpMailBody {
                from: &config.mail_from,
                to: [&mail.to_addr],
                subject: &mail.subject,
                text: &mail.body_text,
            };
            let Ok(body) = serde_json::to_string(&body) else {
                return Attempt::Refused("the message could not be encoded".into());
            };
            let key = config.mail_api_key.as_deref().unwrap_or_default();
            match FetchClient.post_json(url, key, &body, SEND_TIMEOUT_MS).await {
                Ok(reply) => classify_status(reply.status),
                Err(e) if e.timed_out => Attempt::Retry("the mail provider timed out".into()),
                Err(_) => Attempt::Retry("the mail provider could not be reached".into()),
            }
        }
    }
}
