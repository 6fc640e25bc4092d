//! Retry decisions for OpenAI calls (docs/interviews.md#openai-mode): which failures are worth another
//! attempt and how long to wait before it.
//!
//! * **Retryable**: 429 (rate limited), every 5xx, 408 (request timeout) and 409 (conflict, a
//!   lock on OpenAI's side; the official SDKs retry both), and transport failures (connection
//!   errors, our own timeout). A 429 whose error code says the quota is exhausted is not
//!   retryable (`errors::UpstreamError::outcome` refines the status with the body).
//! * **Fatal**: every other 4xx (bad request, bad key, unknown model, context overflow, …), and
//!   anything that is neither 2xx nor an error status (1xx/3xx: the client follows no redirects).
//! * **Success**: 2xx.
//!
//! Backoff before attempt `n + 1` after `n` failed attempts is `base · 2^(n-1)` (1 s, 2 s, 4 s, …,
//! capped at `max_delay_ms`), shortened by up to 25 % of jitter as the official SDKs do (so
//! concurrent interviews that failed together do not retry in lock-step, and a wait is never
//! longer than its nominal value). A `Retry-After` from the server wins when it asks for longer,
//! up to `max_retry_after_ms` (20 s): a server asking for more is better answered with
//! `AI_UNAVAILABLE` now than with a turn that hangs. The caller passes the jitter (`0.0..=1.0`),
//! so this module needs no randomness source and stays deterministic under test.

use serde::{Deserialize, Serialize};

/// What one attempt's result means for the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A usable answer.
    Success,
    /// A transient failure: another attempt may succeed.
    Retryable,
    /// A failure another attempt would repeat: give up now.
    Fatal,
}

/// How one attempt ended, before any body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// The server answered with this HTTP status.
    Status(u16),
    /// The connection failed (DNS, refused, reset, TLS, …).
    NetworkError,
    /// No answer within the call's timeout (chat 45 s, transcription 30 s, speech 20 s).
    Timeout,
}

/// Classifies an HTTP status.
#[must_use]
pub const fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Success,
        408 | 409 | 429 => Outcome::Retryable,
        500..=599 => Outcome::Retryable,
        _ => Outcome::Fatal,
    }
}

/// Classifies an attempt: statuses as [`classify`], transport failures are retryable.
#[must_use]
pub const fn classify_attempt(result: AttemptResult) -> Outcome {
    match result {
        AttemptResult::Status(status) => classify(status),
        AttemptResult::NetworkError | AttemptResult::Timeout => Outcome::Retryable,
    }
}

/// The retry policy of one kind of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least 1 is made whatever this says).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; it doubles after each further one.
    pub base_ms: u64,
    /// Cap of the exponential wait.
    pub max_delay_ms: u64,
    /// Cap of a server's `Retry-After`.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    /// docs/interviews.md#openai-mode: 3 attempts, waits of 1 s then 2 s (4 s if more attempts are
    /// configured).
    fn default() -> Self {
        RetryPolicy { max_attempts: 3, base_ms: 1_000, max_delay_ms: 8_000, max_retry_after_ms: 20_000 }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this many milliseconds, then make the next attempt.
    RetryAfterMs(u64),
    /// Stop: the failure is fatal or the attempts are used up.
    GiveUp,
}

/// Largest jitter share taken off a wait.
const JITTER_SHARE: f64 = 0.25;

impl RetryPolicy {
    /// The wait before the next attempt after `attempt` failed attempts (1-based: `1` is the wait
    /// after the first failure). `retry_after` is the raw `Retry-After` header value, if any;
    /// `jitter01` a uniform draw in `0.0..=1.0` (clamped; NaN counts as 0).
    #[must_use]
    pub fn backoff_ms(&self, attempt: u32, retry_after: Option<&str>, jitter01: f64) -> u64 {
        self.backoff_with_server_delay(attempt, retry_after.and_then(parse_retry_after_ms), jitter01)
    }

    /// [`RetryPolicy::backoff_ms`] with the server's delay already in milliseconds (see
    /// [`server_delay_ms`]): it wins when longer than the backoff, capped at `max_retry_after_ms`.
    #[must_use]
    pub fn backoff_with_server_delay(&self, attempt: u32, server_ms: Option<u64>, jitter01: f64) -> u64 {
        let exponent = attempt.saturating_sub(1).min(32);
        let nominal = self.base_ms.saturating_mul(1u64 << exponent).min(self.max_delay_ms.max(self.base_ms));
        let jitter = if jitter01.is_nan() { 0.0 } else { jitter01.clamp(0.0, 1.0) };
        // `nominal` is at most a few minutes, far inside f64's exact integer range.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let jittered = (nominal as f64 * (1.0 - JITTER_SHARE * jitter)).round() as u64;
        let server = server_ms.map(|ms| ms.min(self.max_retry_after_ms));
        server.map_or(jittered, |ms| ms.max(jittered))
    }

    /// The decision after attempt number `attempt` (1-based) ended with `outcome`.
    /// `Success` never asks for a retry.
    #[must_use]
    pub fn decide(
        &self,
        attempt: u32,
        outcome: Outcome,
        retry_after: Option<&str>,
        jitter01: f64,
    ) -> RetryDecision {
        self.decide_with_server_delay(attempt, outcome, retry_after.and_then(parse_retry_after_ms), jitter01)
    }

    /// [`RetryPolicy::decide`] with the server's delay already in milliseconds (see
    /// [`server_delay_ms`]).
    #[must_use]
    pub fn decide_with_server_delay(
        &self,
        attempt: u32,
        outcome: Outcome,
        server_ms: Option<u64>,
        jitter01: f64,
    ) -> RetryDecision {
        match outcome {
            Outcome::Retryable if attempt < self.max_attempts.max(1) => {
                RetryDecision::RetryAfterMs(self.backoff_with_server_delay(attempt, server_ms, jitter01))
            }
            Outcome::Success | Outcome::Retryable | Outcome::Fatal => RetryDecision::GiveUp,
        }
    }

    /// The longest total wait a call can spend between its attempts (not counting the attempts
    /// themselves), e.g. for sizing a turn's time budget.
    #[must_use]
    pub fn max_total_wait_ms(&self) -> u64 {
        (1..self.max_attempts.max(1))
            .map(|attempt| self.backoff_ms(attempt, None, 0.0).max(self.max_retry_after_ms))
            .fold(0u64, u64::saturating_add)
    }
}

/// Default-policy shorthand for [`RetryPolicy::backoff_ms`].
#[must_use]
pub fn backoff_ms(attempt: u32, retry_after: Option<&str>, jitter01: f64) -> u64 {
    RetryPolicy::default().backoff_ms(attempt, retry_after, jitter01)
}

/// Parses a `Retry-After` value given in seconds (`"1"`, `"0.5"`, with surrounding whitespace)
/// into milliseconds. An HTTP date, a negative or non-finite number or garbage gives `None`, and
/// the exponential backoff applies. (OpenAI sends integer seconds; dates would need a clock.)
#[must_use]
pub fn parse_retry_after_ms(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let seconds: f64 = value.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    // Capped far below u64::MAX before the conversion.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((seconds.min(86_400.0) * 1_000.0).ceil() as u64)
}

/// Parses OpenAI's non-standard `retry-after-ms` header (the SDKs prefer it when present).
#[must_use]
pub fn parse_retry_after_ms_header(value: &str) -> Option<u64> {
    let value = value.trim();
    let ms: f64 = value.parse().ok()?;
    if !ms.is_finite() || ms < 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(ms.min(86_400_000.0).ceil() as u64)
}

/// The delay a server asked for, in milliseconds, from its `retry-after-ms` (OpenAI's
/// non-standard header, preferred as the SDKs do) or else its `Retry-After` (seconds). A value
/// that does not parse counts as absent.
#[must_use]
pub fn server_delay_ms(retry_after: Option<&str>, retry_after_ms: Option<&str>) -> Option<u64> {
    retry_after_ms
        .and_then(parse_retry_after_ms_header)
        .or_else(|| retry_after.and_then(parse_retry_after_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let table = [
            (200, Outcome::Success),
            (201, Outcome::Success),
            (204, Outcome::Success),
            (100, Outcome::Fatal),
            (301, Outcome::Fatal),
            (304, Outcome::Fatal),
            (400, Outcome::Fatal),
            (401, Outcome::Fatal),
            (403, Outcome::Fatal),
            (404, Outcome::Fatal),
            (408, Outcome::Retryable),
            (409, Outcome::Retryable),
            (413, Outcome::Fatal),
            (422, Outcome::Fatal),
            (429, Outcome::Retryable),
            (500, Outcome::Retryable),
            (502, Outcome::Retryable),
            (503, Outcome::Retryable),
            (504, Outcome::Retryable),
            (599, Outcome::Retryable),
            (600, Outcome::Fatal),
            (0, Outcome::Fatal),
        ];
        for (status, outcome) in table {
            assert_eq!(classify(status), outcome, "{status}");
            assert_eq!(classify_attempt(AttemptResult::Status(status)), outcome, "{status}");
        }
        assert_eq!(classify_attempt(AttemptResult::NetworkError), Outcome::Retryable);
        assert_eq!(classify_attempt(AttemptResult::Timeout), Outcome::Retryable);
    }

    #[test]
    fn backoff_doubles_from_one_second_and_jitter_only_shortens() {
        let p = RetryPolicy::default();
        let no_jitter: Vec<u64> = (1..=5).map(|a| p.backoff_ms(a, None, 0.0)).collect();
        assert_eq!(no_jitter, vec![1_000, 2_000, 4_000, 8_000, 8_000]);
        let full_jitter: Vec<u64> = (1..=3).map(|a| p.backoff_ms(a, None, 1.0)).collect();
        assert_eq!(full_jitter, vec![750, 1_500, 3_000]);
        assert_eq!(p.backoff_ms(2, None, 0.5), 1_750);
        // Out-of-range jitter is clamped, NaN counts as none.
        assert_eq!(p.backoff_ms(1, None, 7.0), 750);
        assert_eq!(p.backoff_ms(1, None, -1.0), 1_000);
        assert_eq!(p.backoff_ms(1, None, f64::NAN), 1_000);
        // Attempt 0 is treated as the first, huge attempts do not overflow.
        assert_eq!(p.backoff_ms(0, None, 0.0), 1_000);
        assert_eq!(p.backoff_ms(u32::MAX, None, 0.0), 8_000);
        assert_eq!(backoff_ms(3, None, 0.0), 4_000);
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(1, Some("3"), 0.0), 3_000);
        assert_eq!(p.backoff_ms(1, Some(" 1.5 "), 0.0), 1_500);
        // Shorter than the backoff: the backoff stands.
        assert_eq!(p.backoff_ms(2, Some("1"), 0.0), 2_000);
        assert_eq!(p.backoff_ms(1, Some("0"), 1.0), 750);
        // Capped at 20 s.
        assert_eq!(p.backoff_ms(1, Some("3600"), 0.0), 20_000);
        // Dates and garbage fall back to the backoff.
        assert_eq!(p.backoff_ms(1, Some("Wed, 21 Oct 2026 07:28:00 GMT"), 0.0), 1_000);
        assert_eq!(p.backoff_ms(1, Some("-5"), 0.0), 1_000);
        assert_eq!(p.backoff_ms(1, Some(""), 0.0), 1_000);
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after_ms("1"), Some(1_000));
        assert_eq!(parse_retry_after_ms("20"), Some(20_000));
        assert_eq!(parse_retry_after_ms("0.25"), Some(250));
        assert_eq!(parse_retry_after_ms("1e3"), None);
        assert_eq!(parse_retry_after_ms("inf"), None);
        assert_eq!(parse_retry_after_ms("1.2.3"), None);
        assert_eq!(parse_retry_after_ms("99999999999"), Some(86_400_000));
        assert_eq!(parse_retry_after_ms_header("120"), Some(120));
        assert_eq!(parse_retry_after_ms_header("12.5"), Some(13));
        assert_eq!(parse_retry_after_ms_header("-1"), None);
        assert_eq!(parse_retry_after_ms_header("x"), None);
    }

    #[test]
    fn decisions_follow_outcome_and_attempt_count() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(1, Outcome::Retryable, None, 0.0), RetryDecision::RetryAfterMs(1_000));
        assert_eq!(p.decide(2, Outcome::Retryable, Some("5"), 0.0), RetryDecision::RetryAfterMs(5_000));
        assert_eq!(p.decide(3, Outcome::Retryable, None, 0.0), RetryDecision::GiveUp);
        assert_eq!(p.decide(1, Outcome::Fatal, None, 0.0), RetryDecision::GiveUp);
        assert_eq!(p.decide(1, Outcome::Success, None, 0.0), RetryDecision::GiveUp);
        let once = RetryPolicy { max_attempts: 0, ..p };
        assert_eq!(once.decide(1, Outcome::Retryable, None, 0.0), RetryDecision::GiveUp);
    }

    #[test]
    fn server_delays_prefer_retry_after_ms_and_feed_the_decision() {
        assert_eq!(server_delay_ms(Some("2"), Some("1500")), Some(1_500));
        assert_eq!(server_delay_ms(Some("2"), None), Some(2_000));
        assert_eq!(server_delay_ms(Some("2"), Some("soon")), Some(2_000));
        assert_eq!(server_delay_ms(Some("Wed, 21 Oct 2026 07:28:00 GMT"), None), None);
        assert_eq!(server_delay_ms(None, None), None);

        let p = RetryPolicy::default();
        let retry = |attempt, outcome, server| p.decide_with_server_delay(attempt, outcome, server, 0.0);
        assert_eq!(retry(1, Outcome::Retryable, Some(1_500)), RetryDecision::RetryAfterMs(1_500));
        assert_eq!(retry(2, Outcome::Retryable, Some(1_500)), RetryDecision::RetryAfterMs(2_000));
        assert_eq!(retry(1, Outcome::Retryable, Some(3_600_000)), RetryDecision::RetryAfterMs(20_000));
        assert_eq!(retry(1, Outcome::Retryable, None), RetryDecision::RetryAfterMs(1_000));
        assert_eq!(retry(3, Outcome::Retryable, Some(10)), RetryDecision::GiveUp);
        assert_eq!(retry(1, Outcome::Fatal, Some(10)), RetryDecision::GiveUp);
        assert_eq!(p.backoff_with_server_delay(1, None, 1.0), p.backoff_ms(1, None, 1.0));
    }

    /// A whole call against a server failing 429, 500, 200: two waits, three attempts.
    #[test]
    fn a_call_sequence_makes_three_attempts_with_one_then_two_second_waits() {
        let p = RetryPolicy::default();
        let statuses = [429u16, 500, 200];
        let mut waits = Vec::new();
        let mut attempts = 0;
        for (i, status) in statuses.iter().enumerate() {
            attempts += 1;
            let attempt = u32::try_from(i + 1).unwrap_or(u32::MAX);
            match p.decide(attempt, classify(*status), None, 0.0) {
                RetryDecision::RetryAfterMs(ms) => waits.push(ms),
                RetryDecision::GiveUp => break,
            }
        }
        assert_eq!((attempts, waits), (3, vec![1_000, 2_000]));
        assert_eq!(p.max_total_wait_ms(), 40_000);
    }
}
