-- The sales process: lead lifecycle and assignment, deals with stage history, tasks,
-- activities, and the manager-notification outbox.
ALTER TABLE leads ADD COLUMN junk_reason TEXT;
ALTER TABLE leads ADD COLUMN taken_at TEXT;
ALTER TABLE leads ADD COLUMN accept_by TEXT;
ALTER TABLE leads ADD COLUMN converted_at TEXT;
ALTER TABLE leads ADD COLUMN deal_id INTEGER;
CREATE INDEX leads_accept_by ON leads (accept_by) WHERE accept_by IS NOT NULL;

-- Every assignment decision with its reason ("owner of company 45", "round-robin, ...").
CREATE TABLE lead_assignments (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id),
    manager_id INTEGER REFERENCES managers (id),
    queue TEXT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    accept_by TEXT,
    wait_until TEXT
);
CREATE INDEX lead_assignments_lead ON lead_assignments (lead_id, id);

-- Per queue and manager: leads given in the fairness window and on the manager's local day.
CREATE TABLE queue_load (
    queue TEXT NOT NULL,
    manager_id INTEGER NOT NULL REFERENCES managers (id),
    served INTEGER NOT NULL DEFAULT 0,
    day TEXT NOT NULL,
    day_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, manager_id)
) WITHOUT ROWID;

CREATE TABLE deals (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    amount NUMERIC,
    currency TEXT NOT NULL DEFAULT 'RUB',
    products TEXT NOT NULL DEFAULT '[]',
    comment TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    contact_id INTEGER REFERENCES contacts (id),
    company_id INTEGER REFERENCES companies (id),
    lead_id INTEGER UNIQUE REFERENCES leads (id),
    owner_id INTEGER REFERENCES managers (id),
    lost_reason TEXT,
    pending_lost TEXT,
    stage_entered_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX deals_owner ON deals (owner_id, id);
CREATE INDEX deals_contact ON deals (contact_id);
CREATE INDEX deals_company ON deals (company_id);
CREATE INDEX deals_pipeline ON deals (pipeline, stage);

CREATE TABLE deal_stages (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deals (id),
    stage TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    left_at TEXT,
    actor TEXT NOT NULL
);
CREATE INDEX deal_stages_deal ON deal_stages (deal_id, id);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('lead', 'contact', 'company', 'deal')),
    entity_id INTEGER NOT NULL,
    task_type TEXT NOT NULL,
    title TEXT NOT NULL,
    due_at TEXT NOT NULL,
    assignee_id INTEGER REFERENCES managers (id),
    done_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX tasks_entity ON tasks (entity, entity_id);
CREATE INDEX tasks_open ON tasks (assignee_id, due_at) WHERE done_at IS NULL;

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('lead', 'contact', 'company', 'deal')),
    entity_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'email', 'message', 'note')),
    text TEXT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    manager_id INTEGER REFERENCES managers (id),
    created_at TEXT NOT NULL
);
CREATE INDEX activities_entity ON activities (entity, entity_id, at);

CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY,
    manager_id INTEGER NOT NULL REFERENCES managers (id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    leased_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE status = 'pending';
