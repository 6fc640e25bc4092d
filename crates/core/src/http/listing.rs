//! Recruiter list parameters: the validated filters of the list routes and their opaque keyset
//! cursors. The root crate's `store::listing` turns the filters into parameterised SQL with only
//! the active filters (see `tests/query_plans.rs`, which checks the plans against the real schema).
//!
//! Interviews are listed newest first by `(started_at, id)`; candidates by `(created_at, id)`.
//! A cursor carries the last row's key, so pages never skip or repeat rows while new interviews
//! arrive.

use crate::domain::enums::{InterviewStatus, RoleType};
use crate::domain::time::{parse_rfc3339_ms, rfc3339_ms};
use crate::error::{ApiError, FieldError};

/// Default and maximum page sizes (docs/api.md#pagination).
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// Encodes a keyset position as an opaque, URL-safe cursor.
#[must_use]
pub fn encode_cursor(sort_key: &str, id: &str) -> String {
    let raw = format!("{sort_key}\n{id}");
    crate::auth::b64::encode_url(raw.as_bytes())
}

/// Decodes a cursor made by [`encode_cursor`]. As it always has, it also takes the standard
/// alphabet's `+` and `/` in place of `-` and `_`, and `=` padding.
#[must_use]
pub fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let std = cursor.replace('-', "+").replace('_', "/");
    let bytes = crate::auth::b64::decode(&std)?;
    let text = String::from_utf8(bytes).ok()?;
    let (key, id) = text.split_once('\n')?;
    (!key.is_empty() && !id.is_empty() && key.len() <= 64 && id.len() <= 64)
        .then(|| (key.to_owned(), id.to_owned()))
}

/// Validated filters of `GET /recruiter/interviews`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterviewFilters {
    pub status: Option<InterviewStatus>,
    pub role_type: Option<RoleType>,
    /// Inclusive lower bound on `started_at` (RFC 3339, normalised).
    pub from: Option<String>,
    /// Exclusive upper bound on `started_at`.
    pub to: Option<String>,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    pub limit: u32,
    pub cursor: Option<(String, String)>,
}

/// `limit` (1–100, default 50), naming a bad value in `errors`.
pub(crate) fn limit_of(value: Option<&str>, errors: &mut Vec<FieldError>) -> u32 {
    match value {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(field("limit", "Must be an integer between 1 and 100."));
                DEFAULT_LIMIT
            }
        },
    }
}

pub(crate) fn field(name: &str, message: &str) -> FieldError {
    FieldError { field: name.to_owned(), message: message.to_owned() }
}

/// A time bound (`from`, `to`): RFC 3339 or a `YYYY-MM-DD` date, normalised; a bad one is named
/// in `errors`.
pub(crate) fn time_of(value: Option<&str>, name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let v = value?;
    let t = parse_rfc3339_ms(v).or_else(|| parse_rfc3339_ms(&format!("{v}T00:00:00Z"))).map(rfc3339_ms);
    if t.is_none() {
        errors.push(field(name, "Must be an RFC 3339 time or a YYYY-MM-DD date."));
    }
    t
}

/// A keyset `cursor`, naming a bad one in `errors`.
pub(crate) fn cursor_of(value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<(String, String)> {
    let v = value?;
    let decoded = decode_cursor(v);
    if decoded.is_none() {
        errors.push(field("cursor", "Invalid cursor."));
    }
    decoded
}

impl InterviewFilters {
    /// Parses query parameters; every bad one is named in the 422. Unknown parameters are
    /// refused too, so a typo (`min_scor`) is not silently ignored.
    ///
    /// # Errors
    /// 422 `VALIDATION_ERROR` naming each bad parameter.
    pub fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        for (k, _) in query {
            if !["status", "role_type", "from", "to", "min_score", "max_score", "limit", "cursor"]
                .contains(&k.as_str())
            {
                errors.push(field(k, "Unknown parameter."));
            }
        }
        let status = get("status").and_then(|v| {
            let s = InterviewStatus::parse(v);
            if s.is_none() {
                errors.push(field("status", "Must be one of: in_progress, completed, abandoned."));
            }
            s
        });
        let role_type = get("role_type").and_then(|v| {
            let r = RoleType::parse(v);
            if r.is_none() {
                errors.push(field("role_type", "Must be one of: react, python, javascript, fullstack."));
            }
            r
        });
        let from = time_of(get("from"), "from", &mut errors);
        let to = time_of(get("to"), "to", &mut errors);
        let mut score = |name: &str| {
            get(name).and_then(|v| match v.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
                _ => {
                    errors.push(field(name, "Must be a number between 0 and 100."));
                    None
                }
            })
        };
        let min_score = score("min_score");
        let max_score = score("max_score");
        let limit = limit_of(get("limit"), &mut errors);
        let cursor = cursor_of(get("cursor"), &mut errors);
        if let (Some(a), Some(b)) = (min_score, max_score) {
            if a > b {
                errors.push(field("min_score", "Must not exceed max_score."));
            }
        }
        if errors.is_empty() {
            Ok(InterviewFilters { status, role_type, from, to, min_score, max_score, limit, cursor })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// Validated parameters of `GET /recruiter/candidates`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CandidateFilters {
    pub q: Option<String>,
    pub limit: u32,
    pub cursor: Option<(String, String)>,
}

impl CandidateFilters {
    /// # Errors
    /// 422 naming each bad parameter.
    pub fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        for (k, _) in query {
            if !["q", "limit", "cursor"].contains(&k.as_str()) {
                errors.push(field(k, "Unknown parameter."));
            }
        }
        let q = get("q").map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            errors.push(field("q", "At most 100 characters."));
        }
        let limit = limit_of(get("limit"), &mut errors);
        let cursor = cursor_of(get("cursor"), &mut errors);
        if errors.is_empty() {
            Ok(CandidateFilters { q, limit, cursor })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// The query of a keyset-paged list filtered by one status (jobs, a job's invitations):
/// `status`, `limit` (1–100, default 50) and `cursor`. Other parameters are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusPage<S> {
    pub status: Option<S>,
    pub limit: u32,
    pub cursor: Option<(String, String)>,
}

impl<S: Copy> StatusPage<S> {
    /// Parses the query, with `parse_status` for the status and `statuses` for its error message.
    ///
    /// # Errors
    /// 422 `VALIDATION_ERROR` naming each bad parameter.
    pub fn parse(
        query: &[(String, String)],
        parse_status: impl Fn(&str) -> Option<S>,
        statuses: &[&str],
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let status = get("status").and_then(|v| {
            let s = parse_status(v);
            if s.is_none() {
                errors.push(field("status", &format!("Must be one of {}.", statuses.join(", "))));
            }
            s
        });
        let limit = limit_of(get("limit"), &mut errors);
        let cursor = cursor_of(get("cursor"), &mut errors);
        if errors.is_empty() {
            Ok(StatusPage { status, limit, cursor })
        } else {
            Err(ApiError::validation(errors))
        }
    }

    /// The cursor as the store's `(sort key, id)` pair of borrowed strings.
    #[must_use]
    pub fn after(&self) -> Option<(&str, &str)> {
        self.cursor.as_ref().map(|(k, i)| (k.as_str(), i.as_str()))
    }
}

/// A page size alone (offset-paged lists such as résumés): 1–100, default 50.
///
/// # Errors
/// 422 `VALIDATION_ERROR` naming `limit`.
pub fn parse_limit(value: Option<&str>) -> Result<u32, ApiError> {
    let mut errors = Vec::new();
    let limit = limit_of(value, &mut errors);
    if errors.is_empty() {
        Ok(limit)
    } else {
        Err(ApiError::validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor("2026-11-22T01:02:03.456Z", "abc");
        assert_eq!(decode_cursor(&c), Some(("2026-11-22T01:02:03.456Z".into(), "abc".into())));
        for bad in ["", "!!!", "bm90aGluZw"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_bad_filter_is_named() {
        let cases = [
            ("status", "done"),
            ("role_type", "cobol"),
            ("from", "yesterday"),
            ("to", "2026-13-40"),
            ("min_score", "-1"),
            ("max_score", "101"),
            ("limit", "0"),
            ("limit", "101"),
            ("cursor", "zzz"),
            ("sort", "asc"),
        ];
        for (k, v) in cases {
            let err = InterviewFilters::parse(&q(&[(k, v)])).expect_err(k);
            assert_eq!(err.details[0].field, k, "{k}={v}");
        }
        let err =
            InterviewFilters::parse(&q(&[("min_score", "80"), ("max_score", "20")])).expect_err("range");
        assert_eq!(err.details[0].field, "min_score");
    }

    #[test]
    fn status_page_parses_and_names_every_bad_parameter() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let parse = |s: &str| (s == "open").then_some(1u8);
        let page = StatusPage::parse(&q(&[("other", "x")]), parse, &["open"]).expect("defaults");
        assert_eq!((page.status, page.limit, page.cursor), (None, DEFAULT_LIMIT, None));
        let cursor = encode_cursor("2026-01-01T00:00:00.000Z", "abc");
        let page = StatusPage::parse(
            &q(&[("status", "open"), ("limit", "7"), ("cursor", &cursor)]),
            parse,
            &["open"],
        )
        .expect("valid");
        assert_eq!(page.status, Some(1));
        assert_eq!(page.limit, 7);
        assert_eq!(page.after(), Some(("2026-01-01T00:00:00.000Z", "abc")));
        let err =
            StatusPage::parse(&q(&[("status", "shut"), ("limit", "0"), ("cursor", "!!")]), parse, &["open"])
                .expect_err("three bad parameters");
        let body = err.body("r");
        let fields: Vec<&str> = body["error"]["details"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert_eq!(fields, ["status", "limit", "cursor"]);
        assert_eq!(parse_limit(Some("101")).map_err(|e| e.status()), Err(422));
        assert_eq!(parse_limit(None).ok(), Some(DEFAULT_LIMIT));
    }
}
