-- A hash of a request's normalized body, so a reused idempotency key with another body is
-- told apart from a retry (409 instead of a silent 'duplicate').
ALTER TABLE inbox ADD COLUMN body_hash TEXT;
