-- Initial schema: managers, tokens, inbox, contacts, companies, leads, consents, audit log.
CREATE TABLE managers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager', 'head')),
    email TEXT,
    telegram_chat_id TEXT,
    timezone TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE inbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    ingest_token TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    available_at TIMESTAMPTZ NOT NULL,
    payload JSON NOT NULL,
    headers JSON NOT NULL,
    event JSON NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    processed_at TIMESTAMPTZ,
    lead_id BIGINT,
    UNIQUE (channel, external_id)
);
CREATE INDEX inbox_pending ON inbox (id) WHERE status = 'pending';
CREATE INDEX inbox_failed ON inbox (id) WHERE status = 'failed';

CREATE TABLE companies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    inn TEXT,
    owner_id BIGINT REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX companies_inn ON companies (inn);

CREATE TABLE contacts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT,
    first_name TEXT,
    last_name TEXT,
    patronymic TEXT,
    phone TEXT,
    email TEXT,
    messenger_ids JSONB NOT NULL DEFAULT '{}',
    company_id BIGINT REFERENCES companies (id),
    owner_id BIGINT REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE leads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbox_id BIGINT NOT NULL UNIQUE REFERENCES inbox (id),
    status TEXT NOT NULL CHECK (status IN ('new', 'in_work', 'converted', 'junk')),
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    name TEXT,
    first_name TEXT,
    last_name TEXT,
    patronymic TEXT,
    phone TEXT,
    phone_raw TEXT,
    phone_extension TEXT,
    email TEXT,
    email_raw TEXT,
    company TEXT,
    position TEXT,
    messenger_ids JSONB NOT NULL DEFAULT '{}',
    comment TEXT,
    utm JSONB NOT NULL DEFAULT '{}',
    page_url TEXT,
    referrer TEXT,
    fields JSON NOT NULL DEFAULT '{}',
    meta JSONB NOT NULL DEFAULT '{}',
    flags JSONB NOT NULL DEFAULT '[]',
    queue TEXT,
    pipeline TEXT,
    assignee_id BIGINT REFERENCES managers (id),
    contact_id BIGINT REFERENCES contacts (id),
    company_id BIGINT REFERENCES companies (id),
    received_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX leads_status ON leads (status, id);
CREATE INDEX leads_channel ON leads (channel, id);
CREATE INDEX leads_assignee ON leads (assignee_id, id);
CREATE INDEX leads_created ON leads (created_at);

CREATE TABLE consents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id BIGINT NOT NULL REFERENCES leads (id),
    given BOOLEAN NOT NULL,
    text_version TEXT,
    raw_value TEXT,
    source TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_lead ON consents (lead_id);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    before JSON,
    after JSON
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
