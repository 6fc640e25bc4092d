-- Invitations to a job, staff invitations, and outgoing email (docs/jobs.md#invitations,
-- docs/email.md). Forward-only. Enumerated columns match crates/core/src/domain/enums.rs.

-- One emailed, single-use link to one job. Only the token's SHA-256 is stored. `expired` and
-- `completed` are also derived on read (from expires_at and the interview's status).
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    job_id           TEXT NOT NULL REFERENCES jobs (id),
    email            TEXT NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    token_hash       TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    status           TEXT NOT NULL DEFAULT 'sent'
                     CHECK (status IN ('sent', 'opened', 'started', 'completed', 'expired', 'revoked')),
    expires_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL REFERENCES users (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sent_at          TEXT,
    opened_at        TEXT,
    started_at       TEXT,
    revoked_at       TEXT,
    -- The interview the link started (its row is written by the interview DO's projection).
    interview_id     TEXT UNIQUE,
    candidate_id     TEXT REFERENCES users (id),
    send_attempts    INTEGER NOT NULL DEFAULT 0 CHECK (send_attempts >= 0),
    last_send_error  TEXT CHECK (last_send_error IS NULL OR length(last_send_error) <= 300)
);
-- A job's invitations, newest first (cursor = created_at, id), optionally by stored status.
CREATE INDEX idx_invitations_org_job_created ON invitations (org_id, job_id, created_at DESC, id DESC);
-- "Does this address already have a live invitation to this job?"
CREATE INDEX idx_invitations_job_email ON invitations (job_id, email);

-- A staff member invited by email to an organization: the account exists (inactive) until the
-- link sets its password.
CREATE TABLE staff_invites (
    id               TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    token_hash       TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    created_by       TEXT NOT NULL REFERENCES users (id),
    created_at       TEXT NOT NULL,
    send_attempts    INTEGER NOT NULL DEFAULT 0 CHECK (send_attempts >= 0),
    last_send_error  TEXT CHECK (last_send_error IS NULL OR length(last_send_error) <= 300)
);
CREATE INDEX idx_staff_invites_user ON staff_invites (user_id);

-- Every outgoing email, written in the same batch as the change it announces and delivered by
-- the sender (after the request, and by the frequent cron) with retries. `dedupe_key` makes a
-- message impossible to queue twice; the body (which may hold a link) is blanked once the
-- message is sent or given up.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY CHECK (length(id) = 36),
    kind             TEXT NOT NULL CHECK (kind IN ('invitation', 'staff_invite')),
    to_addr          TEXT NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 254),
    subject          TEXT NOT NULL CHECK (length(subject) <= 300),
    body_text        TEXT NOT NULL CHECK (length(body_text) <= 16384),
    ref_id           TEXT,
    dedupe_key       TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT CHECK (last_error IS NULL OR length(last_error) <= 300),
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
-- The sender's scan: due pending messages, oldest first.
CREATE INDEX idx_mail_outbox_due ON mail_outbox (status, next_attempt_at);

-- The local dev mailbox (MAILER = "dev" only): what would have been sent.
CREATE TABLE dev_mailbox (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_dev_mailbox_created ON dev_mailbox (created_at DESC);
