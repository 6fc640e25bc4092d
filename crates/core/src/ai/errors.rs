//! Errors of OpenAI calls: the provider's error body, an unusable completion, and the one error
//! a provider call returns to the turn.
//!
//! Upstream text (an error `message`, a refusal) is kept for debugging but never shown by
//! `Display`, which is what logs use: the spec keeps upstream error text away from clients and
//! message content out of logs (docs/api.md#errors, docs/api.md#logs). Every variant maps to the
//! `AI_UNAVAILABLE` 503 of a turn (docs/interviews.md#a-turn) with a `Retry-After`
//! ([`AiError::retry_after_secs`]).

use std::fmt;

use serde_json::Value;

use super::breaker::CallResult;
use super::retry::{classify, parse_retry_after_ms, parse_retry_after_ms_header, Outcome};
use crate::domain::engine::cost::ChatUsage;

/// `Retry-After` (seconds) suggested to the client when nothing better is known.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 5;

/// An error answer of the provider (`{"error":{"message","type","param","code"}}`, all four keys
/// nullable in practice on compatible servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamError {
    pub status: u16,
    /// e.g. `invalid_request_error`, `server_error`, `insufficient_quota`.
    pub error_type: Option<String>,
    /// e.g. `rate_limit_exceeded`, `context_length_exceeded`, `invalid_api_key`.
    pub code: Option<String>,
    pub param: Option<String>,
    /// The provider's human text: for debugging only, never for clients (it may echo a masked key).
    pub message: Option<String>,
    /// The server's `Retry-After` in milliseconds, if it sent one in seconds, or its
    /// `retry-after-ms` (see [`UpstreamError::with_retry_after_ms_header`]).
    pub retry_after_ms: Option<u64>,
}

impl UpstreamError {
    /// Reads an error answer. A body that is not OpenAI's error shape still gives an error with
    /// just the status.
    #[must_use]
    pub fn from_response(status: u16, body: &str, retry_after: Option<&str>) -> UpstreamError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let field = |name: &str| -> Option<String> {
            match error.and_then(|e| e.get(name)) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        UpstreamError {
            status,
            error_type: field("type"),
            code: field("code"),
            param: field("param"),
            message: field("message"),
            retry_after_ms: retry_after.and_then(parse_retry_after_ms),
        }
    }

    /// Applies OpenAI's non-standard `retry-after-ms` header, which wins over `Retry-After` when
    /// it parses (as in the official SDKs).
    #[must_use]
    pub fn with_retry_after_ms_header(mut self, value: Option<&str>) -> Self {
        if let Some(ms) = value.and_then(parse_retry_after_ms_header) {
            self.retry_after_ms = Some(ms);
        }
        self
    }

    /// Whether retrying can help: the status's class, except that an exhausted quota or credit
    /// balance (a 429 that needs billing, not patience) is fatal.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        let needs_billing = |s: &Option<String>| {
            matches!(
                s.as_deref(),
                Some("insufficient_quota" | "credit_balance_exhausted" | "billing_hard_limit_reached")
            )
        };
        if self.status == 429 && (needs_billing(&self.code) || needs_billing(&self.error_type)) {
            return Outcome::Fatal;
        }
        classify(self.status)
    }

    /// The prompt did not fit the model's context window (the caller may shrink the history).
    #[must_use]
    pub fn is_context_overflow(&self) -> bool {
        self.code.as_deref() == Some("context_length_exceeded")
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upstream HTTP {}", self.status)?;
        if let Some(t) = &self.error_type {
            write!(f, " type={t}")?;
        }
        if let Some(c) = &self.code {
            write!(f, " code={c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UpstreamError {}

/// Why a 200 chat completion could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The HTTP body is not JSON, or not a chat completion.
    InvalidBody,
    /// No `choices[0].message`.
    NoChoices,
    /// The model refused (`message.refusal`); the text is kept for debugging.
    Refusal(String),
    /// `finish_reason: "length"`: the output hit the token cap and its JSON is cut off.
    Truncated,
    /// `finish_reason: "content_filter"`.
    ContentFiltered,
    /// `message.content` is missing, null or empty.
    EmptyContent,
    /// `message.content` is not a JSON object.
    ContentNotJson,
    /// A required field of the structured output is missing.
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    WrongType(&'static str),
    /// An enum field holds a value outside the enum (e.g. `answer_quality: "average"`).
    UnknownEnum { field: &'static str, value: String },
    /// An assessment narrative quoted a number the engine did not compute (the number as
    /// quoted); the narrative is rejected and the built-in one stands in.
    UnverifiedNumber(String),
}

/// An unusable chat completion. The tokens were spent anyway, so the usage and model that the
/// body reported (if it got that far) travel with the error for cost accounting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub usage: ChatUsage,
    pub model: Option<String>,
}

impl ParseError {
    #[must_use]
    pub fn new(kind: ParseErrorKind) -> Self {
        ParseError { kind, usage: ChatUsage::default(), model: None }
    }

    /// Whether another attempt may help. Malformed output is sampling noise (or a compatible
    /// server that ignores strict schemas) and is retryable; a refusal, a filtered or truncated
    /// answer would most likely repeat, so they are fatal for this call.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        match self.kind {
            ParseErrorKind::Refusal(_) | ParseErrorKind::Truncated | ParseErrorKind::ContentFiltered => {
                Outcome::Fatal
            }
            ParseErrorKind::InvalidBody
            | ParseErrorKind::NoChoices
            | ParseErrorKind::EmptyContent
            | ParseErrorKind::ContentNotJson
            | ParseErrorKind::MissingField(_)
            | ParseErrorKind::WrongType(_)
            | ParseErrorKind::UnknownEnum { .. }
            | ParseErrorKind::UnverifiedNumber(_) => Outcome::Retryable,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::InvalidBody => f.write_str("response body is not a chat completion"),
            ParseErrorKind::NoChoices => f.write_str("chat completion has no choices"),
            ParseErrorKind::Refusal(_) => f.write_str("model refused"),
            ParseErrorKind::Truncated => f.write_str("output truncated (finish_reason=length)"),
            ParseErrorKind::ContentFiltered => f.write_str("output filtered (finish_reason=content_filter)"),
            ParseErrorKind::EmptyContent => f.write_str("empty message content"),
            ParseErrorKind::ContentNotJson => f.write_str("message content is not a JSON object"),
            ParseErrorKind::MissingField(field) => write!(f, "structured output lacks `{field}`"),
            ParseErrorKind::WrongType(field) => {
                write!(f, "structured output field `{field}` has the wrong type")
            }
            // The value is model output about an answer, not the answer: short, safe to log.
            ParseErrorKind::UnknownEnum { field, value } => {
                let value: String = value.chars().take(40).collect();
                write!(f, "structured output field `{field}` has unknown value {value:?}")
            }
            ParseErrorKind::UnverifiedNumber(number) => {
                let number: String = number.chars().take(20).collect();
                write!(f, "narrative quotes {number}, a number the engine did not compute")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Why a provider call (all of its attempts) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiError {
    /// The circuit breaker is open: no call was made.
    BreakerOpen { retry_after_ms: u64 },
    /// The provider answered with an error status (fatal, or still failing after every attempt).
    Upstream(UpstreamError),
    /// No answer: connection failures or timeouts on every attempt.
    Network { timed_out: bool },
    /// The provider answered 200 with something unusable.
    Parse(ParseError),
}

impl AiError {
    /// The `Retry-After` for the `AI_UNAVAILABLE` answer, in whole seconds (at least 1).
    #[must_use]
    pub fn retry_after_secs(&self) -> u64 {
        let ms = match self {
            AiError::BreakerOpen { retry_after_ms } => Some(*retry_after_ms),
            AiError::Upstream(e) => e.retry_after_ms,
            AiError::Network { .. } | AiError::Parse(_) => None,
        };
        ms.map_or(DEFAULT_RETRY_AFTER_SECS, |ms| ms.div_ceil(1_000).max(1))
    }

    /// Whether the failure counts against the circuit breaker. Everything does except an open
    /// breaker (no call was made) and the fatal errors that say nothing about the provider's
    /// health: a 400 for one oversized prompt must not lock every interview out, and a refusal,
    /// filtered or truncated answer is a healthy provider answering one request.
    #[must_use]
    pub fn counts_for_breaker(&self) -> bool {
        match self {
            AiError::BreakerOpen { .. } => false,
            AiError::Upstream(e) => {
                e.outcome() == Outcome::Retryable || matches!(e.status, 401 | 403 | 404 | 429)
            }
            AiError::Network { .. } => true,
            AiError::Parse(e) => e.outcome() == Outcome::Retryable,
        }
    }

    /// Whether another attempt of the same request may succeed (an open breaker: no).
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        match self {
            AiError::BreakerOpen { .. } => Outcome::Fatal,
            AiError::Upstream(e) => e.outcome(),
            AiError::Network { .. } => Outcome::Retryable,
            AiError::Parse(e) => e.outcome(),
        }
    }

    /// The delay the server asked for before another attempt, in milliseconds.
    #[must_use]
    pub fn server_delay_ms(&self) -> Option<u64> {
        match self {
            AiError::Upstream(e) => e.retry_after_ms,
            AiError::BreakerOpen { .. } | AiError::Network { .. } | AiError::Parse(_) => None,
        }
    }

    /// A short, content-free label for logs: the HTTP status (`"429"`), `"timeout"`,
    /// `"network"`, `"parse"` or `"breaker_open"`.
    #[must_use]
    pub fn log_reason(&self) -> String {
        match self {
            AiError::BreakerOpen { .. } => "breaker_open".to_owned(),
            AiError::Upstream(e) => e.status.to_string(),
            AiError::Network { timed_out: true } => "timeout".to_owned(),
            AiError::Network { timed_out: false } => "network".to_owned(),
            AiError::Parse(_) => "parse".to_owned(),
        }
    }

    /// Usage reported by an unusable 200 (zero otherwise), to be charged anyway.
    #[must_use]
    pub fn usage(&self) -> ChatUsage {
        match self {
            AiError::Parse(e) => e.usage,
            AiError::BreakerOpen { .. } | AiError::Upstream(_) | AiError::Network { .. } => {
                ChatUsage::default()
            }
        }
    }
}

impl fmt::Display for AiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AiError::BreakerOpen { retry_after_ms } => {
                write!(f, "circuit breaker open for {retry_after_ms} ms")
            }
            AiError::Upstream(e) => e.fmt(f),
            AiError::Network { timed_out: true } => f.write_str("upstream timed out"),
            AiError::Network { timed_out: false } => f.write_str("upstream connection failed"),
            AiError::Parse(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AiError {}

/// How one attempt's result is reported to the circuit breaker; `None` when no call was made
/// (an open breaker), so there is nothing to report.
#[must_use]
pub fn breaker_result<T>(result: &Result<T, AiError>) -> Option<CallResult> {
    match result {
        Ok(_) => Some(CallResult::Success),
        Err(AiError::BreakerOpen { .. }) => None,
        Err(e) if e.counts_for_breaker() => Some(CallResult::Failure),
        Err(_) => Some(CallResult::Neutral),
    }
}

impl From<ParseError> for AiError {
    fn from(e: ParseError) -> Self {
        AiError::Parse(e)
    }
}

impl From<UpstreamError> for AiError {
    fn from(e: UpstreamError) -> Self {
        AiError::Upstream(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read_and_classified() {
        let body = r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let e = UpstreamError::from_response(429, body, Some("2"));
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(e.error_type.as_deref(), Some("requests"));
        assert_eq!(e.param, None);
        assert_eq!(e.retry_after_ms, Some(2_000));
        assert_eq!(e.outcome(), Outcome::Retryable);
        assert_eq!(e.to_string(), "upstream HTTP 429 type=requests code=rate_limit_exceeded");

        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert_eq!(UpstreamError::from_response(429, quota, None).outcome(), Outcome::Fatal);

        let overflow = r#"{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let e = UpstreamError::from_response(400, overflow, None);
        assert!(e.is_context_overflow());
        assert_eq!(e.param.as_deref(), Some("messages"));
        assert_eq!(e.outcome(), Outcome::Fatal);
        assert!(!e.to_string().contains("maximum"), "no upstream text in Display");

        let html = UpstreamError::from_response(502, "<html>Bad gateway</html>", None);
        assert_eq!((html.status, html.code.clone(), html.outcome()), (502, None, Outcome::Retryable));
    }

    #[test]
    fn parse_error_outcomes() {
        assert_eq!(ParseError::new(ParseErrorKind::ContentNotJson).outcome(), Outcome::Retryable);
        assert_eq!(ParseError::new(ParseErrorKind::MissingField("evaluation")).outcome(), Outcome::Retryable);
        assert_eq!(ParseError::new(ParseErrorKind::Truncated).outcome(), Outcome::Fatal);
        assert_eq!(ParseError::new(ParseErrorKind::Refusal("no".into())).outcome(), Outcome::Fatal);
        let refusal = ParseError::new(ParseErrorKind::Refusal("secret model text".into()));
        assert!(!refusal.to_string().contains("secret"));
    }

    #[test]
    fn ai_errors_give_a_retry_after_and_breaker_accounting() {
        assert_eq!(AiError::BreakerOpen { retry_after_ms: 1 }.retry_after_secs(), 1);
        assert_eq!(AiError::BreakerOpen { retry_after_ms: 59_001 }.retry_after_secs(), 60);
        assert_eq!(AiError::Network { timed_out: true }.retry_after_secs(), DEFAULT_RETRY_AFTER_SECS);
        let limited = UpstreamError::from_response(429, "{}", Some("7"));
        assert_eq!(AiError::from(limited.clone()).retry_after_secs(), 7);

        assert!(!AiError::BreakerOpen { retry_after_ms: 1 }.counts_for_breaker());
        assert!(AiError::from(limited).counts_for_breaker());
        assert!(AiError::Network { timed_out: false }.counts_for_breaker());
        assert!(AiError::from(UpstreamError::from_response(500, "", None)).counts_for_breaker());
        assert!(AiError::from(UpstreamError::from_response(401, "", None)).counts_for_breaker());
        assert!(!AiError::from(UpstreamError::from_response(400, "", None)).counts_for_breaker());
        assert!(AiError::from(ParseError::new(ParseErrorKind::ContentNotJson)).counts_for_breaker());

        assert!(!AiError::from(ParseError::new(ParseErrorKind::Truncated)).counts_for_breaker());
        assert!(!AiError::from(ParseError::new(ParseErrorKind::Refusal("no".into()))).counts_for_breaker());

        let mut parse = ParseError::new(ParseErrorKind::Truncated);
        parse.usage.output_tokens = 9;
        assert_eq!(AiError::from(parse).usage().output_tokens, 9);
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let e = UpstreamError::from_response(429, "{}", Some("7")).with_retry_after_ms_header(Some("250"));
        assert_eq!(e.retry_after_ms, Some(250));
        let e = UpstreamError::from_response(429, "{}", Some("7")).with_retry_after_ms_header(Some("x"));
        assert_eq!(e.retry_after_ms, Some(7_000));
        let e = UpstreamError::from_response(503, "", None).with_retry_after_ms_header(None);
        assert_eq!(e.retry_after_ms, None);
    }

    #[test]
    fn attempt_results_map_to_outcomes_delays_reasons_and_breaker_reports() {
        let limited = AiError::from(UpstreamError::from_response(429, "{}", Some("3")));
        let bad_request = AiError::from(UpstreamError::from_response(400, "{}", None));
        let timeout = AiError::Network { timed_out: true };
        let malformed = AiError::from(ParseError::new(ParseErrorKind::ContentNotJson));
        let refusal = AiError::from(ParseError::new(ParseErrorKind::Refusal("no".into())));
        let open = AiError::BreakerOpen { retry_after_ms: 5 };

        let outcomes: Vec<Outcome> =
            [&limited, &bad_request, &timeout, &malformed, &refusal, &open].map(AiError::outcome).into();
        use Outcome::{Fatal, Retryable};
        assert_eq!(outcomes, [Retryable, Fatal, Retryable, Retryable, Fatal, Fatal]);

        assert_eq!(limited.server_delay_ms(), Some(3_000));
        assert_eq!(timeout.server_delay_ms(), None);
        assert_eq!(open.server_delay_ms(), None, "not a delay between attempts");

        let reasons = [&limited, &bad_request, &timeout, &malformed, &open].map(AiError::log_reason);
        assert_eq!(reasons, ["429", "400", "timeout", "parse", "breaker_open"]);
        assert_eq!(AiError::Network { timed_out: false }.log_reason(), "network");

        assert_eq!(breaker_result::<()>(&Ok(())), Some(CallResult::Success));
        assert_eq!(breaker_result::<()>(&Err(limited)), Some(CallResult::Failure));
        assert_eq!(breaker_result::<()>(&Err(timeout)), Some(CallResult::Failure));
        assert_eq!(breaker_result::<()>(&Err(malformed)), Some(CallResult::Failure));
        assert_eq!(breaker_result::<()>(&Err(bad_request)), Some(CallResult::Neutral));
        assert_eq!(breaker_result::<()>(&Err(refusal)), Some(CallResult::Neutral));
        assert_eq!(breaker_result::<()>(&Err(open)), None);
    }
}
