//! The rules of résumé processing and feedback delivery that do not touch the platform: how many
//! times parsing and delivery are attempted, the delivery backoff, when a `processing` résumé is
//! considered crashed, the extraction deadline, and the webhook's signed string and headers (docs/resumes.md#delivery).
//!
//! Webhook signature: the Worker POSTs the JSON payload with
//! - `X-Feedback-Timestamp: <unix seconds>`,
//! - `X-Feedback-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
//! - `X-Feedback-Delivery: <delivery id>` (stable across retries, for the receiver's idempotency).
//!
//! A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
//! constant time, and rejects timestamps too far from its clock (replay protection).

/// Parsing attempts per résumé (the first one right after upload, then the cron's retries).
pub const MAX_PARSE_ATTEMPTS: i64 = 3;

/// A résumé still `processing` this long after its attempt started is presumed crashed (the
/// run died mid-parse: a trap, out of memory, the isolate killed). It ends `failed` with
/// `parser_crashed` and is never claimed again: a file that killed a run is not retried.
pub const PARSE_STALE_MS: i64 = 2 * 60 * 1000;

/// Elapsed time one document's text extraction may take (the deadline of its extraction
/// `Budget`, on top of its work limit); past it the résumé fails with `time_limit`, final.
pub const EXTRACT_DEADLINE_MS: i64 = 2_000;

/// The cron starts no new parse after this much of its run has passed, so a run stays short
/// whatever the batch holds (the rest waits for the next run).
pub const CRON_PARSE_WINDOW_MS: i64 = 30_000;

/// Delivery attempts per feedback before the outbox row is marked `failed`.
pub const MAX_DELIVERY_ATTEMPTS: i64 = 5;

/// How long a claimed delivery is leased to its worker before another may retry it.
pub const DELIVERY_LEASE_MS: i64 = 60 * 1000;

/// Timeout of one webhook POST.
pub const WEBHOOK_TIMEOUT_MS: u64 = 10_000;

/// Header names of the signed webhook.
pub const SIGNATURE_HEADER: &str = "X-Feedback-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Feedback-Timestamp";
pub const DELIVERY_HEADER: &str = "X-Feedback-Delivery";

/// The wait before the next delivery attempt after `attempts` failed ones: 1 min, 5 min,
/// 15 min, 1 h (the fifth failure is final).
#[must_use]
pub fn delivery_backoff_ms(attempts: i64) -> i64 {
    const MINUTE: i64 = 60 * 1000;
    match attempts {
        i64::MIN..=1 => MINUTE,
        2 => 5 * MINUTE,
        3 => 15 * MINUTE,
        _ => 60 * MINUTE,
    }
}

/// The string the HMAC covers: `"<timestamp>.<body>"`.
#[must_use]
pub fn signed_string(timestamp_secs: i64, body: &str) -> String {
    format!("{timestamp_secs}.{body}")
}

/// The `X-Feedback-Signature` value for a MAC.
#[must_use]
pub fn signature_header_value(mac: &[u8]) -> String {
    let mut out = String::with_capacity(7 + mac.len() * 2);
    out.push_str("sha256=");
    for b in mac {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The calendar year of an RFC 3339 timestamp (for "years of experience" arithmetic).
#[must_use]
pub fn year_of(rfc3339: &str) -> i32 {
    rfc3339.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let waits: Vec<i64> = (1..=MAX_DELIVERY_ATTEMPTS).map(delivery_backoff_ms).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(waits[0], 60_000);
        assert_eq!(*waits.last().expect("some"), 3_600_000);
        assert!(DELIVERY_LEASE_MS <= delivery_backoff_ms(1));
    }

    #[test]
    fn signature_format() {
        assert_eq!(signed_string(1_700_000_000, "{\"a\":1}"), "1700000000.{\"a\":1}");
        assert_eq!(signature_header_value(&[0x00, 0xab, 0x10]), "sha256=00ab10");
    }

    #[test]
    fn year_of_reads_the_prefix() {
        assert_eq!(year_of("2031-01-02T00:00:00.000Z"), 2031);
        assert_eq!(year_of("x"), 2026);
    }
}
