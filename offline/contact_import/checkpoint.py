"""Where a rerun of the same file resumes: checkpoints in the audit log (entity
`contact_import`, keyed by the file's SHA-256), written in each batch's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_core.model import AuditEntry
from crm_core.storage.ports import UnitOfWork
from offline.clock import utcnow
from offline.contact_import.const import ACTOR, CHECKPOINT_ENTITY
from offline.contact_import.reader import ImportFile
from offline.contact_import.summary import Tally


async def read_checkpoint(uow: UnitOfWork, file: ImportFile) -> tuple[int, datetime | None]:
    """(last line committed by earlier runs, when the file was completed if it was)."""
    through, completed = 0, None
    for entry in await uow.audit.for_entity(CHECKPOINT_ENTITY, file.key):
        after = entry.after or {}
        if after.get("sha256") != file.sha256:
            continue
        through = max(through, int(after.get("through_line", 0)))
        if entry.action == "completed":
            completed = entry.at
    return through, completed


async def save_checkpoint(uow: UnitOfWork, file: ImportFile, batch: Tally, done: bool) -> None:
    """Record the batch's last line (and, when `done`, that the file is complete)."""
    if batch.rows == 0 and not done:
        return
    after: dict[str, Any] = {
        "sha256": file.sha256,
        "file": file.path.name,
        "format": file.format,
        **batch.counts(),
    }
    if batch.rows:
        after["through_line"] = batch.last_line
    await uow.audit.add_many(
        [
            AuditEntry(
                ACTOR,
                CHECKPOINT_ENTITY,
                file.key,
                "completed" if done else "batch",
                utcnow(),
                after=after,
            )
        ]
    )
