-- One person's open leads joined into the earliest (issue 16: a chain of channels). The
-- joined lead stays, attached to its survivor; the journal keeps what the join changed so
-- it can be undone: the joined lead's state and index keys, the survivor's contact fields
-- and keys before, and the activities, tasks and attached leads that moved.
CREATE TABLE lead_joins (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survivor_id BIGINT NOT NULL REFERENCES leads (id),
    joined_id BIGINT NOT NULL REFERENCES leads (id),
    by_lead_id BIGINT REFERENCES leads (id),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    before TEXT NOT NULL,
    moved TEXT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    undone_by TEXT
);
CREATE INDEX lead_joins_survivor ON lead_joins (survivor_id);
CREATE INDEX lead_joins_joined ON lead_joins (joined_id);
