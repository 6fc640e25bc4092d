-- The complete D1 schema (docs/data.md). Forward-only: later changes get new numbered files.
-- Every enumerated column's CHECK lists exactly the values of crates/core/src/domain/enums.rs
-- (tests/schema.rs proves it). Times are RFC 3339 UTC strings with milliseconds
-- ('2026-11-22T01:02:03.456Z'), so they sort as text. Money is integer micro-USD.
-- JSON columns are TEXT with json_valid checks. No integer exceeds 2^53.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash   TEXT NOT NULL,
    full_name       TEXT NOT NULL CHECK (length(full_name) BETWEEN 2 AND 255),
    phone           TEXT CHECK (phone IS NULL OR length(phone) <= 32),
    role            TEXT NOT NULL CHECK (role IN ('candidate', 'recruiter', 'viewer', 'admin')),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'deleted')),
    failed_logins   INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_login_at   TEXT
);
CREATE INDEX idx_users_role_created ON users (role, created_at DESC);
CREATE INDEX idx_users_full_name ON users (full_name COLLATE NOCASE);

-- Logged-out (and rotated) token ids, kept until the token would have expired anyway.
CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT NOT NULL
);
CREATE INDEX idx_revoked_tokens_expires ON revoked_tokens (expires_at);

-- Audit of login attempts (no email stored: user_id when the account exists).
CREATE TABLE login_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       TEXT REFERENCES users (id),
    ip            TEXT,
    succeeded     INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    attempted_at  TEXT NOT NULL
);
CREATE INDEX idx_login_attempts_user ON login_attempts (user_id, attempted_at DESC);

CREATE TABLE resumes (
    id              TEXT PRIMARY KEY,
    candidate_id    TEXT NOT NULL REFERENCES users (id),
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('application/pdf',
                        'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'text/plain')),
    size_bytes      INTEGER NOT NULL CHECK (size_bytes > 0),
    storage_path    TEXT NOT NULL,
    parsing_status  TEXT NOT NULL DEFAULT 'pending' CHECK (parsing_status IN ('pending', 'processing', 'completed', 'failed')),
    parse_attempts  INTEGER NOT NULL DEFAULT 0 CHECK (parse_attempts >= 0),
    parsed_data     TEXT CHECK (parsed_data IS NULL OR json_valid(parsed_data)),
    uploaded_at     TEXT NOT NULL,
    parsed_at       TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX idx_resumes_candidate ON resumes (candidate_id, uploaded_at DESC);
CREATE INDEX idx_resumes_parsing_status ON resumes (parsing_status);

CREATE TABLE resume_feedback (
    id                     TEXT PRIMARY KEY,
    resume_id              TEXT NOT NULL UNIQUE REFERENCES resumes (id),
    candidate_id           TEXT NOT NULL REFERENCES users (id),
    feedback_content       TEXT NOT NULL,
    identified_gaps        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(identified_gaps)),
    recommended_resources  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(recommended_resources)),
    status                 TEXT NOT NULL DEFAULT 'pending_approval' CHECK (status IN ('pending_approval', 'approved', 'sent')),
    generator              TEXT NOT NULL CHECK (generator IN ('builtin', 'openai')),
    auto_send_at           TEXT NOT NULL,
    approved_at            TEXT,
    approved_by            TEXT REFERENCES users (id),
    sent_at                TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX idx_resume_feedback_due ON resume_feedback (status, auto_send_at);

CREATE TABLE interviews (
    id                       TEXT PRIMARY KEY,
    candidate_id             TEXT NOT NULL REFERENCES users (id),
    resume_id                TEXT REFERENCES resumes (id),
    role_type                TEXT NOT NULL CHECK (role_type IN ('react', 'python', 'javascript', 'fullstack')),
    mode                     TEXT NOT NULL DEFAULT 'text' CHECK (mode IN ('text', 'voice')),
    status                   TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'abandoned')),
    started_at               TEXT NOT NULL,
    completed_at             TEXT,
    duration_seconds         INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    completion_reason        TEXT CHECK (completion_reason IS NULL OR completion_reason IN
                                 ('criteria_met', 'max_questions', 'cost_limit', 'candidate_request')),
    current_difficulty       TEXT NOT NULL DEFAULT 'warmup' CHECK (current_difficulty IN
                                 ('warmup', 'fundamental', 'intermediate', 'advanced', 'expert')),
    questions_asked          INTEGER NOT NULL DEFAULT 0 CHECK (questions_asked >= 0),
    total_questions          INTEGER NOT NULL DEFAULT 0 CHECK (total_questions >= 0),
    skill_boundaries         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(skill_boundaries)),
    overall_score            REAL CHECK (overall_score IS NULL OR overall_score BETWEEN 0 AND 100),
    ai_provider              TEXT NOT NULL DEFAULT 'builtin' CHECK (ai_provider IN ('builtin', 'openai')),
    ai_model                 TEXT,
    tokens_in                INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out               INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    audio_in_ms              INTEGER NOT NULL DEFAULT 0 CHECK (audio_in_ms >= 0),
    audio_out_ms             INTEGER NOT NULL DEFAULT 0 CHECK (audio_out_ms >= 0),
    tts_chars                INTEGER NOT NULL DEFAULT 0 CHECK (tts_chars >= 0),
    llm_cost_micros          INTEGER NOT NULL DEFAULT 0 CHECK (llm_cost_micros >= 0),
    speech_cost_micros       INTEGER NOT NULL DEFAULT 0 CHECK (speech_cost_micros >= 0),
    realtime_cost_micros     INTEGER NOT NULL DEFAULT 0 CHECK (realtime_cost_micros >= 0),
    total_cost_micros        INTEGER NOT NULL DEFAULT 0 CHECK (total_cost_micros >= 0),
    tech_check_metadata      TEXT CHECK (tech_check_metadata IS NULL OR json_valid(tech_check_metadata)),
    video_recording_consent  INTEGER NOT NULL DEFAULT 0 CHECK (video_recording_consent IN (0, 1)),
    video_recording_status   TEXT NOT NULL DEFAULT 'not_started' CHECK (video_recording_status IN
                                 ('not_started', 'uploading', 'completed', 'deleted', 'failed')),
    video_recording_url      TEXT,
    -- Projection version from the interview DO: an upsert only applies a newer state.
    state_version            INTEGER NOT NULL DEFAULT 0 CHECK (state_version >= 0),
    last_activity_at         TEXT NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);
-- Candidate dashboards: "my interviews, newest first".
CREATE INDEX idx_interviews_candidate_started ON interviews (candidate_id, started_at DESC, id DESC);
-- Recruiter list: newest first with status / role filters (cursor = started_at, id).
CREATE INDEX idx_interviews_started ON interviews (started_at DESC, id DESC);
CREATE INDEX idx_interviews_status_started ON interviews (status, started_at DESC, id DESC);
CREATE INDEX idx_interviews_role_started ON interviews (role_type, started_at DESC, id DESC);
CREATE INDEX idx_interviews_score ON interviews (overall_score);

-- Snapshot of the interview DO's live state (the DO is the source of truth).
CREATE TABLE interview_sessions (
    interview_id        TEXT PRIMARY KEY REFERENCES interviews (id),
    current_difficulty  TEXT NOT NULL CHECK (current_difficulty IN
                            ('warmup', 'fundamental', 'intermediate', 'advanced', 'expert')),
    questions_asked     INTEGER NOT NULL CHECK (questions_asked >= 0),
    skill_boundaries    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(skill_boundaries)),
    progression_state   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(progression_state)),
    state_version       INTEGER NOT NULL DEFAULT 0 CHECK (state_version >= 0),
    last_activity_at    TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE TABLE interview_messages (
    id                TEXT PRIMARY KEY,
    interview_id      TEXT NOT NULL REFERENCES interviews (id),
    sequence_number   INTEGER NOT NULL CHECK (sequence_number >= 1),
    message_type      TEXT NOT NULL CHECK (message_type IN ('ai_question', 'candidate_response')),
    content_text      TEXT NOT NULL,
    audio_url         TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    response_time_ms  INTEGER CHECK (response_time_ms IS NULL OR response_time_ms >= 0),
    created_at        TEXT NOT NULL,
    UNIQUE (interview_id, sequence_number)
);

CREATE TABLE assessment_results (
    id                   TEXT PRIMARY KEY,
    interview_id         TEXT NOT NULL UNIQUE REFERENCES interviews (id),
    overall_score        REAL NOT NULL CHECK (overall_score BETWEEN 0 AND 100),
    skill_scores         TEXT NOT NULL CHECK (json_valid(skill_scores)),
    skill_boundary_map   TEXT NOT NULL CHECK (json_valid(skill_boundary_map)),
    strengths            TEXT NOT NULL CHECK (json_valid(strengths)),
    weaknesses           TEXT NOT NULL CHECK (json_valid(weaknesses)),
    integrity_score      REAL NOT NULL CHECK (integrity_score BETWEEN 0 AND 100),
    integrity_flags      TEXT NOT NULL CHECK (json_valid(integrity_flags)),
    ai_reasoning         TEXT NOT NULL CHECK (json_valid(ai_reasoning)),
    recommended_actions  TEXT NOT NULL CHECK (json_valid(recommended_actions)),
    summary              TEXT NOT NULL,
    generator            TEXT NOT NULL CHECK (generator IN ('builtin', 'openai')),
    partial              INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
    generated_at         TEXT NOT NULL
);
CREATE INDEX idx_assessment_results_score ON assessment_results (overall_score);

CREATE TABLE video_recordings (
    id               TEXT PRIMARY KEY,
    interview_id     TEXT NOT NULL UNIQUE REFERENCES interviews (id),
    candidate_id     TEXT NOT NULL REFERENCES users (id),
    storage_path     TEXT NOT NULL,
    content_type     TEXT NOT NULL CHECK (content_type IN ('video/webm', 'video/mp4')),
    upload_id        TEXT,
    total_chunks     INTEGER NOT NULL CHECK (total_chunks >= 1),
    chunk_count      INTEGER NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    file_size_bytes  INTEGER NOT NULL DEFAULT 0 CHECK (file_size_bytes >= 0),
    duration_seconds INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    status           TEXT NOT NULL CHECK (status IN ('not_started', 'uploading', 'completed', 'deleted', 'failed')),
    uploaded_at      TEXT,
    last_chunk_at    TEXT,
    deleted_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX idx_video_recordings_status_uploaded ON video_recordings (status, uploaded_at);
CREATE INDEX idx_video_recordings_status_last_chunk ON video_recordings (status, last_chunk_at);

-- Outbox of resume-feedback deliveries (webhook + visibility), retried with backoff.
CREATE TABLE feedback_deliveries (
    id               TEXT PRIMARY KEY,
    feedback_id      TEXT NOT NULL UNIQUE REFERENCES resume_feedback (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT
);
CREATE INDEX idx_feedback_deliveries_due ON feedback_deliveries (status, next_attempt_at);

-- What each cron job did (retention, delivery, sweeps).
CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX idx_job_runs_job ON job_runs (job, started_at DESC);
