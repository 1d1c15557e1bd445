-- CRM connectors (Bitrix24, amoCRM): a connector is a webhook subscription whose deliveries
-- call the remote CRM instead of POSTing the event, so it shares the outbox rows, leases,
-- per-entity ordering, retries, dead letters and replay of plain webhooks.
--
-- `connector` is the kind ('bitrix24', 'amocrm'); NULL for a plain webhook.
ALTER TABLE webhook_subscriptions ADD COLUMN connector TEXT;
-- JSON: the name of the environment variable holding its secret and the head's mapping.
ALTER TABLE webhook_subscriptions ADD COLUMN connector_config TEXT;

-- Our records as the remote CRM knows them: (connector, kind of record, our id) -> its id.
CREATE TABLE connector_links (
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    entity TEXT COLLATE "C" NOT NULL,
    local_id BIGINT NOT NULL,
    remote_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscription_id, entity, local_id)
);
