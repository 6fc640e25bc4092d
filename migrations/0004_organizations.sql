-- Organizations (tenants; docs/organizations.md). Staff belong to exactly one organization and
-- see only its data; candidates are global accounts who may interview with several. Everything
-- that existed before this migration (staff, candidates, interviews) belongs to the default
-- organization created here, so nothing breaks; DEFAULT_ORG_ID (config) names the organization
-- self-registered candidates and self-started interviews join, and defaults to this one.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY CHECK (length(id) = 36),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 255),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO organizations (id, name, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'Default organization',
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- Staff: the organization they work for. Candidates: the organization they registered with
-- (self-registration: the default one); it only decides which staff see a candidate with no
-- interview yet. SQLite cannot add a REFERENCES column with a non-NULL default, so the default
-- is written by the UPDATE below and by every insert.
ALTER TABLE users ADD COLUMN org_id TEXT REFERENCES organizations (id);
UPDATE users SET org_id = '00000000-0000-4000-8000-000000000001' WHERE org_id IS NULL;
CREATE INDEX idx_users_org_role_created ON users (org_id, role, created_at DESC);

-- The organization whose staff may see the interview (written by the interview DO's projection;
-- interviews from before this migration belong to the default organization).
ALTER TABLE interviews ADD COLUMN org_id TEXT NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001'
    CHECK (length(org_id) = 36);
-- Recruiter lists are always scoped to one organization: newest first, optionally by status or role.
CREATE INDEX idx_interviews_org_started ON interviews (org_id, started_at DESC, id DESC);
CREATE INDEX idx_interviews_org_status_started ON interviews (org_id, status, started_at DESC, id DESC);
CREATE INDEX idx_interviews_org_role_started ON interviews (org_id, role_type, started_at DESC, id DESC);
-- "Has this candidate interviewed with this organization?" (candidate visibility).
CREATE INDEX idx_interviews_candidate_org ON interviews (candidate_id, org_id);
