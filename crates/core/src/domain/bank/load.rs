//! Loading the bank's JSON files (`crates/core/bank/<role>.json`) into the `'static` tables the
//! rest of the core reads.
//!
//! Native builds embed the files and load them on first use. The wasm does not embed them: the
//! platform glue calls [`install`] with each file's text (fetched once per isolate) before the
//! first request that may read the bank. Until then [`bank`] answers an empty bank for the role,
//! which the glue never lets a request see (it fails the request instead).

use std::sync::OnceLock;

use serde::Deserialize;

use super::{Concept, Question, RoleBank};
use crate::domain::enums::{Difficulty, RoleType};

/// One role's file, as written on disk.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    role: RoleType,
    skill_areas: Vec<String>,
    questions: Vec<QuestionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    id: String,
    skill_area: String,
    level: Difficulty,
    text: String,
    rubric: Vec<ConceptFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptFile {
    name: String,
    weight: f64,
    synonyms: Vec<String>,
    #[serde(default)]
    misconceptions: Vec<String>,
}

/// Why a bank file was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// Not JSON in the expected shape.
    Malformed(String),
    /// The file's `role` is not the role it was installed for.
    WrongRole { expected: RoleType, found: RoleType },
    /// A question's skill area is not one of the role's areas, or the role has no questions.
    Inconsistent(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Malformed(why) => write!(f, "bank file is malformed: {why}"),
            LoadError::WrongRole { expected, found } => {
                write!(f, "bank file for {found} installed as {expected}")
            }
            LoadError::Inconsistent(why) => write!(f, "bank file is inconsistent: {why}"),
        }
    }
}

const ROLES: usize = 4;

fn slot(role: RoleType) -> usize {
    match role {
        RoleType::React => 0,
        RoleType::Python => 1,
        RoleType::Javascript => 2,
        RoleType::Fullstack => 3,
    }
}

static BANKS: [OnceLock<RoleBank>; ROLES] =
    [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_all(texts: Vec<String>) -> &'static [&'static str] {
    Box::leak(texts.into_iter().map(leak).collect::<Vec<_>>().into_boxed_slice())
}

/// Parses and checks one role's file without installing it.
fn parse(role: RoleType, json: &str) -> Result<RoleFile, LoadError> {
    let file: RoleFile = serde_json::from_str(json).map_err(|e| LoadError::Malformed(e.to_string()))?;
    if file.role != role {
        return Err(LoadError::WrongRole { expected: role, found: file.role });
    }
    if file.questions.is_empty() {
        return Err(LoadError::Inconsistent(format!("{role} has no questions")));
    }
    if let Some(q) = file.questions.iter().find(|q| !file.skill_areas.contains(&q.skill_area)) {
        return Err(LoadError::Inconsistent(format!(
            "{} names the unknown skill area {}",
            q.id, q.skill_area
        )));
    }
    Ok(file)
}

fn build(file: RoleFile) -> RoleBank {
    let questions: Vec<Question> = file
        .questions
        .into_iter()
        .map(|q| Question {
            id: leak(q.id),
            skill_area: leak(q.skill_area),
            level: q.level,
            text: leak(q.text),
            rubric: Box::leak(
                q.rubric
                    .into_iter()
                    .map(|c| Concept {
                        name: leak(c.name),
                        synonyms: leak_all(c.synonyms),
                        weight: c.weight,
                        misconceptions: leak_all(c.misconceptions),
                    })
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
        })
        .collect();
    RoleBank {
        role: file.role,
        skill_areas: leak_all(file.skill_areas),
        questions: Box::leak(questions.into_boxed_slice()),
    }
}

/// Installs one role's bank from its file's text. Installing a role twice keeps the first (the
/// tables are immutable once read); the second call still checks its input.
///
/// # Errors
/// [`LoadError`] when the text is not a valid bank file for `role`.
pub fn install(role: RoleType, json: &str) -> Result<(), LoadError> {
    let cell = &BANKS[slot(role)];
    if cell.get().is_some() {
        return parse(role, json).map(|_| ());
    }
    let file = parse(role, json)?;
    // A concurrent install may win the race; either value came from a checked file.
    let _ = cell.set(build(file));
    Ok(())
}

/// Whether every role's bank is installed (always true natively once read).
#[must_use]
pub fn installed() -> bool {
    RoleType::ALL.iter().all(|role| BANKS[slot(*role)].get().is_some())
}

#[cfg(not(target_arch = "wasm32"))]
fn embedded(role: RoleType) -> &'static str {
    match role {
        RoleType::React => include_str!("../../../bank/react.json"),
        RoleType::Python => include_str!("../../../bank/python.json"),
        RoleType::Javascript => include_str!("../../../bank/javascript.json"),
        RoleType::Fullstack => include_str!("../../../bank/fullstack.json"),
    }
}

static EMPTY: [RoleBank; ROLES] = [
    RoleBank { role: RoleType::React, skill_areas: &[], questions: &[] },
    RoleBank { role: RoleType::Python, skill_areas: &[], questions: &[] },
    RoleBank { role: RoleType::Javascript, skill_areas: &[], questions: &[] },
    RoleBank { role: RoleType::Fullstack, skill_areas: &[], questions: &[] },
];

/// The installed bank for `role`: natively the embedded file, loaded on first use; in the wasm
/// whatever [`install`] was given, else an empty bank.
pub(super) fn bank(role: RoleType) -> &'static RoleBank {
    let cell = &BANKS[slot(role)];
    #[cfg(not(target_arch = "wasm32"))]
    if cell.get().is_none() {
        if let Err(e) = install(role, embedded(role)) {
            // The embedded files are checked by this module's tests; a broken one is a build defect.
            panic!("embedded question bank: {e}");
        }
    }
    cell.get().unwrap_or(&EMPTY[slot(role)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses_for_its_own_role_only() {
        for role in RoleType::ALL {
            assert!(parse(*role, embedded(*role)).is_ok(), "{role}");
            for other in RoleType::ALL.iter().filter(|r| *r != role) {
                assert!(
                    matches!(parse(*other, embedded(*role)), Err(LoadError::WrongRole { .. })),
                    "{role} as {other}"
                );
            }
        }
        for role in RoleType::ALL {
            assert_eq!(bank(*role).role, *role);
            assert!(!bank(*role).questions.is_empty());
        }
        assert!(installed());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert!(matches!(install(RoleType::React, "not json"), Err(LoadError::Malformed(_))));
        assert!(matches!(
            install(RoleType::React, r#"{"role":"react","skill_areas":["a"],"questions":[]}"#),
            Err(LoadError::Inconsistent(_))
        ));
        let stray = r#"{"role":"react","skill_areas":["a"],"questions":[{"id":"x","skill_area":"b",
            "level":"warmup","text":"t","rubric":[]}]}"#;
        assert!(matches!(install(RoleType::React, stray), Err(LoadError::Inconsistent(_))));
        let extra = r#"{"role":"react","skill_areas":[],"questions":[],"answers":[]}"#;
        assert!(matches!(install(RoleType::React, extra), Err(LoadError::Malformed(_))));
        // A refused file never replaces the bank.
        assert!(!for_role_is_empty(RoleType::React));
    }

    fn for_role_is_empty(role: RoleType) -> bool {
        bank(role).questions.is_empty()
    }
}
