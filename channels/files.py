"""A message's files as a channel lists them in its meta, for the timeline and downloads.

The files are never downloaded on arrival: each is kept as the reference its platform gives
(a Telegram file_id, a VK URL) under meta["files"], a JSON list read back by
crm_core.replies_model.files_of (which names the same key).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

FILES_META_KEY = "files"


@dataclass(frozen=True, slots=True)
class ListedFile:
    """One file of a message: its name, type and size as the platform told, and `ref`."""

    name: str
    content_type: str
    size: int | None
    ref: str


def files_meta(files: list[ListedFile]) -> dict[str, str]:
    """The meta entry listing the files ({} for none)."""
    if not files:
        return {}
    return {FILES_META_KEY: json.dumps([asdict(f) for f in files], ensure_ascii=False)}
