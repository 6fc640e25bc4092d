//! The account lifecycle's rules (docs/accounts.md): sign-in sessions, the single-use emailed
//! links (email verification, password reset) and how a used or expired link is answered. Pure:
//! the Worker stores sessions and link hashes in D1 (`src/store/accounts.rs`).

use crate::error::{ApiError, ErrorCode};

/// `last_used_at` of a session is written at most this often (not on every request).
pub const SESSION_TOUCH_MS: i64 = 5 * 60_000;
/// Longest `client` stored for a session (the User-Agent, cut).
pub const CLIENT_MAX_CHARS: usize = 200;
/// What a stored link token is for (`account_tokens.purpose`).
pub const VERIFY_EMAIL: &str = "verify_email";
pub const PASSWORD_RESET: &str = "password_reset";

/// Whether a session last stamped at `last_used_ms` should be stamped again at `now_ms`.
#[must_use]
pub fn needs_touch(last_used_ms: Option<i64>, now_ms: i64) -> bool {
    last_used_ms.is_none_or(|t| now_ms - t >= SESSION_TOUCH_MS)
}

/// The `client` of a session: the User-Agent on one line, at most [`CLIENT_MAX_CHARS`]
/// characters (`unknown` when absent). Never a token.
#[must_use]
pub fn client_label(user_agent: Option<&str>) -> String {
    let ua: String = user_agent
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(CLIENT_MAX_CHARS)
        .collect();
    let ua = ua.trim();
    if ua.is_empty() {
        "unknown".to_owned()
    } else {
        ua.to_owned()
    }
}

/// The web client's page for an emailed link: `{base}/#/{page}/{token}` (`verify`, `reset`).
#[must_use]
pub fn link(base_url: &str, page: &str, token: &str) -> String {
    format!("{}/#/{page}/{token}", base_url.trim_end_matches('/'))
}

/// The answer to a link token that matched nothing (or is not shaped like one).
#[must_use]
pub fn link_invalid() -> ApiError {
    ApiError::new(ErrorCode::LinkInvalid, "This link is not valid. Check that you copied all of it.")
}

/// Why a stored link cannot be used: already used (`LINK_USED`), expired (`LINK_EXPIRED`).
///
/// # Errors
/// As above.
pub fn check_link(used: bool, expires_ms: i64, now_ms: i64) -> Result<(), ApiError> {
    if used {
        return Err(ApiError::new(ErrorCode::LinkUsed, "This link was already used."));
    }
    if now_ms >= expires_ms {
        return Err(ApiError::new(ErrorCode::LinkExpired, "This link has expired. Ask for a new one."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_touched_at_most_every_few_minutes() {
        assert!(needs_touch(None, 0));
        assert!(!needs_touch(Some(1_000), 1_000 + SESSION_TOUCH_MS - 1));
        assert!(needs_touch(Some(1_000), 1_000 + SESSION_TOUCH_MS));
    }

    #[test]
    fn the_client_is_one_line_and_cut() {
        assert_eq!(client_label(None), "unknown");
        assert_eq!(client_label(Some("  ")), "unknown");
        assert_eq!(client_label(Some("Firefox\r\n133")), "Firefox  133");
        assert_eq!(client_label(Some(&"é".repeat(500))).chars().count(), CLIENT_MAX_CHARS);
    }

    #[test]
    fn links_are_single_use_and_expire() {
        assert!(check_link(false, 10, 9).is_ok());
        assert_eq!(check_link(true, 10, 9).map_err(|e| e.code), Err(ErrorCode::LinkUsed));
        assert_eq!(check_link(false, 10, 10).map_err(|e| e.code), Err(ErrorCode::LinkExpired));
        assert_eq!(link("https://x/", "reset", "T"), "https://x/#/reset/T");
        assert_eq!(link_invalid().code.status(), 400);
    }
}
