//! Accounts, without I/O: JWT issue/verify with a caller-supplied clock, the password policy and
//! stored-hash format (the PBKDF2 itself runs through `WebCrypto` in the wasm glue), and the
//! validation of emails, names and phone numbers.
//!
//! Everything here is pure Rust (no `worker`, no wasm, no system clock) so it unit-tests natively;
//! the HTTP layer maps these errors to the API's error codes in one place (docs/api.md#errors).

pub mod access;
pub mod b64;
pub mod checked;
pub mod jwt;
pub mod lockout;
pub mod password;
pub mod validate;

pub use jwt::{
    AuthConfigError, IssueError, IssuedToken, JwtKeys, TokenClaims, TokenError, LEEWAY_SECONDS,
    MIN_SECRET_BYTES,
};
pub use password::{
    constant_time_eq, needs_rehash, validate_password, PasswordHash, HASH_LEN, MAX_PBKDF2_ITERATIONS,
    PBKDF2_ITERATIONS, SALT_LEN,
};
pub use validate::{validate_full_name, validate_optional_phone, validate_phone, Email};
