-- Messenger identities as rows instead of a column per messenger: a new channel's account
-- ids need no migration, and a contact may have several Telegram or VK accounts. The
-- contacts' telegram_id, telegram_username and vk_id move here and their columns go.
CREATE TABLE identities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('contact', 'company', 'lead')),
    entity_id BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    UNIQUE (entity, entity_id, kind, value)
);
CREATE INDEX identities_lookup ON identities (kind, value);

INSERT INTO identities (entity, entity_id, kind, value)
SELECT 'contact', id, 'telegram_id', telegram_id FROM contacts
WHERE telegram_id IS NOT NULL ORDER BY id;
INSERT INTO identities (entity, entity_id, kind, value)
SELECT 'contact', id, 'telegram_username', telegram_username FROM contacts
WHERE telegram_username IS NOT NULL ORDER BY id;
INSERT INTO identities (entity, entity_id, kind, value)
SELECT 'contact', id, 'vk_id', vk_id FROM contacts
WHERE vk_id IS NOT NULL ORDER BY id;

ALTER TABLE contacts DROP COLUMN telegram_id;
ALTER TABLE contacts DROP COLUMN telegram_username;
ALTER TABLE contacts DROP COLUMN vk_id;
