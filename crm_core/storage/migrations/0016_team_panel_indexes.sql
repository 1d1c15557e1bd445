-- The head's team panel (Команда) reads each manager's open leads, recent takes and open deals
-- from these indexes alone, without reading the wide lead and deal rows.
CREATE INDEX leads_open_by_assignee ON leads (status, assignee_id);
CREATE INDEX leads_taken_by_assignee ON leads (assignee_id, created_at, taken_at)
    WHERE taken_at IS NOT NULL;
CREATE INDEX deals_open_by_owner ON deals (owner_id, currency, amount) WHERE status = 'open';
