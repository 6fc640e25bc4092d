//! One chat-completions call with a per-attempt timeout, retries and the circuit breaker, over
//! an injected [`HttpClient`]: the Worker sends with `worker::Fetch`, tests with a scripted
//! client. Every decision here is pure ([`super::retry`], [`super::breaker`], [`super::errors`]);
//! the client only sends, waits, reads the clock, draws the jitter and logs. Logs carry ids,
//! numbers and status labels: never the API key, the prompt, the answer or any upstream error
//! text (docs/api.md#logs).

use serde_json::{json, Value};

use super::breaker::{CircuitBreaker, Transition};
use super::chat::{parse_turn_response, ParsedTurn};
use super::errors::{breaker_result, AiError, ParseError, UpstreamError};
use super::retry::{classify, Outcome, RetryDecision, RetryPolicy};
use crate::config::Config;
use crate::domain::engine::cost::ChatUsage;

/// What a chat call needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// An HTTP answer, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
    /// The `retry-after` and `retry-after-ms` headers.
    pub retry_after: Option<String>,
    pub retry_after_ms: Option<String>,
}

/// No answer: a connection failure, or no whole answer within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAnswer {
    pub timed_out: bool,
}

/// The platform's side of an OpenAI call.
#[allow(async_fn_in_trait)] // single-threaded runtimes (workerd, tests): no `Send` bound wanted
pub trait HttpClient {
    /// `POST url` with a JSON body and `Authorization: Bearer api_key`, never following a
    /// redirect, answered whole within `timeout_ms`.
    async fn post_json(
        &self,
        url: &str,
        api_key: &str,
        body: &str,
        timeout_ms: u64,
    ) -> Result<HttpReply, NoAnswer>;
    async fn sleep(&self, ms: u64);
    fn now_ms(&self) -> i64;
    /// A uniform draw in `[0, 1)` for the retry jitter.
    fn jitter(&self) -> f64;
    fn log(&self, event: &'static str, fields: Value);
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
    http: &impl HttpClient,
    settings: &OpenAiSettings,
    body: &Value,
    breaker: &mut CircuitBreaker,
    interview_id: &str,
) -> (Result<ParsedTurn, AiError>, CallReport) {
    chat_completion_with(
        http,
        settings,
        body,
        breaker,
        interview_id,
        &parse_turn_response,
        &|t: &ParsedTurn| t.usage,
    )
    .await
}

/// [`chat_completion`] for any structured-output request: `parse` reads a 2xx body, `usage`
/// tells the billed tokens of a parsed answer (for the log line).
pub async fn chat_completion_with<T>(
    http: &impl HttpClient,
    settings: &OpenAiSettings,
    body: &Value,
    breaker: &mut CircuitBreaker,
    interview_id: &str,
    parse: &dyn Fn(&str) -> Result<T, ParseError>,
    usage: &dyn Fn(&T) -> ChatUsage,
) -> (Result<T, AiError>, CallReport) {
    let started = http.now_ms();
    let clock = || u64::try_from(http.now_ms()).unwrap_or(0);
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
    let text = body.to_string();
    let url = format!("{}/chat/completions", settings.base_url);
    let mut report = CallReport::default();
    let result = loop {
        match breaker.allow(clock()) {
            Ok(permit) => note_transition(http, &mut report, permit.transition, interview_id),
            Err(open) => break Err(AiError::BreakerOpen { retry_after_ms: open.retry_after_ms }),
        }
        report.attempts = report.attempts.saturating_add(1);
        let attempt_started = http.now_ms();
        let (status, result) = match http.post_json(&url, &settings.api_key, &text, settings.timeout_ms).await
        {
            Err(NoAnswer { timed_out }) => (None, Err(AiError::Network { timed_out })),
            Ok(reply) => (Some(reply.status), read_reply(&reply, parse)),
        };
        log_call(
            http,
            interview_id,
            model,
            status,
            report.attempts,
            http.now_ms() - attempt_started,
            &result,
            usage,
        );
        if let Some(call_result) = breaker_result(&result) {
            note_transition(http, &mut report, breaker.record(call_result, clock()), interview_id);
        }
        let err = match result {
            Ok(answer) => break Ok(answer),
            Err(err) => err,
        };
        let (outcome, server_ms) = (err.outcome(), err.server_delay_ms());
        match settings.retry.decide_with_server_delay(report.attempts, outcome, server_ms, http.jitter()) {
            RetryDecision::GiveUp => break Err(err),
            RetryDecision::RetryAfterMs(delay_ms) => {
                let fields = json!({"interview_id": interview_id, "attempt": report.attempts,
                    "delay_ms": delay_ms, "reason": err.log_reason()});
                http.log("ai_retry", fields);
                http.sleep(delay_ms).await;
            }
        }
    };
    report.latency_ms = http.now_ms() - started;
    (result, report)
}

fn read_reply<T>(reply: &HttpReply, parse: &dyn Fn(&str) -> Result<T, ParseError>) -> Result<T, AiError> {
    if classify(reply.status) == Outcome::Success {
        parse(&reply.body).map_err(AiError::Parse)
    } else {
        let error = UpstreamError::from_response(reply.status, &reply.body, reply.retry_after.as_deref());
        Err(AiError::Upstream(error.with_retry_after_ms_header(reply.retry_after_ms.as_deref())))
    }
}

/// `ai_call`: one attempt, with its HTTP status (`null` without an answer) and billed tokens.
#[allow(clippy::too_many_arguments)]
fn log_call<T>(
    http: &impl HttpClient,
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
    http.log(
        "ai_call",
        json!({"interview_id": interview_id, "model": model, "status": status, "attempt": attempt,
            "latency_ms": latency_ms, "tokens_in": usage.input_tokens, "tokens_out": usage.output_tokens,
            "error": error}),
    );
}

/// Logs and keeps a breaker state change.
fn note_transition(
    http: &impl HttpClient,
    report: &mut CallReport,
    transition: Option<Transition>,
    interview_id: &str,
) {
    if let Some(t) = transition {
        let fields = json!({"interview_id": interview_id, "from": t.from.as_str(), "to": t.to.as_str()});
        http.log("breaker_transition", fields);
        report.transitions.push(t);
    }
}
