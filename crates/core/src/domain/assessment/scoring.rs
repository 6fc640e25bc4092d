//! The assessment's numbers (docs/interviews.md#assessments), from the engine's per-area answer records
//! alone.
//!
//! * An answer scores `composite × 100` (composite as the engine recorded it, clamped to 0..=1).
//! * A set of answers scores the mean of those, weighted by each answer's level
//!   ([`difficulty_weight`]: warmup 0.5, fundamental 1, intermediate 1.5, advanced 2, expert
//!   2.5), so one expert answer counts as much as five warmup answers. No other adjustment is
//!   applied: the adaptive engine already steers every candidate towards their limit, and the
//!   level reached is reported separately by the boundary map. `overall_score` is that mean over
//!   every answer, `skill_scores` over each area's answers; rounded to one decimal. In a job's
//!   interview, `overall_score` also weights each answer by its area's weight in the job
//!   ([`overall_score_weighted`]); `skill_scores` are per area, so unaffected.
//! * An answer **passes** its level when its quality is `good` or `excellent` and its composite
//!   is at least [`PASS_COMPOSITE`] (between the engine's "struggling" mark 0.55 and its "climb"
//!   mark 0.75). It is **weak** when its quality is `poor` or its composite is below
//!   [`WEAK_COMPOSITE`] (the engine's down threshold).
//! * `skill_boundary_map[area]`: `highest_level_passed` is the highest level with a passing
//!   answer in the area (`null` if none); `boundary_level` is the engine's recorded upper-limit
//!   boundary for the area (`null` if none).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::engine::state::{AnswerRecord, InterviewState};
use crate::domain::enums::{AnswerQuality, Difficulty};
use crate::domain::evaluation::clamp01;

/// A passing answer's minimum composite.
pub const PASS_COMPOSITE: f64 = 0.65;

/// A weak answer's composite is below this.
pub const WEAK_COMPOSITE: f64 = 0.5;

/// How much an answer at `level` counts in a score.
#[must_use]
pub const fn difficulty_weight(level: Difficulty) -> f64 {
    match level {
        Difficulty::Warmup => 0.5,
        Difficulty::Fundamental => 1.0,
        Difficulty::Intermediate => 1.5,
        Difficulty::Advanced => 2.0,
        Difficulty::Expert => 2.5,
    }
}

/// Where a candidate stands in one skill area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundaryEntry {
    pub highest_level_passed: Option<Difficulty>,
    pub boundary_level: Option<Difficulty>,
}

/// Whether an answer passes its level.
#[must_use]
pub fn passed(record: &AnswerRecord) -> bool {
    matches!(record.answer_quality, AnswerQuality::Good | AnswerQuality::Excellent)
        && clamp01(record.composite) >= PASS_COMPOSITE
}

/// Whether an answer is weak.
#[must_use]
pub fn is_weak(record: &AnswerRecord) -> bool {
    record.answer_quality == AnswerQuality::Poor || clamp01(record.composite) < WEAK_COMPOSITE
}

/// Rounds to one decimal.
#[must_use]
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The difficulty-weighted mean of `composite × 100`, 0..=100 to one decimal; `None` without
/// answers.
#[must_use]
pub fn weighted_score<'a>(records: impl IntoIterator<Item = &'a AnswerRecord>) -> Option<f64> {
    let (mut sum, mut weights) = (0.0, 0.0);
    for r in records {
        let w = difficulty_weight(r.difficulty);
        sum += w * clamp01(r.composite) * 100.0;
        weights += w;
    }
    (weights > 0.0).then(|| round1((sum / weights).clamp(0.0, 100.0)))
}

/// `overall_score`: every answer of the interview (0 without answers).
#[must_use]
pub fn overall_score(state: &InterviewState) -> f64 {
    overall_score_weighted(state, |_| 1.0)
}

/// [`overall_score`] with each answer also weighted by its skill area's weight (a job's
/// `skill_areas[].weight`): the mean of `composite × 100` weighted by level weight × area
/// weight. Equal area weights give [`overall_score`]; an area of weight 0 (or below) does not
/// count, unless no area counts (then the unweighted score).
#[must_use]
pub fn overall_score_weighted(state: &InterviewState, area_weight: impl Fn(&str) -> f64) -> f64 {
    let (mut sum, mut weights) = (0.0, 0.0);
    for (area, records) in &state.skill_history {
        let a = area_weight(area).max(0.0);
        for r in records {
            let w = difficulty_weight(r.difficulty) * a;
            sum += w * clamp01(r.composite) * 100.0;
            weights += w;
        }
    }
    if weights > 0.0 {
        round1((sum / weights).clamp(0.0, 100.0))
    } else {
        weighted_score(state.skill_history.values().flatten()).unwrap_or(0.0)
    }
}

/// `skill_scores`: each area with at least one answer.
#[must_use]
pub fn skill_scores(state: &InterviewState) -> BTreeMap<String, f64> {
    state
        .skill_history
        .iter()
        .filter_map(|(area, records)| weighted_score(records).map(|s| (area.clone(), s)))
        .collect()
}

/// `skill_boundary_map`: each area with an answer or a boundary.
#[must_use]
pub fn boundary_map(state: &InterviewState) -> BTreeMap<String, BoundaryEntry> {
    let mut map: BTreeMap<String, BoundaryEntry> = state
        .skill_history
        .iter()
        .filter(|(_, records)| !records.is_empty())
        .map(|(area, records)| {
            let highest_level_passed = records.iter().filter(|r| passed(r)).map(|r| r.difficulty).max();
            let boundary_level = state.boundary_for(area).map(|b| b.boundary_level);
            (area.clone(), BoundaryEntry { highest_level_passed, boundary_level })
        })
        .collect();
    for b in &state.skill_boundaries {
        map.entry(b.skill_area.clone())
            .or_insert(BoundaryEntry { highest_level_passed: None, boundary_level: Some(b.boundary_level) });
    }
    map
}
