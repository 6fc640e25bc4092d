//! A turn: accept the candidate's answer (idempotency, status, one pending answer, rate limit),
//! then finish it (one provider call, the engine's decision, the reply, the stored result).

use serde_json::{json, Value};

use crate::ai::breaker::CircuitBreaker;
use crate::config::AiProviderKind;
use crate::domain::engine::cost::PriceTable;
use crate::domain::enums::{InterviewStatus, MessageType};
use crate::domain::evaluation::Evaluation;
use crate::domain::interview::{body_fingerprint, PendingTurn, StoredMessage};
use crate::ids::IdempotencyKey;

use super::ports::{KeyEntry, ProviderFailure, ProviderTurn, Slot, TurnInput, Usage};
use super::{
    limits, question_metadata, refuse_if_closed, Alarm, Caller, Interview, InterviewError, Provider, Result,
    SessionState, TurnReply,
};

/// A candidate's answer, as the Worker validated it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub message_text: String,
    #[serde(default)]
    pub client_metadata: Value,
    pub idempotency_key: Option<IdempotencyKey>,
    /// The stored recording of a legacy voice answer.
    #[serde(default)]
    pub audio_url: Option<String>,
}

/// What [`Interview::accept_answer`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// A replayed key whose turn already finished: its stored result.
    Done(Box<TurnReply>),
    /// The pending answer's sequence number, to finish.
    Pending(u32),
}

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// `POST …/messages`: accept the answer and produce the interviewer's reply.
    ///
    /// # Errors
    /// See [`InterviewError`]: closed interview, pending answer, rate limit, reused key, or the
    /// provider failing (the answer stays saved and pending).
    pub async fn turn(&self, caller: &Caller, answer: Answer) -> Result<TurnReply> {
        let received = self.now();
        match self.accept_answer(caller, answer).await? {
            Accepted::Done(result) => Ok(*result),
            Accepted::Pending(seq) => self.finish_pending(caller, Some(seq), received, None).await,
        }
    }

    /// `POST …/messages/retry`: finish the pending answer, or replay the latest finished turn.
    ///
    /// # Errors
    /// As [`Interview::turn`]; `NoPendingToRetry` when there is nothing to retry or replay.
    pub async fn retry(&self, caller: &Caller) -> Result<TurnReply> {
        let (record, _) = self.load()?;
        caller.require_owner(&record, self.config)?;
        if let Some(p) = &record.pending {
            return self.finish_pending(caller, Some(p.answer_seq), self.now(), None).await;
        }
        refuse_if_closed(&record)?;
        let last_answer = self.store.last_message(Some(MessageType::CandidateResponse))?;
        match last_answer.map(|m| self.store.turn_result(m.seq)).transpose()?.flatten() {
            Some(result) => Ok(result),
            None => Err(InterviewError::NoPendingToRetry),
        }
    }

    /// Stores a candidate's answer as the pending turn (after the idempotency, status, pending
    /// and rate checks), or finds the stored result of a replayed key.
    ///
    /// # Errors
    /// See [`Interview::turn`].
    pub async fn accept_answer(&self, caller: &Caller, answer: Answer) -> Result<Accepted> {
        let (mut record, session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        let fingerprint = body_fingerprint(&answer.message_text, &answer.client_metadata);
        if let Some(key) = &answer.idempotency_key {
            if let Some(entry) = self.store.key_entry(key.as_str())? {
                if entry.fingerprint != fingerprint {
                    return Err(InterviewError::KeyReused);
                }
                return Ok(match self.store.turn_result(entry.answer_seq)? {
                    Some(result) => Accepted::Done(Box::new(result)),
                    None => Accepted::Pending(entry.answer_seq),
                });
            }
        }
        let now = self.now();
        let bucket = self.answer_rules(&record, now)?;
        let last = self.store.last_message(None)?;
        let seq = last.as_ref().map_or(1, |m| m.seq + 1);
        let message = StoredMessage {
            seq,
            id: self.ids.new_id(),
            message_type: MessageType::CandidateResponse,
            content_text: answer.message_text,
            audio_url: answer.audio_url,
            metadata: json!({ "client_metadata": answer.client_metadata,
                              "question_number": session.current.question_number }),
            response_time_ms: last.as_ref().map(|m| (now - m.created_ms).max(0)),
            created_ms: now,
        };
        record.answers_bucket = Some(bucket);
        record.pending = Some(PendingTurn {
            answer_seq: seq,
            idempotency_key: answer.idempotency_key.as_ref().map(|k| k.as_str().to_owned()),
            since_ms: now,
        });
        record.last_activity_ms = now;
        record.version += 1;
        // One synchronous batch: the answer, the pending mark, the key, the outbox rows.
        self.insert_message(&record.id, &message)?;
        if let Some(key) = &answer.idempotency_key {
            self.store.put_key_entry(key.as_str(), &KeyEntry { fingerprint, answer_seq: seq }, now)?;
        }
        self.save(&record, &session)?;
        if record.ai_provider != AiProviderKind::Builtin {
            // A model call can take seconds: arm the alarm now so the answer reaches the
            // projection and inactivity is tracked even if this instance is evicted meanwhile.
            // The built-in provider answers at once and arms when the turn finishes.
            self.after_change(&record).await?;
        }
        Ok(Accepted::Pending(seq))
    }

    /// Produces the interviewer's reply to the pending answer: one provider call (unless a
    /// realtime model already evaluated it through its tool), then the engine's decision, the
    /// reply message and the stored result.
    ///
    /// # Errors
    /// See [`Interview::turn`].
    pub async fn finish_pending(
        &self,
        caller: &Caller,
        answer_seq: Option<u32>,
        received_ms: i64,
        provided_evaluation: Option<Evaluation>,
    ) -> Result<TurnReply> {
        let (record, session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        let stored = |seq: Option<u32>| -> Result<Option<TurnReply>> {
            Ok(seq.map(|s| self.store.turn_result(s)).transpose()?.flatten())
        };
        let Some(pending) = record.pending.clone() else {
            if let Some(result) = stored(answer_seq)? {
                return Ok(result);
            }
            refuse_if_closed(&record)?;
            return Err(InterviewError::NoPendingAnswer);
        };
        if answer_seq.is_some_and(|s| s != pending.answer_seq) {
            if let Some(result) = stored(answer_seq)? {
                return Ok(result);
            }
        }
        if self.in_flight.get() == Some(pending.answer_seq) {
            return Err(InterviewError::StillAnswering);
        }
        let answer = self.store.message(pending.answer_seq)?.ok_or_else(|| {
            InterviewError::Storage(super::StoreError::new("turn", "pending answer missing"))
        })?;
        let started = self.now();
        self.in_flight.set(Some(pending.answer_seq));
        let provided = match provided_evaluation {
            Some(evaluation) => Ok(ProviderTurn { evaluation, questions: None, usage: None }),
            None => self.call_provider(&record, &session, &answer.content_text).await,
        };
        self.in_flight.set(None);
        let usage = match &provided {
            Ok(p) => p.usage.clone(),
            Err(f) => f.usage.clone(),
        };
        if let Some(usage) = usage {
            self.bill(&usage)?;
        }

        // Other requests may have run during the provider call: continue from the stored state.
        let (mut record, mut session) = self.load()?;
        if record.pending.as_ref() != Some(&pending) {
            return match self.store.turn_result(pending.answer_seq)? {
                Some(result) => Ok(result),
                None => {
                    refuse_if_closed(&record)?;
                    Err(InterviewError::StillAnswering)
                }
            };
        }
        let ProviderTurn { mut evaluation, questions, .. } = match provided {
            Ok(p) => p,
            Err(failure) => {
                // The failed call's tokens are billed: past the cap, the interview ends now.
                if self.enforce_cost_cap()? {
                    if let Some(after) = self.store.record()? {
                        self.after_change(&after).await?;
                    }
                    return Err(InterviewError::Completed);
                }
                self.after_change(&record).await?;
                self.log.event(
                    "turn_failed",
                    json!({ "interview_id": record.id, "reason": failure.error.to_string() }),
                );
                return Err(InterviewError::AiUnavailable {
                    retry_after_secs: u32::try_from(failure.error.retry_after_secs()).unwrap_or(u32::MAX),
                    message_id: answer.id,
                });
            }
        };
        evaluation.skill_area.clone_from(&session.current.skill_area);
        if record.ai_provider != AiProviderKind::Builtin {
            // A model's evaluation meets the rubric (docs/scoring.md#openai-mode).
            evaluation =
                session.cross_check(&answer.content_text, evaluation, self.config.score_disagreement_margin);
        }
        let limits = limits(self.config);
        let difficulty_before = session.state.current_difficulty;
        let decision = session
            .apply_evaluation(&evaluation, pending.answer_seq, &limits)
            .map_err(|_| InterviewError::Completed)?;
        session.remember_answer(&answer.content_text);
        let next = session.plan_next(&decision, &evaluation, questions.as_ref());
        if next.as_ref().is_some_and(|n| n.model_fallback.is_some()) {
            record.model_fallbacks += 1;
        }
        let reply_text = next.as_ref().map_or_else(|| session.closing_text(), |n| n.reply_text.clone());
        let now = self.now();
        let reply = StoredMessage {
            seq: pending.answer_seq + 1,
            id: self.ids.new_id(),
            message_type: MessageType::AiQuestion,
            content_text: reply_text,
            audio_url: None,
            metadata: if next.is_some() { question_metadata(&session) } else { json!({ "closing": true }) },
            response_time_ms: Some(now - started),
            created_ms: now,
        };
        if let Some(reason) = decision.completion {
            record.status = InterviewStatus::Completed;
            record.completed_ms = Some(now);
            record.completion_reason = Some(reason);
            self.store.schedule(super::Deadline::Assessment, now)?;
        }
        record.pending = None;
        record.last_activity_ms = now;
        record.version += 1;
        let result = TurnReply {
            message_id: answer.id,
            ai_message_id: reply.id.clone(),
            ai_response: reply.content_text.clone(),
            question_number: decision.question_number,
            total_questions: decision.total_questions,
            interview_complete: decision.completion.is_some(),
            session_state: SessionState::of(&session),
            completion_reason: decision.completion,
            evaluation: self.config.show_live_feedback.then(|| evaluation.clone()),
        };
        // One synchronous batch: reply, evaluation, result, state, outbox rows.
        self.insert_message(&record.id, &reply)?;
        self.store.put_evaluation(pending.answer_seq, &evaluation)?;
        self.store.put_turn_result(pending.answer_seq, &result)?;
        self.save(&record, &session)?;
        self.after_change(&record).await?;
        // One line per turn (each `console.log` costs more than a SQLite statement under
        // wrangler dev): the difficulty change and a boundary found are fields of it.
        let boundary = decision
            .boundary
            .as_ref()
            .map(|b| json!({ "skill_area": b.skill_area, "level": b.boundary_level }));
        self.log.event(
            "turn",
            json!({ "interview_id": record.id, "question_number": decision.question_number,
                    "difficulty_before": difficulty_before, "difficulty_after": decision.difficulty_after,
                    "skill_boundary": boundary,
                    "server_ms": self.now() - received_ms, "model_ms": now - started,
                    "provider": record.ai_provider }),
        );
        if let Some(reason) = decision.completion {
            self.log.event("interview_completed", json!({ "interview_id": record.id, "reason": reason }));
        }
        Ok(result)
    }

    /// One provider call with the stored circuit breaker (saved back when it changed).
    async fn call_provider(
        &self,
        record: &crate::domain::interview::InterviewRecord,
        session: &crate::domain::interviewer::Session,
        answer: &str,
    ) -> std::result::Result<ProviderTurn, ProviderFailure> {
        // Only a model reads the conversation and the circuit breaker: a built-in turn makes
        // neither storage read.
        let model = record.ai_provider != AiProviderKind::Builtin;
        let log = if model { self.store.all_messages().unwrap_or_default() } else { Vec::new() };
        let mut breaker = if model { self.breaker() } else { CircuitBreaker::default() };
        let before = breaker;
        let input = TurnInput { record, session, log: &log, answer };
        let result = self.provider.evaluate(input, &mut breaker).await;
        if breaker != before {
            if let Err(e) = self.put_slot(Slot::Breaker, &breaker) {
                self.log.event("breaker_write_failed", json!({ "reason": format!("{e:?}") }));
            }
        }
        result
    }

    /// The stored circuit breaker, with the configured open time.
    pub(super) fn breaker(&self) -> CircuitBreaker {
        let mut breaker: CircuitBreaker = self.slot(Slot::Breaker).ok().flatten().unwrap_or_default();
        breaker.config.open_ms = self.config.openai_breaker_open_ms;
        breaker
    }

    /// Adds a model call's cost (and a memory truncation) to the stored session at once, so a
    /// failed turn's tokens are billed too.
    pub(super) fn bill(&self, usage: &Usage) -> Result<()> {
        let Some(mut session) = self.store.session()? else { return Ok(()) };
        session.state.cost.add_chat(&PriceTable::default(), &usage.model, &usage.chat);
        if usage.truncated {
            session.state.memory_truncations += 1;
        }
        self.store.put_session(&session)?;
        Ok(())
    }
}
