-- Why a resume's parsing failed (docs/resumes.md#parsing): a stable code and a human reason, shown to the
-- owner and staff. NULL unless the last attempt failed.
ALTER TABLE resumes ADD COLUMN parse_error_code TEXT;
ALTER TABLE resumes ADD COLUMN parse_error TEXT;
