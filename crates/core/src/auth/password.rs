//! Passwords: the policy a new password must meet, the self-describing stored-hash format, and a
//! constant-time comparison.
//!
//! The key derivation itself (PBKDF2-HMAC-SHA256) runs through `WebCrypto` in the wasm glue, which
//! is native in workerd and about 8× faster than PBKDF2 compiled to wasm. This module never sees a
//! KDF: it says which parameters to use, how they are stored, and how to compare the result. It
//! never logs, echoes or stores a password.
//!
//! Stored format: `pbkdf2-sha256$<iterations>$<salt>$<hash>`, salt and hash in standard base64
//! **without padding** (see [`super::b64`]; padded input is accepted when parsing). The glue derives
//! `hash.len() * 8` bits with the stored salt and iterations, so old hashes keep verifying after
//! the parameters change, and [`needs_rehash`] tells it when to re-hash on a successful login.

use subtle::ConstantTimeEq;

use super::b64;

/// Scheme tag at the start of every stored hash.
pub const SCHEME: &str = "pbkdf2-sha256";
/// Iterations for new hashes (~16 ms per login in workerd, measured in ARCHITECTURE.md).
pub const PBKDF2_ITERATIONS: u32 = 100_000;
/// Cloudflare's production runtime refuses PBKDF2 with more iterations per call (local workerd
/// does not), so a stored hash above this could never be verified in production.
pub const MAX_PBKDF2_ITERATIONS: u32 = 100_000;
/// Salt length in bytes for new hashes.
pub const SALT_LEN: usize = 16;
/// Derived-key length in bytes for new hashes (SHA-256 output size).
pub const HASH_LEN: usize = 32;
/// Fewest characters a password may have.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Most characters a password may have (bounds the KDF input).
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Salt and hash lengths a stored hash may have; anything else is treated as corrupt.
const STORED_SALT_LEN: std::ops::RangeInclusive<usize> = 8..=64;
const STORED_HASH_LEN: std::ops::RangeInclusive<usize> = 16..=64;

/// Checks a new password against the policy (docs/accounts.md): 8–128 characters (Unicode scalar
/// values, not bytes), at least one uppercase letter, one ASCII digit and one special character.
///
/// A special character is anything that is neither a letter, a digit nor whitespace (spaces are
/// allowed but do not count). Control characters (newlines, NUL, …) are refused: no keyboard types
/// them, so they are a client bug. The first rule broken is reported; messages never contain the
/// password. Passwords are hashed as the UTF-8 bytes given (no Unicode normalisation).
///
/// # Errors
/// A client-facing message naming the first rule broken.
pub fn validate_password(pw: &str) -> Result<(), &'static str> {
    let chars = pw.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("password must be at least 8 characters long");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("password must be at most 128 characters long");
    }
    if pw.chars().any(char::is_control) {
        return Err("password must not contain control characters");
    }
    if !pw.chars().any(char::is_uppercase) {
        return Err("password must contain an uppercase letter");
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        return Err("password must contain a digit (0-9)");
    }
    if !pw.chars().any(is_special) {
        return Err("password must contain a special character (not a letter, digit or space)");
    }
    Ok(())
}

fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

/// A stored password hash with its KDF parameters. `Debug` shows parameters only.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    /// A hash made now, with the current iteration count.
    #[must_use]
    pub fn with_current_params(salt: Vec<u8>, hash: Vec<u8>) -> Self {
        Self { iterations: PBKDF2_ITERATIONS, salt, hash }
    }

    /// Parses `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. `None` when the scheme is
    /// unknown, the iteration count is not a plain decimal in `1..=MAX_PBKDF2_ITERATIONS`, or the
    /// salt (8–64 bytes) or hash (16–64 bytes) is not valid base64 of a plausible length.
    #[must_use]
    pub fn parse(stored: &str) -> Option<Self> {
        let mut parts = stored.split('$');
        let (scheme, iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || scheme != SCHEME {
            return None;
        }
        // `u32::from_str` accepts a leading '+'; the format is digits only, no leading zeros.
        if iterations.is_empty()
            || !iterations.bytes().all(|b| b.is_ascii_digit())
            || iterations.starts_with('0')
        {
            return None;
        }
        let iterations: u32 = iterations.parse().ok()?;
        if iterations > MAX_PBKDF2_ITERATIONS {
            return None;
        }
        let salt = b64::decode(salt)?;
        let hash = b64::decode(hash)?;
        if !STORED_SALT_LEN.contains(&salt.len()) || !STORED_HASH_LEN.contains(&hash.len()) {
            return None;
        }
        Some(Self { iterations, salt, hash })
    }

    /// The stored form, base64 without padding.
    #[must_use]
    pub fn encode(&self) -> String {
        format!("{SCHEME}${}${}${}", self.iterations, b64::encode(&self.salt), b64::encode(&self.hash))
    }

    /// Whether `derived` (the glue's PBKDF2 output for the candidate password, with this hash's
    /// salt, iterations and length) equals the stored hash, compared in constant time.
    #[must_use]
    pub fn matches(&self, derived: &[u8]) -> bool {
        constant_time_eq(&self.hash, derived)
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash")
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .field("hash_len", &self.hash.len())
            .finish()
    }
}

/// Whether a stored hash is weaker than what new hashes get (fewer iterations, shorter salt or
/// hash); the glue then re-hashes the password after a successful login.
#[must_use]
pub fn needs_rehash(stored: &PasswordHash) -> bool {
    stored.iterations < PBKDF2_ITERATIONS || stored.salt.len() < SALT_LEN || stored.hash.len() < HASH_LEN
}

/// Compares two byte strings in constant time (`subtle`): the time taken depends only on the
/// lengths, never on where the first difference is. Different lengths are unequal.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    #[test]
    fn iterations_stay_within_the_cloudflare_production_limit() {
        // Checked while compiling (so a change cannot even build) and reported as a test.
        const {
            assert!(PBKDF2_ITERATIONS <= 100_000);
            assert!(MAX_PBKDF2_ITERATIONS <= 100_000);
            assert!(PBKDF2_ITERATIONS <= MAX_PBKDF2_ITERATIONS);
        };
        // A stored hash above the limit is refused, since production could never verify it.
        let over = PasswordHash { iterations: 100_001, ..sample() };
        assert_eq!(PasswordHash::parse(&over.encode()), None);
        let at = PasswordHash { iterations: 100_000, ..sample() };
        assert!(PasswordHash::parse(&at.encode()).is_some());
    }

    #[test]
    fn valid_passwords_are_accepted() {
        let cases: &[(&str, &str)] = &[
            ("Passw0rd!", "the classic shape"),
            ("Aa1!aaaa", "exactly 8 characters"),
            ("Correct Horse 9 Battery#", "spaces are allowed"),
            ("Ünïcödé9€", "non-ASCII uppercase letter and symbol"),
            ("Ab1-xxxx", "hyphen is special"),
        ];
        for (pw, why) in cases {
            assert_eq!(validate_password(pw), Ok(()), "{why}");
        }
        let longest = format!("A1!{}", "a".repeat(125));
        assert_eq!(longest.chars().count(), 128);
        assert_eq!(validate_password(&longest), Ok(()), "exactly 128 characters");
    }

    #[test]
    fn invalid_passwords_are_rejected_with_the_rule_broken() {
        let too_long = format!("A1!{}", "a".repeat(126));
        let cases: &[(&str, &str, &str)] = &[
            ("", "at least 8", "empty"),
            ("Aa1!aaa", "at least 8", "7 characters"),
            (&too_long, "at most 128", "129 characters"),
            ("password1!", "uppercase", "no uppercase letter"),
            ("Password!!", "digit", "no digit"),
            ("Password٣!", "digit", "a non-ASCII digit does not count"),
            ("Password1", "special", "no special character"),
            ("Pass word1", "special", "a space is not a special character"),
            ("Passw0rd!\n", "control", "control character"),
            ("Passw0rd!\0", "control", "NUL"),
        ];
        for (pw, expected, why) in cases {
            let message = validate_password(pw).expect_err(why);
            assert!(message.contains(expected), "{why}: got {message:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // 8 characters but 15 bytes: accepted.
        assert_eq!(validate_password("Éé1!ééé\u{e9}"), Ok(()));
        // 7 characters, 13 bytes: still too short.
        assert!(validate_password("Éé1!éé\u{e9}").is_err());
        // 128 characters but 250 bytes: accepted.
        let wide = format!("É1!{}", "é".repeat(125));
        assert!(wide.len() > 128);
        assert_eq!(validate_password(&wide), Ok(()));
    }

    #[test]
    fn messages_never_echo_the_password() {
        for pw in ["secretpw", "Secretpwxx", "Secretpw99", "short"] {
            let message = validate_password(pw).expect_err(pw);
            assert!(!message.contains(pw), "{message:?} echoes {pw:?}");
        }
    }

    fn sample() -> PasswordHash {
        PasswordHash::with_current_params((0..16).collect(), (100..132).collect())
    }

    #[test]
    fn hash_encodes_and_parses_back() {
        let hash = sample();
        let stored = hash.encode();
        assert_eq!(
            stored,
            "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw$ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"
        );
        assert_eq!(PasswordHash::parse(&stored), Some(hash));
    }

    #[test]
    fn parse_accepts_padded_base64() {
        let padded =
            "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw==$ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
        assert_eq!(PasswordHash::parse(padded), Some(sample()));
    }

    #[test]
    fn parse_rejects_malformed_stored_hashes() {
        let salt = "AAECAwQFBgcICQoLDA0ODw";
        let hash = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM";
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            (format!("pbkdf2-sha512$100000${salt}${hash}"), "other scheme"),
            (format!("PBKDF2-SHA256$100000${salt}${hash}"), "scheme is case-sensitive"),
            (format!("pbkdf2-sha256$100000${salt}"), "missing hash"),
            (format!("pbkdf2-sha256$100000${salt}${hash}$x"), "extra field"),
            (format!("pbkdf2-sha256$${salt}${hash}"), "empty iterations"),
            (format!("pbkdf2-sha256$0${salt}${hash}"), "zero iterations"),
            (format!("pbkdf2-sha256$0100${salt}${hash}"), "leading zero"),
            (format!("pbkdf2-sha256$+100${salt}${hash}"), "sign"),
            (format!("pbkdf2-sha256$-100${salt}${hash}"), "negative"),
            (format!("pbkdf2-sha256$1e5${salt}${hash}"), "not decimal"),
            (format!("pbkdf2-sha256$100001${salt}${hash}"), "above the production limit"),
            (format!("pbkdf2-sha256$99999999999${salt}${hash}"), "u32 overflow"),
            (format!("pbkdf2-sha256$100000$!!!!${hash}"), "salt not base64"),
            (format!("pbkdf2-sha256$100000${salt}$ZGVm-2hp"), "hash not standard base64"),
            (format!("pbkdf2-sha256$100000$AAECAw${hash}"), "salt too short"),
            (format!("pbkdf2-sha256$100000${salt}$AAECAwQFBgcI"), "hash too short"),
            (format!("pbkdf2-sha256$100000$${hash}"), "empty salt"),
        ];
        for (stored, why) in &cases {
            assert_eq!(PasswordHash::parse(stored), None, "{why}: {stored:?}");
        }
    }

    #[test]
    fn parse_keeps_older_parameters_and_flags_them_for_rehash() {
        let old = PasswordHash { iterations: 10_000, ..sample() };
        let parsed = PasswordHash::parse(&old.encode());
        assert_eq!(parsed.as_ref(), Some(&old));
        assert!(needs_rehash(&old));
    }

    #[test]
    fn needs_rehash_only_when_weaker_than_current() {
        assert!(!needs_rehash(&sample()));
        let short_salt = PasswordHash { salt: vec![1; 8], ..sample() };
        assert!(needs_rehash(&short_salt));
        let short_hash = PasswordHash { hash: vec![1; 16], ..sample() };
        assert!(needs_rehash(&short_hash));
    }

    #[test]
    fn debug_does_not_show_salt_or_hash() {
        let text = format!("{:?}", sample());
        assert!(text.contains("iterations: 100000"), "{text}");
        assert!(!text.contains("100, 101"), "{text}");
    }

    #[test]
    fn matches_compares_the_derived_key() {
        let hash = sample();
        let derived: Vec<u8> = (100..132).collect();
        assert!(hash.matches(&derived));
        let mut wrong = derived.clone();
        wrong[31] ^= 1;
        assert!(!hash.matches(&wrong));
        assert!(!hash.matches(&derived[..31]));
        assert!(!hash.matches(&[]));
    }

    #[test]
    fn constant_time_eq_cases() {
        let cases: &[(&[u8], &[u8], bool, &str)] = &[
            (b"", b"", true, "both empty"),
            (b"abc", b"abc", true, "equal"),
            (b"abc", b"abd", false, "last byte differs"),
            (b"xbc", b"abc", false, "first byte differs"),
            (b"abc", b"ab", false, "prefix"),
            (b"ab", b"abc", false, "longer second"),
            (b"", b"a", false, "empty vs one byte"),
            (b"ab\0", b"ab", false, "trailing zero byte is still a difference"),
            (b"\0", b"", false, "zero byte vs empty"),
        ];
        for (a, b, expected, why) in cases {
            assert_eq!(constant_time_eq(a, b), *expected, "{why}");
        }
    }
}
