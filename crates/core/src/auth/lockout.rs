//! Login lockout that an outsider cannot weaponise (docs/security.md#login-lockout).
//!
//! Failures are counted per (account, client), where the client is the caller's IP: after
//! `max_failures` consecutive failures from one client, that client is locked out of that account
//! for `first_lock`, doubled with each further failure up to `max_lock`. Other clients (the owner
//! at home) are unaffected, so nobody can lock someone else out by failing logins from their own
//! addresses. A success from the client clears its count; a client with no failure for
//! [`RESET_AFTER_MS`] starts again from zero.
//!
//! The account is identified by a keyed hash of the normalised email, not the user id, so unknown
//! emails lock exactly like real ones (the lock is no existence oracle) and no email is stored.

/// A client with no failure for a day starts counting from zero again.
pub const RESET_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// The lockout rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LockoutPolicy {
    /// Failures from one client before it is locked (at least 1).
    pub max_failures: u32,
    /// The first lock, in milliseconds.
    pub first_lock_ms: i64,
    /// The longest lock, in milliseconds.
    pub max_lock_ms: i64,
}

impl LockoutPolicy {
    /// The policy from minutes (`LOGIN_MAX_FAILURES`, `LOGIN_LOCKOUT_MINUTES`,
    /// `LOGIN_LOCKOUT_MAX_MINUTES`).
    #[must_use]
    pub fn from_minutes(max_failures: u32, first_minutes: f64, max_minutes: f64) -> Self {
        #[allow(clippy::cast_possible_truncation)]
        let ms = |m: f64| (m.max(0.0) * 60_000.0).min(1e15) as i64;
        Self {
            max_failures: max_failures.max(1),
            first_lock_ms: ms(first_minutes),
            max_lock_ms: ms(max_minutes),
        }
    }

    /// How long a client is locked after its `failures`-th consecutive failure: nothing below
    /// `max_failures`, then `first_lock`, doubling per further failure, at most `max_lock`.
    #[must_use]
    pub fn lock_ms(&self, failures: u32) -> i64 {
        if failures < self.max_failures {
            return 0;
        }
        let doublings = (failures - self.max_failures).min(40);
        self.first_lock_ms.saturating_mul(1_i64 << doublings).min(self.max_lock_ms.max(self.first_lock_ms))
    }
}

/// The normalised email a lockout key is derived from (trimmed, lower-cased), so `A@x.test` and
/// ` a@x.test ` share one count.
#[must_use]
pub fn account_subject(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Lower-case hex of bytes (the stored form of the account key).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_limit_and_double_up_to_the_cap() {
        let p = LockoutPolicy::from_minutes(5, 15.0, 60.0);
        for failures in 0..5 {
            assert_eq!(p.lock_ms(failures), 0, "{failures}");
        }
        assert_eq!(p.lock_ms(5), 15 * 60_000);
        assert_eq!(p.lock_ms(6), 30 * 60_000);
        assert_eq!(p.lock_ms(7), 60 * 60_000);
        assert_eq!(p.lock_ms(8), 60 * 60_000, "capped");
        assert_eq!(p.lock_ms(u32::MAX), 60 * 60_000, "no overflow");
    }

    #[test]
    fn a_zero_limit_still_allows_one_try_and_fractions_of_minutes_work() {
        let p = LockoutPolicy::from_minutes(0, 0.05, 0.05);
        assert_eq!(p.max_failures, 1);
        assert_eq!(p.lock_ms(1), 3_000);
        assert_eq!(p.lock_ms(9), 3_000);
    }

    #[test]
    fn subjects_are_normalised_and_hex_is_lower_case() {
        assert_eq!(account_subject("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
