//! The payloads of an interview DO's outbox rows that are not a record's own projection (see
//! `InterviewRecord::projection` and `VideoRecording::projection`): the assessment row. The SQL
//! that applies outbox rows to D1 is the root crate's `store::projection`.

use serde_json::{json, Value};

use super::assessment::Assessment;

/// The `assessment_results` row (and the interview's score) of an assessment. The row id is
/// derived from the interview id, so a regenerated assessment targets the same row.
#[must_use]
pub fn assessment_row(interview_id: &str, a: &Assessment) -> Value {
    json!({
        "id": format!("assessment-{interview_id}"),
        "interview_id": interview_id,
        "overall_score": a.overall_score,
        "skill_scores": a.skill_scores,
        "skill_boundary_map": a.skill_boundary_map,
        "strengths": a.strengths,
        "weaknesses": a.weaknesses,
        "integrity_score": a.integrity_score,
        "integrity_flags": a.integrity_flags,
        "ai_reasoning": a.ai_reasoning,
        "recommended_actions": a.recommended_actions,
        "summary": a.summary,
        "generator": a.generator,
        "partial": a.partial,
        "generated_at": a.generated_at,
    })
}
