//! The interview DO's video recording (`docs/video.md`): the DO is the single writer of the
//! recording, so chunk uploads of one interview are serialized here, whatever the number of
//! parallel requests. It drives the R2 multipart upload (create, upload part, complete, abort)
//! and keeps two `kv` entries:
//!
//! - `video_upload`: the resumable [`UploadState`] while uploading (removed once finalized or
//!   deleted, which also refuses chunks still in flight);
//! - `video`: the [`VideoRecording`] (metadata, status), projected into D1 `video_recordings`
//!   through the outbox, with the interview's `video_recording_status` kept beside it.
//!
//! The DO may run another request while it awaits R2, so every decision is re-checked against
//! the stored state after the await: two first chunks racing each create a multipart upload, the
//! first one stored wins and the other is aborted; a part is recorded only if its upload is
//! still the current one ([`UploadState::record_part`] re-validates the size rules).
//!
//! Operations (typed, from the Worker): `VideoChunk` (the body is the chunk's bytes),
//! `VideoStatus`, `VideoFinalize`, `VideoView`, `VideoDelete`; and `VideoRetention` from the
//! daily job.

use serde_json::{json, Value};
use worker::{HttpMetadata, Request, UploadedPart};

use super::{storage, InterviewDo, Outcome};
use crate::adapters::provider::platform_provider;
use crate::auth::access::Principal;
use crate::config::Config;
use crate::domain::enums::VideoStatus;
use crate::domain::interview::InterviewRecord;
use crate::domain::media::recording::{object_key, stream_url, VideoRecording};
use crate::domain::media::video::{
    plan_chunk, verify_first_chunk, ChunkError, ChunkRequest, UploadLimits, UploadState, VideoContentType,
    MAX_CHUNK_REQUEST_BYTES,
};
use crate::http::error::{ApiError, ErrorCode};
use crate::interview::OutboxEntry;
use crate::platform::{log_error, log_event, now_ms};
use crate::protocol::InterviewRequest;

/// `kv` key of the recording.
pub(super) const RECORDING: &str = "video";
/// `kv` key of the upload in progress.
pub(super) const UPLOAD: &str = "video_upload";

pub(super) type VResult<T> = std::result::Result<T, ApiError>;

/// A refused chunk as the API answers it.
fn chunk_error(e: &ChunkError) -> ApiError {
    match e.status() {
        422 => ApiError::field(e.field(), e.to_string()),
        413 => ApiError::new(ErrorCode::PayloadTooLarge, e.to_string()),
        409 => ApiError::new(ErrorCode::UploadConflict, e.to_string()),
        _ => ApiError::new(ErrorCode::UnsupportedMediaType, e.to_string()),
    }
}

fn conflict(message: &str) -> ApiError {
    ApiError::new(ErrorCode::UploadConflict, message)
}

/// The `finalize` answer.
fn finalized(rec: &VideoRecording) -> Value {
    json!({
        "video_recording_url": stream_url(&rec.interview_id),
        "total_chunks": rec.total_chunks,
        "file_size_bytes": rec.file_size_bytes,
        "status": rec.status,
    })
}

/// Aborts a multipart upload (its parts are deleted); a failure is logged (R2 also expires
/// abandoned uploads itself).
pub(super) async fn abort_upload(bucket: &worker::Bucket, state: &UploadState) {
    let aborted = match bucket.resume_multipart_upload(state.key.clone(), state.upload_id.clone()) {
        Ok(upload) => upload.abort().await,
        Err(e) => Err(e),
    };
    if let Err(e) = aborted {
        log_error("r2 abort upload", &e);
    }
}

impl InterviewDo {
    /// Serves the video operations.
    pub(super) async fn video_route(
        &self,
        who: &Principal,
        request: InterviewRequest,
        mut req: Request,
        cfg: &Config,
    ) -> Outcome {
        match request {
            InterviewRequest::VideoChunk { chunk_index, total_chunks, content_type } => {
                self.video_chunk(who, (chunk_index, total_chunks, content_type), &mut req, cfg).await
            }
            InterviewRequest::VideoStatus => self.video_upload_status(who),
            InterviewRequest::VideoFinalize => self.video_finalize(who, cfg).await,
            InterviewRequest::VideoView => self.video_view(who),
            InterviewRequest::VideoDelete => self.video_delete(who, cfg).await,
            _ => Err(ApiError::not_found()),
        }
    }

    /// The interview, if `who` may act on its video: the owner (`owner_only`) or owner and staff
    /// (404 for other candidates), and consent given (403 `VIDEO_CONSENT_REQUIRED`).
    pub(super) fn video_access(
        &self,
        who: &Principal,
        owner_only: bool,
        consent: bool,
    ) -> VResult<InterviewRecord> {
        let (record, _) = self.load()?;
        let in_org = record.org_id.as_deref().is_some_and(|org| who.is_staff_of(org));
        if owner_only {
            who.require_owner(&record.candidate_id, in_org)?;
        } else {
            who.can_read(&record.candidate_id, in_org)?;
        }
        if consent && !record.video_recording_consent {
            return Err(ApiError::new(
                ErrorCode::VideoConsentRequired,
                "Video recording needs the candidate's consent (POST /api/v1/interviews/{id}/video-consent).",
            ));
        }
        Ok(record)
    }

    fn refuse_if_finalized(&self) -> VResult<()> {
        if self.kv_get::<VideoRecording>(RECORDING)?.is_some_and(|r| r.status == VideoStatus::Completed) {
            return Err(conflict("The video was already finalized; delete it to record a new one."));
        }
        Ok(())
    }

    pub(super) fn bucket(&self) -> VResult<worker::Bucket> {
        self.env.bucket("MEDIA").map_err(storage("r2 binding"))
    }

    /// Sets the interview's `video_recording_status` (a new, projected interview version).
    pub(super) fn set_video_status(&self, status: VideoStatus, cfg: &Config) -> VResult<()> {
        let provider = platform_provider(cfg);
        self.core(cfg, &provider).set_video_status(status).map_err(super::refused)
    }

    /// Stores the recording and queues its D1 row.
    pub(super) fn put_recording(&self, rec: &VideoRecording) -> VResult<()> {
        self.kv_put(RECORDING, rec)?;
        self.enqueue(&OutboxEntry::Video(rec.projection(now_ms())))
    }

    // ----- routes -----------------------------------------------------------------------------

    async fn video_chunk(
        &self,
        who: &Principal,
        (chunk_index, total_chunks, content_type): (u32, u32, VideoContentType),
        req: &mut Request,
        cfg: &Config,
    ) -> Outcome {
        let record = self.video_access(who, true, true)?;
        self.refuse_if_finalized()?;
        let bytes =
            req.bytes().await.map_err(|_| ApiError::field("video_chunk", "The chunk could not be read."))?;
        // The Worker refuses oversized requests by their declared length; a body without one
        // is measured here.
        let max = MAX_CHUNK_REQUEST_BYTES.min(cfg.video_max_bytes);
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("The chunk has {} bytes; one request may carry at most {max} bytes.", bytes.len()),
            ));
        }
        let chunk = ChunkRequest {
            chunk_index,
            total_chunks,
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            content_type,
        };
        let limits = UploadLimits::new(cfg.video_max_bytes);
        // Again after the await: a finalize may have completed meanwhile.
        self.refuse_if_finalized()?;
        let state: Option<UploadState> = self.kv_get(UPLOAD)?;
        let plan = plan_chunk(state.as_ref(), &chunk, &limits).map_err(|e| chunk_error(&e))?;
        if chunk_index == 0 {
            let head = bytes.get(..bytes.len().min(16)).unwrap_or_default();
            verify_first_chunk(content_type, head).map_err(|e| chunk_error(&e))?;
        }
        let bucket = self.bucket()?;
        let state = match state {
            Some(s) => s,
            None => self.video_begin(&bucket, &record, &chunk, cfg).await?,
        };
        let upload = bucket
            .resume_multipart_upload(state.key.clone(), state.upload_id.clone())
            .map_err(storage("r2 resume upload"))?;
        let uploaded = upload.upload_part(plan.part_number, bytes).await;
        // Other requests may have run meanwhile: record against the stored state.
        let current: Option<UploadState> =
            self.kv_get::<UploadState>(UPLOAD)?.filter(|s| s.upload_id == state.upload_id);
        let part = match (uploaded, current.is_some()) {
            (Ok(part), _) => part,
            (Err(_), false) => return Err(conflict("The upload was finalized or deleted meanwhile.")),
            (Err(e), true) => return Err(storage("r2 upload part")(e)),
        };
        let Some(mut current) = current else {
            return Err(conflict("The upload was finalized or deleted meanwhile."));
        };
        let now = now_ms();
        current.record_part(&chunk, part.etag(), &limits, now).map_err(|e| chunk_error(&e))?;
        self.kv_put(UPLOAD, &current)?;
        let mut rec: VideoRecording = self.kv_get(RECORDING)?.ok_or_else(ApiError::internal)?;
        rec.chunk_count = current.received_count();
        rec.file_size_bytes = current.total_bytes;
        rec.last_chunk_ms = current.last_chunk_ms;
        self.put_recording(&rec)?;
        self.schedule_flush(now, cfg).await?;
        Ok((
            200,
            json!({
                "chunk_uploaded": true,
                "chunk_index": chunk_index,
                "total_uploaded": current.received_count(),
                "total_chunks": current.total_chunks,
                "replaced": plan.replaces,
            }),
        ))
    }

    /// Creates the multipart upload for a first chunk. When another chunk created one while this
    /// one awaited R2, that one is kept and this one aborted.
    async fn video_begin(
        &self,
        bucket: &worker::Bucket,
        record: &InterviewRecord,
        chunk: &ChunkRequest,
        cfg: &Config,
    ) -> VResult<UploadState> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let key = object_key(&record.id, &nonce, chunk.content_type);
        let metadata = HttpMetadata {
            content_type: Some(chunk.content_type.as_str().to_owned()),
            ..HttpMetadata::default()
        };
        let upload = bucket
            .create_multipart_upload(key.clone())
            .http_metadata(metadata)
            .execute()
            .await
            .map_err(storage("r2 create upload"))?;
        if let Err(e) = self.refuse_if_finalized() {
            // Finalized while this upload was being created: it must not replace the video.
            if let Err(abort) = upload.abort().await {
                log_error("r2 abort late upload", &abort);
            }
            return Err(e);
        }
        if let Some(winner) = self.kv_get::<UploadState>(UPLOAD)? {
            if let Err(e) = upload.abort().await {
                log_error("r2 abort duplicate upload", &e);
            }
            log_event("video_upload_duplicate_aborted", json!({ "interview_id": record.id }));
            return Ok(winner);
        }
        let now = now_ms();
        let state = UploadState::new(
            upload.upload_id().await,
            key.clone(),
            chunk.content_type,
            chunk.total_chunks,
            now,
        );
        self.kv_put(UPLOAD, &state)?;
        let previous: Option<VideoRecording> = self.kv_get(RECORDING)?;
        let rec = VideoRecording {
            id: previous.map_or_else(|| uuid::Uuid::new_v4().to_string(), |p| p.id),
            interview_id: record.id.clone(),
            candidate_id: record.candidate_id.clone(),
            key,
            content_type: chunk.content_type,
            upload_id: Some(state.upload_id.clone()),
            total_chunks: chunk.total_chunks,
            chunk_count: 0,
            file_size_bytes: 0,
            status: VideoStatus::Uploading,
            created_ms: now,
            last_chunk_ms: now,
            uploaded_ms: None,
            deleted_ms: None,
        };
        self.set_video_status(VideoStatus::Uploading, cfg)?;
        self.put_recording(&rec)?;
        self.schedule_flush(now, cfg).await?;
        log_event(
            "video_upload_started",
            json!({ "interview_id": record.id, "total_chunks": chunk.total_chunks }),
        );
        Ok(state)
    }

    fn video_upload_status(&self, who: &Principal) -> Outcome {
        self.video_access(who, false, true)?;
        if let Some(state) = self.kv_get::<UploadState>(UPLOAD)? {
            let mut v = json!(state.status());
            v["status"] = json!(VideoStatus::Uploading);
            v["received_bytes"] = json!(state.total_bytes);
            return Ok((200, v));
        }
        let rec: Option<VideoRecording> = self.kv_get(RECORDING)?;
        let status = rec.as_ref().map_or(VideoStatus::NotStarted, |r| r.status);
        Ok((
            200,
            match rec.filter(|r| r.status == VideoStatus::Completed) {
                Some(r) => json!({
                    "upload_id": Value::Null,
                    "total_chunks": r.total_chunks,
                    "received": (0..r.total_chunks).collect::<Vec<_>>(),
                    "missing": [],
                    "status": r.status,
                    "received_bytes": r.file_size_bytes,
                }),
                // Nothing to resume: not started, or deleted (a new upload may start).
                None => json!({
                    "upload_id": Value::Null,
                    "total_chunks": Value::Null,
                    "received": [],
                    "missing": [],
                    "status": status,
                    "received_bytes": 0,
                }),
            },
        ))
    }

    async fn video_finalize(&self, who: &Principal, cfg: &Config) -> Outcome {
        self.video_access(who, true, true)?;
        if let Some(rec) =
            self.kv_get::<VideoRecording>(RECORDING)?.filter(|r| r.status == VideoStatus::Completed)
        {
            return Ok((200, finalized(&rec)));
        }
        let Some(state) = self.kv_get::<UploadState>(UPLOAD)? else {
            return Err(ApiError::new(ErrorCode::UploadIncomplete, "No chunk has been uploaded yet.")
                .with_extra("missing_chunks", json!([])));
        };
        let parts = state.ready_to_finalize().map_err(|missing| {
            ApiError::new(
                ErrorCode::UploadIncomplete,
                format!("{} of {} chunks are missing.", missing.len(), state.total_chunks),
            )
            .with_extra("missing_chunks", json!(missing))
        })?;
        let upload = self
            .bucket()?
            .resume_multipart_upload(state.key.clone(), state.upload_id.clone())
            .map_err(storage("r2 resume upload"))?;
        let completed =
            upload.complete(parts.into_iter().map(|(number, etag)| UploadedPart::new(number, etag))).await;
        let stored: Option<VideoRecording> = self.kv_get(RECORDING)?;
        if let Some(rec) =
            stored.as_ref().filter(|r| r.status == VideoStatus::Completed && r.key == state.key)
        {
            // A concurrent finalize finished first.
            return Ok((200, finalized(rec)));
        }
        let object = completed.map_err(storage("r2 complete upload"))?;
        let current: Option<UploadState> =
            self.kv_get::<UploadState>(UPLOAD)?.filter(|s| s.upload_id == state.upload_id);
        let (Some(mut rec), Some(_)) = (stored, current) else {
            // Deleted while completing: the object must not outlive the deletion.
            let _ = self.bucket()?.delete(state.key.clone()).await;
            return Err(conflict("The upload was deleted meanwhile."));
        };
        let now = now_ms();
        rec.status = VideoStatus::Completed;
        rec.upload_id = None;
        rec.file_size_bytes = object.size();
        rec.chunk_count = state.received_count();
        rec.total_chunks = state.total_chunks;
        rec.uploaded_ms = Some(now);
        self.kv_delete(UPLOAD)?;
        self.set_video_status(VideoStatus::Completed, cfg)?;
        self.put_recording(&rec)?;
        self.flush_now(cfg).await;
        log_event(
            "video_finalized",
            json!({ "interview_id": rec.interview_id, "bytes": rec.file_size_bytes, "chunks": rec.total_chunks }),
        );
        Ok((200, finalized(&rec)))
    }

    fn video_view(&self, who: &Principal) -> Outcome {
        self.video_access(who, false, true)?;
        let rec: VideoRecording = self.kv_get(RECORDING)?.ok_or_else(ApiError::not_found)?;
        Ok((200, rec.view()))
    }
}
