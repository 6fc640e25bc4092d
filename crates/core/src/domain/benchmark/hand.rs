//! The benchmark's hand-written answers (`crates/core/benchdata/<role>.json`) and its held-out
//! split (docs/scoring.md#benchmark).
//!
//! Every bank question has six answers written by people from the question text alone, without
//! seeing the rubric: a strong one and what that candidate adds when pressed (`strong_more`), a
//! partial one and its follow-up (`partial_more`), a weak (vague, hedging) one and a fluent,
//! confident but wrong one. The files are data of the benchmark only: `include_str!` here, and
//! this module is native-only, so none of it reaches the Worker's wasm.
//!
//! **Held-out split.** Within every (role, skill area, level) group of bank questions, half of
//! them (rounded up), chosen by a hash of the id, are *held out*; the rest are the *dev* half.
//! Scorer changes may be checked against the dev half's per-question scores
//! (`cargo run -p interview-core --example scoring_benchmark -- --dev`); the held-out half is only
//! ever reported in aggregate, and the acceptance thresholds are asserted on it as well as on
//! the whole bank.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::bank::{for_role, Question};
use crate::domain::enums::RoleType;

/// One question's hand-written answers.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct HandAnswers {
    pub id: String,
    pub strong: String,
    pub strong_more: String,
    pub partial: String,
    pub partial_more: String,
    pub weak: String,
    pub wrong: String,
}

const FILES: &[(RoleType, &str)] = &[
    (RoleType::Javascript, include_str!("../../../benchdata/javascript.json")),
    (RoleType::Python, include_str!("../../../benchdata/python.json")),
    (RoleType::React, include_str!("../../../benchdata/react.json")),
    (RoleType::Fullstack, include_str!("../../../benchdata/fullstack.json")),
];

/// Every hand-written answer set, by question id.
///
/// # Panics
/// When a data file is not valid JSON of the expected shape (a broken commit, caught by the tests).
#[must_use]
pub fn answers() -> &'static HashMap<String, HandAnswers> {
    static MAP: OnceLock<HashMap<String, HandAnswers>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for (role, text) in FILES {
            let list: Vec<HandAnswers> = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("crates/core/benchdata/{role}.json: {e}"));
            for a in list {
                map.insert(a.id.clone(), a);
            }
        }
        map
    })
}

/// The hand-written answers to question `id`.
#[must_use]
pub fn get(id: &str) -> Option<&'static HandAnswers> {
    answers().get(id)
}

/// A small deterministic hash (FNV-1a), for the split.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether `q` is in the held-out half (module docs).
#[must_use]
pub fn is_held_out(q: &Question) -> bool {
    let role = RoleType::ALL.iter().copied().find(|r| q.id.starts_with(r.as_str()));
    let Some(role) = role else { return false };
    let mut group: Vec<&Question> = for_role(role).questions_for(q.skill_area, q.level).collect();
    group.sort_by_key(|g| (hash(g.id), g.id));
    let held = group.len().div_ceil(2);
    group.iter().take(held).any(|g| g.id == q.id)
}

/// Which questions a figure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Split {
    HeldOut,
    Dev,
    All,
}

impl Split {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Split::HeldOut => "held-out",
            Split::Dev => "dev",
            Split::All => "all",
        }
    }

    /// Whether `q` belongs to this split.
    #[must_use]
    pub fn contains(self, q: &Question) -> bool {
        match self {
            Split::All => true,
            Split::HeldOut => is_held_out(q),
            Split::Dev => !is_held_out(q),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bank_question_has_hand_written_answers() {
        for role in RoleType::ALL {
            for q in for_role(*role).questions {
                let Some(a) = get(q.id) else { panic!("no hand-written answers for {}", q.id) };
                for (kind, text) in [
                    ("strong", &a.strong),
                    ("strong_more", &a.strong_more),
                    ("partial", &a.partial),
                    ("partial_more", &a.partial_more),
                    ("weak", &a.weak),
                    ("wrong", &a.wrong),
                ] {
                    assert!(text.split_whitespace().count() >= 3, "{} {kind}: {text:?}", q.id);
                }
            }
        }
    }

    #[test]
    fn the_split_halves_every_group() {
        let mut held = 0;
        let mut all = 0;
        for role in RoleType::ALL {
            let bank = for_role(*role);
            for area in bank.skill_areas {
                for level in crate::domain::enums::Difficulty::ALL {
                    let group: Vec<&Question> = bank.questions_for(area, *level).collect();
                    let h = group.iter().filter(|q| is_held_out(q)).count();
                    assert_eq!(h, group.len().div_ceil(2), "{role} {area} {level}");
                    held += h;
                    all += group.len();
                }
            }
        }
        assert!(held * 2 >= all && held * 2 <= all + 60, "{held} of {all}");
    }
}
