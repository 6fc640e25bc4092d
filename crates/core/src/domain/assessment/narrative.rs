//! The built-in assessment's words: strengths, weaknesses, per-skill reasoning, recommended
//! actions and the summary (docs/interviews.md#assessments). Every sentence restates a number or an answer
//! the engine recorded; nothing is invented, and every citation is the sequence number of a real
//! candidate message (records whose message is missing are described, never cited).
//!
//! Candidates see `strengths`, `weaknesses` and `summary`, so those never mention integrity;
//! integrity reaches staff through the flags and `recommended_actions`.

use std::collections::{BTreeMap, BTreeSet};

use super::answers::Answer;
use super::integrity::IntegrityFlag;
use super::scoring::{is_weak, passed, BoundaryEntry};
use super::EvidenceItem;
use crate::domain::engine::state::{AnswerRecord, InterviewState};
use crate::domain::enums::Difficulty;
use crate::domain::evaluation::Evaluation;
use crate::domain::interviewer::area_display_name;

/// An area scoring at least this (with a passing answer) is a strength.
pub const STRENGTH_MIN_SCORE: f64 = 70.0;
/// An area scoring below this (with a weak answer), or with a boundary, is a weakness.
pub const WEAKNESS_MAX_SCORE: f64 = 50.0;
/// At most this many strengths and this many weaknesses.
pub const MAX_ITEMS: usize = 4;
/// At most this many answers cited per strength or weakness.
pub const MAX_EVIDENCE: usize = 6;
/// Overall score from which a deep-dive is recommended.
pub const ADVANCE_MIN_SCORE: f64 = 65.0;
/// Overall score below which advancing on this evidence is advised against.
pub const DO_NOT_ADVANCE_BELOW: f64 = 40.0;
/// Fewer answers than this make a thin assessment.
pub const FEW_ANSWERS: usize = 6;

/// What the narrative is written from.
pub(super) struct Facts<'a> {
    /// What the interview is called (`Session::role_name`).
    pub role_name: &'a str,
    pub state: &'a InterviewState,
    pub answers: &'a [Answer<'a>],
    /// Sequence numbers of the candidate's messages: the only ones cited.
    pub valid: &'a BTreeSet<u32>,
    pub overall: f64,
    pub skill_scores: &'a BTreeMap<String, f64>,
    pub boundaries: &'a BTreeMap<String, BoundaryEntry>,
    pub flags: &'a [IntegrityFlag],
    pub partial: bool,
    pub questions_answered: usize,
}

impl Facts<'_> {
    fn score(&self, area: &str) -> f64 {
        self.skill_scores.get(area).copied().unwrap_or(0.0)
    }

    fn evaluation(&self, seq: u32) -> Option<&Evaluation> {
        self.answers.iter().find(|a| a.seq == seq).and_then(|a| a.evaluation)
    }

    /// `records`' sequence numbers that can be cited, ascending, at most `MAX_EVIDENCE`.
    fn evidence<'r>(&self, records: impl IntoIterator<Item = &'r AnswerRecord>) -> Vec<u32> {
        let mut seqs: Vec<u32> =
            records.into_iter().map(|r| r.answer_seq).filter(|s| self.valid.contains(s)).collect();
        seqs.sort_unstable();
        seqs.dedup();
        seqs.truncate(MAX_EVIDENCE);
        seqs
    }

    /// `#4` for a citable answer, `question 2` otherwise.
    fn cite(&self, r: &AnswerRecord) -> String {
        if self.valid.contains(&r.answer_seq) {
            format!("#{}", r.answer_seq)
        } else {
            format!("question {}", r.question_number)
        }
    }

    /// The most frequent entries of `pick` over the records' evaluations, first-seen order on ties.
    fn top_concepts<'r>(
        &self,
        records: impl IntoIterator<Item = &'r AnswerRecord>,
        pick: fn(&Evaluation) -> &[String],
        max: usize,
    ) -> Vec<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for r in records {
            for item in self.evaluation(r.answer_seq).map(pick).unwrap_or_default() {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                match counts.iter_mut().find(|(c, _)| c.eq_ignore_ascii_case(item)) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((item.to_owned(), 1)),
                }
            }
        }
        // Stable sort keeps first-seen order among equals.
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        counts.into_iter().take(max).map(|(c, _)| c).collect()
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Joins concept names, which may contain commas themselves.
fn join(items: &[String]) -> String {
    items.join("; ")
}

pub(super) fn strengths(f: &Facts<'_>) -> Vec<EvidenceItem> {
    let mut scored: Vec<(f64, EvidenceItem)> = Vec::new();
    let mut best_below: Option<(f64, EvidenceItem)> = None;
    for (area, records) in &f.state.skill_history {
        let good: Vec<&AnswerRecord> = records.iter().filter(|r| passed(r)).collect();
        let evidence = f.evidence(good.iter().copied());
        let Some(top) = good.iter().map(|r| r.difficulty).max() else { continue };
        if evidence.is_empty() {
            continue;
        }
        let score = f.score(area);
        let mut text = format!(
            "{} (score {score}/100): {} of {} good or better, up to the {top} level.",
            capitalise(&area_display_name(area)),
            good.len(),
            plural(records.len(), "answer", "answers"),
        );
        let covered = f.top_concepts(good.iter().copied(), |e| &e.identified_skills, 4);
        if !covered.is_empty() {
            text.push_str(&format!(" Covered: {}.", join(&covered)));
        }
        let item = EvidenceItem { text, evidence };
        if score >= STRENGTH_MIN_SCORE {
            scored.push((score, item));
        } else if best_below.as_ref().is_none_or(|(s, _)| score > *s) {
            best_below = Some((score, item));
        }
    }
    if scored.is_empty() {
        // No area reached the bar: the best one with a passing answer, as a relative strength.
        return best_below.into_iter().map(|(_, item)| item).collect();
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(MAX_ITEMS).map(|(_, item)| item).collect()
}

pub(super) fn weaknesses(f: &Facts<'_>) -> Vec<EvidenceItem> {
    let mut scored: Vec<(f64, EvidenceItem)> = Vec::new();
    for (area, records) in &f.state.skill_history {
        let weak: Vec<&AnswerRecord> = records.iter().filter(|r| is_weak(r)).collect();
        let boundary = f.state.boundary_for(area);
        let score = f.score(area);
        if boundary.is_none() && (score >= WEAKNESS_MAX_SCORE || weak.is_empty()) {
            continue;
        }
        let mut evidence = f.evidence(weak.iter().copied());
        if evidence.is_empty() {
            if let Some(b) = boundary {
                evidence = f.evidence(records.iter().filter(|r| r.difficulty == b.boundary_level));
            }
        }
        if evidence.is_empty() {
            continue;
        }
        let name = capitalise(&area_display_name(area));
        let mut text = match boundary {
            Some(b) => format!(
                "{name} (score {score}/100): could not sustain the {} level (boundary at question {}); {} of {} \
                 weak.",
                b.boundary_level,
                b.at_question,
                weak.len(),
                plural(records.len(), "answer was", "answers were"),
            ),
            None => format!(
                "{name} (score {score}/100): {} of {} weak, the hardest at the {} level.",
                weak.len(),
                plural(records.len(), "answer was", "answers were"),
                weak.iter().map(|r| r.difficulty).max().unwrap_or(Difficulty::Warmup),
            ),
        };
        let missed = f.top_concepts(weak.iter().copied(), |e| &e.missed_concepts, 3);
        if !missed.is_empty() {
            text.push_str(&format!(" Missed: {}.", join(&missed)));
        }
        scored.push((score, EvidenceItem { text, evidence }));
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.into_iter().take(MAX_ITEMS).map(|(_, item)| item).collect()
}

/// "fundamental (#4), intermediate (#6, #8)" for the records, grouped by level.
fn by_level(f: &Facts<'_>, records: &[&AnswerRecord]) -> String {
    let mut levels: BTreeMap<Difficulty, Vec<String>> = BTreeMap::new();
    for r in records {
        levels.entry(r.difficulty).or_default().push(f.cite(r));
    }
    let parts: Vec<String> =
        levels.into_iter().map(|(level, cites)| format!("{level} ({})", cites.join(", "))).collect();
    parts.join(", ")
}

pub(super) fn ai_reasoning(f: &Facts<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (area, records) in &f.state.skill_history {
        if records.is_empty() {
            continue;
        }
        let cites: Vec<String> = records.iter().map(|r| f.cite(r)).collect();
        let mut text = format!(
            "{} ({}) with a difficulty-weighted score of {}/100.",
            plural(records.len(), "answer", "answers"),
            cites.join(", "),
            f.score(area)
        );
        let good: Vec<&AnswerRecord> = records.iter().filter(|r| passed(r)).collect();
        let weak: Vec<&AnswerRecord> = records.iter().filter(|r| is_weak(r)).collect();
        if !good.is_empty() {
            text.push_str(&format!(" Good or better at {}.", by_level(f, &good)));
        }
        if !weak.is_empty() {
            text.push_str(&format!(" Weak at {}.", by_level(f, &weak)));
        }
        let entry = f.boundaries.get(area);
        match entry.and_then(|e| e.highest_level_passed) {
            Some(level) => text.push_str(&format!(" Highest level passed: {level}.")),
            None => text.push_str(" No level passed."),
        }
        match f.state.boundary_for(area) {
            Some(b) => text.push_str(&format!(
                " Boundary recorded at the {} level (question {}).",
                b.boundary_level, b.at_question
            )),
            None => text.push_str(" No boundary recorded."),
        }
        let missed = f.top_concepts(records, |e| &e.missed_concepts, 3);
        if !missed.is_empty() {
            text.push_str(&format!(" Most missed: {}.", join(&missed)));
        }
        out.insert(area.clone(), text);
    }
    out
}

/// The recommendation to review integrity flags, when there are any.
#[must_use]
pub fn integrity_action(flags: &[IntegrityFlag]) -> Option<String> {
    if flags.is_empty() {
        return None;
    }
    let seqs: BTreeSet<u32> = flags.iter().flat_map(|f| f.evidence.iter().copied()).collect();
    let cites: Vec<String> = seqs.iter().take(MAX_EVIDENCE).map(|s| format!("#{s}")).collect();
    Some(format!(
        "Review the {} before deciding (answers {}).",
        plural(flags.len(), "integrity flag", "integrity flags"),
        cites.join(", ")
    ))
}

pub(super) fn recommended_actions(
    f: &Facts<'_>,
    strengths: &[EvidenceItem],
    weaknesses: &[EvidenceItem],
) -> Vec<String> {
    let mut actions = Vec::new();
    // The strongest area: highest score among areas with a passing answer.
    let top = f
        .boundaries
        .iter()
        .filter_map(|(area, e)| e.highest_level_passed.map(|level| (area, level, f.score(area))))
        .max_by(|a, b| a.2.total_cmp(&b.2).then_with(|| b.0.cmp(a.0)));
    if f.overall >= ADVANCE_MIN_SCORE && !strengths.is_empty() {
        if let Some((area, level, _)) = top {
            actions.push(format!(
                "Advance to a technical deep-dive on {} (good answers up to the {level} level).",
                area_display_name(area)
            ));
        }
    }
    if !weaknesses.is_empty() {
        let mut weak_areas: Vec<(&String, f64)> = f
            .state
            .skill_history
            .keys()
            .filter(|area| f.state.boundary_for(area).is_some() || f.score(area) < WEAKNESS_MAX_SCORE)
            .map(|area| (area, f.score(area)))
            .collect();
        weak_areas.sort_by(|a, b| a.1.total_cmp(&b.1));
        for (area, _) in weak_areas.into_iter().take(2) {
            let level = f.state.boundary_for(area).map(|b| b.boundary_level).or_else(|| {
                f.state
                    .skill_history
                    .get(area.as_str())
                    .and_then(|rs| rs.iter().filter(|r| is_weak(r)).map(|r| r.difficulty).max())
            });
            match level {
                Some(level) => {
                    actions.push(format!("Probe {} further at the {level} level.", area_display_name(area)))
                }
                None => actions.push(format!("Probe {} further.", area_display_name(area))),
            }
        }
    }
    if f.overall < DO_NOT_ADVANCE_BELOW && f.questions_answered > 0 {
        actions
            .push(format!("Do not advance on this evidence alone: the overall score is {}/100.", f.overall));
    }
    if let Some(action) = integrity_action(f.flags) {
        actions.push(action);
    }
    if f.partial {
        actions.push(format!(
            "Treat the scores as provisional: the interview was abandoned after {}.",
            plural(f.questions_answered, "answer", "answers")
        ));
    } else if f.questions_answered < FEW_ANSWERS {
        actions.push(format!(
            "Collect more evidence: only {} assessed.",
            plural(f.questions_answered, "answer was", "answers were")
        ));
    }
    if actions.is_empty() {
        actions.push("Review the transcript and the per-skill reasoning before deciding.".to_owned());
    }
    actions
}

pub(super) fn summary(f: &Facts<'_>) -> String {
    let role = f.role_name;
    if f.questions_answered == 0 {
        return format!(
            "No answers were evaluated in this {role} interview. There is no evidence to score{}.",
            if f.partial { ", and it ended before completion" } else { "" }
        );
    }
    let mut out = format!(
        "The candidate answered {} in this {role} interview{} and scored {}/100 overall, weighting harder \
         questions more.",
        plural(f.questions_answered, "question", "questions"),
        if f.partial { ", which ended before completion" } else { "" },
        f.overall
    );
    let hardest = f.state.skill_history.values().flatten().map(|r| r.difficulty).max();
    if let Some(hardest) = hardest {
        let b = f.state.skill_boundaries.len();
        if b == 0 {
            out.push_str(&format!(
                " Questions reached the {hardest} level, with no skill boundary recorded."
            ));
        } else {
            out.push_str(&format!(
                " Questions reached the {hardest} level, and skill boundaries were recorded in {}.",
                plural(b, "area", "areas")
            ));
        }
    }
    let best = f.skill_scores.iter().max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)));
    let worst = f.skill_scores.iter().min_by(|a, b| a.1.total_cmp(b.1).then_with(|| a.0.cmp(b.0)));
    match (best, worst) {
        (Some((area, _)), _) if f.skill_scores.len() == 1 => {
            out.push_str(&format!(" All answers were on {}.", area_display_name(area)));
        }
        (Some((ba, bs)), Some((wa, ws))) if bs > ws => out.push_str(&format!(
            " The highest-scoring area was {} ({bs}/100) and the lowest {} ({ws}/100).",
            area_display_name(ba),
            area_display_name(wa)
        )),
        (Some((_, score)), _) => {
            out.push_str(&format!(" All {} areas covered scored {score}/100.", f.skill_scores.len()))
        }
        _ => {}
    }
    out
}
