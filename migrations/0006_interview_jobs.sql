-- The job an interview was started for (docs/jobs.md#how-the-job-drives-the-interviewer): an
-- accepted invitation starts an interview of the job's current version, and the interview's DO
-- keeps that version's spec, so later edits never change it. Written by the DO's projection;
-- NULL for self-started interviews. Forward-only.
ALTER TABLE interviews ADD COLUMN job_id TEXT REFERENCES jobs (id);
ALTER TABLE interviews ADD COLUMN job_version INTEGER CHECK (job_version IS NULL OR job_version >= 1);
-- "The interviews of this job".
CREATE INDEX idx_interviews_job ON interviews (job_id);
