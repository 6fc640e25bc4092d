//! The read side: the API views of one interview, for its candidate and for staff.

use serde_json::{json, Value};

use crate::domain::assessment::{candidate_view, staff_view, Assessment};
use crate::domain::engine::cost::micros_to_usd;
use crate::domain::enums::{InterviewStatus, MessageType};
use crate::domain::interview::StoredMessage;
use crate::domain::time::rfc3339_ms;

use super::ports::Slot;
use super::{
    limits, Alarm, AssessmentProgress, AssessmentReply, Caller, CostView, Detail, Interview, InterviewError,
    LatestQuestion, MessagesPage, Provider, Result, SessionState, Transcript,
};

/// The most messages one page returns.
pub const MAX_PAGE: u32 = 100;
/// The default page size.
pub const DEFAULT_PAGE: u32 = 50;
/// The largest `skip` or `after_seq` accepted.
pub const MAX_OFFSET: u32 = 1_000_000;

/// `GET …/messages` query, as strings from the URL (validated here, with field-named errors).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessagesQuery {
    pub skip: Option<String>,
    pub limit: Option<String>,
    pub after_seq: Option<String>,
}

fn param(v: Option<&str>, field: &'static str, default: u32, max: u32) -> Result<u32> {
    match v {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(InterviewError::InvalidParam {
                field,
                message: format!("Must be an integer between 0 and {max}."),
            }),
        },
    }
}

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// `GET /interviews/{id}`.
    ///
    /// # Errors
    /// `NotFound` for a missing interview or another candidate's.
    pub fn view(&self, caller: &Caller) -> Result<Value> {
        let (record, session) = self.load()?;
        caller.can_read(&record, self.config)?;
        Ok(record.view(&session, &limits(self.config), caller.role.is_staff(), self.now()))
    }

    /// `GET …/status`, the session-recovery call.
    ///
    /// # Errors
    /// As [`Interview::view`].
    pub fn status(&self, caller: &Caller) -> Result<Value> {
        let (record, session) = self.load()?;
        caller.can_read(&record, self.config)?;
        let last = self.store.last_message(None)?;
        Ok(record.status_view(&session, last.as_ref()))
    }

    /// `GET …/messages`.
    ///
    /// # Errors
    /// As [`Interview::view`]; `InvalidParam` for an out-of-range query value.
    pub fn messages(&self, caller: &Caller, q: &MessagesQuery) -> Result<MessagesPage> {
        let (record, _) = self.load()?;
        caller.can_read(&record, self.config)?;
        let skip = param(q.skip.as_deref(), "skip", 0, MAX_OFFSET)?;
        let limit = param(q.limit.as_deref(), "limit", DEFAULT_PAGE, MAX_PAGE)?;
        let after = param(q.after_seq.as_deref(), "after_seq", 0, MAX_OFFSET)?;
        let total_count = self.store.message_count()?;
        let page = self.store.messages_page(after, skip, limit)?;
        Ok(MessagesPage {
            interview_id: record.id,
            total_count,
            messages: page.iter().map(StoredMessage::view).collect(),
        })
    }

    /// `GET …/messages/latest`: the interviewer's latest question.
    ///
    /// # Errors
    /// As [`Interview::view`].
    pub fn latest(&self, caller: &Caller) -> Result<LatestQuestion> {
        let (record, _) = self.load()?;
        caller.can_read(&record, self.config)?;
        let m = self.store.last_message(Some(MessageType::AiQuestion))?.ok_or(InterviewError::NotFound)?;
        Ok(LatestQuestion {
            message_id: m.id,
            sequence_number: m.seq,
            text: m.content_text,
            audio_url: m.audio_url,
        })
    }

    /// `GET …/transcript`.
    ///
    /// # Errors
    /// As [`Interview::view`].
    pub fn transcript(&self, caller: &Caller) -> Result<Transcript> {
        let (record, _) = self.load()?;
        caller.can_read(&record, self.config)?;
        let all = self.store.all_messages()?;
        Ok(Transcript {
            interview_id: record.id.clone(),
            started_at: rfc3339_ms(record.started_ms),
            completed_at: record.completed_ms.map(rfc3339_ms),
            duration_seconds: record.duration_seconds(self.now()),
            messages: all.iter().map(StoredMessage::view).collect(),
        })
    }

    /// `GET …/assessment`: the view for the caller's role, or pending/generating.
    ///
    /// # Errors
    /// As [`Interview::view`]; `AbandonedWithoutAnswers`.
    pub fn assessment(&self, caller: &Caller) -> Result<AssessmentReply> {
        let (record, session) = self.load()?;
        caller.can_read(&record, self.config)?;
        if let Some(a) = self.slot::<Assessment>(Slot::Assessment)? {
            let view = if caller.role.is_staff() { staff_view(&a) } else { candidate_view(&a) };
            return Ok(AssessmentReply::Ready(view));
        }
        match record.status {
            InterviewStatus::InProgress => {
                Ok(AssessmentReply::NotYet { status: AssessmentProgress::Pending })
            }
            InterviewStatus::Abandoned if session.state.questions_asked == 0 => {
                Err(InterviewError::AbandonedWithoutAnswers)
            }
            _ => Ok(AssessmentReply::NotYet { status: AssessmentProgress::Generating }),
        }
    }

    /// `GET /recruiter/interviews/{id}` (staff): everything a recruiter reviews.
    ///
    /// # Errors
    /// `Forbidden` for candidates; `NotFound` (also for another organization's staff).
    pub fn detail(&self, caller: &Caller) -> Result<Detail> {
        caller.require_staff()?;
        let (record, session) = self.load()?;
        if !caller.is_staff_of(&record, self.config) {
            return Err(InterviewError::NotFound);
        }
        let messages = self.store.all_messages()?;
        let cost = &session.state.cost;
        Ok(Detail {
            interview: record.view(&session, &limits(self.config), true, self.now()),
            session_state: SessionState::of(&session),
            progression: json!({
                "level_transitions": session.state.level_transitions,
                "skills_pending": session.state.skills_pending,
                "memory_truncations": session.state.memory_truncations,
                "model_fallbacks": record.model_fallbacks,
            }),
            transcript: messages.iter().map(StoredMessage::view).collect(),
            assessment: self.slot::<Assessment>(Slot::Assessment)?.map(|a| staff_view(&a)),
            cost: CostView {
                llm_usd: micros_to_usd(cost.llm_micros),
                speech_usd: micros_to_usd(cost.speech_micros),
                realtime_usd: micros_to_usd(cost.realtime_micros),
                total_usd: micros_to_usd(cost.total_micros()),
                tokens_in: cost.tokens_in,
                tokens_out: cost.tokens_out,
                audio_in_s: cost.audio_in_ms / 1000,
                audio_out_s: cost.audio_out_ms / 1000,
            },
            ai_provider: record.ai_provider,
            ai_model: record.ai_model,
        })
    }
}
