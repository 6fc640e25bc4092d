//! The interview object's memory of the bearer token it last checked against the database
//! (docs/accounts.md#where-the-account-is-checked). A candidate's answer then costs no account
//! read: the Worker verifies the token's signature and expiry, and the object recalls that this
//! token's account was active, its session live and the token unrevoked when it last looked.
//!
//! It stays exact because every revocation reaches the object before it is confirmed: signing
//! out, revoking sessions, changing or resetting a password, deactivation and erasure close the
//! user's sockets through the object ([`crate::protocol::InterviewRequest::CloseSockets`]), which
//! forgets the sessions it closes; a refresh forgets the token it replaces
//! ([`crate::protocol::InterviewRequest::ForgetToken`]). What it remembers is also re-checked
//! after [`RECHECK_MS`], which keeps the session's last-use stamp as fresh as before and bounds
//! how long a revocation whose message was lost could go unnoticed. Only candidates are
//! remembered: a staff member's role and organization can change without such a message.

use crate::domain::account::SESSION_TOUCH_MS;
use crate::domain::enums::UserRole;
use crate::interview::Caller;
use crate::protocol::{closes_socket, Bearer};

/// How long a checked token is trusted without a new look (the session-touch interval).
pub const RECHECK_MS: i64 = SESSION_TOUCH_MS;

/// The last bearer token checked, and the caller it was found to be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedBearer {
    last: Option<(Bearer, Caller, i64)>,
    /// How many revocations arrived: a check that a revocation overtook (the account was read,
    /// then a revocation arrived before the answer was remembered) is not remembered.
    revocations: u64,
}

impl CheckedBearer {
    /// The caller `bearer` was found to be, if it is the token checked last, less than
    /// [`RECHECK_MS`] ago, and not expired.
    #[must_use]
    pub fn recall(&self, bearer: &Bearer, now_ms: i64) -> Option<Caller> {
        let (known, caller, checked_ms) = self.last.as_ref()?;
        let fresh = now_ms >= *checked_ms && now_ms - checked_ms < RECHECK_MS;
        (known == bearer && fresh && now_ms < bearer.exp_ms).then(|| caller.clone())
    }

    /// What to pass to [`CheckedBearer::remember`]: read before the account is.
    #[must_use]
    pub const fn revocations(&self) -> u64 {
        self.revocations
    }

    /// Remembers that `bearer` was checked at `now_ms` and is `caller` (candidates only), unless
    /// a revocation arrived since `revocations` was read.
    pub fn remember(&mut self, bearer: Bearer, caller: Caller, now_ms: i64, revocations: u64) {
        if revocations != self.revocations {
            return;
        }
        self.last = (caller.role == UserRole::Candidate && caller.user_id == bearer.user_id)
            .then_some((bearer, caller, now_ms));
    }

    /// Forgets the user's token if it belongs to the sessions a
    /// [`crate::protocol::InterviewRequest::CloseSockets`] with `session` and `keep` closes.
    pub fn forget_sessions(&mut self, user_id: &str, session: Option<&str>, keep: Option<&str>) {
        self.revocations += 1;
        if self.last.as_ref().is_some_and(|(b, _, _)| {
            b.user_id.as_str() == user_id && closes_socket(Some(&b.session), session, keep)
        }) {
            self.last = None;
        }
    }

    /// Forgets the user's token `jti`.
    pub fn forget_token(&mut self, user_id: &str, jti: &str) {
        self.revocations += 1;
        if self.last.as_ref().is_some_and(|(b, _, _)| b.user_id.as_str() == user_id && b.jti == jti) {
            self.last = None;
        }
    }

    /// Forgets everything (erasure).
    pub fn forget_all(&mut self) {
        self.revocations += 1;
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn bearer(user: &str, jti: &str, session: &str) -> Bearer {
        Bearer { user_id: UserId::new(user), jti: jti.into(), session: session.into(), exp_ms: 10_000_000 }
    }

    fn candidate(user: &str, session: &str) -> Caller {
        Caller {
            user_id: UserId::new(user),
            role: UserRole::Candidate,
            session: Some(session.into()),
            org: None,
        }
    }

    fn checked() -> CheckedBearer {
        let mut c = CheckedBearer::default();
        c.remember(bearer("u1", "j1", "s1"), candidate("u1", "s1"), 1_000, 0);
        c
    }

    #[test]
    fn the_same_token_is_recalled_until_it_must_be_checked_again() {
        let c = checked();
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 1_000), Some(candidate("u1", "s1")));
        assert!(c.recall(&bearer("u1", "j1", "s1"), 1_000 + RECHECK_MS - 1).is_some());
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 1_000 + RECHECK_MS), None);
        // A clock that went backwards is not trusted either.
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 999), None);
    }

    #[test]
    fn another_token_user_or_session_and_an_expired_token_are_checked() {
        let c = checked();
        assert_eq!(c.recall(&bearer("u1", "j2", "s1"), 2_000), None);
        assert_eq!(c.recall(&bearer("u2", "j1", "s1"), 2_000), None);
        assert_eq!(c.recall(&bearer("u1", "j1", "s2"), 2_000), None);
        let mut expiring = CheckedBearer::default();
        let short = Bearer { exp_ms: 1_500, ..bearer("u1", "j1", "s1") };
        expiring.remember(short.clone(), candidate("u1", "s1"), 1_000, 0);
        assert!(expiring.recall(&short, 1_499).is_some());
        assert_eq!(expiring.recall(&short, 1_500), None);
    }

    #[test]
    fn staff_and_a_caller_who_is_not_the_token_holder_are_not_remembered() {
        let mut c = CheckedBearer::default();
        let staff = Caller { role: UserRole::Recruiter, org: Some("o1".into()), ..candidate("u1", "s1") };
        c.remember(bearer("u1", "j1", "s1"), staff, 1_000, 0);
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 1_000), None);
        c.remember(bearer("u1", "j1", "s1"), candidate("u2", "s1"), 1_000, 0);
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 1_000), None);
    }

    #[test]
    fn revocations_forget_what_they_revoke_and_nothing_else() {
        let b = bearer("u1", "j1", "s1");
        // Signing out of s1, revoking s1, or every session: forgotten.
        for (session, keep) in [(Some("s1"), None), (None, None), (None, Some("s2"))] {
            let mut c = checked();
            c.forget_sessions("u1", session, keep);
            assert_eq!(c.recall(&b, 2_000), None, "{session:?} {keep:?}");
        }
        // Another session, every session but s1 (a password change from s1), another user.
        for (user, session, keep) in [("u1", Some("s2"), None), ("u1", None, Some("s1")), ("u2", None, None)]
        {
            let mut c = checked();
            c.forget_sessions(user, session, keep);
            assert!(c.recall(&b, 2_000).is_some(), "{user} {session:?} {keep:?}");
        }
        let mut c = checked();
        c.forget_token("u1", "j2");
        c.forget_token("u2", "j1");
        assert!(c.recall(&b, 2_000).is_some());
        c.forget_token("u1", "j1");
        assert_eq!(c.recall(&b, 2_000), None);
        let mut c = checked();
        c.forget_all();
        assert_eq!(c.recall(&b, 2_000), None);
    }

    #[test]
    fn a_check_that_a_revocation_overtook_is_not_remembered() {
        let mut c = CheckedBearer::default();
        // The account is read (valid), then a sign-out of another session arrives before the
        // answer: even a revocation that names nothing remembered makes the check stale.
        let seen = c.revocations();
        c.forget_sessions("u1", Some("s1"), None);
        c.remember(bearer("u1", "j1", "s1"), candidate("u1", "s1"), 1_000, seen);
        assert_eq!(c.recall(&bearer("u1", "j1", "s1"), 1_000), None);
        // The next check, with nothing in between, is remembered.
        let seen = c.revocations();
        c.remember(bearer("u1", "j1", "s1"), candidate("u1", "s1"), 1_000, seen);
        assert!(c.recall(&bearer("u1", "j1", "s1"), 1_000).is_some());
    }
}
