//! Removing an interview's video: deletion by its candidate and the daily retention job
//! (`docs/video.md#retention`).

use serde_json::json;

use super::video::{abort_upload, VResult, RECORDING, UPLOAD};
use super::{storage, InterviewDo, Outcome};
use crate::auth::access::Principal;
use crate::config::Config;
use crate::domain::enums::VideoStatus;
use crate::domain::media::recording::{RetentionAction, VideoRecording};
use crate::domain::media::video::UploadState;
use crate::http::error::ApiError;
use crate::platform::{log_event, now_ms};

impl InterviewDo {
    pub(super) async fn video_delete(&self, who: &Principal, cfg: &Config) -> Outcome {
        // Withdrawing needs no consent: it is how a candidate takes it back.
        self.video_access(who, true, false)?;
        let exists =
            self.kv_get::<VideoRecording>(RECORDING)?.is_some_and(|r| r.status != VideoStatus::Deleted);
        if !exists {
            return Err(ApiError::not_found());
        }
        let rec = self.video_remove(cfg).await?;
        log_event("video_deleted", json!({ "interview_id": rec.interview_id, "by": "candidate" }));
        Ok((
            200,
            json!({
                "interview_id": rec.interview_id,
                "status": rec.status,
                "deleted_at": rec.deleted_ms.map(crate::domain::time::rfc3339_ms),
            }),
        ))
    }

    /// Deletes the object and aborts the upload in progress, then marks the recording deleted.
    pub(super) async fn video_remove(&self, cfg: &Config) -> VResult<VideoRecording> {
        let bucket = self.bucket()?;
        let state: Option<UploadState> = self.kv_get(UPLOAD)?;
        let key = self.kv_get::<VideoRecording>(RECORDING)?.map(|r| r.key);
        // Chunks still in flight find no upload and are refused.
        self.kv_delete(UPLOAD)?;
        if let Some(state) = state {
            abort_upload(&bucket, &state).await;
        }
        if let Some(key) = key {
            bucket.delete(key).await.map_err(storage("r2 delete"))?;
        }
        // A chunk may have started a new upload while this awaited R2: the deletion covers it.
        if let Some(late) = self.kv_get::<UploadState>(UPLOAD)? {
            self.kv_delete(UPLOAD)?;
            abort_upload(&bucket, &late).await;
        }
        let mut rec: VideoRecording = self.kv_get(RECORDING)?.ok_or_else(ApiError::internal)?;
        rec.mark_deleted(now_ms());
        self.set_video_status(VideoStatus::Deleted, cfg)?;
        self.put_recording(&rec)?;
        self.flush_now(cfg).await;
        Ok(rec)
    }

    /// `POST /video/retention` (daily job): deletes an expired video or aborts an idle upload,
    /// deciding from the DO's own state.
    pub(super) async fn video_retention(&self, retention_ms: i64, idle_ms: i64, cfg: &Config) -> Outcome {
        let Some(rec) = self.kv_get::<VideoRecording>(RECORDING)? else {
            return Ok((200, json!({ "action": "none" })));
        };
        let action = rec.retention(now_ms(), retention_ms, idle_ms);
        let name = match action {
            RetentionAction::Keep => return Ok((200, json!({ "action": "none" }))),
            RetentionAction::DeleteExpired => "deleted",
            RetentionAction::AbortIdle => "aborted",
        };
        self.video_remove(cfg).await?;
        log_event("video_retention", json!({ "interview_id": rec.interview_id, "action": name }));
        Ok((200, json!({ "action": name })))
    }
}
