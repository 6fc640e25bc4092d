//! The interview engine (docs/interviews.md#engine): the deterministic rules that turn one evaluated answer
//! into the next step of an interview, shared by REST text, legacy voice and realtime turns.
//!
//! The interview's Durable Object owns an [`InterviewState`], adds the turn's usage to
//! `state.cost`, calls [`apply_answer`] once per evaluated answer and persists the state with the
//! turn's messages. Everything here is pure Rust: no `worker`, no wasm, no I/O, no clock and no
//! randomness, so the same answers always produce the same interview and all of it is unit-tested
//! natively.
//!
//! * [`progression`]: difficulty levels, skill boundaries and skill-area choice
//!   (docs/interviews.md#difficulty-progression);
//! * [`completion`]: when the interview ends and the `total_questions` estimate
//!   (docs/interviews.md#completion);
//! * [`state`]: the stored per-interview state;
//! * [`memory`]: which messages fit the model's context (docs/interviews.md#memory);
//! * [`cost`]: prices and the running cost in micro-USD (docs/interviews.md#cost).

pub mod completion;
pub mod cost;
pub mod memory;
mod models;
pub mod progression;
pub mod state;
#[cfg(test)]
pub(crate) mod testutil;

use serde::{Deserialize, Serialize};

use crate::domain::enums::{CompletionReason, Difficulty};
use crate::domain::evaluation::Evaluation;

pub use completion::{check_completion, estimate_total_questions};
pub use progression::ProgressionReason;
pub use state::{InterviewState, SkillBoundary};

/// The configured limits of an interview (`MIN_QUESTIONS`, `MAX_QUESTIONS`, `MIN_BOUNDARIES`,
/// `INTERVIEW_COST_CAP_USD` in micro-USD). A cost cap of 0 disables the cap: a zero cap would end
/// every interview after its first answer, which no operator means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineLimits {
    pub min_questions: u32,
    pub max_questions: u32,
    pub min_boundaries: u32,
    pub cost_cap_micros: u64,
}

impl Default for EngineLimits {
    /// The spec's defaults: 12 questions and 2 boundaries, at most 20 questions, $5.00.
    fn default() -> Self {
        EngineLimits { min_questions: 12, max_questions: 20, min_boundaries: 2, cost_cap_micros: 5_000_000 }
    }
}

impl EngineLimits {
    /// The limits as the engine applies them: at least one question, and a minimum no larger than
    /// the maximum (the maximum is the hard stop, so it wins a contradiction).
    #[must_use]
    pub fn normalized(self) -> Self {
        let max_questions = self.max_questions.max(1);
        EngineLimits { max_questions, min_questions: self.min_questions.clamp(1, max_questions), ..self }
    }
}

/// What one answer did to the interview, and what comes next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnDecision {
    /// The answer's composite score (docs/interviews.md#difficulty-progression), to 4 decimals.
    pub composite: f64,
    pub reason: ProgressionReason,
    /// Level of the answered question.
    pub difficulty_before: Difficulty,
    /// Level of the next question.
    pub difficulty_after: Difficulty,
    pub difficulty_changed: bool,
    /// The boundary this answer recorded (new, or an existing one lowered), if any.
    pub boundary: Option<SkillBoundary>,
    /// Set when the interview is now complete: no next question, a closing message instead.
    pub completion: Option<CompletionReason>,
    /// Skill area of the next question.
    pub next_skill_area: String,
    /// The next question probes the same area deeper (a follow-up on missed concepts).
    pub probe_deeper: bool,
    /// Number of the next question; on completion, of the last question asked.
    pub question_number: u32,
    /// Expected number of questions; on completion, the number asked.
    pub total_questions: u32,
}

/// Applies one evaluated answer to `state`: records it as evidence on the current skill area,
/// applies the progression rules (level, boundary), picks the next skill area and checks
/// completion. `answer_seq` is the sequence number of the candidate's message. The caller adds the
/// turn's cost to `state.cost` first, so the cost cap sees it, and must not call it again for an
/// interview it has completed.
///
/// The answer is attributed to the area the engine asked about (`state.current_skill_area()`),
/// not to the evaluator's free-text `skill_area` label, which a model may phrase differently
/// every time and which would split one area's history.
pub fn apply_answer(
    state: &mut InterviewState,
    eval: &Evaluation,
    answer_seq: u32,
    limits: &EngineLimits,
) -> TurnDecision {
    let level = state.current_difficulty;
    apply_answer_at(state, eval, answer_seq, limits, level)
}

/// [`apply_answer`] for an answer to a question of level `asked`. When the bank ran out of
/// questions at the engine's level and a question of another level stood in (a *substitute*),
/// the answer is recorded and counted at the level actually asked, and it neither moves the level
/// nor records a boundary nor enters the recent window: boundaries come only from questions at
/// the boundary level. During the warmup every answer is a warmup answer.
pub fn apply_answer_at(
    state: &mut InterviewState,
    eval: &Evaluation,
    answer_seq: u32,
    limits: &EngineLimits,
    asked: Difficulty,
) -> TurnDecision {
    state.repair();
    let limits = limits.normalized();
    let composite = progression::round_composite(eval.composite());
    let quality = eval.answer_quality;
    let before = state.current_difficulty;
    let skill_area = state.current_skill_area().to_owned();
    let substitute = asked != before && before != Difficulty::Warmup;
    let recorded_level = if substitute { asked } else { before };

    let step = if substitute {
        progression::ProgressionStep {
            next_level: before,
            boundary: false,
            reason: ProgressionReason::ContinueAtLevel,
        }
    } else {
        progression::decide(&progression::ProgressionInput {
            level: before,
            warmup_answered: state.warmup_answered,
            previous: &state.recent_composites,
            consecutive_poor: state.consecutive_poor,
            composite,
            quality,
        })
    };

    let question_number = state.record_answer(&skill_area, recorded_level, answer_seq, composite, quality);
    let boundary =
        if step.boundary { state.record_boundary(&skill_area, before, question_number) } else { None };
    if !substitute {
        state.advance(step.next_level, step.boundary, composite, quality, question_number);
    }

    let probe_deeper = progression::probe_deeper(quality, step.boundary, state.answers_in_visit);
    if !probe_deeper {
        state.move_to_next_skill_area();
    }

    let completion =
        check_completion(state.questions_asked, state.boundary_count(), state.cost.total_micros(), &limits);
    let (question_number, total_questions) = match completion {
        Some(_) => (state.questions_asked, state.questions_asked),
        None => (state.next_question_number(), state.total_questions(&limits)),
    };

    TurnDecision {
        composite,
        reason: step.reason,
        difficulty_before: before,
        difficulty_after: state.current_difficulty,
        difficulty_changed: state.current_difficulty != before,
        boundary,
        completion,
        next_skill_area: state.current_skill_area().to_owned(),
        probe_deeper,
        question_number,
        total_questions,
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::testutil::{eval, Lcg};
    use super::*;
    use crate::domain::enums::AnswerQuality::{Excellent, Fair, Good, Poor};
    use crate::domain::enums::{AnswerQuality, BoundaryType};
    use Difficulty::{Advanced, Expert, Fundamental, Intermediate, Warmup};

    fn areas(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn react() -> InterviewState {
        InterviewState::new(areas(&[
            "hooks",
            "state_management",
            "performance",
            "testing",
            "components",
            "routing",
        ]))
    }

    /// Seed test `test_update_after_excellent_response` [002 L1963-2005]: at `fundamental`, an
    /// excellent answer with accuracy 0.9 and clarity 0.85 (composite 0.895) moves to
    /// `intermediate`, "Consistently strong performance". Rule 2 needs a previous composite at the
    /// level above 0.75, so the history holds one strong fundamental answer (0.85).
    #[test]
    fn seed_example_excellent_answer_at_fundamental_moves_up() {
        let mut s = react();
        s.current_difficulty = Fundamental;
        s.warmup_answered = 2;
        s.questions_asked = 3;
        s.recent_composites = vec![0.85];
        let d = apply_answer(&mut s, &eval(Excellent, 0.9, 0.85), 8, &EngineLimits::default());
        assert!((d.composite - 0.895).abs() < 1e-9);
        assert_eq!((d.difficulty_before, d.difficulty_after), (Fundamental, Intermediate));
        assert!(d.difficulty_changed && d.boundary.is_none() && d.completion.is_none());
        assert_eq!(d.reason.description(), "Consistently strong performance");
        assert_eq!(s.current_difficulty, Intermediate);
        assert!(s.recent_composites.is_empty(), "a new level starts a new window");
        assert_eq!(d.question_number, 5);
    }

    /// Without that history the same answer stays: one answer is not "consistently" strong.
    #[test]
    fn one_strong_answer_alone_does_not_move_up() {
        let mut s = react();
        s.current_difficulty = Fundamental;
        s.warmup_answered = 2;
        let d = apply_answer(&mut s, &eval(Excellent, 0.9, 0.85), 6, &EngineLimits::default());
        assert_eq!(d.difficulty_after, Fundamental);
        assert_eq!(d.reason, ProgressionReason::ContinueAtLevel);
    }

    /// Seed test `test_detect_skill_boundary` [002 L1963-2005]: at `intermediate` with recent
    /// composites [0.4, 0.45], a poor answer with accuracy 0.4 and clarity 0.5 (composite 0.41)
    /// drops to `fundamental` with a boundary recorded.
    #[test]
    fn seed_example_weak_answers_at_intermediate_record_a_boundary_and_drop() {
        let mut s = react();
        s.current_difficulty = Intermediate;
        s.warmup_answered = 2;
        s.questions_asked = 6;
        s.recent_composites = vec![0.4, 0.45];
        s.current_skill_index = 2;
        let d = apply_answer(&mut s, &eval(Poor, 0.4, 0.5), 14, &EngineLimits::default());
        assert!((d.composite - 0.41).abs() < 1e-9);
        assert_eq!((d.difficulty_before, d.difficulty_after), (Intermediate, Fundamental));
        assert!(d.reason.description().to_lowercase().contains("boundary"));
        let expected = SkillBoundary {
            skill_area: "performance".into(),
            boundary_level: Intermediate,
            boundary_type: BoundaryType::UpperLimit,
            at_question: 7,
        };
        assert_eq!(d.boundary.as_ref(), Some(&expected));
        assert_eq!(s.skill_boundaries, vec![expected]);
        assert!(!d.probe_deeper, "a found boundary moves on to another area");
        assert_ne!(d.next_skill_area, "performance");
        assert_eq!(s.skill_history["performance"].last().map(|r| r.answer_seq), Some(14));
    }

    #[test]
    fn warmup_is_two_questions_then_fundamental_and_never_lower() {
        for quality in AnswerQuality::ALL.iter().copied() {
            let mut s = react();
            let d1 = apply_answer(&mut s, &eval(quality, 0.0, 0.0), 2, &EngineLimits::default());
            assert_eq!((d1.difficulty_after, d1.boundary.clone()), (Warmup, None));
            let d2 = apply_answer(&mut s, &eval(quality, 0.0, 0.0), 4, &EngineLimits::default());
            assert_eq!((d2.difficulty_after, d2.boundary.clone()), (Fundamental, None), "{quality}");
            assert_eq!(d2.reason, ProgressionReason::WarmupCompleted);
            assert_eq!(s.level_transitions.len(), 1);
            // Poor answers at fundamental record boundaries but never leave it.
            for seq in 0..6 {
                let d = apply_answer(&mut s, &eval(Poor, 0.1, 0.1), 6 + 2 * seq, &EngineLimits::default());
                assert_eq!(d.difficulty_after, Fundamental);
            }
            assert!(s.skill_boundaries.iter().all(|b| b.boundary_level == Fundamental));
        }
    }

    #[test]
    fn two_consecutive_poor_answers_record_a_boundary() {
        let mut s = react();
        s.current_difficulty = Advanced;
        s.warmup_answered = 2;
        s.questions_asked = 8;
        // Composite 0.56: above rule 3's threshold, so only the poor-answer rule can fire.
        let first = apply_answer(&mut s, &eval(Poor, 0.7, 0.4), 17, &EngineLimits::default());
        assert_eq!((first.difficulty_after, first.boundary.clone()), (Advanced, None));
        assert_eq!(s.consecutive_poor, 1);
        let second = apply_answer(&mut s, &eval(Poor, 0.7, 0.4), 19, &EngineLimits::default());
        assert_eq!(second.reason, ProgressionReason::RepeatedPoor);
        assert_eq!(second.difficulty_after, Intermediate);
        assert_eq!(second.boundary.map(|b| (b.boundary_level, b.at_question)), Some((Advanced, 10)));
        assert_eq!(s.consecutive_poor, 0);
    }

    #[test]
    fn a_poor_answer_between_fair_ones_is_not_a_run() {
        let mut s = react();
        s.current_difficulty = Advanced;
        s.warmup_answered = 2;
        for (i, quality) in [Poor, Fair, Poor, Fair, Poor].into_iter().enumerate() {
            let d = apply_answer(&mut s, &eval(quality, 0.7, 0.4), 2 * i as u32, &EngineLimits::default());
            assert_eq!(d.boundary, None);
            assert_eq!(d.difficulty_after, Advanced);
        }
    }

    #[test]
    fn good_answers_probe_the_same_area_at_most_three_times() {
        let mut s = react();
        s.current_difficulty = Intermediate;
        s.warmup_answered = 2;
        let mut areas_asked = Vec::new();
        for seq in 0..7 {
            areas_asked.push(s.current_skill_area().to_owned());
            let d = apply_answer(&mut s, &eval(Good, 0.7, 0.7), seq, &EngineLimits::default());
            assert_eq!(d.next_skill_area, s.current_skill_area());
        }
        assert_eq!(
            areas_asked,
            areas(&[
                "hooks",
                "hooks",
                "hooks",
                "state_management",
                "state_management",
                "state_management",
                "performance"
            ])
        );
        assert_eq!(s.skills_explored, areas(&["hooks", "state_management", "performance"]));
        assert_eq!(s.skills_pending, areas(&["testing", "components", "routing"]));
    }

    #[test]
    fn excellent_answers_move_on_to_unexplored_areas_first() {
        let mut s = InterviewState::new(areas(&["a", "b", "c"]));
        let mut asked = Vec::new();
        for seq in 0..5 {
            asked.push(s.current_skill_area().to_owned());
            let d = apply_answer(&mut s, &eval(Excellent, 0.95, 0.95), seq, &EngineLimits::default());
            assert!(!d.probe_deeper);
        }
        assert_eq!(asked, areas(&["a", "b", "c", "a", "b"]));
        assert!(s.skills_pending.is_empty());
    }

    #[test]
    fn a_strong_candidate_climbs_to_expert_and_stays() {
        let mut s = react();
        let mut levels = Vec::new();
        for seq in 0..12 {
            let d = apply_answer(&mut s, &eval(Excellent, 0.95, 0.95), seq, &EngineLimits::default());
            levels.push(d.difficulty_after);
        }
        // Two warmup answers, then two strong answers per level (the window restarts at each).
        assert_eq!(
            levels,
            vec![
                Warmup,
                Fundamental,
                Fundamental,
                Intermediate,
                Intermediate,
                Advanced,
                Advanced,
                Expert,
                Expert,
                Expert,
                Expert,
                Expert
            ]
        );
        assert!(s.skill_boundaries.is_empty());
    }

    #[test]
    fn completes_when_criteria_are_met() {
        // A weak candidate: boundaries at fundamental in two areas, then done at question 12.
        let mut s = react();
        let limits = EngineLimits::default();
        let mut decisions = Vec::new();
        for seq in 0..12 {
            let d = apply_answer(&mut s, &eval(Poor, 0.2, 0.2), seq, &limits);
            decisions.push(d);
        }
        let last = decisions.last().expect("twelve decisions");
        assert_eq!(last.completion, Some(CompletionReason::CriteriaMet));
        assert_eq!((last.question_number, last.total_questions), (12, 12));
        assert!(decisions[..11].iter().all(|d| d.completion.is_none()));
        assert!(s.boundary_count() >= 2);
        // Boundaries are found two answers apart at the fundamental floor, on different areas.
        let at: Vec<u32> = s.skill_boundaries.iter().map(|b| b.at_question).collect();
        assert_eq!(&at[..2], &[4, 6]);
    }

    #[test]
    fn completes_at_max_questions_without_boundaries() {
        let mut s = react();
        let limits = EngineLimits::default();
        for seq in 1..=20u32 {
            let d = apply_answer(&mut s, &eval(Good, 0.7, 0.7), seq, &limits);
            if seq < 20 {
                assert_eq!(d.completion, None);
                assert_eq!(d.question_number, seq + 1);
            } else {
                assert_eq!(d.completion, Some(CompletionReason::MaxQuestions));
                assert_eq!((d.question_number, d.total_questions), (20, 20));
            }
        }
    }

    #[test]
    fn completes_when_the_cost_cap_is_reached() {
        let mut s = react();
        let limits = EngineLimits::default();
        s.cost.llm_micros = 4_999_999;
        assert_eq!(apply_answer(&mut s, &eval(Good, 0.7, 0.7), 2, &limits).completion, None);
        s.cost.llm_micros += 1;
        let d = apply_answer(&mut s, &eval(Good, 0.7, 0.7), 4, &limits);
        assert_eq!(d.completion, Some(CompletionReason::CostLimit));
        assert_eq!((d.question_number, d.total_questions), (2, 2));
    }

    #[test]
    fn a_stored_state_from_json_continues_the_same_interview() {
        let limits = EngineLimits::default();
        let mut rng = Lcg::new(3);
        let answers: Vec<Evaluation> = (0..20).map(|_| rng.evaluation(0.2)).collect();
        let mut live = react();
        let mut stored = serde_json::to_string(&react()).expect("serialise");
        for (seq, e) in answers.iter().enumerate() {
            let mut restored: InterviewState = serde_json::from_str(&stored).expect("deserialise");
            let a = apply_answer(&mut live, e, seq as u32, &limits);
            let b = apply_answer(&mut restored, e, seq as u32, &limits);
            assert_eq!(a, b);
            assert_eq!(live, restored);
            stored = serde_json::to_string(&restored).expect("serialise");
            if a.completion.is_some() {
                break;
            }
        }
    }

    /// Invariants over many random interviews: levels, boundaries, numbering, estimates,
    /// skill-area bookkeeping and completion.
    #[test]
    fn engine_invariants_hold_for_random_interviews() {
        let mut rng = Lcg::new(2026);
        for interview in 0..400 {
            let limits = EngineLimits {
                min_questions: 4 + rng.below(12) as u32,
                max_questions: 8 + rng.below(20) as u32,
                min_boundaries: rng.below(4) as u32,
                cost_cap_micros: if interview % 5 == 0 { 200_000 } else { 0 },
            };
            let n = limits.normalized();
            let bias = rng.unit() * 0.6 - 0.3; // weak to strong candidates
            let area_count = 1 + rng.below(7) as usize;
            let names: Vec<String> = (0..area_count).map(|i| format!("area{i}")).collect();
            let mut s = InterviewState::new(names.clone());
            let mut replay = s.clone();
            let mut run_area = String::new();
            let mut run_length = 0;
            let mut completed = None;

            for seq in 1..=100u32 {
                let e = rng.evaluation(bias);
                s.cost.llm_micros += rng.below(20_000);
                replay.cost = s.cost;
                let asked_area = s.current_skill_area().to_owned();
                let before = s.clone();
                let d = apply_answer(&mut s, &e, seq * 2, &limits);
                assert_eq!(apply_answer(&mut replay, &e, seq * 2, &limits), d, "deterministic");

                // Numbering.
                assert_eq!(s.questions_asked, before.questions_asked + 1);
                // Levels: warmup exactly twice, then never again; one step at a time.
                if s.questions_asked < 2 {
                    assert_eq!(d.difficulty_after, Warmup);
                } else {
                    assert!(d.difficulty_after >= Fundamental);
                }
                let step = Difficulty::ALL.iter().position(|&l| l == d.difficulty_after).unwrap_or(0) as i64
                    - Difficulty::ALL.iter().position(|&l| l == d.difficulty_before).unwrap_or(0) as i64;
                assert!((-1..=1).contains(&step));
                assert_eq!(d.difficulty_changed, step != 0);
                if step > 0 && d.difficulty_before != Warmup {
                    assert!(d.composite > 0.8, "up only on a strong answer");
                }
                if step < 0 {
                    assert!(matches!(
                        d.reason,
                        ProgressionReason::SkillBoundary | ProgressionReason::RepeatedPoor
                    ));
                }
                // Boundaries.
                if let Some(b) = &d.boundary {
                    assert_eq!(b.boundary_level, d.difficulty_before);
                    assert_eq!(b.at_question, s.questions_asked);
                    assert_eq!(b.skill_area, asked_area);
                    assert_ne!(b.boundary_level, Warmup);
                    assert_eq!(d.difficulty_after, progression::lower_level(d.difficulty_before));
                }
                let mut seen: Vec<&str> = s.skill_boundaries.iter().map(|b| b.skill_area.as_str()).collect();
                seen.sort_unstable();
                seen.dedup();
                assert_eq!(seen.len(), s.skill_boundaries.len(), "one boundary per area");
                // Skill areas.
                assert!(names.contains(&d.next_skill_area));
                if d.probe_deeper {
                    assert_eq!(d.next_skill_area, asked_area, "probing deeper stays on the area");
                }
                if asked_area == run_area {
                    run_length += 1;
                } else {
                    run_area = asked_area.clone();
                    run_length = 1;
                }
                if area_count > 1 {
                    assert!(run_length <= progression::MAX_QUESTIONS_PER_VISIT, "visit too long");
                }
                let mut all: Vec<String> =
                    s.skills_explored.iter().chain(&s.skills_pending).cloned().collect();
                all.sort();
                let mut expected = names.clone();
                expected.sort();
                assert_eq!(all, expected, "explored and pending partition the areas");
                assert!(s.recent_composites.len() <= progression::RECENT_WINDOW);
                // Completion and estimates.
                assert_eq!(
                    d.completion,
                    check_completion(s.questions_asked, s.boundary_count(), s.cost.total_micros(), &limits)
                );
                assert!(s.questions_asked <= n.max_questions);
                if d.completion.is_none() {
                    assert_eq!(d.question_number, s.questions_asked + 1);
                    assert!(d.total_questions >= d.question_number && d.total_questions <= n.max_questions);
                } else {
                    assert_eq!(
                        (d.question_number, d.total_questions),
                        (s.questions_asked, s.questions_asked)
                    );
                    completed = d.completion;
                    break;
                }
            }
            assert!(completed.is_some(), "interview {interview} never ended");
            // Evidence: every answer is in the history exactly once.
            let recorded: usize = s.skill_history.values().map(Vec::len).sum();
            assert_eq!(recorded, s.questions_asked as usize);
        }
    }
}
