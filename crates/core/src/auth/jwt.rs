//! Access tokens: HS256 JWTs (jwt-compact) with the claims `sub, role, jti, iat, exp`.
//!
//! Pure: the current time is always passed in as epoch milliseconds (on wasm there is no system
//! clock, and tests need a fixed one), and jwt-compact gets it through a [`TimeOptions`] closure.
//! `iat` and `exp` are whole seconds, as RFC 7519 says; `iat` is `now` rounded down and
//! `exp = iat + ttl`, so `expires_at_ms` is exactly what the token carries.
//!
//! Verification accepts only `alg: HS256` signed with our key (so `none`, `RS256` and friends are
//! refused before any claim is trusted), checks the signature before looking at the time, and
//! maps every failure to one of two answers: [`TokenError::Expired`] for a genuine token past its
//! `exp`, [`TokenError::Invalid`] for everything else. Causes are not exposed: callers answer
//! `TOKEN_EXPIRED` or `UNAUTHORIZED` and nothing more.
//!
//! Leeway is **zero** ([`LEEWAY_SECONDS`]): tokens are issued and checked by the same service on
//! Cloudflare's synchronised clocks, so there is no skew to absorb, and a revoked `jti` then only
//! needs to be remembered until its `exp` (a leeway would let a revoked token work again after its
//! deny-list row was purged).

use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::{
    alg::{Hs256, Hs256Key},
    AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken, ValidationError,
};
use serde::{Deserialize, Serialize};

use crate::domain::enums::UserRole;

/// Shortest accepted `JWT_SECRET`, in bytes (docs/accounts.md; 256 bits for HMAC-SHA256).
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock leeway when checking `exp` (and `nbf`/`iat`); see the module documentation.
pub const LEEWAY_SECONDS: i64 = 0;
/// Longest token string looked at; ours are ~250 bytes, anything huge is refused unparsed.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// The auth configuration cannot be used; the service must not start auth with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthConfigError {
    /// `JWT_SECRET` is shorter than [`MIN_SECRET_BYTES`] (lengths only, never the secret).
    SecretTooShort { min_bytes: usize, actual_bytes: usize },
}

impl std::fmt::Display for AuthConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthConfigError::SecretTooShort { min_bytes, actual_bytes } => {
                write!(f, "JWT_SECRET must be at least {min_bytes} bytes long (it has {actual_bytes})")
            }
        }
    }
}

impl std::error::Error for AuthConfigError {}

/// A token could not be issued (a caller bug, not a client error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueError {
    /// `user_id` or `jti` is empty.
    EmptyClaim,
    /// A token that expires immediately is useless.
    ZeroTtl,
    /// `now_ms` or `now + ttl` is outside the representable range.
    TimeOutOfRange,
    /// jwt-compact failed to serialise the token.
    Encoding,
}

impl std::fmt::Display for IssueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IssueError::EmptyClaim => "user id and jti must not be empty",
            IssueError::ZeroTtl => "token lifetime must be at least one minute",
            IssueError::TimeOutOfRange => "token times are out of range",
            IssueError::Encoding => "token could not be encoded",
        })
    }
}

impl std::error::Error for IssueError {}

/// Why a presented token is refused. Deliberately coarse: see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Genuine, but past its `exp`.
    Expired,
    /// Anything else: malformed, wrong algorithm, bad signature, missing or unknown claims.
    Invalid,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Expired => "token has expired",
            TokenError::Invalid => "token is invalid",
        })
    }
}

impl std::error::Error for TokenError {}

/// A freshly signed token. `Debug` hides the token itself (it is a bearer credential).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub jti: String,
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"<redacted>")
            .field("jti", &self.jti)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// The claims of a verified token, times in epoch milliseconds (whole seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub sub: String,
    pub role: UserRole,
    pub jti: String,
    pub iat_ms: i64,
    pub exp_ms: i64,
    /// The sign-in session the token belongs to (`sid`; docs/accounts.md#sessions). Tokens
    /// issued before sessions existed have none.
    pub sid: Option<String>,
}

/// Our claims besides the standard time claims. `role` stays a string here so that an unknown
/// role is our decision ([`TokenError::Invalid`]) rather than a serde detail.
#[derive(Serialize, Deserialize)]
struct CustomClaims {
    sub: String,
    role: String,
    jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

/// The HS256 key built from `JWT_SECRET`. `Debug` never shows it.
#[derive(Clone)]
pub struct JwtKeys {
    key: Hs256Key,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(<redacted>)")
    }
}

impl JwtKeys {
    /// Builds the key.
    ///
    /// # Errors
    /// [`AuthConfigError::SecretTooShort`] for secrets shorter than [`MIN_SECRET_BYTES`].
    pub fn new(secret: &[u8]) -> Result<JwtKeys, AuthConfigError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AuthConfigError::SecretTooShort {
                min_bytes: MIN_SECRET_BYTES,
                actual_bytes: secret.len(),
            });
        }
        Ok(JwtKeys { key: Hs256Key::new(secret) })
    }

    /// Signs a token for `user_id` with `role`, valid for `ttl_minutes` from `now_ms`.
    ///
    /// # Errors
    /// [`IssueError`] for an empty `user_id`/`jti`, a zero TTL or times out of range.
    pub fn issue(
        &self,
        user_id: &str,
        role: UserRole,
        now_ms: i64,
        ttl_minutes: u32,
        jti: &str,
    ) -> Result<IssuedToken, IssueError> {
        self.issue_in_session(user_id, role, now_ms, ttl_minutes, jti, None)
    }

    /// As [`JwtKeys::issue`], in sign-in session `sid` (the `sid` claim).
    ///
    /// # Errors
    /// As [`JwtKeys::issue`]; an empty `sid` is [`IssueError::EmptyClaim`].
    pub fn issue_in_session(
        &self,
        user_id: &str,
        role: UserRole,
        now_ms: i64,
        ttl_minutes: u32,
        jti: &str,
        sid: Option<&str>,
    ) -> Result<IssuedToken, IssueError> {
        if user_id.is_empty() || jti.is_empty() || sid.is_some_and(str::is_empty) {
            return Err(IssueError::EmptyClaim);
        }
        if ttl_minutes == 0 {
            return Err(IssueError::ZeroTtl);
        }
        let issued_at =
            DateTime::<Utc>::from_timestamp(now_ms.div_euclid(1000), 0).ok_or(IssueError::TimeOutOfRange)?;
        let options = TimeOptions::new(leeway(), move || issued_at);
        let lifetime = TimeDelta::try_minutes(i64::from(ttl_minutes)).ok_or(IssueError::TimeOutOfRange)?;
        // `set_duration_and_issuance` adds with `+`, which panics on overflow: check first.
        let expires_at = issued_at.checked_add_signed(lifetime).ok_or(IssueError::TimeOutOfRange)?;
        let claims = Claims::new(CustomClaims {
            sub: user_id.to_owned(),
            role: role.as_str().to_owned(),
            jti: jti.to_owned(),
            sid: sid.map(str::to_owned),
        })
        .set_duration_and_issuance(&options, lifetime);
        let header = Header::empty().with_token_type("JWT");
        let token = Hs256.token(&header, &claims, &self.key).map_err(|_| IssueError::Encoding)?;
        Ok(IssuedToken { token, jti: jti.to_owned(), expires_at_ms: expires_at.timestamp_millis() })
    }

    /// Verifies a token at `now_ms`. Signature and algorithm first, then time, then claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] for a genuine token past its `exp`; [`TokenError::Invalid`] for
    /// anything else.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<TokenClaims, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let now = DateTime::<Utc>::from_timestamp_millis(now_ms).ok_or(TokenError::Invalid)?;
        let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Invalid)?;
        // Checks `alg == "HS256"` exactly, the signature length, then the HMAC.
        let verified = Hs256
            .validator::<CustomClaims>(&self.key)
            .validate(&untrusted)
            .map_err(|_| TokenError::Invalid)?;
        let claims = verified.claims();

        let options = TimeOptions::new(leeway(), move || now);
        claims.validate_expiration(&options).map_err(|error| match error {
            ValidationError::Expired => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        if claims.not_before.is_some() {
            claims.validate_maturity(&options).map_err(|_| TokenError::Invalid)?;
        }
        let expiration = claims.expiration.ok_or(TokenError::Invalid)?;
        let issued_at = claims.issued_at.ok_or(TokenError::Invalid)?;
        let latest_issue = now.checked_add_signed(leeway()).unwrap_or(now);
        if issued_at > latest_issue || expiration <= issued_at {
            return Err(TokenError::Invalid);
        }

        let custom = &claims.custom;
        let role = UserRole::parse(&custom.role).ok_or(TokenError::Invalid)?;
        if custom.sub.is_empty() || custom.jti.is_empty() || custom.sid.as_deref() == Some("") {
            return Err(TokenError::Invalid);
        }
        Ok(TokenClaims {
            sub: custom.sub.clone(),
            role,
            jti: custom.jti.clone(),
            iat_ms: issued_at.timestamp_millis(),
            exp_ms: expiration.timestamp_millis(),
            sid: custom.sid.clone(),
        })
    }
}

fn leeway() -> TimeDelta {
    TimeDelta::try_seconds(LEEWAY_SECONDS).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;
    use crate::auth::b64;
    use jwt_compact::Renamed;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OTHER_SECRET: &[u8] = b"fedcba9876543210fedcba9876543210";
    /// 2026-11-22T01:02:03.456Z
    const NOW_MS: i64 = 1_795_309_323_456;
    const USER: &str = "6f1c2e4a-8b7d-4c3e-9a1f-2b3c4d5e6f70";
    const JTI: &str = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

    fn keys() -> JwtKeys {
        JwtKeys::new(SECRET).expect("32-byte secret")
    }

    fn issue(now_ms: i64, ttl_minutes: u32) -> IssuedToken {
        keys().issue(USER, UserRole::Recruiter, now_ms, ttl_minutes, JTI).expect("issues")
    }

    fn b64url_encode(bytes: &[u8]) -> String {
        b64::encode_url(bytes)
    }

    fn b64url_decode(text: &str) -> Vec<u8> {
        b64::decode_url(text).expect("base64url")
    }

    fn parts(token: &str) -> (String, String, String) {
        let mut it = token.split('.');
        let (h, p, s) = (it.next(), it.next(), it.next());
        assert!(it.next().is_none(), "three parts");
        (h.expect("header").to_owned(), p.expect("payload").to_owned(), s.expect("signature").to_owned())
    }

    /// Signs arbitrary JSON claims with our secret, bypassing `issue`'s checks.
    fn sign_custom(claims: serde_json::Value) -> String {
        let claims = Claims::new(claims);
        Hs256.token(&Header::empty(), &claims, &Hs256Key::new(SECRET)).expect("signs")
    }

    fn standard_claims() -> serde_json::Value {
        serde_json::json!({
            "sub": USER,
            "role": "candidate",
            "jti": JTI,
            "iat": NOW_MS / 1000,
            "exp": NOW_MS / 1000 + 3600,
        })
    }

    #[test]
    fn round_trip() {
        let issued = issue(NOW_MS, 24 * 60);
        assert_eq!(issued.jti, JTI);
        let iat_ms = 1_795_309_323_000; // rounded down to the second
        assert_eq!(issued.expires_at_ms, iat_ms + 24 * 3600 * 1000);
        let claims = keys().verify(&issued.token, NOW_MS).expect("valid");
        assert_eq!(
            claims,
            TokenClaims {
                sub: USER.to_owned(),
                role: UserRole::Recruiter,
                jti: JTI.to_owned(),
                iat_ms,
                exp_ms: issued.expires_at_ms,
                sid: None,
            }
        );
    }

    #[test]
    fn the_session_claim_round_trips_and_an_empty_one_is_refused() {
        let issued =
            keys().issue_in_session(USER, UserRole::Candidate, NOW_MS, 5, JTI, Some("s1")).expect("issues");
        assert_eq!(keys().verify(&issued.token, NOW_MS).expect("valid").sid.as_deref(), Some("s1"));
        assert_eq!(
            keys().issue_in_session(USER, UserRole::Candidate, NOW_MS, 5, JTI, Some("")),
            Err(IssueError::EmptyClaim)
        );
    }

    #[test]
    fn every_role_round_trips() {
        for &role in UserRole::ALL {
            let issued = keys().issue(USER, role, NOW_MS, 5, JTI).expect("issues");
            let claims = keys().verify(&issued.token, NOW_MS).expect("valid");
            assert_eq!(claims.role, role);
        }
    }

    #[test]
    fn token_uses_standard_claim_names_in_seconds_and_hs256_header() {
        let issued = issue(NOW_MS, 60);
        let (header, payload, _) = parts(&issued.token);
        let header: serde_json::Value = serde_json::from_slice(&b64url_decode(&header)).expect("json header");
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["typ"], "JWT");
        let payload: serde_json::Value =
            serde_json::from_slice(&b64url_decode(&payload)).expect("json payload");
        assert_eq!(payload["sub"], USER);
        assert_eq!(payload["role"], "recruiter");
        assert_eq!(payload["jti"], JTI);
        assert_eq!(payload["iat"], 1_795_309_323_i64);
        assert_eq!(payload["exp"], 1_795_309_323_i64 + 3600);
    }

    #[test]
    fn valid_until_exp_and_expired_after() {
        let issued = issue(NOW_MS, 60);
        let keys = keys();
        assert!(keys.verify(&issued.token, issued.expires_at_ms - 1).is_ok());
        assert!(keys.verify(&issued.token, issued.expires_at_ms).is_ok());
        assert_eq!(keys.verify(&issued.token, issued.expires_at_ms + 1), Err(TokenError::Expired));
        assert_eq!(keys.verify(&issued.token, NOW_MS + 25 * 3600 * 1000), Err(TokenError::Expired));
    }

    #[test]
    fn forged_expired_token_is_invalid_not_expired() {
        let forged = JwtKeys::new(OTHER_SECRET)
            .expect("secret")
            .issue(USER, UserRole::Admin, NOW_MS - 10 * 3600 * 1000, 60, JTI)
            .expect("issues");
        assert_eq!(keys().verify(&forged.token, NOW_MS), Err(TokenError::Invalid));
    }

    #[test]
    fn wrong_secret_is_invalid() {
        let issued = issue(NOW_MS, 60);
        let other = JwtKeys::new(OTHER_SECRET).expect("secret");
        assert_eq!(other.verify(&issued.token, NOW_MS), Err(TokenError::Invalid));
    }

    #[test]
    fn tampered_payload_is_invalid() {
        let issued = keys().issue(USER, UserRole::Candidate, NOW_MS, 60, JTI).expect("issues");
        let (header, payload, signature) = parts(&issued.token);
        let text = String::from_utf8(b64url_decode(&payload)).expect("utf-8");
        let promoted = text.replace("\"candidate\"", "\"admin\"");
        assert_ne!(text, promoted);
        let tampered = format!("{header}.{}.{signature}", b64url_encode(promoted.as_bytes()));
        assert_eq!(keys().verify(&tampered, NOW_MS), Err(TokenError::Invalid));

        let extended = text.replace(
            &format!("\"exp\":{}", issued.expires_at_ms / 1000),
            &format!("\"exp\":{}", issued.expires_at_ms / 1000 + 86_400),
        );
        assert_ne!(text, extended);
        let tampered = format!("{header}.{}.{signature}", b64url_encode(extended.as_bytes()));
        assert_eq!(
            keys().verify(&tampered, issued.expires_at_ms + 1000),
            Err(TokenError::Invalid),
            "a forged exp must not even be reported as expired"
        );
    }

    #[test]
    fn tampered_signature_is_invalid() {
        let issued = issue(NOW_MS, 60);
        let (header, payload, signature) = parts(&issued.token);
        let mut sig = b64url_decode(&signature);
        sig[0] ^= 0x01;
        let flipped = format!("{header}.{payload}.{}", b64url_encode(&sig));
        assert_eq!(keys().verify(&flipped, NOW_MS), Err(TokenError::Invalid));

        let truncated = format!("{header}.{payload}.{}", b64url_encode(&sig[..31]));
        assert_eq!(keys().verify(&truncated, NOW_MS), Err(TokenError::Invalid));
        let empty = format!("{header}.{payload}.");
        assert_eq!(keys().verify(&empty, NOW_MS), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_invalid() {
        let issued = issue(NOW_MS, 60);
        let (_, payload, signature) = parts(&issued.token);
        let none = b64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
        for token in [format!("{none}.{payload}."), format!("{none}.{payload}.{signature}")] {
            assert_eq!(keys().verify(&token, NOW_MS), Err(TokenError::Invalid), "{token}");
        }
        for alg in ["None", "NONE", "hs256", "HS384", "HS512", "ES256"] {
            let header = b64url_encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
            let token = format!("{header}.{payload}.{signature}");
            assert_eq!(keys().verify(&token, NOW_MS), Err(TokenError::Invalid), "{alg}");
        }
    }

    #[test]
    fn rs256_header_with_a_valid_hs256_signature_is_invalid() {
        // The classic key-confusion shape: the HMAC over the header and payload is correct for
        // our secret, only the header claims another algorithm.
        let claims = Claims::new(CustomClaims {
            sub: USER.to_owned(),
            role: "admin".to_owned(),
            jti: JTI.to_owned(),
            sid: None,
        })
        .set_duration_and_issuance(
            &TimeOptions::new(TimeDelta::zero(), || {
                DateTime::<Utc>::from_timestamp(NOW_MS / 1000, 0).unwrap_or_default()
            }),
            TimeDelta::hours(1),
        );
        let token = Renamed::new(Hs256, "RS256")
            .token(&Header::empty(), &claims, &Hs256Key::new(SECRET))
            .expect("signs");
        let header: serde_json::Value =
            serde_json::from_slice(&b64url_decode(&parts(&token).0)).expect("json");
        assert_eq!(header["alg"], "RS256");
        assert_eq!(keys().verify(&token, NOW_MS), Err(TokenError::Invalid));
    }

    #[test]
    fn genuine_signature_with_missing_or_bad_claims_is_invalid() {
        // Sanity check: the hand-built claims are accepted as they are.
        assert!(keys().verify(&sign_custom(standard_claims()), NOW_MS).is_ok());
        let invalid = Err(TokenError::Invalid);
        let cases: &[(&str, serde_json::Value, Result<(), TokenError>)] = &[
            ("sub", serde_json::Value::Null, invalid),
            ("role", serde_json::Value::Null, invalid),
            ("jti", serde_json::Value::Null, invalid),
            ("iat", serde_json::Value::Null, invalid),
            ("exp", serde_json::Value::Null, invalid),
            ("role", serde_json::json!("superuser"), invalid),
            ("role", serde_json::json!("Admin"), invalid),
            ("role", serde_json::json!(3), invalid),
            ("sub", serde_json::json!(""), invalid),
            ("jti", serde_json::json!(""), invalid),
            ("sub", serde_json::json!(42), invalid),
            ("exp", serde_json::json!("soon"), invalid),
            ("exp", serde_json::json!(1e300), invalid),
            ("iat", serde_json::json!(NOW_MS / 1000 + 3600), invalid),
            ("nbf", serde_json::json!(NOW_MS / 1000 + 600), invalid),
            // Genuine but past exp (even when exp is not after iat): the time check comes first.
            ("exp", serde_json::json!(NOW_MS / 1000), Err(TokenError::Expired)),
            ("exp", serde_json::json!(NOW_MS / 1000 - 1_000_000), Err(TokenError::Expired)),
        ];
        for (claim, value, expected) in cases {
            let mut claims = standard_claims();
            let map = claims.as_object_mut().expect("object");
            if value.is_null() {
                map.remove(*claim);
            } else {
                map.insert((*claim).to_owned(), value.clone());
            }
            let token = sign_custom(claims);
            let result = keys().verify(&token, NOW_MS).map(|_| ());
            assert_eq!(result, *expected, "{claim} = {value}");
        }
    }

    #[test]
    fn garbage_is_invalid() {
        let issued = issue(NOW_MS, 60);
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        let cases: Vec<String> = vec![
            String::new(),
            "garbage".into(),
            "a.b".into(),
            "a.b.c".into(),
            "...".into(),
            "a.b.c.d".into(),
            "Bearer x.y.z".into(),
            format!("Bearer {}", issued.token),
            format!("{}.", issued.token),
            format!(" {}", issued.token),
            issued.token.replace('.', ""),
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln".into(),
            "e30.e30.".into(),
            "\u{0}\u{1}.\u{2}.\u{3}".into(),
            "ü.ö.ä".into(),
            long,
        ];
        for token in &cases {
            assert_eq!(keys().verify(token, NOW_MS), Err(TokenError::Invalid), "{token:?}");
        }
    }

    #[test]
    fn short_secret_is_refused() {
        for len in [0, 1, 16, 31] {
            let secret = vec![b'x'; len];
            assert_eq!(
                JwtKeys::new(&secret).map(|_| ()),
                Err(AuthConfigError::SecretTooShort { min_bytes: 32, actual_bytes: len }),
                "{len} bytes"
            );
        }
        assert!(JwtKeys::new(&[b'x'; 32]).is_ok());
        assert!(JwtKeys::new(&[b'x'; 200]).is_ok(), "longer than the HMAC block");
    }

    #[test]
    fn issue_refuses_bad_inputs() {
        let keys = keys();
        assert_eq!(keys.issue("", UserRole::Candidate, NOW_MS, 60, JTI), Err(IssueError::EmptyClaim));
        assert_eq!(keys.issue(USER, UserRole::Candidate, NOW_MS, 60, ""), Err(IssueError::EmptyClaim));
        assert_eq!(keys.issue(USER, UserRole::Candidate, NOW_MS, 0, JTI), Err(IssueError::ZeroTtl));
        assert_eq!(keys.issue(USER, UserRole::Candidate, i64::MAX, 60, JTI), Err(IssueError::TimeOutOfRange));
        assert!(keys.issue(USER, UserRole::Candidate, NOW_MS, u32::MAX, JTI).is_ok());
    }

    #[test]
    fn verify_with_an_impossible_clock_is_invalid() {
        let issued = issue(NOW_MS, 60);
        assert_eq!(keys().verify(&issued.token, i64::MAX), Err(TokenError::Invalid));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let issued = issue(NOW_MS, 60);
        let text = format!("{issued:?} {:?}", keys());
        assert!(!text.contains(&issued.token), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        let err = JwtKeys::new(b"tiny-secret").map(|_| ()).expect_err("short");
        assert!(!err.to_string().contains("tiny"), "{err}");
    }
}
