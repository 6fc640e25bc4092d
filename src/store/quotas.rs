//! D1 side of the per-candidate résumé quotas (docs/security.md#quotas): how many résumés a
//! candidate stores and how many bytes they uploaded in the last day, and the insert that only
//! happens while both stay within their limits. The conditional insert is one statement, so two
//! uploads racing for the last slot cannot both win (D1 runs statements one at a time).
//!
//! The SQL is plain text compiled on every target so that native tests replay it against the
//! real schema in SQLite.

/// `?1` candidate, `?2` start of the day window → `{count, bytes_today}`.
pub const RESUME_USAGE_SQL: &str = "SELECT COUNT(*) AS count, \
     COALESCE(SUM(CASE WHEN uploaded_at >= ?2 THEN size_bytes ELSE 0 END), 0) AS bytes_today \
     FROM resumes WHERE candidate_id = ?1";

/// Inserts a `pending` résumé (`?1`–`?7` as the plain insert) only while the candidate has fewer
/// than `?8` résumés and the bytes uploaded since `?10` plus this one (`?11`, its size again)
/// stay within `?9`.
pub const INSERT_RESUME_WITHIN_QUOTA_SQL: &str = "INSERT INTO resumes (id, candidate_id, file_name, \
     content_type, size_bytes, storage_path, parsing_status, parse_attempts, uploaded_at, updated_at) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7 \
     WHERE (SELECT COUNT(*) FROM resumes WHERE candidate_id = ?2) < ?8 \
       AND (SELECT COALESCE(SUM(size_bytes), 0) FROM resumes WHERE candidate_id = ?2 AND uploaded_at >= ?10) \
           + ?11 <= ?9";

#[cfg(target_arch = "wasm32")]
pub use d1::*;

#[cfg(target_arch = "wasm32")]
mod d1 {
    use crate::store::Db;
    use serde::Deserialize;

    use super::{INSERT_RESUME_WITHIN_QUOTA_SQL, RESUME_USAGE_SQL};
    use crate::store::resumes::NewResume;
    use crate::store::{int, text};

    /// A candidate's résumé usage.
    #[derive(Debug, Deserialize)]
    pub struct ResumeUsage {
        pub count: i64,
        pub bytes_today: i64,
    }

    /// The candidate's résumé count and bytes uploaded since `since`.
    ///
    /// # Errors
    /// D1 failures.
    pub async fn resume_usage(db: &Db, candidate_id: &str, since: &str) -> worker::Result<ResumeUsage> {
        Ok(db
            .prepare(RESUME_USAGE_SQL)
            .bind(&[text(candidate_id), text(since)])?
            .first::<ResumeUsage>(None)
            .await?
            .unwrap_or(ResumeUsage { count: 0, bytes_today: 0 }))
    }

    /// Inserts the résumé if the candidate stays within `max_count` résumés and `max_bytes`
    /// uploaded since `since`; false (nothing inserted) otherwise.
    ///
    /// # Errors
    /// D1 failures.
    pub async fn insert_resume_within(
        db: &Db,
        r: &NewResume<'_>,
        max_count: u32,
        max_bytes: u64,
        since: &str,
    ) -> worker::Result<bool> {
        let result = db
            .prepare(INSERT_RESUME_WITHIN_QUOTA_SQL)
            .bind(&[
                text(r.id),
                text(r.candidate_id),
                text(r.file_name),
                text(r.content_type),
                int(r.size_bytes),
                text(r.storage_path),
                text(r.now),
                int(i64::from(max_count)),
                int(i64::try_from(max_bytes).unwrap_or(i64::MAX)),
                text(since),
                // ?5 again: Postgres types a parameter once (bigint for the column, numeric beside SUM).
                int(r.size_bytes),
            ])?
            .run()
            .await?;
        Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) == 1)
    }
}
