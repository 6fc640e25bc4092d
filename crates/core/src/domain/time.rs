//! Time as the service sees it: milliseconds since the Unix epoch, formatted as RFC 3339 UTC with
//! milliseconds (`2026-11-22T01:02:03.456Z`), which sorts correctly as text in SQL.

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
#[must_use]
pub fn rfc3339_ms(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let ms = epoch_ms.rem_euclid(1000);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => format!("{}.{ms:03}Z", dt.format("%Y-%m-%dT%H:%M:%S")),
        None => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Parses an RFC 3339 timestamp (any offset) into epoch milliseconds.
#[must_use]
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|dt| dt.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_309_323_456), "2026-11-22T01:02:03.456Z");
    }

    #[test]
    fn parse_inverts_format() {
        for ms in [0, 1, 999, 1_795_309_323_456] {
            assert_eq!(parse_rfc3339_ms(&rfc3339_ms(ms)), Some(ms));
        }
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }
}
