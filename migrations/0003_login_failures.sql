-- Login failures per (account, client) (docs/security.md#login-lockout). The account-wide lock
-- (users.failed_logins, users.locked_until) let anyone keep a known account locked by failing
-- logins from rotating addresses; it is no longer used. Now one client (IP) that fails
-- LOGIN_MAX_FAILURES times is locked out of that account only, for LOGIN_LOCKOUT_MINUTES doubling
-- per further failure up to LOGIN_LOCKOUT_MAX_MINUTES, while the owner's own client still signs in.
-- account_key is an HMAC of the normalised email (unknown emails lock like real ones; no email
-- is stored); client is the CF-Connecting-IP.
CREATE TABLE login_failures (
    account_key   TEXT NOT NULL CHECK (length(account_key) = 64),
    client        TEXT NOT NULL CHECK (length(client) BETWEEN 1 AND 64),
    failures      INTEGER NOT NULL CHECK (failures >= 1),
    locked_until  TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (account_key, client)
);
-- Pruning rows with no failure for a day.
CREATE INDEX idx_login_failures_updated ON login_failures (updated_at);
