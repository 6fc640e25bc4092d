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
    /// OpenAI mode: the rubric's cross-check of a model's evaluation (docs/scoring.md), staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_check: Option<CrossCheck>,
}

/// A model's evaluation checked against the rubric's (docs/scoring.md#openai-mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossCheck {
    /// The model's composite as it gave it.
    pub model_composite: f64,
    /// The rubric's composite for the same answer.
    pub rubric_composite: f64,
    /// The model's technical accuracy as it gave it, and the rubric's.
    pub model_accuracy: f64,
    pub rubric_accuracy: f64,
    /// The configured margin.
    pub margin: f64,
    /// `|model − rubric| > margin` on the composite: a `score_disagreement` flag for staff.
    pub disagreement: bool,
    /// The model's accuracy was capped at rubric + margin (the rubric found no explanation of a
    /// concept the model credited).
    pub capped: bool,
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
            cross_check: None,
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
