-- API tokens expire and record their last use (at most once a minute). Tokens issued before
-- this migration expire 180 days after their creation, the default for new ones.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ, ADD COLUMN last_used_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = created_at + INTERVAL '180 days';
CREATE INDEX api_tokens_manager ON api_tokens (manager_id);
