//! The interviewer every deployment uses: the built-in one (rubrics, offline), or OpenAI over an
//! injected [`HttpClient`] when the interview was started with it and a key is configured. The
//! Worker injects `worker::Fetch`; tests inject a scripted client.

use super::{Provider, ProviderAssessment, ProviderFailure, ProviderTurn, TurnInput, Usage};
use crate::ai::assessment::{build_assessment_request, parse_assessment_response, ParsedAssessment};
use crate::ai::breaker::CircuitBreaker;
use crate::ai::client::{chat_completion, chat_completion_with, HttpClient, OpenAiSettings};
use crate::ai::turn::{prepare_turn, session_questions};
use crate::config::{AiProviderKind, Config};
use crate::domain::assessment::{Assessment, AssessmentInput};
use crate::domain::engine::cost::ChatUsage;
use crate::domain::enums::MessageType;
use crate::domain::interview::InterviewRecord;

/// The provider an interview's turns use, chosen per interview by the provider it started with.
pub struct StandardProvider<'a, H> {
    pub config: &'a Config,
    pub http: &'a H,
}

impl<H: HttpClient> StandardProvider<'_, H> {
    /// OpenAI's settings when this interview uses it and a key is configured.
    fn openai(&self, record: &InterviewRecord) -> Option<(OpenAiSettings, String)> {
        let settings = OpenAiSettings::from_config(self.config)
            .filter(|_| record.ai_provider == AiProviderKind::Openai)?;
        let model = record.ai_model.clone().unwrap_or_else(|| self.config.openai_model.clone());
        Some((settings, model))
    }
}

fn billed(model: &str, usage: ChatUsage) -> Option<Usage> {
    (usage.input_tokens + usage.output_tokens > 0).then(|| Usage {
        model: model.to_owned(),
        chat: usage,
        truncated: false,
    })
}

impl<H: HttpClient> Provider for StandardProvider<'_, H> {
    async fn evaluate(
        &self,
        input: TurnInput<'_>,
        breaker: &mut CircuitBreaker,
    ) -> Result<ProviderTurn, ProviderFailure> {
        let Some((settings, model)) = self.openai(input.record) else {
            return Ok(ProviderTurn {
                evaluation: input.session.evaluate_builtin(input.answer),
                questions: None,
                usage: None,
            });
        };
        let mut log: Vec<(MessageType, String)> =
            input.log.iter().map(|m| (m.message_type, m.content_text.clone())).collect();
        if log.is_empty() {
            log.push((MessageType::CandidateResponse, input.answer.to_owned()));
        }
        let prepared = prepare_turn(input.session, &model, &log, input.answer);
        let (result, _report) =
            chat_completion(self.http, &settings, &prepared.body, breaker, &input.record.id).await;
        match result {
            Ok(parsed) => Ok(ProviderTurn {
                evaluation: parsed.evaluation,
                questions: Some(session_questions(&parsed.questions, input.session)),
                usage: Some(Usage { model, chat: parsed.usage, truncated: prepared.memory.truncated() }),
            }),
            Err(error) => {
                let usage = billed(&model, error.usage());
                Err(ProviderFailure { error, usage })
            }
        }
    }

    async fn assess(
        &self,
        record: &InterviewRecord,
        input: &AssessmentInput<'_>,
        builtin: Assessment,
        breaker: &mut CircuitBreaker,
    ) -> ProviderAssessment {
        let Some((settings, model)) = self.openai(record) else {
            return ProviderAssessment { assessment: builtin, usage: None, fallback_reason: None };
        };
        let body = build_assessment_request(&model, input, &builtin);
        let parse = |text: &str| parse_assessment_response(text, input, &builtin);
        let (result, _) = chat_completion_with(
            self.http,
            &settings,
            &body,
            breaker,
            &record.id,
            &parse,
            &|p: &ParsedAssessment| p.usage,
        )
        .await;
        match result {
            Ok(parsed) => ProviderAssessment {
                assessment: parsed.assessment,
                usage: Some(Usage { model, chat: parsed.usage, truncated: false }),
                fallback_reason: None,
            },
            Err(e) => ProviderAssessment {
                usage: billed(&model, e.usage()),
                fallback_reason: Some(e.to_string()),
                assessment: builtin,
            },
        }
    }
}
