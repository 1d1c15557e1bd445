"""A sales team's database at the size the workplace's speed bar names, seeded in bulk.

`team_settings` widens the demo configuration to a team of `--managers` managers (plus the
demo head), all members of the main queue. `seed_workplace` then writes, in one transaction
straight into the tables the migrations define (COPY on PostgreSQL, executemany on SQLite):
companies and contacts; leads spread over 180 days across channels, forms and statuses (most
converted, junk or in work; a few hundred new ones per manager, some urgent, some in review
with the detector's candidates) with their inbox rows, consents, assignment decisions, calls,
activities and tasks; and one deal per converted lead (`open_deals` open in the first
pipeline with next tasks, the rest won or lost after a walk through the stages).

The shared pieces of the page benchmarks live here too: a storage on a fresh SQLite file or
PostgreSQL schema (`scratch_storage`), timing a page (`time_page`) and a report line (`row`).
"""

from __future__ import annotations

import dataclasses
import os
import random
import statistics
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from config import Settings
from config.settings import ManagerSettings, QueueMemberSettings
from crm_core.model import Manager
from crm_core.pipelines import StageKind
from crm_core.storage import Storage
from crm_core.storage.factory import open_storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.session import SqlSession, to_json
from intake.clock import utcnow

DAYS = 180
# One word list per kind of name (SIM905: a list literal of them would run over 50 lines).
FIRST_NAMES = (  # noqa: SIM905
    "Анна Мария Елена Ольга Наталья Ирина Татьяна Светлана Юлия Екатерина Алексей Дмитрий"
    " Сергей Андрей Михаил Иван Николай Павел Владимир Артём Игорь Олег Роман Евгений"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров"
    " Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев"
).split()
COMPANY_WORDS = "Ромашка Вектор Альфа Гранит Север Меридиан Техно Стройка Ресурс".split()  # noqa: SIM905
FORMS = (("site", "Заявка с сайта"), ("price", "Запрос прайса"), ("callback", "Обратный звонок"))
# Channel → (share of leads, sources); a webform lead's source is its form key.
CHANNELS = {
    "webform": (0.40, [key for key, _ in FORMS]),
    "telegram": (0.15, ["sales_bot"]),
    "vk": (0.10, ["club777"]),
    "email": (0.15, ["sales"]),
    "call": (0.20, ["yandex-direct"]),
}
MESSAGES = (
    "Здравствуйте! Интересует поставка оборудования для склада, пришлите, пожалуйста,"
    " коммерческое предложение и сроки.",
    "Добрый день. Нужен расчёт стоимости на 40 единиц с доставкой в Казань до конца месяца.",
    "Перезвоните мне, пожалуйста, после 15:00, хочу уточнить условия оплаты по безналу.",
    "Подскажите, есть ли в наличии модель из каталога и какая скидка при оптовом заказе?",
    "Ищем подрядчика на обслуживание, бюджет согласован, готовы встретиться на неделе.",
)
NOTES = (
    "Клиент просит КП до пятницы, ЛПР — финансовый директор.",
    "Договорились о созвоне, отправил презентацию на почту.",
    "Уточнил объёмы: 20–40 единиц ежемесячно, доставка своя.",
)
# The measured lead's timeline: this many activities and tasks.
LONG_TIMELINE = 80
LONG_TASKS = 12


@dataclass(frozen=True, slots=True)
class Seeded:
    """What the benchmark asks for after seeding."""

    pipeline: str
    head: str
    manager: str
    lead_id: int  # the manager's new lead in review with the longest timeline
    counts: dict[str, int] = field(default_factory=dict)


def team_settings(settings: Settings, managers: int) -> Settings:
    """The demo configuration with `managers` managers (the demo's first, then generated
    ones) in the main queue, the demo head as its fallback, and three website forms."""
    demo = [m for m in settings.managers if m.role != "head"]
    heads = [m for m in settings.managers if m.role == "head"]
    team = list(demo[:managers])
    for n in range(len(team) + 1, managers + 1):
        team.append(
            ManagerSettings(
                login=f"manager{n:02d}",
                name=f"{FIRST_NAMES[10 + n % 14]} {LAST_NAMES[n * 7 % len(LAST_NAMES)]}",
                role="manager",
                email=f"manager{n:02d}@example.ru",
                telegram_chat_id=None,
                timezone="Asia/Yekaterinburg" if n % 5 == 0 else "Europe/Moscow",
                active=True,
                working_hours=None if n % 3 == 0 else {"mon-fri": "09:00-18:00"},
            )
        )
    main = settings.queues[0]
    queue = dataclasses.replace(
        main,
        managers=tuple(m.login for m in team),
        members=tuple(QueueMemberSettings(m.login) for m in team),
    )
    base_form = settings.forms[0]
    forms = tuple(dataclasses.replace(base_form, key=key, name=name) for key, name in FORMS)
    return dataclasses.replace(
        settings,
        managers=(*team, *heads),
        queues=(queue, *settings.queues[1:]),
        forms=forms,
    )


@asynccontextmanager
async def scratch_storage(
    postgres_url: str, workdir: Path, name: str
) -> AsyncIterator[tuple[Storage, str]]:
    """An unopened storage on a fresh database: a schema of its own on PostgreSQL (dropped
    afterwards), else a SQLite file in `workdir`; with the database's label."""
    if not postgres_url:
        yield open_storage(f"sqlite:///{workdir / f'{name}.sqlite3'}"), "SQLite"
        return
    schema = f"bench_{name}_{os.getpid()}"
    conn = await asyncpg.connect(postgres_url)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    try:
        yield PostgresStorage(postgres_url, schema=schema), "PostgreSQL"
    finally:
        conn = await asyncpg.connect(postgres_url)
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


@dataclass(slots=True)
class Timing:
    """Requests to one page: wall-clock latencies (ms), CPU of this process per request (ms:
    the server and the client share it; steadier than wall time on a busy machine), the
    last body's size and the last status."""

    samples: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0
    size: int = 0
    status: int = 0


async def time_page(client: TestClient, path: str, token: str, count: int) -> Timing:
    """`count` GET requests of a page (timing stops at the first answer that is not 200)."""
    timing = Timing()
    headers = {"Authorization": f"Bearer {token}"}
    cpu_started = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        async with client.get(path, headers=headers, allow_redirects=False) as response:
            body = await response.read()
            timing.status = response.status
        if timing.status != 200:
            break
        timing.samples.append((time.perf_counter() - started) * 1000)
        timing.size = len(body)
    if timing.samples:
        timing.cpu_ms = (time.process_time() - cpu_started) * 1000 / len(timing.samples)
    return timing


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def row(label: str, timing: Timing) -> str:
    """One line of the report: p50, p95, max, CPU per request and the page's weight."""
    samples = timing.samples
    return (
        f"{label:<22} p50 {statistics.median(samples):6.1f}  p95 {p95(samples):6.1f}"
        f"  max {max(samples):6.1f}  cpu {timing.cpu_ms:6.1f} ms  {timing.size / 1024:7.1f} KiB"
    )


# ---------------------------------------------------------------- seeding


def _session(uow: Any) -> SqlSession:
    # The bench writes the migrations' tables directly, in bulk, through the unit of work's
    # own session (and so its transaction): the repositories add rows one by one.
    session: SqlSession = uow.sales._s
    return session


class _Tables:
    """Rows gathered per table, written in one go each (ids given where others point)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}

    def table(self, name: str, columns: str) -> list[tuple[Any, ...]]:
        """The row list of a table (columns as one comma-separated string)."""
        found = self.rows.setdefault(name, (tuple(c.strip() for c in columns.split(",")), []))
        return found[1]

    def money(self, value: Decimal) -> Any:
        """NUMERIC: Decimal for COPY, text for SQLite (its adapter knows no Decimal)."""
        return value if self.dialect == "postgres" else str(value)

    async def write(self, session: SqlSession, order: Iterable[str]) -> None:
        """Insert every table's rows in `order` (parents first), then move PostgreSQL's
        identity sequences past the ids given."""
        for name in order:
            columns, rows = self.rows.get(name, ((), []))
            for start in range(0, len(rows), 20_000):
                await session.insert_rows(name, columns, rows[start : start + 20_000])
            if self.dialect == "postgres" and "id" in columns:
                await session.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                    f" (SELECT MAX(id) FROM {name}))"
                )


def _person(rnd: random.Random) -> tuple[str, str, str]:
    first = rnd.choice(FIRST_NAMES)
    last = rnd.choice(LAST_NAMES)
    if first[-1] in "ая" and last[-1] in "вн":
        last += "а"
    return first, last, f"{last} {first}"


def _phone(n: int) -> str:
    return f"+79{(160000000 + n * 7919) % 1000000000:09d}"


def _explanation(rnd: random.Random, decision: str, contact_ids: Sequence[int]) -> str:
    candidates = [
        {
            "entity": "contact",
            "id": cid,
            "score": round(0.55 - 0.1 * k, 4),
            "weight": round(4.0 - k, 2),
            "evidence": [
                {
                    "field": "phone",
                    "outcome": "match",
                    "weight": 3.2,
                    "strength": "strong",
                    "note": "телефон совпадает",
                    "shared_by": 1,
                },
                {
                    "field": "first_name",
                    "outcome": "match",
                    "weight": 1.1,
                    "strength": "weak",
                    "note": "имя совпадает",
                    "shared_by": 40,
                },
                {
                    "field": "surname",
                    "outcome": "mismatch",
                    "weight": -0.8,
                    "strength": "weak",
                    "note": "фамилия другая",
                    "shared_by": 0,
                },
            ],
        }
        for k, cid in enumerate(contact_ids)
    ]
    reason = {
        "review": "идентификатор совпал, но имя другое: нужна проверка менеджером",
        "auto": "телефон совпадает; имя совпадает",
        "new": "похожих контактов не найдено",
    }[decision]
    return to_json(
        {
            "decision": decision,
            "score": round(rnd.uniform(0.5, 0.9), 4) if candidates else 0.01,
            "reason": reason,
            "contact_id": contact_ids[0] if contact_ids else None,
            "company_id": None,
            "duplicate_of_lead_id": None,
            "candidates": candidates,
            "company": None,
        }
    )


async def seed_workplace(
    storage: Storage,
    settings: Settings,
    *,
    leads: int,
    deals: int,
    open_deals: int,
    new_per_manager: int,
    seed: int = 14,
) -> Seeded:
    """Fill an empty, migrated database (see the module's docstring); returns what to ask."""
    rnd = random.Random(seed)
    now = utcnow()

    def past(moment: datetime) -> datetime:
        return min(moment, now - timedelta(seconds=1))

    async with storage.reader() as uow:
        stored = await uow.managers.list()
    team = [m for m in stored if m.active and not m.is_head]
    head = next(m for m in stored if m.is_head)
    measured = team[0]
    tables = _Tables(storage.dialect)
    if deals > leads:
        raise ValueError("every deal comes from a converted lead: --deals must be <= --leads")

    # Companies and contacts: about one contact per two leads, four in ten with a company.
    n_companies = max(1, leads // 10)
    companies = tables.table(
        "companies", "id, name, inn, owner_id, created_at, updated_at, phones, emails"
    )
    for cid in range(1, n_companies + 1):
        made = now - timedelta(days=DAYS + 30 * rnd.random())
        companies.append(
            (
                cid,
                f"ООО «{rnd.choice(COMPANY_WORDS)}-{cid}»",
                f"77{cid:08d}",
                rnd.choice(team).id,
                made,
                made,
                "[]",
                "[]",
            )
        )
    n_contacts = max(1, leads * 45 // 100)
    contacts = tables.table(
        "contacts",
        "id, name, first_name, last_name, phone, email, messenger_ids, company_id, owner_id,"
        " created_at, updated_at, phones, emails, company_name",
    )
    contact_company: list[int | None] = [None]
    for cid in range(1, n_contacts + 1):
        first, last, full = _person(rnd)
        company = rnd.randint(1, n_companies) if rnd.random() < 0.4 else None
        contact_company.append(company)
        made = now - timedelta(days=DAYS * rnd.random())
        phone, email = _phone(cid), f"client{cid}@example.ru"
        contacts.append(
            (
                cid,
                full,
                first,
                last,
                phone,
                email,
                "{}",
                company,
                rnd.choice(team).id,
                made,
                made,
                to_json([phone]),
                to_json([email]),
                companies[company - 1][1] if company else None,
            )
        )

    # Leads, oldest first: statuses, then rows.
    times = sorted(now - timedelta(days=DAYS * rnd.random() ** 1.15) for _ in range(leads))
    status = ["junk"] * leads
    new_count = min(leads // 2, new_per_manager * len(team) + new_per_manager // 2)
    # New leads: mostly of the last three days, a tenth stuck for up to a month.
    recent = [i for i in range(leads) if times[i] > now - timedelta(days=3)]
    month = [i for i in range(leads) if times[i] > now - timedelta(days=30)]
    new_ids = set(rnd.sample(recent, min(len(recent), new_count * 9 // 10)))
    older = [i for i in (month if len(month) >= new_count else range(leads)) if i not in new_ids]
    new_ids.update(rnd.sample(older, new_count - len(new_ids)))
    rest = [i for i in range(leads) if i not in new_ids]
    rnd.shuffle(rest)
    converted = sorted(rest[:deals])
    for i in new_ids:
        status[i] = "new"
    for i in converted:
        status[i] = "converted"
    for i in rest[deals : deals + int(leads * 0.3)]:
        status[i] = "in_work"
    # New leads by manager, exactly `new_per_manager` each (the measured one's first), the
    # rest unassigned (the head's view shows them).
    new_order = sorted(new_ids)
    new_owner: dict[int, Manager | None] = {}
    for k, i in enumerate(new_order):
        new_owner[i] = team[k % len(team)] if k < new_per_manager * len(team) else None
    # The measured lead: the measured manager's newest new lead.
    long_lead = max(i for i in new_order if new_owner[i] is measured) + 1

    inbox = tables.table(
        "inbox",
        "id, channel, source, external_id, ingest_token, received_at, available_at, payload,"
        " headers, event, status, attempts, processed_at, lead_id",
    )
    lead_rows = tables.table(
        "leads",
        "id, inbox_id, status, channel, source, name, first_name, last_name, phone, phone_raw,"
        " email, email_raw, company, messenger_ids, comment, utm, page_url, fields, meta, flags,"
        " queue, pipeline, assignee_id, contact_id, company_id, received_at, created_at,"
        " updated_at, dedupe_decision, dedupe_score, dedupe_explanation, is_repeat, junk_reason,"
        " taken_at, accept_by, converted_at, deal_id",
    )
    consents = tables.table(
        "consents", "lead_id, given, text_version, raw_value, source, recorded_at"
    )
    assignments = tables.table(
        "lead_assignments", "lead_id, manager_id, queue, kind, reason, decided_at, accept_by"
    )
    calls = tables.table(
        "calls",
        "provider, call_id, direction, caller, callee, line, outcome, started_at, answered_at,"
        " ended_at, duration_seconds, talk_seconds, recording_ref, facts, completed_at, lead_id,"
        " entity, entity_id, manager_id, created_at, updated_at",
    )
    activities = tables.table(
        "activities", "entity, entity_id, kind, text, at, actor, manager_id, created_at"
    )
    tasks = tables.table(
        "tasks",
        "entity, entity_id, task_type, title, due_at, assignee_id, done_at, created_by,"
        " created_at",
    )
    channel_names = list(CHANNELS)
    channel_weights = [CHANNELS[c][0] for c in channel_names]
    junk_keys = [r.key for r in settings.leads.junk_reasons] or ["other"]
    pipeline = settings.pipelines[0]
    deal_of_lead: dict[int, int] = {lead_idx + 1: n + 1 for n, lead_idx in enumerate(converted)}
    lead_info: dict[int, tuple[Manager, int, int | None, datetime]] = {}
    for i in range(leads):
        lead_id = i + 1
        at = times[i]
        state = status[i]
        channel = rnd.choices(channel_names, channel_weights)[0]
        source = rnd.choice(CHANNELS[channel][1])
        first, last, full = _person(rnd)
        owner: Manager | None = new_owner[i] if state == "new" else rnd.choice(team)
        if lead_id == long_lead:
            channel, source = "webform", "site"
        # Who the detector found: a converted lead always ends at a contact.
        roll = rnd.random()
        decision = "auto" if roll < 0.35 else "new"
        if state == "new" and (roll > 0.9 or lead_id == long_lead):
            decision = "review"
        contact_ids: list[int] = []
        if decision == "auto" or state == "converted":
            contact_ids = [rnd.randint(1, n_contacts)]
        if decision == "review":
            contact_ids = rnd.sample(range(1, n_contacts + 1), 3 if lead_id == long_lead else 2)
        contact_id = contact_ids[0] if contact_ids else None
        company_id = contact_company[contact_id] if contact_id else None
        phone = _phone(contact_id) if decision == "auto" and contact_id else _phone(n_contacts + i)
        email = None if channel == "call" or rnd.random() < 0.4 else f"lead{lead_id}@example.ru"
        urgent = state == "new" and channel == "call" and rnd.random() < 0.5
        messenger: dict[str, str] = {}
        if channel == "telegram":
            messenger = {"telegram_id": str(500000 + i), "telegram_username": f"client_{i}"}
        elif channel == "vk":
            messenger = {"vk_id": str(9000000 + i)}
        taken = past(at + timedelta(minutes=rnd.uniform(1, 60))) if state != "new" else None
        accept_by = (
            now + timedelta(minutes=rnd.uniform(30, 24 * 60))
            if state == "new" and owner is not None
            else None
        )
        converted_at = past(taken + timedelta(hours=rnd.uniform(1, 72))) if taken else None
        message = rnd.choice(MESSAGES)
        inbox.append(
            (
                lead_id,
                channel,
                source,
                f"bench-{lead_id}",
                "bench",
                at,
                at,
                "{}",
                "{}",
                "{}",
                "processed",
                1,
                at,
                lead_id,
            )
        )
        lead_rows.append(
            (
                lead_id,
                lead_id,
                state,
                channel,
                source,
                full,
                first,
                last,
                None if channel in ("telegram", "vk") and rnd.random() < 0.5 else phone,
                phone,
                email,
                email,
                f"ООО «{rnd.choice(COMPANY_WORDS)}»" if rnd.random() < 0.3 else None,
                to_json(messenger),
                message,
                to_json({"utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "spring"})
                if channel == "webform"
                else "{}",
                "https://example.ru/catalog" if channel == "webform" else None,
                to_json({"inn": f"77{i:08d}"}) if channel == "webform" and i % 10 == 0 else "{}",
                "{}",
                '["urgent"]' if urgent else "[]",
                "main",
                "main",
                owner.id if owner else None,
                contact_id,
                company_id,
                at,
                at,
                converted_at or taken or at,
                decision,
                0.9 if decision == "auto" else 0.6 if decision == "review" else 0.01,
                _explanation(rnd, decision, contact_ids),
                decision == "auto",
                rnd.choice(junk_keys) if state == "junk" else None,
                taken,
                accept_by,
                converted_at if state == "converted" else None,
                deal_of_lead.get(lead_id),
            )
        )
        if channel == "webform":
            consents.append((lead_id, True, "2026-01", "on", source, at))
        if owner is not None:
            assignments.append(
                (
                    lead_id,
                    owner.id,
                    "main",
                    "round_robin",
                    f"по очереди «Входящие заявки»: {owner.name}",
                    at,
                    at + timedelta(minutes=15),
                )
            )
        if channel == "call":
            answered = not urgent
            calls.append(
                (
                    "mango",
                    f"bench-call-{lead_id}",
                    "in",
                    phone,
                    "+74951234567",
                    "+74951234567",
                    "answered" if answered else "missed",
                    at,
                    at + timedelta(seconds=8) if answered else None,
                    at + timedelta(seconds=200),
                    200,
                    192 if answered else 0,
                    f"https://records.example.ru/{lead_id}.mp3" if answered else None,
                    "[]",
                    at + timedelta(seconds=200),
                    lead_id,
                    "lead",
                    lead_id,
                    owner.id if owner and answered else None,
                    at,
                    at,
                )
            )
        # The timeline: the first message, then a few of the manager's steps.
        steps = LONG_TIMELINE if lead_id == long_lead else rnd.randint(0, 4)
        kind0 = "call" if channel == "call" else "email" if channel == "email" else "message"
        activities.append(("lead", lead_id, kind0, message, at, f"inbox:{lead_id}", None, at))
        for s in range(steps):
            step_at = at + (now - at) * (s + 1) / (steps + 1)
            kind = ("note", "message", "call", "email")[s % 4]
            actor = owner.login if owner else "system"
            text = rnd.choice(NOTES) if kind == "note" else rnd.choice(MESSAGES)
            activities.append(
                ("lead", lead_id, kind, text, step_at, actor, owner.id if owner else None, at)
            )
        if owner is not None and state in ("in_work", "new"):
            for t in range(LONG_TASKS if lead_id == long_lead else 1):
                due = (taken or at) + timedelta(days=1 + t)
                done = due if (due < now and rnd.random() < 0.7) else None
                tasks.append(
                    (
                        "lead",
                        lead_id,
                        "call",
                        "Перезвонить клиенту",
                        due,
                        owner.id,
                        done,
                        "bench",
                        at,
                    )
                )
        if state == "converted" and owner is not None and contact_id is not None:
            assert converted_at is not None
            lead_info[lead_id] = (owner, contact_id, company_id, converted_at)

    # Deals: one per converted lead (ids in conversion order). The open ones are the
    # newest but a fifth, which are spread over the whole period.
    deal_rows = tables.table(
        "deals",
        "id, title, pipeline, stage, status, amount, currency, products, comment, fields,"
        " contact_id, company_id, lead_id, owner_id, lost_reason, stage_entered_at, created_at,"
        " updated_at, closed_at",
    )
    stages = tables.table("deal_stages", "deal_id, stage, entered_at, left_at, actor")
    open_deals = min(open_deals, deals)
    newest = list(range(deals - open_deals * 4 // 5, deals))
    older = rnd.sample(range(deals - open_deals * 4 // 5), open_deals - len(newest))
    open_set = set(newest) | set(older)
    by_key = {p.key: p for p in settings.pipelines}
    for n, lead_idx in enumerate(converted):
        deal_id = n + 1
        lead_id = lead_idx + 1
        owner, contact_id, company_id, created = lead_info[lead_id]
        is_open = n in open_set
        chosen = pipeline if is_open or rnd.random() < 0.8 else settings.pipelines[-1]
        walk = [s.key for s in by_key[chosen.key].stages if StageKind(s.kind) is StageKind.OPEN]
        won = next(s.key for s in chosen.stages if StageKind(s.kind) is StageKind.WON)
        lost = next(s.key for s in chosen.stages if StageKind(s.kind) is StageKind.LOST)
        if is_open:
            path = walk[: 1 + n % len(walk)]
            final, deal_status = path[-1], "open"
        elif rnd.random() < 0.45:
            path, final, deal_status = [*walk, won], won, "won"
        else:
            path = [*walk[: rnd.randint(1, len(walk))], lost]
            final, deal_status = lost, "lost"
        entered = created
        for k, stage in enumerate(path):
            left = None
            if k < len(path) - 1:
                left = past(entered + timedelta(hours=rnd.uniform(2, 120)))
            stages.append((deal_id, stage, entered, left, owner.login))
            entered = left or entered
        amount = Decimal(50_000 + (n * 7919) % 2_000_000)
        deal_rows.append(
            (
                deal_id,
                f"Поставка оборудования №{deal_id}",
                chosen.key,
                final,
                deal_status,
                tables.money(amount),
                "RUB",
                "[]",
                None,
                "{}",
                contact_id,
                company_id,
                lead_id,
                owner.id,
                rnd.choice(chosen.lost_reasons or ("Другое",)) if deal_status == "lost" else None,
                entered,
                created,
                entered,
                None if is_open else entered,
            )
        )
        if is_open:  # the next step: overdue, today or later, so every health colour shows
            due = now + timedelta(hours=(n % 3 - 1) * 30)
            tasks.append(("deal", deal_id, "call", "Позвонить", due, owner.id, None, "bench", now))
        else:
            tasks.append(
                ("deal", deal_id, "call", "Позвонить", entered, owner.id, entered, "bench", now)
            )

    session_order = (
        "companies",
        "contacts",
        "inbox",
        "leads",
        "deals",
        "deal_stages",
        "consents",
        "lead_assignments",
        "calls",
        "activities",
        "tasks",
    )
    async with storage.transaction() as uow:
        await tables.write(_session(uow), session_order)
    if storage.dialect == "postgres":  # a live database is analysed; a fresh one is not yet
        async with storage.reader() as uow:
            await _session(uow).execute("ANALYZE")
    return Seeded(
        pipeline=pipeline.key,
        head=head.login,
        manager=measured.login,
        lead_id=long_lead,
        counts={name: len(tables.rows[name][1]) for name in session_order},
    )
