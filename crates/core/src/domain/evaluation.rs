//! The evaluation of one candidate answer: what every provider (built-in rubric scoring, an
//! OpenAI structured output, a Realtime tool call) produces and the engine consumes
//! (docs/interviews.md#difficulty-progression).

use serde::{Deserialize, Serialize};

use super::enums::AnswerQuality;

impl AnswerQuality {
    /// The quality score used in the composite (docs/interviews.md#difficulty-progression).
    #[must_use]
    pub const fn score(self) -> f64 {
        match self {
            AnswerQuality::Excellent => 1.0,
            AnswerQuality::Good => 0.75,
            AnswerQuality::Fair => 0.5,
            AnswerQuality::Poor => 0.2,
        }
    }
}

/// One answer's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub answer_quality: AnswerQuality,
    /// 0..=1
    pub technical_accuracy: f64,
    /// 0..=1
    pub explanation_clarity: f64,
    pub identified_skills: Vec<String>,
    pub skill_area: String,
    /// Rubric concepts the answer did not cover (drives follow-up questions); may be empty.
    #[serde(default)]
    pub missed_concepts: Vec<String>,
}

impl Evaluation {
    /// `0.6·accuracy + 0.3·clarity + 0.1·quality_score`, with inputs clamped to 0..=1.
    #[must_use]
    pub fn composite(&self) -> f64 {
        0.6 * clamp01(self.technical_accuracy)
            + 0.3 * clamp01(self.explanation_clarity)
            + 0.1 * self.answer_quality.score()
    }
}

/// Clamps to 0..=1, mapping NaN to 0.
#[must_use]
pub fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(q: AnswerQuality, acc: f64, clar: f64) -> Evaluation {
        Evaluation {
            answer_quality: q,
            technical_accuracy: acc,
            explanation_clarity: clar,
            identified_skills: vec![],
            skill_area: "hooks".into(),
            missed_concepts: vec![],
        }
    }

    #[test]
    fn composite_follows_the_spec_weights() {
        let c = eval(AnswerQuality::Excellent, 0.9, 0.85).composite();
        assert!((c - (0.54 + 0.255 + 0.1)).abs() < 1e-9);
        let c = eval(AnswerQuality::Poor, 0.4, 0.5).composite();
        assert!((c - (0.24 + 0.15 + 0.02)).abs() < 1e-9);
    }

    #[test]
    fn composite_clamps_out_of_range_and_nan_inputs() {
        let c = eval(AnswerQuality::Good, 7.0, f64::NAN).composite();
        assert!((c - (0.6 + 0.0 + 0.075)).abs() < 1e-9);
    }
}
