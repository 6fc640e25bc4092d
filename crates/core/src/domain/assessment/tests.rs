//! Behavioural tests of the built-in assessment: weighting, ranges, evidence, simulated strong
//! and weak interviews driven through a real `Session`, each integrity check, and the views.

#![allow(clippy::expect_used)] // a failed expectation is the test failing

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::json;

use super::integrity::{self, FlagType};
use super::*;
use crate::domain::bank::find;
use crate::domain::engine::state::{AnswerRecord, SkillBoundary};
use crate::domain::engine::EngineLimits;
use crate::domain::enums::{AnswerQuality, BoundaryType, Difficulty, MessageType, Severity};
use crate::domain::interviewer::AskedQuestion;

const NOW: i64 = 1_795_309_323_456;

// ------------------------------------------------------------------------------ builders

fn ai_message(seq: u32) -> StoredMessage {
    StoredMessage {
        seq,
        id: format!("m{seq}"),
        message_type: MessageType::AiQuestion,
        content_text: format!("Question in message {seq}?"),
        audio_url: None,
        metadata: json!({"question_number": seq.div_ceil(2), "skill_area": "x", "difficulty": "fundamental",
                         "question_id": null, "is_follow_up": false}),
        response_time_ms: Some(800),
        created_ms: NOW,
    }
}

/// Plausible typing: 4 chars/s plus 15 s of reading, typing 5 chars/s.
fn normal_timing(chars: usize) -> (Option<i64>, Option<i64>) {
    let chars = i64::try_from(chars).unwrap_or(0);
    (Some(15_000 + chars * 250), Some(chars * 200))
}

fn answer_message(
    seq: u32,
    text: &str,
    response_ms: Option<i64>,
    pasted: Option<bool>,
    typing_ms: Option<i64>,
) -> StoredMessage {
    StoredMessage {
        seq,
        id: format!("m{seq}"),
        message_type: MessageType::CandidateResponse,
        content_text: text.to_owned(),
        audio_url: None,
        metadata: json!({"client_metadata": {"pasted": pasted, "typing_ms": typing_ms}, "question_number": seq / 2}),
        response_time_ms: response_ms,
        created_ms: NOW,
    }
}

fn evaluation(area: &str, composite: f64, quality: AnswerQuality) -> Evaluation {
    Evaluation {
        answer_quality: quality,
        technical_accuracy: composite,
        explanation_clarity: composite,
        identified_skills: vec![format!("{area} skill")],
        skill_area: area.to_owned(),
        missed_concepts: if composite < 0.5 { vec![format!("{area} concept")] } else { vec![] },
        cross_check: None,
    }
}

fn quality_for(composite: f64) -> AnswerQuality {
    if composite >= 0.8 {
        AnswerQuality::Excellent
    } else if composite >= 0.6 {
        AnswerQuality::Good
    } else if composite >= 0.4 {
        AnswerQuality::Fair
    } else {
        AnswerQuality::Poor
    }
}

/// One hand-made answer.
#[derive(Clone)]
struct Spec {
    area: &'static str,
    level: Difficulty,
    composite: f64,
    text: String,
    response_ms: Option<i64>,
    pasted: Option<bool>,
    typing_ms: Option<i64>,
}

fn spec(area: &'static str, level: Difficulty, composite: f64) -> Spec {
    let text = "A considered answer that explains the idea with an example. ".repeat(3);
    let (response_ms, typing_ms) = normal_timing(text.chars().count());
    Spec { area, level, composite, text, response_ms, pasted: Some(false), typing_ms }
}

/// An interview: message 1 is the opening question, answer k (0-based) is message 2k+2 and the
/// interviewer's next message 2k+3.
struct Built {
    session: Session,
    messages: Vec<StoredMessage>,
    evaluations: Vec<(u32, Evaluation)>,
}

impl Built {
    fn new(specs: &[Spec]) -> Built {
        let mut session = Session::start("assessment-test", RoleType::React, None);
        session.state.skill_history.clear();
        let mut messages = vec![ai_message(1)];
        let mut evaluations = Vec::new();
        for (k, s) in specs.iter().enumerate() {
            let k = u32::try_from(k).expect("small");
            let seq = 2 * k + 2;
            let quality = quality_for(s.composite);
            session.state.skill_history.entry(s.area.to_owned()).or_default().push(AnswerRecord {
                answer_seq: seq,
                question_number: k + 1,
                difficulty: s.level,
                composite: s.composite,
                answer_quality: quality,
            });
            messages.push(answer_message(seq, &s.text, s.response_ms, s.pasted, s.typing_ms));
            messages.push(ai_message(seq + 1));
            evaluations.push((seq, evaluation(s.area, s.composite, quality)));
        }
        session.state.questions_asked = u32::try_from(specs.len()).expect("small");
        Built { session, messages, evaluations }
    }

    fn input(&self, partial: bool) -> AssessmentInput<'_> {
        AssessmentInput {
            interview_id: "assessment-test",
            role: RoleType::React,
            session: &self.session,
            messages: &self.messages,
            evaluations: &self.evaluations,
            partial,
            now_ms: NOW,
        }
    }

    fn assess(&self) -> Assessment {
        generate_builtin(&self.input(false))
    }
}

fn candidate_seqs(messages: &[StoredMessage]) -> BTreeSet<u32> {
    messages.iter().filter(|m| m.message_type == MessageType::CandidateResponse).map(|m| m.seq).collect()
}

/// Every evidence number and every `#n` citation names a candidate message of the log.
fn assert_evidence_is_real(a: &Assessment, messages: &[StoredMessage]) {
    let valid = candidate_seqs(messages);
    for item in a.strengths.iter().chain(&a.weaknesses) {
        assert!(!item.evidence.is_empty(), "an item without evidence: {item:?}");
        for seq in &item.evidence {
            assert!(valid.contains(seq), "#{seq} is not a candidate answer: {item:?}");
        }
    }
    for flag in &a.integrity_flags {
        assert!(!flag.evidence.is_empty());
        assert!((0.0..=1.0).contains(&flag.confidence));
        for seq in &flag.evidence {
            assert!(valid.contains(seq), "flag cites #{seq}: {flag:?}");
        }
    }
    let texts = a.ai_reasoning.values().chain(a.recommended_actions.iter()).chain([&a.summary]);
    for text in texts.chain(a.strengths.iter().chain(&a.weaknesses).map(|i| &i.text)) {
        for cited in citations(text) {
            assert!(valid.contains(&cited), "text cites #{cited}: {text}");
        }
    }
}

fn citations(text: &str) -> Vec<u32> {
    text.split('#')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

fn assert_in_range(a: &Assessment) {
    assert!((0.0..=100.0).contains(&a.overall_score), "{}", a.overall_score);
    assert!((0.0..=100.0).contains(&a.integrity_score), "{}", a.integrity_score);
    for s in a.skill_scores.values() {
        assert!((0.0..=100.0).contains(s), "{s}");
    }
}

/// A deterministic linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        f64::from(u32::try_from(self.below(1_000_001)).expect("small")) / 1_000_000.0
    }
}

// ------------------------------------------------------------------------------ scoring

#[test]
fn an_expert_answer_counts_five_times_a_warmup_answer() {
    use Difficulty::{Expert, Warmup};
    // Five perfect warmup answers and one failed expert answer weigh the same: 50.
    let mut specs: Vec<Spec> = (0..5).map(|_| spec("state_hooks", Warmup, 1.0)).collect();
    specs.push(spec("state_hooks", Expert, 0.0));
    assert_eq!(Built::new(&specs).assess().overall_score, 50.0);

    // One of each: the expert answer dominates, either way round.
    let a = Built::new(&[spec("state_hooks", Warmup, 1.0), spec("performance", Expert, 0.0)]).assess();
    assert_eq!(a.overall_score, 16.7);
    let a = Built::new(&[spec("state_hooks", Warmup, 0.0), spec("performance", Expert, 1.0)]).assess();
    assert_eq!(a.overall_score, 83.3);
    assert_eq!(a.skill_scores.get("performance"), Some(&100.0));
    assert_eq!(a.skill_scores.get("state_hooks"), Some(&0.0));

    // Every level's weight, in order.
    let weights: Vec<f64> = Difficulty::ALL.iter().map(|d| difficulty_weight(*d)).collect();
    assert_eq!(weights, vec![0.5, 1.0, 1.5, 2.0, 2.5]);

    // Per answer the score is composite × 100.
    let a = Built::new(&[spec("testing", Difficulty::Intermediate, 0.734)]).assess();
    assert_eq!(a.overall_score, 73.4);
    assert_eq!(a.questions_answered, 1);
}

#[test]
fn skill_scores_weight_within_each_area() {
    use Difficulty::{Advanced, Fundamental};
    let a = Built::new(&[
        spec("state_hooks", Fundamental, 0.9),
        spec("state_hooks", Advanced, 0.3),
        spec("testing", Fundamental, 0.6),
    ])
    .assess();
    // (1·90 + 2·30) / 3 = 50.
    assert_eq!(a.skill_scores.get("state_hooks"), Some(&50.0));
    assert_eq!(a.skill_scores.get("testing"), Some(&60.0));
    // (90 + 60 + 60) / 4 = 52.5.
    assert_eq!(a.overall_score, 52.5);
    assert_eq!(a.skill_scores.len(), 2);
}

#[test]
fn the_boundary_map_reports_the_highest_level_passed_and_the_engines_boundary() {
    use Difficulty::{Advanced, Fundamental, Intermediate};
    let mut built = Built::new(&[
        spec("state_hooks", Fundamental, 0.9),
        spec("state_hooks", Intermediate, 0.7),
        spec("state_hooks", Advanced, 0.3),
        // Good band but below the pass mark: not passed.
        spec("testing", Intermediate, 0.62),
    ]);
    built.session.state.skill_boundaries.push(SkillBoundary {
        skill_area: "state_hooks".into(),
        boundary_level: Advanced,
        boundary_type: BoundaryType::UpperLimit,
        at_question: 3,
    });
    let a = built.assess();
    let hooks = a.skill_boundary_map.get("state_hooks").expect("explored");
    assert_eq!((hooks.highest_level_passed, hooks.boundary_level), (Some(Intermediate), Some(Advanced)));
    let testing = a.skill_boundary_map.get("testing").expect("explored");
    assert_eq!((testing.highest_level_passed, testing.boundary_level), (None, None));
    let v = staff_view(&a);
    assert_eq!(
        v["skill_boundary_map"]["state_hooks"],
        json!({"highest_level_passed": "intermediate",
                                                                  "boundary_level": "advanced"})
    );
    assert_eq!(
        v["skill_boundary_map"]["testing"],
        json!({"highest_level_passed": null, "boundary_level": null})
    );

    // The boundary area is a weakness citing its weak answer; the reasoning cites every answer.
    let weak = a.weaknesses.iter().find(|w| w.text.contains("advanced")).expect("a boundary weakness");
    assert_eq!(weak.evidence, vec![6]);
    let reasoning = a.ai_reasoning.get("state_hooks").expect("reasoning per area");
    for cite in ["#2", "#4", "#6"] {
        assert!(reasoning.contains(cite), "{reasoning}");
    }
    assert!(a.recommended_actions.iter().any(|r| r.contains("Probe") && r.contains("advanced")));
}

#[test]
fn scores_stay_in_range_and_evidence_stays_real_for_random_histories() {
    let areas = ["state_hooks", "performance", "testing", "effects_lifecycle"];
    let mut rng = Lcg(42);
    for round in 0..300 {
        let n = rng.below(22);
        let mut specs = Vec::new();
        for _ in 0..n {
            let area = areas[usize::try_from(rng.below(4)).expect("small")];
            let level = Difficulty::ALL[usize::try_from(rng.below(5)).expect("small")];
            // Now and then out of range, as a hand-edited snapshot could be.
            let composite = match rng.below(20) {
                0 => 1.7,
                1 => -0.4,
                2 => f64::NAN,
                _ => rng.unit(),
            };
            let len = usize::try_from(rng.below(1_500)).expect("small");
            let text: String = "abcdefgh ".chars().cycle().take(len).collect();
            let response_ms = match rng.below(4) {
                0 => None,
                1 => Some(i64::try_from(rng.below(5_000)).expect("small")),
                _ => Some(i64::try_from(rng.below(600_000)).expect("small")),
            };
            let typing_ms = (rng.below(2) == 0).then(|| i64::try_from(rng.below(300_000)).expect("small"));
            let pasted = [None, Some(false), Some(true)][usize::try_from(rng.below(3)).expect("small")];
            specs.push(Spec { area, level, composite, text, response_ms, pasted, typing_ms });
        }
        let mut built = Built::new(&specs);
        if rng.below(2) == 0 {
            // A record whose message is missing from the log must never be cited.
            built.session.state.skill_history.entry("testing".into()).or_default().push(AnswerRecord {
                answer_seq: 999,
                question_number: 50,
                difficulty: Difficulty::Advanced,
                composite: 0.1,
                answer_quality: AnswerQuality::Poor,
            });
            built.session.state.skill_boundaries.push(SkillBoundary {
                skill_area: "testing".into(),
                boundary_level: Difficulty::Advanced,
                boundary_type: BoundaryType::UpperLimit,
                at_question: 50,
            });
        }
        let a = built.assess();
        assert_in_range(&a);
        assert_evidence_is_real(&a, &built.messages);
        assert!(!a.summary.is_empty() && !a.recommended_actions.is_empty(), "round {round}");
        assert_eq!(a, built.assess(), "deterministic");
    }
}

#[test]
fn an_interview_without_answers_scores_zero_with_a_plain_summary() {
    let built = Built::new(&[]);
    let a = built.assess();
    assert_eq!((a.overall_score, a.integrity_score, a.questions_answered), (0.0, 100.0, 0));
    assert!(a.strengths.is_empty() && a.weaknesses.is_empty() && a.skill_scores.is_empty());
    assert!(!a.summary.is_empty() && !a.recommended_actions.is_empty());
}

// ------------------------------------------------------------------------------ simulated interviews

fn rubric_answer(question: &AskedQuestion) -> String {
    let rubric = question.rubric_id.as_deref().and_then(find).expect("every asked question has a rubric");
    let mut out = String::new();
    for (i, c) in rubric.rubric.iter().enumerate() {
        if i % 2 == 0 {
            let _ =
                write!(out, "{} matters here because it decides how the code behaves at runtime. ", c.name);
        } else {
            let _ = write!(
                out,
                "For example, {} shows up when you change the inputs, so that the result stays correct. ",
                c.name
            );
        }
    }
    out
}

/// A whole interview through a real `Session` with the built-in interviewer, logged as the
/// interview's Durable Object logs it, with plausible typing.
fn simulate(id: &str, strong: bool) -> Built {
    let limits = EngineLimits { min_questions: 12, max_questions: 20, min_boundaries: 2, cost_cap_micros: 0 };
    let mut session = Session::start(id, RoleType::React, None);
    let mut messages = vec![ai_message(1)];
    let mut evaluations = Vec::new();
    for turn in 0..40 {
        let answer = if strong { rubric_answer(&session.current) } else { "I don't know.".to_owned() };
        let seq = 2 * turn + 2;
        let (response_ms, typing_ms) = normal_timing(answer.chars().count());
        messages.push(answer_message(seq, &answer, response_ms, Some(false), typing_ms));
        let result = session.answer_builtin(&answer, seq, &limits).expect("in progress");
        evaluations.push((seq, result.evaluation.clone()));
        messages.push(ai_message(seq + 1));
        if result.completion.is_some() {
            return Built { session, messages, evaluations };
        }
    }
    panic!("{id}: the interview never completed");
}

#[test]
fn a_strong_interview_scores_higher_than_a_weak_one() {
    for id in ["a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"] {
        let strong = simulate(id, true);
        let weak = simulate(id, false);
        let (s, w) = (strong.assess(), weak.assess());
        assert!(s.overall_score > w.overall_score + 30.0, "{} vs {}", s.overall_score, w.overall_score);
        assert!(s.overall_score >= 70.0, "{}", s.overall_score);
        assert!(w.overall_score <= 30.0, "{}", w.overall_score);
        assert!(!s.strengths.is_empty() && w.strengths.is_empty());
        assert!(!w.weaknesses.is_empty());
        assert!(s.recommended_actions.iter().any(|r| r.contains("deep-dive")), "{:?}", s.recommended_actions);
        assert!(
            w.recommended_actions.iter().any(|r| r.contains("Do not advance")),
            "{:?}",
            w.recommended_actions
        );
        for (built, a) in [(&strong, &s), (&weak, &w)] {
            assert_in_range(a);
            assert_evidence_is_real(a, &built.messages);
            // A normal interview: no integrity flag.
            assert!(a.integrity_flags.is_empty(), "{:?}", a.integrity_flags);
            assert_eq!(a.integrity_score, 100.0);
            assert_eq!(a.questions_answered, built.session.state.questions_asked);
            assert_eq!(a.generator, AssessmentGenerator::Builtin);
            assert_eq!(
                a.skill_scores.keys().collect::<Vec<_>>(),
                built.session.state.skill_history.keys().collect::<Vec<_>>()
            );
            assert_eq!(a.ai_reasoning.keys().collect::<Vec<_>>(), a.skill_scores.keys().collect::<Vec<_>>());
            if a.skill_scores.len() > 1 {
                assert!(!a.summary.contains("All answers were on"), "{}", a.summary);
            }
            let sentences = a.summary.matches(". ").count() + 1;
            assert!((2..=4).contains(&sentences), "{}", a.summary);
        }
        // The strong candidate climbed: some area passed above fundamental.
        assert!(s
            .skill_boundary_map
            .values()
            .any(|e| e.highest_level_passed > Some(Difficulty::Fundamental)));
        assert!(w.skill_boundary_map.values().all(|e| e.highest_level_passed.is_none()));
    }
}

// ------------------------------------------------------------------------------ integrity

fn flags_of(a: &Assessment, kind: FlagType) -> Vec<&IntegrityFlag> {
    a.integrity_flags.iter().filter(|f| f.flag_type == kind).collect()
}

fn long_text(chars: usize) -> String {
    "The component re-renders when state changes. ".chars().cycle().take(chars).collect()
}

#[test]
fn fast_answer_fires_only_when_faster_than_typing_allows() {
    let mut fast = spec("testing", Difficulty::Fundamental, 0.7);
    fast.text = long_text(600);
    fast.response_ms = Some(12_000); // 50 chars/s
    let mut borderline = fast.clone();
    borderline.response_ms = Some(30_000); // 20 chars/s
    let mut plausible = fast.clone();
    plausible.response_ms = Some(90_000); // under 7 chars/s
    let mut short = fast.clone();
    short.text = long_text(150);
    short.response_ms = Some(1_000); // fast, but too short to judge
    let a = Built::new(&[fast, borderline, plausible, short]).assess();
    let flags = flags_of(&a, FlagType::FastAnswer);
    assert_eq!(flags.iter().map(|f| f.evidence.clone()).collect::<Vec<_>>(), vec![vec![2], vec![4]]);
    assert_eq!((flags[0].severity, flags[1].severity), (Severity::High, Severity::Low));
    assert!(flags[0].confidence > flags[1].confidence);
    assert!(a.integrity_score < 100.0);
    assert!(a.recommended_actions.iter().any(|r| r.contains("integrity") && r.contains("#2")));
}

#[test]
fn burst_fires_on_text_entered_at_once_soon_after_the_question() {
    let base = {
        let mut s = spec("testing", Difficulty::Fundamental, 0.7);
        s.text = long_text(800);
        s
    };
    // 800 chars typed in 2 s, 60 s after the question (writing it takes 160 s at 5 chars/s).
    let burst = Spec { typing_ms: Some(2_000), response_ms: Some(60_000), ..base.clone() };
    // Same burst, but after 10 minutes: composed during the wait, not a burst after a short delay.
    let waited = Spec { typing_ms: Some(2_000), response_ms: Some(600_000), ..base.clone() };
    // Typed at a human pace.
    let typed = Spec { typing_ms: Some(160_000), response_ms: Some(170_000), ..base.clone() };
    // No typing time reported, arrived 5 s after the question.
    let untimed = Spec { typing_ms: None, response_ms: Some(5_000), ..base.clone() };
    let untimed_slow = Spec { typing_ms: None, response_ms: Some(200_000), ..base.clone() };
    // Too short to count as a long answer.
    let short = Spec { text: long_text(300), typing_ms: Some(100), response_ms: Some(60_000), ..base };
    let a = Built::new(&[burst, waited, typed, untimed, untimed_slow, short]).assess();
    let flags = flags_of(&a, FlagType::BurstAfterShortDelay);
    assert_eq!(flags.iter().map(|f| f.evidence.clone()).collect::<Vec<_>>(), vec![vec![2], vec![8]]);
    assert_eq!(flags[0].severity, Severity::High); // 400 chars/s of "typing"
    assert_eq!(flags[1].severity, Severity::Medium);
}

#[test]
fn inconsistent_claims_fire_on_a_poor_answer_below_a_strong_one_in_the_same_area() {
    use Difficulty::{Advanced, Expert, Fundamental, Intermediate};
    let a = Built::new(&[
        spec("state_hooks", Advanced, 0.9),
        spec("state_hooks", Fundamental, 0.2),
        // Another area: strong high, poor higher still: consistent.
        spec("testing", Intermediate, 0.85),
        spec("testing", Expert, 0.2),
        // Poor low in a third area, strong high only elsewhere: not the same area.
        spec("performance", Fundamental, 0.1),
    ])
    .assess();
    let flags = flags_of(&a, FlagType::InconsistentClaims);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].evidence, vec![2, 4]);
    assert_eq!(flags[0].severity, Severity::Medium); // two levels apart
                                                     // One flag per area: the widest gap wins.
    let a = Built::new(&[
        spec("state_hooks", Expert, 0.95),
        spec("state_hooks", Intermediate, 0.3),
        spec("state_hooks", Fundamental, 0.1),
    ])
    .assess();
    let flags = flags_of(&a, FlagType::InconsistentClaims);
    assert_eq!(flags.len(), 1);
    assert_eq!((flags[0].evidence.clone(), flags[0].severity), (vec![2, 6], Severity::High));
}

#[test]
fn pasted_text_fires_on_the_clients_report_only() {
    let mut pasted = spec("testing", Difficulty::Fundamental, 0.7);
    pasted.pasted = Some(true);
    pasted.text = long_text(900);
    pasted.response_ms = Some(600_000);
    let mut small = pasted.clone();
    small.text = long_text(50);
    let not_pasted = spec("testing", Difficulty::Fundamental, 0.7);
    let mut unknown = spec("testing", Difficulty::Fundamental, 0.7);
    unknown.pasted = None;
    let a = Built::new(&[pasted, small, not_pasted, unknown]).assess();
    let flags = flags_of(&a, FlagType::PastedText);
    assert_eq!(
        flags.iter().map(|f| (f.evidence.clone(), f.severity)).collect::<Vec<_>>(),
        vec![(vec![2], Severity::High), (vec![4], Severity::Low)]
    );
    assert_eq!(a.integrity_flags.len(), 2, "no other check fires: {:?}", a.integrity_flags);
}

#[test]
fn voice_answers_skip_the_typing_checks() {
    let mut built = {
        let mut s = spec("testing", Difficulty::Fundamental, 0.7);
        s.text = long_text(800);
        s.response_ms = Some(3_000);
        s.typing_ms = None;
        Built::new(&[s])
    };
    assert!(!built.assess().integrity_flags.is_empty());
    built.messages[1].audio_url = Some("r2://audio/1".into());
    assert!(built.assess().integrity_flags.is_empty());
}

#[test]
fn the_integrity_score_subtracts_weighted_penalties_with_a_cap_per_answer() {
    let flag = |severity, evidence: Vec<u32>, confidence| IntegrityFlag {
        flag_type: FlagType::PastedText,
        severity,
        evidence,
        confidence,
        description: String::new(),
    };
    assert_eq!(integrity::integrity_score(&[]), 100.0);
    assert_eq!(integrity::integrity_score(&[flag(Severity::Low, vec![2], 1.0)]), 95.0);
    assert_eq!(integrity::integrity_score(&[flag(Severity::Medium, vec![2], 0.5)]), 94.0);
    // Two high flags on one answer cost one answer's cap; on two answers, twice.
    let same = [flag(Severity::High, vec![2], 1.0), flag(Severity::High, vec![2], 1.0)];
    assert_eq!(integrity::integrity_score(&same), 75.0);
    let two = [flag(Severity::High, vec![2], 1.0), flag(Severity::High, vec![4], 1.0)];
    assert_eq!(integrity::integrity_score(&two), 50.0);
    // Never below 0.
    let many: Vec<IntegrityFlag> = (0..10).map(|i| flag(Severity::High, vec![2 * i + 2], 1.0)).collect();
    assert_eq!(integrity::integrity_score(&many), 0.0);
}

// ------------------------------------------------------------------------------ views and fields

#[test]
fn partial_and_generated_at_are_carried() {
    let built = Built::new(&[spec("testing", Difficulty::Warmup, 0.7)]);
    let a = generate_builtin(&built.input(true));
    assert!(a.partial);
    assert!(a.summary.contains("before completion"), "{}", a.summary);
    assert!(a.recommended_actions.iter().any(|r| r.contains("provisional")));
    assert_eq!(a.generated_at, "2026-11-22T01:02:03.456Z");
    assert_eq!(a.version, ASSESSMENT_VERSION);
    assert!(!generate_builtin(&built.input(false)).partial);
}

#[test]
fn the_candidate_view_has_exactly_five_fields_and_no_integrity_wording() {
    let mut cheat = spec("testing", Difficulty::Intermediate, 0.9);
    cheat.text = long_text(900);
    cheat.pasted = Some(true);
    cheat.response_ms = Some(2_000);
    let a = Built::new(&[cheat, spec("testing", Difficulty::Fundamental, 0.1)]).assess();
    assert!(!a.integrity_flags.is_empty());
    let v = candidate_view(&a);
    let keys: BTreeSet<&str> = v.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["overall_score", "skill_scores", "strengths", "weaknesses", "summary"]));
    let text = v.to_string().to_lowercase();
    for word in ["integrity", "paste", "flag"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}

#[test]
fn the_staff_view_has_every_field_and_round_trips() {
    let a = Built::new(&[spec("testing", Difficulty::Fundamental, 0.8)]).assess();
    let v = staff_view(&a);
    let keys: BTreeSet<&str> = v.as_object().expect("an object").keys().map(String::as_str).collect();
    let expected = [
        "version",
        "overall_score",
        "skill_scores",
        "skill_boundary_map",
        "strengths",
        "weaknesses",
        "integrity_score",
        "integrity_flags",
        "ai_reasoning",
        "recommended_actions",
        "summary",
        "generator",
        "partial",
        "generated_at",
        "questions_answered",
    ];
    assert_eq!(keys, expected.into_iter().collect());
    assert_eq!(v["generator"], "builtin");
    assert_eq!(serde_json::from_value::<Assessment>(v).ok(), Some(a));
}

#[test]
fn flags_serialise_with_the_specs_keys() {
    let mut pasted = spec("testing", Difficulty::Fundamental, 0.7);
    pasted.pasted = Some(true);
    let v = staff_view(&Built::new(&[pasted]).assess());
    let flag = &v["integrity_flags"][0];
    assert_eq!(flag["type"], "pasted_text");
    assert_eq!(flag["severity"], "low");
    assert_eq!(flag["evidence"], json!([2]));
    assert!(flag["confidence"].is_number());
    for kind in FlagType::ALL {
        assert_eq!(serde_json::to_value(kind).ok(), Some(json!(kind.as_str())));
    }
}
