-- The lead-quality report (Отчёты) counts a period's leads by channel, source, status, junk
-- reason and repeat flag, and ranks their waits to the first take, from this index alone,
-- without reading the wide lead rows (a head's 30 days are ~20,000 of them).
CREATE INDEX leads_quality ON leads
    (created_at, assignee_id, channel, source, status, is_repeat, junk_reason, taken_at);
