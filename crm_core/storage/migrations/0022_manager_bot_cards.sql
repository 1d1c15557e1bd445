-- The managers' bot: the new-lead card each manager was sent, so it can be edited when the
-- lead changes (closed_at: its buttons were removed) and so the client's messages and the
-- manager's replies thread under it. One card per lead and manager (a newer one replaces it).
CREATE TABLE manager_bot_cards (
    lead_id BIGINT NOT NULL REFERENCES leads (id),
    manager_id BIGINT NOT NULL REFERENCES managers (id),
    chat_id TEXT COLLATE "C" NOT NULL,
    message_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    PRIMARY KEY (lead_id, manager_id)
);
CREATE UNIQUE INDEX manager_bot_cards_message ON manager_bot_cards (chat_id, message_id);
