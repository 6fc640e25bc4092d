//! Base64 (RFC 4648) over the `base64ct` crate, with the two conventions this service uses:
//!
//! - [`encode`]/[`decode`]: the standard alphabet (§4, `A–Z a–z 0–9 + /`), for the stored
//!   password-hash format;
//! - [`encode_url`]/[`decode_url`]: the URL-safe alphabet (§5, `-` and `_` for `+` and `/`), for
//!   values that travel in URLs (list cursors, and JWT parts in tests).
//!
//! Encoding writes **no padding**; decoding accepts the string with or without its `=` padding but
//! is otherwise strict: characters outside the alphabet, impossible lengths and non-zero leftover
//! bits are refused, so every accepted string has exactly one byte sequence (and re-encodes to
//! itself, minus padding). JWTs themselves are encoded and decoded by jwt-compact.

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};

/// Encodes `bytes` as standard base64 without padding.
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    Base64Unpadded::encode_string(bytes)
}

/// Decodes standard base64, padded or not. `None` for anything that is not canonical base64.
#[must_use]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    decode_either::<Base64Unpadded, Base64>(text)
}

/// Encodes `bytes` as URL-safe base64 without padding.
#[must_use]
pub fn encode_url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes URL-safe base64, padded or not. `None` for anything that is not canonical base64url.
#[must_use]
pub fn decode_url(text: &str) -> Option<Vec<u8>> {
    decode_either::<Base64UrlUnpadded, Base64Url>(text)
}

/// The unpadded form when `text` has no `=`, else the padded form (which then must complete the
/// last group of four exactly); both refuse non-canonical trailing bits.
fn decode_either<Unpadded: Encoding, Padded: Encoding>(text: &str) -> Option<Vec<u8>> {
    if text.contains('=') { Padded::decode_vec(text) } else { Unpadded::decode_vec(text) }.ok()
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    /// RFC 4648 §10 test vectors, padding removed.
    const VECTORS: &[(&str, &str)] = &[
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn encodes_rfc4648_vectors_without_padding() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), *encoded, "encoding {plain:?}");
        }
    }

    #[test]
    fn decodes_rfc4648_vectors_with_and_without_padding() {
        for (plain, encoded) in VECTORS {
            assert_eq!(decode(encoded).as_deref(), Some(plain.as_bytes()), "{encoded:?}");
            let padded = format!("{encoded}{}", "=".repeat((4 - encoded.len() % 4) % 4));
            assert_eq!(decode(&padded).as_deref(), Some(plain.as_bytes()), "{padded:?}");
        }
    }

    #[test]
    fn uses_the_standard_alphabet_including_plus_and_slash() {
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(decode("+/+/"), Some(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn round_trips_every_length_and_byte_value() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let slice = &data[..len];
            assert_eq!(decode(&encode(slice)).as_deref(), Some(slice), "length {len}");
        }
    }

    #[test]
    fn rejects_non_canonical_or_malformed_input() {
        let cases: &[(&str, &str)] = &[
            ("Z", "a single leftover character cannot encode a byte"),
            ("Zm9vY", "length 5 leaves one character"),
            ("Zh", "non-zero leftover bits (canonical form is Zg)"),
            ("Zm9=", "non-zero leftover bits with padding"),
            ("Zg=", "padding must complete a group of four"),
            ("Zg===", "three padding characters"),
            ("Z===", "padding after a single character"),
            ("====", "padding only"),
            ("Zm9v=", "padding after a complete group"),
            ("Zm=9v", "padding in the middle"),
            ("Zm9-", "base64url character"),
            ("Zm9_", "base64url character"),
            ("Zm 9v", "space"),
            ("Zm9v\n", "newline"),
            ("Zm9é", "non-ASCII"),
        ];
        for (input, why) in cases {
            assert_eq!(decode(input), None, "{input:?} should be rejected: {why}");
        }
    }

    #[test]
    fn the_url_safe_form_swaps_plus_and_slash_for_minus_and_underscore() {
        assert_eq!(encode_url(&[0xfb, 0xff, 0xbf]), "-_-_");
        assert_eq!(decode_url("-_-_"), Some(vec![0xfb, 0xff, 0xbf]));
        assert_eq!(decode_url("+/+/"), None, "standard characters are not base64url");
        for (plain, encoded) in VECTORS {
            assert_eq!(encode_url(plain.as_bytes()), *encoded, "encoding {plain:?}");
            assert_eq!(decode_url(encoded).as_deref(), Some(plain.as_bytes()), "{encoded:?}");
            let padded = format!("{encoded}{}", "=".repeat((4 - encoded.len() % 4) % 4));
            assert_eq!(decode_url(&padded).as_deref(), Some(plain.as_bytes()), "{padded:?}");
        }
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let slice = &data[..len];
            assert_eq!(encode_url(slice), encode(slice).replace('+', "-").replace('/', "_"), "length {len}");
            assert_eq!(decode_url(&encode_url(slice)).as_deref(), Some(slice), "length {len}");
        }
    }
}
