-- The managers' Telegram bot: one-time linking tokens (only their sha256 is stored, each used
-- once before it expires) and the Telegram account each manager linked. A linked chat takes
-- the place of the configured telegram_chat_id for notifications.
CREATE TABLE manager_bot_links (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE TABLE manager_telegram_accounts (
    manager_id BIGINT PRIMARY KEY REFERENCES managers (id),
    telegram_user_id BIGINT NOT NULL UNIQUE,
    chat_id TEXT NOT NULL,
    linked_at TIMESTAMPTZ NOT NULL
);
