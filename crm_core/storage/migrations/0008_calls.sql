-- One row per provider call, folded from its events (facts), and what became of it.
CREATE TABLE calls (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    call_id TEXT NOT NULL,
    direction TEXT CHECK (direction IN ('in', 'out', 'internal')),
    caller TEXT,
    callee TEXT,
    line TEXT,
    extension TEXT,
    outcome TEXT CHECK (outcome IN ('answered', 'missed', 'busy', 'failed')),
    started_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    duration_seconds INTEGER,
    talk_seconds INTEGER,
    recording_ref TEXT,
    facts JSONB NOT NULL DEFAULT '[]',
    completed_at TIMESTAMPTZ,
    lead_id BIGINT REFERENCES leads (id),
    entity TEXT CHECK (entity IN ('lead', 'deal')),
    entity_id BIGINT,
    manager_id BIGINT REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, call_id)
);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_lead ON calls (lead_id);
