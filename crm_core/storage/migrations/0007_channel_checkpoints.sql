-- Where a channel that fetches its own events has got to (an IMAP folder's last UID under its
-- UIDVALIDITY, later a VK long-poll ts): one row per channel and key, written after the
-- events up to it are committed to the inbox.
CREATE TABLE channel_checkpoints (
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, key)
);
