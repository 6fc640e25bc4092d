//! When an interview ends on its own (docs/interviews.md#completion) and how many questions it is expected to
//! have (`total_questions`).
//!
//! The seed's interviews never ended by themselves (LOGIC-001); here [`check_completion`] runs
//! after every answer. It must not decide anything else: `candidate_request` is the caller's (the
//! candidate asks, no rule is involved), and abandonment is the Durable Object's alarm.
//!
//! # Precedence
//! When several reasons hold after the same answer, the first in the spec's order wins:
//! `criteria_met` (the interview found what it was looking for), then `max_questions` (the planned
//! end), then `cost_limit` (a safety stop).
//!
//! # The `total_questions` estimate
//! The interview ends at `MIN_QUESTIONS` once `MIN_BOUNDARIES` boundaries are known, and at
//! `MAX_QUESTIONS` at the latest. The estimate starts half way between the two (16 of 12–20, near
//! the seed's example of 15 and its 12–18 average) and moves towards `MIN_QUESTIONS` as each
//! missing boundary is found. It also leaves room for the missing boundaries: about two more
//! answers each (the current question counts as one), since a boundary needs two weak answers at a
//! level. Always `current question ≤ estimate ≤ MAX_QUESTIONS`, it never grows when a boundary is
//! found and never shrinks as questions pass without one.

use crate::domain::enums::CompletionReason;

use super::EngineLimits;

/// Whether the interview is complete after its `questions_asked`-th answer, and why.
/// `cost_micros` is everything charged so far, this turn included.
#[must_use]
pub fn check_completion(
    questions_asked: u32,
    boundaries: u32,
    cost_micros: u64,
    limits: &EngineLimits,
) -> Option<CompletionReason> {
    let limits = limits.normalized();
    if questions_asked >= limits.min_questions && boundaries >= limits.min_boundaries {
        Some(CompletionReason::CriteriaMet)
    } else if questions_asked >= limits.max_questions {
        Some(CompletionReason::MaxQuestions)
    } else if limits.cost_cap_micros > 0 && cost_micros >= limits.cost_cap_micros {
        Some(CompletionReason::CostLimit)
    } else {
        None
    }
}

/// The expected number of questions of an interview in progress after `questions_asked` answers
/// with `boundaries` found (see the module docs). The current question is `questions_asked + 1`.
///
/// For a count at or past the maximum (the interview is over, or `MAX_QUESTIONS` was lowered
/// while it ran) the answer is `questions_asked`: questions already asked cannot be un-asked.
#[must_use]
pub fn estimate_total_questions(questions_asked: u32, boundaries: u32, limits: &EngineLimits) -> u32 {
    let limits = limits.normalized();
    let max = u64::from(limits.max_questions);
    let min = u64::from(limits.min_questions);
    let asked = u64::from(questions_asked);
    if asked >= max {
        return questions_asked;
    }
    let current = asked + 1;
    let needed = u64::from(limits.min_boundaries);
    let missing = needed.saturating_sub(u64::from(boundaries));
    let prior = if needed == 0 { min } else { min + ((max - min) * missing).div_ceil(2 * needed) };
    let room_for_missing = if missing == 0 { 0 } else { asked + 2 * missing };
    let estimate = prior.max(room_for_missing).clamp(current, max);
    u32::try_from(estimate).unwrap_or(limits.max_questions)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::Lcg;
    use super::*;
    use CompletionReason::{CostLimit, CriteriaMet, MaxQuestions};

    const DEFAULTS: EngineLimits =
        EngineLimits { min_questions: 12, max_questions: 20, min_boundaries: 2, cost_cap_micros: 5_000_000 };

    #[test]
    fn completion_table() {
        let cases = [
            // (asked, boundaries, cost, expected)
            (1, 0, 0, None),
            (11, 2, 0, None),
            (12, 1, 0, None),
            (12, 2, 0, Some(CriteriaMet)),
            (15, 5, 0, Some(CriteriaMet)),
            (19, 1, 0, None),
            (20, 1, 0, Some(MaxQuestions)),
            (20, 2, 0, Some(CriteriaMet)),
            (3, 0, 4_999_999, None),
            (3, 0, 5_000_000, Some(CostLimit)),
            (20, 0, 9_000_000, Some(MaxQuestions)),
            (12, 2, 9_000_000, Some(CriteriaMet)),
        ];
        for (asked, boundaries, cost, expected) in cases {
            assert_eq!(
                check_completion(asked, boundaries, cost, &DEFAULTS),
                expected,
                "{asked} {boundaries} {cost}"
            );
        }
    }

    #[test]
    fn a_zero_cost_cap_disables_the_cap() {
        let limits = EngineLimits { cost_cap_micros: 0, ..DEFAULTS };
        assert_eq!(check_completion(1, 0, u64::MAX, &limits), None);
    }

    #[test]
    fn nonsensical_limits_are_normalised() {
        // min above max: max wins; zero max: one question; zero min: at least one answer.
        let limits =
            EngineLimits { min_questions: 30, max_questions: 10, min_boundaries: 0, cost_cap_micros: 0 };
        assert_eq!(check_completion(9, 0, 0, &limits), None);
        assert_eq!(check_completion(10, 0, 0, &limits), Some(CriteriaMet));
        let limits =
            EngineLimits { min_questions: 0, max_questions: 0, min_boundaries: 0, cost_cap_micros: 0 };
        assert_eq!(check_completion(0, 0, 0, &limits), None);
        assert_eq!(check_completion(1, 0, 0, &limits), Some(CriteriaMet));
        assert_eq!(estimate_total_questions(0, 0, &limits), 1);
    }

    #[test]
    fn estimate_examples_with_default_limits() {
        let cases = [
            // (asked, boundaries, estimate)
            (0, 0, 16),
            (0, 1, 14),
            (0, 2, 12),
            (5, 2, 12),
            (11, 2, 12),
            (13, 0, 17),
            (15, 0, 19),
            (16, 0, 20),
            (19, 0, 20),
            (17, 1, 19),
            (13, 1, 15),
            (20, 0, 20),
            (23, 0, 23),
        ];
        for (asked, boundaries, expected) in cases {
            assert_eq!(
                estimate_total_questions(asked, boundaries, &DEFAULTS),
                expected,
                "{asked} {boundaries}"
            );
        }
    }

    /// Bounds and monotonicity over random limits and progress.
    #[test]
    fn estimate_invariants_hold_for_random_limits() {
        let mut rng = Lcg::new(42);
        for _ in 0..5_000 {
            let limits = EngineLimits {
                min_questions: rng.below(30) as u32,
                max_questions: rng.below(30) as u32,
                min_boundaries: rng.below(6) as u32,
                cost_cap_micros: 0,
            };
            let max = limits.normalized().max_questions;
            let asked = rng.below(u64::from(max)) as u32; // in progress: fewer than max answers
            let boundaries = rng.below(8) as u32;
            let estimate = estimate_total_questions(asked, boundaries, &limits);
            assert!(
                estimate > asked, // the current question is asked + 1
                "{limits:?} {asked} {boundaries}: {estimate} below the current question"
            );
            assert!(estimate <= max, "{limits:?} {asked} {boundaries}: {estimate} above max");
            assert!(
                estimate_total_questions(asked, boundaries + 1, &limits) <= estimate,
                "a boundary never adds questions"
            );
            if asked + 1 < max {
                assert!(
                    estimate_total_questions(asked + 1, boundaries, &limits) >= estimate,
                    "time alone never shrinks it"
                );
            }
            // Once the criteria can be met, the estimate is exactly when they will be.
            let n = limits.normalized();
            if boundaries >= n.min_boundaries {
                assert_eq!(estimate, n.min_questions.max(asked + 1));
            }
        }
    }
}
