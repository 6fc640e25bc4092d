//! Binding helpers shared by the D1 repositories, and the health probe. wasm32 only.

use crate::store::Db;
use wasm_bindgen::JsValue;

/// A text parameter.
pub fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// An optional text parameter (NULL when absent).
pub fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// An integer parameter (all ours stay far below 2^53).
#[allow(clippy::cast_precision_loss)]
pub fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// True when a D1 error is a UNIQUE constraint violation.
pub fn is_unique_violation(e: &worker::Error) -> bool {
    e.to_string().contains("UNIQUE constraint failed")
}

/// Whether D1 refused because another writer held the database: local D1 (one SQLite file that
/// `wrangler d1 execute`, `scripts/create-admin` or an import may write while `wrangler dev`
/// serves) does not wait for the lock. The statement did not run, so running it again is safe
/// ([`Db`] does). Deployed D1 serialises writers itself and never answers this.
pub fn is_busy(e: &worker::Error) -> bool {
    let text = e.to_string();
    text.contains("SQLITE_BUSY") || text.contains("database is locked")
}

/// Whether `e` says the database could not be reached (the Postgres adapter's connection
/// failed: an outage, not a bad statement), which callers answer 503 rather than 500.
pub fn is_unreachable(e: &worker::Error) -> bool {
    e.to_string().starts_with("postgres connect")
}

/// Runs one statement with `params`; how many rows it changed. One non-generic body shared by
/// the simple writes (smaller wasm than one `bind…run` per call site).
pub async fn exec(db: &Db, sql: &str, params: &[JsValue]) -> worker::Result<u32> {
    let result = db.prepare(sql).bind(params)?.run().await?;
    Ok(u32::try_from(result.changed()).unwrap_or(0))
}

/// The first row of a query as JSON (`None` when there is none); a write with `RETURNING` may
/// use it ([`crate::store::db::Statement::returning`]).
pub async fn first_row(db: &Db, sql: &str, params: &[JsValue]) -> worker::Result<Option<serde_json::Value>> {
    db.prepare(sql).bind(params)?.returning::<serde_json::Value>().await
}

/// A query's rows as JSON.
///
/// # Errors
/// D1 failures.
pub async fn all_rows(db: &Db, sql: &str, params: &[JsValue]) -> worker::Result<Vec<serde_json::Value>> {
    db.prepare(sql).bind(params)?.all().await?.results::<serde_json::Value>()
}

/// Whether D1 answers a trivial query (`GET /health`).
pub async fn ping(db: &Db) -> bool {
    db.prepare("SELECT 1 AS ok").first::<serde_json::Value>(None).await.is_ok()
}
