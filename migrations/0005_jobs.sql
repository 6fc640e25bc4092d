-- Jobs (docs/jobs.md): what an organization assesses. Each accepted edit of a job's spec is a new
-- row of job_versions, so an interview keeps the version it started with; jobs holds what lists
-- need and the current version. Enumerated columns match crates/core/src/domain/enums.rs.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY CHECK (length(id) = 36),
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    role_family      TEXT NOT NULL CHECK (role_family IN ('react', 'python', 'javascript', 'fullstack', 'custom')),
    status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    current_version  INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    deadline         TEXT,
    created_by       TEXT NOT NULL REFERENCES users (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- An organization's jobs, most recently changed first (cursor = updated_at, id).
CREATE INDEX idx_jobs_org_updated ON jobs (org_id, updated_at DESC, id DESC);
CREATE INDEX idx_jobs_org_status_updated ON jobs (org_id, status, updated_at DESC, id DESC);

CREATE TABLE job_versions (
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    spec        TEXT NOT NULL CHECK (json_valid(spec) AND length(spec) <= 262144),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (job_id, version)
);
