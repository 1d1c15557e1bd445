-- Bulk base loads (offline/base_load.py) append identity keys here, unindexed, and move them
-- into identity_keys and identity_key_counts in key order once at the end: inserting them
-- transaction by transaction dirtied most of the index's pages at every commit (300 s for a
-- million contacts). Empty except while a bulk load runs (or after one was interrupted: the
-- next load's merge takes its keys too).
CREATE TABLE identity_key_backlog (
    key TEXT COLLATE "C" NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL
);
