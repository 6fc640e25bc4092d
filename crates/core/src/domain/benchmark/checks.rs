//! Per-question checks of the benchmark (docs/scoring.md#benchmark): every bank question answered
//! on its own by the hand-written profiles (per split) and by the gaming answers.

use std::collections::BTreeMap;

use super::answers::{self, answer, mix, role_list};
use super::hand::Split;
use super::{asked_of, ratio, Profile};
use crate::domain::bank::{for_role, score, Question};
use crate::domain::enums::{AnswerQuality, RoleType};
use crate::domain::evaluation::Evaluation;

/// Per-question figures of the hand-written answers over one split of the bank.
#[derive(Debug, Clone, Default)]
pub struct HandChecks {
    pub questions: usize,
    /// Share of questions where the strong answer is rated *excellent*.
    pub strong_excellent: f64,
    /// Mean composite (× 100) of each hand-written profile's answer to the bank question.
    pub mean: BTreeMap<Profile, f64>,
}

/// Per-question figures over the whole bank.
#[derive(Debug, Clone, Default)]
pub struct QuestionChecks {
    pub questions: usize,
    /// Share of questions where the answer of each kind scores a composite below 0.5.
    pub below_half: BTreeMap<&'static str, f64>,
    /// The hand-written answers, per split.
    pub hand: BTreeMap<Split, HandChecks>,
}

impl QuestionChecks {
    /// The hand-written figures of `split`.
    #[must_use]
    pub fn hand(&self, split: Split) -> HandChecks {
        self.hand.get(&split).cloned().unwrap_or_default()
    }
}

/// The evaluation of `profile`'s answer to bank question `q` asked on its own.
fn evaluate_alone(profile: Profile, role: RoleType, q: &'static Question) -> Evaluation {
    score::evaluate(q, &answer(profile, role, q.id, &asked_of(q), 1, ""))
}

/// Runs every per-question check over the bank.
#[must_use]
pub fn question_checks() -> QuestionChecks {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut hand_sums: BTreeMap<Split, (usize, usize, BTreeMap<Profile, f64>)> = BTreeMap::new();
    let mut n = 0;
    for role in RoleType::ALL {
        let role_list = role_list(*role);
        for q in for_role(*role).questions {
            n += 1;
            let asked = asked_of(q);
            let id = q.id;
            for split in [Split::HeldOut, Split::Dev, Split::All].into_iter().filter(|s| s.contains(q)) {
                let entry = hand_sums.entry(split).or_default();
                entry.0 += 1;
                for p in Profile::HAND {
                    let e = evaluate_alone(*p, *role, q);
                    *entry.2.entry(*p).or_default() += 100.0 * e.composite();
                    if *p == Profile::HandStrong && e.answer_quality == AnswerQuality::Excellent {
                        entry.1 += 1;
                    }
                }
            }
            let mut check = |name: &'static str, e: &Evaluation| {
                if e.composite() < 0.5 {
                    *counts.entry(name).or_default() += 1;
                }
            };
            for (name, profile, turn) in [
                ("keyword bag", Profile::KeywordBag, 1),
                ("one term per concept", Profile::OneTermPerConcept, 1),
                ("echo of the question", Profile::Echo, 0u32),
                ("reworded echo of the question", Profile::Echo, 1),
                ("injection attempt", Profile::Injection, 1),
                ("wrong + appended terms", Profile::WrongPlusTerms, 1),
            ] {
                let text = if profile == Profile::Echo {
                    answers::echo(q.text, u64::from(turn))
                } else {
                    answer(profile, *role, id, &asked, turn, "")
                };
                check(name, &score::evaluate(q, &text));
            }
            check("role-wide list", &score::evaluate(q, &role_list));
            // A follow-up after a partial answer, answered by naming the missed terms, or echoed.
            let partial = evaluate_alone(Profile::HandPartial, *role, q);
            if let Some(text) = score::follow_up_seeded(q, &partial, mix(id, 2)) {
                let focus: Vec<String> = q
                    .rubric
                    .iter()
                    .filter(|c| partial.missed_concepts.iter().any(|m| m == c.name))
                    .map(|c| c.name.to_owned())
                    .collect();
                let names = format!("{}.", focus.join(" and "));
                let ctx = score::Asked { text: &text, parent: Some(q.text) };
                check("follow-up reply naming the terms", &score::evaluate_asked(q, &names, ctx, &focus));
                check("echo of a follow-up", &score::evaluate_asked(q, &text, ctx, &focus));
                let reworded = format!("{}.", answers::paraphrase(text.trim_end_matches('?')));
                check("reworded echo of a follow-up", &score::evaluate_asked(q, &reworded, ctx, &focus));
            } else {
                for name in [
                    "follow-up reply naming the terms",
                    "echo of a follow-up",
                    "reworded echo of a follow-up",
                ] {
                    *counts.entry(name).or_default() += 1;
                }
            }
        }
    }
    let hand = hand_sums
        .into_iter()
        .map(|(split, (questions, excellent, sums))| {
            #[allow(clippy::cast_precision_loss)]
            let mean = sums.into_iter().map(|(p, s)| (p, s / questions.max(1) as f64)).collect();
            (split, HandChecks { questions, strong_excellent: ratio(excellent, questions), mean })
        })
        .collect();
    QuestionChecks {
        questions: n,
        below_half: counts.into_iter().map(|(k, v)| (k, ratio(v, n))).collect(),
        hand,
    }
}

/// The dev half's per-question scores of the hand-written answers, for working on the scorer
/// (`scoring_benchmark -- --dev`): id, the composite (× 100) of strong, partial, weak and wrong,
/// and what the strong answer missed. Held-out questions are never listed.
#[must_use]
pub fn dev_details() -> String {
    use std::fmt::Write as _;
    let mut out = String::from("id\tstrong\tpartial\tweak\twrong\tstrong quality\tstrong missed\n");
    for role in RoleType::ALL {
        for q in for_role(*role).questions.iter().filter(|q| Split::Dev.contains(q)) {
            let e: Vec<Evaluation> = Profile::HAND.iter().map(|p| evaluate_alone(*p, *role, q)).collect();
            let _ = write!(out, "{}", q.id);
            for x in &e {
                let _ = write!(out, "\t{:.0}", 100.0 * x.composite());
            }
            if let Some(strong) = e.first() {
                let _ = write!(out, "\t{}\t{}", strong.answer_quality, strong.missed_concepts.join("; "));
            }
            out.push('\n');
        }
    }
    out
}

/// How the scorer read each hand-written answer to dev question `id` (`scoring_benchmark --
/// --dev ID`): per answer, each concept's coverage. `None` for an unknown or held-out id.
#[must_use]
pub fn dev_explain(id: &str) -> Option<String> {
    use std::fmt::Write as _;
    let q = crate::domain::bank::find(id).filter(|q| Split::Dev.contains(q))?;
    let a = super::hand::get(id)?;
    let mut out = format!("{}\n{}\n", q.id, q.text);
    for (kind, text) in [
        ("strong", &a.strong),
        ("strong_more", &a.strong_more),
        ("partial", &a.partial),
        ("partial_more", &a.partial_more),
        ("weak", &a.weak),
        ("wrong", &a.wrong),
    ] {
        let e = score::evaluate(q, text);
        let _ = writeln!(
            out,
            "\n== {kind}: composite {:.0} accuracy {:.2} clarity {:.2} {}\n{text}",
            100.0 * e.composite(),
            e.technical_accuracy,
            e.explanation_clarity,
            e.answer_quality
        );
        for (c, how) in score::coverage(q, text, score::Asked { text: q.text, parent: None }) {
            let _ = writeln!(out, "  {how:?}\t{} ({})\t{:?}", c.name, c.weight, c.synonyms);
        }
    }
    Some(out)
}
