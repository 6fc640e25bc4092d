//! The built-in interviewer's question bank: for each role, at least 6 skill areas × 5 levels ×
//! at least 2 questions, each with a rubric (key concepts with synonyms and weights). Facts are
//! written for this project. The rubric drives the built-in evaluation (`score.rs`) and grounds
//! the OpenAI provider.
//!
//! Data lives in one JSON file per role, `crates/core/bank/<role>.json` (the text is about 54 KB
//! of the wasm's gzip size otherwise). Native builds embed the files; the Worker's wasm does not:
//! its glue fetches them once per isolate from the static assets (`scripts/build-web` copies them
//! under `/_internal/bank/`, which the Worker refuses to serve publicly) and hands them to
//! [`install`] before anything reads the bank. The parsed bank is leaked once into `'static`
//! tables, so every reader keeps plain `&'static` references.

pub mod claims;
mod load;
pub mod rubric;
pub mod score;
#[cfg(test)]
mod tests;
mod text;

use super::enums::{Difficulty, RoleType};

/// One rubric concept: an answer covers it when it mentions the name or any synonym
/// (case-insensitive, word-boundary aware; see `score.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concept {
    /// Short label, also used in follow-ups ("you didn't mention {name}").
    pub name: &'static str,
    /// Lower-case phrases that count as covering the concept (the name itself counts too).
    pub synonyms: &'static [&'static str],
    /// Relative weight; a question's weights need not sum to 1.
    pub weight: f64,
    /// Known misconceptions about the concept, as patterns: `+` joins groups that must all
    /// occur in one non-negated sentence, `|` separates alternative phrases of a group
    /// (`"gil + thread safe|threadsafe"`). Claiming one costs accuracy (docs/scoring.md).
    pub misconceptions: &'static [&'static str],
}

/// One bank question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Question {
    /// Stable id, unique across the whole bank, e.g. `react.hooks.fundamental.1`.
    pub id: &'static str,
    pub skill_area: &'static str,
    pub level: Difficulty,
    pub text: &'static str,
    pub rubric: &'static [Concept],
}

/// A role's bank: its skill areas (in the order an interview visits them) and its questions.
#[derive(Debug)]
pub struct RoleBank {
    pub role: RoleType,
    pub skill_areas: &'static [&'static str],
    pub questions: &'static [Question],
}

pub use load::{install, installed, LoadError};

/// The bank for a role (empty before [`install`] in the wasm; see the module docs).
#[must_use]
pub fn for_role(role: RoleType) -> &'static RoleBank {
    load::bank(role)
}

/// Looks a question up by id in any role's bank.
#[must_use]
pub fn find(id: &str) -> Option<&'static Question> {
    RoleType::ALL.iter().flat_map(|r| for_role(*r).questions.iter()).find(|q| q.id == id)
}

impl RoleBank {
    /// Questions for one skill area and level, in bank order.
    pub fn questions_for<'a>(
        &'a self,
        skill_area: &'a str,
        level: Difficulty,
    ) -> impl Iterator<Item = &'static Question> + 'a {
        self.questions.iter().filter(move |q| q.skill_area == skill_area && q.level == level)
    }
}
