-- A contact's past companies (issue 16: a job change). When a known person writes from a new
-- company, the contact moves to it and the company it left is kept here with the date.
CREATE TABLE contact_companies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    company_id BIGINT REFERENCES companies (id),
    company_name TEXT,
    until TIMESTAMPTZ NOT NULL,
    lead_id BIGINT REFERENCES leads (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_companies_contact ON contact_companies (contact_id, until);
