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
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from config import Settings
from crm_core.contacts import (
    PreparedContact,
    add_companies,
    add_contacts,
    prepare_company,
    prepare_contact,
)
from crm_core.matching import learn_identifiers, reindex_contact
from crm_core.model import AuditEntry, Contact
from crm_core.storage import Storage, StorageUnavailable
from crm_core.storage.ports import UnitOfWork
from crm_core.storage.sqlite import SqliteStorage
from dedupe.decision import Decision, Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.keys import Entity, KeyKind, key
from dedupe.profile import RawIdentity
from intake.bootstrap import build_storage, prepare_storage
from intake.clock import utcnow
from intake.csv_input import (
    CsvLayout,
    FileFormatError,
    ImportRow,
    detect_encoding,
    read_csv_contacts,
    read_layout,
)
from intake.jsonl_input import InputError, LineReader

BATCH = 200
ACTOR = "import"
CHECKPOINT_ENTITY = "contact_import"
LISTED_REJECTIONS = 20
PROGRESS_EVERY_SECONDS = 0.2
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}


class ImportFileError(Exception):
    """The file cannot be imported at all: missing, undecodable, no known column."""


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


@dataclass(frozen=True, slots=True)
class ImportFile:
    """An import file checked and fingerprinted, ready to be read record by record."""

    path: Path
    format: str
    encoding: str
    sha256: str
    lines: int
    layout: CsvLayout | None = None

    @property
    def key(self) -> int:
        """The file's id in the audit log (60 bits of its SHA-256)."""
        return int(self.sha256[:15], 16)

    @property
    def ref(self) -> str:
        """The prefix of the `external_ref` of contacts created from this file."""
        return self.sha256[:16]

    def rows(self) -> Iterator[ImportRow]:
        """Every record, in file order."""
        if self.layout is not None:
            return read_csv_contacts(self.path, self.layout)
        return _jsonl_rows(self.path, self.encoding)


@dataclass(slots=True)
class Tally:
    """What happened to the records of one batch (or a whole run)."""

    rows: int = 0
    created: int = 0
    review: int = 0
    merged_within: int = 0
    merged_existing: int = 0
    enriched: int = 0
    companies: int = 0
    rejected: int = 0
    reasons: list[tuple[int, str]] = field(default_factory=list)
    last_line: int = 0

    def add(self, other: Tally) -> None:
        """Fold a committed batch into the run's totals."""
        for name in (
            "rows",
            "created",
            "review",
            "merged_within",
            "merged_existing",
            "enriched",
            "companies",
            "rejected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons += other.reasons[: max(0, LISTED_REJECTIONS - len(self.reasons))]
        self.last_line = max(self.last_line, other.last_line)

    def counts(self) -> dict[str, int]:
        """The counters, JSON-ready (stored with each checkpoint)."""
        return {
            "rows": self.rows,
            "created": self.created,
            "review": self.review,
            "merged_within": self.merged_within,
            "merged_existing": self.merged_existing,
            "companies": self.companies,
            "rejected": self.rejected,
        }


@dataclass(slots=True)
class ImportReport:
    """The outcome of one run, rendered as the summary on stdout."""

    file: ImportFile
    dry_run: bool
    resumed_after: int = 0
    already_complete: datetime | None = None
    stopped: bool = False
    done: Tally = field(default_factory=Tally)

    def render(self) -> str:
        """The human summary."""
        f, t = self.file, self.done
        how = f.format if f.layout is None else f"csv, {f.encoding}, {_delimiter(f.layout)}"
        out = [f"import-contacts: {f.path.name} ({how}) sha256 {f.sha256[:16]}"]
        if self.already_complete is not None:
            at = self.already_complete.strftime("%Y-%m-%d %H:%M UTC")
            out.append(f"already imported completely on {at}: nothing to do")
            return "\n".join(out)
        if self.dry_run:
            out.append("dry run: nothing was saved")
        if self.resumed_after:
            out.append(f"resumed: lines 1-{self.resumed_after} were imported by an earlier run")
        out += [
            f"imported: {t.created}",
            f"possible duplicates, created: {t.review}",
            f"merged as duplicates: {t.merged_within + t.merged_existing}"
            f" (within the file: {t.merged_within}, with existing contacts:"
            f" {t.merged_existing}; new identifiers added to {t.enriched})",
            f"companies created: {t.companies}",
            f"rejected: {t.rejected}",
        ]
        if f.layout is not None and f.layout.unknown:
            out.append("unknown columns ignored: " + ", ".join(f.layout.unknown))
        if f.layout is not None and f.layout.not_stored:
            out.append("recognised, not stored: " + ", ".join(f.layout.not_stored))
        if t.reasons:
            out.append(f"rejected lines (first {len(t.reasons)} of {t.rejected}):")
            out += [f"  line {line}: {reason}" for line, reason in t.reasons]
        if self.stopped:
            out.append(f"stopped after line {t.last_line}: run the same command again to continue")
        return "\n".join(out)


def open_import_file(path: Path, fmt: str | None = None) -> ImportFile:
    """Check the file can be read (format, encoding, header) before the database is touched."""
    if not path.is_file():
        raise ImportFileError("no such file")
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError("cannot tell the format from the extension: pass --format")
    try:
        sha256, lines = _fingerprint(path)
        encoding = detect_encoding(path, allow_cp1251=fmt == "csv")
        layout = read_layout(path, encoding) if fmt == "csv" else None
    except FileFormatError as err:
        raise ImportFileError(str(err)) from err
    except OSError as err:
        raise ImportFileError(f"cannot read: {err.strerror}") from err
    return ImportFile(path, fmt, encoding, sha256, lines, layout)


async def run_import_command(
    settings: Settings, options: ImportOptions, progress: TextIO = sys.stderr
) -> ImportReport:
    """The whole command: check the file, open (a copy of) the database, import."""
    file = open_import_file(options.path, options.format)
    async with _storage_for(settings, options.dry_run) as storage:
        try:
            await prepare_storage(settings, storage)
            return await import_contacts(
                storage,
                file,
                options,
                settings.intake.default_region,
                settings.dedupe,
                progress,
            )
        finally:
            await storage.close()


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
        report.resumed_after, report.already_complete = await _checkpoint(uow, file)
    if report.already_complete is not None:
        return report
    importer = _Importer(file, region, Detector(thresholds), owner_id)
    rows = (row for row in file.rows() if row.line > report.resumed_after)
    meter = _Meter(progress, file.lines)
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
    meter: _Meter,
) -> None:
    while True:
        size = _next_size(options, report.done.rows)
        if size == 0:
            report.stopped = True
            return
        batch = Tally()
        async with storage.transaction() as uow:
            finished = await importer.run(uow, islice(rows, size), size, batch, meter)
            await _save_checkpoint(uow, importer.file, batch, finished)
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
    meter: _Meter,
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
        meter: _Meter,
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
            self._reject(tally, row.line, row.problem or "unreadable")
            return
        prepared = prepare_contact(
            row.raw,
            self._region,
            owner_id=self._owner_id,
            external_ref=f"{self.file.ref}:{row.line}",
        )
        problem = _unusable(row.raw, prepared)
        if problem is not None:
            self._reject(tally, row.line, problem)
            return
        decision = await self._detector.detect(prepared.profile, uow.identity)
        if decision.verdict is Verdict.AUTO and decision.contact_id is not None:
            contact = await _live_contact(uow, decision.contact_id)
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
            contact = await _live_contact(uow, contact.id) or contact
        filled = replace(
            contact,
            name=contact.name or prepared.record.name,
            company_name=contact.company_name or prepared.record.company_name,
            company_id=contact.company_id
            if contact.company_id is not None
            else await self._company(uow, row, tally, now),
        )
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
        found = await _find_company(uow, inn, name_key)
        if found is not None:
            return found
        [company_id] = await add_companies(uow, [prepared], now)
        tally.companies += 1
        return company_id

    def _reject(self, tally: Tally, line: int, reason: str) -> None:
        tally.rejected += 1
        if len(tally.reasons) < LISTED_REJECTIONS:
            tally.reasons.append((line, reason))


async def _find_company(uow: UnitOfWork, inn: str | None, name_key: str | None) -> int | None:
    """The oldest company with this INN, or with this name and no other INN."""
    inn_key = key(KeyKind.INN, inn) if inn else None
    co_key = key(KeyKind.COMPANY, name_key) if name_key else None
    rows = await uow.identity.find([k for k in (inn_key, co_key) if k])
    by_inn = sorted(i for k, e, i in rows if e is Entity.COMPANY and k == inn_key)
    if by_inn:
        return by_inn[0]
    by_name = sorted({i for k, e, i in rows if e is Entity.COMPANY and k == co_key})
    if not by_name:
        return None
    if inn is None:
        return by_name[0]
    profiles = await uow.identity.companies(by_name)
    return next((i for i in by_name if i in profiles and profiles[i].inn is None), None)


async def _live_contact(uow: UnitOfWork, contact_id: int) -> Contact | None:
    """The contact, or the one it was merged into."""
    contact = await uow.identity.get_contact(contact_id)
    for _ in range(10):
        if contact is None or contact.merged_into_id is None:
            break
        contact = await uow.identity.get_contact(contact.merged_into_id)
    return contact


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


async def _checkpoint(uow: UnitOfWork, file: ImportFile) -> tuple[int, datetime | None]:
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


async def _save_checkpoint(uow: UnitOfWork, file: ImportFile, batch: Tally, done: bool) -> None:
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


def _jsonl_rows(path: Path, encoding: str) -> Iterator[ImportRow]:
    with path.open(encoding=encoding) as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _jsonl_row(path, number, line)


def _jsonl_row(path: Path, number: int, line: str) -> ImportRow:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        return ImportRow(number, None, problem=f"not valid JSON ({err.msg}, column {err.colno})")
    if not isinstance(value, dict):
        return ImportRow(number, None, problem="not a JSON object")
    reader = LineReader(path, number, value)
    try:
        ref = reader.optional_ident("id")
        raw = RawIdentity(
            name=reader.text("name"),
            phones=reader.texts("phones") + reader.texts("phone"),
            emails=reader.texts("emails") + reader.texts("email"),
            company=reader.text("company"),
            inn=reader.text("inn"),
            telegram_id=reader.text("telegram_id"),
            telegram_username=reader.text("telegram_username"),
            vk_id=reader.text("vk_id"),
        )
    except InputError as err:
        # The message starts with "path:line"; the summary names the line itself.
        problem = str(err).removeprefix(f"{path}:{number}").lstrip(": ")
        return ImportRow(number, None, problem=problem)
    return ImportRow(number, raw, ref=None if ref is None else str(ref))


def _fingerprint(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return digest.hexdigest(), lines + (last != b"\n")


def _delimiter(layout: CsvLayout) -> str:
    return {"\t": "tab", ";": "';'", ",": "','"}.get(layout.delimiter, repr(layout.delimiter))


class _Meter:
    """`\\r` progress on stderr: line reached, percent, records per second."""

    def __init__(self, stream: TextIO, total_lines: int) -> None:
        self._stream = stream
        self._total = max(total_lines, 1)
        self._started = self._shown = time.monotonic()
        self._rows = 0
        self._line = 0
        self._drawn = False

    def update(self, line: int) -> None:
        """Count one record; redraw a few times a second."""
        self._rows += 1
        self._line = line
        now = time.monotonic()
        if now - self._shown >= PROGRESS_EVERY_SECONDS:
            self._shown = now
            self._draw(now)

    def close(self) -> None:
        """The final state, then a newline."""
        if self._rows:
            self._draw(time.monotonic())
        if self._drawn:
            print(file=self._stream, flush=True)

    def _draw(self, now: float) -> None:
        rate = self._rows / max(now - self._started, 1e-6)
        percent = min(100, self._line * 100 // self._total)
        print(
            f"\rimport-contacts: line {self._line}/{self._total} ({percent}%),"
            f" {self._rows} records, {rate:.0f}/s",
            end="",
            file=self._stream,
            flush=True,
        )
        self._drawn = True


@asynccontextmanager
async def _storage_for(settings: Settings, dry_run: bool) -> AsyncIterator[Storage]:
    """The configured database; for a dry run on SQLite, a throwaway copy of it."""
    if not (dry_run and settings.database.is_sqlite):
        yield build_storage(settings)
        return
    with tempfile.TemporaryDirectory(prefix="leadintake-dry-run-") as tmp:
        copy = Path(tmp) / "dry-run.sqlite3"
        await asyncio.to_thread(_copy_sqlite, settings.database.sqlite_path, copy)
        yield SqliteStorage(copy)


def _copy_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        return
    try:
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as err:
        raise StorageUnavailable(f"cannot copy the database for a dry run: {err}") from err
