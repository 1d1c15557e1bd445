-- Manual merges of contacts: the merged contact stays (pointing at its survivor) so a merge
-- can be undone from the journal's snapshots.
ALTER TABLE contacts ADD COLUMN merged_into_id INTEGER REFERENCES contacts (id);

CREATE TABLE contact_merges (
    id INTEGER PRIMARY KEY,
    survivor_id INTEGER NOT NULL REFERENCES contacts (id),
    merged_id INTEGER NOT NULL REFERENCES contacts (id),
    actor TEXT NOT NULL,
    survivor_before TEXT NOT NULL,
    merged_before TEXT NOT NULL,
    moved_leads TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX contact_merges_survivor ON contact_merges (survivor_id);
