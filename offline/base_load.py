"""Bulk load of a contact base (companies, then contacts) from JSONL files into a database.

Parsing and normalizing a record is Python CPU work (about 0.1 ms a contact), so worker
processes do it for the next chunks while this process writes the current ones. Writes go in
transactions of `transaction_rows` records, each holding SQLite's write lock for about a
second. Their identity keys go to the unindexed backlog and are merged into the index in key
order once at the end: inserted transaction by transaction they dirtied most of the index's
pages at every commit, and the load grew faster than the base (a million contacts: 300 s).
Records are therefore found by the detector only once the load has finished.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from crm_core.contacts import (
    identity_pairs,
    keyed_company,
    keyed_contact,
    prepare_company,
    prepare_contact,
    store_companies,
    store_contacts,
)
from crm_core.model import Identity, StoredCompany, StoredContact
from crm_core.storage.ports import Storage
from offline.clock import utcnow
from offline.jsonl_input import LineReader, company_line, contact_line, parse_line, read_lines

CHUNK_LINES = 2000
TRANSACTION_ROWS = 20_000
# Below this file size worker processes cost more to start than they save.
PARALLEL_FROM_BYTES = 4 * 1024 * 1024

Ref = str | int
# Records cross from the workers as plain tuples of their fields: unpickling a slotted
# dataclass sets it field by field through __setstate__ (with the company id then set by
# dataclasses.replace: 2.8 s a 100k contacts), in this process, which also does the writing.
CompanyWire = tuple[
    str, str | None, tuple[str, ...], tuple[str, ...], str | None, int | None, str | None
]
ContactWire = tuple[
    str | None,
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    str | None,
    int | None,
    str | None,
]
CompanyRow = tuple[Ref, CompanyWire, tuple[str, ...]]
ContactRow = tuple[Ref, Ref | None, ContactWire, tuple[str, ...]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LoadedBase:
    """What a bulk load stored and how long each part took."""

    company_ids: dict[Ref, int]
    contacts: int
    company_seconds: float
    contact_seconds: float


ContactsStored = Callable[[Sequence[Ref], Sequence[int]], None]
Progress = Callable[[str], None]


async def load_base(
    storage: Storage,
    contacts: Path,
    companies: Path | None,
    region: str,
    *,
    workers: int | None = None,
    transaction_rows: int = TRANSACTION_ROWS,
    on_contacts: ContactsStored | None = None,
    progress: Progress | None = None,
) -> LoadedBase:
    """Store every company, then every contact (linked to its company by the file's id).

    `workers` processes normalize records (default: one per CPU for large files, none for
    small ones); `on_contacts(refs, ids)` hears each committed transaction's contacts.
    """
    loop = asyncio.get_running_loop()
    count = workers if workers is not None else _default_workers(contacts, companies)
    with _executor(count) as pool:
        started = loop.time()
        company_ids: dict[Ref, int] = {}
        if companies is not None:
            async for firms in _prepared(pool, companies, _company_rows, region, transaction_rows):
                async with storage.transaction() as uow:
                    ids = await store_companies(
                        uow, [(StoredCompany(*w), k) for _, w, k in firms], utcnow(), staged=True
                    )
                company_ids.update(zip((ref for ref, _, _ in firms), ids, strict=True))
                _say(progress, f"companies {len(company_ids):,}")
        company_seconds = loop.time() - started

        started = loop.time()
        stored = 0
        async for rows in _prepared(pool, contacts, _contact_rows, region, transaction_rows):
            keyed = [
                (_contact(w, company_ids.get(c) if c is not None else None), k)
                for _, c, w, k in rows
            ]
            async with storage.transaction() as uow:
                ids = await store_contacts(uow, keyed, utcnow(), staged=True)
            if on_contacts is not None:
                on_contacts([ref for ref, _, _, _ in rows], ids)
            stored += len(ids)
            _say(progress, f"contacts {stored:,}")
        _say(progress, "indexing")
        async with storage.transaction() as uow:
            await uow.identity.merge_staged()
    return LoadedBase(company_ids, stored, company_seconds, loop.time() - started)


def _company_rows(path: Path, region: str, lines: Sequence[tuple[int, str]]) -> list[CompanyRow]:
    rows: list[CompanyRow] = []
    for number, line in lines:
        ref, raw = company_line(LineReader(path, number, parse_line(path, number, line)))
        c, keys = keyed_company(prepare_company(raw, region, external_ref=str(ref)))
        rows.append(
            (ref, (c.name, c.inn, c.phones, c.emails, c.website, c.owner_id, c.external_ref), keys)
        )
    return rows


def _contact_rows(path: Path, region: str, lines: Sequence[tuple[int, str]]) -> list[ContactRow]:
    rows: list[ContactRow] = []
    for number, line in lines:
        reader = LineReader(path, number, parse_line(path, number, line))
        ref, company, raw = contact_line(reader)
        c, keys = keyed_contact(prepare_contact(raw, region, external_ref=str(ref)))
        wire = (
            c.name,
            c.phones,
            c.emails,
            identity_pairs(c.identities),
            c.company_name,
            c.owner_id,
            c.external_ref,
        )
        rows.append((ref, company, wire, keys))
    return rows


def _contact(wire: ContactWire, company_id: int | None) -> StoredContact:
    name, phones, emails, identities, company_name, owner_id, external_ref = wire
    return StoredContact(
        name,
        phones,
        emails,
        tuple(Identity(kind, value) for kind, value in identities),
        company_id,
        company_name,
        owner_id,
        external_ref,
    )


async def _prepared(
    pool: Executor | None,
    path: Path,
    prepare: Callable[[Path, str, Sequence[tuple[int, str]]], list[T]],
    region: str,
    transaction_rows: int,
) -> AsyncIterator[list[T]]:
    """Prepared rows in file order, gathered into transaction-sized lists.

    Enough chunks stay submitted that the workers keep busy while a transaction is written.
    """
    chunks = _chunks(read_lines(path))
    pending: deque[Future[list[T]]] = deque()
    ahead = 2 * max(1, transaction_rows // CHUNK_LINES) + 2
    batch: list[T] = []
    while True:
        if pool is not None:
            for chunk in chunks:
                pending.append(pool.submit(prepare, path, region, chunk))
                if len(pending) >= ahead:
                    break
            if not pending:
                break
            rows = await asyncio.wrap_future(pending.popleft())
        else:
            chunk = next(chunks, [])
            if not chunk:
                break
            rows = prepare(path, region, chunk)
        batch.extend(rows)
        if len(batch) >= transaction_rows:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(lines: Iterator[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def _executor(workers: int) -> Iterator[Executor | None]:
    """A process pool (spawned: the parent holds database threads) or none at all."""
    if workers <= 0:
        yield None
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _default_workers(*paths: Path | None) -> int:
    size = sum(p.stat().st_size for p in paths if p is not None)
    return (os.cpu_count() or 1) if size >= PARALLEL_FROM_BYTES else 0


def _say(progress: Progress | None, text: str) -> None:
    if progress is not None:
        progress(text)
