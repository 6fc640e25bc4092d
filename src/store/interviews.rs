//! D1 side of interviews: binding the projection statements of [`super::projection`] (idempotent,
//! versioned upserts), and the candidate's list.

use crate::store::{Db, Statement};
use serde_json::Value;
use wasm_bindgen::JsValue;

fn val(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_f64(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64().map_or(JsValue::NULL, JsValue::from_f64),
        Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

/// The D1 statements for a batch of outbox rows `(kind, payload)` (SQL from
/// [`super::projection::batch`]).
///
/// # Errors
/// Binding failures (never for well-formed payloads).
pub fn projection_statements(db: &Db, rows: &[(&str, &Value)]) -> worker::Result<Vec<Statement>> {
    super::projection::batch(rows)
        .into_iter()
        .map(|(sql, params)| {
            let binds: Vec<JsValue> = params.iter().map(val).collect();
            db.prepare(sql).bind(&binds)
        })
        .collect()
}

/// One row of a candidate's interview list.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct ListRow {
    pub id: String,
    pub role_type: String,
    pub mode: String,
    pub status: String,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub completion_reason: Option<String>,
    pub current_difficulty: String,
    pub questions_asked: i64,
    pub total_questions: i64,
    pub overall_score: Option<f64>,
}

/// A candidate's interviews, newest first.
///
/// # Errors
/// D1 failures.
pub async fn list_for_candidate(
    db: &Db,
    candidate_id: &str,
    skip: u32,
    limit: u32,
) -> worker::Result<(Vec<ListRow>, u64)> {
    let rows = db
        .prepare(
            "SELECT id, role_type, mode, status, started_at, completed_at, completion_reason, current_difficulty, \
             questions_asked, total_questions, overall_score FROM interviews WHERE candidate_id = ?1 \
             ORDER BY started_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(&[JsValue::from_str(candidate_id), JsValue::from(limit), JsValue::from(skip)])?
        .all()
        .await?
        .results::<ListRow>()?;
    #[derive(serde::Deserialize)]
    struct Count {
        n: f64,
    }
    let total = db
        .prepare("SELECT COUNT(*) AS n FROM interviews WHERE candidate_id = ?1")
        .bind(&[JsValue::from_str(candidate_id)])?
        .first::<Count>(None)
        .await?
        .map_or(0.0, |c| c.n);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((rows, total as u64))
}

/// The ids of a candidate's interviews still in progress (their sockets may be open).
///
/// # Errors
/// D1 failures.
pub async fn in_progress_ids(db: &Db, candidate_id: &str) -> worker::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
    }
    let rows = db
        .prepare("SELECT id FROM interviews WHERE candidate_id = ?1 AND status = 'in_progress'")
        .bind(&[JsValue::from_str(candidate_id)])?
        .all()
        .await?
        .results::<Row>()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whether an interview with this id is known (projected).
///
/// # Errors
/// D1 failures.
pub async fn exists(db: &Db, id: &str) -> worker::Result<bool> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[allow(dead_code)]
        one: f64,
    }
    let row = db
        .prepare("SELECT 1 AS one FROM interviews WHERE id = ?1")
        .bind(&[JsValue::from_str(id)])?
        .first::<Row>(None)
        .await?;
    Ok(row.is_some())
}

/// What a candidate's interviews started since `since` (RFC 3339) have cost, in micro-USD.
///
/// # Errors
/// D1 failures.
pub async fn spend_since(db: &Db, candidate_id: &str, since: &str) -> worker::Result<u64> {
    #[derive(serde::Deserialize)]
    struct Row {
        n: Option<f64>,
    }
    let row = db
        .prepare(
            "SELECT SUM(total_cost_micros) AS n FROM interviews WHERE candidate_id = ?1 AND started_at >= ?2",
        )
        .bind(&[JsValue::from_str(candidate_id), JsValue::from_str(since)])?
        .first::<Row>(None)
        .await?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(row.and_then(|r| r.n).map_or(0, |n| n.max(0.0) as u64))
}
