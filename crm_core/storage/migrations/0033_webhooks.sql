-- Outbound webhooks: a head's subscriptions and one delivery row per event and subscription.
--
-- A delivery row is written in the transaction of the change it reports (crm_core/webhooks.py),
-- so a rolled-back change sends nothing and a committed one is never lost. `message_id` is the
-- Standard Webhooks `webhook-id`: the same on every attempt, so receivers dedupe on it.
CREATE TABLE webhook_subscriptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT NOT NULL,
    -- The event types, as a JSON array of strings.
    events TEXT NOT NULL,
    -- Needed in clear to sign; shown to the head once, when the subscription is created.
    secret TEXT NOT NULL,
    queue TEXT,
    pipeline TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    -- Why the service disabled it (a receiver answered 410 Gone); NULL when a head did.
    disabled_reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    message_id TEXT COLLATE "C" NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- Deliveries of one subscription with the same key go out in id order ('lead:12').
    entity_key TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    -- When it was queued or last replayed: retries stop (dead letter) the configured time
    -- after this (3 days by default).
    queued_at TIMESTAMPTZ NOT NULL,
    leased_until TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    response_status INTEGER,
    response_body TEXT,
    latency_ms INTEGER,
    last_error TEXT
);
-- The claim takes a pending delivery only when no earlier one of its subscription and entity
-- is still pending: this index answers that from the pending rows alone.
CREATE INDEX webhook_deliveries_pending_by_entity
    ON webhook_deliveries (subscription_id, entity_key, id) WHERE status = 'pending';
-- The claim and the look for due work walk a subscription's pending rows oldest first and stop
-- at the first ones due: a backlog of thousands costs a few rows per claim, not all of them.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, status, id);

-- Tasks whose going overdue was reported (per due time: a task moved and missed again is
-- reported again).
CREATE TABLE webhook_overdue_tasks (
    task_id BIGINT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (task_id, due_at)
);
