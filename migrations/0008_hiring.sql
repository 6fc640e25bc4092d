-- The hiring workflow (docs/hiring.md): decisions, reviews and score overrides per interview,
-- and the organization's audit trail. Forward-only. Enumerated columns match
-- crates/core/src/domain/enums.rs (HiringDecision, AuditAction). Every row carries its
-- organization, and every read is scoped by it.

-- Decisions (advance, hold, reject) with their reason; the newest is the one in force, the
-- history is kept.
CREATE TABLE hiring_decisions (
    id            TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    interview_id  TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('advance', 'hold', 'reject')),
    reason        TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    decided_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL
);
CREATE INDEX idx_hiring_decisions_interview ON hiring_decisions (interview_id, created_at DESC, id DESC);

-- Reviewers' notes and 1-5 ratings per skill area (a JSON object, validated by the Worker).
CREATE TABLE interview_reviews (
    id            TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    interview_id  TEXT NOT NULL,
    reviewer_id   TEXT NOT NULL REFERENCES users (id),
    note          TEXT CHECK (note IS NULL OR length(note) <= 5000),
    ratings       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(ratings)),
    created_at    TEXT NOT NULL
);
CREATE INDEX idx_interview_reviews_interview ON interview_reviews (interview_id, created_at DESC, id DESC);

-- Overrides of the overall score (the assessment's own score is never changed); the newest is
-- in force.
CREATE TABLE score_overrides (
    id             TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id         TEXT NOT NULL REFERENCES organizations (id),
    interview_id   TEXT NOT NULL,
    overall_score  REAL NOT NULL CHECK (overall_score BETWEEN 0 AND 100),
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    overridden_by  TEXT NOT NULL REFERENCES users (id),
    created_at     TEXT NOT NULL
);
CREATE INDEX idx_score_overrides_interview ON score_overrides (interview_id, created_at DESC, id DESC);

-- Who did what to which record, when, from which client. Append-only: the triggers below
-- refuse every UPDATE and DELETE, whatever runs them.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    actor_id     TEXT NOT NULL,
    -- One of crates/core/src/domain/enums.rs `AuditAction` (written only by the Worker; no CHECK
    -- list, so a new action needs no table rebuild).
    action       TEXT NOT NULL CHECK (length(action) BETWEEN 3 AND 60),
    target_type  TEXT NOT NULL CHECK (length(target_type) BETWEEN 1 AND 40),
    target_id    TEXT NOT NULL CHECK (length(target_id) BETWEEN 1 AND 64),
    detail       TEXT CHECK (detail IS NULL OR length(detail) <= 300),
    client       TEXT NOT NULL CHECK (length(client) BETWEEN 1 AND 200),
    created_at   TEXT NOT NULL
);
CREATE INDEX idx_audit_org_created ON audit_log (org_id, created_at DESC, id DESC);
CREATE INDEX idx_audit_org_actor_created ON audit_log (org_id, actor_id, created_at DESC, id DESC);
CREATE INDEX idx_audit_org_target_created ON audit_log (org_id, target_id, created_at DESC, id DESC);
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be deleted');
END;
