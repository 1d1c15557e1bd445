-- Files a manager attaches to a message to the client. The file is stored in the same
-- transaction as its outgoing message (so a message is never sent without its file, and a
-- restart loses neither); `attachments` on the message lists them (name, content type,
-- size, sha256) so reading a conversation never loads the contents.
ALTER TABLE outgoing_messages ADD COLUMN attachments JSON;

-- postgres:
CREATE TABLE outgoing_attachments (
    message_id BIGINT NOT NULL REFERENCES outgoing_messages (id),
    position BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (message_id, position)
);
-- sqlite:
-- A rowid table, not WITHOUT ROWID: SQLite advises against that for rows this large.
CREATE TABLE outgoing_attachments (
    message_id INTEGER NOT NULL REFERENCES outgoing_messages (id),
    position INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (message_id, position)
);
-- end
