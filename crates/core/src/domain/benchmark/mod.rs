//! The adversarial scoring benchmark (docs/scoring.md#benchmark): whole built-in interviews for
//! every role, driven by candidate profiles — honest ones answering with hand-written answers
//! (strong, partial, weak, fluent but wrong; [`hand`]) and gaming ones (keyword bags, one term
//! per concept, a role-wide term list, wrong answers with terms appended, echoes of the question,
//! one answer copied everywhere, prompt injection) — scored by the engine and assessed by the
//! built-in generator, plus per-question checks over the whole bank.
//!
//! Pure and deterministic; native only (the Worker never runs it). The figures table in
//! `docs/scoring.md` is [`Report::table`] as printed by
//! `cargo run -p interview-core --example scoring_benchmark`; the acceptance thresholds of issue
//! #14 are asserted by this module's tests, on the whole bank and on its held-out half
//! ([`hand::Split`]).
//!
//! The honest answers were written by people from the question text alone, without the rubric,
//! so they use their own words for its concepts; the scorer has to recognise them. The held-out
//! half of the bank is never inspected question by question when the scorer is changed.

mod answers;
mod checks;
pub mod hand;
mod table;

use std::collections::BTreeMap;

use serde_json::json;

pub use answers::answer;
pub use checks::{dev_details, dev_explain, question_checks, HandChecks, QuestionChecks};
use hand::Split;

use super::assessment::{generate_builtin, Assessment, AssessmentInput};
use super::bank::{find, for_role, Question};
use super::engine::EngineLimits;
use super::enums::{Difficulty, MessageType, RoleType};
use super::evaluation::Evaluation;
use super::interview::StoredMessage;
use super::interviewer::{AskedQuestion, Session};

/// A candidate profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Profile {
    /// Hand-written strong answers; on a follow-up, what the same person adds.
    HandStrong,
    /// Hand-written partial answers (right basics, little depth).
    HandPartial,
    /// Hand-written weak answers: vague, hedging.
    HandWeak,
    /// Hand-written fluent, confident, wrong answers in the normal vocabulary.
    HandWrong,
    KeywordBag,
    OneTermPerConcept,
    RoleWideList,
    WrongPlusTerms,
    /// The question repeated, or reworded (clauses reordered, words swapped).
    Echo,
    CopiedEverywhere,
    Injection,
    /// Hand-written partial answers, and follow-ups answered by naming the missed terms only.
    PartialThenNames,
}

impl Profile {
    pub const ALL: &'static [Profile] = &[
        Profile::HandStrong,
        Profile::HandPartial,
        Profile::HandWeak,
        Profile::HandWrong,
        Profile::KeywordBag,
        Profile::OneTermPerConcept,
        Profile::RoleWideList,
        Profile::WrongPlusTerms,
        Profile::Echo,
        Profile::CopiedEverywhere,
        Profile::Injection,
        Profile::PartialThenNames,
    ];

    /// The profiles answering with hand-written answers only.
    pub const HAND: &'static [Profile] =
        &[Profile::HandStrong, Profile::HandPartial, Profile::HandWeak, Profile::HandWrong];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Profile::HandStrong => "strong (hand-written)",
            Profile::HandPartial => "partial (hand-written)",
            Profile::HandWeak => "weak, vague (hand-written)",
            Profile::HandWrong => "fluent but wrong (hand-written)",
            Profile::KeywordBag => "keyword bag",
            Profile::OneTermPerConcept => "one term per concept",
            Profile::RoleWideList => "role-wide list",
            Profile::WrongPlusTerms => "wrong + appended terms",
            Profile::Echo => "echo (verbatim or reworded)",
            Profile::CopiedEverywhere => "one answer copied everywhere",
            Profile::Injection => "injection attempt",
            Profile::PartialThenNames => "partial, follow-ups named only",
        }
    }

    /// Profiles that game the scoring.
    #[must_use]
    pub const fn is_gaming(self) -> bool {
        !matches!(
            self,
            Profile::HandStrong
                | Profile::HandPartial
                | Profile::HandWeak
                | Profile::HandWrong
                | Profile::PartialThenNames
        )
    }
}

/// Interview ids per role and profile.
pub const INTERVIEWS_PER_ROLE: usize = 10;

const LIMITS: EngineLimits =
    EngineLimits { min_questions: 12, max_questions: 20, min_boundaries: 2, cost_cap_micros: 0 };

/// One simulated interview.
#[derive(Debug, Clone)]
pub struct Run {
    pub session: Session,
    pub messages: Vec<StoredMessage>,
    pub evaluations: Vec<(u32, Evaluation)>,
    pub asked: Vec<AskedQuestion>,
    pub assessment: Assessment,
}

fn message(seq: u32, kind: MessageType, text: &str) -> StoredMessage {
    let chars = i64::try_from(text.chars().count()).unwrap_or(0);
    StoredMessage {
        seq,
        id: format!("m{seq}"),
        message_type: kind,
        content_text: text.to_owned(),
        audio_url: None,
        // Plausible typing, so timing checks stay quiet: content checks are what is measured.
        metadata: json!({"client_metadata": {"pasted": false, "typing_ms": chars * 200}}),
        response_time_ms: Some(15_000 + chars * 250),
        created_ms: 1_795_000_000_000,
    }
}

/// Runs one interview of `profile` for `role` with interview id `id`, over the whole bank.
#[must_use]
pub fn run(profile: Profile, role: RoleType, id: &str) -> Run {
    run_on(profile, role, id, Split::All)
}

/// Runs one interview that only asks bank questions of `split`: the others are marked as asked
/// from the start, and an opening question outside the split is swapped for its sibling.
#[must_use]
pub fn run_on(profile: Profile, role: RoleType, id: &str, split: Split) -> Run {
    let mut session = Session::start(id, role, None);
    if split != Split::All {
        let bank = for_role(role);
        let outside = bank.questions.iter().filter(|q| !split.contains(q)).map(|q| q.id.to_owned());
        session.used_question_ids.extend(outside);
        let current = session.current.question_id.as_deref().and_then(find).filter(|q| !split.contains(q));
        if let Some(q) = current {
            if let Some(sibling) = bank.questions_for(q.skill_area, q.level).find(|s| split.contains(s)) {
                session.current =
                    AskedQuestion { question_number: session.current.question_number, ..asked_of(sibling) };
                session.used_question_ids.push(sibling.id.to_owned());
            }
        }
    }
    let mut messages = vec![message(1, MessageType::AiQuestion, &session.opening_message())];
    let mut evaluations = Vec::new();
    let mut asked = vec![session.current.clone()];
    let first = answer(Profile::HandStrong, role, id, &session.current, 0, "");
    for turn in 0..60u32 {
        let text = answer(profile, role, id, &session.current, turn, &first);
        let seq = 2 * turn + 2;
        messages.push(message(seq, MessageType::CandidateResponse, &text));
        let Ok(result) = session.answer_builtin(&text, seq, &LIMITS) else { break };
        evaluations.push((seq, result.evaluation.clone()));
        messages.push(message(seq + 1, MessageType::AiQuestion, &result.reply_text));
        if let Some(next) = &result.next {
            asked.push(next.clone());
        }
        if result.completion.is_some() {
            break;
        }
    }
    let assessment = generate_builtin(&AssessmentInput {
        interview_id: id,
        role,
        session: &session,
        messages: &messages,
        evaluations: &evaluations,
        partial: false,
        now_ms: 1_795_000_000_000,
    });
    Run { session, messages, evaluations, asked, assessment }
}

/// Interview ids of the benchmark.
#[must_use]
pub fn ids() -> Vec<String> {
    (0..INTERVIEWS_PER_ROLE)
        .map(|i| format!("b3c4d5e6-{i:04x}-4a1b-8c2d-{:012x}", i * 104_729 + 17))
        .collect()
}

/// The highest level the engine reached in a run (not counting substitute questions).
#[must_use]
pub fn highest_level(run: &Run) -> Difficulty {
    run.session
        .state
        .level_transitions
        .iter()
        .map(|t| t.to)
        .chain(std::iter::once(Difficulty::Warmup))
        .max()
        .unwrap_or(Difficulty::Warmup)
}

/// Aggregated figures of one profile over every role.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub interviews: usize,
    pub scores: Vec<f64>,
    pub highest: BTreeMap<Difficulty, usize>,
    pub boundaries: Vec<usize>,
    /// Interviews with at least one flag of each type.
    pub flags: BTreeMap<&'static str, usize>,
    /// Interviews with any content flag.
    pub content_flagged: usize,
}

impl Figures {
    #[must_use]
    pub fn mean(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.scores.len().max(1) as f64;
        self.scores.iter().sum::<f64>() / n
    }
    #[must_use]
    pub fn min(&self) -> f64 {
        self.scores.iter().copied().fold(f64::INFINITY, f64::min)
    }
    #[must_use]
    pub fn max(&self) -> f64 {
        self.scores.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
    /// The share of interviews reaching at least `level`.
    #[must_use]
    pub fn reached(&self, level: Difficulty) -> f64 {
        let n: usize = self.highest.iter().filter(|(l, _)| **l >= level).map(|(_, n)| n).sum();
        ratio(n, self.interviews)
    }
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub(crate) fn asked_of(q: &'static Question) -> AskedQuestion {
    AskedQuestion {
        question_id: Some(q.id.to_owned()),
        text: q.text.to_owned(),
        skill_area: q.skill_area.to_owned(),
        difficulty: q.level,
        question_number: 1,
        is_follow_up: false,
        source: super::interviewer::QuestionSource::Bank,
        parent_id: None,
        rubric_id: Some(q.id.to_owned()),
        rubric: q.rubric.iter().map(|c| c.name.to_owned()).collect(),
        focus: Vec::new(),
    }
}

/// The whole benchmark.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Interviews over the whole bank.
    pub profiles: BTreeMap<Profile, Figures>,
    /// Interviews asking held-out bank questions only, for the hand-written profiles.
    pub held_out: BTreeMap<Profile, Figures>,
    pub checks: QuestionChecks,
    /// Interviews where a question id was asked twice.
    pub repeated_questions: usize,
    /// Evidence numbers (strengths, weaknesses, flags) that are not candidate answers.
    pub invalid_evidence: usize,
    /// Strength evidence citing a non-passing answer, weakness evidence citing a passing one.
    pub miscited: usize,
}

/// Runs every profile for every role (and the hand-written ones again on the held-out half).
#[must_use]
pub fn report() -> Report {
    let mut report = Report { checks: question_checks(), ..Report::default() };
    let runs = Profile::ALL
        .iter()
        .map(|p| (*p, Split::All))
        .chain(Profile::HAND.iter().map(|p| (*p, Split::HeldOut)));
    for (profile, split) in runs {
        let mut fig = Figures::default();
        for role in RoleType::ALL {
            for id in ids() {
                let r = run_on(profile, *role, &id, split);
                report.record(&r, &mut fig);
            }
        }
        let into = if split == Split::All { &mut report.profiles } else { &mut report.held_out };
        into.insert(profile, fig);
    }
    report
}

impl Report {
    /// Adds one run to `fig` and to the report's invariants.
    fn record(&mut self, r: &Run, fig: &mut Figures) {
        fig.interviews += 1;
        fig.scores.push(r.assessment.overall_score);
        *fig.highest.entry(highest_level(r)).or_default() += 1;
        fig.boundaries.push(r.session.state.skill_boundaries.len());
        let mut kinds: Vec<&'static str> =
            r.assessment.integrity_flags.iter().map(|f| f.flag_type.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            *fig.flags.entry(k).or_default() += 1;
        }
        let content = r.assessment.integrity_flags.iter().any(|f| f.flag_type.is_content());
        fig.content_flagged += usize::from(content);
        let mut ids: Vec<&str> = r.asked.iter().filter_map(|a| a.question_id.as_deref()).collect();
        let before = ids.len();
        ids.sort_unstable();
        ids.dedup();
        self.repeated_questions += usize::from(ids.len() != before);
        let valid = super::assessment::answer_seqs(&r.messages);
        let a = &r.assessment;
        self.invalid_evidence += a
            .strengths
            .iter()
            .chain(&a.weaknesses)
            .flat_map(|i| &i.evidence)
            .chain(a.integrity_flags.iter().flat_map(|f| &f.evidence))
            .filter(|s| !valid.contains(s))
            .count();
        let composite = |seq: u32| r.evaluations.iter().find(|(s, _)| *s == seq).map(|(_, e)| e.composite());
        self.miscited += a
            .strengths
            .iter()
            .flat_map(|i| &i.evidence)
            .filter(|s| composite(**s).is_some_and(|c| c < 0.6))
            .count();
        self.miscited += a
            .weaknesses
            .iter()
            .flat_map(|i| &i.evidence)
            .filter(|s| composite(**s).is_some_and(|c| c >= 0.75))
            .count();
    }
}

#[cfg(test)]
mod tests;
