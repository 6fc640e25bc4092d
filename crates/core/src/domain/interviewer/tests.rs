//! Behavioural tests of the built-in interviewer: whole simulated interviews for every role with
//! scripted candidates, plus the model-proposal path. They assert behaviour (determinism, no
//! repeats, progression, completion, follow-ups, fallbacks), never exact wording.

#![allow(clippy::expect_used)] // a failed expectation is the test failing

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::*;
use crate::domain::bank::{find, Concept};
use crate::domain::engine::ProgressionReason;

const LIMITS: EngineLimits =
    EngineLimits { min_questions: 12, max_questions: 20, min_boundaries: 2, cost_cap_micros: 0 };

const WEAK: &str = "I don't know.";

fn rubric_of(question: &AskedQuestion) -> &'static Question {
    question.rubric_id.as_deref().and_then(find).expect("every asked question has a rubric")
}

/// Every rubric concept named, each in its own explained sentence.
fn explained(concepts: &[&Concept]) -> String {
    let mut out = String::new();
    for (i, c) in concepts.iter().enumerate() {
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

fn strong_answer(question: &AskedQuestion) -> String {
    explained(&rubric_of(question).rubric.iter().collect::<Vec<_>>())
}

/// A middling answer that leaves concepts out: the concepts whose weights cover closest to half
/// of what full accuracy needs (`score::SUFFICIENT_SHARE` of the rubric), explained.
fn partial_answer(question: &AskedQuestion) -> String {
    let rubric = rubric_of(question).rubric;
    let total: f64 = rubric.iter().map(|c| c.weight).sum();
    let half = 0.5 * crate::domain::bank::score::SUFFICIENT_SHARE;
    let weight_of = |mask: usize| -> f64 {
        rubric.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, c)| c.weight).sum()
    };
    let best = (1..(1usize << rubric.len()) - 1)
        .min_by(|a, b| (weight_of(*a) / total - half).abs().total_cmp(&(weight_of(*b) / total - half).abs()))
        .unwrap_or(1);
    let mut out = String::new();
    for (_, c) in rubric.iter().enumerate().filter(|(i, _)| best & (1 << i) != 0) {
        let _ = write!(out, "{} is important because it changes what the program does. ", c.name);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Strong,
    Weak,
    Partial,
    /// Strong, weak and partial answers in turn.
    Mixed,
}

const STYLES: [Style; 4] = [Style::Strong, Style::Weak, Style::Partial, Style::Mixed];

fn answer_for(style: Style, question: &AskedQuestion, turn: u32) -> String {
    match (style, turn % 3) {
        (Style::Strong, _) | (Style::Mixed, 0) => strong_answer(question),
        (Style::Weak, _) | (Style::Mixed, 1) => WEAK.to_owned(),
        (Style::Partial | Style::Mixed, _) => partial_answer(question),
    }
}

struct Run {
    session: Session,
    /// Every question asked, the first included.
    asked: Vec<AskedQuestion>,
    turns: Vec<TurnResult>,
}

fn run(id: &str, role: RoleType, style: Style, limits: &EngineLimits) -> Run {
    let mut session = Session::start(id, role, None);
    let mut asked = vec![session.current.clone()];
    let mut turns = Vec::new();
    for turn in 0..500 {
        let answer = answer_for(style, &session.current, turn);
        let result =
            session.answer_builtin(&answer, 2 * turn + 2, limits).expect("the interview is in progress");
        let done = result.completion.is_some();
        if let Some(next) = &result.next {
            asked.push(next.clone());
        }
        turns.push(result);
        if done {
            return Run { session, asked, turns };
        }
    }
    panic!("{id} {role} {style:?}: the interview never completed");
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("5f0c{i:04x}-1d2e-4c3b-9a8f-{:012x}", i * 7919)).collect()
}

/// A hand-made engine decision for `plan_next`.
fn decision(
    session: &Session,
    before: Difficulty,
    after: Difficulty,
    probe_deeper: bool,
    next_area: &str,
) -> TurnDecision {
    TurnDecision {
        composite: 0.6,
        reason: ProgressionReason::ContinueAtLevel,
        difficulty_before: before,
        difficulty_after: after,
        difficulty_changed: before != after,
        boundary: None,
        completion: None,
        next_skill_area: next_area.to_owned(),
        probe_deeper,
        question_number: session.current.question_number + 1,
        total_questions: 16,
    }
}

/// An evaluation of the current question that missed its first two concepts.
fn missed_two(session: &Session) -> Evaluation {
    let rubric = rubric_of(&session.current);
    Evaluation {
        answer_quality: AnswerQuality::Fair,
        technical_accuracy: 0.5,
        explanation_clarity: 0.5,
        identified_skills: rubric.rubric.iter().skip(2).map(|c| c.name.to_owned()).collect(),
        skill_area: session.current.skill_area.clone(),
        missed_concepts: rubric.rubric.iter().take(2).map(|c| c.name.to_owned()).collect(),
        cross_check: None,
    }
}

// ------------------------------------------------------------------------------ starting

#[test]
fn start_is_deterministic_and_opens_with_a_warmup_bank_question() {
    for role in RoleType::ALL.iter().copied() {
        for id in ids(5) {
            let a = Session::start(&id, role, None);
            assert_eq!(a, Session::start(&id, role, None), "{role} {id}");
            assert_eq!(a.opening_message(), Session::start(&id, role, None).opening_message());
            let q = &a.current;
            assert_eq!(
                (q.question_number, q.difficulty, q.source),
                (1, Difficulty::Warmup, QuestionSource::Bank)
            );
            assert!(!q.is_follow_up && q.parent_id.is_none() && q.focus.is_empty());
            let bank_q = find(q.question_id.as_deref().expect("a bank id")).expect("in the bank");
            assert_eq!(
                (bank_q.level, bank_q.skill_area, bank_q.text),
                (Difficulty::Warmup, q.skill_area.as_str(), q.text.as_str())
            );
            assert!(for_role(role).questions.iter().any(|b| b.id == bank_q.id), "{role}: from its own bank");
            assert_eq!(q.skill_area, a.state.current_skill_area());
            assert_eq!(a.used_question_ids, vec![bank_q.id.to_owned()]);
            assert_eq!(q.rubric, bank_q.rubric.iter().map(|c| c.name.to_owned()).collect::<Vec<_>>());
            // The greeting comes first and the question ends the message.
            let opening = a.opening_message();
            assert!(opening.ends_with(&q.text) && opening.len() > q.text.len() + 20, "{opening}");
            assert!(!a.is_complete());
            assert_eq!(a.total_questions(&LIMITS), 16);
        }
    }
}

#[test]
fn different_interview_ids_open_differently() {
    for role in RoleType::ALL.iter().copied() {
        let sessions: Vec<Session> = ids(20).iter().map(|id| Session::start(id, role, None)).collect();
        let questions: HashSet<&str> =
            sessions.iter().filter_map(|s| s.current.question_id.as_deref()).collect();
        let areas: HashSet<&str> = sessions.iter().map(|s| s.current.skill_area.as_str()).collect();
        let greetings: HashSet<String> =
            sessions.iter().map(|s| s.opening_message().replace(&s.current.text, "")).collect();
        assert!(questions.len() >= 6, "{role}: only {} distinct first questions", questions.len());
        assert!(areas.len() >= 3, "{role}: only {} distinct first areas", areas.len());
        assert!(greetings.len() >= 2, "{role}: the greeting never varies");
        // Every interview still covers all of the role's areas.
        for s in &sessions {
            let mut got = s.state.skill_areas.clone();
            got.sort();
            let mut all: Vec<String> = for_role(role).skill_areas.iter().map(|a| (*a).to_owned()).collect();
            all.sort();
            assert_eq!(got, all);
        }
    }
}

#[test]
fn preferred_areas_come_first_and_the_rest_stay_available() {
    let wanted =
        vec!["testing".to_owned(), "not_an_area".to_owned(), "testing".to_owned(), "performance".to_owned()];
    let s = Session::start("abc", RoleType::React, Some(wanted));
    assert_eq!(&s.state.skill_areas[..2], &["testing".to_owned(), "performance".to_owned()]);
    assert_eq!(s.state.skill_areas.len(), for_role(RoleType::React).skill_areas.len());
    assert_eq!(s.current.skill_area, "testing");
    // Nothing usable: the whole role, in some order.
    let s = Session::start("abc", RoleType::React, Some(vec!["cobol".to_owned()]));
    assert_eq!(s.state.skill_areas.len(), 6);
}

#[test]
fn tailor_skill_areas_puts_resume_areas_first_and_keeps_all() {
    let skills = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let cases: &[(RoleType, &[&str], &[&str])] = &[
        (RoleType::React, &["React Hooks", "Jest", "Redux"], &["state_hooks", "testing", "state_management"]),
        (RoleType::React, &["useEffect", "React.memo"], &["effects_lifecycle", "performance"]),
        (RoleType::Python, &["asyncio"], &["concurrency_async"]),
        (
            RoleType::Python,
            &["pytest", "Decorators", "generators"],
            &["testing_quality", "functions_closures_decorators", "iteration_generators"],
        ),
        (
            RoleType::Javascript,
            &["Promises", "closures", "Webpack"],
            &["async_event_loop", "scope_closures", "modules_tooling"],
        ),
        // Most mentioned first: two skills name databases, one deployment.
        (
            RoleType::Fullstack,
            &["Docker", "SQL", "PostgreSQL"],
            &["databases_sql", "deployment_observability"],
        ),
        (
            RoleType::Fullstack,
            &["Node.js", "JWT", "CI/CD"],
            &["http_api_design", "auth_security", "deployment_observability"],
        ),
    ];
    for (role, resume, expected_first) in cases {
        let areas = tailor_skill_areas(*role, &skills(resume));
        assert_eq!(&areas[..expected_first.len()], *expected_first, "{role} {resume:?}");
        let mut sorted = areas.clone();
        sorted.sort();
        let mut all: Vec<String> = for_role(*role).skill_areas.iter().map(|a| (*a).to_owned()).collect();
        all.sort();
        assert_eq!(sorted, all, "{role}: every area, once");
    }
    // Nothing recognised: the bank's order.
    let areas = tailor_skill_areas(RoleType::Python, &skills(&["COBOL", "", "knitting"]));
    let bank: Vec<String> = for_role(RoleType::Python).skill_areas.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(areas, bank);
    // "event loop" is about async code, not DOM events.
    let areas = tailor_skill_areas(RoleType::Javascript, &skills(&["event loop"]));
    assert_eq!(areas[0], "async_event_loop");
    assert_ne!(areas[1], "dom_browser");
    // A tailored list drives the session's order.
    let s = Session::start(
        "x",
        RoleType::Python,
        Some(tailor_skill_areas(RoleType::Python, &skills(&["asyncio"]))),
    );
    assert_eq!(s.current.skill_area, "concurrency_async");
}

// ------------------------------------------------------------------------ whole interviews

#[test]
fn whole_interviews_replay_identically_for_an_id_and_differ_across_ids() {
    for role in RoleType::ALL.iter().copied() {
        for style in STYLES {
            let a = run("replay-1", role, style, &LIMITS);
            let b = run("replay-1", role, style, &LIMITS);
            assert_eq!(a.asked, b.asked, "{role} {style:?}");
            assert_eq!(a.turns, b.turns, "{role} {style:?}");
            assert_eq!(a.session, b.session);
        }
        let texts = |id: &str| {
            run(id, role, Style::Mixed, &LIMITS).asked.into_iter().map(|q| q.text).collect::<Vec<_>>()
        };
        assert_ne!(texts("replay-1"), texts("replay-2"), "{role}");
    }
}

#[test]
fn no_bank_question_is_asked_twice_in_any_interview() {
    for role in RoleType::ALL.iter().copied() {
        for style in STYLES {
            for id in ids(6) {
                let r = run(&id, role, style, &LIMITS);
                let mut seen = HashSet::new();
                for q in &r.asked {
                    if let Some(qid) = &q.question_id {
                        assert!(seen.insert(qid.clone()), "{role} {style:?} {id}: {qid} asked twice");
                        assert!(qid.starts_with(role.as_str()), "{qid} is not a {role} question");
                    }
                    assert!(q.rubric_id.is_some(), "{role}: every question can be graded");
                }
                let used: HashSet<&String> = r.session.used_question_ids.iter().collect();
                assert_eq!(used.len(), r.session.used_question_ids.len(), "used ids are unique");
                // Consecutive questions never repeat a text.
                for pair in r.asked.windows(2) {
                    assert_ne!(pair[0].text, pair[1].text);
                }
            }
        }
    }
}

#[test]
fn a_strong_candidate_climbs_the_levels_and_completes_between_min_and_max() {
    for role in RoleType::ALL.iter().copied() {
        for id in ids(4) {
            let r = run(&id, role, Style::Strong, &LIMITS);
            let asked = r.session.state.questions_asked;
            assert!((LIMITS.min_questions..=LIMITS.max_questions).contains(&asked), "{role}: {asked}");
            assert!(r.session.is_complete());
            assert!(
                r.session.state.skill_boundaries.is_empty(),
                "{role}: {:?}",
                r.session.state.skill_boundaries
            );
            assert_eq!(r.session.state.current_difficulty, Difficulty::Expert, "{role} {id}");
            assert!(r.asked.iter().any(|q| q.difficulty == Difficulty::Expert));
            // Levels only ever go up for a strong candidate.
            for pair in r.turns.windows(2) {
                assert!(pair[1].decision.difficulty_after >= pair[0].decision.difficulty_after);
            }
            for t in &r.turns {
                assert_eq!(
                    t.evaluation.answer_quality,
                    AnswerQuality::Excellent,
                    "{role}: {:?}",
                    t.evaluation
                );
            }
            // Strong answers leave nothing to probe.
            assert!(r.asked.iter().all(|q| !q.is_follow_up));
        }
    }
}

#[test]
fn a_weak_candidate_records_boundaries_and_completes() {
    for role in RoleType::ALL.iter().copied() {
        for id in ids(4) {
            let r = run(&id, role, Style::Weak, &LIMITS);
            let s = &r.session;
            assert!(
                s.state.boundary_count() >= LIMITS.min_boundaries,
                "{role}: {:?}",
                s.state.skill_boundaries
            );
            assert_eq!(s.completion, Some(CompletionReason::CriteriaMet));
            assert_eq!(s.state.questions_asked, LIMITS.min_questions);
            assert!(s.state.current_difficulty <= Difficulty::Fundamental);
            assert!(r.turns.iter().all(|t| t.evaluation.answer_quality == AnswerQuality::Poor));
            assert!(r.turns.iter().any(|t| t.decision.boundary.is_some()));
        }
    }
}

#[test]
fn mixed_and_partial_candidates_complete_too() {
    for role in RoleType::ALL.iter().copied() {
        for style in [Style::Mixed, Style::Partial] {
            for id in ids(4) {
                let r = run(&id, role, style, &LIMITS);
                let asked = r.session.state.questions_asked;
                assert!(r.session.is_complete(), "{role} {style:?}");
                assert!((1..=LIMITS.max_questions).contains(&asked), "{role} {style:?}: {asked}");
                assert_eq!(r.turns.len(), asked as usize);
            }
        }
    }
}

#[test]
fn question_numbers_count_up_by_one_and_completion_ends_the_questions() {
    for role in RoleType::ALL.iter().copied() {
        for style in STYLES {
            let r = run("numbers", role, style, &LIMITS);
            for (i, q) in r.asked.iter().enumerate() {
                assert_eq!(q.question_number as usize, i + 1, "{role} {style:?}");
            }
            let (last, rest) = r.turns.split_last().expect("at least one turn");
            for t in rest {
                let next = t.next.as_ref().expect("a next question while in progress");
                assert_eq!(next.question_number, t.decision.question_number);
                assert!(t.reply_text.ends_with(&next.text), "the message carries the question");
                assert!(t.completion.is_none());
                assert!(t.decision.total_questions >= next.question_number);
                assert!(t.decision.total_questions <= LIMITS.max_questions);
            }
            assert!(last.next.is_none());
            assert_eq!(last.completion, last.decision.completion);
            assert!(last.completion.is_some());
            assert_eq!(last.reply_text, r.session.closing_text());
            assert!(!last.reply_text.contains('?'), "the closing message asks nothing");
            assert_eq!(r.session.current, *r.asked.last().expect("asked"), "the last question stays current");

            let mut done = r.session.clone();
            let reason = done.completion.expect("complete");
            assert_eq!(done.answer_builtin("more", 99, &LIMITS), Err(TurnError::InterviewComplete(reason)));
            assert_eq!(done, r.session, "a refused turn changes nothing");
            assert_eq!(done.total_questions(&LIMITS), done.state.questions_asked);
        }
    }
}

#[test]
fn a_session_survives_a_json_round_trip_mid_interview() {
    for role in RoleType::ALL.iter().copied() {
        let whole = run("persisted", role, Style::Mixed, &LIMITS);
        let mut session = Session::start("persisted", role, None);
        for (turn, expected) in (0u32..).zip(&whole.turns) {
            let json = serde_json::to_string(&session).expect("serialises");
            session = serde_json::from_str(&json).expect("deserialises");
            let answer = answer_for(Style::Mixed, &session.current, turn);
            let result = session.answer_builtin(&answer, 2 * turn + 2, &LIMITS).expect("in progress");
            assert_eq!(result, *expected, "{role}: turn {turn}");
        }
        assert_eq!(session, whole.session);
    }
}

// ------------------------------------------------------------------------------ follow-ups

/// A session whose current question is a fundamental bank question (two strong warmup answers).
fn at_fundamental(id: &str, role: RoleType) -> Session {
    let mut s = Session::start(id, role, None);
    for seq in [2, 4] {
        let answer = strong_answer(&s.current);
        s.answer_builtin(&answer, seq, &LIMITS).expect("in progress");
    }
    assert_eq!((s.current.difficulty, s.current.source), (Difficulty::Fundamental, QuestionSource::Bank));
    s
}

#[test]
fn a_partial_answer_gets_one_follow_up_and_no_chain() {
    for role in RoleType::ALL.iter().copied() {
        for id in ids(5) {
            let mut s = at_fundamental(&id, role);
            let parent = s.current.clone();
            let r = s.answer_builtin(&partial_answer(&parent), 6, &LIMITS).expect("in progress");
            assert!(
                r.decision.probe_deeper && !r.evaluation.missed_concepts.is_empty(),
                "{role}: {:?}",
                r.evaluation
            );
            let follow = r.next.expect("a next question");
            assert!(follow.is_follow_up && follow.source == QuestionSource::FollowUp, "{role}: {follow:?}");
            assert_eq!(follow.question_id, None);
            assert_eq!(follow.parent_id, parent.question_id);
            assert_eq!(follow.rubric_id, parent.question_id, "graded on the parent's rubric");
            assert_eq!(
                (follow.skill_area.as_str(), follow.difficulty),
                (parent.skill_area.as_str(), parent.difficulty)
            );
            assert_eq!(follow.question_number, parent.question_number + 1);
            // Graded on every concept the answer missed; the text names none of them.
            let missed: Vec<String> = rubric_of(&parent)
                .rubric
                .iter()
                .filter(|c| r.evaluation.missed_concepts.contains(&c.name.to_owned()))
                .map(|c| c.name.to_owned())
                .collect();
            assert_eq!(follow.focus, missed, "{role}");
            for concept in &follow.focus {
                assert!(
                    !follow.text.to_lowercase().contains(&concept.to_lowercase()),
                    "{role}: {}",
                    follow.text
                );
            }
            assert_eq!(s.follow_ups.get(&follow.skill_area), Some(&1));
            assert!(r.reply_text.ends_with(&follow.text));

            // Repeating the follow-up back scores nothing; a follow-up is never followed up.
            let r2 = s.answer_builtin(&follow.text, 8, &LIMITS).expect("in progress");
            assert!(r2.evaluation.composite() < 0.5, "{role}: {:?}", r2.evaluation);
            let next = r2.next.expect("a next question");
            assert!(!next.is_follow_up, "{role}: no follow-up of a follow-up");
            assert_eq!(next.source, QuestionSource::Bank);
            assert_ne!(next.question_id, parent.question_id);
        }
    }
}

#[test]
fn a_follow_up_is_graded_on_the_concepts_it_probes() {
    let mut s = at_fundamental("graded", RoleType::React);
    let parent = s.current.clone();
    let r = s.answer_builtin(&partial_answer(&parent), 6, &LIMITS).expect("in progress");
    let follow = r.next.expect("a follow-up");
    assert!(follow.is_follow_up);
    let concepts: Vec<&Concept> =
        rubric_of(&follow).rubric.iter().filter(|c| follow.focus.iter().any(|f| f == c.name)).collect();
    assert!(!concepts.is_empty(), "the focus names rubric concepts");
    let good = s.evaluate_builtin(&explained(&concepts));
    let weak = s.evaluate_builtin(WEAK);
    assert!((good.technical_accuracy - 1.0).abs() < 1e-9, "{good:?}");
    assert_eq!(weak.answer_quality, AnswerQuality::Poor);
    assert!(good.composite() > weak.composite());
    assert_eq!(good.skill_area, follow.skill_area);
}

#[test]
fn follow_ups_are_rationed_over_whole_interviews() {
    let mut total = 0;
    for role in RoleType::ALL.iter().copied() {
        for style in [Style::Partial, Style::Mixed] {
            for id in ids(6) {
                let r = run(&id, role, style, &LIMITS);
                for pair in r.asked.windows(2) {
                    assert!(
                        !(pair[0].is_follow_up && pair[1].is_follow_up),
                        "{role} {style:?}: chained follow-ups"
                    );
                }
                let mut per_area: BTreeMap<&str, u32> = BTreeMap::new();
                for q in r.asked.iter().filter(|q| q.is_follow_up) {
                    *per_area.entry(q.skill_area.as_str()).or_default() += 1;
                    total += 1;
                }
                assert!(per_area.values().all(|n| *n <= MAX_FOLLOW_UPS_PER_AREA), "{role}: {per_area:?}");
            }
        }
    }
    assert!(total > 0, "partial answers lead to follow-ups");
}

// -------------------------------------------------------------------------- model proposals

fn proposals() -> ModelQuestions {
    ModelQuestions {
        probe: Some("You mentioned the happy path; how would you handle the failure case here?".into()),
        easier: Some("What is the simplest example of this idea you have used?".into()),
        same: Some("How would you explain this to a colleague new to the codebase?".into()),
        harder: Some("Walk me through the trade-offs of this approach at scale.".into()),
        skill_area: None,
    }
}

#[test]
fn plan_next_uses_the_model_question_the_decision_calls_for() {
    use Difficulty::{Fundamental, Intermediate};
    let base = at_fundamental("model", RoleType::Javascript);
    let here = base.current.skill_area.clone();
    let other = base.model_targets().move_on_area;
    let model = proposals();
    let cases = [
        // (before, after, probe_deeper, area, expected text, is follow-up)
        (Fundamental, Fundamental, true, here.as_str(), &model.probe, true),
        (Fundamental, Intermediate, false, other.as_str(), &model.harder, false),
        (Fundamental, Fundamental, false, other.as_str(), &model.same, false),
        (Intermediate, Fundamental, false, other.as_str(), &model.easier, false),
        // Probing with a level change is a new question on the same area, by level.
        (Fundamental, Intermediate, true, here.as_str(), &model.harder, false),
    ];
    for (before, after, probe, area, expected, follow_up) in cases {
        let mut s = base.clone();
        let d = decision(&s, before, after, probe, area);
        let eval = missed_two(&s);
        let next = s.plan_next(&d, &eval, Some(&model)).expect("in progress");
        let q = &next.question;
        assert_eq!(Some(&q.text), expected.as_ref(), "{before} → {after} probe {probe}");
        assert_eq!(next.model_fallback, None);
        assert_eq!(q.source, QuestionSource::Model);
        assert_eq!(q.is_follow_up, follow_up);
        assert_eq!(q.question_id, None);
        assert_eq!(q.question_number, d.question_number);
        assert_eq!(q.skill_area, area);
        assert!(next.reply_text.ends_with(&q.text));
        assert_eq!(s.current, *q);
        assert_eq!(s.model_fallbacks, 0);
        let rubric = rubric_of(q);
        if follow_up {
            assert_eq!(q.difficulty, base.current.difficulty);
            assert_eq!(q.rubric_id, base.current.question_id, "a probe keeps the parent's rubric");
            assert_eq!(q.parent_id, base.current.question_id);
            assert_eq!(q.focus, eval.missed_concepts, "graded on what was missed");
            assert_eq!(s.follow_ups.get(&q.skill_area), Some(&1));
        } else {
            assert_eq!(q.difficulty, after);
            assert_eq!(
                (rubric.skill_area, rubric.level),
                (area, after),
                "graded on a rubric of its area and level"
            );
            assert!(s.used_question_ids.iter().any(|id| id == rubric.id), "its rubric question is reserved");
        }
    }
}

#[test]
fn after_a_follow_up_the_probe_slot_is_not_used_again() {
    let mut s = at_fundamental("probe-twice", RoleType::Python);
    let area = s.current.skill_area.clone();
    let level = s.current.difficulty;
    let model = proposals();
    let first =
        s.plan_next(&decision(&s, level, level, true, &area), &missed_two(&s), Some(&model)).expect("next");
    assert!(first.question.is_follow_up);
    let second =
        s.plan_next(&decision(&s, level, level, true, &area), &missed_two(&s), Some(&model)).expect("next");
    assert!(!second.question.is_follow_up);
    assert_eq!(Some(&second.question.text), model.same.as_ref());
}

#[test]
fn unusable_model_questions_fall_back_to_the_bank() {
    use CandidateRejection::{Empty, Missing, NotAQuestion, Repeated, TooLong, WrongSkillArea};
    let base = at_fundamental("fallback", RoleType::Fullstack);
    let level = base.current.difficulty;
    let area = base.model_targets().move_on_area;
    let current_text = base.current.text.clone();
    let long = format!("{}?", "How does this behave under load ".repeat(20));
    assert!(long.chars().count() > MAX_MODEL_QUESTION_CHARS);
    let cases: Vec<(Option<String>, Option<String>, CandidateRejection)> = vec![
        (None, None, Missing),
        (Some(String::new()), None, Empty),
        (Some("  \n ".into()), None, Empty),
        (Some(long), None, TooLong),
        (Some("The weather is nice today.".into()), None, NotAQuestion),
        (Some(format!("  {}  ", current_text.to_uppercase())), None, Repeated),
        (Some("How would you index this table?".into()), Some("some_other_area".into()), WrongSkillArea),
    ];
    for (same, written_for, expected) in cases {
        let mut s = base.clone();
        let model = ModelQuestions { same, skill_area: written_for, ..ModelQuestions::default() };
        let d = decision(&s, level, level, false, &area);
        let next = s.plan_next(&d, &missed_two(&s), Some(&model)).expect("in progress");
        assert_eq!(next.model_fallback, Some(expected));
        assert_eq!(next.question.source, QuestionSource::Bank, "{expected:?}");
        assert_eq!((next.question.skill_area.as_str(), next.question.difficulty), (area.as_str(), level));
        assert!(!base.used_question_ids.contains(next.question.question_id.as_ref().expect("bank id")));
        assert_eq!(s.model_fallbacks, 1);
    }
    // A missing probe falls back to the bank's own follow-up.
    let mut s = base.clone();
    let d = decision(&s, level, level, true, &base.current.skill_area);
    let next = s.plan_next(&d, &missed_two(&s), Some(&ModelQuestions::default())).expect("in progress");
    assert_eq!((next.model_fallback, next.question.source), (Some(Missing), QuestionSource::FollowUp));
    // Without proposals there is nothing to fall back from.
    let mut s = base.clone();
    let next = s.plan_next(&decision(&s, level, level, false, &area), &missed_two(&s), None).expect("next");
    assert_eq!(next.model_fallback, None);
    assert_eq!(s.model_fallbacks, 0);
    // An imperative without a question mark is fine, and so is the right area.
    let mut s = base.clone();
    let model = ModelQuestions {
        same: Some("Explain how you would add an index without locking the table.".into()),
        skill_area: Some(area.clone()),
        ..ModelQuestions::default()
    };
    let next =
        s.plan_next(&decision(&s, level, level, false, &area), &missed_two(&s), Some(&model)).expect("next");
    assert_eq!((next.model_fallback, next.question.source), (None, QuestionSource::Model));
}

#[test]
fn a_completed_decision_plans_nothing() {
    let mut s = at_fundamental("done", RoleType::React);
    let mut d = decision(&s, Difficulty::Fundamental, Difficulty::Fundamental, false, "testing");
    d.completion = Some(CompletionReason::MaxQuestions);
    let before = s.current.clone();
    assert_eq!(s.plan_next(&d, &missed_two(&s), Some(&proposals())), None);
    assert_eq!(s.current, before);
    assert_eq!(s.completion, Some(CompletionReason::MaxQuestions));
    let eval = missed_two(&s);
    assert_eq!(
        s.apply_evaluation(&eval, 10, &LIMITS),
        Err(TurnError::InterviewComplete(CompletionReason::MaxQuestions))
    );
}

#[test]
fn a_model_question_is_graded_on_the_closest_bank_rubric_and_never_asked_again() {
    let base = at_fundamental("closest", RoleType::React);
    let level = base.current.difficulty;
    let area = base.model_targets().move_on_area;
    // A light rephrasing of the second bank question of that area and level.
    let twin = for_role(RoleType::React).questions_for(&area, level).nth(1).expect("two per level");
    let model = ModelQuestions { same: Some(format!("So, {}", twin.text)), ..ModelQuestions::default() };
    let mut s = base.clone();
    let next =
        s.plan_next(&decision(&s, level, level, false, &area), &missed_two(&s), Some(&model)).expect("next");
    assert_eq!(next.question.rubric_id.as_deref(), Some(twin.id));
    assert!(s.used_question_ids.iter().any(|id| id == twin.id));
    let strong = s.evaluate_builtin(&strong_answer(&next.question));
    let weak = s.evaluate_builtin(WEAK);
    assert_eq!(strong.answer_quality, AnswerQuality::Excellent);
    assert!(strong.composite() > weak.composite());
    // The built-in interviewer carries on from a model question and never asks its twin.
    for turn in 0..30 {
        let answer = answer_for(Style::Mixed, &s.current, turn);
        let r = s.answer_builtin(&answer, 100 + 2 * turn, &LIMITS).expect("in progress");
        if let Some(q) = &r.next {
            assert_ne!(q.question_id.as_deref(), Some(twin.id));
        } else {
            break;
        }
    }
    assert!(s.is_complete());
}

#[test]
fn model_targets_predict_where_the_engine_goes() {
    for role in RoleType::ALL.iter().copied() {
        for style in STYLES {
            let mut s = Session::start("targets", role, None);
            for turn in 0..40 {
                let targets = s.model_targets();
                assert_eq!(
                    (targets.probe_area.as_str(), targets.probe_level),
                    (s.current.skill_area.as_str(), s.current.difficulty)
                );
                assert_ne!(targets.move_on_area, s.state.current_skill_area());
                let answer = answer_for(style, &s.current, turn);
                let r = s.answer_builtin(&answer, 2 * turn + 2, &LIMITS).expect("in progress");
                if r.completion.is_some() {
                    break;
                }
                let d = &r.decision;
                if !d.probe_deeper {
                    assert_eq!(d.next_skill_area, targets.move_on_area, "{role} {style:?} turn {turn}");
                }
                let expected = match d.difficulty_after.cmp(&d.difficulty_before) {
                    Ordering::Greater => targets.harder,
                    Ordering::Equal => targets.same,
                    Ordering::Less => targets.easier,
                };
                assert_eq!(d.difficulty_after, expected, "{role} {style:?} turn {turn}");
            }
        }
    }
}

#[test]
fn candidate_checks() {
    let ok = [
        "How does the event loop order microtasks?",
        "Explain how a closure keeps its variables alive.",
        "walk me through your debugging process.",
        "Tell me about a time you profiled a slow page.",
        "Why would you pick a B-tree index here.",
        "Let's say the cache is cold. What happens on the first request",
        "In your experience, is it worth it?",
    ];
    for text in ok {
        assert!(looks_like_question(text), "{text}");
        assert_eq!(check_candidate(Some(text), "previous?"), Ok(text.to_owned()));
    }
    let not = ["The weather is nice.", "Great answer.", "Howdy partner.", "Whatever works best for you."];
    for text in not {
        assert!(!looks_like_question(text), "{text}");
    }
    let exactly = format!("{}?", "a".repeat(MAX_MODEL_QUESTION_CHARS - 1));
    assert!(check_candidate(Some(&exactly), "").is_ok(), "the limit itself is fine");
    let multibyte = format!("{}?", "é".repeat(MAX_MODEL_QUESTION_CHARS - 1));
    assert!(check_candidate(Some(&multibyte), "").is_ok(), "the limit counts characters");
    assert_eq!(check_candidate(Some(" Why? "), ""), Ok("Why?".to_owned()), "trimmed");
    assert_eq!(CandidateRejection::TooLong.as_str(), "too_long");
    assert_eq!(
        serde_json::to_string(&CandidateRejection::WrongSkillArea).ok().as_deref(),
        Some("\"wrong_skill_area\"")
    );
}

#[test]
fn model_questions_deserialise_from_partial_json() {
    let parsed: ModelQuestions = serde_json::from_str(r#"{"harder":"Why?","unknown":1}"#).expect("parses");
    assert_eq!(parsed, ModelQuestions { harder: Some("Why?".into()), ..ModelQuestions::default() });
}

// ------------------------------------------------------------------------------- wording

#[test]
fn replies_are_neutral_and_announce_area_changes() {
    const JUDGING: &[&str] =
        &["score", "excellent", "great", "good job", "wrong", "incorrect", "poor", "well done", "%"];
    for role in RoleType::ALL.iter().copied() {
        for style in STYLES {
            let r = run("wording", role, style, &LIMITS);
            for (turn, prev) in r.turns.iter().zip(&r.asked) {
                let Some(next) = &turn.next else { continue };
                let lead = turn
                    .reply_text
                    .strip_suffix(&next.text)
                    .expect("the question ends the message")
                    .to_lowercase();
                assert!(!lead.trim().is_empty(), "an acknowledgement comes first");
                assert!(!lead.contains('?'));
                for word in JUDGING {
                    assert!(!lead.contains(word), "{role}: {lead:?} judges the answer");
                }
                let area = area_display_name(&next.skill_area).to_lowercase();
                if next.skill_area != prev.skill_area && !next.is_follow_up {
                    assert!(lead.contains(&area), "{role}: {lead:?} should announce {area}");
                } else if !area.is_empty() {
                    assert!(!lead.contains(&area), "{role}: {lead:?} announces no change");
                }
            }
        }
    }
}

#[test]
fn closing_messages_thank_and_ask_nothing() {
    let texts: HashSet<String> = (0..16).map(closing_message).collect();
    assert!(texts.len() >= 2, "the closing varies");
    for text in &texts {
        assert!(!text.contains('?') && text.len() > 40, "{text}");
        assert!(text.to_lowercase().contains("assessment"), "{text}");
    }
}

#[test]
fn area_names_read_as_words() {
    for role in RoleType::ALL.iter().copied() {
        for area in for_role(role).skill_areas {
            let name = area_display_name(area);
            assert!(!name.contains('_') && !name.is_empty(), "{area}: {name}");
        }
    }
    assert_eq!(area_display_name("some_new_area"), "some new area");
    assert_eq!(role_display_name(RoleType::Javascript), "JavaScript");
}

// ------------------------------------------------------------------------------ grounding

#[test]
fn rubric_grounding_lists_the_rubric_or_a_follow_ups_focus() {
    let mut s = at_fundamental("grounding", RoleType::Python);
    let q = s.current.clone();
    let text = rubric_grounding(&q);
    for c in rubric_of(&q).rubric {
        assert!(text.contains(c.name), "{text}");
        assert!(text.contains(&format!("{:.1}", c.weight)));
    }
    let r = s.answer_builtin(&partial_answer(&q), 6, &LIMITS).expect("in progress");
    let follow = r.next.expect("a follow-up");
    assert!(follow.is_follow_up);
    let text = rubric_grounding(&follow);
    assert!(text.contains(&follow.focus[0]), "{text}");
    for covered in &r.evaluation.identified_skills {
        assert!(!text.contains(&format!("- {covered} (")), "{text}: lists only the focus");
    }
    // No rubric known: it says how to judge instead.
    let orphan = AskedQuestion { rubric_id: None, rubric: Vec::new(), ..follow };
    assert!(!rubric_grounding(&orphan).is_empty());
}

#[test]
fn bank_examples_come_from_the_requested_area_and_level() {
    for role in RoleType::ALL.iter().copied() {
        let bank = for_role(role);
        for area in bank.skill_areas {
            for level in Difficulty::ALL.iter().copied() {
                let examples = bank_examples(role, area, level);
                assert!(examples.len() >= 2, "{role} {area} {level}");
                for e in examples {
                    assert!(bank.questions_for(area, level).any(|q| q.text == e));
                }
            }
        }
        let elsewhere = bank_examples(role, "no_such_area", Difficulty::Expert);
        assert!(!elsewhere.is_empty() && elsewhere.len() <= 3);
        assert!(elsewhere
            .iter()
            .all(|e| bank.questions.iter().any(|q| q.text == *e && q.level == Difficulty::Expert)));
    }
}

// -------------------------------------------------------------------------------- limits

#[test]
fn an_interview_longer_than_the_bank_never_repeats_a_question() {
    let limits =
        EngineLimits { min_questions: 90, max_questions: 90, min_boundaries: 99, cost_cap_micros: 0 };
    for role in RoleType::ALL.iter().copied() {
        for style in [Style::Strong, Style::Mixed] {
            let r = run("marathon", role, style, &limits);
            assert_eq!(r.session.completion, Some(CompletionReason::MaxQuestions));
            assert_eq!(r.asked.len(), 90);
            let bank_ids: Vec<&String> = r.asked.iter().filter_map(|q| q.question_id.as_ref()).collect();
            let unique: HashSet<&&String> = bank_ids.iter().collect();
            assert_eq!(unique.len(), bank_ids.len(), "{role} {style:?}");
            if style == Style::Strong {
                assert!(r.asked.iter().any(|q| q.source == QuestionSource::Generic), "the bank ran out");
            }
            for q in &r.asked {
                assert!(q.rubric_id.is_some(), "{role}: {q:?}");
            }
        }
    }
}

#[test]
fn a_stored_session_with_an_unknown_rubric_id_is_still_graded() {
    let mut s = at_fundamental("renamed", RoleType::Javascript);
    let original = s.current.clone();
    let strong = strong_answer(&original);
    s.current.rubric_id = Some("javascript.renamed.question.9".into());
    let eval = s.evaluate_builtin(&strong);
    assert_eq!(eval.answer_quality, AnswerQuality::Excellent, "matched back to its own text: {eval:?}");
    assert_eq!(s.evaluate_builtin(WEAK).answer_quality, AnswerQuality::Poor);
}
