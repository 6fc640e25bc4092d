//! A token bucket: `capacity` tokens, refilled continuously at `refill_per_minute`. Used for the
//! per-IP auth throttle, starts per candidate and answers per interview (burst then one every
//! 60/rate seconds). Pure: the caller stores the bucket and supplies the clock.

use serde::{Deserialize, Serialize};

/// The bucket's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenBucket {
    pub tokens: f64,
    pub updated_ms: i64,
}

/// A bucket's rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub capacity: u32,
    pub refill_per_minute: f64,
}

/// The outcome of taking one token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Take {
    Allowed,
    /// Refused; retry after this many whole seconds (at least 1).
    Limited {
        retry_after_secs: u32,
    },
}

impl TokenBucket {
    /// A full bucket.
    #[must_use]
    pub fn full(rule: Rule, now_ms: i64) -> Self {
        Self { tokens: f64::from(rule.capacity), updated_ms: now_ms }
    }

    /// Refills for the time elapsed, then takes one token if there is one.
    pub fn take(&mut self, rule: Rule, now_ms: i64) -> Take {
        self.take_n(rule, now_ms, 1.0)
    }

    /// Refills for the time elapsed, then takes `n` tokens if there are that many (a byte
    /// budget takes a frame's size at once).
    pub fn take_n(&mut self, rule: Rule, now_ms: i64, n: f64) -> Take {
        let capacity = f64::from(rule.capacity);
        #[allow(clippy::cast_precision_loss)]
        let elapsed_min = (now_ms - self.updated_ms).max(0) as f64 / 60_000.0;
        self.tokens = (self.tokens + elapsed_min * rule.refill_per_minute).min(capacity);
        self.updated_ms = now_ms.max(self.updated_ms);
        if self.tokens >= n {
            self.tokens -= n;
            return Take::Allowed;
        }
        if rule.refill_per_minute <= 0.0 {
            return Take::Limited { retry_after_secs: u32::MAX };
        }
        // The epsilon keeps float noise (2.0000000001 s) from adding a whole second.
        let secs = ((n - self.tokens) / rule.refill_per_minute * 60.0 - 1e-6).ceil();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let retry_after_secs = secs.clamp(1.0, f64::from(u32::MAX)) as u32;
        Take::Limited { retry_after_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWERS: Rule = Rule { capacity: 5, refill_per_minute: 20.0 };

    #[test]
    fn a_burst_then_one_every_three_seconds() {
        let mut b = TokenBucket::full(ANSWERS, 0);
        for _ in 0..5 {
            assert_eq!(b.take(ANSWERS, 0), Take::Allowed);
        }
        assert_eq!(b.take(ANSWERS, 0), Take::Limited { retry_after_secs: 3 });
        assert_eq!(b.take(ANSWERS, 1_000), Take::Limited { retry_after_secs: 2 });
        assert_eq!(b.take(ANSWERS, 3_000), Take::Allowed);
        assert!(matches!(b.take(ANSWERS, 3_000), Take::Limited { .. }));
    }

    #[test]
    fn refill_never_exceeds_capacity_and_clock_skew_is_harmless() {
        let mut b = TokenBucket::full(ANSWERS, 0);
        b.take(ANSWERS, 0);
        b.take(ANSWERS, 3_600_000);
        assert!(b.tokens <= 4.0 + 1e-9);
        let before = b;
        b.take(ANSWERS, 1_000); // earlier than updated_ms
        assert!(b.updated_ms >= before.updated_ms);
    }

    #[test]
    fn a_byte_budget_takes_whole_frames() {
        // 48 bytes/ms (PCM16 at 24 kHz) with 2 s of slack.
        let audio = Rule { capacity: 96_000, refill_per_minute: 48.0 * 60_000.0 };
        let mut b = TokenBucket::full(audio, 0);
        for _ in 0..20 {
            assert_eq!(b.take_n(audio, 0, 4_800.0), Take::Allowed);
        }
        assert!(matches!(b.take_n(audio, 0, 4_800.0), Take::Limited { .. }), "2 s ahead of real time");
        assert_eq!(b.take_n(audio, 100, 4_800.0), Take::Allowed, "real time refills 100 ms a frame");
    }

    #[test]
    fn an_hourly_rule_reports_a_long_wait() {
        let hourly = Rule { capacity: 10, refill_per_minute: 10.0 / 60.0 };
        let mut b = TokenBucket::full(hourly, 0);
        for _ in 0..10 {
            assert_eq!(b.take(hourly, 0), Take::Allowed);
        }
        assert_eq!(b.take(hourly, 0), Take::Limited { retry_after_secs: 360 });
    }
}
