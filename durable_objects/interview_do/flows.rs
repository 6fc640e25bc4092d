//! The flows the socket and video code share: loads and small writes through the store, and
//! the turn operations of the core aggregate with their errors as envelopes.

use std::cell::Cell;

use serde::Serialize;

use super::ports::D1Projector;
use super::{refused, stored, InterviewDo};
use crate::adapters::provider::platform_provider;
use crate::config::Config;
use crate::domain::enums::MessageType;
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::Session;
use crate::http::error::ApiError;
use crate::ids::UserId;
use crate::interview::{Accepted, Answer, Caller, Deadline, InterviewStore, OutboxEntry, TurnReply};
use crate::platform::{log_error, now_ms};

/// The projection of the outbox right after each event, in this instance: what the store had
/// queued when it last ran, and whether it runs now.
#[derive(Default)]
pub(super) struct Flush {
    running: Cell<bool>,
    seen: Cell<u64>,
}

/// The interview's candidate as the caller (sockets carry no token; the ticket vouched for them).
pub(super) fn candidate(user_id: String) -> Caller {
    Caller::candidate(UserId::new(user_id))
}

impl InterviewDo {
    pub(super) fn load(&self) -> std::result::Result<(InterviewRecord, Session), ApiError> {
        let mut record = self.store.record().map_err(stored)?.ok_or_else(ApiError::not_found)?;
        // Interviews that predate organizations belong to the default one.
        if record.org_id.is_none() {
            record.org_id = Some(self.cached_config()?.default_org_id.clone());
        }
        let session = self.store.session().map_err(stored)?.ok_or_else(ApiError::internal)?;
        Ok((record, session))
    }

    pub(super) fn last_message(
        &self,
        kind: Option<MessageType>,
    ) -> std::result::Result<Option<StoredMessage>, ApiError> {
        self.store.last_message(kind).map_err(stored)
    }

    /// Message `seq` of the log, if there is one (a failed read counts as none).
    pub(super) fn message_at(&self, seq: u32) -> Option<StoredMessage> {
        self.store.message(seq).ok().flatten()
    }

    pub(super) fn kv_get<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> std::result::Result<Option<T>, ApiError> {
        self.store.kv_get(key).map_err(stored)
    }

    pub(super) fn kv_put<T: Serialize>(&self, key: &str, value: &T) -> std::result::Result<(), ApiError> {
        self.store.kv_put(key, value).map_err(stored)
    }

    pub(super) fn kv_delete(&self, key: &str) -> std::result::Result<(), ApiError> {
        self.store.kv_delete(key).map_err(stored)
    }

    pub(super) fn enqueue(&self, entry: &OutboxEntry) -> std::result::Result<(), ApiError> {
        self.store.enqueue(entry).map_err(stored)
    }

    /// Projects what this event queued right after it, off its path: a reply never waits on D1,
    /// and the recruiter's lists see a turn at once. One flush runs at a time per instance (it
    /// loops while more was queued meanwhile); whatever fails waits for the alarm's fallback
    /// (`Interview::after_change`), which also covers an instance that goes away first.
    pub(super) fn flush_soon(&self) {
        if self.flush.running.get() || self.store.outbox_writes() == self.flush.seen.get() {
            return;
        }
        let Ok(cfg) = self.cached_config() else { return };
        self.flush.running.set(true);
        let this = self.handle();
        wasm_bindgen_futures::spawn_local(async move {
            // After a macrotask: the reply leaves the object before the projection's work
            // (reading the outbox, binding the batch, D1's share of the one thread under
            // `wrangler dev`) starts, instead of within the same turn of the event loop.
            worker::Delay::from(std::time::Duration::ZERO).await;
            loop {
                let queued = this.store.outbox_writes();
                let provider = platform_provider(&cfg);
                let flushed = this.core(&cfg, &provider).flush_queued(&D1Projector(&this.env)).await;
                this.flush.seen.set(queued);
                if !flushed || this.store.outbox_writes() == queued {
                    break;
                }
            }
            this.flush.running.set(false);
        });
    }

    /// Projects the queued rows now (so D1 reflects a finished step at once); the alarm retries.
    pub(super) async fn flush_now(&self, cfg: &Config) {
        if let Err(e) = self.store.schedule(Deadline::Outbox, now_ms()) {
            log_error("outbox schedule", &e);
        }
        let provider = platform_provider(cfg);
        let core = self.core(cfg, &provider);
        let _ = core.flush_outbox(&D1Projector(&self.env)).await;
        core.arm().await;
    }

    /// Schedules a projection of the queued rows (the alarm flushes them) and arms.
    pub(super) async fn schedule_flush(&self, now: i64, cfg: &Config) -> std::result::Result<(), ApiError> {
        self.store.schedule(Deadline::Outbox, now).map_err(stored)?;
        let provider = platform_provider(cfg);
        self.core(cfg, &provider).arm().await;
        Ok(())
    }

    /// A typed answer from the socket: the same turn as `POST …/messages`.
    pub(super) async fn turn(
        &self,
        who: &Caller,
        answer: Answer,
        cfg: &Config,
    ) -> std::result::Result<TurnReply, ApiError> {
        let provider = platform_provider(cfg);
        self.core(cfg, &provider).turn(who, answer).await.map_err(refused)
    }

    /// Stores a spoken or typed answer as the pending turn (the relay finishes it later).
    pub(super) async fn accept_answer(
        &self,
        who: &Caller,
        answer: Answer,
        cfg: &Config,
    ) -> std::result::Result<Accepted, ApiError> {
        let provider = platform_provider(cfg);
        self.core(cfg, &provider).accept_answer(who, answer).await.map_err(refused)
    }

    /// Finishes the pending answer with the evaluation the voice model made through its tool.
    pub(super) async fn finish_pending(
        &self,
        who: &Caller,
        cfg: &Config,
        answer_seq: u32,
        evaluation: Option<crate::domain::evaluation::Evaluation>,
    ) -> std::result::Result<TurnReply, ApiError> {
        let provider = platform_provider(cfg);
        self.core(cfg, &provider)
            .finish_pending(who, Some(answer_seq), now_ms(), evaluation)
            .await
            .map_err(refused)
    }

    /// A realtime commit or `response.create`: the answer rules, taking a token.
    pub(super) fn authorize_response(&self, who: &Caller, cfg: &Config) -> std::result::Result<(), ApiError> {
        let provider = platform_provider(cfg);
        self.core(cfg, &provider).authorize_response(who).map_err(refused)
    }

    pub(super) fn refuse_if_closed(record: &InterviewRecord) -> std::result::Result<(), ApiError> {
        crate::interview::refuse_if_closed(record).map_err(ApiError::from)
    }
}
