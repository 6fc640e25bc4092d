//! Single-use WebSocket tickets (docs/voice.md#tickets): browsers cannot send an `Authorization`
//! header on a WebSocket, so `POST /interviews/{id}/realtime-ticket` (authenticated) issues a
//! ticket valid for [`TICKET_TTL_SECS`] seconds, bound to the interview and the user, and
//! `GET /realtime/{id}?ticket=…` upgrades only with a valid, unused one.
//!
//! The token is opaque: [`TOKEN_PREFIX`] and the ticket's random id, which the caller draws
//! (≥ 128 bits, e.g. a UUID v4 in simple form). It carries no claims, because an unsigned token
//! that named its interview, user and expiry could be forged; instead the interview's DO stores
//! the issued [`Ticket`] under its id, looks it up when the token comes back, runs [`check`] and
//! marks the id used. Tickets are never logged.
//!
//! Must not: accept a ticket twice, late, for another interview or another user.

use serde::{Deserialize, Serialize};

/// How long a ticket is valid, in seconds (`expires_in` of the ticket response).
pub const TICKET_TTL_SECS: u64 = 60;

/// How long a ticket is valid, in milliseconds.
pub const TICKET_TTL_MS: u64 = TICKET_TTL_SECS * 1_000;

/// The token's prefix (versioned, so the format can change).
pub const TOKEN_PREFIX: &str = "rt1_";

/// Shortest accepted id: 22 base64url characters hold 128 bits.
pub const MIN_ID_CHARS: usize = 22;

/// Longest accepted id.
pub const MAX_ID_CHARS: usize = 128;

/// An issued ticket, as the DO stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Random, drawn by the caller; `[A-Za-z0-9_-]`, [`MIN_ID_CHARS`]..=[`MAX_ID_CHARS`].
    pub id: String,
    pub interview_id: String,
    pub user_id: String,
    /// Epoch milliseconds after which it is refused.
    pub expires_ms: u64,
    /// The session (token id) that asked for it: revoking that session closes the socket.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Why a ticket is refused. The Worker answers 401 for all of them, before any upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketError {
    /// Not a token of this format, or a stored ticket with an invalid id or empty fields.
    Malformed,
    /// A well-formed token that names no issued ticket.
    Unknown,
    Expired,
    WrongInterview,
    WrongUser,
    Used,
}

impl TicketError {
    /// A short reason for logs (never the token itself).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            TicketError::Malformed => "malformed",
            TicketError::Unknown => "unknown",
            TicketError::Expired => "expired",
            TicketError::WrongInterview => "wrong_interview",
            TicketError::WrongUser => "wrong_user",
            TicketError::Used => "used",
        }
    }
}

impl std::fmt::Display for TicketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ticket refused: {}", self.as_str())
    }
}

impl std::error::Error for TicketError {}

fn valid_id(id: &str) -> bool {
    (MIN_ID_CHARS..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Ticket {
    /// A ticket for `user_id` on `interview_id`, valid for [`TICKET_TTL_MS`] from `now_ms`.
    ///
    /// # Errors
    /// [`TicketError::Malformed`] when `id` is not [`MIN_ID_CHARS`]..=[`MAX_ID_CHARS`] characters
    /// of `[A-Za-z0-9_-]`, or the interview or user id is empty.
    pub fn issue(id: &str, interview_id: &str, user_id: &str, now_ms: u64) -> Result<Ticket, TicketError> {
        if !valid_id(id) || interview_id.is_empty() || user_id.is_empty() {
            return Err(TicketError::Malformed);
        }
        Ok(Ticket {
            id: id.to_owned(),
            interview_id: interview_id.to_owned(),
            user_id: user_id.to_owned(),
            expires_ms: now_ms.saturating_add(TICKET_TTL_MS),
            session_id: None,
        })
    }

    /// The opaque token handed to the browser.
    #[must_use]
    pub fn token(&self) -> String {
        format!("{TOKEN_PREFIX}{}", self.id)
    }
}

/// The ticket id a token names, to look the ticket up.
///
/// # Errors
/// [`TicketError::Malformed`] for anything that is not [`TOKEN_PREFIX`] and a valid id.
pub fn parse_token(token: &str) -> Result<&str, TicketError> {
    token.strip_prefix(TOKEN_PREFIX).filter(|id| valid_id(id)).ok_or(TicketError::Malformed)
}

/// Whether the stored `ticket` opens a socket on `interview_id` for `user_id` (the interview's
/// owner) at `now_ms`; `used` says whether its id was already redeemed. The DO marks the id used
/// in the same step as it accepts it.
///
/// # Errors
/// In this order: [`TicketError::Malformed`], [`TicketError::WrongInterview`],
/// [`TicketError::WrongUser`], [`TicketError::Used`], [`TicketError::Expired`] (at and after
/// `expires_ms`).
pub fn check(
    ticket: &Ticket,
    interview_id: &str,
    user_id: &str,
    now_ms: u64,
    used: bool,
) -> Result<(), TicketError> {
    if !valid_id(&ticket.id) || ticket.interview_id.is_empty() || ticket.user_id.is_empty() {
        return Err(TicketError::Malformed);
    }
    if ticket.interview_id != interview_id {
        return Err(TicketError::WrongInterview);
    }
    if ticket.user_id != user_id {
        return Err(TicketError::WrongUser);
    }
    if used {
        return Err(TicketError::Used);
    }
    if now_ms >= ticket.expires_ms {
        return Err(TicketError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "9b2f6c0d4a1e4f7b8c3d2e1f0a9b8c7d";
    const INTERVIEW: &str = "6f1c2d3e-0000-4000-8000-000000000001";
    const USER: &str = "user-1";
    const NOW: u64 = 1_700_000_000_000;

    fn ticket() -> Ticket {
        Ticket::issue(ID, INTERVIEW, USER, NOW).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_fresh_ticket_opens_its_own_interview_once_within_60_seconds() {
        let t = ticket();
        assert_eq!(t.expires_ms, NOW + 60_000);
        assert_eq!(check(&t, INTERVIEW, USER, NOW, false), Ok(()));
        assert_eq!(check(&t, INTERVIEW, USER, NOW + 59_999, false), Ok(()));
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let t = ticket();
        let table = [
            (
                "expired at the deadline",
                check(&t, INTERVIEW, USER, NOW + 60_000, false),
                TicketError::Expired,
            ),
            ("expired later", check(&t, INTERVIEW, USER, NOW + 3_600_000, false), TicketError::Expired),
            ("reused", check(&t, INTERVIEW, USER, NOW + 1, true), TicketError::Used),
            ("another interview", check(&t, "other", USER, NOW, false), TicketError::WrongInterview),
            ("another user", check(&t, INTERVIEW, "user-2", NOW, false), TicketError::WrongUser),
            (
                "a stored ticket with a bad id",
                check(&Ticket { id: "short".into(), ..t.clone() }, INTERVIEW, USER, NOW, false),
                TicketError::Malformed,
            ),
        ];
        for (name, result, expected) in table {
            assert_eq!(result, Err(expected), "{name}");
        }
        // A used ticket is reported as used even once it has expired.
        assert_eq!(check(&t, INTERVIEW, USER, NOW + 120_000, true), Err(TicketError::Used));
    }

    #[test]
    fn tokens_round_trip_and_carry_only_the_id() {
        let t = ticket();
        let token = t.token();
        assert_eq!(token, format!("rt1_{ID}"));
        assert!(!token.contains(INTERVIEW) && !token.contains(USER));
        assert_eq!(parse_token(&token), Ok(ID));
    }

    #[test]
    fn malformed_tokens_and_ids_are_refused() {
        let too_long = format!("rt1_{}", "a".repeat(MAX_ID_CHARS + 1));
        for token in [
            "",
            "rt1_",
            "rt2_9b2f6c0d4a1e4f7b8c3d2e1f0a9b8c7d",
            ID,
            "rt1_short",
            "rt1_9b2f6c0d4a1e4f7b8c3d2e1f0a9b8c7d%",
            "rt1_9b2f6c0d 4a1e4f7b8c3d2e1f0a9b8c7d",
            too_long.as_str(),
        ] {
            assert_eq!(parse_token(token), Err(TicketError::Malformed), "{token:?}");
        }
        assert_eq!(Ticket::issue("short", INTERVIEW, USER, NOW), Err(TicketError::Malformed));
        assert_eq!(Ticket::issue(ID, "", USER, NOW), Err(TicketError::Malformed));
        assert_eq!(Ticket::issue(ID, INTERVIEW, "", NOW), Err(TicketError::Malformed));
        assert_eq!(Ticket::issue(ID, INTERVIEW, USER, u64::MAX).map(|t| t.expires_ms), Ok(u64::MAX));
    }

    #[test]
    fn stored_tickets_survive_json() {
        let t = ticket();
        let json = serde_json::to_string(&t).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Ticket>(&json).ok(), Some(t));
    }
}
