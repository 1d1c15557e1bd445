"""Where each kind of the sales setup is served: /api/v1/settings/<kind>."""

from __future__ import annotations

from config.sales_documents import JUNK_REASONS

# A kind whose path is not its name (paths use '-', kinds '_').
_PATHS = {JUNK_REASONS: "junk-reasons"}


def document_path(kind: str) -> str:
    """The API path of a kind's list: /api/v1/settings/queues, .../junk-reasons."""
    return f"/api/v1/settings/{_PATHS.get(kind, kind)}"
