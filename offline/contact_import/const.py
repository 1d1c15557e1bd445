"""Constants of `import-contacts`."""

from __future__ import annotations

BATCH = 200
ACTOR = "import"
CHECKPOINT_ENTITY = "contact_import"
LISTED_REJECTIONS = 20
PROGRESS_EVERY_SECONDS = 0.2
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}
