-- What an outgoing message answers, for channels whose replies refer to the client's message
-- (e-mail: the Message-ID, References and subject it threads under, and the quoted original).
-- Fixed when the message is queued, so every retry sends the same reply.
ALTER TABLE outgoing_messages ADD COLUMN reply_context JSON;
