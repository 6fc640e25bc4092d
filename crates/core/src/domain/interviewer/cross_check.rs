//! OpenAI mode: a model's evaluation checked against the rubric (docs/scoring.md#openai-mode).
//!
//! Every model evaluation is also scored by the built-in rubric scoring. When the two composites
//! differ by more than the configured margin, the evaluation carries a
//! [`CrossCheck`] with `disagreement` set, which the assessment turns into a staff-only
//! `score_disagreement` flag quoting both figures. When the model's accuracy exceeds the
//! rubric's by more than the margin, it is capped at rubric + margin, unless every rubric concept
//! the model credits is one the rubric's structured check found *explained* (a claim of the
//! answer's own, not a list, an echo or an injection): then the model saw something real that
//! the rubric under-weighted, and its figure stands (still flagged).

use super::Session;
use crate::domain::bank::score;
use crate::domain::enums::AnswerQuality;
use crate::domain::evaluation::{clamp01, CrossCheck, Evaluation};

/// The default margin (`SCORE_DISAGREEMENT_MARGIN`), in composite/accuracy units.
pub const DEFAULT_MARGIN: f64 = 0.25;

fn rank(q: AnswerQuality) -> u8 {
    match q {
        AnswerQuality::Poor => 0,
        AnswerQuality::Fair => 1,
        AnswerQuality::Good => 2,
        AnswerQuality::Excellent => 3,
    }
}

impl Session {
    /// `model` cross-checked against the built-in evaluation of `answer` (module docs).
    #[must_use]
    pub fn cross_check(&self, answer: &str, model: Evaluation, margin: f64) -> Evaluation {
        let margin = clamp01(margin);
        let rubric = self.evaluate_builtin(answer);
        let model_composite = model.composite();
        let rubric_composite = rubric.composite();
        let disagreement = (model_composite - rubric_composite).abs() > margin + 1e-9;
        // Concepts the model credits that the rubric knows; are they all explained?
        let rubric_names: Vec<&str> = self
            .current
            .rubric
            .iter()
            .map(String::as_str)
            .filter(|n| model.identified_skills.iter().any(|s| s.trim().eq_ignore_ascii_case(n)))
            .collect();
        let all_explained = !rubric_names.is_empty()
            && rubric_names
                .iter()
                .all(|n| rubric.identified_skills.iter().any(|s| s.eq_ignore_ascii_case(n)));
        let model_accuracy = clamp01(model.technical_accuracy);
        let ceiling = clamp01(rubric.technical_accuracy + margin);
        let capped = model_accuracy > ceiling + 1e-9 && !all_explained;
        let mut out = model;
        if capped {
            out.technical_accuracy = ceiling;
            let banded = score::band(ceiling, clamp01(out.explanation_clarity));
            if rank(banded) < rank(out.answer_quality) {
                out.answer_quality = banded;
            }
        }
        out.cross_check = Some(CrossCheck {
            model_composite: round4(model_composite),
            rubric_composite: round4(rubric_composite),
            model_accuracy: round4(model_accuracy),
            rubric_accuracy: round4(rubric.technical_accuracy),
            margin,
            disagreement,
            capped,
        });
        out
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::RoleType;

    fn excellent(session: &Session) -> Evaluation {
        Evaluation {
            answer_quality: AnswerQuality::Excellent,
            technical_accuracy: 0.95,
            explanation_clarity: 0.9,
            identified_skills: session.current.rubric.clone(),
            skill_area: session.current.skill_area.clone(),
            missed_concepts: vec![],
            cross_check: None,
        }
    }

    #[test]
    fn a_model_rating_a_keyword_bag_excellent_is_flagged_and_capped() {
        let s = Session::start("cross-1", RoleType::Javascript, None);
        let bag = s.current.rubric.join(" ");
        let e = s.cross_check(&bag, excellent(&s), DEFAULT_MARGIN);
        let c = e.cross_check.clone().unwrap_or_else(|| panic!("checked"));
        assert!(c.disagreement && c.capped, "{c:?}");
        assert!(e.technical_accuracy <= c.rubric_accuracy + DEFAULT_MARGIN + 1e-9);
        assert_ne!(e.answer_quality, AnswerQuality::Excellent);
        assert!(e.composite() < 0.8, "{e:?}");
    }

    #[test]
    fn agreeing_figures_pass_unchanged() {
        let s = Session::start("cross-2", RoleType::Javascript, None);
        let rubric = s.evaluate_builtin("");
        let e = s.cross_check("", rubric.clone(), DEFAULT_MARGIN);
        let c = e.cross_check.clone().unwrap_or_else(|| panic!("checked"));
        assert!(!c.disagreement && !c.capped);
        assert!((e.technical_accuracy - rubric.technical_accuracy).abs() < 1e-9);
    }
}
