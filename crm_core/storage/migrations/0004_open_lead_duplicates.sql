-- A message from a person whose earlier lead is still open is attached to that lead.
ALTER TABLE leads ADD COLUMN duplicate_of_id BIGINT REFERENCES leads (id);
CREATE INDEX leads_duplicate_of ON leads (duplicate_of_id);
CREATE INDEX leads_duplicate_check ON leads (dedupe_decision, id);
