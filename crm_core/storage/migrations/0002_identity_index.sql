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
ALTER TABLE leads ADD COLUMN dedupe_score DOUBLE PRECISION;
ALTER TABLE leads ADD COLUMN dedupe_explanation TEXT;
ALTER TABLE leads ADD COLUMN is_repeat BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX leads_contact ON leads (contact_id);

CREATE TABLE identity_keys (
    key TEXT COLLATE "C" NOT NULL,
    entity TEXT NOT NULL CHECK (entity IN ('contact', 'company', 'lead')),
    entity_id BIGINT NOT NULL,
    PRIMARY KEY (key, entity, entity_id)
);
CREATE INDEX identity_keys_owner ON identity_keys (entity, entity_id);

CREATE TABLE identity_key_counts (
    key TEXT COLLATE "C" NOT NULL,
    entity TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (key, entity)
);

CREATE TABLE identity_rejections (
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    key TEXT COLLATE "C" NOT NULL,
    manager_id BIGINT REFERENCES managers (id),
    lead_id BIGINT REFERENCES leads (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (contact_id, key)
);
