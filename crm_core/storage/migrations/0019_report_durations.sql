-- Reports rank the wait from a lead's creation to its first take and the time a deal spent in
-- a stage, tens of thousands at a time: kept in whole microseconds beside the timestamps, so a
-- report sorts integers instead of parsing dates (SQLite keeps them as text). Negative spans
-- (another host's clock stamped a row) count as zero; NULL while the span is still open.
-- PostgreSQL derives them itself; SQLite cannot add a stored generated column, so triggers
-- keep them whatever statement writes the timestamps.
-- postgres:
ALTER TABLE leads ADD COLUMN take_wait_us BIGINT GENERATED ALWAYS AS (CASE WHEN taken_at IS NULL THEN NULL ELSE GREATEST(CAST(EXTRACT(EPOCH FROM (taken_at - created_at)) * 1000000 AS BIGINT), 0) END) STORED;
ALTER TABLE deal_stages ADD COLUMN duration_us BIGINT GENERATED ALWAYS AS (CASE WHEN left_at IS NULL THEN NULL ELSE GREATEST(CAST(EXTRACT(EPOCH FROM (left_at - entered_at)) * 1000000 AS BIGINT), 0) END) STORED;
-- sqlite:
ALTER TABLE leads ADD COLUMN take_wait_us INTEGER;
ALTER TABLE deal_stages ADD COLUMN duration_us INTEGER;
UPDATE leads SET take_wait_us = MAX((unixepoch(substr(taken_at, 1, 19)) - unixepoch(substr(created_at, 1, 19))) * 1000000 + CAST(substr(taken_at, 21, 6) AS INTEGER) - CAST(substr(created_at, 21, 6) AS INTEGER), 0) WHERE taken_at IS NOT NULL;
UPDATE deal_stages SET duration_us = MAX((unixepoch(substr(left_at, 1, 19)) - unixepoch(substr(entered_at, 1, 19))) * 1000000 + CAST(substr(left_at, 21, 6) AS INTEGER) - CAST(substr(entered_at, 21, 6) AS INTEGER), 0) WHERE left_at IS NOT NULL;
CREATE TRIGGER leads_take_wait_on_insert AFTER INSERT ON leads WHEN NEW.taken_at IS NOT NULL
BEGIN
    UPDATE leads SET take_wait_us = MAX((unixepoch(substr(taken_at, 1, 19)) - unixepoch(substr(created_at, 1, 19))) * 1000000 + CAST(substr(taken_at, 21, 6) AS INTEGER) - CAST(substr(created_at, 21, 6) AS INTEGER), 0) WHERE id = NEW.id;
END;
CREATE TRIGGER leads_take_wait_on_update AFTER UPDATE OF taken_at, created_at ON leads
BEGIN
    UPDATE leads SET take_wait_us = CASE WHEN taken_at IS NULL THEN NULL ELSE MAX((unixepoch(substr(taken_at, 1, 19)) - unixepoch(substr(created_at, 1, 19))) * 1000000 + CAST(substr(taken_at, 21, 6) AS INTEGER) - CAST(substr(created_at, 21, 6) AS INTEGER), 0) END WHERE id = NEW.id;
END;
CREATE TRIGGER deal_stages_duration_on_insert AFTER INSERT ON deal_stages WHEN NEW.left_at IS NOT NULL
BEGIN
    UPDATE deal_stages SET duration_us = MAX((unixepoch(substr(left_at, 1, 19)) - unixepoch(substr(entered_at, 1, 19))) * 1000000 + CAST(substr(left_at, 21, 6) AS INTEGER) - CAST(substr(entered_at, 21, 6) AS INTEGER), 0) WHERE id = NEW.id;
END;
CREATE TRIGGER deal_stages_duration_on_update AFTER UPDATE OF left_at, entered_at ON deal_stages
BEGIN
    UPDATE deal_stages SET duration_us = CASE WHEN left_at IS NULL THEN NULL ELSE MAX((unixepoch(substr(left_at, 1, 19)) - unixepoch(substr(entered_at, 1, 19))) * 1000000 + CAST(substr(left_at, 21, 6) AS INTEGER) - CAST(substr(entered_at, 21, 6) AS INTEGER), 0) END WHERE id = NEW.id;
END;
-- end
-- The lead-quality report reads its tallies and waits from this index alone.
DROP INDEX leads_quality;
CREATE INDEX leads_quality ON leads
    (created_at, assignee_id, channel, source, status, is_repeat, junk_reason, take_wait_us);
-- The funnel reads a cohort's stage history (stage, time spent) from this index alone.
CREATE INDEX deal_stages_report ON deal_stages (deal_id, stage, duration_us);
