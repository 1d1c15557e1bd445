-- A head adds a manager with a one-time invite link: the new manager opens it and sets their
-- own password. Only the sha256 of the link's token is stored; it is used once, before it
-- expires, and a newer invite of the same manager replaces an unused older one.
CREATE TABLE manager_invites (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX manager_invites_manager ON manager_invites (manager_id);
-- What a head calls a token they issue («интеграция с 1С»); tokens from the CLI have none.
ALTER TABLE api_tokens ADD COLUMN name TEXT;
