//! HTTP `Range` requests (RFC 9110 §14) for an object of known size, as `GET /videos/{id}/stream`
//! answers them.
//!
//! Policy:
//! - Only the `bytes` unit (case-insensitive). Forms: `bytes=a-b`, `bytes=a-` and the suffix
//!   `bytes=-n` (the last `n` bytes); an end beyond the object is clamped to `size - 1`, a suffix
//!   longer than the object means the whole object.
//! - A header that is absent, uses another unit or is syntactically invalid (`bytes=5-2`,
//!   `bytes=abc`, `bytes=`, …) is **ignored**: the answer is the full object with 200, as RFC
//!   9110 §14.2 allows ("a server MAY ignore the Range header field").
//! - Several ranges (`bytes=0-99,200-299`) are answered with the **first satisfiable one** as a
//!   single-part 206 (no `multipart/byteranges`): RFC 9110 §15.3.7 lets a server send fewer ranges
//!   than asked, and media players ask for one range anyway. More than [`MAX_RANGES`] ranges are
//!   ignored as abusive (full answer).
//! - When no range overlaps the object (`bytes=500-` on 100 bytes, `bytes=-0`), the answer is 416
//!   with `Content-Range: bytes */SIZE`.
//! - A zero-length object is always sent whole (200, empty body) whatever the header says: every
//!   byte range of it is unsatisfiable, and a 416 for a request that merely added `Range` to
//!   everything helps nobody (Go's `http.ServeContent` makes the same choice).
//!
//! `If-Range` is not handled here: a caller that supports it passes `None` when the validator
//! does not match.

/// More ranges than this in one header are ignored (full answer).
pub const MAX_RANGES: usize = 64;

/// How to answer a request for an object of a known size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// 200 with the whole object.
    Full,
    /// 206 with `length` bytes from `offset`; `content_range` is the `Content-Range` value
    /// (`bytes FIRST-LAST/SIZE`).
    Partial { offset: u64, length: u64, content_range: String },
    /// 416 with `Content-Range: bytes */SIZE`.
    Unsatisfiable { content_range: String },
}

impl RangeOutcome {
    /// The HTTP status: 200, 206 or 416.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            RangeOutcome::Full => 200,
            RangeOutcome::Partial { .. } => 206,
            RangeOutcome::Unsatisfiable { .. } => 416,
        }
    }
}

/// One syntactically valid `range-spec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `a-b`
    Bounded(u64, u64),
    /// `a-`
    From(u64),
    /// `-n`
    Suffix(u64),
}

/// Decimal digits as a number, saturating at `u64::MAX` (a position that large is beyond any
/// object, which is what it means); `None` unless the text is one or more ASCII digits.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

fn spec(text: &str) -> Option<Spec> {
    let (first, last) = text.split_once('-')?;
    match (first.is_empty(), last.is_empty()) {
        (true, true) => None,
        (true, false) => Some(Spec::Suffix(number(last)?)),
        (false, true) => Some(Spec::From(number(first)?)),
        (false, false) => {
            let (first, last) = (number(first)?, number(last)?);
            (last >= first).then_some(Spec::Bounded(first, last))
        }
    }
}

/// The specs of a valid `bytes` header; `None` when the header is to be ignored.
fn specs(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut out = Vec::new();
    // List syntax (RFC 9110 §5.6.1): optional whitespace around commas, empty elements ignored.
    for element in set.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if out.len() == MAX_RANGES {
            return None;
        }
        out.push(spec(element)?);
    }
    (!out.is_empty()).then_some(out)
}

/// The first and last byte a spec selects in an object of `size` (> 0) bytes, if any.
fn resolve(spec: Spec, size: u64) -> Option<(u64, u64)> {
    let last_byte = size - 1;
    match spec {
        Spec::Bounded(first, last) => (first < size).then(|| (first, last.min(last_byte))),
        Spec::From(first) => (first < size).then_some((first, last_byte)),
        Spec::Suffix(0) => None,
        Spec::Suffix(n) => Some((size - n.min(size), last_byte)),
    }
}

/// How to answer a request carrying `range` (the `Range` header value, if any) for an object of
/// `size` bytes. See the module docs for the policy.
#[must_use]
pub fn parse_range(range: Option<&str>, size: u64) -> RangeOutcome {
    let Some(specs) = range.and_then(specs) else {
        return RangeOutcome::Full;
    };
    if size == 0 {
        return RangeOutcome::Full;
    }
    match specs.into_iter().find_map(|s| resolve(s, size)) {
        Some((first, last)) => RangeOutcome::Partial {
            offset: first,
            length: last - first + 1,
            content_range: format!("bytes {first}-{last}/{size}"),
        },
        None => RangeOutcome::Unsatisfiable { content_range: format!("bytes */{size}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(offset: u64, length: u64, content_range: &str) -> RangeOutcome {
        RangeOutcome::Partial { offset, length, content_range: content_range.to_owned() }
    }

    fn unsatisfiable(size: u64) -> RangeOutcome {
        RangeOutcome::Unsatisfiable { content_range: format!("bytes */{size}") }
    }

    #[test]
    fn the_range_table() {
        let full = RangeOutcome::Full;
        let cases: Vec<(Option<&str>, u64, RangeOutcome)> = vec![
            // No header.
            (None, 100, full.clone()),
            // a-b
            (Some("bytes=0-0"), 100, partial(0, 1, "bytes 0-0/100")),
            (Some("bytes=0-99"), 100, partial(0, 100, "bytes 0-99/100")),
            (Some("bytes=10-19"), 100, partial(10, 10, "bytes 10-19/100")),
            (Some("bytes=99-99"), 100, partial(99, 1, "bytes 99-99/100")),
            // End clamped to size - 1.
            (Some("bytes=90-1000"), 100, partial(90, 10, "bytes 90-99/100")),
            (Some("bytes=0-18446744073709551615"), 100, partial(0, 100, "bytes 0-99/100")),
            (Some("bytes=0-99999999999999999999999"), 100, partial(0, 100, "bytes 0-99/100")),
            // a-
            (Some("bytes=0-"), 100, partial(0, 100, "bytes 0-99/100")),
            (Some("bytes=40-"), 100, partial(40, 60, "bytes 40-99/100")),
            (Some("bytes=99-"), 100, partial(99, 1, "bytes 99-99/100")),
            // -n (suffix)
            (Some("bytes=-1"), 100, partial(99, 1, "bytes 99-99/100")),
            (Some("bytes=-10"), 100, partial(90, 10, "bytes 90-99/100")),
            (Some("bytes=-100"), 100, partial(0, 100, "bytes 0-99/100")),
            (Some("bytes=-500"), 100, partial(0, 100, "bytes 0-99/100")),
            // Start at or beyond the end: 416.
            (Some("bytes=100-"), 100, unsatisfiable(100)),
            (Some("bytes=100-200"), 100, unsatisfiable(100)),
            (Some("bytes=5000-"), 100, unsatisfiable(100)),
            (Some("bytes=99999999999999999999999-"), 100, unsatisfiable(100)),
            (Some("bytes=-0"), 100, unsatisfiable(100)),
            // Several ranges: the first satisfiable one.
            (Some("bytes=0-9,20-29"), 100, partial(0, 10, "bytes 0-9/100")),
            (Some("bytes=500-600, 20-29"), 100, partial(20, 10, "bytes 20-29/100")),
            (Some("bytes=500-,600-"), 100, unsatisfiable(100)),
            (Some("bytes= 0-9 ,, "), 100, partial(0, 10, "bytes 0-9/100")),
            // Unit spelling and whitespace.
            (Some("Bytes=0-9"), 100, partial(0, 10, "bytes 0-9/100")),
            (Some("  bytes=0-9  "), 100, partial(0, 10, "bytes 0-9/100")),
            // Malformed or other units: ignored, full answer.
            (Some(""), 100, full.clone()),
            (Some("bytes"), 100, full.clone()),
            (Some("bytes="), 100, full.clone()),
            (Some("bytes=,"), 100, full.clone()),
            (Some("bytes=-"), 100, full.clone()),
            (Some("bytes=abc"), 100, full.clone()),
            (Some("bytes=5-2"), 100, full.clone()),
            (Some("bytes=1-2-3"), 100, full.clone()),
            (Some("bytes=+1-2"), 100, full.clone()),
            (Some("bytes=1 -2"), 100, full.clone()),
            (Some("bytes=0x10-"), 100, full.clone()),
            (Some("bytes=0-9,oops"), 100, full.clone()),
            (Some("items=0-9"), 100, full.clone()),
            (Some("0-9"), 100, full.clone()),
            // Zero-length object: always the (empty) whole.
            (Some("bytes=0-"), 0, full.clone()),
            (Some("bytes=-5"), 0, full.clone()),
            (Some("bytes=0-0"), 0, full.clone()),
            (None, 0, full.clone()),
            // One-byte object.
            (Some("bytes=0-"), 1, partial(0, 1, "bytes 0-0/1")),
            (Some("bytes=1-"), 1, unsatisfiable(1)),
            (Some("bytes=-5"), 1, partial(0, 1, "bytes 0-0/1")),
            // Large objects: no overflow.
            (
                Some("bytes=-1"),
                u64::MAX,
                partial(u64::MAX - 1, 1, &format!("bytes {0}-{0}/{1}", u64::MAX - 1, u64::MAX)),
            ),
        ];
        for (header, size, expected) in cases {
            assert_eq!(parse_range(header, size), expected, "{header:?} on {size} bytes");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(parse_range(None, 10).status(), 200);
        assert_eq!(parse_range(Some("bytes=0-1"), 10).status(), 206);
        assert_eq!(parse_range(Some("bytes=10-"), 10).status(), 416);
    }

    #[test]
    fn too_many_ranges_are_ignored() {
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES].join(","));
        assert_eq!(parse_range(Some(&many), 10).status(), 206);
        let too_many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert_eq!(parse_range(Some(&too_many), 10), RangeOutcome::Full);
    }

    #[test]
    fn every_partial_answer_lies_within_the_object() {
        let headers = ["bytes=0-", "bytes=3-7", "bytes=-3", "bytes=6-100", "bytes=-100", "bytes=9-9"];
        for size in 1..=12u64 {
            for h in headers {
                if let RangeOutcome::Partial { offset, length, content_range } = parse_range(Some(h), size) {
                    assert!(length >= 1 && offset + length <= size, "{h} on {size}");
                    assert_eq!(content_range, format!("bytes {}-{}/{size}", offset, offset + length - 1));
                }
            }
        }
    }
}
