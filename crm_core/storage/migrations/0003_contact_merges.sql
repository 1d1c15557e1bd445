-- Manual merges of contacts and of companies: the merged record stays (pointing at its
-- survivor) so a merge can be undone from the journal's snapshots.
ALTER TABLE contacts ADD COLUMN merged_into_id BIGINT REFERENCES contacts (id);
ALTER TABLE companies ADD COLUMN merged_into_id BIGINT REFERENCES companies (id);

CREATE TABLE merges (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('contact', 'company')),
    survivor_id BIGINT NOT NULL,
    merged_id BIGINT NOT NULL,
    actor TEXT NOT NULL,
    survivor_before TEXT NOT NULL,
    merged_before TEXT NOT NULL,
    moved TEXT NOT NULL,
    merged_at TIMESTAMPTZ NOT NULL,
    undone_at TIMESTAMPTZ,
    undone_by TEXT
);
CREATE INDEX merges_survivor ON merges (entity, survivor_id);
