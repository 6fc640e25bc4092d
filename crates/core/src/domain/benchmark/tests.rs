//! The benchmark's acceptance guards (issue #14) and determinism.

use super::*;

/// The regression guards of the honest profiles (issue #14) over interviews `fig` and
/// per-question figures `hand`; `what` names the split in failures.
fn honest_guards(fig: &BTreeMap<Profile, Figures>, hand: &HandChecks, what: &str, table: &str) {
    let f = |p: Profile| fig.get(&p).unwrap_or_else(|| panic!("{p:?} ran"));
    let strong = f(Profile::HandStrong);
    // Strong, honest candidates: no content flag in ≥ 90 % of interviews.
    assert!(ratio(strong.content_flagged, strong.interviews) <= 0.10, "{what}\n{table}");
    // Fluent but wrong ≥ 30 points below strong; strong − weak ≥ 40.
    assert!(strong.mean() - f(Profile::HandWrong).mean() >= 30.0, "{what}\n{table}");
    assert!(strong.mean() - f(Profile::HandWeak).mean() >= 40.0, "{what}\n{table}");
    // Strong: ≥ 90 % excellent per question, advanced or higher in ≥ 80 % of interviews.
    assert!(hand.strong_excellent >= 0.9, "{what}: {}\n{table}", hand.strong_excellent);
    assert!(strong.reached(Difficulty::Advanced) >= 0.8, "{what}\n{table}");
    // Partial between weak and strong by ≥ 15 points each side.
    let partial = f(Profile::HandPartial).mean();
    assert!(partial - f(Profile::HandWeak).mean() >= 15.0, "{what}\n{table}");
    assert!(strong.mean() - partial >= 15.0, "{what}\n{table}");
}

/// The acceptance figures of issue #14, over the whole benchmark (docs/scoring.md#benchmark).
#[test]
fn the_acceptance_thresholds_hold() {
    let r = report();
    let f = |p: Profile| r.profiles.get(&p).unwrap_or_else(|| panic!("{p:?} ran"));
    let table = r.table();

    // Gaming answers score below 0.5 on ≥ 95 % of the bank's questions.
    for (name, share) in &r.checks.below_half {
        assert!(*share >= 0.95, "{name}: {share}\n{table}");
    }
    // Gaming interviews end ≤ 35, at the lowest non-warmup level, with ≥ 2 boundaries.
    for p in Profile::ALL.iter().copied().filter(|p| p.is_gaming()) {
        let fig = f(p);
        assert!(fig.max() <= 35.0, "{p:?}: {}\n{table}", fig.max());
        assert!(fig.reached(Difficulty::Intermediate) == 0.0, "{p:?}\n{table}");
        assert!(fig.boundaries.iter().all(|b| *b >= 2), "{p:?}\n{table}");
    }
    // Wrong + appended terms within 10 points of vague.
    assert!((f(Profile::WrongPlusTerms).mean() - f(Profile::HandWeak).mean()).abs() <= 10.0, "{table}");
    // Copies, echoes, keyword lists and injections are flagged in every interview.
    for (p, flag) in [
        (Profile::CopiedEverywhere, "near_duplicate_answers"),
        (Profile::Echo, "echoed_question"),
        (Profile::KeywordBag, "keyword_list"),
        (Profile::OneTermPerConcept, "keyword_list"),
        (Profile::Injection, "prompt_injection"),
    ] {
        assert_eq!(f(p).flags.get(flag).copied(), Some(f(p).interviews), "{p:?}\n{table}");
    }
    honest_guards(&r.profiles, &r.checks.hand(Split::All), "whole bank", &table);
    honest_guards(&r.held_out, &r.checks.hand(Split::HeldOut), "held-out half", &table);
    // No repeated question, every evidence reference valid, strengths/weaknesses well cited.
    assert_eq!((r.repeated_questions, r.invalid_evidence, r.miscited), (0, 0, 0), "{table}");
}

#[test]
fn runs_are_deterministic_per_interview_id() {
    for role in RoleType::ALL {
        for p in [Profile::HandStrong, Profile::HandPartial, Profile::KeywordBag, Profile::Echo] {
            let id = &ids()[0];
            let (a, b) = (run(p, *role, id), run(p, *role, id));
            assert_eq!(a.session, b.session, "{role} {p:?}");
            assert_eq!(a.assessment, b.assessment, "{role} {p:?}");
            let (a, b) = (run_on(p, *role, id, Split::HeldOut), run_on(p, *role, id, Split::HeldOut));
            assert_eq!(a.assessment, b.assessment, "{role} {p:?} held out");
        }
    }
}

#[test]
fn held_out_interviews_ask_held_out_questions_only() {
    for role in RoleType::ALL {
        for id in ids().iter().take(3) {
            let r = run_on(Profile::HandPartial, *role, id, Split::HeldOut);
            for q in r.asked.iter().filter_map(|a| a.question_id.as_deref()).filter_map(find) {
                assert!(hand::is_held_out(q), "{role} {id}: {}", q.id);
            }
        }
    }
}
