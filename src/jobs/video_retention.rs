//! The daily video retention job (docs/video.md#retention): deletes completed videos older than
//! `VIDEO_RETENTION_DAYS` and aborts multipart uploads with no chunk for more than
//! `VIDEO_UPLOAD_IDLE_HOURS` (24 h by default). D1 finds the candidates (indexed by status and
//! time); each interview's Durable Object, the recording's single writer, then decides again from
//! its own state and does the R2 work, so D1 and the DO stay consistent (status `deleted`,
//! projected through its outbox).

use crate::ids::InterviewId;
use crate::interview_client::InterviewClient;
use crate::protocol::InterviewRequest;
use serde_json::{json, Value};
use worker::Env;

use crate::domain::media::recording::{window_ms, DAY_MS, HOUR_MS};
use crate::domain::time::rfc3339_ms;
use crate::platform::{log_error, now_ms};
use crate::store::videos as store;

/// At most this many recordings of each kind per run (the next run continues).
const BATCH: u32 = 500;

/// Runs video retention; returns when it started and what it did.
pub async fn run(env: &Env) -> (i64, worker::Result<Value>) {
    let started = now_ms();
    (started, retention(env, started).await)
}

async fn retention(env: &Env, now: i64) -> worker::Result<Value> {
    let cfg = crate::platform::config(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let retention_ms = window_ms(cfg.video_retention_days, DAY_MS);
    let idle_ms = window_ms(cfg.video_upload_idle_hours, HOUR_MS);
    let db = crate::store::Db::from_env(env)?;
    // Each organization's period (docs/privacy.md#retention), else VIDEO_RETENTION_DAYS.
    let binds =
        [crate::store::text(&rfc3339_ms(now)), wasm_bindgen::JsValue::from_f64(cfg.video_retention_days)];
    let expired = crate::store::all_rows(&db, &crate::store::privacy::videos_past_sql(), &binds).await?;
    let expired = expired.iter().map(|v| {
        let days = v["days"].as_f64().unwrap_or(cfg.video_retention_days);
        (v["interview_id"].as_str().unwrap_or_default().to_owned(), crate::domain::privacy::days_ms(days))
    });
    let idle = store::idle_uploads_before(&db, &rfc3339_ms(now - idle_ms), BATCH).await?;
    let (mut deleted, mut aborted, mut kept, mut failed) = (0u32, 0u32, 0u32, 0u32);
    for (interview_id, retention_ms) in expired.chain(idle.into_iter().map(|id| (id, retention_ms))) {
        match ask_do(env, &interview_id, retention_ms, idle_ms).await {
            Ok(action) if action == "deleted" => deleted += 1,
            Ok(action) if action == "aborted" => aborted += 1,
            Ok(_) => kept += 1,
            Err(e) => {
                log_error("video retention", &e);
                failed += 1;
            }
        }
    }
    Ok(json!({
        "videos_deleted": deleted,
        "uploads_aborted": aborted,
        "kept": kept,
        "failed": failed,
        "retention_days": cfg.video_retention_days,
        "upload_idle_hours": cfg.video_upload_idle_hours,
    }))
}

/// Asks the interview's DO to apply retention; its action (`deleted`, `aborted`, `none`).
async fn ask_do(env: &Env, interview_id: &str, retention_ms: i64, idle_ms: i64) -> worker::Result<String> {
    #[derive(serde::Deserialize)]
    struct Done {
        action: String,
    }
    let client = InterviewClient::new(env, &InterviewId::new(interview_id))
        .map_err(|e| worker::Error::RustError(e.message))?;
    let request = InterviewRequest::VideoRetention { retention_ms, idle_ms };
    let (_, done): (u16, Done) =
        client.call(None, request).await.map_err(|e| worker::Error::RustError(e.message))?;
    Ok(done.action)
}
