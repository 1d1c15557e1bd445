-- The catalogue (products and services, price lists with a product's price per list) and
-- the first document built on it: quotes (КП) on a deal, numbered per year.
--
-- Money is stored as whole kopecks (BIGINT), quantities as thousandths and percentages as
-- hundredths of a percent: exact integers on both databases (SQLite's NUMERIC would keep
-- such values as binary floating point), summed exactly by SQL. The repositories turn them
-- into Decimal at the boundary.
CREATE TABLE products (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('product', 'service')),
    unit TEXT NOT NULL,
    sku TEXT COLLATE "C" UNIQUE,
    price_kopecks BIGINT NOT NULL CHECK (price_kopecks >= 0),
    vat_rate TEXT NOT NULL CHECK (vat_rate IN ('none', '0', '10', '20')),
    vat_included BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT,
    -- The name and SKU case-folded by the service (ё as е), for a search and an order that
    -- treat Cyrillic the same on both databases (SQLite's lower() folds ASCII only).
    search_text TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX products_order ON products (search_text, id);

CREATE TABLE price_lists (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- A product's price in a price list (a product without a row here sells at its own price).
CREATE TABLE product_prices (
    price_list_id BIGINT NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price_kopecks BIGINT NOT NULL CHECK (price_kopecks >= 0),
    PRIMARY KEY (price_list_id, product_id)
);
CREATE INDEX product_prices_product ON product_prices (product_id);

-- Per document kind and year, the last number given. A document takes its number by
-- updating this row in its own transaction: concurrent documents wait for each other (no
-- duplicate) and a rolled-back one gives its number back (no gap).
CREATE TABLE document_counters (
    kind TEXT COLLATE "C" NOT NULL,
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);

CREATE TABLE quotes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected')),
    vat_mode TEXT NOT NULL CHECK (vat_mode IN ('per_line', 'on_total', 'included')),
    discount_bp BIGINT NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
    price_list_id BIGINT REFERENCES price_lists (id) ON DELETE SET NULL,
    -- An ISO date (YYYY-MM-DD): the last day the offer holds.
    valid_until TEXT,
    contact_id BIGINT REFERENCES contacts (id),
    company_id BIGINT REFERENCES companies (id),
    subtotal_kopecks BIGINT NOT NULL,
    vat_kopecks BIGINT NOT NULL,
    total_kopecks BIGINT NOT NULL,
    rejection_reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX quotes_deal ON quotes (deal_id, id);

-- A quote's lines as entered (the amounts follow from them by crm_core.money); the product
-- is a copy, so a product changed or deleted later leaves the quote as it was sent.
CREATE TABLE quote_lines (
    quote_id BIGINT NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
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
    PRIMARY KEY (quote_id, position)
);
