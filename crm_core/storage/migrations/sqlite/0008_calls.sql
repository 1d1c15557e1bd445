-- One row per provider call, folded from its events (facts), and what became of it.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    call_id TEXT NOT NULL,
    direction TEXT CHECK (direction IN ('in', 'out', 'internal')),
    caller TEXT,
    callee TEXT,
    line TEXT,
    extension TEXT,
    outcome TEXT CHECK (outcome IN ('answered', 'missed', 'busy', 'failed')),
    started_at TEXT,
    answered_at TEXT,
    ended_at TEXT,
    duration_seconds INTEGER,
    talk_seconds INTEGER,
    recording_ref TEXT,
    facts TEXT NOT NULL DEFAULT '[]',
    completed_at TEXT,
    lead_id INTEGER REFERENCES leads (id),
    entity TEXT CHECK (entity IN ('lead', 'deal')),
    entity_id INTEGER,
    manager_id INTEGER REFERENCES managers (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider, call_id)
);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_lead ON calls (lead_id);
