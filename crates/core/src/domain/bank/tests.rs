//! Invariants every role's bank must hold (docs/interviews.md#built-in-interviewer), checked generically over
//! `RoleType::ALL` so a new or edited role file is covered automatically.

use std::collections::HashSet;

use super::{find, for_role, Question};
use crate::domain::enums::{Difficulty, RoleType};

/// Single words that would make a synonym match almost any answer.
const TOO_GENERIC: &[&str] = &[
    "a", "an", "the", "and", "or", "is", "it", "to", "of", "in", "on", "for", "with", "i", "you", "we",
    "this", "that", "be", "use", "like", "so", "if", "but", "not", "can", "do",
];

fn all_questions() -> impl Iterator<Item = (RoleType, &'static Question)> {
    RoleType::ALL.iter().flat_map(|r| for_role(*r).questions.iter().map(move |q| (*r, q)))
}

#[test]
fn every_role_has_at_least_six_distinct_skill_areas() {
    for role in RoleType::ALL {
        let bank = for_role(*role);
        assert_eq!(bank.role, *role);
        let distinct: HashSet<_> = bank.skill_areas.iter().collect();
        assert!(bank.skill_areas.len() >= 6, "{role}: {:?}", bank.skill_areas);
        assert_eq!(distinct.len(), bank.skill_areas.len(), "{role}: duplicate skill area");
        for area in bank.skill_areas {
            assert!(
                !area.is_empty()
                    && area.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{role}: skill area {area:?} is not snake_case"
            );
        }
    }
}

#[test]
fn every_area_has_two_questions_at_every_level() {
    for role in RoleType::ALL {
        let bank = for_role(*role);
        for area in bank.skill_areas {
            for level in Difficulty::ALL {
                let n = bank.questions_for(area, *level).count();
                assert!(n >= 2, "{role}: {area} has {n} {level} questions");
            }
        }
    }
}

#[test]
fn every_question_belongs_to_its_role_and_a_declared_area() {
    for (role, q) in all_questions() {
        let bank = for_role(role);
        assert!(bank.skill_areas.contains(&q.skill_area), "{}: area {} not declared", q.id, q.skill_area);
        let mut parts = q.id.split('.');
        assert_eq!(parts.next(), Some(role.as_str()), "{}", q.id);
        assert_eq!(parts.next(), Some(q.skill_area), "{}", q.id);
        assert_eq!(parts.next(), Some(q.level.as_str()), "{}", q.id);
        let n = parts.next().and_then(|n| n.parse::<u32>().ok());
        assert!(n.is_some_and(|n| n >= 1), "{}: id must end in a number", q.id);
        assert_eq!(parts.next(), None, "{}", q.id);
    }
}

#[test]
fn ids_are_unique_and_findable() {
    let mut seen = HashSet::new();
    for (_, q) in all_questions() {
        assert!(seen.insert(q.id), "duplicate id {}", q.id);
        assert_eq!(find(q.id).map(|f| f.id), Some(q.id));
    }
    assert_eq!(find("no.such.question.1"), None);
}

#[test]
fn question_texts_are_unique_and_read_like_questions() {
    let mut seen = HashSet::new();
    for (_, q) in all_questions() {
        let key: String =
            q.text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
        assert!(seen.insert(key), "duplicate question text: {}", q.id);
        let text = q.text.trim();
        assert!(text.len() >= 20, "{}: text too short", q.id);
        assert!(
            text.ends_with('?') || text.ends_with('.'),
            "{}: text should end like a spoken question",
            q.id
        );
    }
}

#[test]
fn rubrics_are_well_formed() {
    for (_, q) in all_questions() {
        assert!((3..=6).contains(&q.rubric.len()), "{}: rubric has {} concepts", q.id, q.rubric.len());
        let mut names = HashSet::new();
        for c in q.rubric {
            assert!(!c.name.trim().is_empty(), "{}: empty concept name", q.id);
            assert!(names.insert(c.name.to_lowercase()), "{}: duplicate concept {}", q.id, c.name);
            assert!(c.weight.is_finite() && c.weight > 0.0, "{}: {} weight", q.id, c.name);
            assert!(c.name.chars().any(char::is_alphanumeric), "{}: name {:?} can never match", q.id, c.name);
            for s in c.synonyms {
                assert_eq!(*s, s.to_lowercase(), "{}: synonym {s:?} is not lower-case", q.id);
                assert_eq!(*s, s.trim(), "{}: synonym {s:?} has outer whitespace", q.id);
                // Operator-only synonyms ("===", "??") are matched literally; anything else
                // needs a letter or digit to be matchable as whole words.
                assert!(
                    s.chars().any(char::is_alphanumeric)
                        || (!s.is_empty() && !s.contains(char::is_whitespace)),
                    "{}: synonym {s:?} can never match",
                    q.id
                );
                assert!(
                    !TOO_GENERIC.contains(s),
                    "{}: synonym {s:?} of {} matches almost anything",
                    q.id,
                    c.name
                );
            }
        }
    }
}
