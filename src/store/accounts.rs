//! The `sessions` and `account_tokens` tables (docs/accounts.md#sessions): one row per sign-in,
//! and the hashes of the single-use emailed links (email verification, password reset). Simple
//! writes go through the shared [`exec`] and reads return JSON rows (a smaller wasm).

use crate::store::{Db, Statement};
use serde_json::Value;

use super::{exec, first_row, int, opt_text, text};

/// Opens session `id` of `user_id` (a sign-in), valid until its token's `expires_at`.
///
/// # Errors
/// D1 failures.
pub async fn open_session(
    db: &Db,
    id: &str,
    user_id: &str,
    client: &str,
    ip: &str,
    now: &str,
    expires_at: &str,
) -> worker::Result<u32> {
    let sql = "INSERT INTO sessions (id, user_id, client, ip, created_at, last_used_at, expires_at) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)";
    exec(db, sql, &[text(id), text(user_id), text(client), text(ip), text(now), text(expires_at)]).await
}

/// Stamps session `id`'s `last_used_at` (the auth guard, at most every few minutes) and, on a
/// refresh, moves its expiry to the new token's `expires_at`.
///
/// # Errors
/// D1 failures.
pub async fn touch_session(db: &Db, id: &str, now: &str, expires_at: Option<&str>) -> worker::Result<u32> {
    let sql = "UPDATE sessions SET last_used_at = ?2, expires_at = COALESCE(?3, expires_at) \
               WHERE id = ?1 AND revoked_at IS NULL";
    exec(db, sql, &[text(id), text(now), opt_text(expires_at)]).await
}

/// `user_id`'s live sessions, most recently used first (at most 100).
///
/// # Errors
/// D1 failures.
pub async fn live_sessions(db: &Db, user_id: &str, now: &str) -> worker::Result<Vec<Value>> {
    db.prepare(
        "SELECT id, client, ip, created_at, last_used_at, expires_at FROM sessions \
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
         ORDER BY last_used_at DESC, id LIMIT 100",
    )
    .bind(&[text(user_id), text(now)])?
    .all()
    .await?
    .results::<Value>()
}

const REVOKE: &str = "UPDATE sessions SET revoked_at = ?4 WHERE user_id = ?1 AND revoked_at IS NULL \
                      AND expires_at > ?4 AND (id = ?2 OR ?2 IS NULL) AND (id <> ?3 OR ?3 IS NULL)";

/// The statement revoking `user_id`'s live sessions: session `only`, or all but `keep`.
///
/// # Errors
/// Binding failures.
pub fn revoke_sessions(
    db: &Db,
    user_id: &str,
    only: Option<&str>,
    keep: Option<&str>,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(REVOKE).bind(&[text(user_id), opt_text(only), opt_text(keep), text(now)])
}

/// Runs [`revoke_sessions`] alone; how many sessions it revoked.
///
/// # Errors
/// D1 failures.
pub async fn revoke(
    db: &Db,
    user_id: &str,
    only: Option<&str>,
    keep: Option<&str>,
    now: &str,
) -> worker::Result<u32> {
    exec(db, REVOKE, &[text(user_id), opt_text(only), opt_text(keep), text(now)]).await
}

/// How many rows statement `i` of a batch changed.
pub fn changed(results: &[crate::store::DbResult], i: usize) -> u32 {
    results.get(i).map_or(0, |r| u32::try_from(r.changed()).unwrap_or(0))
}

/// The statement storing a link token's hash for `purpose` (`domain::account`).
///
/// # Errors
/// Binding failures.
pub fn insert_token(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    purpose: &str,
    now: &str,
    expires_at: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&[text(token_hash), text(user_id), text(purpose), text(now), text(expires_at)])
}

/// Uses the unused, unexpired `purpose` link `token_hash`, once: `{user_id}`. Otherwise, the
/// link's state `{used, expires_at}` (no `user_id`), or `None` when it does not exist.
///
/// # Errors
/// D1 failures.
pub async fn use_token(db: &Db, token_hash: &str, purpose: &str, now: &str) -> worker::Result<Option<Value>> {
    let params = [text(token_hash), text(purpose), text(now)];
    let sql = "UPDATE account_tokens SET used_at = ?3 WHERE token_hash = ?1 AND purpose = ?2 \
               AND used_at IS NULL AND expires_at > ?3 RETURNING user_id";
    if let Some(row) = first_row(db, sql, &params).await? {
        return Ok(Some(row));
    }
    let sql = "SELECT used_at IS NOT NULL AS used, expires_at FROM account_tokens \
               WHERE token_hash = ?1 AND purpose = ?2";
    first_row(db, sql, &params[..2]).await
}

/// Account emails (`kinds`, JSON array) queued to `to` since `since`.
///
/// # Errors
/// D1 failures.
pub async fn mails_since(db: &Db, to: &str, kinds: &str, since: &str) -> worker::Result<u64> {
    let sql = "SELECT COUNT(*) AS n FROM mail_outbox WHERE to_addr = ?1 AND created_at > ?3 \
               AND kind IN (SELECT value FROM json_each(?2))";
    let row = first_row(db, sql, &[text(to), text(kinds), text(since)]).await?;
    Ok(row.and_then(|r| r["n"].as_u64()).unwrap_or(0))
}

/// The statement setting `user_id`'s password hash (`verified`: a reset also proves the address).
///
/// # Errors
/// Binding failures.
pub fn set_password(
    db: &Db,
    user_id: &str,
    password_hash: &str,
    verified: bool,
    now: &str,
) -> worker::Result<Statement> {
    db.prepare(
        "UPDATE users SET password_hash = ?2, updated_at = ?3, \
         email_verified_at = CASE WHEN ?4 = 1 THEN COALESCE(email_verified_at, ?3) ELSE email_verified_at END \
         WHERE id = ?1",
    )
    .bind(&[text(user_id), text(password_hash), text(now), int(i64::from(verified))])
}

/// Marks `user_id`'s address verified (idempotent).
///
/// # Errors
/// D1 failures.
pub async fn mark_verified(db: &Db, user_id: &str, now: &str) -> worker::Result<u32> {
    let sql = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?2) WHERE id = ?1";
    exec(db, sql, &[text(user_id), text(now)]).await
}

/// Deletes sessions and link tokens that expired before `before` (the daily cron).
///
/// # Errors
/// D1 failures.
pub async fn prune(db: &Db, before: &str) -> worker::Result<u32> {
    let sessions = exec(db, "DELETE FROM sessions WHERE expires_at < ?1", &[text(before)]).await?;
    Ok(sessions + exec(db, "DELETE FROM account_tokens WHERE expires_at < ?1", &[text(before)]).await?)
}
