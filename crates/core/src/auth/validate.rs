//! Account fields parsed at the edge: `Email` (a newtype that is valid and lower-cased forever
//! after), full names and phone numbers.
//!
//! Errors are short `&'static str` messages meant for the `details[].message` of a
//! `VALIDATION_ERROR`; they never repeat the input (emails and names must not reach logs).

/// Longest email address (RFC 5321 path limit minus the angle brackets).
pub const EMAIL_MAX_LEN: usize = 254;
/// Longest local part (before the `@`), RFC 5321.
pub const EMAIL_LOCAL_MAX_LEN: usize = 64;
/// Longest DNS label.
const DOMAIN_LABEL_MAX_LEN: usize = 63;

/// A syntactically valid email address, trimmed and lower-cased (the stored, unique form).
///
/// Accepted: ASCII only (international domains in their punycode `xn--` form), a dot-atom local
/// part of RFC 5322 `atext` characters, and a domain of at least two DNS labels whose top-level
/// label is alphabetic or punycode. Quoted local parts and IP-literal domains are refused: no real
/// candidate needs them and they complicate uniqueness. `Debug` hides the address so it cannot leak
/// into logs by accident; use [`Email::as_str`] where the address is really needed.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims, validates and lower-cases an email address.
    ///
    /// # Errors
    /// A client-facing message saying what is wrong (never the address).
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let text = input.trim();
        if text.is_empty() {
            return Err("email is required");
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("email must not contain spaces or control characters");
        }
        if !text.is_ascii() {
            return Err("email must use ASCII characters only (use the xn-- form for international domains)");
        }
        // ASCII from here on, so byte lengths are character counts.
        if text.len() > EMAIL_MAX_LEN {
            return Err("email must be at most 254 characters long");
        }
        let (local, domain) = match text.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => return Err("email must contain exactly one '@'"),
        };
        validate_local_part(local)?;
        validate_domain(domain)?;
        Ok(Email(text.to_ascii_lowercase()))
    }

    /// The normalised address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised address, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

fn validate_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("email must have a name before the '@'");
    }
    if local.len() > EMAIL_LOCAL_MAX_LEN {
        return Err("the part of the email before the '@' must be at most 64 characters long");
    }
    if !local.bytes().all(|b| is_atext(b) || b == b'.') {
        return Err("the part of the email before the '@' contains a character that is not allowed");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part of the email before the '@' must not start or end with a dot or contain two dots in a row");
    }
    Ok(())
}

/// RFC 5322 `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn validate_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("email must have a domain after the '@'");
    }
    if !domain.contains('.') {
        return Err("email domain must contain a dot");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        let sane = !label.is_empty()
            && label.len() <= DOMAIN_LABEL_MAX_LEN
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !sane {
            return Err("email domain is not valid");
        }
    }
    // A top-level domain is alphabetic ("com") or punycode ("xn--p1ai"); all-numeric means an IP.
    let tld = labels.last().copied().unwrap_or_default();
    let tld_ok = tld.len() >= 2
        && (tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.to_ascii_lowercase().starts_with("xn--"));
    if !tld_ok {
        return Err("email domain is not valid");
    }
    Ok(())
}

/// Fewest characters in a full name (after trimming).
pub const FULL_NAME_MIN_CHARS: usize = 2;
/// Most characters in a full name (after trimming).
pub const FULL_NAME_MAX_CHARS: usize = 255;

/// Validates a full name: 2–255 characters (not bytes) after trimming, no control characters.
/// Returns the trimmed name, which is what should be stored.
///
/// # Errors
/// A client-facing message naming the rule broken.
pub fn validate_full_name(input: &str) -> Result<&str, &'static str> {
    let name = input.trim();
    if name.chars().any(char::is_control) {
        return Err("full_name must not contain control characters");
    }
    let chars = name.chars().count();
    if chars < FULL_NAME_MIN_CHARS {
        return Err("full_name must be at least 2 characters long");
    }
    if chars > FULL_NAME_MAX_CHARS {
        return Err("full_name must be at most 255 characters long");
    }
    Ok(name)
}

/// Fewest characters in a phone number (after trimming), and fewest digits.
pub const PHONE_MIN: usize = 7;
/// Most characters in a phone number (after trimming).
pub const PHONE_MAX_CHARS: usize = 32;

/// Validates a phone number: 7–32 characters after trimming, made of digits, spaces and
/// `+ - ( ) .`, with at least 7 digits and a `+` only as the first character. Returns the trimmed
/// number as written (formatting is kept; numbers are for humans to read, not to dial).
/// The field itself is optional: see [`validate_optional_phone`].
///
/// # Errors
/// A client-facing message naming the rule broken.
pub fn validate_phone(input: &str) -> Result<&str, &'static str> {
    let phone = input.trim();
    let chars = phone.chars().count();
    if chars < PHONE_MIN {
        return Err("phone must be at least 7 characters long");
    }
    if chars > PHONE_MAX_CHARS {
        return Err("phone must be at most 32 characters long");
    }
    if !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.')) {
        return Err("phone may contain only digits, spaces and + - ( ) .");
    }
    if phone.chars().skip(1).any(|c| c == '+') {
        return Err("phone may contain '+' only at the start");
    }
    if phone.chars().filter(char::is_ascii_digit).count() < PHONE_MIN {
        return Err("phone must contain at least 7 digits");
    }
    Ok(phone)
}

/// The optional `phone` field: absent or blank means no phone; anything else must be valid.
///
/// # Errors
/// As [`validate_phone`].
pub fn validate_optional_phone(input: Option<&str>) -> Result<Option<&str>, &'static str> {
    match input {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => validate_phone(text).map(Some),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    #[test]
    fn valid_emails_are_trimmed_and_lower_cased() {
        let cases: &[(&str, &str, &str)] = &[
            ("user@example.com", "user@example.com", "plain"),
            ("  User@Example.COM \n", "user@example.com", "trimmed and lower-cased"),
            ("first.last@sub.example.co.uk", "first.last@sub.example.co.uk", "dots and subdomains"),
            ("a+tag@example.io", "a+tag@example.io", "plus addressing"),
            ("o'brien@example.ie", "o'brien@example.ie", "apostrophe"),
            ("x_y-z!#$%&*/=?^`{|}~@example.org", "x_y-z!#$%&*/=?^`{|}~@example.org", "all atext"),
            ("u@xn--80ak6aa92e.com", "u@xn--80ak6aa92e.com", "punycode label"),
            ("u@example.xn--p1ai", "u@example.xn--p1ai", "punycode top-level domain"),
            ("u@my-host.example.com", "u@my-host.example.com", "hyphen inside a label"),
            ("u@123.example.com", "u@123.example.com", "numeric label that is not the TLD"),
        ];
        for (input, expected, why) in cases {
            let email = Email::parse(input).unwrap_or_else(|e| panic!("{why}: rejected with {e}"));
            assert_eq!(email.as_str(), *expected, "{why}");
        }
    }

    #[test]
    fn email_length_limits() {
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@example.com")).is_ok(), "64-char local part");
        let local65 = "a".repeat(65);
        assert!(Email::parse(&format!("{local65}@example.com")).is_err(), "65-char local part");
        // 64 + 1 + 189 = 254 characters: allowed; one more is not.
        let domain189 = format!("{}.{}.{}.com", "b".repeat(60), "c".repeat(60), "d".repeat(63));
        assert_eq!(domain189.len(), 189);
        let longest = format!("{local64}@{domain189}");
        assert_eq!(longest.len(), 254);
        assert!(Email::parse(&longest).is_ok(), "254 characters");
        let too_long = format!("{local64}@e{domain189}");
        assert!(Email::parse(&too_long).is_err(), "255 characters");
        let long_label = format!("u@{}.com", "x".repeat(64));
        assert!(Email::parse(&long_label).is_err(), "64-char label");
    }

    #[test]
    fn invalid_emails_are_rejected() {
        let cases: &[(&str, &str, &str)] = &[
            ("", "required", "empty"),
            ("   ", "required", "blank"),
            ("userexample.com", "exactly one '@'", "no @"),
            ("a@b@example.com", "exactly one '@'", "two @"),
            ("@example.com", "before the '@'", "empty local part"),
            ("user@", "domain", "empty domain"),
            ("user@localhost", "dot", "domain without a dot"),
            ("us er@example.com", "spaces", "inner space"),
            ("user@exa mple.com", "spaces", "space in domain"),
            ("user\t@example.com", "spaces", "tab"),
            ("user\u{0}@example.com", "control", "NUL"),
            ("üser@example.com", "ASCII", "non-ASCII local part"),
            ("user@exämple.com", "ASCII", "non-ASCII domain"),
            (".user@example.com", "dot", "leading dot in local part"),
            ("user.@example.com", "dot", "trailing dot in local part"),
            ("us..er@example.com", "dot", "consecutive dots in local part"),
            ("\"quoted\"@example.com", "not allowed", "quoted local part"),
            ("us(er)@example.com", "not allowed", "parentheses"),
            ("user@example..com", "not valid", "empty label"),
            ("user@.example.com", "not valid", "leading dot in domain"),
            ("user@example.com.", "not valid", "trailing dot in domain"),
            ("user@-example.com", "not valid", "label starting with a hyphen"),
            ("user@example-.com", "not valid", "label ending with a hyphen"),
            ("user@exa_mple.com", "not valid", "underscore in domain"),
            ("user@example.c", "not valid", "one-letter TLD"),
            ("user@127.0.0.1", "not valid", "IP address"),
            ("user@[127.0.0.1]", "not valid", "IP literal"),
            ("user@example.c0m", "not valid", "digit in TLD"),
        ];
        for (input, expected, why) in cases {
            match Email::parse(input) {
                Ok(_) => panic!("{why}: {input:?} was accepted"),
                Err(message) => assert!(message.contains(expected), "{why}: got {message:?}"),
            }
        }
    }

    #[test]
    fn email_errors_and_debug_never_show_the_address() {
        for input in ["secret.person@", "secret person@example.com"] {
            let message = Email::parse(input).expect_err(input);
            assert!(!message.contains("secret"), "{message}");
        }
        let email = Email::parse("secret@example.com").expect("valid");
        assert_eq!(format!("{email:?}"), "Email(<redacted>)");
    }

    #[test]
    fn email_serde_is_the_normalised_string_and_validates_on_input() {
        let email: Email = serde_json::from_str("\" A@B.CO \"").expect("valid email");
        assert_eq!(email.as_str(), "a@b.co");
        assert_eq!(serde_json::to_string(&email).expect("serialises"), "\"a@b.co\"");
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn full_names() {
        let max = "é".repeat(255);
        let too_long = "é".repeat(256);
        let ok: &[(&str, &str, &str)] = &[
            ("Jo", "Jo", "two characters"),
            ("  Ada Lovelace  ", "Ada Lovelace", "trimmed"),
            ("Zoë O'Connor-Smith", "Zoë O'Connor-Smith", "accents and punctuation"),
            ("李雷", "李雷", "two CJK characters (6 bytes)"),
            (&max, &max, "255 two-byte characters"),
        ];
        for (input, expected, why) in ok {
            assert_eq!(validate_full_name(input), Ok(*expected), "{why}");
        }
        let bad: &[(&str, &str, &str)] = &[
            ("", "at least 2", "empty"),
            ("J", "at least 2", "one character"),
            ("  J  ", "at least 2", "one character after trimming"),
            ("é", "at least 2", "one character of two bytes"),
            (&too_long, "at most 255", "256 characters"),
            ("Ada\nLovelace", "control", "newline inside"),
            ("Ada\u{7}", "control", "bell"),
        ];
        for (input, expected, why) in bad {
            let message = validate_full_name(input).expect_err(why);
            assert!(message.contains(expected), "{why}: got {message:?}");
        }
    }

    #[test]
    fn phones() {
        let ok: &[(&str, &str, &str)] = &[
            ("5551234", "5551234", "seven digits"),
            ("+1 (555) 123-4567", "+1 (555) 123-4567", "formatted international"),
            (" 020 7946 0958 ", "020 7946 0958", "trimmed"),
            ("555.123.4567", "555.123.4567", "dots"),
            ("+44-20-7946-0958", "+44-20-7946-0958", "hyphens"),
            ("+1 234 567 890 123 456 789 01234", "+1 234 567 890 123 456 789 01234", "32 characters"),
        ];
        for (input, expected, why) in ok {
            assert_eq!(validate_phone(input), Ok(*expected), "{why}");
        }
        let bad: &[(&str, &str, &str)] = &[
            ("", "at least 7", "empty"),
            ("123456", "at least 7", "six characters"),
            ("+1 234 567 890 123 456 789 012345", "at most 32", "33 characters"),
            ("555-12-ab", "only digits", "letters"),
            ("555 1234 x12", "only digits", "extension letter"),
            ("555/123/4567", "only digits", "slash"),
            ("1+5551234", "'+' only at the start", "plus in the middle"),
            ("++15551234", "'+' only at the start", "double plus"),
            ("(55) 12-34", "at least 7 digits", "six digits"),
            ("+-()..  -", "at least 7 digits", "no digits"),
            ("５５５１２３４", "only digits", "full-width digits"),
        ];
        for (input, expected, why) in bad {
            let message = validate_phone(input).expect_err(why);
            assert!(message.contains(expected), "{why}: got {message:?}");
        }
    }

    #[test]
    fn optional_phone() {
        assert_eq!(validate_optional_phone(None), Ok(None));
        assert_eq!(validate_optional_phone(Some("   ")), Ok(None));
        assert_eq!(validate_optional_phone(Some("")), Ok(None));
        assert_eq!(validate_optional_phone(Some(" 5551234 ")), Ok(Some("5551234")));
        assert!(validate_optional_phone(Some("12")).is_err());
    }
}
