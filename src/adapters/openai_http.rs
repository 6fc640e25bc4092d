//! The wasm32 HTTP glue of the OpenAI provider: one chat-completions call of a turn
//! (docs/interviews.md#openai-mode) over `worker::Fetch`, with a per-attempt timeout, retries and the circuit
//! breaker.
//!
//! Every decision lives in the pure modules ([`retry`](super::retry), [`breaker`](super::breaker),
//! [`errors`](super::errors), [`chat`](super::chat)); this file only sends, waits, reads the clock,
//! draws the jitter and logs. Logs carry ids, numbers and status labels: never the API key, the
//! prompt, the answer or any upstream error text (docs/api.md#logs).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{
    AbortController, AbortSignal, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::ai::breaker::{CircuitBreaker, Transition};
use crate::ai::chat::{parse_turn_response, ParsedTurn};
use crate::ai::errors::{breaker_result, AiError, ParseError, UpstreamError};
use crate::ai::retry::{classify, Outcome, RetryDecision, RetryPolicy};
use crate::config::Config;
use crate::domain::engine::cost::ChatUsage;
use crate::platform::{log_event, now_ms};

/// What a chat call needs from the configuration.
pub struct OpenAiSettings {
    pub api_key: String,
    /// Without a trailing slash, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Per-attempt timeout, reading the whole body included.
    pub timeout_ms: u64,
    pub retry: RetryPolicy,
}

impl OpenAiSettings {
    /// The chat settings; `None` without an API key (the built-in interviewer serves instead).
    #[must_use]
    pub fn from_config(c: &Config) -> Option<Self> {
        let api_key = c.openai_api_key.as_deref().map(str::trim).filter(|k| !k.is_empty())?;
        Some(OpenAiSettings {
            api_key: api_key.to_owned(),
            base_url: c.openai_base_url.trim_end_matches('/').to_owned(),
            timeout_ms: c.openai_timeout_ms,
            retry: RetryPolicy { base_ms: c.openai_retry_base_ms, ..RetryPolicy::default() },
        })
    }
}

/// What a call did, for the caller's accounting: attempts made (0 when the breaker refused the
/// first), wall time of the whole call (waits included) and the breaker's state changes (already
/// logged; the caller persists the breaker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallReport {
    pub attempts: u32,
    pub latency_ms: i64,
    pub transitions: Vec<Transition>,
}

/// Sends the turn's chat-completions request `body` (from `chat::build_turn_request`), retrying
/// per `settings.retry`. The breaker is asked before every attempt and told every attempt's
/// result; an open breaker ends the call at once with [`AiError::BreakerOpen`].
pub async fn chat_completion(
    settings: &OpenAiSettings,
    body: &Value,
    breaker: &mut CircuitBreaker,
    interview_id: &str,
) -> (Result<ParsedTurn, AiError>, CallReport) {
    chat_completion_with(settings, body, breaker, interview_id, &parse_turn_response, &|t: &ParsedTurn| {
        t.usage
    })
    .await
}

/// [`chat_completion`] for any structured-output request: `parse` reads a 2xx body, `usage`
/// tells the billed tokens of a parsed answer (for the log line).
pub async fn chat_completion_with<T>(
    settings: &OpenAiSettings,
    body: &Value,
    breaker: &mut CircuitBreaker,
    interview_id: &str,
    parse: &dyn Fn(&str) -> Result<T, ParseError>,
    usage: &dyn Fn(&T) -> ChatUsage,
) -> (Result<T, AiError>, CallReport) {
    let started = now_ms();
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
    let body = body.to_string();
    let mut report = CallReport::default();
    let result = loop {
        match breaker.allow(clock()) {
            Ok(permit) => note_transition(&mut report, permit.transition, interview_id),
            Err(open) => break Err(AiError::BreakerOpen { retry_after_ms: open.retry_after_ms }),
        }
        report.attempts = report.attempts.saturating_add(1);
        let attempt_started = now_ms();
        let (status, result) = attempt(settings, &body, parse).await;
        log_call(interview_id, model, status, report.attempts, now_ms() - attempt_started, &result, usage);
        if let Some(call_result) = breaker_result(&result) {
            note_transition(&mut report, breaker.record(call_result, clock()), interview_id);
        }
        let err = match result {
            Ok(turn) => break Ok(turn),
            Err(err) => err,
        };
        let (outcome, server_ms, jitter) = (err.outcome(), err.server_delay_ms(), js_sys::Math::random());
        match settings.retry.decide_with_server_delay(report.attempts, outcome, server_ms, jitter) {
            RetryDecision::GiveUp => break Err(err),
            RetryDecision::RetryAfterMs(delay_ms) => {
                let fields = json!({"interview_id": interview_id, "attempt": report.attempts,
                    "delay_ms": delay_ms, "reason": err.log_reason()});
                log_event("ai_retry", fields);
                sleep(delay_ms).await;
            }
        }
    };
    report.latency_ms = now_ms() - started;
    (result, report)
}

/// One attempt within the timeout: the HTTP status if one arrived, and the attempt's result.
async fn attempt<T>(
    settings: &OpenAiSettings,
    body: &str,
    parse: &dyn Fn(&str) -> Result<T, ParseError>,
) -> (Option<u16>, Result<T, AiError>) {
    let controller = AbortController::default();
    let signal = controller.signal();
    let answered = {
        let mut exchange = pin!(exchange(settings, body, &signal, parse));
        let mut timer = pin!(sleep(settings.timeout_ms));
        poll_fn(|cx| match exchange.as_mut().poll(cx) {
            Poll::Ready(answer) => Poll::Ready(Some(answer)),
            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
        })
        .await
    };
    answered.unwrap_or_else(|| {
        controller.abort();
        (None, Err(AiError::Network { timed_out: true }))
    })
}

/// Sends the request and reads the whole answer.
async fn exchange<T>(
    settings: &OpenAiSettings,
    body: &str,
    signal: &AbortSignal,
    parse: &dyn Fn(&str) -> Result<T, ParseError>,
) -> (Option<u16>, Result<T, AiError>) {
    let network = Err(AiError::Network { timed_out: false });
    let Ok(request) = build_request(settings, body) else { return (None, network) };
    let Ok(mut response) = Fetch::Request(request).send_with_signal(signal).await else {
        return (None, network);
    };
    let status = response.status_code();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (retry_after, retry_after_ms) = (header("retry-after"), header("retry-after-ms"));
    let Ok(text) = response.text().await else { return (Some(status), network) };
    let result = if classify(status) == Outcome::Success {
        parse(&text).map_err(AiError::Parse)
    } else {
        let error = UpstreamError::from_response(status, &text, retry_after.as_deref());
        Err(AiError::Upstream(error.with_retry_after_ms_header(retry_after_ms.as_deref())))
    };
    (Some(status), result)
}

fn build_request(settings: &OpenAiSettings, body: &str) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {}", settings.api_key))?;
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        // A redirect is answered as the fatal 3xx it is, never followed with the key.
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(body)));
    Request::new_with_init(&format!("{}/chat/completions", settings.base_url), &init)
}

/// `ai_call`: one attempt, with its HTTP status (`null` without an answer) and billed tokens.
fn log_call<T>(
    interview_id: &str,
    model: &str,
    status: Option<u16>,
    attempt: u32,
    latency_ms: i64,
    result: &Result<T, AiError>,
    usage_of: &dyn Fn(&T) -> ChatUsage,
) {
    let (usage, error) = match result {
        Ok(answer) => (usage_of(answer), None),
        Err(err) => (err.usage(), Some(err.log_reason())),
    };
    log_event(
        "ai_call",
        json!({"interview_id": interview_id, "model": model, "status": status, "attempt": attempt,
            "latency_ms": latency_ms, "tokens_in": usage.input_tokens, "tokens_out": usage.output_tokens,
            "error": error}),
    );
}

/// Logs and keeps a breaker state change.
fn note_transition(report: &mut CallReport, transition: Option<Transition>, interview_id: &str) {
    if let Some(t) = transition {
        let fields = json!({"interview_id": interview_id, "from": t.from.as_str(), "to": t.to.as_str()});
        log_event("breaker_transition", fields);
        report.transitions.push(t);
    }
}

/// The breaker's clock: Unix milliseconds (a clock before 1970 reads as 0).
fn clock() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

/// Longest wait a JS timer takes (its delay is a 32-bit signed integer).
const MAX_TIMER_MS: u64 = 2_147_483_647;

fn sleep(ms: u64) -> Delay {
    Delay::from(Duration::from_millis(ms.min(MAX_TIMER_MS)))
}
