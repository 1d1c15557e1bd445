-- The sales process: lead lifecycle and assignment, deals with stage history, tasks,
-- activities, and the manager-notification outbox.
ALTER TABLE leads ADD COLUMN junk_reason TEXT;
ALTER TABLE leads ADD COLUMN taken_at TIMESTAMPTZ;
ALTER TABLE leads ADD COLUMN accept_by TIMESTAMPTZ;
ALTER TABLE leads ADD COLUMN converted_at TIMESTAMPTZ;
ALTER TABLE leads ADD COLUMN deal_id BIGINT;
CREATE INDEX leads_accept_by ON leads (accept_by) WHERE accept_by IS NOT NULL;

-- Every assignment decision with its reason ("owner of company 45", "round-robin, ...").
CREATE TABLE lead_assignments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id BIGINT NOT NULL REFERENCES leads (id),
    manager_id BIGINT REFERENCES managers (id),
    queue TEXT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    accept_by TIMESTAMPTZ,
    wait_until TIMESTAMPTZ
);
CREATE INDEX lead_assignments_lead ON lead_assignments (lead_id, id);

-- Per queue and manager: leads given in the fairness window and on the manager's local day.
CREATE TABLE queue_load (
    queue TEXT NOT NULL,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    served INTEGER NOT NULL DEFAULT 0,
    day TEXT NOT NULL,
    day_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, manager_id)
);

CREATE TABLE deals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    amount NUMERIC(16, 2),
    currency TEXT NOT NULL DEFAULT 'RUB',
    products TEXT NOT NULL DEFAULT '[]',
    comment TEXT,
    fields TEXT NOT NULL DEFAULT '{}',
    contact_id BIGINT REFERENCES contacts (id),
    company_id BIGINT REFERENCES companies (id),
    lead_id BIGINT UNIQUE REFERENCES leads (id),
    owner_id BIGINT REFERENCES managers (id),
    lost_reason TEXT,
    pending_lost TEXT,
    stage_entered_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX deals_owner ON deals (owner_id, id);
CREATE INDEX deals_contact ON deals (contact_id);
CREATE INDEX deals_company ON deals (company_id);
CREATE INDEX deals_pipeline ON deals (pipeline, stage);

CREATE TABLE deal_stages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    stage TEXT NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    left_at TIMESTAMPTZ,
    actor TEXT NOT NULL
);
CREATE INDEX deal_stages_deal ON deal_stages (deal_id, id);

CREATE TABLE tasks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('lead', 'contact', 'company', 'deal')),
    entity_id BIGINT NOT NULL,
    task_type TEXT NOT NULL,
    title TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    assignee_id BIGINT REFERENCES managers (id),
    done_at TIMESTAMPTZ,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_entity ON tasks (entity, entity_id);
CREATE INDEX tasks_open ON tasks (assignee_id, due_at) WHERE done_at IS NULL;

CREATE TABLE activities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('lead', 'contact', 'company', 'deal')),
    entity_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'email', 'message', 'note')),
    text TEXT,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    manager_id BIGINT REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX activities_entity ON activities (entity, entity_id, at);

CREATE TABLE notification_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    leased_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE status = 'pending';
