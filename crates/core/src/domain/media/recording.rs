//! One interview's video recording as its Durable Object stores it (beside the in-progress
//! [`UploadState`](super::video::UploadState)), its API view (docs/video.md#routes), its D1 row, and the
//! retention decisions. Pure: the DO loads, decides, does the R2 calls, saves.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::video::VideoContentType;
use crate::domain::enums::VideoStatus;
use crate::domain::time::rfc3339_ms;

/// One day in milliseconds.
pub const DAY_MS: f64 = 86_400_000.0;
/// One hour in milliseconds.
pub const HOUR_MS: f64 = 3_600_000.0;

/// The recording of an interview (at most one per interview; a deleted one may be replaced by a
/// new upload, which keeps the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoRecording {
    pub id: String,
    pub interview_id: String,
    pub candidate_id: String,
    /// The R2 object key.
    pub key: String,
    pub content_type: VideoContentType,
    /// The R2 multipart upload id while uploading.
    pub upload_id: Option<String>,
    pub total_chunks: u32,
    /// Distinct chunks received (all of them once completed).
    pub chunk_count: u32,
    pub file_size_bytes: u64,
    pub status: VideoStatus,
    pub created_ms: i64,
    pub last_chunk_ms: i64,
    pub uploaded_ms: Option<i64>,
    pub deleted_ms: Option<i64>,
}

/// The object key of an interview's recording: unique per upload so a re-upload after a delete
/// never collides with a lingering object (`videos/{interview_id}/{upload_nonce}.{ext}`).
#[must_use]
pub fn object_key(interview_id: &str, nonce: &str, content_type: VideoContentType) -> String {
    format!("videos/{interview_id}/{nonce}.{}", content_type.extension())
}

/// The URL the API streams a recording from.
#[must_use]
pub fn stream_url(interview_id: &str) -> String {
    format!("/api/v1/videos/{interview_id}/stream")
}

/// What the retention job does with one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionAction {
    /// Nothing (recent, or already deleted).
    Keep,
    /// A completed video older than the retention period: delete the object.
    DeleteExpired,
    /// An upload with no chunk for longer than the idle window: abort it.
    AbortIdle,
}

/// Milliseconds of a (possibly fractional) number of days or hours; saturating.
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn window_ms(amount: f64, unit_ms: f64) -> i64 {
    // Infinity clamps to the bound; NaN (never produced by the config parser) casts to 0.
    (amount * unit_ms).round().clamp(0.0, 9.0e15) as i64
}

impl VideoRecording {
    /// `GET /api/v1/videos/{id}`.
    #[must_use]
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "interview_id": self.interview_id,
            "storage_path": self.key,
            "content_type": self.content_type,
            "file_size_bytes": self.file_size_bytes,
            "duration_seconds": Value::Null,
            "chunk_count": self.chunk_count,
            "total_chunks": self.total_chunks,
            "uploaded_at": self.uploaded_ms.map(rfc3339_ms),
            "status": self.status,
            "video_recording_url": (self.status == VideoStatus::Completed).then(|| stream_url(&self.interview_id)),
        })
    }

    /// The `video_recordings` row for D1 (outbox kind `video`).
    #[must_use]
    pub fn projection(&self, now_ms: i64) -> Value {
        json!({
            "id": self.id,
            "interview_id": self.interview_id,
            "candidate_id": self.candidate_id,
            "storage_path": self.key,
            "content_type": self.content_type,
            "upload_id": self.upload_id,
            "total_chunks": self.total_chunks.max(1),
            "chunk_count": self.chunk_count,
            "file_size_bytes": self.file_size_bytes,
            "duration_seconds": Value::Null,
            "status": self.status,
            "uploaded_at": self.uploaded_ms.map(rfc3339_ms),
            "last_chunk_at": rfc3339_ms(self.last_chunk_ms),
            "deleted_at": self.deleted_ms.map(rfc3339_ms),
            "created_at": rfc3339_ms(self.created_ms),
            "updated_at": rfc3339_ms(now_ms),
        })
    }

    /// The retention decision at `now_ms`: completed videos older than `retention_ms` (since
    /// they were uploaded) are deleted; uploads idle for more than `idle_ms` are aborted.
    #[must_use]
    pub fn retention(&self, now_ms: i64, retention_ms: i64, idle_ms: i64) -> RetentionAction {
        match self.status {
            VideoStatus::Completed => {
                let since = self.uploaded_ms.unwrap_or(self.created_ms);
                if now_ms.saturating_sub(since) > retention_ms {
                    RetentionAction::DeleteExpired
                } else {
                    RetentionAction::Keep
                }
            }
            VideoStatus::Uploading if now_ms.saturating_sub(self.last_chunk_ms) > idle_ms => {
                RetentionAction::AbortIdle
            }
            _ => RetentionAction::Keep,
        }
    }

    /// Marks the recording deleted (object and parts gone).
    pub fn mark_deleted(&mut self, now_ms: i64) {
        self.status = VideoStatus::Deleted;
        self.upload_id = None;
        self.deleted_ms = Some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(status: VideoStatus) -> VideoRecording {
        VideoRecording {
            id: "v1".into(),
            interview_id: "i1".into(),
            candidate_id: "u1".into(),
            key: object_key("i1", "n1", VideoContentType::Webm),
            content_type: VideoContentType::Webm,
            upload_id: Some("up".into()),
            total_chunks: 3,
            chunk_count: 2,
            file_size_bytes: 10,
            status,
            created_ms: 1_000,
            last_chunk_ms: 2_000,
            uploaded_ms: (status == VideoStatus::Completed).then_some(3_000),
            deleted_ms: None,
        }
    }

    #[test]
    fn keys_and_urls() {
        assert_eq!(object_key("i1", "n1", VideoContentType::Mp4), "videos/i1/n1.mp4");
        assert_eq!(stream_url("i1"), "/api/v1/videos/i1/stream");
    }

    #[test]
    fn the_view_has_the_spec_fields_and_a_url_once_completed() {
        let v = recording(VideoStatus::Completed).view();
        for field in [
            "id",
            "interview_id",
            "storage_path",
            "file_size_bytes",
            "duration_seconds",
            "chunk_count",
            "uploaded_at",
            "status",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["status"], "completed");
        assert_eq!(v["storage_path"], "videos/i1/n1.webm");
        assert_eq!(v["video_recording_url"], "/api/v1/videos/i1/stream");
        assert!(recording(VideoStatus::Uploading).view()["video_recording_url"].is_null());
    }

    #[test]
    fn the_projection_matches_the_row() {
        let p = recording(VideoStatus::Uploading).projection(9_000);
        assert_eq!(p["status"], "uploading");
        assert_eq!(p["content_type"], "video/webm");
        assert_eq!(p["last_chunk_at"], rfc3339_ms(2_000));
        assert!(p["uploaded_at"].is_null());
        assert_eq!(p["updated_at"], rfc3339_ms(9_000));
    }

    #[test]
    fn retention_deletes_old_videos_and_aborts_idle_uploads_only() {
        let done = recording(VideoStatus::Completed);
        assert_eq!(done.retention(3_000 + 100, 100, 50), RetentionAction::Keep);
        assert_eq!(done.retention(3_000 + 101, 100, 50), RetentionAction::DeleteExpired);
        let up = recording(VideoStatus::Uploading);
        assert_eq!(up.retention(2_000 + 50, 100, 50), RetentionAction::Keep);
        assert_eq!(up.retention(2_000 + 51, 100, 50), RetentionAction::AbortIdle);
        let mut gone = recording(VideoStatus::Completed);
        gone.mark_deleted(5_000);
        assert_eq!(gone.status, VideoStatus::Deleted);
        assert_eq!(gone.retention(i64::MAX, 0, 0), RetentionAction::Keep);
        assert!(gone.upload_id.is_none());
    }

    #[test]
    fn windows_convert_fractional_units() {
        assert_eq!(window_ms(90.0, DAY_MS), 90 * 86_400_000);
        assert_eq!(window_ms(24.0, HOUR_MS), 86_400_000);
        assert_eq!(window_ms(0.00001, DAY_MS), 864);
        assert_eq!(window_ms(0.0, DAY_MS), 0);
        assert_eq!(window_ms(f64::MAX, DAY_MS), 9_000_000_000_000_000);
    }
}
