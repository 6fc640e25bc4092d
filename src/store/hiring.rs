//! The hiring records of an interview (docs/hiring.md): decisions, reviews and score overrides.
//! Every read and write is scoped to one organization; each insert goes into the caller's batch
//! beside its audit entry.

use std::collections::BTreeMap;

use crate::store::{Db, Statement};
use serde::Deserialize;

use super::org_sql::{DECISIONS_OF, HIRING_INTERVIEW, OVERRIDES_OF, REVIEWS_OF};
use super::{opt_text, text};
use crate::domain::enums::HiringDecision;
use crate::domain::hiring::{DecisionView, OverrideView, ReviewView, Staff};
use wasm_bindgen::JsValue;

/// An interview the organization owns, with the assessment's overall score.
#[derive(Debug, Clone, Deserialize)]
pub struct OwnedInterview {
    pub id: String,
    pub overall_score: Option<f64>,
}

/// Interview `id` if organization `org_id` owns it.
///
/// # Errors
/// D1 failures.
pub async fn interview(db: &Db, id: &str, org_id: &str) -> worker::Result<Option<OwnedInterview>> {
    db.prepare(HIRING_INTERVIEW).bind(&[text(id), text(org_id)])?.first::<OwnedInterview>(None).await
}

fn staff(id: String, full_name: Option<String>) -> Staff {
    Staff { id, full_name }
}

// Plain fields (no `flatten`: it pulls serde's buffering into the wasm; decision 0006).
#[derive(Deserialize)]
struct DecisionRow {
    id: String,
    staff_id: String,
    staff_name: Option<String>,
    created_at: String,
    decision: HiringDecision,
    reason: String,
}

#[derive(Deserialize)]
struct ReviewRow {
    id: String,
    staff_id: String,
    staff_name: Option<String>,
    created_at: String,
    note: Option<String>,
    ratings: String,
}

#[derive(Deserialize)]
struct OverrideRow {
    id: String,
    staff_id: String,
    staff_name: Option<String>,
    created_at: String,
    overall_score: f64,
    reason: String,
}

async fn rows<T: for<'de> Deserialize<'de>>(
    db: &Db,
    sql: &str,
    interview_id: &str,
    org_id: &str,
) -> worker::Result<Vec<T>> {
    db.prepare(sql).bind(&[text(interview_id), text(org_id)])?.all().await?.results::<T>()
}

/// The interview's decisions, newest first.
///
/// # Errors
/// D1 failures.
pub async fn decisions(db: &Db, interview_id: &str, org_id: &str) -> worker::Result<Vec<DecisionView>> {
    Ok(rows::<DecisionRow>(db, DECISIONS_OF, interview_id, org_id)
        .await?
        .into_iter()
        .map(|r| DecisionView {
            decided_by: staff(r.staff_id, r.staff_name),
            id: r.id,
            decision: r.decision,
            reason: r.reason,
            created_at: r.created_at,
        })
        .collect())
}

/// The interview's reviews, newest first.
///
/// # Errors
/// D1 failures.
pub async fn reviews(db: &Db, interview_id: &str, org_id: &str) -> worker::Result<Vec<ReviewView>> {
    Ok(rows::<ReviewRow>(db, REVIEWS_OF, interview_id, org_id)
        .await?
        .into_iter()
        .map(|r| ReviewView {
            reviewer: staff(r.staff_id, r.staff_name),
            ratings: serde_json::from_str::<BTreeMap<String, u8>>(&r.ratings).unwrap_or_default(),
            id: r.id,
            note: r.note,
            created_at: r.created_at,
        })
        .collect())
}

/// The interview's score overrides, newest first.
///
/// # Errors
/// D1 failures.
pub async fn overrides(db: &Db, interview_id: &str, org_id: &str) -> worker::Result<Vec<OverrideView>> {
    Ok(rows::<OverrideRow>(db, OVERRIDES_OF, interview_id, org_id)
        .await?
        .into_iter()
        .map(|r| OverrideView {
            overridden_by: staff(r.staff_id, r.staff_name),
            id: r.id,
            overall_score: r.overall_score,
            reason: r.reason,
            created_at: r.created_at,
        })
        .collect())
}

/// Where a new record belongs and who writes it.
pub struct Scope<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub interview_id: &'a str,
    pub by: &'a str,
    pub now: &'a str,
}

/// The statement inserting a decision.
///
/// # Errors
/// Binding failures.
pub fn insert_decision(
    db: &Db,
    s: &Scope<'_>,
    decision: HiringDecision,
    reason: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO hiring_decisions (id, org_id, interview_id, decision, reason, decided_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[
        text(s.id),
        text(s.org_id),
        text(s.interview_id),
        text(decision.as_str()),
        text(reason),
        text(s.by),
        text(s.now),
    ])
}

/// The statement inserting a review (`ratings` as a JSON object).
///
/// # Errors
/// Binding failures.
pub fn insert_review(
    db: &Db,
    s: &Scope<'_>,
    note: Option<&str>,
    ratings_json: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO interview_reviews (id, org_id, interview_id, reviewer_id, note, ratings, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[
        text(s.id),
        text(s.org_id),
        text(s.interview_id),
        text(s.by),
        opt_text(note),
        text(ratings_json),
        text(s.now),
    ])
}

/// The statement inserting a score override.
///
/// # Errors
/// Binding failures.
pub fn insert_override(
    db: &Db,
    s: &Scope<'_>,
    overall_score: f64,
    reason: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO score_overrides (id, org_id, interview_id, overall_score, reason, overridden_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[
        text(s.id),
        text(s.org_id),
        text(s.interview_id),
        JsValue::from_f64(overall_score),
        text(reason),
        text(s.by),
        text(s.now),
    ])
}
