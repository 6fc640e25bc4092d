//! Answers copied from earlier in the interview (docs/scoring.md#the-model): a copy counts for
//! nothing.
//!
//! The session keeps a small fingerprint of every answer (a bottom-k sketch of its distinct,
//! stemmed content words: the [`SKETCH_SIZE`] smallest 32-bit hashes), and an answer whose
//! estimated Jaccard similarity to an earlier one is at least [`COPY_SIMILARITY`] is graded as
//! an empty answer. Short answers (fewer than [`COPY_MIN_WORDS`] content words: "I don't know")
//! are never copies. The same threshold as the `near_duplicate_answers` flag, which staff still
//! see.

use super::Session;
use crate::domain::bank::claims;

/// Hashes kept per answer.
pub const SKETCH_SIZE: usize = 32;
/// Estimated Jaccard similarity from which an answer is a copy.
pub const COPY_SIMILARITY: f64 = 0.8;
/// Content words an answer needs before it can be a copy.
pub const COPY_MIN_WORDS: usize = 6;

fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// The sketch of `answer`, or `None` for one too short to count.
#[must_use]
pub fn sketch(answer: &str) -> Option<Vec<u32>> {
    let words = claims::content_words(answer);
    if words.len() < COPY_MIN_WORDS {
        return None;
    }
    let mut hashes: Vec<u32> = words.iter().map(|w| fnv32(w)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH_SIZE);
    Some(hashes)
}

/// The bottom-k estimate of the Jaccard similarity of the sets two sketches were taken from.
#[must_use]
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    let mut union: Vec<u32> = a.iter().chain(b).copied().collect();
    union.sort_unstable();
    union.dedup();
    union.truncate(SKETCH_SIZE);
    if union.is_empty() {
        return 0.0;
    }
    let both = union.iter().filter(|h| a.binary_search(h).is_ok() && b.binary_search(h).is_ok()).count();
    #[allow(clippy::cast_precision_loss)] // at most SKETCH_SIZE
    let share = both as f64 / union.len() as f64;
    share
}

impl Session {
    /// Whether `answer` copies an earlier answer of this interview (module docs).
    #[must_use]
    pub fn is_copy(&self, answer: &str) -> bool {
        sketch(answer)
            .is_some_and(|s| self.answer_sketches.iter().any(|e| similarity(&s, e) >= COPY_SIMILARITY))
    }

    /// Records `answer` for later copy checks (call once per answered turn).
    pub fn remember_answer(&mut self, answer: &str) {
        if let Some(s) = sketch(answer) {
            self.answer_sketches.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::RoleType;

    const ANSWER: &str = "A closure keeps a reference to the variables of the scope it was created \
        in, so a counter returned from a factory function still sees its count after the factory returns.";

    #[test]
    fn a_copied_answer_is_recognised_and_a_different_one_is_not() {
        let mut s = Session::start("copies-1", RoleType::Javascript, None);
        assert!(!s.is_copy(ANSWER));
        s.remember_answer(ANSWER);
        assert!(s.is_copy(ANSWER));
        assert!(s.is_copy(&format!("So, {ANSWER}")));
        assert!(!s.is_copy(
            "The event loop takes the next task from the queue once the call stack is empty, then \
             drains every microtask before rendering."
        ));
        s.remember_answer("I don't know, sorry.");
        assert!(!s.is_copy("I don't know, sorry."), "short answers are never copies");
    }

    #[test]
    fn a_copy_is_graded_as_an_empty_answer() {
        let mut s = Session::start("copies-2", RoleType::Javascript, None);
        s.remember_answer(ANSWER);
        let e = s.evaluate_builtin(ANSWER);
        assert_eq!(e, s.evaluate_builtin(""));
        assert!((similarity(&[1, 2, 3], &[1, 2, 3]) - 1.0).abs() < 1e-9);
        assert!(similarity(&[1, 2], &[3, 4]) < 1e-9);
    }
}
