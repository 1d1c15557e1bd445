"""`leadintake import-contacts`: contacts from a JSONL or CSV export, through the duplicate
detector the leads go through.

Every record is decided against the database as it stands, including the contacts this
file created a moment earlier: `auto` merges the record into the known contact (adding the
phones, e-mails and messenger ids it did not have), `review` and `new` create a contact.
Work is committed in batches; each batch also appends a checkpoint to the audit log
(entity `contact_import`, keyed by the file's SHA-256) in the same transaction, so a rerun
of the same file resumes after the last committed line and never imports a line twice.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from crm_core.contacts import (
    PreparedContact,
    add_companies,
    add_contacts,
    prepare_company,
    prepare_contact,
)
from crm_core.importing import filled_blanks, find_company, live_contact
from crm_core.matching import learn_identifiers, reindex_contact
from crm_core.model import AuditEntry, Contact
from crm_core.storage import Storage
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Decision, Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.profile import RawIdentity
from offline.clock import utcnow
from offline.contact_import.checkpoint import read_checkpoint, save_checkpoint
from offline.contact_import.const import ACTOR, BATCH
from offline.contact_import.progress import Meter
from offline.contact_import.reader import ImportFile, ImportFileError
from offline.contact_import.summary import ImportReport, Tally
from offline.csv_input import FileFormatError, ImportRow


class UnknownOwner(Exception):
    """`--owner` names no active manager."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What `import-contacts` was asked to do."""

    path: Path
    format: str | None = None
    owner: str | None = None
    dry_run: bool = False
    stop_after: int | None = None
    batch_size: int = BATCH


async def import_contacts(
    storage: Storage,
    file: ImportFile,
    options: ImportOptions,
    region: str,
    thresholds: Thresholds,
    progress: TextIO = sys.stderr,
) -> ImportReport:
    """Import the records the file's earlier runs did not commit; batch by batch."""
    report = ImportReport(file, options.dry_run)
    async with storage.transaction() as uow:
        owner_id = await _owner_id(uow, options.owner)
        report.resumed_after, report.already_complete = await read_checkpoint(uow, file)
    if report.already_complete is not None:
        return report
    importer = _Importer(file, region, Detector(thresholds), owner_id)
    rows = (row for row in file.rows() if row.line > report.resumed_after)
    meter = Meter(progress, file.lines)
    try:
        if options.dry_run:
            await _dry_run(storage, importer, rows, options, report, meter)
        else:
            await _import(storage, importer, rows, options, report, meter)
    except FileFormatError as err:
        raise ImportFileError(str(err)) from err
    finally:
        meter.close()
    return report


async def _import(
    storage: Storage,
    importer: _Importer,
    rows: Iterator[ImportRow],
    options: ImportOptions,
    report: ImportReport,
    meter: Meter,
) -> None:
    while True:
        size = _next_size(options, report.done.rows)
        if size == 0:
            report.stopped = True
            return
        batch = Tally()
        async with storage.transaction() as uow:
            finished = await importer.run(uow, islice(rows, size), size, batch, meter)
            await save_checkpoint(uow, importer.file, batch, finished)
        report.done.add(batch)
        if finished:
            return
        # The SQLite writer runs inline and never suspends, so Ctrl-C (a task cancellation
        # under asyncio.run) can only land here, between committed batches.
        await asyncio.sleep(0)


class _DryRunDone(Exception):
    """Raised to roll the dry run's single transaction back."""


async def _dry_run(
    storage: Storage,
    importer: _Importer,
    rows: Iterator[ImportRow],
    options: ImportOptions,
    report: ImportReport,
    meter: Meter,
) -> None:
    # One transaction, rolled back: later records must see the contacts earlier ones would
    # have created. On SQLite it runs on a copy of the database, so the service's writer is
    # never blocked; on PostgreSQL other writers wait only on the same identity keys.
    try:
        async with storage.transaction() as uow:
            while size := _next_size(options, report.done.rows):
                batch = Tally()
                finished = await importer.run(uow, islice(rows, size), size, batch, meter)
                report.done.add(batch)
                if finished:
                    break
                await asyncio.sleep(0)  # let Ctrl-C in (see _import)
            else:
                report.stopped = True
            raise _DryRunDone
    except _DryRunDone:
        pass


def _next_size(options: ImportOptions, done: int) -> int:
    if options.stop_after is None:
        return options.batch_size
    return max(0, min(options.batch_size, options.stop_after - done))


class _Importer:
    """Decides and stores records one at a time inside the caller's transaction."""

    def __init__(
        self, file: ImportFile, region: str, detector: Detector, owner_id: int | None
    ) -> None:
        self.file = file
        self._region = region
        self._detector = detector
        self._owner_id = owner_id

    async def run(
        self,
        uow: UnitOfWork,
        rows: Iterator[ImportRow],
        size: int,
        tally: Tally,
        meter: Meter,
    ) -> bool:
        """Handle up to `size` rows; True when the file has no more."""
        now = utcnow()
        for row in rows:
            await self._one(uow, row, tally, now)
            tally.rows += 1
            tally.last_line = row.line
            meter.update(row.line)
        return tally.rows < size

    async def _one(self, uow: UnitOfWork, row: ImportRow, tally: Tally, now: datetime) -> None:
        if row.raw is None:
            tally.reject(row.line, row.problem or "unreadable")
            return
        prepared = prepare_contact(
            row.raw,
            self._region,
            owner_id=self._owner_id,
            external_ref=f"{self.file.ref}:{row.line}",
        )
        problem = _unusable(row.raw, prepared)
        if problem is not None:
            tally.reject(row.line, problem)
            return
        decision = await self._detector.detect(prepared.profile, uow.identity)
        if decision.verdict is Verdict.AUTO and decision.contact_id is not None:
            contact = await live_contact(uow, decision.contact_id)
            if contact is not None:
                await self._merge(uow, row, prepared, contact, tally, now)
                return
        await self._create(uow, row, prepared, decision, tally, now)

    async def _create(
        self,
        uow: UnitOfWork,
        row: ImportRow,
        prepared: PreparedContact,
        decision: Decision,
        tally: Tally,
        now: datetime,
    ) -> None:
        assert row.raw is not None
        company_id = await self._company(uow, row, tally, now)
        if company_id is not None:
            prepared = PreparedContact(
                replace(prepared.record, company_id=company_id), prepared.profile
            )
        [contact_id] = await add_contacts(uow, [prepared], now)
        review = decision.verdict is Verdict.REVIEW
        if review:
            tally.review += 1
        else:
            tally.created += 1
        after: dict[str, Any] = {"import": self.file.ref, "line": row.line, "ref": row.ref}
        if review:
            after["dedupe"] = decision.explanation()
        await uow.audit.add_many(
            [AuditEntry(ACTOR, "contact", contact_id, "imported", now, after=after)]
        )

    async def _merge(
        self,
        uow: UnitOfWork,
        row: ImportRow,
        prepared: PreparedContact,
        contact: Contact,
        tally: Tally,
        now: datetime,
    ) -> None:
        within = await self._imported_here(uow, contact.id)
        if within:
            tally.merged_within += 1
        else:
            tally.merged_existing += 1
        learned = await learn_identifiers(uow, contact, prepared.profile, now)
        if learned:
            contact = await live_contact(uow, contact.id) or contact
        # A company is looked up (or created) only for a contact that has none.
        company_id = (
            contact.company_id
            if contact.company_id is not None
            else await self._company(uow, row, tally, now)
        )
        filled = filled_blanks(contact, prepared.record, company_id)
        if filled != contact:
            await reindex_contact(uow, filled, now)
        if learned or filled != contact:
            tally.enriched += 1
        after = {
            "import": self.file.ref,
            "line": row.line,
            "ref": row.ref,
            "added": sorted(learned)
            + [f for f in ("name", "company_id") if _changed(contact, filled, f)],
        }
        await uow.audit.add_many(
            [AuditEntry(ACTOR, "contact", contact.id, "import_merged", now, after=after)]
        )

    async def _imported_here(self, uow: UnitOfWork, contact_id: int) -> bool:
        entries = await uow.audit.for_entity("contact", contact_id)
        return any(
            e.action == "imported" and (e.after or {}).get("import") == self.file.ref
            for e in entries
        )

    async def _company(
        self, uow: UnitOfWork, row: ImportRow, tally: Tally, now: datetime
    ) -> int | None:
        """The company named on the row: found by INN, else by name, else created."""
        assert row.raw is not None
        if not (row.raw.company or row.raw.inn):
            return None
        prepared = prepare_company(
            RawIdentity(company=row.raw.company, inn=row.raw.inn),
            self._region,
            owner_id=self._owner_id,
            external_ref=f"{self.file.ref}:{row.line}",
        )
        inn, name_key = prepared.profile.inn, prepared.profile.company.key
        if inn is None and name_key is None:
            return None
        found = await find_company(uow, inn, name_key)
        if found is not None:
            return found
        [company_id] = await add_companies(uow, [prepared], now)
        tally.companies += 1
        return company_id


def _changed(before: Contact, after: Contact, name: str) -> bool:
    return bool(getattr(before, name) != getattr(after, name))


def _unusable(raw: RawIdentity, prepared: PreparedContact) -> str | None:
    r = prepared.record
    if r.name or r.phones or r.emails or r.identities:
        return None
    dropped = [
        label
        for label, given in (
            ("phone", raw.phones),
            ("e-mail", raw.emails),
            ("Telegram", raw.telegram_id or raw.telegram_username),
            ("VK", raw.vk_id),
        )
        if given
    ]
    reason = "no name and no phone, e-mail, Telegram or VK id"
    if dropped:
        reason += f" ({', '.join(dropped)} given but not recognised)"
    return reason


async def _owner_id(uow: UnitOfWork, login: str | None) -> int | None:
    if login is None:
        return None
    manager = await uow.managers.get_by_login(login)
    if manager is None or not manager.active:
        raise UnknownOwner(f"no active manager with login {login!r}")
    return manager.id
