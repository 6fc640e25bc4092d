//! The rubric as the scorer reads it: one borrowed view over a bank [`Question`] (static tables)
//! and a job's [`CustomQuestion`] (recruiter data), so both are scored, followed up and grounded
//! by the same code (`score.rs`, `claims.rs`; docs/scoring.md).

use super::{Concept, Question};
use crate::domain::enums::Difficulty;
use crate::domain::job::{CustomQuestion, RubricPoint};

/// The prefix of a job question's id wherever it sits beside bank ids (an asked question's
/// `question_id` / `rubric_id`): job ids never contain `:`, bank ids never do either.
pub const JOB_ID_PREFIX: &str = "job:";

/// One concept of a rubric: a label, the phrases that count as covering it, its weight and the
/// patterns of known misconceptions (docs/scoring.md#the-model).
#[derive(Debug, Clone, PartialEq)]
pub struct RubricConcept<'a> {
    pub name: &'a str,
    pub synonyms: Vec<&'a str>,
    pub weight: f64,
    pub misconceptions: Vec<&'a str>,
}

/// A question with its rubric.
#[derive(Debug, Clone, PartialEq)]
pub struct Rubric<'a> {
    /// The id an asked question refers to it by: the bank id, or `job:` + the job question's id.
    pub id: String,
    pub text: &'a str,
    pub skill_area: &'a str,
    pub level: Difficulty,
    pub concepts: Vec<RubricConcept<'a>>,
}

impl<'a> From<&'a Concept> for RubricConcept<'a> {
    fn from(c: &'a Concept) -> Self {
        RubricConcept {
            name: c.name,
            synonyms: c.synonyms.to_vec(),
            weight: c.weight,
            misconceptions: c.misconceptions.to_vec(),
        }
    }
}

impl<'a> From<&'a RubricPoint> for RubricConcept<'a> {
    fn from(p: &'a RubricPoint) -> Self {
        RubricConcept {
            name: &p.point,
            synonyms: p.synonyms.iter().map(String::as_str).collect(),
            weight: p.weight,
            misconceptions: p.misconceptions.iter().map(String::as_str).collect(),
        }
    }
}

impl<'a> From<&'a Question> for Rubric<'a> {
    fn from(q: &'a Question) -> Self {
        Rubric {
            id: q.id.to_owned(),
            text: q.text,
            skill_area: q.skill_area,
            level: q.level,
            concepts: q.rubric.iter().map(RubricConcept::from).collect(),
        }
    }
}

impl<'a> From<&'a CustomQuestion> for Rubric<'a> {
    fn from(q: &'a CustomQuestion) -> Self {
        Rubric {
            id: job_ref(&q.id),
            text: &q.text,
            skill_area: &q.skill_area,
            level: q.level,
            concepts: q.rubric.iter().map(RubricConcept::from).collect(),
        }
    }
}

impl Rubric<'_> {
    /// The concepts' names, in rubric order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.concepts.iter().map(|c| c.name.to_owned()).collect()
    }
}

/// The reference of job question `id` beside bank ids (`job:q1`).
#[must_use]
pub fn job_ref(id: &str) -> String {
    format!("{JOB_ID_PREFIX}{id}")
}

/// The job question id a reference names, if it is a job reference.
#[must_use]
pub fn job_id_of(reference: &str) -> Option<&str> {
    reference.strip_prefix(JOB_ID_PREFIX)
}
