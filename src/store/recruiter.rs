//! Staff read models over D1: candidate search and detail, the interview list, statistics.
//! Queries come from `http::listing` (parameterised, index-friendly).

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::http::listing::Param;

fn js(p: &Param) -> JsValue {
    match p {
        Param::Text(s) => JsValue::from_str(s),
        Param::Real(x) => JsValue::from_f64(*x),
        #[allow(clippy::cast_precision_loss)]
        Param::Int(n) => JsValue::from_f64(*n as f64),
    }
}

/// Runs a query and returns its rows as JSON objects.
///
/// # Errors
/// D1 failures.
pub async fn rows(db: &D1Database, sql: &str, params: &[Param]) -> worker::Result<Vec<Value>> {
    let binds: Vec<JsValue> = params.iter().map(js).collect();
    db.prepare(sql).bind(&binds)?.all().await?.results::<Value>()
}

/// Counts, averages and rates over all interviews.
///
/// # Errors
/// D1 failures.
pub async fn stats(db: &D1Database) -> worker::Result<Vec<Value>> {
    rows(
        db,
        "SELECT status, COUNT(*) AS n, AVG(questions_asked) AS avg_questions, AVG(overall_score) AS avg_score, \
         AVG(total_cost_micros) AS avg_cost_micros FROM interviews GROUP BY status",
        &[],
    )
    .await
}
