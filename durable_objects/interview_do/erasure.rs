//! Erasure and retention inside the interview's object (docs/privacy.md): `Erase` deletes
//! everything the object stores, `Purge` deletes the transcript and/or the assessment.

use super::video::{abort_upload, UPLOAD};
use super::{reply, storage, stored, InterviewDo};
use crate::domain::media::video::UploadState;
use crate::http::error::ApiError;
use crate::platform::log_event;
use crate::protocol::{Erased, CLOSE_REVOKED};

impl InterviewDo {
    /// Closes the sockets, aborts an open upload, then deletes the alarm and all storage. The
    /// object then holds no schema, so every later call is refused (404) and the alarm does
    /// nothing.
    pub(super) async fn erase(&self) -> Result<worker::Response, ApiError> {
        for ws in self.clients() {
            let _ = ws.close(Some(CLOSE_REVOKED), Some("interview erased"));
        }
        self.close_upstream("interview erased");
        if let Some(state) = self.kv_get::<UploadState>(UPLOAD)? {
            abort_upload(&self.bucket()?, &state).await;
        }
        let store = self.state.storage();
        store.delete_alarm().await.map_err(storage("erase alarm"))?;
        self.alarm.forget();
        store.delete_all().await.map_err(storage("erase storage"))?;
        self.store.forget_cached();
        self.checked.borrow_mut().forget_all();
        self.schema_ready.set(false);
        log_event("interview_erased", serde_json::json!({}));
        reply(200, &Erased { outcome: "erased".to_owned() })
    }

    /// Retention: deletes the transcript and/or the assessment.
    pub(super) fn purge(&self, transcript: bool, assessment: bool) -> Result<worker::Response, ApiError> {
        self.store.purge(transcript, assessment).map_err(stored)?;
        reply(200, &crate::interview::Ack { ok: true })
    }
}
