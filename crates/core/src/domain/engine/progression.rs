//! Difficulty progression and skill-area choice (docs/interviews.md#difficulty-progression), as pure
//! decisions.
//!
//! Given where the interview stands and one answer's evaluation, [`decide`] says which level the
//! next question is at and whether a skill boundary was found; [`probe_deeper`] and
//! [`choose_next_skill_area`] say which skill area it is about. The thresholds are the spec's,
//! named below. These functions only decide: they must not touch the state (`state` applies a
//! decision) and must stay deterministic, since text, legacy voice and realtime turns all rely
//! on the same answer producing the same step.
//!
//! # How the rules are read
//!
//! * **The recent window.** "The last 3 composites" are the current answer's composite plus up to
//!   two previous composites *at the current level, since the level was entered or a boundary was
//!   last recorded*. Both rules need at least one previous composite in that window ("those
//!   available, at least 2"). Scoping the window to the level means every move, up or down, rests
//!   on at least two answers at the level it leaves, and poor answers at a level the candidate has
//!   just left cannot condemn the level below on its first question. Resetting the window after a
//!   boundary stops one bad streak from producing a boundary in each following skill area.
//! * **Up** (rule 2): `composite > 0.8` and every previous composite in the window `> 0.75`
//!   (the current one is `> 0.8`, so it passes too). At `expert` the level stays.
//! * **Down and boundary** (rule 3): `composite < 0.5` and at least one previous composite in the
//!   window `< 0.55`. The previous composites are what is checked because the current one, being
//!   under 0.5, is always under 0.55: including it would make that condition vacuous, while the
//!   spec clearly asks for corroboration. A boundary is recorded at the current level and the
//!   level drops by one, never below `fundamental` (at `fundamental` the boundary is still
//!   recorded and the level stays).
//! * **Two consecutive `poor` answers at one level** record a boundary with the same effect as
//!   rule 3 (boundary at the current level, one level down): a boundary is where the candidate's
//!   level ends, so the next question should not stay above it. If an evaluation is both "strong"
//!   and the second `poor` (contradictory, but a model can produce it), the boundary wins.
//! * **Warmup** (rule 1) overrides the others: exactly two warmup questions, then `fundamental`;
//!   no boundary is ever recorded at warmup, and no level is below it.
//! * **Skill areas** (rule 4): a `good` or `fair` answer is probed deeper in the same area, at most
//!   [`MAX_QUESTIONS_PER_VISIT`] questions in a row (otherwise a steady "good" candidate would
//!   never leave the first area); an `excellent` or `poor` answer, a boundary, or a full visit
//!   moves on to another area: first one never asked, then one without a boundary yet, in the
//!   interview's order, wrapping around.
//! * **Which area a boundary belongs to.** The window is per level, not per area (a `poor` answer
//!   moves on to another area, so a per-area window would almost never see two weak answers), so
//!   a boundary is attributed to the area of the answer that revealed it: the candidate just
//!   failed there, at a level where they were already struggling. Each area keeps one boundary,
//!   lowered if a later one is lower (`state`).

use serde::{Deserialize, Serialize};

use crate::domain::enums::{AnswerQuality, Difficulty};

/// Warmup questions before `fundamental`.
pub const WARMUP_QUESTIONS: u32 = 2;
/// Rule 2: the current composite must exceed this…
pub const UP_COMPOSITE: f64 = 0.8;
/// …and every previous composite in the window must exceed this.
pub const UP_RECENT: f64 = 0.75;
/// Rule 3: the current composite must be below this…
pub const DOWN_COMPOSITE: f64 = 0.5;
/// …and some previous composite in the window must be below this.
pub const DOWN_RECENT: f64 = 0.55;
/// The window: the current composite and up to `RECENT_WINDOW - 1` previous ones.
pub const RECENT_WINDOW: usize = 3;
/// Consecutive questions on one skill area before moving on.
pub const MAX_QUESTIONS_PER_VISIT: u32 = 3;

/// A composite kept to 4 decimals. The state is stored as JSON after every turn, and a float with
/// more digits does not always survive serde_json's text round trip bit for bit; 4-decimal values
/// do (both directions are exact for them), so a rule sees the same numbers live and after the
/// Durable Object reloads its state. 1e-4 is far below any threshold's meaning.
#[must_use]
pub fn round_composite(composite: f64) -> f64 {
    (composite * 10_000.0).round() / 10_000.0
}

/// The level above `level` (`expert` stays `expert`).
#[must_use]
pub fn next_level(level: Difficulty) -> Difficulty {
    match level {
        Difficulty::Warmup => Difficulty::Fundamental,
        Difficulty::Fundamental => Difficulty::Intermediate,
        Difficulty::Intermediate => Difficulty::Advanced,
        Difficulty::Advanced | Difficulty::Expert => Difficulty::Expert,
    }
}

/// The level a boundary drops to: one below `level`, but never below `fundamental` (and
/// `warmup`, which has no boundaries, stays `warmup`).
#[must_use]
pub fn lower_level(level: Difficulty) -> Difficulty {
    match level {
        Difficulty::Warmup => Difficulty::Warmup,
        Difficulty::Fundamental | Difficulty::Intermediate => Difficulty::Fundamental,
        Difficulty::Advanced => Difficulty::Intermediate,
        Difficulty::Expert => Difficulty::Advanced,
    }
}

/// Why the level is what it is after an answer (logged, and a hint for the question prompt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressionReason {
    /// Still in the warmup.
    WarmupContinues,
    /// The warmup is over: on to `fundamental`.
    WarmupCompleted,
    /// Rule 2: up one level.
    ConsistentlyStrong,
    /// Rule 2 held at `expert`: nowhere higher to go.
    StrongAtTopLevel,
    /// Rule 3: a boundary, down one level.
    SkillBoundary,
    /// Two consecutive `poor` answers at one level: a boundary, down one level.
    RepeatedPoor,
    /// Rule 4: same level.
    ContinueAtLevel,
}

impl ProgressionReason {
    /// Human-readable reason (the seed's wording where it had one).
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            ProgressionReason::WarmupContinues => "Warmup in progress",
            ProgressionReason::WarmupCompleted => "Completed warmup phase",
            ProgressionReason::ConsistentlyStrong => "Consistently strong performance",
            ProgressionReason::StrongAtTopLevel => "Consistently strong performance at the highest level",
            ProgressionReason::SkillBoundary => "Skill boundary detected",
            ProgressionReason::RepeatedPoor => {
                "Skill boundary detected: two consecutive poor answers at this level"
            }
            ProgressionReason::ContinueAtLevel => "Continue exploring at current level",
        }
    }
}

/// What [`decide`] needs to know, all of it as it was *before* the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressionInput<'a> {
    /// The level the answered question was at.
    pub level: Difficulty,
    /// Warmup answers before this one.
    pub warmup_answered: u32,
    /// Composites of earlier answers in the recent window (oldest first). Only the last
    /// `RECENT_WINDOW - 1` are used, so the stored window can be passed as is.
    pub previous: &'a [f64],
    /// `poor` answers immediately before this one at this level.
    pub consecutive_poor: u32,
    /// This answer's composite.
    pub composite: f64,
    /// This answer's band.
    pub quality: AnswerQuality,
}

/// The decision for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressionStep {
    /// The level of the next question.
    pub next_level: Difficulty,
    /// A boundary was found at the answered question's level.
    pub boundary: bool,
    pub reason: ProgressionReason,
}

impl ProgressionStep {
    const fn new(next_level: Difficulty, boundary: bool, reason: ProgressionReason) -> Self {
        ProgressionStep { next_level, boundary, reason }
    }
}

/// Applies rules 1–4 of docs/interviews.md#difficulty-progression (as read in the module docs) to one answer.
#[must_use]
pub fn decide(input: &ProgressionInput<'_>) -> ProgressionStep {
    use ProgressionReason as R;
    let level = input.level;

    if level == Difficulty::Warmup {
        return if input.warmup_answered.saturating_add(1) >= WARMUP_QUESTIONS {
            ProgressionStep::new(Difficulty::Fundamental, false, R::WarmupCompleted)
        } else {
            ProgressionStep::new(Difficulty::Warmup, false, R::WarmupContinues)
        };
    }

    let previous = &input.previous[input.previous.len().saturating_sub(RECENT_WINDOW - 1)..];
    // NaN (only from corrupt stored state) compares false both ways: it neither corroborates a
    // boundary nor supports a move up.
    let weak = input.composite < DOWN_COMPOSITE && previous.iter().any(|&c| c < DOWN_RECENT);
    let repeated_poor = input.quality == AnswerQuality::Poor && input.consecutive_poor >= 1;
    if weak || repeated_poor {
        let reason = if weak { R::SkillBoundary } else { R::RepeatedPoor };
        return ProgressionStep::new(lower_level(level), true, reason);
    }

    let strong =
        input.composite > UP_COMPOSITE && !previous.is_empty() && previous.iter().all(|&c| c > UP_RECENT);
    if strong {
        let next = next_level(level);
        let reason = if next == level { R::StrongAtTopLevel } else { R::ConsistentlyStrong };
        return ProgressionStep::new(next, false, reason);
    }

    ProgressionStep::new(level, false, R::ContinueAtLevel)
}

/// Rule 4: whether the next question stays on the same skill area. `answers_in_visit` counts the
/// answers given on this area in a row, including the current one.
#[must_use]
pub fn probe_deeper(quality: AnswerQuality, boundary: bool, answers_in_visit: u32) -> bool {
    !boundary
        && matches!(quality, AnswerQuality::Good | AnswerQuality::Fair)
        && answers_in_visit < MAX_QUESTIONS_PER_VISIT
}

/// What [`choose_next_skill_area`] knows about each area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AreaStatus {
    /// At least one answer was given on it.
    pub explored: bool,
    /// A boundary was recorded on it.
    pub has_boundary: bool,
}

/// The area to ask about after `current`, looking at the *other* areas in the interview's order,
/// wrapping around: the first unexplored one, else the first without a boundary, else simply the
/// next one. `current` comes back only when it is the only area (a visit is over, so it is not
/// chosen again even if it is the last area without a boundary). Returns 0 for an empty list.
#[must_use]
pub fn choose_next_skill_area(areas: &[AreaStatus], current: usize) -> usize {
    let n = areas.len();
    if n == 0 {
        return 0;
    }
    let in_order = || (1..n).map(move |k| (current % n + k) % n);
    let status = |i: usize| areas.get(i).copied().unwrap_or_default();
    in_order()
        .find(|&i| !status(i).explored)
        .or_else(|| in_order().find(|&i| !status(i).has_boundary))
        .unwrap_or((current % n + 1) % n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AnswerQuality::{Excellent, Fair, Good, Poor};
    use Difficulty::{Advanced, Expert, Fundamental, Intermediate, Warmup};
    use ProgressionReason as R;

    fn input(
        level: Difficulty,
        previous: &[f64],
        composite: f64,
        quality: AnswerQuality,
    ) -> ProgressionInput<'_> {
        ProgressionInput { level, warmup_answered: 0, previous, consecutive_poor: 0, composite, quality }
    }

    #[test]
    fn composites_are_kept_to_four_decimals_and_survive_json() {
        let table = [(0.48769999999999997, 0.4877), (0.895, 0.895), (0.80004, 0.8), (0.0, 0.0), (1.0, 1.0)];
        for (raw, rounded) in table {
            assert_eq!(round_composite(raw), rounded);
        }
        let mut rng = crate::domain::engine::testutil::Lcg::new(11);
        for _ in 0..2_000 {
            let c = round_composite(rng.evaluation(0.0).composite());
            let text = serde_json::to_string(&c).unwrap_or_default();
            assert_eq!(serde_json::from_str::<f64>(&text).ok(), Some(c), "{text}");
        }
    }

    #[test]
    fn level_steps_stay_within_the_ladder() {
        assert_eq!(next_level(Warmup), Fundamental);
        assert_eq!(next_level(Advanced), Expert);
        assert_eq!(next_level(Expert), Expert);
        assert_eq!(lower_level(Intermediate), Fundamental);
        assert_eq!(lower_level(Fundamental), Fundamental);
        assert_eq!(lower_level(Expert), Advanced);
        assert_eq!(lower_level(Warmup), Warmup);
        for &level in Difficulty::ALL {
            assert!(next_level(level) >= level);
            assert!(lower_level(level) <= level);
        }
    }

    #[test]
    fn warmup_lasts_two_questions_whatever_the_answers() {
        for quality in AnswerQuality::ALL.iter().copied() {
            for composite in [0.0, 0.3, 0.9, 1.0] {
                let first = ProgressionInput {
                    warmup_answered: 0,
                    consecutive_poor: 1,
                    ..input(Warmup, &[0.1, 0.2], composite, quality)
                };
                assert_eq!(decide(&first), ProgressionStep::new(Warmup, false, R::WarmupContinues));
                let second = ProgressionInput { warmup_answered: 1, ..first };
                assert_eq!(decide(&second), ProgressionStep::new(Fundamental, false, R::WarmupCompleted));
            }
        }
    }

    /// Table: (level, previous window, composite, quality, consecutive poor) → step.
    #[test]
    fn rules_table() {
        let step = |level, previous: &[f64], composite, quality, poor| {
            decide(&ProgressionInput { consecutive_poor: poor, ..input(level, previous, composite, quality) })
        };
        let stay = |level| ProgressionStep::new(level, false, R::ContinueAtLevel);
        let up = |level| ProgressionStep::new(level, false, R::ConsistentlyStrong);
        let down = |level| ProgressionStep::new(level, true, R::SkillBoundary);
        let poor_down = |level| ProgressionStep::new(level, true, R::RepeatedPoor);
        let top = ProgressionStep::new(Expert, false, R::StrongAtTopLevel);

        // Up needs a previous composite in the window, all of them > 0.75, and > 0.8 now.
        assert_eq!(step(Fundamental, &[], 0.95, Excellent, 0), stay(Fundamental));
        assert_eq!(step(Fundamental, &[0.76], 0.81, Excellent, 0), up(Intermediate));
        assert_eq!(step(Fundamental, &[0.75], 0.95, Excellent, 0), stay(Fundamental));
        assert_eq!(step(Fundamental, &[0.9, 0.76], 0.81, Good, 0), up(Intermediate));
        assert_eq!(step(Fundamental, &[0.7, 0.9], 0.95, Excellent, 0), stay(Fundamental));
        assert_eq!(step(Fundamental, &[0.76], 0.8, Excellent, 0), stay(Fundamental));
        // Only the last two previous composites count.
        assert_eq!(step(Fundamental, &[0.1, 0.9, 0.9], 0.95, Excellent, 0), up(Intermediate));
        assert_eq!(step(Expert, &[0.9, 0.9], 0.95, Excellent, 0), top);

        // Down needs corroboration from a previous composite < 0.55, and < 0.5 now.
        assert_eq!(step(Intermediate, &[], 0.1, Fair, 0), stay(Intermediate));
        assert_eq!(step(Intermediate, &[0.6, 0.55], 0.2, Fair, 0), stay(Intermediate));
        assert_eq!(step(Intermediate, &[0.54], 0.49, Fair, 0), down(Fundamental));
        assert_eq!(step(Intermediate, &[0.2], 0.5, Fair, 0), stay(Intermediate));
        assert_eq!(step(Intermediate, &[0.2, 0.9, 0.9], 0.3, Fair, 0), stay(Intermediate));
        assert_eq!(step(Expert, &[0.3], 0.3, Poor, 0), down(Advanced));
        assert_eq!(step(Advanced, &[0.3], 0.3, Poor, 0), down(Intermediate));
        // At the floor the boundary is recorded and the level stays.
        assert_eq!(step(Fundamental, &[0.3], 0.3, Poor, 0), down(Fundamental));

        // Two consecutive poor answers at one level: a boundary even with a middling composite.
        assert_eq!(step(Advanced, &[0.6], 0.56, Poor, 1), poor_down(Intermediate));
        assert_eq!(step(Advanced, &[0.6], 0.56, Poor, 0), stay(Advanced));
        assert_eq!(step(Advanced, &[0.6], 0.56, Fair, 1), stay(Advanced));
        // Contradictory "poor but strong": the boundary wins.
        assert_eq!(step(Advanced, &[0.9], 0.92, Poor, 1), poor_down(Intermediate));

        // Middle ground stays.
        assert_eq!(step(Advanced, &[0.7, 0.7], 0.7, Good, 0), stay(Advanced));
        // NaN in a corrupt window neither corroborates nor supports.
        assert_eq!(step(Advanced, &[f64::NAN], 0.3, Fair, 0), stay(Advanced));
        assert_eq!(step(Advanced, &[f64::NAN], 0.95, Excellent, 0), stay(Advanced));
    }

    #[test]
    fn reasons_have_the_seeds_wording() {
        assert_eq!(R::ConsistentlyStrong.description(), "Consistently strong performance");
        assert!(R::SkillBoundary.description().to_lowercase().contains("boundary"));
        assert!(R::RepeatedPoor.description().to_lowercase().contains("boundary"));
        assert_eq!(serde_json::to_string(&R::SkillBoundary).ok().as_deref(), Some("\"skill_boundary\""));
    }

    #[test]
    fn good_and_fair_probe_deeper_within_a_visit() {
        let cases = [
            (Good, false, 1, true),
            (Fair, false, 2, true),
            (Fair, false, 3, false),
            (Good, true, 1, false),
            (Excellent, false, 1, false),
            (Poor, false, 1, false),
        ];
        for (quality, boundary, visit, expected) in cases {
            assert_eq!(probe_deeper(quality, boundary, visit), expected, "{quality} {boundary} {visit}");
        }
    }

    #[test]
    fn next_area_prefers_unexplored_then_unbounded_in_order() {
        let s = |explored, has_boundary| AreaStatus { explored, has_boundary };
        let cases: &[(&[AreaStatus], usize, usize)] = &[
            (&[s(true, false), s(false, false), s(false, false)], 0, 1),
            (&[s(false, false), s(true, false), s(true, false)], 2, 0),
            (&[s(true, false), s(true, true), s(true, false)], 0, 2),
            // The current area is not chosen again while there is another.
            (&[s(true, false), s(true, true), s(true, true)], 0, 1),
            (&[s(true, true), s(true, true), s(true, true)], 1, 2),
            (&[s(true, false)], 0, 0),
            (&[], 5, 0),
            // An out-of-range current index (corrupt state) still lands inside the list.
            (&[s(true, true), s(true, true)], 7, 0),
        ];
        for &(areas, current, expected) in cases {
            assert_eq!(choose_next_skill_area(areas, current), expected, "{areas:?} from {current}");
        }
    }
}
