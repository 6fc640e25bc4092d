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
        self.take_cost(
            Quota { capacity: u64::from(rule.capacity), refill_per_minute: rule.refill_per_minute },
            1,
            now_ms,
        )
    }

    /// [`TokenBucket::take_cost`] with a [`Rule`] and a fractional cost rounded up (a byte budget
    /// takes a frame's size at once).
    pub fn take_n(&mut self, rule: Rule, now_ms: i64, n: f64) -> Take {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cost = n.max(0.0).ceil() as u64;
        self.take_cost(
            Quota { capacity: u64::from(rule.capacity), refill_per_minute: rule.refill_per_minute },
            cost,
            now_ms,
        )
    }

    /// Refills for the time elapsed, then takes `cost` tokens (e.g. bytes) if there are that
    /// many. A cost above the capacity can never be taken (`retry_after_secs` = `u32::MAX`).
    pub fn take_cost(&mut self, quota: Quota, cost: u64, now_ms: i64) -> Take {
        #[allow(clippy::cast_precision_loss)]
        let (capacity, cost) = (quota.capacity as f64, cost as f64);
        #[allow(clippy::cast_precision_loss)]
        let elapsed_min = (now_ms - self.updated_ms).max(0) as f64 / 60_000.0;
        self.tokens = (self.tokens + elapsed_min * quota.refill_per_minute).min(capacity);
        self.updated_ms = now_ms.max(self.updated_ms);
        if self.tokens >= cost {
            self.tokens -= cost;
            return Take::Allowed;
        }
        if quota.refill_per_minute <= 0.0 || cost > capacity {
            return Take::Limited { retry_after_secs: u32::MAX };
        }
        // The epsilon keeps float noise (2.0000000001 s) from adding a whole second.
        let secs = ((cost - self.tokens) / quota.refill_per_minute * 60.0 - 1e-6).ceil();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let retry_after_secs = secs.clamp(1.0, f64::from(u32::MAX)) as u32;
        Take::Limited { retry_after_secs }
    }
}

/// What the Worker asks the limiter object: take (or, on `/peek`, test for) `cost` units of
/// the bucket `quota` (one when absent). Typed on both sides of that seam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LimitRequest {
    pub capacity: u64,
    pub refill_per_minute: f64,
    #[serde(default)]
    pub cost: Option<u64>,
}

impl LimitRequest {
    #[must_use]
    pub fn new(quota: Quota, cost: u64) -> Self {
        LimitRequest {
            capacity: quota.capacity,
            refill_per_minute: quota.refill_per_minute,
            cost: Some(cost),
        }
    }

    #[must_use]
    pub fn of(rule: Rule) -> Self {
        LimitRequest {
            capacity: u64::from(rule.capacity),
            refill_per_minute: rule.refill_per_minute,
            cost: None,
        }
    }

    #[must_use]
    pub fn quota(&self) -> Quota {
        Quota { capacity: self.capacity, refill_per_minute: self.refill_per_minute }
    }
}

/// A bucket's rule in units that may exceed `u32` (bytes): the limiter's wire form, which a
/// serialized [`Rule`] also parses as (with a cost of one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub capacity: u64,
    pub refill_per_minute: f64,
}

impl Quota {
    /// `capacity` units per day, refilled continuously (at most `capacity` in any burst).
    #[must_use]
    pub fn per_day(capacity: u64) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let refill_per_minute = capacity as f64 / 1440.0;
        Self { capacity, refill_per_minute }
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
    fn a_byte_quota_takes_costs_and_refills_per_day() {
        let day = Quota::per_day(12 * 1024 * 1024);
        let mut b = TokenBucket { tokens: 12.0 * 1024.0 * 1024.0, updated_ms: 0 };
        assert_eq!(b.take_cost(day, 5 * 1024 * 1024, 0), Take::Allowed);
        assert_eq!(b.take_cost(day, 5 * 1024 * 1024, 0), Take::Allowed);
        // 2 MiB left: a 5 MiB chunk waits for 3 MiB of refill (3/12 of a day = 6 h).
        assert_eq!(b.take_cost(day, 5 * 1024 * 1024, 0), Take::Limited { retry_after_secs: 6 * 3600 });
        assert_eq!(b.take_cost(day, 2 * 1024 * 1024, 0), Take::Allowed, "a refusal takes nothing");
        assert_eq!(b.take_cost(day, 13 * 1024 * 1024, 0), Take::Limited { retry_after_secs: u32::MAX });
        let big = Quota::per_day(4 * 1024 * 1024 * 1024);
        let mut b = TokenBucket { tokens: 4.0 * 1024.0 * 1024.0 * 1024.0, updated_ms: 0 };
        assert_eq!(b.take_cost(big, 4 * 1024 * 1024 * 1024, 0), Take::Allowed, "beyond u32");
    }

    #[test]
    fn a_serialized_rule_reads_as_a_quota() {
        let rule = Rule { capacity: 7, refill_per_minute: 1.5 };
        let json = serde_json::to_string(&rule).expect("serialize");
        let quota: Quota = serde_json::from_str(&json).expect("a rule is a quota");
        assert_eq!(quota, Quota { capacity: 7, refill_per_minute: 1.5 });
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
