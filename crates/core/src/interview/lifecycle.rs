//! Start, completion by the candidate, abandonment after inactivity, and the small state
//! changes around a turn: tech check, video consent, legacy voice costs, realtime usage.

use serde_json::{json, Value};

use crate::config::AiProviderKind;
use crate::domain::engine::cost::{PriceTable, RealtimeUsage};
use crate::domain::enums::{
    CompletionReason, InterviewMode, InterviewStatus, MessageType, RoleType, VideoStatus,
};
use crate::domain::interview::{InterviewRecord, StoredMessage};
use crate::domain::interviewer::Session;
use crate::domain::job::JobBrief;
use crate::domain::time::rfc3339_ms;
use crate::ids::{InterviewId, UserId};

use super::outbox::MessageAudio;
use super::ports::Deadline;
use super::{
    limits, question_metadata, Ack, Alarm, Caller, Completed, ConsentSet, FirstQuestion, Interview,
    InterviewError, OutboxEntry, Provider, Result, Started, TechChecked,
};

/// `POST /interviews/start`, as the Worker validated it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartInterview {
    pub interview_id: InterviewId,
    pub candidate_id: UserId,
    pub role_type: RoleType,
    pub mode: InterviewMode,
    pub resume_id: Option<String>,
    pub skill_areas: Option<Vec<String>>,
    /// The organization the interview belongs to; `None`: the configured default organization.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The job the interview is for (an accepted invitation): its id, version and that
    /// version's spec, kept with the interview so later edits of the job never change it.
    #[serde(default)]
    pub job: Option<JobBrief>,
}

/// A legacy voice turn's speech costs and the reply's recording.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoiceAudio {
    pub ai_message_id: String,
    pub ai_audio_url: Option<String>,
    pub audio_ms: u64,
    pub tts_chars: u64,
}

/// What happened when the alarm checked for inactivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inactivity {
    /// Nothing to do (no interview, or not in progress).
    Idle,
    /// Still active: checked again later.
    Active,
    /// Abandoned now: the caller closes the interview's sockets.
    Abandoned,
}

impl<A: Alarm, P: Provider> Interview<'_, A, P> {
    /// The stored record and session, for the shell's own flows (sockets, video).
    ///
    /// # Errors
    /// `NotFound` when this object holds no interview.
    pub fn load_state(&self) -> Result<(InterviewRecord, Session)> {
        self.load()
    }

    /// Creates the interview: record, session, the first question, the projection rows.
    ///
    /// # Errors
    /// `Forbidden` for a caller who is not the candidate; `AlreadyExists`.
    pub async fn start(&self, caller: &Caller, body: StartInterview) -> Result<Started> {
        if caller.user_id != body.candidate_id {
            return Err(InterviewError::Forbidden);
        }
        if self.store.exists()? {
            return Err(InterviewError::AlreadyExists);
        }
        let now = self.now();
        let job_ref = body.job.as_ref().map(|j| (j.job_id.clone(), j.version));
        let session =
            Session::start_for_job(body.interview_id.as_str(), body.role_type, body.skill_areas, body.job);
        let provider = self.config.ai_provider();
        let record = InterviewRecord {
            id: body.interview_id.into_inner(),
            candidate_id: body.candidate_id.into_inner(),
            resume_id: body.resume_id,
            role_type: body.role_type,
            mode: body.mode,
            status: InterviewStatus::InProgress,
            started_ms: now,
            completed_ms: None,
            completion_reason: None,
            last_activity_ms: now,
            version: 1,
            pending: None,
            answers_bucket: None,
            ai_provider: provider,
            ai_model: (provider == AiProviderKind::Openai).then(|| self.config.openai_model.clone()),
            tech_check_metadata: None,
            video_recording_consent: false,
            video_recording_status: VideoStatus::NotStarted,
            model_fallbacks: 0,
            org_id: Some(body.org_id.unwrap_or_else(|| self.config.default_org_id.clone())),
            job_id: job_ref.as_ref().map(|(id, _)| id.clone()),
            job_version: job_ref.map(|(_, v)| v),
        };
        let first = StoredMessage {
            seq: 1,
            id: self.ids.new_id(),
            message_type: MessageType::AiQuestion,
            content_text: session.opening_message(),
            audio_url: None,
            metadata: question_metadata(&session),
            response_time_ms: None,
            created_ms: now,
        };
        // One synchronous batch: record, session, first question, outbox rows.
        self.save(&record, &session)?;
        self.insert_message(&record.id, &first)?;
        self.after_change(&record).await?;
        self.log.event(
            "interview_started",
            json!({ "interview_id": record.id, "user_id": record.candidate_id, "role_type": record.role_type,
                    "provider": record.ai_provider }),
        );
        Ok(Started {
            id: record.id.clone(),
            candidate_id: record.candidate_id.clone(),
            role_type: record.role_type,
            status: record.status,
            mode: record.mode,
            started_at: rfc3339_ms(record.started_ms),
            current_difficulty: session.state.current_difficulty,
            question_number: 1,
            total_questions: session.total_questions(&limits(self.config)),
            first_question: FirstQuestion {
                message_id: first.id,
                text: first.content_text,
                skill_area: session.current.skill_area.clone(),
                difficulty: session.current.difficulty,
            },
            realtime_url: format!("/api/v1/realtime/{}", record.id),
        })
    }

    /// `POST …/complete`: the candidate ends the interview (idempotent once completed).
    ///
    /// # Errors
    /// `Abandoned`; access errors.
    pub async fn complete(&self, caller: &Caller) -> Result<Completed> {
        let (mut record, session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        let now = self.now();
        match record.status {
            InterviewStatus::Abandoned => return Err(InterviewError::Abandoned),
            InterviewStatus::Completed => {}
            InterviewStatus::InProgress => {
                record.status = InterviewStatus::Completed;
                record.completed_ms = Some(now);
                record.completion_reason = Some(CompletionReason::CandidateRequest);
                record.pending = None;
                record.last_activity_ms = now;
                record.version += 1;
                self.save(&record, &session)?;
                self.store.schedule(Deadline::Assessment, now)?;
                self.after_change(&record).await?;
                self.log.event(
                    "interview_completed",
                    json!({ "interview_id": record.id, "reason": "candidate_request" }),
                );
            }
        }
        Ok(Completed {
            interview_id: record.id.clone(),
            completed_at: record.completed_ms.map(rfc3339_ms),
            duration_seconds: record.duration_seconds(now),
            questions_answered: session.state.questions_asked,
            skill_boundaries_identified: session.state.skill_boundaries.len(),
            completion_reason: record.completion_reason,
            message: "The interview is complete. Your assessment is being prepared.".into(),
        })
    }

    /// The alarm's inactivity check: abandons an interview idle past the window.
    ///
    /// # Errors
    /// Storage failures.
    pub fn check_inactivity(&self) -> Result<Inactivity> {
        let Ok((mut record, session)) = self.load() else {
            self.store.unschedule(Deadline::Inactivity)?;
            return Ok(Inactivity::Idle);
        };
        let now = self.now();
        let window = self.inactivity_window_ms();
        if record.status != InterviewStatus::InProgress {
            self.store.unschedule(Deadline::Inactivity)?;
            return Ok(Inactivity::Idle);
        }
        if record.last_activity_ms + window > now {
            self.store.schedule(Deadline::Inactivity, record.last_activity_ms + window)?;
            return Ok(Inactivity::Active);
        }
        record.status = InterviewStatus::Abandoned;
        record.pending = None;
        record.version += 1;
        self.save(&record, &session)?;
        self.store.unschedule(Deadline::Inactivity)?;
        self.store.schedule(Deadline::Outbox, now)?;
        if session.state.questions_asked > 0 {
            self.store.schedule(Deadline::Assessment, now)?;
        }
        self.log.event(
            "interview_abandoned",
            json!({ "interview_id": record.id, "questions_asked": session.state.questions_asked }),
        );
        Ok(Inactivity::Abandoned)
    }

    /// `POST …/tech-check`: stores the device check's results.
    ///
    /// # Errors
    /// Access errors.
    pub async fn tech_check(&self, caller: &Caller, mut metadata: Value) -> Result<TechChecked> {
        let (mut record, session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        metadata["checked_at"] = json!(rfc3339_ms(self.now()));
        record.tech_check_metadata = Some(metadata.clone());
        record.version += 1;
        self.save(&record, &session)?;
        self.after_change(&record).await?;
        Ok(TechChecked { interview_id: record.id, tech_check_metadata: metadata })
    }

    /// `POST …/video-consent`.
    ///
    /// # Errors
    /// Access errors.
    pub async fn video_consent(&self, caller: &Caller, consent: bool) -> Result<ConsentSet> {
        let (mut record, session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        record.video_recording_consent = consent;
        record.version += 1;
        self.save(&record, &session)?;
        self.after_change(&record).await?;
        Ok(ConsentSet {
            interview_id: record.id,
            video_recording_consent: consent,
            video_recording_status: record.video_recording_status,
        })
    }

    /// The video module's status changes (upload started, finalized, deleted).
    ///
    /// # Errors
    /// Storage failures; `NotFound`.
    pub fn set_video_status(&self, status: VideoStatus) -> Result<()> {
        let (mut record, session) = self.load()?;
        if record.video_recording_status != status {
            record.video_recording_status = status;
            record.version += 1;
            self.save(&record, &session)?;
        }
        Ok(())
    }

    /// After a legacy voice turn: the reply's recording and the speech costs.
    ///
    /// # Errors
    /// Access errors; storage failures.
    pub async fn voice_audio(&self, caller: &Caller, body: VoiceAudio) -> Result<Ack> {
        let (mut record, mut session) = self.load()?;
        caller.require_owner(&record, self.config)?;
        let prices = PriceTable::default();
        session.state.cost.add_transcription(&prices, &self.config.transcription_model, body.audio_ms);
        if body.tts_chars > 0 {
            session.state.cost.add_speech(&prices, &self.config.tts_model, body.tts_chars);
        }
        if let Some(url) = body.ai_audio_url {
            self.store.set_message_audio(&body.ai_message_id, &url)?;
            self.store.enqueue(&OutboxEntry::MessageAudio(MessageAudio {
                id: body.ai_message_id,
                audio_url: url,
            }))?;
        }
        record.version += 1;
        self.save(&record, &session)?;
        self.enforce_cost_cap()?;
        if let Some(after) = self.store.record()? {
            self.after_change(&after).await?;
        }
        Ok(Ack { ok: true })
    }

    /// Realtime token usage reported by the voice model; whether it reached the cost cap and
    /// ended the interview (the caller closes its sockets).
    ///
    /// # Errors
    /// Storage failures.
    pub fn add_realtime_usage(&self, usage: &RealtimeUsage) -> Result<bool> {
        let Some(mut session) = self.store.session()? else { return Ok(false) };
        session.state.cost.add_realtime(&PriceTable::default(), &self.config.realtime_model, usage);
        self.store.put_session(&session)?;
        self.enforce_cost_cap()
    }

    /// Realtime audio streamed in and out, in milliseconds; whether the cost cap ended the
    /// interview.
    ///
    /// # Errors
    /// Storage failures.
    pub fn add_realtime_audio(&self, audio_in_ms: u64, audio_out_ms: u64) -> Result<bool> {
        let Some(mut session) = self.store.session()? else { return Ok(false) };
        session.state.cost.add_realtime_audio(audio_in_ms, audio_out_ms);
        self.store.put_session(&session)?;
        self.enforce_cost_cap()
    }
}
