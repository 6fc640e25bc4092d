//! CORS: an explicit allow-list of origins (`ALLOWED_ORIGINS`), explicit methods and headers.
//! A disallowed origin gets no grant at all (the browser then blocks the response).

/// Methods the API answers to.
pub const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a browser may send.
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key, Range";
/// Response headers a browser script may read.
pub const EXPOSED_HEADERS: &str = "X-Request-Id, Retry-After, Content-Range";

/// The CORS headers for a request from `origin`, or none when the origin is not allowed.
#[must_use]
pub fn grant(origin: Option<&str>, allowed: &[String], preflight: bool) -> Vec<(&'static str, String)> {
    let Some(origin) = origin else {
        return Vec::new();
    };
    if !allowed.iter().any(|a| a == origin) {
        return Vec::new();
    }
    let mut headers = vec![
        ("Access-Control-Allow-Origin", origin.to_owned()),
        ("Vary", "Origin".to_owned()),
        ("Access-Control-Expose-Headers", EXPOSED_HEADERS.to_owned()),
    ];
    if preflight {
        headers.push(("Access-Control-Allow-Methods", ALLOWED_METHODS.to_owned()));
        headers.push(("Access-Control-Allow-Headers", ALLOWED_HEADERS.to_owned()));
        headers.push(("Access-Control-Max-Age", "600".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["http://127.0.0.1:8787".to_owned()]
    }

    #[test]
    fn an_allowed_origin_is_echoed_exactly() {
        let h = grant(Some("http://127.0.0.1:8787"), &allowed(), false);
        assert!(h.contains(&("Access-Control-Allow-Origin", "http://127.0.0.1:8787".to_owned())));
        assert!(!h.iter().any(|(k, _)| *k == "Access-Control-Allow-Methods"));
    }

    #[test]
    fn preflight_adds_methods_and_headers() {
        let h = grant(Some("http://127.0.0.1:8787"), &allowed(), true);
        assert!(h.iter().any(|(k, v)| *k == "Access-Control-Allow-Headers" && v.contains("Idempotency-Key")));
    }

    #[test]
    fn other_origins_and_lookalikes_get_nothing() {
        for origin in ["http://evil.test", "http://127.0.0.1:8787.evil.test", "null", ""] {
            assert!(grant(Some(origin), &allowed(), true).is_empty(), "{origin}");
        }
        assert!(grant(None, &allowed(), true).is_empty());
    }
}
