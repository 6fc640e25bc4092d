//! The audit trail (docs/hiring.md#audit-trail): who did what to which record, when, and from
//! which client — for every staff change and every read of candidate data in bulk or in
//! detail (an assessment, a video, an export). Entries are written beside the change they
//! record and can be listed and exported by org admins, never edited or deleted (the schema's
//! triggers refuse both). Pure: the entry, the list's filters and the client label.

use serde::{Deserialize, Serialize};

use super::enums::AuditAction;
use crate::error::{ApiError, FieldError};
use crate::http::listing::{cursor_of, field, limit_of, time_of};

/// Longest client label stored (a User-Agent is cut here).
pub const MAX_CLIENT_CHARS: usize = 200;

/// What a handler records: the action and its target. The Worker adds who, when and the client.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub action: AuditAction,
    /// `interview`, `job`, `invitation`, `user`, `organization`.
    pub target_type: &'static str,
    pub target_id: String,
    /// A short, content-free summary (counts, a new status or role); never message content,
    /// emails or tokens.
    pub detail: Option<String>,
}

impl AuditEvent {
    #[must_use]
    pub fn new(action: AuditAction, target_type: &'static str, target_id: impl Into<String>) -> Self {
        AuditEvent { action, target_type, target_id: target_id.into(), detail: None }
    }

    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The client an action came from: the User-Agent, cut to [`MAX_CLIENT_CHARS`] and stripped
/// of control characters; `unknown` without one.
#[must_use]
pub fn client_label(user_agent: Option<&str>) -> String {
    let ua: String =
        user_agent.unwrap_or_default().chars().filter(|c| !c.is_control()).take(MAX_CLIENT_CHARS).collect();
    let ua = ua.trim();
    if ua.is_empty() {
        "unknown".to_owned()
    } else {
        ua.to_owned()
    }
}

/// One stored entry, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub action: AuditAction,
    pub target_type: String,
    pub target_id: String,
    pub detail: Option<String>,
    pub client: String,
    pub created_at: String,
}

/// Validated filters of `GET /org/audit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilters {
    pub actor_id: Option<String>,
    pub action: Option<AuditAction>,
    pub target_id: Option<String>,
    /// Inclusive lower bound (RFC 3339, normalised).
    pub from: Option<String>,
    /// Exclusive upper bound.
    pub to: Option<String>,
    pub limit: u32,
    pub cursor: Option<(String, String)>,
}

impl AuditFilters {
    /// Parses the query; every bad or unknown parameter is named.
    ///
    /// # Errors
    /// 422 `VALIDATION_ERROR`.
    pub fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        for (k, _) in query {
            if !["actor_id", "action", "target_id", "from", "to", "limit", "cursor"].contains(&k.as_str()) {
                errors.push(field(k, "Unknown parameter."));
            }
        }
        let id = |name: &str, errors: &mut Vec<FieldError>| {
            get(name).and_then(|v| {
                if v.is_empty() || v.len() > 64 {
                    errors.push(field(name, "Must be an id."));
                    None
                } else {
                    Some(v.to_owned())
                }
            })
        };
        let actor_id = id("actor_id", &mut errors);
        let target_id = id("target_id", &mut errors);
        let action = get("action").and_then(|v| {
            let a = AuditAction::parse(v);
            if a.is_none() {
                errors.push(field("action", "Unknown action (see docs/hiring.md#audit-trail)."));
            }
            a
        });
        let from = time_of(get("from"), "from", &mut errors);
        let to = time_of(get("to"), "to", &mut errors);
        let limit = limit_of(get("limit"), &mut errors);
        let cursor = cursor_of(get("cursor"), &mut errors);
        if errors.is_empty() {
            Ok(AuditFilters { actor_id, action, target_id, from, to, limit, cursor })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// The CSV header of an audit export, and one entry as its row.
pub const CSV_HEADER: &[&str] =
    &["created_at", "actor_id", "actor_name", "action", "target_type", "target_id", "detail", "client"];

#[must_use]
pub fn csv_cells(e: &AuditEntry) -> Vec<String> {
    vec![
        e.created_at.clone(),
        e.actor_id.clone(),
        e.actor_name.clone().unwrap_or_default(),
        e.action.as_str().to_owned(),
        e.target_type.clone(),
        e.target_id.clone(),
        e.detail.clone().unwrap_or_default(),
        e.client.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn filters_parse_and_name_every_bad_parameter() {
        let f =
            AuditFilters::parse(&q(&[("action", "decision.made"), ("from", "2026-12-01"), ("limit", "10")]))
                .expect("valid");
        assert_eq!(f.action, Some(AuditAction::DecisionMade));
        assert_eq!(f.from.as_deref(), Some("2026-12-01T00:00:00.000Z"));
        assert_eq!(f.limit, 10);
        let e =
            AuditFilters::parse(&q(&[("action", "x"), ("to", "yesterday"), ("limit", "0"), ("who", "me")]))
                .expect_err("bad");
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["who", "action", "to", "limit"]);
    }

    #[test]
    fn the_client_label_is_bounded_and_printable() {
        assert_eq!(client_label(None), "unknown");
        assert_eq!(client_label(Some("  ")), "unknown");
        assert_eq!(client_label(Some("curl/8.5\r\nX-Evil: 1")), "curl/8.5X-Evil: 1");
        assert_eq!(client_label(Some(&"a".repeat(500))).chars().count(), MAX_CLIENT_CHARS);
    }
}
