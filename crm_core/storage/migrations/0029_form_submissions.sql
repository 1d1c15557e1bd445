-- The last submission each website form received and what became of it (accepted, or
-- rejected and why), for the head's forms page. No personal data: the outcome, the reason
-- code, the HTTP status, the field a refusal named and the inbox id of an accepted one.
CREATE TABLE form_last_submissions (
    form_key TEXT COLLATE "C" PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    http_status INTEGER NOT NULL,
    field TEXT,
    intake_id BIGINT
);
