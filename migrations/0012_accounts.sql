-- Account lifecycle (docs/accounts.md): sign-in sessions, email verification, password reset.

-- One row per sign-in (register, login, staff-invite acceptance); refreshes keep the session
-- (the token's `sid` claim) and move `expires_at` to the newest token's expiry. Signing out one
-- session or all of them sets `revoked_at`; the auth guard reads it in its one query.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY CHECK (length(id) = 36),
    user_id       TEXT NOT NULL REFERENCES users (id),
    -- The User-Agent, one line, at most 200 characters; never a token.
    client        TEXT NOT NULL CHECK (length(client) <= 200),
    ip            TEXT NOT NULL CHECK (length(ip) <= 64),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX idx_sessions_user ON sessions (user_id, expires_at);
CREATE INDEX idx_sessions_expires ON sessions (expires_at);

-- Single-use emailed links: only the SHA-256 of the token is stored.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX idx_account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX idx_account_tokens_expires ON account_tokens (expires_at);

-- The per-address cap on account emails counts recent messages to one address.
CREATE INDEX idx_mail_outbox_to ON mail_outbox (to_addr, created_at);

-- Accounts that exist at migration time count as verified.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
UPDATE users SET email_verified_at = created_at;
