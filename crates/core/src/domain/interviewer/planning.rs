//! Choosing the next question's *content*, as pure functions over the bank: which unasked bank
//! question fits an (area, level), which bank question a model-written question is closest to
//! (its rubric grades the answer), which concept a follow-up probes, and whether a question text
//! proposed by a model is usable at all.
//!
//! Nothing here touches a session; [`super::Session::plan_next`] combines these decisions and
//! does the bookkeeping. Every choice is deterministic: ties break by bank order, and variety
//! comes only from the caller's seed.

use serde::{Deserialize, Serialize};

use crate::domain::bank::rubric::{Rubric, RubricConcept};
use crate::domain::bank::{Question, RoleBank};
use crate::domain::enums::Difficulty;
use crate::domain::evaluation::Evaluation;
use crate::domain::job::CustomQuestion;

/// A model-proposed question longer than this (in characters) is not used.
pub const MAX_MODEL_QUESTION_CHARS: usize = 600;

/// At most this many follow-ups per skill area in one interview (and never a follow-up of a
/// follow-up), so probing cannot take over an interview.
pub const MAX_FOLLOW_UPS_PER_AREA: u32 = 2;

/// Why a model-proposed question was not used (the bank supplied the question instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateRejection {
    /// The model proposed nothing for the slot the engine's decision needed.
    Missing,
    /// Only whitespace.
    Empty,
    /// Longer than [`MAX_MODEL_QUESTION_CHARS`].
    TooLong,
    /// No `?` and no question-like opening ("Explain…", "Walk me through…", "How…").
    NotAQuestion,
    /// The same text as the question just asked.
    Repeated,
    /// Written for another skill area than the one the engine decided on.
    WrongSkillArea,
}

impl CandidateRejection {
    /// The `snake_case` name, for logs and counters.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CandidateRejection::Missing => "missing",
            CandidateRejection::Empty => "empty",
            CandidateRejection::TooLong => "too_long",
            CandidateRejection::NotAQuestion => "not_a_question",
            CandidateRejection::Repeated => "repeated",
            CandidateRejection::WrongSkillArea => "wrong_skill_area",
        }
    }
}

/// Openings that make a sentence without `?` a question ("Explain how…", "Walk me through…").
const QUESTION_OPENERS: &[&str] = &[
    "explain",
    "describe",
    "walk me through",
    "talk me through",
    "walk through",
    "tell me",
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "can you",
    "could you",
    "would you",
    "imagine",
    "suppose",
    "say you",
    "design",
    "compare",
    "give me",
    "give an example",
    "show me",
    "write",
    "implement",
    "outline",
    "discuss",
    "share",
    "consider",
    "let's",
    "lets",
];

/// Letters, digits and apostrophes of `text`, lower-cased, as words.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\u{2019}', "'").to_lowercase())
}

/// Whether `text` reads as a question: it has a `?`, or it opens like one.
#[must_use]
pub fn looks_like_question(text: &str) -> bool {
    if text.contains('?') {
        return true;
    }
    let head: Vec<String> = words(text).take(3).collect();
    QUESTION_OPENERS.iter().any(|opener| {
        let opener: Vec<String> = words(opener).collect();
        head.len() >= opener.len() && head.iter().zip(&opener).all(|(a, b)| a == b)
    })
}

/// Text with runs of whitespace collapsed and lower-cased, for comparing question texts.
fn comparable(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Checks one model-proposed question text; returns it trimmed when usable. `previous` is the
/// question just asked (a model repeating it is not a next question).
///
/// # Errors
/// Why the text cannot be used; the caller then takes a bank question.
pub fn check_candidate(text: Option<&str>, previous: &str) -> Result<String, CandidateRejection> {
    let text = text.ok_or(CandidateRejection::Missing)?.trim();
    if text.is_empty() {
        return Err(CandidateRejection::Empty);
    }
    if text.chars().count() > MAX_MODEL_QUESTION_CHARS {
        return Err(CandidateRejection::TooLong);
    }
    if !looks_like_question(text) {
        return Err(CandidateRejection::NotAQuestion);
    }
    if comparable(text) == comparable(previous) {
        return Err(CandidateRejection::Repeated);
    }
    Ok(text.to_owned())
}

/// Levels ordered by distance from `level`, the nearest first, lower before higher at equal
/// distance (an easier substitute is fairer than a harder one), `level` itself excluded.
fn neighbours(level: Difficulty) -> Vec<Difficulty> {
    let mut others: Vec<Difficulty> = Difficulty::ALL.iter().copied().filter(|l| *l != level).collect();
    let index = |l: Difficulty| Difficulty::ALL.iter().position(|x| *x == l).unwrap_or(0);
    others.sort_by_key(|l| (index(*l).abs_diff(index(level)), *l > level));
    others
}

/// `candidates[seed % len]`.
fn choose(candidates: &[&'static Question], seed: u64) -> Option<&'static Question> {
    let len = u64::try_from(candidates.len()).ok().filter(|n| *n > 0)?;
    usize::try_from(seed % len).ok().and_then(|i| candidates.get(i)).copied()
}

/// The next bank question for `area` at `level`, never one whose id is in `used`. Tiers, first
/// non-empty wins, the seed choosing within a tier:
/// 1. `area` at `level`;
/// 2. `area` at the nearest other level (see [`neighbours`]): the engine attributes the answer
///    to its current area, so staying on the area matters more than the exact level;
/// 3. the other areas of `area_order` (in order, starting after `area`) at `level`, then at the
///    nearest levels.
///
/// `None` only when every such question was used.
#[must_use]
pub fn pick_bank_question(
    bank: &RoleBank,
    area: &str,
    level: Difficulty,
    used: &[String],
    area_order: &[String],
    seed: u64,
) -> Option<&'static Question> {
    let unused = |a: &str, l: Difficulty| -> Vec<&'static Question> {
        bank.questions_for(a, l).filter(|q| !used.iter().any(|u| u == q.id)).collect()
    };
    search(area, level, area_order, (true, true), |a, l| choose(&unused(a, l), seed))
}

/// The first `pick(area, level)` that answers: `area` at `level`, then (with `nearest`) at the
/// nearest other levels (see [`neighbours`]), then (with `any_area`) the other areas of
/// `area_order` (in order, starting after `area`) at `level`, then at the nearest levels.
fn search<T>(
    area: &str,
    level: Difficulty,
    area_order: &[String],
    (nearest, any_area): (bool, bool),
    pick: impl Fn(&str, Difficulty) -> Option<T>,
) -> Option<T> {
    let levels: Vec<Difficulty> =
        if nearest { std::iter::once(level).chain(neighbours(level)).collect() } else { vec![level] };
    if let Some(found) = levels.iter().find_map(|l| pick(area, *l)) {
        return Some(found);
    }
    if !any_area {
        return None;
    }
    let start = area_order.iter().position(|a| a == area).map_or(0, |i| i + 1);
    let n = area_order.len();
    let others: Vec<&str> = (0..n)
        .filter_map(|k| area_order.get((start + k) % n.max(1)))
        .map(String::as_str)
        .filter(|a| *a != area)
        .collect();
    levels.iter().find_map(|l| others.iter().find_map(|a| pick(a, *l)))
}

/// Content words of a question, for similarity (short and very common words dropped).
fn content_words(text: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "the", "and", "you", "your", "what", "how", "why", "when", "which", "would", "could", "can", "does",
        "did", "with", "that", "this", "for", "are", "was", "were", "from", "into", "about", "have", "has",
        "they", "them", "their", "there", "then", "than", "will", "some", "any", "its", "it's", "tell",
        "explain", "describe", "walk", "through", "give", "example", "between",
    ];
    let mut out: Vec<String> = words(text).filter(|w| w.len() >= 3 && !STOP.contains(&w.as_str())).collect();
    out.sort();
    out.dedup();
    out
}

/// The bank question whose rubric grades an answer to a question that is not a bank question
/// (model-written, or a generic last resort): among `area`'s questions at `level` (if the bank
/// has none, `level` in any area; then the whole bank), the one sharing the most content words
/// with `text`, the first in bank order on a tie. Same area and level keep the rubric on topic
/// even when the texts share no word. `None` only for an empty bank.
#[must_use]
pub fn closest_question(
    bank: &RoleBank,
    text: &str,
    area: &str,
    level: Difficulty,
) -> Option<&'static Question> {
    let mut pool: Vec<&'static Question> = bank.questions_for(area, level).collect();
    if pool.is_empty() {
        pool = bank.questions.iter().filter(|q| q.level == level).collect();
    }
    if pool.is_empty() {
        pool = bank.questions.iter().collect();
    }
    most_overlap(pool, text, |q| q.text)
}

/// The item of `pool` whose text (`text_of`) shares the most content words with `text`, the
/// first on a tie; `None` for an empty pool.
fn most_overlap<'t, Q: Copy>(pool: Vec<Q>, text: &str, text_of: impl Fn(Q) -> &'t str) -> Option<Q> {
    let wanted = content_words(text);
    let mut best: Option<(Q, usize)> = None;
    for q in pool {
        let score = content_words(text_of(q)).iter().filter(|w| wanted.contains(w)).count();
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((q, score));
        }
    }
    best.map(|(q, _)| q)
}

/// The job question whose rubric grades a question that is neither a bank nor a job question
/// (model-written, generic) in a job's interview: like [`closest_question`], among `questions` in
/// `area` at `level`, then in `area`, then at `level`, then all of them. `None` only when
/// `questions` is empty.
#[must_use]
pub fn closest_job_question<'a>(
    questions: &'a [CustomQuestion],
    text: &str,
    area: &str,
    level: Difficulty,
) -> Option<&'a CustomQuestion> {
    let tiers: [&dyn Fn(&CustomQuestion) -> bool; 4] = [
        &|q| q.skill_area == area && q.level == level,
        &|q| q.skill_area == area,
        &|q| q.level == level,
        &|_| true,
    ];
    let pool = tiers
        .iter()
        .map(|t| questions.iter().filter(|q| t(q)).collect::<Vec<_>>())
        .find(|p| !p.is_empty())?;
    most_overlap(pool, text, |q| q.text.as_str())
}

/// The job's next question for `area` at `level`, never one whose reference (`job:` + id) is
/// in `used`; the first unused in the job's order, so a recruiter's order is kept. With
/// `nearest`, an unused question of `area` at the nearest other level stands in (see
/// [`neighbours`]), and with `any_area` one of the other areas of `area_order` (in order,
/// starting after `area`) at `level`, then at the nearest levels.
#[must_use]
pub fn pick_job_question<'a>(
    questions: &'a [CustomQuestion],
    area: &str,
    level: Difficulty,
    used: &[String],
    area_order: &[String],
    (nearest, any_area): (bool, bool),
) -> Option<&'a CustomQuestion> {
    let unused = |a: &str, l: Difficulty| {
        questions.iter().find(|q| {
            q.skill_area == a && q.level == l && !used.iter().any(|u| rubric_job_id(u) == Some(q.id.as_str()))
        })
    };
    search(area, level, area_order, (nearest, any_area), unused)
}

fn rubric_job_id(reference: &str) -> Option<&str> {
    crate::domain::bank::rubric::job_id_of(reference)
}

/// The concept a follow-up on `question` probes: the highest-weight rubric concept the
/// evaluation missed (the first in rubric order on a tie; the same rule as
/// [`crate::domain::bank::score::follow_up_seeded`], so the follow-up is graded on what it asks
/// about), else the first non-blank missed concept as written (a model's wording).
#[must_use]
pub fn follow_up_target(question: &Rubric<'_>, eval: &Evaluation) -> Option<String> {
    let is_missed = |name: &str| eval.missed_concepts.iter().any(|m| m.trim().eq_ignore_ascii_case(name));
    let mut best: Option<&RubricConcept<'_>> = None;
    for concept in question.concepts.iter().filter(|c| is_missed(c.name)) {
        if best.is_none_or(|b| concept.weight > b.weight) {
            best = Some(concept);
        }
    }
    best.map(|c| c.name.to_owned())
        .or_else(|| eval.missed_concepts.iter().map(|m| m.trim()).find(|m| !m.is_empty()).map(str::to_owned))
}

/// The concepts a bank follow-up on `question` is graded on: every rubric concept the evaluation
/// missed, in rubric order. The follow-up itself names none of them (it asks, it does not tell),
/// so whichever of them the reply explains counts.
#[must_use]
pub fn follow_up_focus(question: &Rubric<'_>, eval: &Evaluation) -> Vec<String> {
    let is_missed = |name: &str| eval.missed_concepts.iter().any(|m| m.trim().eq_ignore_ascii_case(name));
    let focus: Vec<String> =
        question.concepts.iter().filter(|c| is_missed(c.name)).map(|c| c.name.to_owned()).collect();
    if focus.is_empty() {
        follow_up_target(question, eval).into_iter().collect()
    } else {
        focus
    }
}
