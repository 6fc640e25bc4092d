//! The hiring workflow's records (docs/hiring.md): a decision per interview (advance, hold,
//! reject) with its reason, reviewers' notes and 1–5 ratings per skill area, and an override of
//! the overall score (with a mandatory reason; the original always kept). Pure: request bodies
//! are validated here into typed inputs with field-named errors; the Worker stores them, every
//! change beside its audit entry ([`super::audit`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::HiringDecision;
use crate::error::ApiError;
use crate::http::json::Fields;

/// Longest decision or override reason, and note, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
pub const MAX_NOTE_CHARS: usize = 5000;
/// Skill areas one review may rate.
pub const MAX_RATED_AREAS: usize = 20;
/// Longest skill area name (as in jobs).
pub const MAX_AREA_CHARS: usize = 60;

const DECISIONS: &[&str] = &["advance", "hold", "reject"];

/// `POST …/decisions` `{decision, reason, notify_candidate?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionInput {
    pub decision: HiringDecision,
    pub reason: String,
    /// Email the candidate the organization's message for the decision (never the reason).
    pub notify_candidate: bool,
}

/// Validates a decision.
///
/// # Errors
/// 422 `VALIDATION_ERROR` naming each bad or unknown field.
pub fn parse_decision(body: Map<String, Value>) -> Result<DecisionInput, ApiError> {
    let mut f = Fields::new(body);
    let decision = f.required_enum("decision", HiringDecision::parse, DECISIONS);
    let reason = f.required_str("reason", 1..=MAX_REASON_CHARS, true);
    let notify_candidate = f.optional_bool("notify_candidate").unwrap_or(false);
    f.finish()?;
    match (decision, reason) {
        (Some(decision), Some(reason)) => Ok(DecisionInput { decision, reason, notify_candidate }),
        _ => Err(ApiError::internal()),
    }
}

/// `POST …/reviews` `{note?, ratings?}`: at least one of the two.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewInput {
    pub note: Option<String>,
    /// Skill area → 1–5.
    pub ratings: BTreeMap<String, u8>,
}

fn is_area_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_AREA_CHARS
}

/// Validates a review.
///
/// # Errors
/// 422 `VALIDATION_ERROR`: a rating outside 1–5 or not an integer, a malformed area name, too
/// many areas, or neither a note nor a rating.
pub fn parse_review(mut body: Map<String, Value>) -> Result<ReviewInput, ApiError> {
    let ratings_value = body.remove("ratings").filter(|v| !v.is_null());
    let mut f = Fields::new(body);
    let note = f.optional_str("note", 1..=MAX_NOTE_CHARS, true);
    let mut ratings = BTreeMap::new();
    match ratings_value {
        None => {}
        Some(Value::Object(map)) => {
            if map.len() > MAX_RATED_AREAS {
                f.error("ratings", format!("Rate at most {MAX_RATED_AREAS} skill areas."));
            }
            for (area, v) in map {
                let field = format!("ratings.{area}");
                if !is_area_name(&area) {
                    f.error(&field, "A skill area is lower-case letters, digits and underscores.");
                    continue;
                }
                match v.as_u64() {
                    Some(n @ 1..=5) => {
                        #[allow(clippy::cast_possible_truncation)]
                        ratings.insert(area, n as u8);
                    }
                    _ => f.error(&field, "Must be an integer from 1 to 5."),
                }
            }
        }
        Some(_) => f.error("ratings", "Must be an object of skill area to rating (1 to 5)."),
    }
    if note.is_none() && ratings.is_empty() && !f.has_errors() {
        f.error("note", "Give a note, ratings, or both.");
    }
    f.finish()?;
    Ok(ReviewInput { note, ratings })
}

/// `POST …/score-override` `{overall_score, reason}`.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideInput {
    pub overall_score: f64,
    pub reason: String,
}

/// Validates a score override.
///
/// # Errors
/// 422 `VALIDATION_ERROR`: a score outside 0–100, a missing reason.
pub fn parse_override(mut body: Map<String, Value>) -> Result<OverrideInput, ApiError> {
    let score_value = body.remove("overall_score").filter(|v| !v.is_null());
    let mut f = Fields::new(body);
    let score = match score_value {
        None => {
            f.error("overall_score", "This field is required.");
            None
        }
        Some(v) => match v.as_f64() {
            Some(x) if (0.0..=100.0).contains(&x) => Some((x * 10.0).round() / 10.0),
            _ => {
                f.error("overall_score", "Must be a number from 0 to 100.");
                None
            }
        },
    };
    let reason = f.required_str("reason", 1..=MAX_REASON_CHARS, true);
    f.finish()?;
    match (score, reason) {
        (Some(overall_score), Some(reason)) => Ok(OverrideInput { overall_score, reason }),
        _ => Err(ApiError::internal()),
    }
}

/// A staff member as the hiring records show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub full_name: Option<String>,
}

/// One decision in an interview's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub id: String,
    pub decision: HiringDecision,
    pub reason: String,
    pub decided_by: Staff,
    pub created_at: String,
}

/// One review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewView {
    pub id: String,
    pub note: Option<String>,
    pub ratings: BTreeMap<String, u8>,
    pub reviewer: Staff,
    pub created_at: String,
}

/// One score override; the newest is the one in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideView {
    pub id: String,
    pub overall_score: f64,
    pub reason: String,
    pub overridden_by: Staff,
    pub created_at: String,
}

/// `GET …/hiring`: everything recorded about the interview, newest first, with the score the
/// assessment gave beside the one in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HiringView {
    pub interview_id: String,
    /// The latest decision (`null`: none yet).
    pub decision: Option<DecisionView>,
    pub decisions: Vec<DecisionView>,
    pub reviews: Vec<ReviewView>,
    /// The assessment's overall score (never changed by an override).
    pub original_score: Option<f64>,
    /// The override in force, else the original.
    pub effective_score: Option<f64>,
    pub score_override: Option<OverrideView>,
    pub overrides: Vec<OverrideView>,
    /// Mean rating per area over every review that rated it.
    pub average_ratings: BTreeMap<String, f64>,
}

impl HiringView {
    /// Assembles the view from the histories (each newest first).
    #[must_use]
    pub fn new(
        interview_id: String,
        decisions: Vec<DecisionView>,
        reviews: Vec<ReviewView>,
        overrides: Vec<OverrideView>,
        original_score: Option<f64>,
    ) -> HiringView {
        let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for r in &reviews {
            for (area, &n) in &r.ratings {
                let e = sums.entry(area.clone()).or_default();
                e.0 += f64::from(n);
                e.1 += 1.0;
            }
        }
        let average_ratings =
            sums.into_iter().map(|(k, (s, n))| (k, (s / n * 100.0).round() / 100.0)).collect();
        let score_override = overrides.first().cloned();
        HiringView {
            interview_id,
            decision: decisions.first().cloned(),
            decisions,
            reviews,
            effective_score: score_override.as_ref().map(|o| o.overall_score).or(original_score),
            original_score,
            score_override,
            overrides,
            average_ratings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn fields(e: &ApiError) -> Vec<String> {
        e.details.iter().map(|d| d.field.clone()).collect()
    }

    #[test]
    fn a_decision_needs_a_known_value_and_a_reason() {
        let d = parse_decision(map(json!({"decision": "advance", "reason": "  Strong on async  "})));
        assert_eq!(
            d.ok(),
            Some(DecisionInput {
                decision: HiringDecision::Advance,
                reason: "Strong on async".into(),
                notify_candidate: false
            })
        );
        let d = parse_decision(map(json!({"decision": "reject", "reason": "r", "notify_candidate": true})));
        assert!(d.is_ok_and(|d| d.notify_candidate));
        let e = parse_decision(map(json!({"decision": "hold", "reason": "r", "notify_candidate": "yes"})))
            .expect_err("not a boolean");
        assert_eq!(fields(&e), ["notify_candidate"]);
        let e = parse_decision(map(json!({"decision": "hire", "reason": " ", "x": 1}))).expect_err("bad");
        assert_eq!(fields(&e), ["decision", "reason", "x"]);
        let e = parse_decision(map(json!({}))).expect_err("empty");
        assert_eq!(fields(&e), ["decision", "reason"]);
    }

    #[test]
    fn a_review_rates_areas_from_one_to_five() {
        let r = parse_review(map(json!({"note": "Clear answers", "ratings": {"hooks": 4, "state": 5}})))
            .expect("valid");
        assert_eq!(r.note.as_deref(), Some("Clear answers"));
        assert_eq!(r.ratings.get("hooks"), Some(&4));
        let only_ratings = parse_review(map(json!({"ratings": {"sql": 1}}))).expect("ratings alone");
        assert_eq!(only_ratings.note, None);
        let e =
            parse_review(map(json!({"ratings": {"hooks": 6, "Bad Name": 3, "x": 2.5}}))).expect_err("bad");
        assert_eq!(fields(&e), ["ratings.Bad Name", "ratings.hooks", "ratings.x"]);
        let e = parse_review(map(json!({}))).expect_err("nothing");
        assert_eq!(fields(&e), ["note"]);
        let e = parse_review(map(json!({"ratings": [1]}))).expect_err("not an object");
        assert_eq!(fields(&e), ["ratings"]);
        let many: Map<String, Value> = (0..21).map(|i| (format!("a{i}"), json!(3))).collect();
        let e = parse_review(map(json!({ "ratings": many }))).expect_err("too many");
        assert_eq!(fields(&e), ["ratings"]);
    }

    #[test]
    fn an_override_is_a_score_with_a_mandatory_reason() {
        let o =
            parse_override(map(json!({"overall_score": 72.46, "reason": "Panel disagreed"}))).expect("ok");
        assert!((o.overall_score - 72.5).abs() < 1e-9);
        let e = parse_override(map(json!({"overall_score": 101}))).expect_err("bad");
        assert_eq!(fields(&e), ["overall_score", "reason"]);
        let e = parse_override(map(json!({"overall_score": "80", "reason": "x"}))).expect_err("string");
        assert_eq!(fields(&e), ["overall_score"]);
    }

    #[test]
    fn the_view_keeps_the_original_beside_the_override_in_force() {
        let staff = Staff { id: "u".into(), full_name: None };
        let o = |score: f64, at: &str| OverrideView {
            id: at.into(),
            overall_score: score,
            reason: "r".into(),
            overridden_by: staff.clone(),
            created_at: at.into(),
        };
        let review = |ratings: &[(&str, u8)]| ReviewView {
            id: "r".into(),
            note: None,
            ratings: ratings.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            reviewer: staff.clone(),
            created_at: "t".into(),
        };
        let v = HiringView::new(
            "i".into(),
            Vec::new(),
            vec![review(&[("sql", 4)]), review(&[("sql", 5), ("api", 2)])],
            vec![o(80.0, "2"), o(60.0, "1")],
            Some(55.0),
        );
        assert_eq!(v.original_score, Some(55.0));
        assert_eq!(v.effective_score, Some(80.0));
        assert_eq!(v.overrides.len(), 2);
        assert_eq!(v.average_ratings.get("sql"), Some(&4.5));
        assert_eq!(v.average_ratings.get("api"), Some(&2.0));
        assert_eq!(v.decision, None);
        let none = HiringView::new("i".into(), Vec::new(), Vec::new(), Vec::new(), Some(55.0));
        assert_eq!(none.effective_score, Some(55.0));
    }
}
