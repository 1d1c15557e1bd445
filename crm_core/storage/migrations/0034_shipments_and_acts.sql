-- Closing documents of an invoice: shipments (товарная накладная, kind 'shipment') of its
-- goods and acts (акт выполненных работ, kind 'act') of its services, numbered per year by
-- document_counters (kinds 'shipment' and 'act').
--
-- A document names the invoice lines it closes by position: an invoice's lines never change
-- once it is made, so the printed document shows them as the invoice does. A line is closed
-- by at most one live (draft or done) document; a cancelled one frees its lines.
CREATE TABLE closing_documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    kind TEXT NOT NULL CHECK (kind IN ('shipment', 'act')),
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'done', 'cancelled')),
    -- ISO date (YYYY-MM-DD) in the company's time zone.
    document_date TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (kind, year, sequence)
);
CREATE INDEX closing_documents_deal ON closing_documents (deal_id, id);
CREATE INDEX closing_documents_invoice ON closing_documents (invoice_id, id);

CREATE TABLE closing_document_lines (
    document_id BIGINT NOT NULL REFERENCES closing_documents (id) ON DELETE CASCADE,
    invoice_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (document_id, position),
    FOREIGN KEY (invoice_id, position) REFERENCES invoice_lines (invoice_id, position)
);
CREATE INDEX closing_document_lines_invoice ON closing_document_lines (invoice_id, position);
