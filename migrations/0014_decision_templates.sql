-- Decision messages to candidates (docs/hiring.md#decision-messages): an organization's own
-- template per decision; a decision without a row uses the built-in message. Forward-only.
-- Placeholders are validated by the Worker (crates/core/src/domain/decision_mail.rs).
CREATE TABLE decision_templates (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    decision    TEXT NOT NULL CHECK (decision IN ('advance', 'hold', 'reject')),
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    updated_by  TEXT NOT NULL REFERENCES users (id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, decision)
);
