//! The `users`, `revoked_tokens`, `login_attempts` and `login_failures` tables.

use crate::store::Db;
use serde::Deserialize;

use super::{int, opt_text, text};
use crate::domain::enums::{UserRole, UserStatus};

/// A user row as the service needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: UserRole,
    pub status: UserStatus,
    pub created_at: String,
    pub last_login_at: Option<String>,
    /// Staff: their organization. Candidates: the organization they registered with.
    pub org_id: Option<String>,
    /// When the address was verified (docs/accounts.md#email-verification).
    pub email_verified_at: Option<String>,
}

const USER_COLUMNS: &str = "id, email, password_hash, full_name, phone, role, status, \
                            created_at, last_login_at, org_id, email_verified_at";

/// The fields of a new user.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub full_name: &'a str,
    pub phone: Option<&'a str>,
    pub role: UserRole,
    pub org_id: &'a str,
    pub now: &'a str,
}

pub async fn insert(db: &Db, u: &NewUser<'_>) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO users (id, email, password_hash, full_name, phone, role, status, created_at, updated_at, org_id, \
         email_verified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7, ?8, ?9)",
    )
    .bind(&[
        text(u.id),
        text(u.email),
        text(u.password_hash),
        text(u.full_name),
        opt_text(u.phone),
        text(u.role.as_str()),
        text(u.now),
        text(u.org_id),
        // Staff are verified by their invitation; a candidate verifies by mail.
        opt_text((u.role != UserRole::Candidate).then_some(u.now)),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn by_email(db: &Db, email: &str) -> worker::Result<Option<UserRow>> {
    db.prepare(format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"))
        .bind(&[text(email)])?
        .first::<UserRow>(None)
        .await
}

pub async fn by_id(db: &Db, id: &str) -> worker::Result<Option<UserRow>> {
    db.prepare(format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))
        .bind(&[text(id)])?
        .first::<UserRow>(None)
        .await
}

/// The facts the auth guard needs about a token's user and session, in one query.
#[derive(Debug, Deserialize)]
pub struct TokenUser {
    pub role: UserRole,
    pub status: UserStatus,
    pub revoked: i64,
    pub org_id: Option<String>,
    pub verified: i64,
    /// 1 when session `sid` is the user's, unrevoked and unexpired.
    pub session_live: i64,
    pub session_used_at: Option<String>,
}

pub async fn token_user(
    db: &Db,
    user_id: &str,
    jti: &str,
    sid: &str,
    now: &str,
) -> worker::Result<Option<TokenUser>> {
    db.prepare(
        "SELECT u.role, u.status, u.org_id, u.email_verified_at IS NOT NULL AS verified, \
         EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2) AS revoked, \
         COALESCE(s.revoked_at IS NULL AND s.expires_at > ?4, FALSE) AS session_live, s.last_used_at AS session_used_at \
         FROM users u LEFT JOIN sessions s ON s.id = ?3 AND s.user_id = u.id WHERE u.id = ?1",
    )
    .bind(&[text(user_id), text(jti), text(sid), text(now)])?
    .first::<TokenUser>(None)
    .await
}

/// The principal a verified token stands for: one read finds its account active, its session
/// live and the token unrevoked (else `None`: the caller is refused with 401), and the session's
/// last use is stamped when due. The Worker's auth guard and the interview object (for a
/// candidate's answer, docs/accounts.md#where-the-account-is-checked) both check through it.
///
/// # Errors
/// Database failures (the stamp's own failure is only logged).
pub async fn token_principal(
    db: &Db,
    bearer: &crate::protocol::Bearer,
    now_ms: i64,
) -> worker::Result<Option<crate::auth::access::Principal>> {
    let now_text = crate::domain::time::rfc3339_ms(now_ms);
    let Some(user) = token_user(db, bearer.user_id.as_str(), &bearer.jti, &bearer.session, &now_text).await?
    else {
        return Ok(None);
    };
    if user.revoked != 0 || user.session_live == 0 || user.status != UserStatus::Active {
        return Ok(None);
    }
    let used_ms = user.session_used_at.as_deref().and_then(crate::domain::time::parse_rfc3339_ms);
    if crate::domain::account::needs_touch(used_ms, now_ms) {
        if let Err(e) = super::accounts::touch_session(db, &bearer.session, &now_text, None).await {
            crate::platform::log_error("session touch", &e);
        }
    }
    // Only staff act for an organization; a candidate's registration org grants nothing.
    let org_id = if user.role.is_staff() { user.org_id } else { None };
    Ok(Some(crate::auth::access::Principal {
        user_id: bearer.user_id.as_str().to_owned(),
        role: user.role,
        jti: bearer.jti.clone(),
        token_exp_ms: bearer.exp_ms,
        org_id,
        session: Some(bearer.session.clone()),
        email_verified: user.verified != 0,
    }))
}

/// Whether organization `org_id` may see user `user_id`: its own staff, the candidates who
/// registered with it, and the candidates who interviewed with it (docs/organizations.md).
///
/// # Errors
/// D1 failures.
pub async fn visible_to_org(db: &Db, user_id: &str, org_id: &str) -> worker::Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        visible: i64,
    }
    let row = db
        .prepare(format!(
            "SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = ?1 AND {}) AS visible",
            super::listing::user_in_org("u", 2)
        ))
        .bind(&[text(user_id), text(org_id)])?
        .first::<Row>(None)
        .await?;
    Ok(row.is_some_and(|r| r.visible != 0))
}

/// When the client `client` is locked out of the account `account_key` (docs/security.md#login-lockout),
/// `Some(locked_until)`.
pub async fn client_lock(db: &Db, account_key: &str, client: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        locked_until: Option<String>,
    }
    Ok(db
        .prepare("SELECT locked_until FROM login_failures WHERE account_key = ?1 AND client = ?2")
        .bind(&[text(account_key), text(client)])?
        .first::<Row>(None)
        .await?
        .and_then(|r| r.locked_until))
}

/// Counts one more failed login of `client` on `account_key` (from one again when its last
/// failure is older than `reset_before`); returns the count.
pub async fn record_client_failure(
    db: &Db,
    account_key: &str,
    client: &str,
    reset_before: &str,
    now: &str,
) -> worker::Result<u32> {
    #[derive(Deserialize)]
    struct Row {
        failures: u32,
    }
    let row = db
        .prepare(
            "INSERT INTO login_failures (account_key, client, failures, updated_at) VALUES (?1, ?2, 1, ?4) \
             ON CONFLICT (account_key, client) DO UPDATE SET \
               failures = CASE WHEN login_failures.updated_at < ?3 THEN 1 ELSE login_failures.failures + 1 END, \
               updated_at = ?4 \
             RETURNING failures",
        )
        .bind(&[text(account_key), text(client), text(reset_before), text(now)])?
        .returning::<Row>()
        .await?;
    Ok(row.map_or(1, |r| r.failures))
}

/// Locks `client` out of `account_key` until `until`.
pub async fn lock_client(db: &Db, account_key: &str, client: &str, until: &str) -> worker::Result<()> {
    db.prepare("UPDATE login_failures SET locked_until = ?3 WHERE account_key = ?1 AND client = ?2")
        .bind(&[text(account_key), text(client), text(until)])?
        .run()
        .await?;
    Ok(())
}

/// Forgets `client`'s failures on `account_key` (after it signed in).
pub async fn clear_client_failures(db: &Db, account_key: &str, client: &str) -> worker::Result<()> {
    db.prepare("DELETE FROM login_failures WHERE account_key = ?1 AND client = ?2")
        .bind(&[text(account_key), text(client)])?
        .run()
        .await?;
    Ok(())
}

/// Deletes failure counts untouched since `before` (the frequent cron).
pub async fn prune_login_failures(db: &Db, before: &str) -> worker::Result<()> {
    db.prepare(
        "DELETE FROM login_failures WHERE updated_at < ?1 AND (locked_until IS NULL OR locked_until < ?1)",
    )
    .bind(&[text(before)])?
    .run()
    .await?;
    Ok(())
}

/// Records a successful login: clears failures and the lock, stamps `last_login_at`.
pub async fn record_success(db: &Db, id: &str, now: &str) -> worker::Result<()> {
    db.prepare(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?2, updated_at = ?2 WHERE id = ?1",
    )
    .bind(&[text(id), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// Audit row for a login attempt (no email stored).
pub async fn log_attempt(
    db: &Db,
    user_id: Option<&str>,
    ip: &str,
    succeeded: bool,
    now: &str,
) -> worker::Result<()> {
    db.prepare("INSERT INTO login_attempts (user_id, ip, succeeded, attempted_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[opt_text(user_id), text(ip), int(i64::from(succeeded)), text(now)])?
        .run()
        .await?;
    Ok(())
}

/// Revokes a token id until `expires_at` (idempotent).
pub async fn revoke(db: &Db, jti: &str, user_id: &str, expires_at: &str, now: &str) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(&[text(jti), text(user_id), text(expires_at), text(now)])?
    .run()
    .await?;
    Ok(())
}

/// Sets a user's status (admin).
pub async fn set_status(db: &Db, id: &str, status: UserStatus, now: &str) -> worker::Result<()> {
    db.prepare("UPDATE users SET status = ?2, updated_at = ?3 WHERE id = ?1")
        .bind(&[text(id), text(status.as_str()), text(now)])?
        .run()
        .await?;
    Ok(())
}

/// The `password_hash` of a staff account invited by email that has not chosen its password yet:
/// not a hash, so no password matches it.
pub const INVITED_PASSWORD_HASH: &str = "invited";

/// Organization `org_id`'s staff, newest first (at most 500).
///
/// # Errors
/// D1 failures.
pub async fn org_members(db: &Db, org_id: &str) -> worker::Result<Vec<UserRow>> {
    db.prepare(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND role IN ('admin', 'recruiter', 'viewer') \
         AND status <> 'deleted' ORDER BY created_at DESC, id DESC LIMIT 500"
    ))
    .bind(&[text(org_id)])?
    .all()
    .await?
    .results::<UserRow>()
}

/// The statements creating an invited (inactive, password-less) staff account and its invite,
/// for the caller's batch beside the email.
///
/// # Errors
/// Binding failures.
pub fn invite_staff(
    db: &Db,
    user: &NewUser<'_>,
    invite_id: &str,
    token_hash: &str,
    expires_at: &str,
    by: &str,
) -> worker::Result<Vec<crate::store::Statement>> {
    let account = db
        .prepare(
            "INSERT INTO users (id, email, password_hash, full_name, role, status, created_at, updated_at, org_id, \
             email_verified_at) VALUES (?1, ?2, ?3, ?4, ?5, 'inactive', ?6, ?6, ?7, ?6)",
        )
        .bind(&[
            text(user.id),
            text(user.email),
            text(INVITED_PASSWORD_HASH),
            text(user.full_name),
            text(user.role.as_str()),
            text(user.now),
            text(user.org_id),
        ])?;
    let invite = db
        .prepare(
            "INSERT INTO staff_invites (id, org_id, user_id, token_hash, expires_at, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            text(invite_id),
            text(user.org_id),
            text(user.id),
            text(token_hash),
            text(expires_at),
            text(by),
            text(user.now),
        ])?;
    Ok(vec![account, invite])
}

/// An unused, unexpired staff invite by its token's hash: (invite id, user id).
///
/// # Errors
/// D1 failures.
pub async fn open_staff_invite(
    db: &Db,
    token_hash: &str,
    now: &str,
) -> worker::Result<Option<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        user_id: String,
    }
    Ok(db
        .prepare("SELECT id, user_id FROM staff_invites WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2")
        .bind(&[text(token_hash), text(now)])?
        .first::<Row>(None)
        .await?
        .map(|r| (r.id, r.user_id)))
}

/// Uses a staff invite: sets the password (and name), activates the account, once. Returns
/// whether this call used it.
///
/// # Errors
/// D1 failures.
pub async fn accept_staff_invite(
    db: &Db,
    invite_id: &str,
    user_id: &str,
    password_hash: &str,
    full_name: Option<&str>,
    now: &str,
) -> worker::Result<bool> {
    let used = db
        .prepare("UPDATE staff_invites SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL")
        .bind(&[text(invite_id), text(now)])?;
    let account = db
        .prepare(
            "UPDATE users SET password_hash = ?2, full_name = COALESCE(?3, full_name), status = 'active', updated_at = ?4 \
             WHERE id = ?1 AND password_hash = ?5 AND EXISTS (SELECT 1 FROM staff_invites WHERE id = ?6 AND used_at = ?4)",
        )
        .bind(&[
            text(user_id),
            text(password_hash),
            opt_text(full_name),
            text(now),
            text(INVITED_PASSWORD_HASH),
            text(invite_id),
        ])?;
    let results = db.batch(vec![used, account]).await?;
    let changed = |i: usize| results.get(i).map_or(0, crate::store::DbResult::changed);
    Ok(changed(0) == 1 && changed(1) == 1)
}

/// Changes a staff member's role.
///
/// # Errors
/// D1 failures.
pub async fn set_role(db: &Db, id: &str, role: UserRole, now: &str) -> worker::Result<()> {
    db.prepare("UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1")
        .bind(&[text(id), text(role.as_str()), text(now)])?
        .run()
        .await?;
    Ok(())
}
