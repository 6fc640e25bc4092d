//! Invitations to a job (docs/jobs.md#invitations): who may be invited, what a link's status is,
//! and whether it can still start an interview. Pure: the Worker stores only a token's hash and
//! asks these rules what to answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::enums::{InterviewStatus, InvitationStatus};
use crate::auth::validate::Email;
use crate::error::{ApiError, ErrorCode, FieldError};

/// Emails one request may invite.
pub const MAX_BULK_EMAILS: usize = 200;
/// How long a link works unless the request says otherwise, and the longest it may.
pub const DEFAULT_EXPIRY_DAYS: u32 = 14;
pub const MAX_EXPIRY_DAYS: u32 = 60;
/// Random bytes in a token (256 bits), sent only in the link.
pub const TOKEN_BYTES: usize = 32;

/// Why an email of a bulk invitation was not invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The same address (case-insensitively) appears earlier in the request.
    Duplicate,
    /// The address already has a live invitation to this job.
    AlreadyInvited,
}

/// An email left out of a bulk invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub email: String,
    pub reason: SkipReason,
}

/// A validated `POST /jobs/{id}/invitations` body.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteRequest {
    /// Normalised (trimmed, lower-case), first occurrence of each.
    pub emails: Vec<String>,
    pub skipped: Vec<Skipped>,
    pub expires_in_days: u32,
}

impl InviteRequest {
    /// Moves the emails in `live` (addresses with a live invitation to the job) to `skipped`.
    pub fn skip_already_invited(&mut self, live: &[String]) {
        let (keep, drop): (Vec<String>, Vec<String>) = std::mem::take(&mut self.emails)
            .into_iter()
            .partition(|e| !live.iter().any(|l| l.eq_ignore_ascii_case(e)));
        self.emails = keep;
        self.skipped
            .extend(drop.into_iter().map(|email| Skipped { email, reason: SkipReason::AlreadyInvited }));
    }
}

/// Validates a bulk invitation body: `emails` (1–200 addresses, duplicates skipped) and optional
/// `expires_in_days` (1–60). Every problem is reported at once, named by its path (`emails[3]`).
///
/// # Errors
/// `VALIDATION_ERROR` with one entry per problem.
pub fn parse_invite_request(body: &Map<String, Value>) -> Result<InviteRequest, ApiError> {
    let mut errors = Vec::new();
    let mut err =
        |field: String, message: &str| errors.push(FieldError { field, message: message.to_owned() });
    for key in body.keys() {
        if key != "emails" && key != "expires_in_days" {
            err(key.clone(), "Unknown field.");
        }
    }
    let mut emails: Vec<String> = Vec::new();
    let mut skipped = Vec::new();
    match body.get("emails") {
        Some(Value::Array(items)) if items.is_empty() => err("emails".into(), "Give at least one email."),
        Some(Value::Array(items)) if items.len() > MAX_BULK_EMAILS => {
            err("emails".into(), "At most 200 emails per request.");
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Some(raw) = item.as_str() else {
                    err(format!("emails[{i}]"), "Must be a string.");
                    continue;
                };
                match Email::parse(raw) {
                    Ok(email) => {
                        let email = email.into_string();
                        if emails.contains(&email) {
                            skipped.push(Skipped { email, reason: SkipReason::Duplicate });
                        } else {
                            emails.push(email);
                        }
                    }
                    Err(_) => err(format!("emails[{i}]"), "Not a valid email address."),
                }
            }
        }
        Some(_) => err("emails".into(), "Must be an array of email addresses."),
        None => err("emails".into(), "Required."),
    }
    let expires_in_days = match body.get("expires_in_days") {
        None | Some(Value::Null) => DEFAULT_EXPIRY_DAYS,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if (1..=MAX_EXPIRY_DAYS).contains(&n) => n,
            _ => {
                err("expires_in_days".into(), "Must be an integer between 1 and 60.");
                DEFAULT_EXPIRY_DAYS
            }
        },
    };
    if errors.is_empty() {
        Ok(InviteRequest { emails, skipped, expires_in_days })
    } else {
        Err(ApiError::validation(errors))
    }
}

/// What an invitation is now: the stored status, with `expired` (a sent or opened link past its
/// expiry) and `completed` (a started one whose interview completed) derived on read.
#[must_use]
pub fn effective_status(
    stored: InvitationStatus,
    expires_at_ms: i64,
    now_ms: i64,
    interview: Option<InterviewStatus>,
) -> InvitationStatus {
    match stored {
        InvitationStatus::Sent | InvitationStatus::Opened if now_ms >= expires_at_ms => {
            InvitationStatus::Expired
        }
        InvitationStatus::Started if interview == Some(InterviewStatus::Completed) => {
            InvitationStatus::Completed
        }
        other => other,
    }
}

/// Whether a link in this (effective) status can still start an interview.
///
/// # Errors
/// `INVITATION_EXPIRED`, `INVITATION_REVOKED` or `INVITATION_USED` (410), each with a message
/// written for the candidate.
pub fn check_usable(status: InvitationStatus) -> Result<(), ApiError> {
    match status {
        InvitationStatus::Sent | InvitationStatus::Opened => Ok(()),
        InvitationStatus::Expired => Err(ApiError::new(
            ErrorCode::InvitationExpired,
            "This invitation has expired. Ask the recruiter to send you a new one.",
        )),
        InvitationStatus::Revoked => Err(ApiError::new(
            ErrorCode::InvitationRevoked,
            "This invitation was withdrawn by the recruiter.",
        )),
        InvitationStatus::Started | InvitationStatus::Completed => Err(used()),
    }
}

/// `INVITATION_USED` (410): the link already started an interview.
#[must_use]
pub fn used() -> ApiError {
    ApiError::new(ErrorCode::InvitationUsed, "This invitation has already been used to start an interview.")
}

/// `INVITATION_CLOSED` (409): a used or revoked invitation cannot be resent or revoked.
#[must_use]
pub fn closed() -> ApiError {
    ApiError::new(
        ErrorCode::InvitationClosed,
        "This invitation was already used or revoked; invite the address again instead.",
    )
}

/// Whether the signed-in account may accept an invitation sent to `invited` (case-insensitive).
///
/// # Errors
/// `INVITATION_EMAIL_MISMATCH` (403).
pub fn check_email(invited: &str, caller: &str) -> Result<(), ApiError> {
    if invited.trim().eq_ignore_ascii_case(caller.trim()) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvitationEmailMismatch,
            "This invitation was sent to a different email address. Sign in with the invited address.",
        ))
    }
}

/// Whether a recruiter may resend (new link, new expiry) or revoke an invitation in this
/// (effective) status: not once an interview started, nor after a revocation.
///
/// # Errors
/// `INVITATION_CLOSED` (409).
pub fn check_open_for_change(status: InvitationStatus) -> Result<(), ApiError> {
    match status {
        InvitationStatus::Sent | InvitationStatus::Opened | InvitationStatus::Expired => Ok(()),
        InvitationStatus::Started | InvitationStatus::Completed | InvitationStatus::Revoked => Err(closed()),
    }
}

/// An invitation as the API shows it to staff. `link` only in the answers that created the
/// token (create, resend): afterwards only its hash exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvitationView {
    pub id: String,
    pub job_id: String,
    pub email: String,
    pub status: InvitationStatus,
    pub expires_at: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub opened_at: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub interview_id: Option<String>,
    pub send_attempts: u32,
    pub last_send_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A link token from random bytes (URL-safe base64, no padding).
#[must_use]
pub fn encode_token(bytes: &[u8; TOKEN_BYTES]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

/// Whether `token` has the shape [`encode_token`] produces (cheap check before a lookup).
#[must_use]
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form of a token: lower-case hex SHA-256. A leaked table holds no working link.
#[must_use]
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The link a candidate opens: `{base}/#/invite/{token}` (the web client's landing page; hash routing).
#[must_use]
pub fn link(base_url: &str, token: &str) -> String {
    format!("{}/#/invite/{token}", base_url.trim_end_matches('/'))
}

/// The link an invited staff member opens to set their password: `{base}/#/staff-invite/{token}`.
#[must_use]
pub fn staff_link(base_url: &str, token: &str) -> String {
    format!("{}/#/staff-invite/{token}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn bulk_emails_are_normalised_and_deduplicated_case_insensitively() {
        let req = parse_invite_request(&body(json!({
            "emails": [" Ada@Example.com", "bob@example.com", "ada@example.COM", "BOB@example.com"]
        })))
        .expect("valid");
        assert_eq!(req.emails, vec!["ada@example.com", "bob@example.com"]);
        assert_eq!(req.skipped.len(), 2);
        assert!(req.skipped.iter().all(|s| s.reason == SkipReason::Duplicate));
        assert_eq!(req.expires_in_days, DEFAULT_EXPIRY_DAYS);
    }

    #[test]
    fn every_problem_is_reported_by_path() {
        let err = parse_invite_request(&body(json!({
            "emails": ["ok@example.com", "not-an-email", 7],
            "expires_in_days": 0,
            "extra": true
        })))
        .expect_err("invalid");
        let fields: Vec<&str> = err.details.iter().map(|d| d.field.as_str()).collect();
        for f in ["emails[1]", "emails[2]", "expires_in_days", "extra"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(parse_invite_request(&body(json!({ "emails": [] }))).is_err());
        assert!(parse_invite_request(&body(json!({}))).is_err());
        let many: Vec<String> = (0..=MAX_BULK_EMAILS).map(|i| format!("c{i}@example.com")).collect();
        assert!(parse_invite_request(&body(json!({ "emails": many }))).is_err());
        let days = parse_invite_request(&body(json!({ "emails": ["a@b.co"], "expires_in_days": 60 })));
        assert_eq!(days.map(|r| r.expires_in_days).ok(), Some(60));
    }

    #[test]
    fn already_invited_addresses_are_skipped() {
        let mut req = parse_invite_request(&body(json!({ "emails": ["a@example.com", "b@example.com"] })))
            .expect("valid");
        req.skip_already_invited(&["A@example.com".to_owned()]);
        assert_eq!(req.emails, vec!["b@example.com"]);
        assert_eq!(
            req.skipped,
            vec![Skipped { email: "a@example.com".into(), reason: SkipReason::AlreadyInvited }]
        );
    }

    #[test]
    fn status_is_derived_from_expiry_and_the_interview() {
        use InvitationStatus as S;
        assert_eq!(effective_status(S::Sent, 1_000, 999, None), S::Sent);
        assert_eq!(effective_status(S::Sent, 1_000, 1_000, None), S::Expired);
        assert_eq!(effective_status(S::Opened, 1_000, 5_000, None), S::Expired);
        // A started interview outlives the link's expiry.
        assert_eq!(effective_status(S::Started, 1_000, 5_000, Some(InterviewStatus::InProgress)), S::Started);
        assert_eq!(
            effective_status(S::Started, 1_000, 5_000, Some(InterviewStatus::Completed)),
            S::Completed
        );
        assert_eq!(effective_status(S::Revoked, 1_000, 5_000, None), S::Revoked);
    }

    #[test]
    fn only_sent_or_opened_links_start_an_interview() {
        use InvitationStatus as S;
        assert!(check_usable(S::Sent).is_ok());
        assert!(check_usable(S::Opened).is_ok());
        for (s, code) in [
            (S::Expired, ErrorCode::InvitationExpired),
            (S::Revoked, ErrorCode::InvitationRevoked),
            (S::Started, ErrorCode::InvitationUsed),
            (S::Completed, ErrorCode::InvitationUsed),
        ] {
            assert_eq!(check_usable(s).map_err(|e| e.code), Err(code), "{s:?}");
            assert_eq!(code.status(), 410);
        }
        assert!(check_open_for_change(S::Expired).is_ok());
        assert!(check_open_for_change(S::Started).is_err());
        assert!(check_open_for_change(S::Revoked).is_err());
    }

    #[test]
    fn emails_match_case_insensitively_only() {
        assert!(check_email("ada@example.com", "ADA@Example.com").is_ok());
        let err = check_email("ada@example.com", "eve@example.com").expect_err("mismatch");
        assert_eq!(err.code, ErrorCode::InvitationEmailMismatch);
        assert_eq!(err.code.status(), 403);
        assert!(!err.message.contains("ada@"), "the message never names the invited address");
    }

    #[test]
    fn tokens_are_url_safe_and_stored_as_hashes() {
        let token = encode_token(&[0xfb; TOKEN_BYTES]);
        assert!(is_token_shaped(&token), "{token}");
        assert!(!is_token_shaped("short"));
        assert!(!is_token_shaped(&format!("{}!", &token[..42])));
        let hash = token_hash(&token);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token_hash(&encode_token(&[0xfa; TOKEN_BYTES])));
        // Known SHA-256 of "abc".
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(link("https://x.test/", &token), format!("https://x.test/#/invite/{token}"));
    }
}
