-- Invoices (счета) on a deal, made from an accepted quote or directly, numbered per year by
-- document_counters (kind 'invoice'), and the payments that settle them.
--
-- Money as whole kopecks, quantities as thousandths, percentages as hundredths of a percent,
-- as in 0030_catalogue.sql. The seller's and the buyer's requisites are copied onto the
-- invoice when it is made (JSON), so a later change of the settings or the company record
-- leaves an issued invoice as it was sent.
CREATE TABLE invoices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    quote_id BIGINT REFERENCES quotes (id),
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (
        status IN ('draft', 'issued', 'partially_paid', 'paid', 'rejected', 'cancelled')
    ),
    vat_mode TEXT NOT NULL CHECK (vat_mode IN ('per_line', 'on_total', 'included')),
    discount_bp BIGINT NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
    -- ISO dates (YYYY-MM-DD) in the company's time zone.
    invoice_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts (id),
    company_id BIGINT REFERENCES companies (id),
    seller JSONB NOT NULL,
    buyer JSONB NOT NULL,
    -- The buyer's INN, apart, for matching a payment by its payer.
    buyer_inn TEXT,
    subtotal_kopecks BIGINT NOT NULL,
    vat_kopecks BIGINT NOT NULL,
    total_kopecks BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX invoices_deal ON invoices (deal_id, id);
CREATE INDEX invoices_buyer_inn ON invoices (buyer_inn) WHERE buyer_inn IS NOT NULL;

CREATE TABLE invoice_lines (
    invoice_id BIGINT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    product_id BIGINT,
    name TEXT NOT NULL,
    sku TEXT,
    unit TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL CHECK (quantity_milli > 0),
    price_kopecks BIGINT NOT NULL CHECK (price_kopecks >= 0),
    discount_bp BIGINT NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
    vat_rate TEXT NOT NULL CHECK (vat_rate IN ('none', '0', '10', '20')),
    delivery BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (invoice_id, position)
);

-- A payment received: entered by hand or read from a bank statement. It settles the invoice
-- it is matched to; an unmatched one (invoice_id NULL) waits for a person.
CREATE TABLE payments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id BIGINT REFERENCES invoices (id),
    amount_kopecks BIGINT NOT NULL CHECK (amount_kopecks > 0),
    paid_on TEXT NOT NULL,
    document_number TEXT,
    payer_name TEXT,
    payer_inn TEXT,
    purpose TEXT,
    source TEXT NOT NULL CHECK (source IN ('manual', 'import')),
    -- A statement's payment is the same payment when its date, number, amount and payer's INN
    -- are: importing a statement again records nothing twice. NULL for payments by hand.
    identity_key TEXT COLLATE "C" UNIQUE,
    matched_by TEXT,
    matched_at TIMESTAMPTZ,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id, id);
CREATE INDEX payments_unmatched ON payments (id) WHERE invoice_id IS NULL;
