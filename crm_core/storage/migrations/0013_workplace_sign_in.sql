-- The managers' web workplace signs in with a password: its argon2id hash per manager,
-- server-side sessions (only the sha256 of a session id is stored, so a copy of the database
-- opens no session) and failed sign-ins counted per login, so every instance slows the same
-- guesser down.
CREATE TABLE manager_passwords (
    manager_id BIGINT PRIMARY KEY REFERENCES managers (id),
    password_hash TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE web_sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_hash TEXT NOT NULL UNIQUE,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    user_agent TEXT
);
CREATE INDEX web_sessions_manager ON web_sessions (manager_id);

CREATE TABLE sign_in_failures (
    login TEXT COLLATE "C" PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL
);
