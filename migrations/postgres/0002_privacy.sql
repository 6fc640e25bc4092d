-- Privacy (docs/privacy.md) on PostgreSQL: what migrations/0015_privacy.sql adds in D1, in the
-- native types of 0001_schema.sql (data exports, erasure requests and their items, the
-- anonymised counts kept after an erasure, per-organization retention and its purge marks, and
-- the erased invitation's timestamp). tests/pg_schema.rs checks it against D1.

CREATE TABLE data_exports (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'expired', 'failed')),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    size_bytes    bigint CHECK (size_bytes IS NULL OR size_bytes >= 0),
    link_base     text NOT NULL,
    created_at    timestamptz NOT NULL,
    ready_at      timestamptz,
    expires_at    timestamptz,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX idx_data_exports_user ON data_exports (user_id, created_at DESC);
CREATE INDEX idx_data_exports_status ON data_exports (status, updated_at);
CREATE UNIQUE INDEX idx_data_exports_one_pending ON data_exports (user_id) WHERE status = 'pending';

CREATE TABLE erasure_requests (
    id           uuid PRIMARY KEY,
    subject_id   uuid NOT NULL,
    user_id      uuid,
    email        text,
    org_id       uuid REFERENCES organizations (id),
    actor_id     uuid NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    runs         integer NOT NULL DEFAULT 0 CHECK (runs >= 0),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX idx_erasure_requests_status ON erasure_requests (status, created_at);

CREATE TABLE erasure_items (
    request_id  uuid NOT NULL REFERENCES erasure_requests (id),
    kind        text NOT NULL CHECK (kind IN ('interview', 'prefix')),
    ref         text NOT NULL,
    PRIMARY KEY (request_id, kind, ref)
);

CREATE TABLE erasure_counts (
    org_id      uuid NOT NULL,
    job_id      text NOT NULL DEFAULT '',
    candidates  integer NOT NULL DEFAULT 0 CHECK (candidates >= 0),
    interviews  integer NOT NULL DEFAULT 0 CHECK (interviews >= 0),
    completed   integer NOT NULL DEFAULT 0 CHECK (completed >= 0),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, job_id)
);

ALTER TABLE invitations ADD COLUMN erased_at timestamptz;

CREATE TABLE org_retention (
    org_id            uuid PRIMARY KEY REFERENCES organizations (id),
    transcript_days   double precision CHECK (transcript_days IS NULL OR transcript_days > 0),
    audio_days        double precision CHECK (audio_days IS NULL OR audio_days > 0),
    resume_days       double precision CHECK (resume_days IS NULL OR resume_days > 0),
    assessment_days   double precision CHECK (assessment_days IS NULL OR assessment_days > 0),
    video_days        double precision CHECK (video_days IS NULL OR video_days > 0),
    updated_by        uuid NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE retention_purges (
    subject_id  uuid NOT NULL,
    category    text NOT NULL CHECK (category IN ('transcript', 'audio', 'assessment', 'resume')),
    purged_at   timestamptz NOT NULL,
    PRIMARY KEY (subject_id, category)
);
