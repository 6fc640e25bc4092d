//! Everything an interview operation can refuse, and its one conversion to the error envelope.

use crate::http::error::{ApiError, ErrorCode};

use super::ports::StoreError;

/// Why an interview operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterviewError {
    /// No such interview, or another candidate's (the same answer, so ids cannot be probed).
    NotFound,
    /// A staff member acting as the candidate, or the wrong candidate starting it.
    Forbidden,
    AlreadyExists,
    Completed,
    Abandoned,
    /// The assessment of an interview abandoned before any answer.
    AbandonedWithoutAnswers,
    /// A new answer while the previous one still waits for its reply.
    AnswerPending,
    /// The reply to this answer is being produced right now.
    StillAnswering,
    RateLimited {
        retry_after_secs: u32,
    },
    KeyReused,
    NoPendingAnswer,
    NoPendingToRetry,
    /// The provider failed; the answer is saved and the turn can be retried.
    AiUnavailable {
        retry_after_secs: u32,
        message_id: String,
    },
    /// A query parameter out of range.
    InvalidParam {
        field: &'static str,
        message: String,
    },
    Storage(StoreError),
}

impl From<StoreError> for InterviewError {
    fn from(e: StoreError) -> Self {
        InterviewError::Storage(e)
    }
}

impl InterviewError {
    /// A line for the log (never shown to a client).
    #[must_use]
    pub fn log_reason(&self) -> Option<String> {
        match self {
            InterviewError::Storage(e) => Some(e.to_string()),
            _ => None,
        }
    }
}

impl From<InterviewError> for ApiError {
    fn from(e: InterviewError) -> Self {
        match e {
            InterviewError::NotFound => ApiError::not_found(),
            InterviewError::Forbidden => ApiError::forbidden(),
            InterviewError::AlreadyExists => {
                ApiError::new(ErrorCode::ValidationError, "This interview already exists.")
            }
            InterviewError::Completed => {
                ApiError::new(ErrorCode::InterviewCompleted, "This interview is already completed.")
            }
            InterviewError::Abandoned => ApiError::new(
                ErrorCode::InterviewAbandoned,
                "This interview was abandoned after inactivity; start a new one.",
            ),
            InterviewError::AbandonedWithoutAnswers => ApiError::new(
                ErrorCode::NotFound,
                "This interview was abandoned before any answer, so it has no assessment.",
            ),
            InterviewError::AnswerPending => ApiError::new(
                ErrorCode::AiResponsePending,
                "The interviewer has not answered your previous message yet. Retry it or use /messages/retry.",
            )
            .with_extra("pending_ai_response", true.into()),
            InterviewError::StillAnswering => {
                ApiError::new(ErrorCode::AiResponsePending, "The interviewer is still answering.")
                    .with_retry_after(1)
                    .with_extra("pending_ai_response", true.into())
            }
            InterviewError::RateLimited { retry_after_secs } => {
                ApiError::new(ErrorCode::RateLimited, "You are answering too fast. Please wait a moment.")
                    .with_retry_after(retry_after_secs)
            }
            InterviewError::KeyReused => ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used with a different request.",
            ),
            InterviewError::NoPendingAnswer => {
                ApiError::new(ErrorCode::ValidationError, "There is no pending answer.")
            }
            InterviewError::NoPendingToRetry => {
                ApiError::new(ErrorCode::ValidationError, "There is no pending answer to retry.")
            }
            InterviewError::AiUnavailable { retry_after_secs, message_id } => ApiError::new(
                ErrorCode::AiUnavailable,
                "The interviewer is temporarily unavailable. Your answer is saved; retry shortly.",
            )
            .with_retry_after(retry_after_secs)
            .with_extra("pending_ai_response", true.into())
            .with_extra("message_id", message_id.into()),
            InterviewError::InvalidParam { field, message } => ApiError::field(field, message),
            InterviewError::Storage(_) => ApiError::internal(),
        }
    }
}
