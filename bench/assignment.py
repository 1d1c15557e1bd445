"""Assignment + notification enqueue throughput: route_lead with 100 managers and open leads.

    .venv/bin/python bench/assignment.py [--leads 100000] [--measure 5000] [--batch 50]
        [--db sqlite|postgres|both] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
        [--seed 7] [--workdir DIR]

A fresh database (a temporary SQLite file, or a new PostgreSQL schema dropped at the end) gets
100 managers in three timezones (about 70% on duty at the simulated `now`, a few absent), one
queue with all of them (weights 1-3, daily capacities), 10,000 contacts with owners and
--leads open leads, a fifth of them linked to those contacts so that the owner-first path runs.
Then the product's `crm_core.routing.route_lead` is timed the way the intake worker calls it:
read the lead, route it (decide, store the decision, count the queue load, enqueue the
assignee's notifications) and commit; one lead per transaction, then --batch leads per
transaction. Baselines come from the same run: a transaction that only reads a lead, one that
reads it and updates one row, and the pure decision (`crm_core.assignment.assign`) in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from crm_core.assignment import ManagerLoad, Queue, QueueMember, WaitForDuty, assign
from crm_core.contacts import add_contacts, prepare_contact
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.model import (
    LeadContactDetails,
    LeadMatch,
    Manager,
    NewInboxItem,
    NewLead,
    NewManager,
    Role,
)
from crm_core.routing import Team, route_lead
from crm_core.sales import AssignmentRecord
from crm_core.schedule import Absence, Availability, WorkingHours
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.ports import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from dedupe.profile import RawIdentity

REGION = "RU"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONTACTS = 10_000
LINKED_SHARE = 0.2  # of the leads, linked to an owned contact
PRELOAD_TX = 2000  # rows per preload transaction
WARMUP = 200  # leads routed (and as many read) before anything is timed
QUEUE_KEY = "bench"
LINK_BASE = "http://crm.bench.invalid"
# A Tuesday: 10:00 in Moscow, 12:00 in Yekaterinburg, 14:00 in Novosibirsk.
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
PRELOAD_AT = NOW - timedelta(hours=1)
TIMEZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk")
ON_DUTY, OFF_HOURS, ABSENT = 70, 25, 5  # managers per duty plan: 100 in all
ON_DUTY_HOURS = ({"mon-fri": "09:00-18:00"}, {"mon-fri": "08:00-20:00", "sat": "10:00-14:00"})
# Neither covers `NOW` in any of the three timezones: an afternoon shift and a weekend one.
OFF_HOURS_HOURS = ({"mon-fri": "15:00-23:00"}, {"sat-sun": "09:00-21:00"})
SMALL_CAPACITY_SHARE = 0.1  # of the managers, with a daily capacity the run exhausts
LARGE_CAPACITY = 1000


@dataclass(frozen=True, slots=True)
class Fixture:
    """The team, its queue and the preloaded leads, with how long preloading took."""

    team: Team
    queue: Queue
    lead_ids: list[int]
    linked: int
    contact_seconds: float
    lead_seconds: float


@dataclass(frozen=True, slots=True)
class Routed:
    """A timed routing run: per-transaction wall times, the route_lead calls, the decisions."""

    wall_ns: int
    transaction_ns: list[int]
    route_ns: list[int]
    records: list[AssignmentRecord]
    outbox_rows: int


@dataclass(frozen=True, slots=True)
class Fairness:
    """Served counts against weight-proportional shares among the always-eligible members."""

    decisions: int
    members: int
    capped: int
    max_relative: float
    max_absolute: float
    worst_weight: int


# ---------------------------------------------------------------- databases


@asynccontextmanager
async def sqlite_database(workdir: Path | None) -> AsyncIterator[Storage]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-assign-", dir=workdir) as tmp:
        storage = SqliteStorage(Path(tmp) / "assign.sqlite3")
        await storage.open()
        try:
            await storage.migrate()
            yield storage
        finally:
            await storage.close()


@asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[Storage]:
    """A migrated fresh schema, dropped afterwards."""
    schema = f"bench_assign_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        storage = PostgresStorage(url, min_size=1, max_size=2, schema=schema)
        try:
            await storage.open()
            await storage.migrate()
            yield storage
        finally:
            await storage.close()
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


# ---------------------------------------------------------------- fixture


def manager_plan(rng: random.Random) -> list[tuple[NewManager, Availability]]:
    """100 synthetic managers with their availability at `NOW` (on duty, off hours, absent)."""
    plans = ["on"] * ON_DUTY + ["off"] * OFF_HOURS + ["absent"] * ABSENT
    rng.shuffle(plans)
    vacation = Absence(NOW - timedelta(days=2), NOW + timedelta(days=5), "vacation")
    team: list[tuple[NewManager, Availability]] = []
    for n, plan in enumerate(plans):
        timezone = TIMEZONES[n % len(TIMEZONES)]
        spec = rng.choice(OFF_HOURS_HOURS if plan == "off" else ON_DUTY_HOURS)
        hours = WorkingHours.parse(spec, timezone)
        availability = Availability(hours, (vacation,) if plan == "absent" else ())
        manager = NewManager(
            login=f"bench{n:03d}",
            name=f"Manager {n:03d}",
            role=Role.MANAGER,
            email=f"m{n:03d}@example.invalid" if rng.random() < 0.9 else None,
            telegram_chat_id=str(700_000_000 + n) if rng.random() < 0.85 else None,
            timezone=timezone,
            active=True,
        )
        team.append((manager, availability))
    return team


def build_queue(members: Sequence[tuple[int, str, Availability]], rng: random.Random) -> Queue:
    """Everyone in one queue: weights 1-3, a few with a daily capacity the run exhausts."""
    return Queue(
        QUEUE_KEY,
        "Bench",
        tuple(
            QueueMember(
                manager_id,
                name,
                weight=rng.randint(1, 3),
                daily_capacity=rng.randint(20, 40)
                if rng.random() < SMALL_CAPACITY_SHARE
                else LARGE_CAPACITY,
                availability=availability,
            )
            for manager_id, name, availability in members
        ),
        WaitForDuty(),
        timedelta(minutes=15),
    )


def new_lead(n: int, inbox_id: int) -> NewLead:
    """A synthetic web-form lead (made-up name, phone and address)."""
    return NewLead(
        inbox_id=inbox_id,
        channel="webform",
        source="site",
        contact=LeadContactDetails(
            name=f"Client {n}",
            phone=f"+7999{n:07d}",
            email=f"c{n}@example.invalid",
        ),
        comment="Need a quote",
        utm={},
        page_url=None,
        referrer=None,
        fields={},
        meta={},
        flags=(),
        queue=QUEUE_KEY,
        pipeline=None,
        received_at=PRELOAD_AT,
    )


async def preload(storage: Storage, leads: int, rng: random.Random) -> Fixture:
    """Managers, queue, owned contacts and open leads, in transactions of PRELOAD_TX rows."""
    plan = manager_plan(rng)
    async with storage.transaction() as uow:
        managers = [await uow.managers.upsert(m, PRELOAD_AT) for m, _ in plan]
    availability = {m.id: a for m, (_, a) in zip(managers, plan, strict=True)}
    team = Team({m.id: m for m in managers}, availability, LINK_BASE)
    queue = build_queue([(m.id, m.name, availability[m.id]) for m in managers], rng)

    clock = time.perf_counter_ns
    started = clock()
    contact_ids: list[int] = []
    for start in range(0, CONTACTS, PRELOAD_TX):
        prepared = [
            prepare_contact(
                RawIdentity(name=f"Client {n}", phones=(f"+7998{n:07d}",)),
                REGION,
                owner_id=rng.choice(managers).id,
            )
            for n in range(start, min(start + PRELOAD_TX, CONTACTS))
        ]
        async with storage.transaction() as uow:
            contact_ids += await add_contacts(uow, prepared, PRELOAD_AT)
        _progress(f"contacts {len(contact_ids):,}")
    contact_seconds = (clock() - started) / 1e9

    started = clock()
    linked = set(rng.sample(range(leads), round(leads * LINKED_SHARE)))
    lead_ids: list[int] = []
    for start in range(0, leads, PRELOAD_TX):
        numbers = range(start, min(start + PRELOAD_TX, leads))
        items = [
            NewInboxItem("webform", "site", f"bench-{n}", PRELOAD_AT, {}, {}, {}) for n in numbers
        ]
        async with storage.transaction() as uow:
            receipts = await uow.inbox.add_batch(items)
            commands = [
                IngestLead(new_lead(n, r.intake_id), None)
                for n, r in zip(numbers, receipts, strict=True)
            ]
            results = await ingest_leads(uow, commands, PRELOAD_AT)
            await uow.inbox.mark_processed(
                [(r.intake_id, lead.id) for r, (lead, _) in zip(receipts, results, strict=True)],
                PRELOAD_AT,
            )
            for n, (lead, _) in zip(numbers, results, strict=True):
                if n in linked:
                    match = LeadMatch("auto", 9.0, rng.choice(contact_ids), None, True, {})
                    await uow.leads.record_match(lead.id, match, None, PRELOAD_AT)
        lead_ids += [lead.id for lead, _ in results]
        _progress(f"leads {len(lead_ids):,}")
    _progress("")
    lead_seconds = (clock() - started) / 1e9
    return Fixture(team, queue, lead_ids, len(linked), contact_seconds, lead_seconds)


def _progress(text: str) -> None:
    """Overwrite the progress line on stderr; an empty text clears it."""
    print(f"\r{text:<40}", end="" if text else "\r", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- measurements


async def time_read(storage: Storage, ids: Sequence[int]) -> list[int]:
    """Baseline: one transaction per lead that reads it by id and commits."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    for lead_id in ids:
        began = clock()
        async with storage.transaction() as uow:
            await uow.leads.get(lead_id)
        samples.append(clock() - began)
    return samples


async def time_read_write(storage: Storage, ids: Sequence[int]) -> list[int]:
    """Reference: read a lead, update its row once (no assignee), commit: the durable floor."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    for lead_id in ids:
        began = clock()
        async with storage.transaction() as uow:
            await uow.leads.get(lead_id)
            await uow.leads.set_assignee(lead_id, None, None, NOW)
        samples.append(clock() - began)
    return samples


async def outbox_total(storage: Storage) -> int:
    """Rows in the notification outbox, whatever their status."""
    async with storage.reader() as uow:
        # `stats` is not part of OutboxPort; the SQL outbox offers it (as in its tests).
        assert isinstance(uow.outbox, SqlOutboxRepository)
        return sum((await uow.outbox.stats()).values())


async def route(storage: Storage, ids: Sequence[int], batch: int, fixture: Fixture) -> Routed:
    """Read and route_lead `batch` leads per transaction, as the intake worker does."""
    clock = time.perf_counter_ns
    before = await outbox_total(storage)
    transaction_ns: list[int] = []
    route_ns: list[int] = []
    records: list[AssignmentRecord] = []
    started = clock()
    for start in range(0, len(ids), batch):
        began = clock()
        async with storage.transaction() as uow:
            for lead_id in ids[start : start + batch]:
                lead = await uow.leads.get(lead_id)
                assert lead is not None
                called = clock()
                records.append(await route_lead(uow, lead, fixture.queue, fixture.team, NOW))
                route_ns.append(clock() - called)
        transaction_ns.append(clock() - began)
    wall = clock() - started
    written = await outbox_total(storage) - before
    return Routed(wall, transaction_ns, route_ns, records, written)


def time_decisions(queue: Queue, count: int) -> tuple[int, Counter[str]]:
    """Pure `assign` for `count` round-robin decisions, the load kept in a dict; (ns, kinds)."""
    load: dict[int, ManagerLoad] = {}
    kinds: Counter[str] = Counter()
    clock = time.perf_counter_ns
    started = clock()
    for _ in range(count):
        decision = assign(queue, load, NOW)
        kinds[decision.kind.value] += 1
        if decision.manager_id is not None:
            old = load.get(decision.manager_id, ManagerLoad())
            load[decision.manager_id] = ManagerLoad(old.assigned_today + 1, old.served + 1)
    return clock() - started, kinds


async def fairness(storage: Storage, queue: Queue) -> Fairness:
    """The queue's stored load compared with each always-eligible member's weighted share.

    Always eligible: active, on duty and not absent at `NOW`, below their daily capacity at
    the end (capacity only fills up within the one simulated day, so they never hit it).
    """
    async with storage.reader() as uow:
        stored = await uow.sales.queue_load(queue.key)
    decisions = sum(served for served, _, _ in stored.values())
    capped = 0
    eligible: list[tuple[QueueMember, int]] = []
    for m in queue.members:
        served, _, today = stored.get(m.manager_id, (0, NOW.date(), 0))
        if not (m.active and m.availability.is_on_duty(NOW)):
            continue
        if m.daily_capacity is not None and today >= m.daily_capacity:
            capped += 1
            continue
        eligible.append((m, served))
    total_weight = sum(m.weight for m, _ in eligible)
    total_served = sum(served for _, served in eligible)
    worst = (0.0, 0.0, 0)
    for m, served in eligible:
        share = total_served * m.weight / total_weight
        gap = abs(served - share)
        relative = gap / share if share else math.inf
        if relative > worst[0]:
            worst = (relative, gap, m.weight)
    return Fairness(decisions, len(eligible), capped, *worst)


# ---------------------------------------------------------------- report


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def mean_ms(samples_ns: Sequence[int]) -> float:
    """Mean of nanosecond samples, in milliseconds."""
    return sum(samples_ns) / len(samples_ns) / 1e6 if samples_ns else math.nan


def latency_row(label: str, samples_ns: Sequence[int]) -> str:
    """One table row: count, p50/p95/p99/max and mean in milliseconds."""
    ms = sorted(s / 1e6 for s in samples_ns)
    cells = [percentile(ms, p) for p in (50, 95, 99)] + [ms[-1] if ms else math.nan]
    figures = "".join(f"{v:8.3f}" for v in [*cells, mean_ms(samples_ns)])
    return f"  {label:<42}{len(ms):>6}{figures}"


def notified(records: Sequence[AssignmentRecord], managers: Mapping[int, Manager]) -> Counter[str]:
    """Notifications per channel that the decisions imply (SSE always, Telegram, e-mail)."""
    channels: Counter[str] = Counter()
    for r in records:
        if r.manager_id is None:
            continue
        manager = managers[r.manager_id]
        channels["sse"] += 1
        channels["telegram"] += bool(manager.telegram_chat_id)
        channels["email"] += bool(manager.email)
    return channels


def rate(count: int, wall_ns: int) -> float:
    """Items per second."""
    return count / (wall_ns / 1e9) if wall_ns else math.nan


def notification_row(label: str, routed: Routed, managers: Mapping[int, Manager]) -> str:
    """Outbox rows written per second in a run, with the per-channel split they imply."""
    channels = notified(routed.records, managers)
    expected = sum(channels.values())
    check = "" if expected == routed.outbox_rows else f"  (decisions imply {expected:,}!)"
    split = ", ".join(f"{c} {channels[c]:,}" for c in ("sse", "telegram", "email"))
    return (
        f"  {label:<32}{routed.outbox_rows:>7,} rows in {routed.wall_ns / 1e9:6.2f} s"
        f" = {rate(routed.outbox_rows, routed.wall_ns):6,.0f} notifications/s,"
        f" {routed.outbox_rows / len(routed.records):.2f} per lead ({split}){check}"
    )


def describe_team(fixture: Fixture) -> str:
    """How many managers are on duty, off hours and absent at `NOW`, with their channels."""
    availability = fixture.team.availability.values()
    absent = sum(a.is_absent(NOW) for a in availability)
    on_duty = sum(a.is_on_duty(NOW) for a in availability)
    managers = fixture.team.managers.values()
    telegram = sum(bool(m.telegram_chat_id) for m in managers)
    email = sum(bool(m.email) for m in managers)
    small = sum(
        m.daily_capacity is not None and m.daily_capacity < LARGE_CAPACITY
        for m in fixture.queue.members
    )
    return (
        f"{len(managers)} managers: {on_duty} on duty at now, {len(managers) - on_duty - absent}"
        f" off hours, {absent} absent; {telegram} with Telegram, {email} with e-mail;"
        f" weights 1-3, daily capacity {LARGE_CAPACITY} ({small} of them 20-40)"
    )


async def run_database(
    name: str, storage: Storage, args: argparse.Namespace, floor_ms: float
) -> None:
    """Preload, measure and print the figures for one database."""
    rng = random.Random(args.seed)
    fixture = await preload(storage, args.leads, rng)
    ids = list(fixture.lead_ids)
    rng.shuffle(ids)
    m, w = args.measure, WARMUP
    warm, read_ids, write_ids = ids[:w], ids[w : w + m], ids[w + m : w + 2 * m]
    each_ids, batch_ids = ids[w + 2 * m : w + 3 * m], ids[w + 3 * m : w + 4 * m]

    await route(storage, warm, 1, fixture)
    await time_read(storage, warm)
    read = await time_read(storage, read_ids)
    write = await time_read_write(storage, write_ids)
    each = await route(storage, each_ids, 1, fixture)
    batched = await route(storage, batch_ids, args.batch, fixture)
    fair = await fairness(storage, fixture.queue)

    managers = fixture.team.managers
    print(
        f"== {name}: {len(fixture.lead_ids):,} open leads ({fixture.linked:,} linked to"
        f" {CONTACTS:,} contacts with owners), {describe_team(fixture)} =="
    )
    print(
        f"preload: contacts {CONTACTS:,} in {fixture.contact_seconds:.1f} s, leads"
        f" {len(fixture.lead_ids):,} in {fixture.lead_seconds:.1f} s"
        f" ({rate(len(fixture.lead_ids), int(fixture.lead_seconds * 1e9)):,.0f}/s)"
    )
    print(
        f"per-lead transactions, ms {'n':>22}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'mean':>8}"
    )
    print(latency_row("baseline: get lead + commit", read))
    print(latency_row("reference: get + 1-row UPDATE + commit", write))
    print(latency_row("route_lead: get + route_lead + commit", each.transaction_ns))
    print(latency_row("  of which the route_lead call", each.route_ns))
    print(latency_row(f"route_lead, {args.batch}/tx: route_lead call", batched.route_ns))
    print(latency_row(f"route_lead, {args.batch}/tx: whole transaction", batched.transaction_ns))

    each_rate = rate(len(each.records), each.wall_ns)
    batch_rate = rate(len(batched.records), batched.wall_ns)
    print("throughput (no target stated in the issue)")
    print(f"  route_lead, 1 lead/transaction    {each_rate:10,.0f} leads/s")
    print(
        f"  route_lead, {args.batch} leads/transaction {batch_rate:9,.0f} leads/s"
        f"  (×{batch_rate / each_rate:.1f} the 1-lead rate)"
    )
    print("notifications enqueued (outbox rows counted before/after each run)")
    print(notification_row("1 lead/transaction", each, managers))
    print(notification_row(f"{args.batch} leads/transaction", batched, managers))
    kinds = Counter(r.kind for r in [*each.records, *batched.records])
    print(
        "decisions in the timed runs: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
    )
    print(
        f"fairness after {fair.decisions:,} round-robin decisions (warm-up included):"
        f" {fair.members} members always eligible ({fair.capped} on duty reached their capacity,"
        f" left out); max deviation from the weight-proportional share"
        f" {fair.max_relative:.2%} ({fair.max_absolute:.2f} leads, weight {fair.worst_weight})"
    )
    p50 = percentile(sorted(each.transaction_ns), 50) / percentile(sorted(read), 50)
    print(
        "ratios: route_lead transaction / read baseline"
        f" {mean_ms(each.transaction_ns) / mean_ms(read):.1f}× (mean), {p50:.1f}× (p50);"
        f" / 1-row write reference {mean_ms(each.transaction_ns) / mean_ms(write):.1f}×;"
        f" route_lead call / pure decision {mean_ms(each.route_ns) / floor_ms:.1f}×;"
        f" time per lead at {args.batch}/tx vs 1/tx {each_rate / batch_rate:.2f}×",
        flush=True,
    )


def decision_floor(seed: int, count: int) -> tuple[int, Counter[str], int]:
    """Pure `assign` on the same queue as the databases get (ids 1..100); (ns, kinds, members)."""
    rng = random.Random(seed)
    plan = manager_plan(rng)
    queue = build_queue([(n + 1, m.name, a) for n, (m, a) in enumerate(plan)], rng)
    time_decisions(queue, WARMUP)
    floor_ns, kinds = time_decisions(queue, count)
    return floor_ns, kinds, len(queue.members)


async def run(args: argparse.Namespace) -> None:
    """The in-memory decision floor, then each database in turn."""
    floor_ns, kinds, members = decision_floor(args.seed, args.measure)
    print(
        f"decision only (assign(), {members} members, in memory, no DB):"
        f" {args.measure:,} decisions in {floor_ns / 1e9:.2f} s ="
        f" {rate(args.measure, floor_ns):,.0f} decisions/s,"
        f" {floor_ns / args.measure / 1e3:.0f} µs each ("
        + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
        + ")",
        flush=True,
    )
    floor_ms = floor_ns / args.measure / 1e6
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        if kind == "sqlite":
            async with sqlite_database(args.workdir) as storage:
                await run_database(kind, storage, args, floor_ms)
        else:
            async with postgres_database(args.postgres_url) as storage:
                await run_database(kind, storage, args, floor_ms)


# ---------------------------------------------------------------- command line


def main() -> None:
    """Command line: measure the decision floor and one or both databases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="open leads preloaded")
    parser.add_argument("--measure", type=int, default=5000, help="leads timed per run")
    parser.add_argument("--batch", type=int, default=50, help="leads per transaction")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes (default: tmp)")
    args = parser.parse_args()
    # Every timed run takes leads nobody touched before: four runs plus the warm-up.
    needed = 4 * args.measure + WARMUP
    if args.leads < needed:
        parser.error(f"--leads must be at least 4 × --measure + {WARMUP} = {needed:,}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
