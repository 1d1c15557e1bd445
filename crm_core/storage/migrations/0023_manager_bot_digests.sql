-- The managers' bot's morning digest: the manager's local day it was last sent for. A process
-- claims a day by moving last_day forward (one UPSERT), so several processes send it once.
CREATE TABLE manager_bot_digests (
    manager_id BIGINT PRIMARY KEY REFERENCES managers (id),
    last_day TEXT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);
