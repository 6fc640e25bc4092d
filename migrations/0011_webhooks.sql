-- ATS webhooks (docs/hiring.md#webhooks): an organization's endpoints and the delivery outbox.
-- Forward-only.

-- An org admin's endpoint. `secret` signs deliveries (kept as is: it must be recoverable to
-- sign; never logged, shown only on creation and rotation). After a rotation the previous
-- secret keeps signing until `previous_secret_expires_at`.
CREATE TABLE webhooks (
    id                          TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id                      TEXT NOT NULL REFERENCES organizations (id),
    url                         TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    -- A JSON array of event names (crates/core/src/domain/webhook.rs EVENTS).
    events                      TEXT NOT NULL CHECK (json_valid(events)),
    description                 TEXT CHECK (description IS NULL OR length(description) <= 500),
    active                      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  TEXT,
    created_by                  TEXT NOT NULL REFERENCES users (id),
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);
CREATE INDEX idx_webhooks_org_created ON webhooks (org_id, created_at DESC, id DESC);

-- One row per (event, endpoint), written in the batch of the change that caused the event
-- where possible. `event_id` names the event (`<type>:<subject id>`, e.g.
-- `interview.completed:<interview id>`): receivers deduplicate by it, and a replayed write
-- never enqueues twice.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    -- The event's `data` object (ids and scores; never message content).
    data             TEXT NOT NULL CHECK (json_valid(data)),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    last_status      INTEGER,
    last_error       TEXT CHECK (last_error IS NULL OR length(last_error) <= 300),
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX idx_webhook_deliveries_webhook_created ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Invitations the frequent cron marked expired announce it once.
CREATE INDEX idx_invitations_status_expires ON invitations (status, expires_at);
