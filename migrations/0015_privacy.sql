-- Privacy (docs/privacy.md): data exports, erasure requests, per-organization retention.
-- Forward-only.

-- A candidate's data export: one JSON document in R2 (`exports/{user_id}/{id}.json`), built
-- asynchronously (after the request, and by the frequent cron if that dies), announced by email,
-- deleted by the daily cron once expired. One pending export per user at a time.
CREATE TABLE data_exports (
    id            TEXT PRIMARY KEY CHECK (length(id) = 36),
    user_id       TEXT NOT NULL REFERENCES users (id),
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'expired', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    size_bytes    INTEGER CHECK (size_bytes IS NULL OR size_bytes >= 0),
    -- Where the announcing email's link points (PUBLIC_BASE_URL or the request's origin).
    link_base     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    ready_at      TEXT,
    expires_at    TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX idx_data_exports_user ON data_exports (user_id, created_at DESC);
CREATE INDEX idx_data_exports_status ON data_exports (status, updated_at);
CREATE UNIQUE INDEX idx_data_exports_one_pending ON data_exports (user_id) WHERE status = 'pending';

-- An erasure (self: the whole account; org: what that organization holds). Processed in
-- resumable steps: first every `erasure_items` row (one interview's Durable Object and R2
-- objects, or one R2 prefix), each deleted once done, then one D1 batch that removes the rows,
-- keeps the anonymised counts and the audit entry, and clears `user_id` and `email` here. A
-- finished request holds no personal data: only its random `subject_id`.
CREATE TABLE erasure_requests (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    subject_id   TEXT NOT NULL CHECK (length(subject_id) = 36),
    user_id      TEXT,
    email        TEXT,
    -- NULL: the candidate's own erasure (everything); else the organization's data only.
    org_id       TEXT REFERENCES organizations (id),
    actor_id     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    runs         INTEGER NOT NULL DEFAULT 0 CHECK (runs >= 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX idx_erasure_requests_status ON erasure_requests (status, created_at);

CREATE TABLE erasure_items (
    request_id  TEXT NOT NULL REFERENCES erasure_requests (id),
    kind        TEXT NOT NULL CHECK (kind IN ('interview', 'prefix')),
    ref         TEXT NOT NULL,
    PRIMARY KEY (request_id, kind, ref)
);

-- What is kept of erased candidates: counts per organization and job ('' = no job).
CREATE TABLE erasure_counts (
    org_id      TEXT NOT NULL,
    job_id      TEXT NOT NULL DEFAULT '',
    candidates  INTEGER NOT NULL DEFAULT 0 CHECK (candidates >= 0),
    interviews  INTEGER NOT NULL DEFAULT 0 CHECK (interviews >= 0),
    completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed >= 0),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, job_id)
);

-- An invitation whose candidate was erased stays, anonymised (email replaced, links to the
-- candidate and interview cleared, a live link revoked): staff lists show "erased candidate".
ALTER TABLE invitations ADD COLUMN erased_at TEXT;

-- An organization's retention periods in days (NULL: the configured default). Fractional days
-- are accepted (tests use seconds).
CREATE TABLE org_retention (
    org_id            TEXT PRIMARY KEY REFERENCES organizations (id),
    transcript_days   REAL CHECK (transcript_days IS NULL OR transcript_days > 0),
    audio_days        REAL CHECK (audio_days IS NULL OR audio_days > 0),
    resume_days       REAL CHECK (resume_days IS NULL OR resume_days > 0),
    assessment_days   REAL CHECK (assessment_days IS NULL OR assessment_days > 0),
    video_days        REAL CHECK (video_days IS NULL OR video_days > 0),
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- What retention already removed (an interview's transcript, audio or assessment; a résumé's
-- file, parsed data and feedback), so the daily job does not look at it again.
CREATE TABLE retention_purges (
    subject_id  TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('transcript', 'audio', 'assessment', 'resume')),
    purged_at   TEXT NOT NULL,
    PRIMARY KEY (subject_id, category)
);
