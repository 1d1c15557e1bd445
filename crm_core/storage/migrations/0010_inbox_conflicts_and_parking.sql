-- A hash of a request's normalized body, so a reused idempotency key with another body is
-- told apart from a retry (409 instead of a silent 'duplicate').
ALTER TABLE inbox ADD COLUMN body_hash TEXT;
-- A parked row an operator has looked at and set aside (`leadintake inbox dismiss`): it
-- no longer holds /readyz at not ready.
ALTER TABLE inbox ADD COLUMN dismissed_at TIMESTAMPTZ;
