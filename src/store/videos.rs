//! D1 side of video recordings for the daily retention job: which interviews have a recording to
//! look at. The interview's Durable Object owns the recording and decides; D1 only finds them
//! (indexed by status and time).

use crate::store::Db;
use serde::Deserialize;

use super::text;

#[derive(Deserialize)]
struct Row {
    interview_id: String,
}

/// Interviews whose recording is still uploading with no chunk since `before`, oldest first.
///
/// # Errors
/// D1 failures.
pub async fn idle_uploads_before(db: &Db, before: &str, limit: u32) -> worker::Result<Vec<String>> {
    interview_ids(
        db,
        "SELECT interview_id FROM video_recordings WHERE status = 'uploading' AND last_chunk_at < ?1 \
         ORDER BY last_chunk_at LIMIT ?2",
        before,
        limit,
    )
    .await
}

async fn interview_ids(db: &Db, sql: &str, before: &str, limit: u32) -> worker::Result<Vec<String>> {
    Ok(db
        .prepare(sql)
        .bind(&[text(before), limit.into()])?
        .all()
        .await?
        .results::<Row>()?
        .into_iter()
        .map(|r| r.interview_id)
        .collect())
}
