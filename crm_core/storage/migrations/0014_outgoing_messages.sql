-- Messages a manager sends to a client through the channel the client wrote in (Telegram,
-- VK): an outbox stored in the same transaction as the message's activity on the record,
-- drained by the replies dispatcher. `account` is the bot or community the client wrote to,
-- `address` the chat or peer there. The idempotency key is unique, so a retried request
-- stores nothing twice; a row is sent by whoever holds its lease and marked sent only on the
-- platform's answer (its message id).
CREATE TABLE outgoing_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('lead', 'contact', 'deal')),
    entity_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    channel TEXT COLLATE "C" NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    text TEXT NOT NULL,
    idempotency_key TEXT COLLATE "C" NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    leased_until TIMESTAMPTZ,
    platform_message_id TEXT,
    last_error TEXT,
    created_by BIGINT REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outgoing_messages_due ON outgoing_messages (next_attempt_at) WHERE state = 'queued';
CREATE INDEX outgoing_messages_activity ON outgoing_messages (activity_id);
