//! Test helpers for the engine's unit tests: evaluation builders and a tiny deterministic
//! pseudo-random generator for property-style loops (no external crates; the same seed always
//! yields the same sequence, so a failure is reproducible). Compiled only for tests.

use crate::domain::enums::AnswerQuality;
use crate::domain::evaluation::Evaluation;

/// An evaluation with the given band, accuracy and clarity.
pub(crate) fn eval(quality: AnswerQuality, accuracy: f64, clarity: f64) -> Evaluation {
    Evaluation {
        answer_quality: quality,
        technical_accuracy: accuracy,
        explanation_clarity: clarity,
        identified_skills: vec![],
        skill_area: "hooks".into(),
        missed_concepts: vec![],
        cross_check: None,
    }
}

/// Knuth's MMIX linear congruential generator.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    /// The next 31 well-mixed bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform-ish in `0..bound` (`0` when `bound` is 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next() % bound
        }
    }

    /// In `0.0..=1.0`, in steps of 0.001.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn unit(&mut self) -> f64 {
        self.below(1_001) as f64 / 1_000.0
    }

    /// A random evaluation. `bias` in 0..=1 shifts accuracy and clarity up (a stronger candidate).
    pub(crate) fn evaluation(&mut self, bias: f64) -> Evaluation {
        let quality = AnswerQuality::ALL[self.below(4) as usize];
        let accuracy = (self.unit() + bias).min(1.0);
        let clarity = (self.unit() + bias).min(1.0);
        eval(quality, accuracy, clarity)
    }
}
