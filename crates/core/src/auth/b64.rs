//! Standard base64 (RFC 4648 §4 alphabet `A–Z a–z 0–9 + /`) for the stored password-hash format.
//!
//! Encoding writes **no padding**; decoding accepts the string with or without its `=` padding but
//! is otherwise strict: characters outside the alphabet, impossible lengths and non-zero leftover
//! bits are refused, so every accepted string has exactly one byte sequence (and re-encodes to
//! itself, minus padding). Not for JWTs: those use base64url and are handled by jwt-compact.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes` as standard base64 without padding.
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let triple = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        // A chunk of n bytes yields n + 1 significant characters.
        for i in 0..=chunk.len() {
            let index = (triple >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Decodes standard base64, padded or not. `None` for anything that is not canonical base64.
#[must_use]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let unpadded = strip_padding(bytes)?;
    if unpadded.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    for chunk in unpadded.chunks(4) {
        let mut acc: u32 = 0;
        for &c in chunk {
            acc = (acc << 6) | u32::from(value_of(c)?);
        }
        // Left-align the chunk's bits in 24 bits, then take the whole bytes.
        acc <<= 6 * (4 - chunk.len());
        let whole_bytes = chunk.len() * 6 / 8;
        let leftover_bits = chunk.len() * 6 - whole_bytes * 8;
        if leftover_bits > 0 {
            let mask = (1u32 << leftover_bits) - 1;
            if (acc >> (24 - whole_bytes * 8 - leftover_bits)) & mask != 0 {
                return None;
            }
        }
        for i in 0..whole_bytes {
            out.push(((acc >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Removes valid trailing padding: padding only completes the last 4-character group.
fn strip_padding(bytes: &[u8]) -> Option<&[u8]> {
    let pad = bytes.iter().rev().take_while(|&&c| c == b'=').count();
    if pad == 0 {
        return Some(bytes);
    }
    if pad > 2 || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let body = &bytes[..bytes.len() - pad];
    // "xx==" or "xxx=" only: the unpadded body must leave 2 or 3 characters in its last group.
    if body.len() % 4 + pad != 4 {
        return None;
    }
    Some(body)
}

fn value_of(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
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
}
