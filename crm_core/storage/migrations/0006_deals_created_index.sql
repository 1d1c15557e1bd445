-- The funnel report reads a pipeline's deals created in a period.
CREATE INDEX deals_pipeline_created ON deals (pipeline, created_at);
