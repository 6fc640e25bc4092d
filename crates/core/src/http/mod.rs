//! The platform-neutral half of the HTTP surface: the route table, JSON body validation, CORS and
//! security-header decisions, and the request log line. All of it is pure and unit-tested natively;
//! `crate::frontend_worker` (wasm32) adapts it to `worker` types.

pub mod body;
pub mod cors;
pub mod csv;
/// The error envelope lives in [`crate::error`] (auth uses it too); re-exported here so that
/// `http::error::…` paths keep working.
pub use crate::error;
pub mod json;
pub mod listing;
pub mod routes;

/// JSON bodies larger than this are refused with 413 (docs/api.md#conventions).
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Headers every response carries (docs/api.md#conventions), besides `X-Request-Id`.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
];

/// The `(name, value)` pairs of a URL query string (without its `?`): percent- and `+`-decoded
/// (invalid UTF-8 replaced), in order, repeated names kept, empty pieces skipped.
#[must_use]
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    // Deserializing into owned string pairs cannot fail: form_urlencoded decodes lossily.
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// One JSON log line per request: ids, route pattern, status and timing — never bodies, tokens,
/// emails or query strings.
#[must_use]
pub fn request_log_line(
    request_id: &str,
    method: &str,
    route: &str,
    status: u16,
    duration_ms: f64,
    user_id: Option<&str>,
    interview_id: Option<&str>,
) -> String {
    serde_json::json!({
        "event": "request",
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": (duration_ms * 100.0).round() / 100.0,
        "user_id": user_id,
        "interview_id": interview_id,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_decoded_in_order_with_repeats() {
        let pairs = query_pairs("q=alice%20filterable&limit=100&q=a+b&flag&=v&&cursor=YWJj%3D&bad=%ff");
        let expected = [
            ("q", "alice filterable"),
            ("limit", "100"),
            ("q", "a b"),
            ("flag", ""),
            ("", "v"),
            ("cursor", "YWJj="),
            ("bad", "\u{fffd}"),
        ];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        assert_eq!(pairs, expected);
        assert!(query_pairs("").is_empty());
    }

    #[test]
    fn the_log_line_is_json_with_the_documented_fields() {
        let line = request_log_line("r1", "GET", "/health", 200, 1.234_56, None, Some("i1"));
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["request_id"], "r1");
        assert_eq!(v["route"], "/health");
        assert_eq!(v["status"], 200);
        assert_eq!(v["duration_ms"], 1.23);
        assert!(v["user_id"].is_null());
        assert_eq!(v["interview_id"], "i1");
    }
}
