-- Duplicate detection: several phones/e-mails and messenger ids per contact and company,
-- the identity-key index with frequency counts, the detector's decision on each lead,
-- and the team's "not the same person" answers.
ALTER TABLE contacts ADD COLUMN phones TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contacts ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contacts ADD COLUMN telegram_id TEXT;
ALTER TABLE contacts ADD COLUMN telegram_username TEXT;
ALTER TABLE contacts ADD COLUMN vk_id TEXT;
ALTER TABLE contacts ADD COLUMN company_name TEXT;
ALTER TABLE contacts ADD COLUMN external_ref TEXT;
CREATE INDEX contacts_company ON contacts (company_id);

ALTER TABLE companies ADD COLUMN phones TEXT NOT NULL DEFAULT '[]';
ALTER TABLE companies ADD COLUMN emails TEXT NOT NULL DEFAULT '[]';
ALTER TABLE companies ADD COLUMN website TEXT;
ALTER TABLE companies ADD COLUMN external_ref TEXT;

ALTER TABLE leads ADD COLUMN dedupe_decision TEXT;
ALTER TABLE leads ADD COLUMN dedupe_score REAL;
ALTER TABLE leads ADD COLUMN dedupe_explanation TEXT;
ALTER TABLE leads ADD COLUMN is_repeat INTEGER NOT NULL DEFAULT 0;
CREATE INDEX leads_contact ON leads (contact_id);

CREATE TABLE identity_keys (
    key TEXT NOT NULL,
    entity TEXT NOT NULL CHECK (entity IN ('contact', 'company', 'lead')),
    entity_id INTEGER NOT NULL,
    PRIMARY KEY (key, entity, entity_id)
) WITHOUT ROWID;
CREATE INDEX identity_keys_owner ON identity_keys (entity, entity_id);

CREATE TABLE identity_key_counts (
    key TEXT NOT NULL,
    entity TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (key, entity)
) WITHOUT ROWID;

CREATE TABLE identity_rejections (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    key TEXT NOT NULL,
    manager_id INTEGER REFERENCES managers (id),
    lead_id INTEGER REFERENCES leads (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, key)
) WITHOUT ROWID;
