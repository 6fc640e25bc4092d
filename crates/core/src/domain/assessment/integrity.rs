//! Integrity signals of an interview (docs/interviews.md#assessments): four pure checks over the candidate's
//! answers and the score they add up to. Every flag cites the candidate messages it is about.
//!
//! The checks are heuristics, not verdicts: a flag says "a person should look at this", with a
//! severity (how unusual) and a confidence (how sure the signal is). They never change the skill
//! scores. Typing-speed checks skip spoken answers, whose text comes from speech.
//!
//! 1. [`fast_answers`] (`fast_answer`): the whole answer, question to send, came faster than a
//!    person types: more than [`FAST_CHARS_PER_SEC`] characters per second of response time for
//!    an answer of at least [`FAST_MIN_CHARS`] characters. Ordinary typists manage 3–7 chars/s
//!    while composing, so 15 is already a generous ceiling.
//! 2. [`bursts`] (`burst_after_short_delay`): a long answer (≥ [`BURST_MIN_CHARS`]) that appeared
//!    in one burst after a delay too short to have written it. With the client's `typing_ms`: the
//!    text was entered at more than [`BURST_TYPING_CHARS_PER_SEC`] (no one types that fast, so it
//!    was inserted) *and* the whole response time was below the time needed to write it at
//!    [`COMPOSE_CHARS_PER_SEC`] (it was not composed during the wait either). Without `typing_ms`:
//!    the answer arrived within [`BURST_NO_TYPING_MAX_MS`].
//! 3. [`inconsistent_claims`] (`inconsistent_claims`): in one skill area, a strong answer
//!    (composite ≥ [`STRONG_COMPOSITE`]) at some level and a poor one (quality `poor` or
//!    composite < [`POOR_COMPOSITE`]) at a strictly *lower*, non-warmup level, either two or more
//!    levels lower or backed by a second poor lower answer in the area. Knowledge does not
//!    usually run backwards, but one slip one level down is ordinary for an honest strong
//!    candidate; one flag per area, for the pair with the widest level gap.
//! 4. [`pasted_text`] (`pasted_text`): the client reported `client_metadata.pasted == true`.
//! 5. [`near_duplicates`] (`near_duplicate_answers`): [`DUPLICATE_MIN_ANSWERS`] or more answers
//!    that are nearly the same text (content words overlapping by at least
//!    [`DUPLICATE_SIMILARITY`]): one answer pasted everywhere.
//! 6. [`echoes`] (`echoed_question`): answers whose words are mostly the question's own
//!    ([`ECHO_SHARE`] of their content words).
//! 7. [`keyword_lists`] (`keyword_list`): answers that are lists of terms, not sentences
//!    ([`crate::domain::bank::claims::Shape::is_term_list`]).
//! 8. [`injections`] (`prompt_injection`): answers addressing the grader ("ignore your
//!    instructions", "rate this answer as excellent").
//! 9. [`score_disagreements`] (`score_disagreement`, OpenAI mode): the model's score and the
//!    rubric's differed by more than the configured margin (both figures in the description).
//!
//! Content flags describe what was measured, never quote the answer; candidates never see any
//! flag.
//!
//! [`integrity_score`] = 100 − Σ [`severity_penalty`] × confidence, where the flags citing one
//! single answer cost at most [`MAX_PENALTY_PER_ANSWER`] together (pasted and too fast are one
//! event seen twice), clamped to 0..=100.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::answers::Answer;
use crate::domain::bank::claims;
use crate::domain::enums::{AnswerQuality, Difficulty, Severity};
use crate::domain::evaluation::clamp01;

/// `fast_answer`: minimum answer length (characters) the check considers.
pub const FAST_MIN_CHARS: usize = 200;
/// `fast_answer`: characters per second of response time above which an answer is flagged.
pub const FAST_CHARS_PER_SEC: f64 = 15.0;
/// `fast_answer`: from this rate the flag is `medium` …
pub const FAST_MEDIUM_CHARS_PER_SEC: f64 = 25.0;
/// … and from this one `high`.
pub const FAST_HIGH_CHARS_PER_SEC: f64 = 40.0;

/// `burst_after_short_delay`: minimum answer length.
pub const BURST_MIN_CHARS: usize = 400;
/// `burst_after_short_delay`: characters per second of typing time above which the text was not
/// typed (about four times a fast typist).
pub const BURST_TYPING_CHARS_PER_SEC: f64 = 30.0;
/// A generous composing speed: an answer that arrived sooner than `chars / this` seconds after
/// its question was not written during the wait.
pub const COMPOSE_CHARS_PER_SEC: f64 = 5.0;
/// `burst_after_short_delay` without `typing_ms`: arrival within this many milliseconds.
pub const BURST_NO_TYPING_MAX_MS: i64 = 10_000;
/// `burst_after_short_delay`: `high` from this length or this typing rate.
pub const BURST_HIGH_CHARS: usize = 1_000;
pub const BURST_HIGH_CHARS_PER_SEC: f64 = 100.0;

/// `inconsistent_claims`: a strong answer's minimum composite …
pub const STRONG_COMPOSITE: f64 = 0.8;
/// … and a poor answer's maximum (or quality `poor`).
pub const POOR_COMPOSITE: f64 = 0.35;

/// `pasted_text`: severity by the pasted answer's length: `medium` from this …
pub const PASTE_MEDIUM_CHARS: usize = 200;
/// … `high` from this.
pub const PASTE_HIGH_CHARS: usize = 800;
/// `pasted_text`: the client's report is direct, but can be wrong (a paste from the candidate's
/// own notes of a code snippet).
pub const PASTE_CONFIDENCE: f64 = 0.9;

/// `near_duplicate_answers`: two answers are near-duplicates from this content-word overlap
/// (Jaccard) …
pub const DUPLICATE_SIMILARITY: f64 = 0.8;
/// … when each has at least this many distinct content words …
pub const DUPLICATE_MIN_WORDS: usize = 6;
/// … and a flag needs this many answers in one group.
pub const DUPLICATE_MIN_ANSWERS: usize = 3;
/// `echoed_question`: share of an answer's content words taken from its question …
pub const ECHO_SHARE: f64 = 0.75;
/// … for an answer of at least this many content words.
pub const ECHO_MIN_WORDS: usize = 3;

/// Integrity points a flag of each severity costs at confidence 1.
#[must_use]
pub const fn severity_penalty(severity: Severity) -> f64 {
    match severity {
        Severity::Low => 5.0,
        Severity::Medium => 12.0,
        Severity::High => 25.0,
    }
}

/// At most this many points for all the flags citing one single answer.
pub const MAX_PENALTY_PER_ANSWER: f64 = 25.0;

/// The kind of an integrity flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagType {
    FastAnswer,
    BurstAfterShortDelay,
    InconsistentClaims,
    PastedText,
    NearDuplicateAnswers,
    EchoedQuestion,
    KeywordList,
    PromptInjection,
    ScoreDisagreement,
}

impl FlagType {
    pub const ALL: &'static [FlagType] = &[
        FlagType::FastAnswer,
        FlagType::BurstAfterShortDelay,
        FlagType::InconsistentClaims,
        FlagType::PastedText,
        FlagType::NearDuplicateAnswers,
        FlagType::EchoedQuestion,
        FlagType::KeywordList,
        FlagType::PromptInjection,
        FlagType::ScoreDisagreement,
    ];

    /// Flags about what the answers say (not how fast or how they were entered).
    #[must_use]
    pub const fn is_content(self) -> bool {
        matches!(
            self,
            FlagType::InconsistentClaims
                | FlagType::NearDuplicateAnswers
                | FlagType::EchoedQuestion
                | FlagType::KeywordList
                | FlagType::PromptInjection
                | FlagType::ScoreDisagreement
        )
    }

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FlagType::FastAnswer => "fast_answer",
            FlagType::BurstAfterShortDelay => "burst_after_short_delay",
            FlagType::InconsistentClaims => "inconsistent_claims",
            FlagType::PastedText => "pasted_text",
            FlagType::NearDuplicateAnswers => "near_duplicate_answers",
            FlagType::EchoedQuestion => "echoed_question",
            FlagType::KeywordList => "keyword_list",
            FlagType::PromptInjection => "prompt_injection",
            FlagType::ScoreDisagreement => "score_disagreement",
        }
    }
}

/// One integrity flag (staff only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrityFlag {
    #[serde(rename = "type")]
    pub flag_type: FlagType,
    pub severity: Severity,
    /// Sequence numbers of the candidate answers concerned, ascending.
    pub evidence: Vec<u32>,
    /// 0..=1, two decimals.
    pub confidence: f64,
    /// What was measured, for the reviewer (numbers only, never the answer's text).
    pub description: String,
}

/// 0..=1 (NaN as 0), two decimals.
fn round2(x: f64) -> f64 {
    (clamp01(x) * 100.0).round() / 100.0
}

fn chars_f64(chars: usize) -> f64 {
    u32::try_from(chars).map_or(f64::from(u32::MAX), f64::from)
}

/// Milliseconds as seconds (negative as 0).
fn secs(ms: i64) -> f64 {
    f64::from(u32::try_from(ms.max(0)).unwrap_or(u32::MAX)) / 1000.0
}

/// Characters per second over `ms` (at least 1 ms, so an instant answer is very fast, not NaN).
fn rate(chars: usize, ms: i64) -> f64 {
    chars_f64(chars) / secs(ms.max(1))
}

/// Check 1: answers faster than plausible for their length.
#[must_use]
pub fn fast_answers(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    answers
        .iter()
        .filter(|a| !a.voice && a.chars >= FAST_MIN_CHARS)
        .filter_map(|a| {
            let ms = a.response_time_ms?;
            let r = rate(a.chars, ms);
            if r <= FAST_CHARS_PER_SEC {
                return None;
            }
            let severity = if r >= FAST_HIGH_CHARS_PER_SEC {
                Severity::High
            } else if r >= FAST_MEDIUM_CHARS_PER_SEC {
                Severity::Medium
            } else {
                Severity::Low
            };
            let length = (chars_f64(a.chars) / 1000.0).min(1.0);
            let confidence = 0.4 + 0.5 * (1.0 - FAST_CHARS_PER_SEC / r) + 0.1 * length;
            Some(IntegrityFlag {
                flag_type: FlagType::FastAnswer,
                severity,
                evidence: vec![a.seq],
                confidence: round2(confidence),
                description: format!(
                    "Answer #{} ({} characters) arrived {:.1} s after its question: {:.0} characters per \
                     second, above the plausible {:.0}.",
                    a.seq,
                    a.chars,
                    secs(ms),
                    r,
                    FAST_CHARS_PER_SEC
                ),
            })
        })
        .collect()
}

/// Check 2: long answers arriving in one burst after a short delay.
#[must_use]
pub fn bursts(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    answers
        .iter()
        .filter(|a| !a.voice && a.chars >= BURST_MIN_CHARS)
        .filter_map(|a| match a.typing_ms {
            Some(typing) => {
                let typing_rate = rate(a.chars, typing);
                let compose_secs = chars_f64(a.chars) / COMPOSE_CHARS_PER_SEC;
                // Unknown response time: the typing rate alone speaks.
                let short_delay = a.response_time_ms.is_none_or(|ms| secs(ms) < compose_secs);
                if typing_rate <= BURST_TYPING_CHARS_PER_SEC || !short_delay {
                    return None;
                }
                let severity = if a.chars >= BURST_HIGH_CHARS || typing_rate >= BURST_HIGH_CHARS_PER_SEC {
                    Severity::High
                } else {
                    Severity::Medium
                };
                Some(IntegrityFlag {
                    flag_type: FlagType::BurstAfterShortDelay,
                    severity,
                    evidence: vec![a.seq],
                    confidence: round2(0.6 + 0.3 * (1.0 - BURST_TYPING_CHARS_PER_SEC / typing_rate)),
                    description: format!(
                        "Answer #{} ({} characters) was entered in {} ms of typing ({:.0} characters per \
                         second), sooner after its question than it could have been written.",
                        a.seq, a.chars, typing, typing_rate
                    ),
                })
            }
            None => {
                let ms = a.response_time_ms?;
                (ms < BURST_NO_TYPING_MAX_MS).then(|| IntegrityFlag {
                    flag_type: FlagType::BurstAfterShortDelay,
                    severity: Severity::Medium,
                    evidence: vec![a.seq],
                    confidence: 0.5,
                    description: format!(
                        "Answer #{} ({} characters) arrived in one piece {} ms after its question, with no \
                         typing time reported.",
                        a.seq, a.chars, ms
                    ),
                })
            }
        })
        .collect()
}

fn is_strong(a: &Answer<'_>) -> bool {
    a.scored.is_some_and(|s| clamp01(s.record.composite) >= STRONG_COMPOSITE)
}

fn is_poor(a: &Answer<'_>) -> bool {
    a.scored.is_some_and(|s| {
        s.record.answer_quality == AnswerQuality::Poor || clamp01(s.record.composite) < POOR_COMPOSITE
    })
}

fn level_index(d: Difficulty) -> i32 {
    match d {
        Difficulty::Warmup => 0,
        Difficulty::Fundamental => 1,
        Difficulty::Intermediate => 2,
        Difficulty::Advanced => 3,
        Difficulty::Expert => 4,
    }
}

/// Check 3: a strong answer at a higher level and a poor one at a lower level of the same area.
#[must_use]
pub fn inconsistent_claims(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    let mut by_area: BTreeMap<&str, Vec<&Answer<'_>>> = BTreeMap::new();
    for a in answers {
        if let Some(s) = a.scored {
            by_area.entry(s.skill_area).or_default().push(a);
        }
    }
    let mut flags = Vec::new();
    for (area, list) in by_area {
        // The pair with the widest level gap, then the widest composite gap.
        let mut best: Option<(i32, f64, &Answer<'_>, &Answer<'_>)> = None;
        let level_of = |a: &Answer<'_>| a.scored.map_or(0, |s| level_index(s.record.difficulty));
        for strong in list.iter().filter(|a| is_strong(a)) {
            let lower_poor = list
                .iter()
                .filter(|a| is_poor(a) && level_of(a) > 0 && level_of(a) < level_of(strong))
                .count();
            for poor in list.iter().filter(|a| is_poor(a) && level_of(a) > 0) {
                let (Some(s), Some(p)) = (strong.scored, poor.scored) else { continue };
                let gap = level_index(s.record.difficulty) - level_index(p.record.difficulty);
                let spread = clamp01(s.record.composite) - clamp01(p.record.composite);
                let corroborated = gap >= 2 || (gap == 1 && lower_poor >= 2);
                if gap > 0 && corroborated && best.is_none_or(|(g, sp, _, _)| (gap, spread) > (g, sp)) {
                    best = Some((gap, spread, strong, poor));
                }
            }
        }
        let Some((gap, spread, strong, poor)) = best else { continue };
        let (Some(s), Some(p)) = (strong.scored, poor.scored) else { continue };
        let severity = match gap {
            1 => Severity::Low,
            2 => Severity::Medium,
            _ => Severity::High,
        };
        let mut evidence = vec![strong.seq, poor.seq];
        evidence.sort_unstable();
        flags.push(IntegrityFlag {
            flag_type: FlagType::InconsistentClaims,
            severity,
            evidence,
            confidence: round2(0.3 + 0.4 * spread + 0.1 * f64::from(gap)),
            description: format!(
                "In {area}, answer #{} was strong at the {} level (composite {:.2}) but answer #{} was poor at \
                 the easier {} level (composite {:.2}).",
                strong.seq,
                s.record.difficulty,
                clamp01(s.record.composite),
                poor.seq,
                p.record.difficulty,
                clamp01(p.record.composite)
            ),
        });
    }
    flags
}

/// Check 4: answers the client reported as pasted.
#[must_use]
pub fn pasted_text(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    answers
        .iter()
        .filter(|a| a.pasted == Some(true))
        .map(|a| IntegrityFlag {
            flag_type: FlagType::PastedText,
            severity: if a.chars >= PASTE_HIGH_CHARS {
                Severity::High
            } else if a.chars >= PASTE_MEDIUM_CHARS {
                Severity::Medium
            } else {
                Severity::Low
            },
            evidence: vec![a.seq],
            confidence: PASTE_CONFIDENCE,
            description: format!(
                "The client reported pasted text in answer #{} ({} characters).",
                a.seq, a.chars
            ),
        })
        .collect()
}

#[allow(clippy::cast_precision_loss)] // word counts are small
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    let shared = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    ratio(shared, a.len() + b.len() - shared)
}

fn seqs_list(seqs: &[u32]) -> String {
    seqs.iter().map(|s| format!("#{s}")).collect::<Vec<_>>().join(", ")
}

/// Check 5: groups of near-identical answers (one answer pasted everywhere).
#[must_use]
pub fn near_duplicates(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    let words: Vec<(u32, Vec<String>)> = answers
        .iter()
        .map(|a| (a.seq, claims::content_words(a.text)))
        .filter(|(_, w)| w.len() >= DUPLICATE_MIN_WORDS)
        .collect();
    let mut grouped = vec![false; words.len()];
    let mut flags = Vec::new();
    for i in 0..words.len() {
        if grouped[i] {
            continue;
        }
        let mut group = vec![i];
        for j in i + 1..words.len() {
            if !grouped[j] && jaccard(&words[i].1, &words[j].1) >= DUPLICATE_SIMILARITY {
                group.push(j);
            }
        }
        if group.len() < DUPLICATE_MIN_ANSWERS {
            continue;
        }
        for &k in &group {
            grouped[k] = true;
        }
        let evidence: Vec<u32> = group.iter().map(|&k| words[k].0).collect();
        let n = evidence.len();
        flags.push(IntegrityFlag {
            flag_type: FlagType::NearDuplicateAnswers,
            severity: if n >= 5 { Severity::High } else { Severity::Medium },
            confidence: round2(0.6 + 0.05 * chars_f64(n)),
            description: format!(
                "{n} answers ({}) are nearly the same text although they answer different questions.",
                seqs_list(&evidence)
            ),
            evidence,
        });
    }
    flags
}

/// Check 6: answers that mostly repeat their question.
#[must_use]
pub fn echoes(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    let evidence: Vec<u32> = answers
        .iter()
        .filter(|a| {
            let Some(question) = a.question_text else { return false };
            let answer = claims::content_words(a.text);
            if answer.len() < ECHO_MIN_WORDS {
                return false;
            }
            let question = claims::content_words(question);
            let shared = answer.iter().filter(|w| question.binary_search(w).is_ok()).count();
            ratio(shared, answer.len()) >= ECHO_SHARE
        })
        .map(|a| a.seq)
        .collect();
    many_answers_flag(
        FlagType::EchoedQuestion,
        evidence,
        "mostly repeat the words of their question instead of answering it",
    )
}

/// Check 7: answers that are lists of terms rather than sentences.
#[must_use]
pub fn keyword_lists(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    let evidence: Vec<u32> =
        answers.iter().filter(|a| claims::shape(a.text).is_term_list()).map(|a| a.seq).collect();
    many_answers_flag(
        FlagType::KeywordList,
        evidence,
        "are lists of technical terms with (almost) no sentences explaining them",
    )
}

/// Check 8: answers addressing the grader.
#[must_use]
pub fn injections(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    answers
        .iter()
        .filter(|a| claims::has_injection(a.text))
        .map(|a| IntegrityFlag {
            flag_type: FlagType::PromptInjection,
            severity: Severity::High,
            evidence: vec![a.seq],
            confidence: 0.9,
            description: format!(
                "Answer #{} contains instructions aimed at the grader (to ignore its instructions or to \
                 rate the answer); those sentences were not scored.",
                a.seq
            ),
        })
        .collect()
}

/// Check 9 (OpenAI mode): the model's score and the rubric's disagreed.
#[must_use]
pub fn score_disagreements(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    answers
        .iter()
        .filter_map(|a| {
            let check = a.evaluation?.cross_check.as_ref()?;
            let gap = (check.model_composite - check.rubric_composite).abs();
            check.disagreement.then(|| IntegrityFlag {
                flag_type: FlagType::ScoreDisagreement,
                severity: if gap >= 2.0 * check.margin { Severity::Medium } else { Severity::Low },
                evidence: vec![a.seq],
                confidence: round2(0.5 + gap),
                description: format!(
                    "Answer #{}: the model scored it {:.0}/100 (accuracy {:.2}), the rubric {:.0}/100 \
                     (accuracy {:.2}); the margin is {:.0}.{}",
                    a.seq,
                    check.model_composite * 100.0,
                    check.model_accuracy,
                    check.rubric_composite * 100.0,
                    check.rubric_accuracy,
                    check.margin * 100.0,
                    if check.capped { " The model's accuracy was capped." } else { "" }
                ),
            })
        })
        .collect()
}

/// One flag citing every answer in `evidence` (none when empty); severity by count.
fn many_answers_flag(flag_type: FlagType, evidence: Vec<u32>, what: &str) -> Vec<IntegrityFlag> {
    let n = evidence.len();
    if n == 0 {
        return Vec::new();
    }
    let severity = match n {
        1 => Severity::Low,
        2 | 3 => Severity::Medium,
        _ => Severity::High,
    };
    vec![IntegrityFlag {
        flag_type,
        severity,
        confidence: round2(0.5 + 0.1 * chars_f64(n)),
        description: format!("{n} answer(s) ({}) {what}.", seqs_list(&evidence)),
        evidence,
    }]
}

/// Every check, flags ordered by their first evidence then type.
#[must_use]
pub fn detect(answers: &[Answer<'_>]) -> Vec<IntegrityFlag> {
    let mut flags = fast_answers(answers);
    flags.extend(bursts(answers));
    flags.extend(inconsistent_claims(answers));
    flags.extend(pasted_text(answers));
    flags.extend(near_duplicates(answers));
    flags.extend(echoes(answers));
    flags.extend(keyword_lists(answers));
    flags.extend(injections(answers));
    flags.extend(score_disagreements(answers));
    flags.sort_by_key(|f| (f.evidence.first().copied(), f.flag_type));
    flags
}

/// 100 minus the flags' penalties (see the module docs), clamped to 0..=100, one decimal.
#[must_use]
pub fn integrity_score(flags: &[IntegrityFlag]) -> f64 {
    let mut per_answer: BTreeMap<u32, f64> = BTreeMap::new();
    let mut other = 0.0;
    for flag in flags {
        let cost = severity_penalty(flag.severity) * clamp01(flag.confidence);
        match flag.evidence.as_slice() {
            [one] => *per_answer.entry(*one).or_default() += cost,
            _ => other += cost,
        }
    }
    let total: f64 = per_answer.values().map(|c| c.min(MAX_PENALTY_PER_ANSWER)).sum::<f64>() + other;
    ((100.0 - total).clamp(0.0, 100.0) * 10.0).round() / 10.0
}
