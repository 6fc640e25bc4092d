//! The error envelope (docs/api.md#errors), mapped to HTTP status in exactly one place.
//!
//! `{"error": {"code", "message", "request_id", "details"?}}`. Messages are written for the
//! client; causes (SQL, upstream text, panics) are logged by the caller and never put here.

use serde::Serialize;

/// Every error code the API can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationError,
    MalformedJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthorized,
    TokenExpired,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    EmailTaken,
    AccountLocked,
    RateLimited,
    QuotaExceeded,
    InterviewCompleted,
    InterviewAbandoned,
    AiResponsePending,
    IdempotencyKeyReused,
    AiUnavailable,
    VoiceUnavailable,
    /// The deployment cannot serve the request (`DB_BACKEND` names a store this build lacks).
    ServiceUnavailable,
    VideoConsentRequired,
    UploadIncomplete,
    UploadConflict,
    EditConflict,
    InvitationNotFound,
    InvitationExpired,
    InvitationRevoked,
    InvitationUsed,
    InvitationEmailMismatch,
    InvitationClosed,
    JobNotOpen,
    ExportPending,
    ExportExpired,
    RangeNotSatisfiable,
    UpgradeRequired,
    EmailNotVerified,
    WrongPassword,
    LinkInvalid,
    LinkExpired,
    LinkUsed,
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation checks.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::ValidationError,
        ErrorCode::MalformedJson,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthorized,
        ErrorCode::TokenExpired,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::EmailTaken,
        ErrorCode::AccountLocked,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::InterviewCompleted,
        ErrorCode::InterviewAbandoned,
        ErrorCode::AiResponsePending,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::AiUnavailable,
        ErrorCode::VoiceUnavailable,
        ErrorCode::ServiceUnavailable,
        ErrorCode::VideoConsentRequired,
        ErrorCode::UploadIncomplete,
        ErrorCode::UploadConflict,
        ErrorCode::EditConflict,
        ErrorCode::InvitationNotFound,
        ErrorCode::InvitationExpired,
        ErrorCode::InvitationRevoked,
        ErrorCode::InvitationUsed,
        ErrorCode::InvitationEmailMismatch,
        ErrorCode::InvitationClosed,
        ErrorCode::JobNotOpen,
        ErrorCode::ExportPending,
        ErrorCode::ExportExpired,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::UpgradeRequired,
        ErrorCode::EmailNotVerified,
        ErrorCode::WrongPassword,
        ErrorCode::LinkInvalid,
        ErrorCode::LinkExpired,
        ErrorCode::LinkUsed,
        ErrorCode::Internal,
    ];

    /// The SNAKE_CASE code sent to clients.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::MalformedJson => "MALFORMED_JSON",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::EmailTaken => "EMAIL_TAKEN",
            ErrorCode::AccountLocked => "ACCOUNT_LOCKED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorCode::InterviewCompleted => "INTERVIEW_COMPLETED",
            ErrorCode::InterviewAbandoned => "INTERVIEW_ABANDONED",
            ErrorCode::AiResponsePending => "AI_RESPONSE_PENDING",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::AiUnavailable => "AI_UNAVAILABLE",
            ErrorCode::VoiceUnavailable => "VOICE_UNAVAILABLE",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::VideoConsentRequired => "VIDEO_CONSENT_REQUIRED",
            ErrorCode::UploadIncomplete => "UPLOAD_INCOMPLETE",
            ErrorCode::UpgradeRequired => "UPGRADE_REQUIRED",
            ErrorCode::UploadConflict => "UPLOAD_CONFLICT",
            ErrorCode::EditConflict => "EDIT_CONFLICT",
            ErrorCode::InvitationNotFound => "INVITATION_NOT_FOUND",
            ErrorCode::InvitationExpired => "INVITATION_EXPIRED",
            ErrorCode::InvitationRevoked => "INVITATION_REVOKED",
            ErrorCode::InvitationUsed => "INVITATION_USED",
            ErrorCode::InvitationEmailMismatch => "INVITATION_EMAIL_MISMATCH",
            ErrorCode::InvitationClosed => "INVITATION_CLOSED",
            ErrorCode::JobNotOpen => "JOB_NOT_OPEN",
            ErrorCode::ExportPending => "EXPORT_PENDING",
            ErrorCode::ExportExpired => "EXPORT_EXPIRED",
            ErrorCode::RangeNotSatisfiable => "RANGE_NOT_SATISFIABLE",
            ErrorCode::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            ErrorCode::WrongPassword => "WRONG_PASSWORD",
            ErrorCode::LinkInvalid => "LINK_INVALID",
            ErrorCode::LinkExpired => "LINK_EXPIRED",
            ErrorCode::LinkUsed => "LINK_USED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Parses the SNAKE_CASE code.
    #[must_use]
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The HTTP status for the code (docs/api.md#errors).
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError | ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::MalformedJson | ErrorCode::LinkInvalid => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Unauthorized | ErrorCode::TokenExpired => 401,
            ErrorCode::Forbidden
            | ErrorCode::VideoConsentRequired
            | ErrorCode::InvitationEmailMismatch
            | ErrorCode::EmailNotVerified
            | ErrorCode::WrongPassword => 403,
            ErrorCode::NotFound | ErrorCode::InvitationNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::EmailTaken
            | ErrorCode::InterviewCompleted
            | ErrorCode::InterviewAbandoned
            | ErrorCode::AiResponsePending
            | ErrorCode::UploadIncomplete
            | ErrorCode::UploadConflict
            | ErrorCode::EditConflict
            | ErrorCode::InvitationClosed
            | ErrorCode::JobNotOpen
            | ErrorCode::ExportPending => 409,
            ErrorCode::InvitationExpired
            | ErrorCode::InvitationRevoked
            | ErrorCode::InvitationUsed
            | ErrorCode::LinkExpired
            | ErrorCode::LinkUsed
            | ErrorCode::ExportExpired => 410,
            ErrorCode::RangeNotSatisfiable => 416,
            ErrorCode::UpgradeRequired => 426,
            ErrorCode::AccountLocked | ErrorCode::RateLimited | ErrorCode::QuotaExceeded => 429,
            ErrorCode::Internal => 500,
            ErrorCode::AiUnavailable | ErrorCode::VoiceUnavailable | ErrorCode::ServiceUnavailable => 503,
        }
    }
}

/// One field-level validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An error answer: code, client-facing message, optional field details and `Retry-After`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<FieldError>,
    /// Seconds, sent as `Retry-After` (429, 503).
    pub retry_after: Option<u32>,
    /// Extra members merged into the `error` object (e.g. `missing_chunks`).
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiError {
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new(), retry_after: None, extra: None }
    }

    #[must_use]
    pub fn validation(details: Vec<FieldError>) -> Self {
        let mut e = Self::new(ErrorCode::ValidationError, "The request is invalid.");
        e.details = details;
        e
    }

    /// A single-field validation error.
    #[must_use]
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }

    #[must_use]
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "Not found.")
    }

    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "Authentication required.")
    }

    #[must_use]
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "You are not allowed to do this.")
    }

    #[must_use]
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on our side. Please retry.")
    }

    #[must_use]
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    #[must_use]
    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.get_or_insert_with(serde_json::Map::new).insert(key.to_owned(), value);
        self
    }

    #[must_use]
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body of the envelope.
    #[must_use]
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), self.code.as_str().into());
        error.insert("message".into(), self.message.clone().into());
        error.insert("request_id".into(), request_id.into());
        if !self.details.is_empty() {
            error.insert("details".into(), serde_json::json!(self.details));
        }
        if let Some(extra) = &self.extra {
            for (k, v) in extra {
                error.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        serde_json::json!({ "error": error })
    }
}

/// The form an error travels in between a Durable Object and the Worker (which adds the
/// request id): the envelope's members plus `retry_after`.
impl ApiError {
    #[must_use]
    pub fn to_internal(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code.as_str(),
                "message": self.message,
                "details": self.details,
                "retry_after": self.retry_after,
                "extra": self.extra,
            }
        })
    }

    /// Reads [`ApiError::to_internal`]'s form; `None` when `value` is not one.
    #[must_use]
    pub fn from_internal(value: &serde_json::Value) -> Option<ApiError> {
        let e = value.get("error")?;
        let code = ErrorCode::parse(e.get("code")?.as_str()?)?;
        let details = e
            .get("details")
            .and_then(|d| d.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|d| {
                        Some(FieldError {
                            field: d.get("field")?.as_str()?.to_owned(),
                            message: d.get("message")?.as_str()?.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(ApiError {
            code,
            message: e.get("message").and_then(|m| m.as_str()).unwrap_or_default().to_owned(),
            details,
            retry_after: e
                .get("retry_after")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            extra: e.get("extra").and_then(|x| x.as_object()).cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_documented_statuses() {
        let expected = [
            ("VALIDATION_ERROR", 422),
            ("MALFORMED_JSON", 400),
            ("PAYLOAD_TOO_LARGE", 413),
            ("UNSUPPORTED_MEDIA_TYPE", 415),
            ("UNAUTHORIZED", 401),
            ("TOKEN_EXPIRED", 401),
            ("FORBIDDEN", 403),
            ("NOT_FOUND", 404),
            ("EMAIL_TAKEN", 409),
            ("ACCOUNT_LOCKED", 429),
            ("RATE_LIMITED", 429),
            ("QUOTA_EXCEEDED", 429),
            ("INTERVIEW_COMPLETED", 409),
            ("INTERVIEW_ABANDONED", 409),
            ("AI_RESPONSE_PENDING", 409),
            ("IDEMPOTENCY_KEY_REUSED", 422),
            ("AI_UNAVAILABLE", 503),
            ("VOICE_UNAVAILABLE", 503),
            ("VIDEO_CONSENT_REQUIRED", 403),
            ("UPLOAD_INCOMPLETE", 409),
            ("UPLOAD_CONFLICT", 409),
            ("EDIT_CONFLICT", 409),
            ("INVITATION_NOT_FOUND", 404),
            ("INVITATION_EMAIL_MISMATCH", 403),
            ("INVITATION_CLOSED", 409),
            ("JOB_NOT_OPEN", 409),
            ("INVITATION_EXPIRED", 410),
            ("INVITATION_REVOKED", 410),
            ("INVITATION_USED", 410),
            ("EXPORT_PENDING", 409),
            ("EXPORT_EXPIRED", 410),
            ("RANGE_NOT_SATISFIABLE", 416),
            ("EMAIL_NOT_VERIFIED", 403),
            ("WRONG_PASSWORD", 403),
            ("LINK_INVALID", 400),
            ("LINK_EXPIRED", 410),
            ("LINK_USED", 410),
            ("INTERNAL", 500),
            ("SERVICE_UNAVAILABLE", 503),
        ];
        for (code, status) in expected {
            let found = ErrorCode::ALL.iter().find(|c| c.as_str() == code).expect(code);
            assert_eq!(found.status(), status, "{code}");
        }
    }

    #[test]
    fn the_envelope_has_details_only_for_validation() {
        let body = ApiError::not_found().body("req-1");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        assert_eq!(body["error"]["request_id"], "req-1");
        assert!(body["error"].get("details").is_none());

        let body = ApiError::field("password", "too short").body("req-2");
        assert_eq!(body["error"]["details"][0]["field"], "password");
    }

    #[test]
    fn the_internal_form_round_trips() {
        let e = ApiError::new(ErrorCode::AiUnavailable, "later")
            .with_retry_after(7)
            .with_extra("pending_ai_response", true.into());
        assert_eq!(ApiError::from_internal(&e.to_internal()), Some(e));
        let v = ApiError::field("message_text", "too long");
        assert_eq!(ApiError::from_internal(&v.to_internal()), Some(v));
        assert_eq!(ApiError::from_internal(&serde_json::json!({"ok": true})), None);
    }

    #[test]
    fn extra_members_never_override_the_standard_ones() {
        let e = ApiError::new(ErrorCode::UploadIncomplete, "missing")
            .with_extra("missing_chunks", serde_json::json!([1, 2]))
            .with_extra("code", "HIJACK".into());
        let body = e.body("r");
        assert_eq!(body["error"]["missing_chunks"], serde_json::json!([1, 2]));
        assert_eq!(body["error"]["code"], "UPLOAD_INCOMPLETE");
    }
}
