-- Queues, pipelines and forms keep the file's order (the first queue and pipeline are the
-- defaults), so every stored setting has a position within its kind; new ones go last.
ALTER TABLE sales_settings ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
