-- The journal of erasures of a person's data (152-FZ): who erased, when, on what request
-- and how many rows of which table were anonymised. Never the person's data: `subject` is
-- only which kind of identifier the request named ("phone" or "email"), and `counts` a
-- JSON object of table name to row count.
CREATE TABLE person_erasures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('request', 'retention')),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    subject TEXT NOT NULL,
    counts TEXT NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL
);
