-- The sales setup lives in the database once seeded from the TOML file at the first start
-- (managers now; queues, pipelines and forms follow as further kinds). Each object is stored
-- as its TOML-shaped document (JSON text) with a version of its own for optimistic editing;
-- sales_settings_state holds the global version every process polls to re-read the team.
CREATE TABLE sales_settings (
    kind TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);

-- Which kinds were seeded from the file (and from which file): seeded kinds ignore the file.
CREATE TABLE sales_settings_seeds (
    kind TEXT COLLATE "C" PRIMARY KEY,
    seeded_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL
);

-- One row (id 1), written by the first change; no row reads as version 0.
CREATE TABLE sales_settings_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
