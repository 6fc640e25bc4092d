//! The engine's state of one interview, stored as JSON by the interview's Durable Object (and
//! snapshotted to D1 as `progression_state`).
//!
//! It holds everything the rules need between turns (level, counters, the recent window, the
//! skill-area plan and its position, boundaries) plus the evidence the assessment needs (every
//! answer's composite and level per skill area, with the message sequence number) and the running
//! cost. It must not hold the message log itself (the DO stores messages) nor anything clocked.
//!
//! Reading is defensive: the seed's engine crashed when a key was missing from its stored state,
//! so every field has a default (`#[serde(default)]`), unknown keys are ignored (forward
//! compatible), and [`InterviewState::repair`] restores the invariants a hand-edited or older
//! snapshot could break. Mutation happens only through the engine (`pub(super)` methods driven by
//! `apply_answer`), so a caller cannot, say, record an answer without the rules seeing it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::completion::estimate_total_questions;
use super::cost::CostBreakdown;
use super::memory::FittedMemory;
use super::progression::{choose_next_skill_area, AreaStatus, RECENT_WINDOW};
use super::EngineLimits;
use crate::domain::enums::{AnswerQuality, BoundaryType, Difficulty};

/// Version of the stored shape; bump it when a change needs a migration in `repair`.
pub const STATE_VERSION: u32 = 1;

/// The area used when an interview was created without any.
pub const FALLBACK_SKILL_AREA: &str = "general";

/// Where a candidate's level ends in one skill area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillBoundary {
    pub skill_area: String,
    /// The level the candidate could not sustain.
    pub boundary_level: Difficulty,
    pub boundary_type: BoundaryType,
    /// Number of the question whose answer revealed it.
    pub at_question: u32,
}

/// One evaluated answer, as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerRecord {
    /// Sequence number of the candidate's message (cited as evidence by the assessment).
    pub answer_seq: u32,
    /// Number of the question it answered (1-based).
    pub question_number: u32,
    /// Level of that question.
    pub difficulty: Difficulty,
    pub composite: f64,
    pub answer_quality: AnswerQuality,
}

/// A change of level, for logs and the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelTransition {
    pub from: Difficulty,
    pub to: Difficulty,
    /// Number of the question whose answer caused it.
    pub at_question: u32,
}

/// The live state of one interview's engine. Fields are public for reading and serialisation;
/// change it through [`super::apply_answer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InterviewState {
    pub version: u32,
    /// Level of the next question.
    pub current_difficulty: Difficulty,
    /// Answers evaluated so far (the next question is number `questions_asked + 1`).
    pub questions_asked: u32,
    pub warmup_answered: u32,
    /// The interview's skill areas in the order they are explored; never empty.
    pub skill_areas: Vec<String>,
    /// Index in `skill_areas` of the area of the next question.
    pub current_skill_index: usize,
    /// Answers given on the current area in a row (rule 4's visit).
    pub answers_in_visit: u32,
    /// Every answer, per skill area.
    pub skill_history: BTreeMap<String, Vec<AnswerRecord>>,
    /// Composites at the current level since it was entered or a boundary was recorded, most
    /// recent last, at most `RECENT_WINDOW` (see `progression`).
    pub recent_composites: Vec<f64>,
    /// `poor` answers in a row at the current level.
    pub consecutive_poor: u32,
    /// At most one per skill area.
    pub skill_boundaries: Vec<SkillBoundary>,
    /// Areas with at least one answer, in the order first answered.
    pub skills_explored: Vec<String>,
    /// Areas without an answer yet, in interview order.
    pub skills_pending: Vec<String>,
    pub level_transitions: Vec<LevelTransition>,
    pub cost: CostBreakdown,
    /// Model calls whose conversation memory had to leave messages out.
    pub memory_truncations: u32,
}

impl Default for InterviewState {
    fn default() -> Self {
        InterviewState::new(Vec::new())
    }
}

impl InterviewState {
    /// A fresh interview over `skill_areas` (trimmed, blanks and duplicates dropped, order kept;
    /// [`FALLBACK_SKILL_AREA`] when none is left). Its first question is #1, `warmup`, on the
    /// first area.
    #[must_use]
    pub fn new(skill_areas: Vec<String>) -> Self {
        let mut state = InterviewState {
            version: STATE_VERSION,
            current_difficulty: Difficulty::Warmup,
            questions_asked: 0,
            warmup_answered: 0,
            skill_areas,
            current_skill_index: 0,
            answers_in_visit: 0,
            skill_history: BTreeMap::new(),
            recent_composites: Vec::new(),
            consecutive_poor: 0,
            skill_boundaries: Vec::new(),
            skills_explored: Vec::new(),
            skills_pending: Vec::new(),
            level_transitions: Vec::new(),
            cost: CostBreakdown::default(),
            memory_truncations: 0,
        };
        state.repair();
        state
    }

    /// Restores the invariants after reading a stored snapshot (idempotent; [`super::apply_answer`]
    /// calls it first): a clean, non-empty area list, an in-range area index, explored/pending
    /// consistent with the list and the history, a bounded window, the current version.
    pub fn repair(&mut self) {
        let mut areas: Vec<String> = Vec::with_capacity(self.skill_areas.len());
        for area in &self.skill_areas {
            let area = area.trim();
            if !area.is_empty() && !areas.iter().any(|a| a == area) {
                areas.push(area.to_owned());
            }
        }
        if areas.is_empty() {
            areas.push(FALLBACK_SKILL_AREA.to_owned());
        }
        self.skill_areas = areas;
        if self.current_skill_index >= self.skill_areas.len() {
            self.current_skill_index = 0;
        }
        // Explored: what was, plus any area with history; pending: the rest of the plan.
        for area in self.skill_history.keys() {
            if !self.skills_explored.contains(area) {
                self.skills_explored.push(area.clone());
            }
        }
        let explored = &self.skills_explored;
        self.skills_pending = self.skill_areas.iter().filter(|a| !explored.contains(a)).cloned().collect();
        let excess = self.recent_composites.len().saturating_sub(RECENT_WINDOW);
        self.recent_composites.drain(..excess);
        self.version = STATE_VERSION;
    }

    /// The skill area of the next question.
    #[must_use]
    pub fn current_skill_area(&self) -> &str {
        self.skill_areas
            .get(self.current_skill_index)
            .or_else(|| self.skill_areas.first())
            .map_or(FALLBACK_SKILL_AREA, String::as_str)
    }

    /// Number of the next question (the first is #1).
    #[must_use]
    pub fn next_question_number(&self) -> u32 {
        self.questions_asked.saturating_add(1)
    }

    /// Boundaries found so far (one per skill area at most).
    #[must_use]
    pub fn boundary_count(&self) -> u32 {
        u32::try_from(self.skill_boundaries.len()).unwrap_or(u32::MAX)
    }

    /// The boundary recorded for `skill_area`, if any.
    #[must_use]
    pub fn boundary_for(&self, skill_area: &str) -> Option<&SkillBoundary> {
        self.skill_boundaries.iter().find(|b| b.skill_area == skill_area)
    }

    /// `total_questions` for an interview in progress (e.g. the `/start` response): see
    /// [`estimate_total_questions`].
    #[must_use]
    pub fn total_questions(&self, limits: &EngineLimits) -> u32 {
        estimate_total_questions(self.questions_asked, self.boundary_count(), limits)
    }

    /// Counts a model call whose memory was truncated. One per call, not per message: the memory
    /// is re-fitted from the full log on every call, so the same old messages are left out again
    /// and again; summing them would count each one many times.
    pub fn record_memory_fit(&mut self, fit: &FittedMemory) {
        if fit.truncated() {
            self.memory_truncations = self.memory_truncations.saturating_add(1);
        }
    }

    /// Records an evaluated answer on `skill_area` at `level` (the level of the question actually
    /// asked); returns its question number. Does not apply any rule.
    pub(super) fn record_answer(
        &mut self,
        skill_area: &str,
        level: Difficulty,
        answer_seq: u32,
        composite: f64,
        quality: AnswerQuality,
    ) -> u32 {
        self.questions_asked = self.questions_asked.saturating_add(1);
        let question_number = self.questions_asked;
        if self.current_difficulty == Difficulty::Warmup {
            self.warmup_answered = self.warmup_answered.saturating_add(1);
        }
        self.skill_history.entry(skill_area.to_owned()).or_default().push(AnswerRecord {
            answer_seq,
            question_number,
            difficulty: level,
            composite,
            answer_quality: quality,
        });
        if !self.skills_explored.iter().any(|a| a == skill_area) {
            self.skills_explored.push(skill_area.to_owned());
        }
        self.skills_pending.retain(|a| a != skill_area);
        self.answers_in_visit = self.answers_in_visit.saturating_add(1);
        question_number
    }

    /// Records a boundary at `level` on `skill_area`. An area keeps one boundary: a new one
    /// replaces it only if it is at a lower level (the limit turned out lower). Returns the
    /// boundary as recorded if anything changed.
    pub(super) fn record_boundary(
        &mut self,
        skill_area: &str,
        level: Difficulty,
        at_question: u32,
    ) -> Option<SkillBoundary> {
        let boundary = SkillBoundary {
            skill_area: skill_area.to_owned(),
            boundary_level: level,
            boundary_type: BoundaryType::UpperLimit,
            at_question,
        };
        match self.skill_boundaries.iter_mut().find(|b| b.skill_area == skill_area) {
            Some(existing) if level < existing.boundary_level => {
                *existing = boundary.clone();
                Some(boundary)
            }
            Some(_) => None,
            None => {
                self.skill_boundaries.push(boundary.clone());
                Some(boundary)
            }
        }
    }

    /// Moves to `level` after the answer with `composite`/`quality` (question `at_question`),
    /// keeping the recent window and the poor-answer run: both restart when the level changes or
    /// a boundary was found, and otherwise take in this answer.
    pub(super) fn advance(
        &mut self,
        level: Difficulty,
        boundary: bool,
        composite: f64,
        quality: AnswerQuality,
        at_question: u32,
    ) {
        if level != self.current_difficulty {
            self.level_transitions.push(LevelTransition {
                from: self.current_difficulty,
                to: level,
                at_question,
            });
            self.current_difficulty = level;
            self.recent_composites.clear();
            self.consecutive_poor = 0;
        } else if boundary {
            self.recent_composites.clear();
            self.consecutive_poor = 0;
        } else {
            self.recent_composites.push(composite);
            let excess = self.recent_composites.len().saturating_sub(RECENT_WINDOW);
            self.recent_composites.drain(..excess);
            self.consecutive_poor =
                if quality == AnswerQuality::Poor { self.consecutive_poor.saturating_add(1) } else { 0 };
        }
    }

    /// Moves the next question to the next skill area (rule 4) and starts a new visit.
    pub(super) fn move_to_next_skill_area(&mut self) {
        let statuses: Vec<AreaStatus> = self
            .skill_areas
            .iter()
            .map(|area| AreaStatus {
                explored: self.skills_explored.contains(area),
                has_boundary: self.boundary_for(area).is_some(),
            })
            .collect();
        self.current_skill_index = choose_next_skill_area(&statuses, self.current_skill_index);
        self.answers_in_visit = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn areas(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_new_interview_starts_at_warmup_on_the_first_area() {
        let s = InterviewState::new(areas(&["hooks", "state", "performance"]));
        assert_eq!(s.current_difficulty, Difficulty::Warmup);
        assert_eq!(s.questions_asked, 0);
        assert_eq!(s.next_question_number(), 1);
        assert_eq!(s.current_skill_area(), "hooks");
        assert_eq!(s.skills_pending, areas(&["hooks", "state", "performance"]));
        assert!(s.skills_explored.is_empty() && s.skill_boundaries.is_empty());
        assert_eq!(s.total_questions(&EngineLimits::default()), 16);
    }

    #[test]
    fn areas_are_cleaned_and_never_empty() {
        let s = InterviewState::new(areas(&[" hooks ", "", "hooks", "state", "  "]));
        assert_eq!(s.skill_areas, areas(&["hooks", "state"]));
        let s = InterviewState::new(Vec::new());
        assert_eq!(s.skill_areas, areas(&[FALLBACK_SKILL_AREA]));
        assert_eq!(s.current_skill_area(), FALLBACK_SKILL_AREA);
    }

    #[test]
    fn boundaries_are_one_per_area_and_only_ever_lowered() {
        let mut s = InterviewState::new(areas(&["a", "b"]));
        let first = s.record_boundary("a", Difficulty::Advanced, 5);
        assert_eq!(
            first.map(|b| (b.boundary_level, b.boundary_type, b.at_question)),
            Some((Difficulty::Advanced, BoundaryType::UpperLimit, 5))
        );
        assert_eq!(s.record_boundary("a", Difficulty::Advanced, 7), None);
        assert_eq!(s.record_boundary("a", Difficulty::Expert, 8), None);
        let lowered = s.record_boundary("a", Difficulty::Intermediate, 9);
        assert_eq!(lowered.map(|b| b.at_question), Some(9));
        assert!(s.record_boundary("b", Difficulty::Fundamental, 10).is_some());
        assert_eq!(s.boundary_count(), 2);
        assert_eq!(s.boundary_for("a").map(|b| b.boundary_level), Some(Difficulty::Intermediate));
    }

    #[test]
    fn memory_truncations_count_calls_not_messages() {
        let mut s = InterviewState::default();
        let fit = |dropped| FittedMemory {
            kept: vec![],
            dropped,
            estimated_tokens: 0,
            budget_tokens: 0,
            over_budget: false,
        };
        s.record_memory_fit(&fit(0));
        s.record_memory_fit(&fit(12));
        s.record_memory_fit(&fit(3));
        assert_eq!(s.memory_truncations, 2);
    }

    #[test]
    fn stored_state_round_trips_and_missing_keys_take_defaults() {
        let mut s = InterviewState::new(areas(&["hooks", "state"]));
        let q = s.record_answer("hooks", Difficulty::Warmup, 2, 0.7, AnswerQuality::Good);
        s.advance(Difficulty::Warmup, false, 0.7, AnswerQuality::Good, q);
        s.record_boundary("hooks", Difficulty::Intermediate, 1);
        s.cost.llm_micros = 42;
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(serde_json::from_str::<InterviewState>(&json).ok(), Some(s));

        // The seed crashed on missing keys; here they default and `repair` restores invariants.
        let partial = r#"{"skill_areas":["hooks","state"],"current_difficulty":"intermediate",
            "current_skill_index":9,"questions_asked":4,"recent_composites":[0.1,0.2,0.3,0.4,0.5],
            "skill_history":{"hooks":[{"answer_seq":2,"question_number":1,"difficulty":"warmup",
            "composite":0.5,"answer_quality":"fair"}]},"some_future_key":true}"#;
        let parsed: Option<InterviewState> = serde_json::from_str(partial).ok();
        let mut s = parsed.unwrap_or_default();
        s.repair();
        assert_eq!(s.current_difficulty, Difficulty::Intermediate);
        assert_eq!(s.questions_asked, 4);
        assert_eq!(s.current_skill_area(), "hooks");
        assert_eq!(s.skills_explored, areas(&["hooks"]));
        assert_eq!(s.skills_pending, areas(&["state"]));
        assert_eq!(s.recent_composites, vec![0.3, 0.4, 0.5]);
        let once = s.clone();
        s.repair();
        assert_eq!(s, once, "repair is idempotent");

        let empty: Option<InterviewState> = serde_json::from_str("{}").ok();
        assert_eq!(empty, Some(InterviewState::default()));
    }
}
