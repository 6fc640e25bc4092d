//! Grounding for a model-backed interviewer (docs/interviews.md#built-in-interviewer: the rubric is also
//! given to the `OpenAI` provider as grounding): the current question's rubric as prompt text, and bank
//! questions the model is shown as style examples for the questions it proposes.
//!
//! Plain text only; the provider decides where it goes in its prompt.

use std::fmt::Write as _;

use super::AskedQuestion;
use crate::domain::bank::{find, for_role, Concept};
use crate::domain::enums::{Difficulty, RoleType};

/// Synonyms listed per concept; enough to pin the meaning down without bloating the prompt.
const SYNONYMS_SHOWN: usize = 4;

/// The rubric that grades an answer to `question`, one concept a line with its weight and a few
/// phrases that count as covering it. A follow-up lists the concept(s) it probes. A question
/// without a known rubric says so, so the model judges from general knowledge.
#[must_use]
pub fn rubric_grounding(question: &AskedQuestion) -> String {
    let Some(rubric) = question.rubric_id.as_deref().and_then(find) else {
        return if question.rubric.is_empty() {
            format!(
                "No rubric for this question: judge technical accuracy from your own knowledge of {}.",
                super::area_display_name(&question.skill_area)
            )
        } else {
            format!("Key concepts a complete answer covers: {}.", question.rubric.join("; "))
        };
    };
    let in_focus = |c: &Concept| question.focus.iter().any(|f| f.trim().eq_ignore_ascii_case(c.name.trim()));
    let focused: Vec<&Concept> = rubric.rubric.iter().filter(|c| in_focus(c)).collect();
    let (intro, concepts): (&str, Vec<&Concept>) = if focused.is_empty() {
        (
            "Key concepts a complete answer covers (relative weight; phrases that count):",
            rubric.rubric.iter().collect(),
        )
    } else {
        (
            "This is a follow-up: grade the answer on these concepts only (relative weight; phrases \
             that count):",
            focused,
        )
    };
    let mut out = String::from(intro);
    for c in concepts {
        let _ = write!(out, "\n- {} ({:.1})", c.name, c.weight);
        let synonyms: Vec<&str> = c.synonyms.iter().take(SYNONYMS_SHOWN).copied().collect();
        if !synonyms.is_empty() {
            let _ = write!(out, ": {}", synonyms.join(", "));
        }
    }
    out
}

/// Texts of the bank's questions for `area` at `level`, as style examples for a model writing a
/// question there. For an area the role's bank does not have, up to three questions at `level`
/// from any area.
#[must_use]
pub fn bank_examples(role: RoleType, area: &str, level: Difficulty) -> Vec<&'static str> {
    let bank = for_role(role);
    let examples: Vec<&'static str> = bank.questions_for(area, level).map(|q| q.text).collect();
    if examples.is_empty() {
        bank.questions.iter().filter(|q| q.level == level).take(3).map(|q| q.text).collect()
    } else {
        examples
    }
}
