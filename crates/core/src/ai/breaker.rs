//! The circuit breaker in front of OpenAI calls (docs/interviews.md#openai-mode): after 5 consecutive
//! failures it opens for 60 s, answering `AI_UNAVAILABLE` at once instead of making a turn wait out timeouts
//! and retries against a provider that is down; then it lets 3 trial calls through.
//!
//! # Semantics
//!
//! * **Closed** (normal): every call is allowed. A success resets the failure count; a failure
//!   increments it, and the `failure_threshold`-th consecutive failure opens the breaker.
//! * **Open** until `until_ms`: [`CircuitBreaker::allow`] refuses with the time left. Results of
//!   calls that were allowed before it opened are ignored (they neither extend nor end the open
//!   period).
//! * **Half-open**: the first `allow` at or after `until_ms` moves to half-open and grants a
//!   *trial* permit; at most `half_open_trials` trials may be in flight at once, further calls are
//!   refused. The first trial **success closes** the breaker (count reset); the first trial
//!   **failure reopens** it for another `open_ms`. A trial that never reports (its caller died:
//!   a Durable Object can be evicted mid-call) would block the breaker forever, so when the last
//!   trial was granted `trial_timeout_ms` ago the trial slots are handed out again.
//!
//! What counts as one call is the caller's choice; the service asks once per HTTP *attempt* and
//! reports each attempt's result, so a retry loop stops the moment the breaker opens. Failures
//! that say nothing about the provider's health (a 400 for one request) should be reported with
//! [`CircuitBreaker::on_release`], which frees a trial slot without deciding anything.
//!
//! The breaker is plain data (serde) so a Durable Object can store it between requests; the
//! caller passes the clock (`now_ms`, Unix milliseconds). A clock that goes backwards is treated
//! as standing still.

use serde::{Deserialize, Serialize};

/// The breaker's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open.
    pub open_ms: u64,
    /// Trial calls allowed in flight while half-open.
    pub half_open_trials: u32,
    /// After this long without a result, half-open trial slots are granted again.
    pub trial_timeout_ms: u64,
}

impl Default for BreakerConfig {
    /// docs/interviews.md#openai-mode: 5 failures, 60 s open, 3 trial calls; a trial is presumed lost after
    /// 60 s (a chat attempt times out after 45 s).
    fn default() -> Self {
        BreakerConfig { failure_threshold: 5, open_ms: 60_000, half_open_trials: 3, trial_timeout_ms: 60_000 }
    }
}

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { until_ms: u64 },
    HalfOpen { trials_in_flight: u32, last_trial_ms: u64 },
}

/// The state's name, for logs and health output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerStatus {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            BreakerStatus::Closed => "closed",
            BreakerStatus::Open => "open",
            BreakerStatus::HalfOpen => "half_open",
        }
    }
}

/// A state change, returned so the caller can log it (docs/api.md#logs: breaker transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: BreakerStatus,
    pub to: BreakerStatus,
}

/// Permission to make one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    /// The call is a half-open trial: its result decides whether the breaker closes.
    pub trial: bool,
    /// Set when granting the permit moved the breaker from open to half-open.
    pub transition: Option<Transition>,
}

/// How one call's result is reported to the breaker (see [`CircuitBreaker::record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    /// The provider answered usably: [`CircuitBreaker::on_success`].
    Success,
    /// The provider looks unhealthy: [`CircuitBreaker::on_failure`].
    Failure,
    /// The result says nothing about the provider's health: [`CircuitBreaker::on_release`].
    Neutral,
}

/// Refusal: the breaker is open (or all half-open trials are in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFor {
    /// When to try again, at least 1 ms.
    pub retry_after_ms: u64,
}

/// A circuit breaker; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitBreaker {
    #[serde(default)]
    pub config: BreakerConfig,
    pub state: BreakerState,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker::new(BreakerConfig::default())
    }
}

impl CircuitBreaker {
    /// A closed breaker.
    #[must_use]
    pub const fn new(config: BreakerConfig) -> Self {
        CircuitBreaker { config, state: BreakerState::Closed { consecutive_failures: 0 } }
    }

    /// The state's name (an open breaker whose time is up still says `Open` until the next
    /// [`CircuitBreaker::allow`] makes it half-open).
    #[must_use]
    pub const fn status(&self) -> BreakerStatus {
        match self.state {
            BreakerState::Closed { .. } => BreakerStatus::Closed,
            BreakerState::Open { .. } => BreakerStatus::Open,
            BreakerState::HalfOpen { .. } => BreakerStatus::HalfOpen,
        }
    }

    /// Asks to make one call at `now_ms`.
    ///
    /// # Errors
    /// [`OpenFor`] while the breaker is open, or half-open with every trial slot taken.
    pub fn allow(&mut self, now_ms: u64) -> Result<Permit, OpenFor> {
        let trials = self.config.half_open_trials.max(1);
        match self.state {
            BreakerState::Closed { .. } => Ok(Permit { trial: false, transition: None }),
            BreakerState::Open { until_ms } if now_ms < until_ms => {
                Err(OpenFor { retry_after_ms: until_ms - now_ms })
            }
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen { trials_in_flight: 1, last_trial_ms: now_ms };
                let transition = Transition { from: BreakerStatus::Open, to: BreakerStatus::HalfOpen };
                Ok(Permit { trial: true, transition: Some(transition) })
            }
            BreakerState::HalfOpen { trials_in_flight, last_trial_ms } => {
                let stale = now_ms.saturating_sub(last_trial_ms) >= self.config.trial_timeout_ms;
                if stale || trials_in_flight < trials {
                    let in_flight = if stale { 1 } else { trials_in_flight + 1 };
                    self.state =
                        BreakerState::HalfOpen { trials_in_flight: in_flight, last_trial_ms: now_ms };
                    Ok(Permit { trial: true, transition: None })
                } else {
                    let until = last_trial_ms.saturating_add(self.config.trial_timeout_ms);
                    Err(OpenFor { retry_after_ms: until.saturating_sub(now_ms).max(1) })
                }
            }
        }
    }

    /// Reports a successful call.
    pub fn on_success(&mut self, _now_ms: u64) -> Option<Transition> {
        match self.state {
            BreakerState::Closed { .. } => {
                self.state = BreakerState::Closed { consecutive_failures: 0 };
                None
            }
            BreakerState::Open { .. } => None,
            BreakerState::HalfOpen { .. } => {
                self.state = BreakerState::Closed { consecutive_failures: 0 };
                Some(Transition { from: BreakerStatus::HalfOpen, to: BreakerStatus::Closed })
            }
        }
    }

    /// Reports a failed call.
    pub fn on_failure(&mut self, now_ms: u64) -> Option<Transition> {
        let open = BreakerState::Open { until_ms: now_ms.saturating_add(self.config.open_ms) };
        match self.state {
            BreakerState::Closed { consecutive_failures } => {
                let failures = consecutive_failures.saturating_add(1);
                if failures >= self.config.failure_threshold.max(1) {
                    self.state = open;
                    Some(Transition { from: BreakerStatus::Closed, to: BreakerStatus::Open })
                } else {
                    self.state = BreakerState::Closed { consecutive_failures: failures };
                    None
                }
            }
            BreakerState::Open { .. } => None,
            BreakerState::HalfOpen { .. } => {
                self.state = open;
                Some(Transition { from: BreakerStatus::HalfOpen, to: BreakerStatus::Open })
            }
        }
    }

    /// Reports a call whose result says nothing about the provider's health: frees its trial slot
    /// when half-open, and changes nothing otherwise.
    pub fn on_release(&mut self, _now_ms: u64) {
        if let BreakerState::HalfOpen { trials_in_flight, last_trial_ms } = self.state {
            self.state = BreakerState::HalfOpen {
                trials_in_flight: trials_in_flight.saturating_sub(1),
                last_trial_ms,
            };
        }
    }

    /// Reports one allowed call's result; returns the state change to log, if any.
    pub fn record(&mut self, result: CallResult, now_ms: u64) -> Option<Transition> {
        match result {
            CallResult::Success => self.on_success(now_ms),
            CallResult::Failure => self.on_failure(now_ms),
            CallResult::Neutral => {
                self.on_release(now_ms);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn open_breaker() -> CircuitBreaker {
        let mut b = CircuitBreaker::default();
        for _ in 0..5 {
            assert!(b.allow(T0).is_ok());
            b.on_failure(T0);
        }
        assert_eq!(b.status(), BreakerStatus::Open);
        b
    }

    #[test]
    fn closed_allows_and_opens_after_five_consecutive_failures() {
        let mut b = CircuitBreaker::default();
        for i in 0..4 {
            assert_eq!(b.allow(T0 + i), Ok(Permit { trial: false, transition: None }));
            assert_eq!(b.on_failure(T0 + i), None);
        }
        assert_eq!(b.state, BreakerState::Closed { consecutive_failures: 4 });
        let opened = b.on_failure(T0 + 10);
        assert_eq!(opened, Some(Transition { from: BreakerStatus::Closed, to: BreakerStatus::Open }));
        assert_eq!(b.state, BreakerState::Open { until_ms: T0 + 10 + 60_000 });
        assert_eq!(b.allow(T0 + 10), Err(OpenFor { retry_after_ms: 60_000 }));
        assert_eq!(b.allow(T0 + 40_010), Err(OpenFor { retry_after_ms: 20_000 }));
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let mut b = CircuitBreaker::default();
        for _ in 0..4 {
            b.on_failure(T0);
        }
        assert_eq!(b.on_success(T0), None);
        for _ in 0..4 {
            b.on_failure(T0);
        }
        assert_eq!(b.status(), BreakerStatus::Closed);
        b.on_failure(T0);
        assert_eq!(b.status(), BreakerStatus::Open);
    }

    #[test]
    fn after_the_open_period_three_trials_are_allowed_then_refused() {
        let mut b = open_breaker();
        let reopen_at = T0 + 60_000;
        assert_eq!(b.allow(reopen_at - 1), Err(OpenFor { retry_after_ms: 1 }));
        let first = b.allow(reopen_at).expect("first trial");
        assert!(first.trial);
        assert_eq!(
            first.transition,
            Some(Transition { from: BreakerStatus::Open, to: BreakerStatus::HalfOpen })
        );
        assert_eq!(b.allow(reopen_at + 1), Ok(Permit { trial: true, transition: None }));
        assert_eq!(b.allow(reopen_at + 2), Ok(Permit { trial: true, transition: None }));
        // The fourth concurrent call is refused until a trial reports or they time out.
        let refused = b.allow(reopen_at + 3).expect_err("no fourth trial");
        assert_eq!(refused.retry_after_ms, 60_000 - 1);
        assert_eq!(b.status(), BreakerStatus::HalfOpen);
    }

    #[test]
    fn a_trial_success_closes() {
        let mut b = open_breaker();
        assert!(b.allow(T0 + 60_000).is_ok_and(|p| p.trial));
        let closed = b.on_success(T0 + 60_500);
        assert_eq!(closed, Some(Transition { from: BreakerStatus::HalfOpen, to: BreakerStatus::Closed }));
        assert_eq!(b.state, BreakerState::Closed { consecutive_failures: 0 });
        assert_eq!(b.allow(T0 + 60_501), Ok(Permit { trial: false, transition: None }));
    }

    #[test]
    fn a_trial_failure_reopens_for_another_full_period() {
        let mut b = open_breaker();
        assert!(b.allow(T0 + 60_000).is_ok());
        assert!(b.allow(T0 + 60_001).is_ok());
        let reopened = b.on_failure(T0 + 61_000);
        assert_eq!(reopened, Some(Transition { from: BreakerStatus::HalfOpen, to: BreakerStatus::Open }));
        assert_eq!(b.state, BreakerState::Open { until_ms: T0 + 121_000 });
        assert_eq!(b.allow(T0 + 61_000), Err(OpenFor { retry_after_ms: 60_000 }));
        // The other trial's late result is ignored while open.
        assert_eq!(b.on_success(T0 + 62_000), None);
        assert_eq!(b.on_failure(T0 + 62_000), None);
        assert_eq!(b.state, BreakerState::Open { until_ms: T0 + 121_000 });
        assert!(b.allow(T0 + 121_000).is_ok_and(|p| p.trial));
    }

    #[test]
    fn lost_trials_are_granted_again_after_the_trial_timeout() {
        let mut b = open_breaker();
        for i in 0..3 {
            assert!(b.allow(T0 + 60_000 + i).is_ok());
        }
        assert!(b.allow(T0 + 60_002 + 59_999).is_err());
        let again = b.allow(T0 + 60_002 + 60_000).expect("lost trials expire");
        assert!(again.trial);
        assert_eq!(b.state, BreakerState::HalfOpen { trials_in_flight: 1, last_trial_ms: T0 + 120_002 });
    }

    #[test]
    fn a_released_trial_frees_its_slot() {
        let mut b = open_breaker();
        for i in 0..3 {
            assert!(b.allow(T0 + 60_000 + i).is_ok());
        }
        assert!(b.allow(T0 + 60_010).is_err());
        b.on_release(T0 + 60_020);
        assert!(b.allow(T0 + 60_030).is_ok_and(|p| p.trial));
        assert_eq!(b.status(), BreakerStatus::HalfOpen);
        // Releasing when closed changes nothing.
        let mut closed = CircuitBreaker::default();
        closed.on_failure(T0);
        closed.on_release(T0);
        assert_eq!(closed.state, BreakerState::Closed { consecutive_failures: 1 });
    }

    #[test]
    fn a_clock_going_backwards_does_not_panic_or_close_early() {
        let mut b = open_breaker();
        assert_eq!(b.allow(T0 - 5_000), Err(OpenFor { retry_after_ms: 65_000 }));
        assert!(b.allow(T0 + 60_000).is_ok());
        // Earlier than the last trial: not stale.
        for _ in 0..2 {
            assert!(b.allow(T0).is_ok());
        }
        assert!(b.allow(T0).is_err());
    }

    #[test]
    fn custom_thresholds_and_degenerate_config() {
        let cfg =
            BreakerConfig { failure_threshold: 1, open_ms: 10, half_open_trials: 0, trial_timeout_ms: 5 };
        let mut b = CircuitBreaker::new(cfg);
        assert!(b.on_failure(0).is_some());
        assert!(b.allow(9).is_err());
        assert!(b.allow(10).is_ok());
        // Zero trials is treated as one.
        assert!(b.allow(11).is_err());
    }

    #[test]
    fn record_dispatches_on_the_call_result() {
        let mut b = open_breaker();
        assert!(b.allow(T0 + 60_000).is_ok());
        assert!(b.allow(T0 + 60_001).is_ok());
        assert_eq!(b.record(CallResult::Neutral, T0 + 60_002), None);
        assert_eq!(b.state, BreakerState::HalfOpen { trials_in_flight: 1, last_trial_ms: T0 + 60_001 });
        let closed = b.record(CallResult::Success, T0 + 60_003);
        assert_eq!(closed, Some(Transition { from: BreakerStatus::HalfOpen, to: BreakerStatus::Closed }));
        for i in 0..4 {
            assert_eq!(b.record(CallResult::Failure, T0 + 70_000 + i), None);
        }
        let opened = b.record(CallResult::Failure, T0 + 70_010);
        assert_eq!(opened, Some(Transition { from: BreakerStatus::Closed, to: BreakerStatus::Open }));
    }

    #[test]
    fn state_round_trips_through_json_for_durable_storage() {
        let mut b = open_breaker();
        let json = serde_json::to_string(&b).expect("serialize");
        assert!(json.contains(r#""state":"open""#), "{json}");
        let back: CircuitBreaker = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, b);
        assert!(b.allow(T0 + 60_000).is_ok());
        let json = serde_json::to_value(b).expect("serialize");
        assert_eq!(json["state"]["state"], "half_open");
        assert_eq!(json["state"]["trials_in_flight"], 1);
        // A stored breaker without config gets the defaults.
        let legacy: CircuitBreaker =
            serde_json::from_str(r#"{"state":{"state":"closed","consecutive_failures":2}}"#).expect("legacy");
        assert_eq!(legacy.config, BreakerConfig::default());
        assert_eq!(legacy.state, BreakerState::Closed { consecutive_failures: 2 });
    }
}
