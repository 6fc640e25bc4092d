//! The core's `Provider` port for the Worker: the built-in interviewer (pure, in the core), or
//! OpenAI over `worker::Fetch` when the interview was started with it and a key is configured.

use crate::adapters::openai_http::{chat_completion, chat_completion_with, OpenAiSettings};
use crate::ai::assessment::{build_assessment_request, parse_assessment_response, ParsedAssessment};
use crate::ai::breaker::CircuitBreaker;
use crate::ai::turn::{prepare_turn, session_questions};
use crate::config::{AiProviderKind, Config};
use crate::domain::assessment::{Assessment, AssessmentInput};
use crate::domain::engine::cost::ChatUsage;
use crate::domain::enums::MessageType;
use crate::domain::interview::InterviewRecord;
use crate::interview::{Provider, ProviderAssessment, ProviderFailure, ProviderTurn, TurnInput, Usage};

/// The provider an interview's turns use, chosen per interview by the provider it started with.
pub struct PlatformProvider<'a> {
    pub config: &'a Config,
}

impl PlatformProvider<'_> {
    /// OpenAI's settings when this interview uses it and a key is configured.
    fn openai(&self, record: &InterviewRecord) -> Option<(OpenAiSettings, String)> {
        let settings = OpenAiSettings::from_config(self.config)
            .filter(|_| record.ai_provider == AiProviderKind::Openai.as_str())?;
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

impl Provider for PlatformProvider<'_> {
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
        breaker.config.open_ms = self.config.openai_breaker_open_ms;
        let prepared = prepare_turn(input.session, &model, &log, input.answer);
        let (result, _report) = chat_completion(&settings, &prepared.body, breaker, &input.record.id).await;
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
        let (result, _) =
            chat_completion_with(&settings, &body, breaker, &record.id, &parse, &|p: &ParsedAssessment| {
                p.usage
            })
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
