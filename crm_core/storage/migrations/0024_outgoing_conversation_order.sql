-- Messages to one chat (peer, address) go out in the order they were stored: a queued message
-- is claimed only when no earlier one to the same (channel, account, address) is still
-- queued. This index answers that check from the queued rows alone.
CREATE INDEX outgoing_messages_queued_by_chat ON outgoing_messages (channel, account, address, id)
    WHERE state = 'queued';
-- The claim walks the queued rows oldest first; without this both databases walked every row
-- ever sent to find them.
CREATE INDEX outgoing_messages_queued ON outgoing_messages (id) WHERE state = 'queued';
