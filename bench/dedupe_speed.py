"""Speed of the duplicate detector at CRM scale: import, size on disk, memory, lookup latency.

    .venv/bin/python bench/dedupe_speed.py [--contacts 1000000] [--leads 2000]
        [--db sqlite|postgres|both] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
        [--data DIR] [--seed 7] [--workdir DIR]

The data set comes from bench/dedupe/generate.py, run in a child process so that its memory is
not counted as ours; --data reuses one already generated. The base is streamed into a fresh
database (a temporary SQLite file, or a new PostgreSQL schema dropped at the end) by the
product's bulk loader (offline/base_load.py: worker processes normalize, this one writes), as
`dedupe-eval` does.
Then every lead is decided once to warm the caches, and once more timing build_profile + detect
per lead. With --db both each database runs in its own child process, so that the peak memory
figure belongs to one database only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg

from crm_core.storage.ports import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from dedupe.detector import Detector
from dedupe.keys import Entity, KeyKind, lookup_keys
from dedupe.ports import Candidates, IdentityIndex, IndexedContact
from dedupe.profile import Profile, RawIdentity, build_profile
from offline.base_load import load_base
from offline.jsonl_input import LineReader, lead_line, read_jsonl

REGION = "RU"
LEAD_BATCH = 200  # leads decided per transaction
BASELINE_SAMPLES = 2000
MIB = 1024 * 1024
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
GENERATOR = Path(__file__).resolve().parent / "dedupe" / "generate.py"

TARGET_IMPORT_S = 180.0
TARGET_PEAK_MIB = 1024.0
TARGET_LOOKUP_MS = (1.5, 3.0, 5.0)
TARGET_IDENTIFIER_P99_MS = 1.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Database:
    """A fresh, migrated storage and how to measure its size on disk."""

    name: str
    storage: Storage
    size: Callable[[], Awaitable[tuple[int, str]]]


@dataclass(frozen=True, slots=True)
class Imported:
    """What the import stored and how long it took."""

    companies: int
    contacts: int
    company_seconds: float
    contact_seconds: float
    contact_ids: range


@dataclass(frozen=True, slots=True)
class LeadSets:
    """The leads to time, grouped the way the targets are stated."""

    all: list[RawIdentity]
    identifier_only: list[RawIdentity]
    name_heavy: list[RawIdentity]


@dataclass(frozen=True, slots=True)
class Timing:
    """Per-lead wall times in nanoseconds: build_profile alone and build_profile + detect."""

    profile_ns: list[int]
    total_ns: list[int]


class CountingIndex:
    """An IdentityIndex that counts calls and candidates (for the untimed diagnostic pass)."""

    def __init__(self, inner: IdentityIndex) -> None:
        self._inner = inner
        self.calls = 0
        self.contacts_fetched = 0
        self.companies_fetched = 0
        self.open_leads_fetched = 0

    async def key_counts(self, keys: Collection[str]) -> dict[tuple[str, Entity], int]:
        """Delegate and count."""
        self.calls += 1
        return await self._inner.key_counts(keys)

    async def find(self, keys: Collection[str]) -> list[tuple[str, Entity, int]]:
        """Delegate and count."""
        self.calls += 1
        return await self._inner.find(keys)

    async def lookup(
        self, caps: Mapping[str, int]
    ) -> tuple[dict[tuple[str, Entity], int], list[tuple[str, Entity, int]]]:
        """Delegate and count."""
        self.calls += 1
        return await self._inner.lookup(caps)

    async def candidates(
        self, caps: Mapping[str, int], rejection_keys: Collection[str]
    ) -> Candidates:
        """Delegate and count the candidates (the inner index may call back into itself)."""
        self.calls += 1
        found = await self._inner.candidates(caps, rejection_keys)
        self.contacts_fetched += len(found.contacts)
        self.companies_fetched += len(found.companies)
        self.open_leads_fetched += len(found.open_leads)
        return found

    async def contacts(self, ids: Collection[int]) -> dict[int, IndexedContact]:
        """Delegate and count the candidates."""
        self.calls += 1
        self.contacts_fetched += len(ids)
        return await self._inner.contacts(ids)

    async def open_leads(self, ids: Collection[int]) -> dict[int, Profile]:
        """Delegate and count the candidates."""
        self.calls += 1
        self.open_leads_fetched += len(ids)
        return await self._inner.open_leads(ids)

    async def companies(self, ids: Collection[int]) -> dict[int, Profile]:
        """Delegate and count the candidates."""
        self.calls += 1
        self.companies_fetched += len(ids)
        return await self._inner.companies(ids)

    async def contacts_total(self) -> int:
        """Delegate and count."""
        self.calls += 1
        return await self._inner.contacts_total()

    async def rejected(self, contact_ids: Collection[int], keys: Collection[str]) -> set[int]:
        """Delegate and count."""
        self.calls += 1
        return await self._inner.rejected(contact_ids, keys)


# ---------------------------------------------------------------- data


def generate_data(out: Path, contacts: int, leads: int, seed: int) -> float:
    """Run the generator in a child process; returns its wall time."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--out",
            str(out),
            "--seed",
            str(seed),
            "--contacts",
            str(contacts),
            "--leads",
            str(leads),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def load_leads(path: Path) -> LeadSets:
    """All leads; identifier-only copies of them; those with a surname and a first name."""
    leads = [lead_line(LineReader(path, number, value))[1] for number, value in read_jsonl(path)]
    identifier_only = []
    for raw in leads:
        if raw.phones or raw.emails or raw.telegram_id or raw.telegram_username or raw.vk_id:
            identifier_only.append(
                dataclasses.replace(raw, name=None, company=None, inn=None, text=None)
            )
    full_name = f"{KeyKind.SURNAME_FIRST.value}:"
    name_heavy = [
        raw
        for raw in leads
        if any(k.startswith(full_name) for k in lookup_keys(build_profile(raw, REGION)))
    ]
    return LeadSets(leads, identifier_only, name_heavy)


# ---------------------------------------------------------------- databases


@asynccontextmanager
async def sqlite_database(workdir: Path | None) -> AsyncIterator[Database]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="dedupe-speed-", dir=workdir) as tmp:
        path = Path(tmp) / "speed.sqlite3"
        storage = SqliteStorage(path)
        await storage.open()
        try:
            await storage.migrate()

            async def size() -> tuple[int, str]:
                parts = {s: Path(f"{path}{s}") for s in ("", "-wal", "-shm")}
                sizes = {s: p.stat().st_size if p.exists() else 0 for s, p in parts.items()}
                detail = (
                    f"file {sizes[''] / MIB:,.0f} MiB + WAL {sizes['-wal'] / MIB:,.0f} MiB"
                    f" + shm {sizes['-shm'] / MIB:,.1f} MiB"
                )
                return sum(sizes.values()), detail

            yield Database("sqlite", storage, size)
        finally:
            await storage.close()


@asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[Database]:
    """A migrated fresh schema, dropped afterwards."""
    schema = f"bench_speed_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        storage = PostgresStorage(url, min_size=1, max_size=2, schema=schema)
        try:
            await storage.open()
            await storage.migrate()

            async def size() -> tuple[int, str]:
                rows = await admin.fetch(
                    "SELECT c.relname, pg_total_relation_size(c.oid) AS bytes"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY bytes DESC",
                    schema,
                )
                top = ", ".join(f"{r['relname']} {r['bytes'] / MIB:,.0f}" for r in rows[:3])
                return sum(int(r["bytes"]) for r in rows), f"largest MiB: {top}"

            yield Database("postgres", storage, size)
        finally:
            await storage.close()
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


# ---------------------------------------------------------------- import


async def import_base(storage: Storage, data: Path) -> Imported:
    """Load companies then contacts through the product's bulk loader (as dedupe-eval does)."""
    first_last: list[int] = []

    def stored(_refs: Sequence[str | int], ids: Sequence[int]) -> None:
        first_last[:] = [first_last[0] if first_last else ids[0], ids[-1]]

    loaded = await load_base(
        storage,
        data / "contacts.jsonl",
        data / "companies.jsonl",
        REGION,
        on_contacts=stored,
        progress=_progress,
    )
    _progress("")
    first, last = first_last or [1, 0]
    return Imported(
        len(loaded.company_ids),
        loaded.contacts,
        loaded.company_seconds,
        loaded.contact_seconds,
        range(first, last + 1),
    )


def _progress(text: str) -> None:
    """Overwrite the progress line on stderr; an empty text clears it."""
    print(f"\r{text:<40}", end="" if text else "\r", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- lookups


async def time_leads(storage: Storage, leads: Sequence[RawIdentity]) -> Timing:
    """build_profile + detect for each lead, timed one by one inside batch transactions."""
    detector = Detector()
    profile_ns: list[int] = []
    total_ns: list[int] = []
    clock = time.perf_counter_ns
    for start in range(0, len(leads), LEAD_BATCH):
        async with storage.transaction() as uow:
            for raw in leads[start : start + LEAD_BATCH]:
                began = clock()
                profile = build_profile(raw, REGION)
                built = clock()
                await detector.detect(profile, uow.identity)
                done = clock()
                profile_ns.append(built - began)
                total_ns.append(done - began)
    return Timing(profile_ns, total_ns)


async def time_primary_key(storage: Storage, ids: Sequence[int]) -> list[int]:
    """One `SELECT owner_id FROM contacts WHERE id = $1` per id, through the same session."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    for start in range(0, len(ids), LEAD_BATCH):
        async with storage.transaction() as uow:
            for contact_id in ids[start : start + LEAD_BATCH]:
                began = clock()
                await uow.identity.contact_owner(contact_id)
                samples.append(clock() - began)
    return samples


async def count_work(storage: Storage, leads: Sequence[RawIdentity]) -> list[tuple[int, int]]:
    """(index calls, candidates fetched) per lead, untimed."""
    detector = Detector()
    found: list[tuple[int, int]] = []
    async with storage.transaction() as uow:
        for raw in leads:
            index = CountingIndex(uow.identity)
            await detector.detect(build_profile(raw, REGION), index)
            fetched = index.contacts_fetched + index.companies_fetched + index.open_leads_fetched
            found.append((index.calls, fetched))
    return found


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_row(label: str, samples_ns: Sequence[int], target: str = "") -> str:
    """One table row: count, p50/p95/p99/max in milliseconds, the target and its verdict."""
    ms = sorted(s / 1e6 for s in samples_ns)
    cells = [percentile(ms, p) for p in (50, 95, 99)] + [ms[-1] if ms else math.nan]
    figures = "".join(f"{v:8.3f}" for v in cells)
    return f"  {label:<34}{len(ms):>6}{figures}  {target}"


def verdict(ok: bool) -> str:
    """A short pass/miss mark."""
    return "ok" if ok else "MISSED"


def peak_mib() -> tuple[float, float]:
    """Peak resident set sizes: this process, and its largest child (the loader's workers).

    Linux reports KiB. This process never has other children: the generator runs in the
    parent of a measuring child.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# ---------------------------------------------------------------- one database


async def run_database(database: Database, data: Path, seed: int) -> None:
    """Import, measure and print the figures for one database."""
    storage = database.storage
    imported = await import_base(storage, data)
    size, size_detail = await database.size()
    sets = load_leads(data / "leads.jsonl")

    # Warm-up: every lead once (and the baseline ids), nothing recorded.
    for leads in (sets.all, sets.identifier_only):
        await time_leads(storage, leads)
    rng = random.Random(seed)
    ids = [rng.choice(imported.contact_ids) for _ in range(BASELINE_SAMPLES)]
    await time_primary_key(storage, ids)

    all_timing = await time_leads(storage, sets.all)
    identifier_timing = await time_leads(storage, sets.identifier_only)
    name_timing = await time_leads(storage, sets.name_heavy)
    baseline = await time_primary_key(storage, ids)
    work = await count_work(storage, sets.all)
    own_peak, worker_peak = peak_mib()
    workers = os.cpu_count() or 1
    peak = own_peak + workers * worker_peak

    import_total = imported.company_seconds + imported.contact_seconds
    p50, p95, p99 = TARGET_LOOKUP_MS
    all_ms = sorted(t / 1e6 for t in all_timing.total_ns)
    lookup_ok = (
        percentile(all_ms, 50) <= p50
        and percentile(all_ms, 95) <= p95
        and percentile(all_ms, 99) <= p99
    )
    identifier_ms = sorted(t / 1e6 for t in identifier_timing.total_ns)
    identifier_ok = percentile(identifier_ms, 99) <= TARGET_IDENTIFIER_P99_MS
    calls = sorted(c for c, _ in work)
    candidates = sorted(n for _, n in work)

    print(
        f"== {database.name}: {imported.contacts:,} contacts, {imported.companies:,} companies,"
        f" {len(sets.all):,} leads =="
    )
    print(
        f"import companies  {imported.companies:>10,}  {imported.company_seconds:8.1f} s"
        f"  ({imported.companies / max(imported.company_seconds, 1e-9):,.0f}/s)"
    )
    print(
        f"import contacts   {imported.contacts:>10,}  {imported.contact_seconds:8.1f} s"
        f"  ({imported.contacts / max(imported.contact_seconds, 1e-9):,.0f}/s)"
    )
    print(
        f"import total                  {import_total:8.1f} s"
        f"   target ≤ {TARGET_IMPORT_S:.0f} s  {verdict(import_total <= TARGET_IMPORT_S)}"
    )
    print(f"size on disk                  {size / MIB:8,.0f} MiB ({size_detail})")
    print(
        f"peak memory (ru_maxrss)       {peak:8,.0f} MiB"
        f" target ≤ {TARGET_PEAK_MIB:.0f} MiB {verdict(peak <= TARGET_PEAK_MIB)}"
        f"  (this process {own_peak:,.0f} + {workers} loader workers × ≤ {worker_peak:,.0f})"
    )
    print(f"lookup, warm, ms {'n':>24}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  target")
    print(
        latency_row(
            "all leads: build_profile+detect",
            all_timing.total_ns,
            f"≤ {p50}/{p95}/{p99}  {verdict(lookup_ok)}",
        )
    )
    print(latency_row("  of which build_profile", all_timing.profile_ns))
    print(
        latency_row(
            "identifier-only leads",
            identifier_timing.total_ns,
            f"p99 ≤ {TARGET_IDENTIFIER_P99_MS}  {verdict(identifier_ok)}",
        )
    )
    print(latency_row("name-heavy leads (surname+first)", name_timing.total_ns))
    print(latency_row("baseline: PK SELECT on contacts", baseline))
    print(
        f"work per lead (all leads): index calls p50/max {percentile(calls, 50):.0f}/{calls[-1]},"
        f" candidate records fetched p50/p95/p99/max {percentile(candidates, 50):.0f}/"
        f"{percentile(candidates, 95):.0f}/{percentile(candidates, 99):.0f}/{candidates[-1]}"
    )
    print(
        f"(identifier-only = the {len(sets.identifier_only):,} leads that carry a phone, e-mail"
        " or messenger id, stripped of name, company, INN and text;"
        f" name-heavy = the {len(sets.name_heavy):,} leads with a surname and a first name)",
        flush=True,
    )


async def run(kind: str, data: Path, url: str, workdir: Path | None, seed: int) -> None:
    """Open the database of one kind and run the measurements on it."""
    if kind == "sqlite":
        async with sqlite_database(workdir) as database:
            await run_database(database, data, seed)
    else:
        async with postgres_database(url) as database:
            await run_database(database, data, seed)


# ---------------------------------------------------------------- command line


def main() -> None:
    """Command line: generate (or reuse) a data set and measure one or both databases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--data", type=Path, help="an existing generate.py output (then --contacts/--leads unused)"
    )
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes (default: tmp)")
    args = parser.parse_args()

    if args.data is not None:
        print(f"data: {args.data}", flush=True)
        measure(args, args.data)
        return
    with tempfile.TemporaryDirectory(prefix="dedupe-speed-data-", dir=args.workdir) as tmp:
        seconds = generate_data(Path(tmp), args.contacts, args.leads, args.seed)
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"data: generate.py --contacts {args.contacts:,} --leads {args.leads:,}"
            f" --seed {args.seed} in {seconds:.1f} s (child process, peak {child:,.0f} MiB,"
            " not counted below)",
            flush=True,
        )
        measure(args, Path(tmp))


def measure(args: argparse.Namespace, data: Path) -> None:
    """Measure each database in a child process of its own (in this one with --data and one db).

    A child per database keeps each peak-memory figure that database's alone, and keeps the
    generator (a child of this process) out of the loader workers' figure.
    """
    if args.data is not None and args.db != "both":
        asyncio.run(run(args.db, data, args.postgres_url, args.workdir, args.seed))
        return
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        command = [sys.executable, __file__, "--db", kind, "--data", str(data)]
        command += ["--postgres-url", args.postgres_url, "--seed", str(args.seed)]
        if args.workdir:
            command += ["--workdir", str(args.workdir)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
