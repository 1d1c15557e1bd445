-- API tokens expire and record their last use (at most once a minute). Tokens issued before
-- this migration expire 180 days after their creation, the default for new ones.
-- postgres:
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ, ADD COLUMN last_used_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = created_at + INTERVAL '180 days';
-- sqlite:
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
-- Stored times are ISO 8601 in UTC with microseconds; strftime keeps milliseconds.
UPDATE api_tokens
SET expires_at = strftime('%Y-%m-%dT%H:%M:%f', created_at, '+180 days') || '000+00:00';
-- end
CREATE INDEX api_tokens_manager ON api_tokens (manager_id);
