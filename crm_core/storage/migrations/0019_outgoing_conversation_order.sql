-- Messages to one chat (peer, address) go out in the order they were stored: a queued message
-- is claimed only when no earlier one to the same (channel, account, address) is still
-- queued. This index answers that check from the queued rows alone.
CREATE INDEX outgoing_messages_queued_by_chat ON outgoing_messages (channel, account, address, id)
    WHERE state = 'queued';
