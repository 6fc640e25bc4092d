//! The typed Worker↔Durable Object protocol: one request enum with one typed argument per
//! operation, one typed reply per operation (`crate::interview::replies`), and the error
//! envelope. It is serialised once on each side; nothing else crosses the seam.
//!
//! On the wire an [`InterviewCall`] travels as the JSON body of a `POST` to the interview's
//! object, except for operations whose body is bytes (a video chunk) or that must keep the
//! original request (the realtime socket's upgrade): those carry the call in the
//! [`CALL_HEADER`] header. The object answers with the reply's JSON and its status, or with the
//! error envelope ([`encode_error`]) and the error's status.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::media::video::VideoContentType;
use crate::http::error::ApiError;
use crate::interview::{Answer, Caller, MessagesQuery, StartInterview, VoiceAudio};

/// The header that carries the call when the body is not the call.
pub const CALL_HEADER: &str = "X-Interview-Call";
/// The close code of a socket whose user signed out, was signed out everywhere, or deactivated.
pub const CLOSE_REVOKED: u16 = 4001;

/// The URL the Worker addresses the object with (the object reads only the body or header).
pub const CALL_URL: &str = "https://interview.internal/call";

/// One operation on one interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterviewRequest {
    Start(StartInterview),
    View,
    Status,
    Messages(MessagesQuery),
    Latest,
    Transcript,
    Assessment,
    Detail,
    Turn(Answer),
    Retry,
    Complete,
    TechCheck(Value),
    VideoConsent {
        consent: bool,
    },
    RealtimeTicket,
    /// Opens the realtime socket (the upgrade request itself is forwarded).
    Connect {
        ticket: String,
    },
    VoiceAudio(VoiceAudio),
    /// May the caller answer now? (Legacy voice asks before storing or transcribing.)
    AuthorizeAnswer,
    /// Closes the interview's sockets of a user whose session was revoked or account deactivated
    /// (close code [`CLOSE_REVOKED`]); answers how many were closed.
    CloseSockets {
        user_id: crate::ids::UserId,
        /// Only the sockets opened with this session's tickets; `None`: all of the user's.
        session: Option<String>,
        /// Except the sockets opened in this session (a password change keeps the caller's own
        /// session and closes the others').
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep: Option<String>,
    },
    /// Forgets a revoked token of the user (a refresh revokes the one it replaces) if the
    /// object remembers it as checked ([`crate::auth::checked::CheckedBearer`]).
    ForgetToken {
        user_id: crate::ids::UserId,
        jti: String,
    },
    /// A video chunk (the bytes are the body).
    VideoChunk {
        chunk_index: u32,
        total_chunks: u32,
        content_type: VideoContentType,
    },
    VideoStatus,
    VideoFinalize,
    VideoView,
    VideoDelete,
    /// The daily retention job (no caller: the cron, inside the Worker).
    VideoRetention {
        retention_ms: i64,
        idle_ms: i64,
    },
    /// Erasure (docs/privacy.md): closes the sockets, aborts an open upload, deletes the alarm
    /// and all storage. The object then holds nothing and refuses every later call (404);
    /// erasing again answers the same. No caller: the Worker's erasure job.
    Erase,
    /// Retention (docs/privacy.md#retention): deletes the transcript (messages, stored turns,
    /// evaluations, idempotency keys) and/or the assessment from the object's storage.
    Purge {
        transcript: bool,
        assessment: bool,
    },
    /// A liveness probe that writes (the foundation tests use it).
    Ping,
}

impl InterviewRequest {
    /// Whether the call travels in [`CALL_HEADER`] (the body is bytes or an upgrade).
    #[must_use]
    pub const fn in_header(&self) -> bool {
        matches!(self, InterviewRequest::Connect { .. } | InterviewRequest::VideoChunk { .. })
    }

    /// The operation's name, for logs.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            InterviewRequest::Start(_) => "start",
            InterviewRequest::View => "view",
            InterviewRequest::Status => "status",
            InterviewRequest::Messages(_) => "messages",
            InterviewRequest::Latest => "latest",
            InterviewRequest::Transcript => "transcript",
            InterviewRequest::Assessment => "assessment",
            InterviewRequest::Detail => "detail",
            InterviewRequest::Turn(_) => "turn",
            InterviewRequest::Retry => "retry",
            InterviewRequest::Complete => "complete",
            InterviewRequest::TechCheck(_) => "tech_check",
            InterviewRequest::VideoConsent { .. } => "video_consent",
            InterviewRequest::RealtimeTicket => "realtime_ticket",
            InterviewRequest::Connect { .. } => "connect",
            InterviewRequest::VoiceAudio(_) => "voice_audio",
            InterviewRequest::AuthorizeAnswer => "authorize_answer",
            InterviewRequest::CloseSockets { .. } => "close_sockets",
            InterviewRequest::ForgetToken { .. } => "forget_token",
            InterviewRequest::VideoChunk { .. } => "video_chunk",
            InterviewRequest::VideoStatus => "video_status",
            InterviewRequest::VideoFinalize => "video_finalize",
            InterviewRequest::VideoView => "video_view",
            InterviewRequest::VideoDelete => "video_delete",
            InterviewRequest::VideoRetention { .. } => "video_retention",
            InterviewRequest::Erase => "erase",
            InterviewRequest::Purge { .. } => "purge",
            InterviewRequest::Ping => "ping",
        }
    }
}

/// A bearer token the Worker verified (signature and expiry) without reading its account: the
/// object checks the account itself, or recalls that it checked this token moments ago
/// ([`crate::auth::checked::CheckedBearer`]; docs/accounts.md#where-the-account-is-checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bearer {
    pub user_id: crate::ids::UserId,
    /// The token's id (`jti`) and sign-in session (`sid`).
    pub jti: String,
    pub session: String,
    /// The token's expiry (ms since the epoch).
    pub exp_ms: i64,
}

/// A request and who makes it: `caller` as the Worker found them, or a `bearer` whose account
/// the object checks; neither only for the platform's own jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewCall {
    pub caller: Option<Caller>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<Bearer>,
    pub request: InterviewRequest,
    /// The Worker's clock when it sent the call. Ticket lifetimes are measured on it: the Worker
    /// reads a fresh clock for every request, while an object's clock can lag behind wall time
    /// (seen locally with hibernated sockets), which would expire a ticket as it is issued.
    #[serde(default)]
    pub sent_ms: Option<i64>,
}

impl InterviewCall {
    /// The call as JSON text.
    #[must_use]
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a call.
    ///
    /// # Errors
    /// A malformed call (never from the Worker; answered 500).
    pub fn decode(text: &str) -> Result<Self, ApiError> {
        serde_json::from_str(text).map_err(|_| ApiError::internal())
    }
}

/// The error envelope as it crosses the seam.
#[must_use]
pub fn encode_error(err: &ApiError) -> String {
    err.to_internal().to_string()
}

/// Reads an error the object answered with.
#[must_use]
pub fn decode_error(text: &str) -> ApiError {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| ApiError::from_internal(&v))
        .unwrap_or_else(ApiError::internal)
}

/// Whether [`InterviewRequest::CloseSockets`] with `session` and `keep` closes a socket of the
/// user opened in `socket_session` (tickets carry the session that asked for them).
#[must_use]
pub fn closes_socket(socket_session: Option<&str>, session: Option<&str>, keep: Option<&str>) -> bool {
    session.is_none_or(|s| socket_session == Some(s)) && (keep.is_none() || socket_session != keep)
}

/// How many sockets [`InterviewRequest::CloseSockets`] closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketsClosed {
    pub closed: u32,
}

/// What [`InterviewRequest::Erase`] did: `erased` (storage was deleted now) or `gone` (the
/// object held nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    pub outcome: String,
}

/// The one answer to every refused realtime connect: a missing, malformed, unknown, used or
/// expired ticket, an unknown interview and a deactivated account look the same, so neither ids
/// nor accounts can be probed.
#[must_use]
pub fn ticket_refused() -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::Unauthorized,
        "The realtime ticket is missing, invalid, used or expired.",
    )
}

/// The ticket's realtime answer to [`InterviewRequest::RealtimeTicket`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketIssued {
    pub ticket: String,
    pub expires_in: u64,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::UserRole;
    use crate::ids::{IdempotencyKey, UserId};

    #[test]
    fn close_sockets_selects_one_session_all_or_all_but_one() {
        assert!(closes_socket(Some("s1"), Some("s1"), None));
        assert!(!closes_socket(Some("s2"), Some("s1"), None));
        assert!(closes_socket(Some("s2"), None, None));
        assert!(closes_socket(None, None, None));
        assert!(!closes_socket(Some("s1"), None, Some("s1")));
        assert!(closes_socket(Some("s2"), None, Some("s1")));
        assert!(closes_socket(None, None, Some("s1")));
        let old = r#"{"close_sockets":{"user_id":"u1","session":null}}"#;
        let parsed: Result<InterviewRequest, _> = serde_json::from_str(old);
        assert!(matches!(parsed, Ok(InterviewRequest::CloseSockets { keep: None, .. })), "{parsed:?}");
    }

    #[test]
    fn a_call_round_trips() {
        let call = InterviewCall {
            caller: Some(Caller {
                user_id: UserId::new("u1"),
                role: UserRole::Candidate,
                session: None,
                org: None,
            }),
            bearer: None,
            sent_ms: Some(1),
            request: InterviewRequest::Turn(Answer {
                message_text: "A closure keeps its scope.".into(),
                client_metadata: serde_json::json!({ "pasted": false }),
                idempotency_key: Some(IdempotencyKey::new("k1")),
                audio_url: None,
            }),
        };
        let back = InterviewCall::decode(&call.encode()).ok();
        assert_eq!(back.as_ref(), Some(&call));
        assert!(!call.request.in_header());
        assert_eq!(call.request.name(), "turn");
        // A call without `bearer` (from a Worker deployed before it existed) still reads.
        assert!(!call.encode().contains("bearer"));
        let bearer = Bearer { user_id: UserId::new("u1"), jti: "j1".into(), session: "s1".into(), exp_ms: 9 };
        let with = InterviewCall { caller: None, bearer: Some(bearer), ..call };
        assert_eq!(InterviewCall::decode(&with.encode()).ok().as_ref(), Some(&with));
        let forget = InterviewRequest::ForgetToken { user_id: UserId::new("u1"), jti: "j1".into() };
        assert_eq!(forget.name(), "forget_token");
    }

    #[test]
    fn errors_cross_the_seam_intact() {
        let err = ApiError::new(crate::http::error::ErrorCode::RateLimited, "slow down").with_retry_after(7);
        let back = decode_error(&encode_error(&err));
        assert_eq!(back.status(), 429);
        assert_eq!(back.retry_after, Some(7));
        assert_eq!(decode_error("not json").status(), 500);
    }
}
