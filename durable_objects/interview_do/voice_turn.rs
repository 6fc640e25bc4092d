//! The voice turn through the relay: the upstream's events are redacted for the client, the
//! candidate's transcript is stored at once as the pending answer, and the model's
//! `evaluate_candidate_answer` call finishes that turn (`docs/voice.md`).

use std::rc::Rc;

use serde_json::json;

use super::flows::candidate;
use super::relay::PendingCall;
use super::socket_reader::Step;
use super::InterviewDo;
use crate::ai::realtime::client_events::MAX_USER_TEXT_CHARS;
use crate::ai::realtime::events::{error_event, upstream_error_event};
use crate::ai::realtime::server_events::{redact_peeked, Redacted, UpstreamEvent};
use crate::ai::realtime::session::{
    function_output_events, instructions, instructions_update, parse_tool_arguments, InterviewBrief,
    ToolOutput, TOOL_NAME,
};
use crate::config::Config;
use crate::interview::{limits, Accepted, Answer};
use crate::platform::log_event;

impl InterviewDo {
    /// One upstream event, in the upstream socket's listener (`socket_reader`): redacted and
    /// broadcast at once; a transcript or a finished tool call returns the turn's I/O for later.
    pub(super) fn upstream_frame(&self, text: &str, cfg: &Rc<Config>) -> Step {
        let (redacted, peeked) = redact_peeked(text);
        if let Some(out) = redacted.client_text() {
            self.broadcast(&self.client_item_ids(out, &peeked));
        }
        let Redacted::Intercept { event, .. } = redacted else { return Step::Done };
        let owned = || (self.handle(), Rc::clone(cfg));
        match event {
            UpstreamEvent::AudioDelta { bytes_len } => self.relay.borrow_mut().audio_out_bytes += bytes_len,
            UpstreamEvent::InputTranscript { text, .. } => {
                let (this, cfg) = owned();
                return Step::Later(Box::pin(async move {
                    this.on_transcript(&text, &cfg).await;
                    this.flush_soon();
                }));
            }
            UpstreamEvent::InputTranscriptFailed { .. } => {
                let (this, cfg) = owned();
                let text = "(The answer could not be transcribed.)";
                return Step::Later(Box::pin(async move {
                    this.on_transcript(text, &cfg).await;
                    this.flush_soon();
                }));
            }
            UpstreamEvent::FunctionCall { call_id, name, arguments_json } => {
                if name == TOOL_NAME {
                    self.relay.borrow_mut().call =
                        Some(PendingCall { call_id, arguments_json, response_done: false });
                }
            }
            UpstreamEvent::ResponseDone { usage, function_call_ids, .. } => {
                self.add_realtime_usage(&usage, cfg);
                let ready = {
                    let mut relay = self.relay.borrow_mut();
                    match &mut relay.call {
                        Some(call) if function_call_ids.contains(&call.call_id) => {
                            call.response_done = true;
                            true
                        }
                        _ => false,
                    }
                };
                if ready {
                    let (this, cfg) = owned();
                    return Step::Later(Box::pin(async move {
                        this.finish_voice_turn(&cfg).await;
                        this.flush_soon();
                    }));
                }
            }
            UpstreamEvent::Error { code, .. } => {
                log_event(
                    "realtime_upstream_error",
                    json!({ "interview_id": self.record_id(), "code": code }),
                );
                self.broadcast(&upstream_error_event(&self.events, code.as_deref()));
            }
            UpstreamEvent::OutputTranscriptDone { .. } => {}
        }
        Step::Done
    }

    /// The candidate's spoken answer: stored at once as the pending answer.
    async fn on_transcript(&self, text: &str, cfg: &Config) {
        let Ok((record, _)) = self.load() else { return };
        if record.pending.is_some() {
            return;
        }
        let who = candidate(record.candidate_id.clone());
        let trimmed: String = text.trim().chars().take(MAX_USER_TEXT_CHARS).collect();
        let body = Answer {
            message_text: if trimmed.is_empty() { "(silence)".to_owned() } else { trimmed },
            client_metadata: json!({ "channel": "voice" }),
            idempotency_key: None,
            audio_url: None,
        };
        match self.accept_answer(&who, body, cfg).await {
            Ok(Accepted::Pending(_) | Accepted::Done(_)) => {
                self.finish_voice_turn(cfg).await;
            }
            Err(e) => self.broadcast(&error_event(
                &self.events,
                &e.code.as_str().to_ascii_lowercase(),
                &e.message,
                None,
            )),
        }
    }

    /// Runs the engine turn once the tool call, its `response.done` and the answer are all in.
    async fn finish_voice_turn(&self, cfg: &Config) {
        let ready = {
            let relay = self.relay.borrow();
            relay.call.as_ref().is_some_and(|c| c.response_done)
        };
        if !ready {
            return;
        }
        let Ok((record, session)) = self.load() else { return };
        let Some(pending) = record.pending.clone() else { return };
        let Some(call) = self.relay.borrow_mut().call.take() else { return };
        let evaluation = match parse_tool_arguments(&call.arguments_json) {
            Ok(e) => Some(e),
            Err(_) => {
                log_event("realtime_tool_arguments_invalid", json!({ "interview_id": record.id }));
                None
            }
        };
        let who = candidate(record.candidate_id.clone());
        let difficulty_before = session.state.current_difficulty;
        self.account_audio();
        match self.finish_pending(&who, cfg, pending.answer_seq, evaluation).await {
            Ok(result) => {
                let complete = result.interview_complete;
                let reply = Some(result.ai_response.clone());
                let (_, after) = self.load().unwrap_or((record, session));
                let output = ToolOutput {
                    evaluation_recorded: true,
                    next_question: if complete { None } else { reply.clone() },
                    difficulty_adjusted: after.state.current_difficulty != difficulty_before,
                    new_difficulty: after.state.current_difficulty,
                    interview_complete: complete,
                    closing_message: if complete { reply } else { None },
                };
                if !complete {
                    let limits = limits(cfg);
                    let brief = InterviewBrief::from_session(&after, &limits);
                    self.upstream_send(&instructions_update(&instructions(&brief)), cfg);
                }
                for event in function_output_events(&call.call_id, &output) {
                    self.upstream_send(&event, cfg);
                }
                self.after_socket_turn(&result, cfg);
            }
            Err(e) => self.broadcast(&error_event(
                &self.events,
                &e.code.as_str().to_ascii_lowercase(),
                &e.message,
                None,
            )),
        }
    }
}
