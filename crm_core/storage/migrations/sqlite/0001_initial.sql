-- Initial schema: managers, tokens, inbox, contacts, companies, leads, consents, audit log.
CREATE TABLE managers (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager', 'head')),
    email TEXT,
    telegram_chat_id TEXT,
    timezone TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    manager_id INTEGER NOT NULL REFERENCES managers (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    ingest_token TEXT NOT NULL,
    received_at TEXT NOT NULL,
    available_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    headers TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    processed_at TEXT,
    lead_id INTEGER,
    UNIQUE (channel, external_id)
);
CREATE INDEX inbox_pending ON inbox (id) WHERE status = 'pending';
CREATE INDEX inbox_failed ON inbox (id) WHERE status = 'failed';

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    inn TEXT,
    owner_id INTEGER REFERENCES managers (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX companies_inn ON companies (inn);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    name TEXT,
    first_name TEXT,
    last_name TEXT,
    patronymic TEXT,
    phone TEXT,
    email TEXT,
    messenger_ids TEXT NOT NULL DEFAULT '{}',
    company_id INTEGER REFERENCES companies (id),
    owner_id INTEGER REFERENCES managers (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    inbox_id INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
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
    messenger_ids TEXT NOT NULL DEFAULT '{}',
    comment TEXT,
    utm TEXT NOT NULL DEFAULT '{}',
    page_url TEXT,
    referrer TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}',
    flags TEXT NOT NULL DEFAULT '[]',
    queue TEXT,
    pipeline TEXT,
    assignee_id INTEGER REFERENCES managers (id),
    contact_id INTEGER REFERENCES contacts (id),
    company_id INTEGER REFERENCES companies (id),
    received_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX leads_status ON leads (status, id);
CREATE INDEX leads_channel ON leads (channel, id);
CREATE INDEX leads_assignee ON leads (assignee_id, id);
CREATE INDEX leads_created ON leads (created_at);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id),
    given INTEGER NOT NULL,
    text_version TEXT,
    raw_value TEXT,
    source TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX consents_lead ON consents (lead_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
