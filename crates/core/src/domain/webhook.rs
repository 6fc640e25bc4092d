//! ATS webhooks (docs/hiring.md#webhooks): what an org admin may register, the events, the
//! retry schedule and the signature header. Pure; the Worker stores endpoints and deliveries
//! (`store::webhooks`) and sends them (`jobs::webhooks`).
//!
//! A delivery is a POST of `{id, type, created_at, org_id, data}` with `X-Webhook-Id` (the event
//! id, the same on every retry), `X-Webhook-Timestamp` (unix seconds) and `X-Webhook-Signature:
//! sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` — the feedback webhook's scheme
//! ([`super::resume::delivery::signed_string`]); during a rotation's overlap window, two
//! signatures, comma-separated, newest first.

use serde_json::{Map, Value};

use super::resume::delivery::signature_header_value;
use crate::error::ApiError;
use crate::http::json::Fields;

/// The events an endpoint may subscribe to.
pub const EVENTS: &[&str] =
    &["interview.completed", "assessment.ready", "decision.made", "invitation.expired"];
/// The event of `POST …/test` (sent to that endpoint only; no subscription needed).
pub const TEST_EVENT: &str = "webhook.test";
/// Endpoints per organization.
pub const MAX_PER_ORG: i64 = 10;
/// Longest endpoint URL and description.
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// A delivery is retried until this long after its event, then `failed`.
pub const RETRY_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Longest wait between two attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 3600 * 1000;
/// Timeout of one attempt.
pub const TIMEOUT_MS: u64 = 10_000;
/// How long a claimed attempt is leased to its sender.
pub const LEASE_MS: i64 = 60_000;
/// Deliveries one sender run attempts.
pub const SEND_BATCH: u32 = 50;

/// Header names.
pub const ID_HEADER: &str = "X-Webhook-Id";
pub const TIMESTAMP_HEADER: &str = "X-Webhook-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// Why a URL is refused, or `None` when it may be registered.
#[must_use]
pub fn url_problem(url: &str, allow_http: bool) -> Option<&'static str> {
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://").filter(|_| allow_http) {
        r
    } else {
        return Some("Must be an https:// URL.");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Some("Must name a host.");
    }
    if authority.contains('@') {
        return Some("Must not contain credentials.");
    }
    if !authority.is_ascii() {
        // The Worker's URL parser is ASCII-only (Cargo.toml pins idna_adapter 1.0).
        return Some("The host must be ASCII (write an international domain name in its xn-- form).");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("Must not contain spaces or control characters.");
    }
    None
}

/// A validated, de-duplicated event list (in [`EVENTS`] order).
fn events(f: &mut Fields, v: Option<Value>, required: bool) -> Option<Vec<String>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        if required {
            f.error("events", "This field is required.");
        }
        return None;
    };
    let Some(list) = v.as_array() else {
        f.error("events", "Must be an array of event names.");
        return None;
    };
    let mut bad = false;
    for e in list {
        if !e.as_str().is_some_and(|s| EVENTS.contains(&s)) {
            bad = true;
        }
    }
    if bad || list.is_empty() {
        f.error("events", format!("Must be a non-empty list of: {}.", EVENTS.join(", ")));
        return None;
    }
    Some(
        EVENTS
            .iter()
            .filter(|e| list.iter().any(|v| v.as_str() == Some(**e)))
            .map(|e| (*e).to_owned())
            .collect(),
    )
}

/// `POST /api/v1/org/webhooks` and `PATCH …/{id}`: every field optional on PATCH.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// Validates a new endpoint (`url` and `events` required; `active` not accepted) or a change
/// (`create` false: any of url, events, active, description; at least one).
///
/// # Errors
/// 422 `VALIDATION_ERROR` naming each bad or unknown field.
pub fn parse_input(
    mut body: Map<String, Value>,
    create: bool,
    allow_http: bool,
) -> Result<WebhookInput, ApiError> {
    let events_value = body.remove("events");
    let active_value = if create { None } else { body.remove("active") };
    let mut rest = Fields::new(body);
    let events = events(&mut rest, events_value, create);
    let url = if create {
        rest.required_str("url", 1..=MAX_URL_CHARS, true)
    } else {
        rest.optional_str("url", 1..=MAX_URL_CHARS, true)
    };
    if let Some(problem) = url.as_deref().and_then(|u| url_problem(u, allow_http)) {
        rest.error("url", problem);
    }
    let description = rest.optional_str("description", 0..=MAX_DESCRIPTION_CHARS, true);
    let active = match active_value.filter(|v| !v.is_null()) {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => {
            rest.error("active", "Must be true or false.");
            None
        }
    };
    let input = WebhookInput { url, events, description, active };
    if !create && input == WebhookInput::default() && !rest.has_errors() {
        rest.error("url", "Give at least one of url, events, active, description.");
    }
    rest.finish()?;
    Ok(input)
}

/// The wait before the next attempt after `attempts` failed ones: `base_ms` × 4^(attempts−1),
/// capped at [`MAX_RETRY_DELAY_MS`]; `None` when that is past the event's retry window
/// (the delivery fails).
#[must_use]
pub fn retry_at(attempts: u32, now_ms: i64, event_ms: i64, base_ms: i64) -> Option<i64> {
    let factor = 4_i64.saturating_pow(attempts.saturating_sub(1));
    let at = now_ms + base_ms.max(0).saturating_mul(factor).min(MAX_RETRY_DELAY_MS);
    (at < event_ms + RETRY_WINDOW_MS).then_some(at)
}

/// The `X-Webhook-Signature` value: one `sha256=…` per MAC, newest secret first.
#[must_use]
pub fn signature_header(macs: &[Vec<u8>]) -> String {
    macs.iter().map(|m| signature_header_value(m)).collect::<Vec<_>>().join(",")
}

/// A fresh secret's text from 32 random bytes: `whsec_` and lowercase hex.
#[must_use]
pub fn secret_text(bytes: &[u8]) -> String {
    let mut out = String::from("whsec_");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn urls_are_https_without_credentials_unless_http_is_allowed() {
        assert_eq!(url_problem("https://ats.example.com/hook", false), None);
        assert!(url_problem("http://ats.example.com/hook", false).is_some());
        assert_eq!(url_problem("http://127.0.0.1:9/h", true), None);
        assert!(url_problem("https://user:pw@ats.example.com/", false).is_some());
        assert!(url_problem("https:///path", false).is_some());
        assert!(url_problem("https://bücher.example/hook", false).is_some());
        assert_eq!(url_problem("https://xn--bcher-kva.example/hook?q=ü", false), None);
        assert!(url_problem("ftp://x", true).is_some());
        assert!(url_problem("https://a.example/ b", false).is_some());
        assert_eq!(
            url_problem("https://a.example/p?x=a@b", false),
            None,
            "an @ in the query is no credential"
        );
    }

    #[test]
    fn create_requires_url_and_known_events() {
        let ok = parse_input(
            map(json!({"url": "https://a.example/h", "events": ["decision.made", "interview.completed", "decision.made"]})),
            true,
            false,
        )
        .expect("valid");
        assert_eq!(ok.events, Some(vec!["interview.completed".to_owned(), "decision.made".to_owned()]));
        for bad in [
            json!({"events": ["decision.made"]}),
            json!({"url": "https://a.example/h"}),
            json!({"url": "https://a.example/h", "events": []}),
            json!({"url": "https://a.example/h", "events": ["nope"]}),
            json!({"url": "http://a.example/h", "events": ["decision.made"]}),
            json!({"url": "https://a.example/h", "events": ["decision.made"], "active": false}),
            json!({"url": "https://a.example/h", "events": ["decision.made"], "extra": 1}),
            json!({"url": format!("https://a.example/{}", "x".repeat(MAX_URL_CHARS)), "events": ["decision.made"]}),
        ] {
            assert!(parse_input(map(bad.clone()), true, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_takes_any_field_but_not_none() {
        let p = parse_input(map(json!({"active": false})), false, false).expect("valid");
        assert_eq!(p.active, Some(false));
        assert!(parse_input(map(json!({})), false, false).is_err());
        assert!(parse_input(map(json!({"active": "no"})), false, false).is_err());
    }

    #[test]
    fn retries_grow_fourfold_capped_and_stop_after_a_day() {
        let base = 30_000;
        assert_eq!(retry_at(1, 0, 0, base), Some(30_000));
        assert_eq!(retry_at(2, 0, 0, base), Some(120_000));
        assert_eq!(retry_at(9, 0, 0, base), Some(MAX_RETRY_DELAY_MS));
        assert_eq!(retry_at(3, RETRY_WINDOW_MS - 1000, 0, base), None);
        assert_eq!(retry_at(40, 5, 0, 0), Some(5), "a zero base retries at once");
    }

    #[test]
    fn signature_lists_newest_first() {
        assert_eq!(signature_header(&[vec![0xab], vec![0x01]]), "sha256=ab,sha256=01");
        assert_eq!(signature_header(&[vec![0x00, 0xff]]), "sha256=00ff");
        assert_eq!(secret_text(&[1, 2]), "whsec_0102");
    }
}
