-- Notifications (docs/email.md#notifications): reminders, completion notices, résumé feedback
-- by email, and opting out of optional mail. Forward-only.

-- mail_outbox again, without a CHECK list on `kind` (the code's MailKind is the only writer, so
-- new kinds need no table rebuild) and with `skipped` (an opted-out address: never sent, and
-- visible as such). Same rows, same ids.
CREATE TABLE mail_outbox_new (
    id               TEXT PRIMARY KEY CHECK (length(id) = 36),
    kind             TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    to_addr          TEXT NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 254),
    subject          TEXT NOT NULL CHECK (length(subject) <= 300),
    body_text        TEXT NOT NULL CHECK (length(body_text) <= 16384),
    ref_id           TEXT,
    dedupe_key       TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT CHECK (last_error IS NULL OR length(last_error) <= 300),
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
INSERT INTO mail_outbox_new SELECT id, kind, to_addr, subject, body_text, ref_id, dedupe_key, status,
    attempts, next_attempt_at, last_error, created_at, sent_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
-- The sender's scan: due pending messages, oldest first.
CREATE INDEX idx_mail_outbox_due ON mail_outbox (status, next_attempt_at);
-- A timeline: the messages about one invitation, interview or feedback.
CREATE INDEX idx_mail_outbox_ref ON mail_outbox (ref_id, created_at);

-- One unsubscribe link (a random token; only its SHA-256 is stored) per optional message. Using
-- any of an address's links opts the address out of optional mail.
CREATE TABLE mail_optouts (
    token_hash     TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    email          TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    created_at     TEXT NOT NULL,
    opted_out_at   TEXT
);
CREATE INDEX idx_mail_optouts_email ON mail_optouts (email, opted_out_at);

-- When the recruiters were told that the interview an invitation started completed (the
-- frequent cron's scan marks it in the batch that queues the notices).
ALTER TABLE invitations ADD COLUMN completion_notified_at TEXT;
-- Interviews completed before this migration were never announced: they are not announced now.
UPDATE invitations SET completion_notified_at = updated_at
WHERE interview_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM interviews v WHERE v.id = invitations.interview_id AND v.status = 'completed');
-- The cron's completion scan: started invitations not yet announced.
CREATE INDEX idx_invitations_unannounced ON invitations (interview_id)
    WHERE interview_id IS NOT NULL AND completion_notified_at IS NULL;
