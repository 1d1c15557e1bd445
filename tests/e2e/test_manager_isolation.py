"""Managers are kept to their own clients: every route of the OpenAPI document, called by
ivanova with petrov's record ids (in the path, the query and the body), reveals and changes
nothing of his, on both databases."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from crm_core.calls import CallDirection, CallFact, CallOutcome, CallStage, StoredCall, assemble
from crm_core.chains import join_lead
from crm_core.closing import ClosingTerms, change_closing_status, create_closing_document
from crm_core.closing_model import ClosingKind, ClosingStatus
from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from crm_core.invoices import InvoiceTerms, create_invoice
from crm_core.quotes import quote_request
from crm_core.requisites import Requisites
from dedupe.profile import RawIdentity
from intake.auth import list_tokens
from intake.clock import utcnow
from tests.e2e.conftest import Running

# Routes a manager's token has no business with, each with the reason it is not walked.
SKIPPED = {
    "/healthz": "ops, no records",
    "/readyz": "ops, no records",
    "/metrics": "ops, no records",
    "/api/v1/openapi.json": "the document itself",
    "/api/v1/forms/{form_key}": "public intake",
    "/api/v1/events": "the caller's own notification stream (no record ids; never ends)",
}
SKIPPED_PREFIXES = (
    "/hooks/",  # public intake: messengers and telephony webhooks
    # The catalogue is nobody's: every manager reads it and only heads change it
    # (tests/e2e/test_catalogue_api.py).
    "/api/v1/products",
    "/api/v1/price-lists",
)
# What petrov's records hold and ivanova's never do: a 2xx showing one of these leaks them.
MARKERS = ("Петровск", "9035550", "petrovsky-client")
VOLATILE = frozenset({"seconds_in_stage", "health"})
# Refusals that mean "not yours" or "not allowed"; a 400 would mean the walk sent nonsense.
REFUSALS = (403, 404, 409, 422)
# A manager asking for petrov's money figures gets her own: the reports cover a year of them.
MONEY = "?manager=petrov&from=2026-01-01&to=2026-12-31"
QUERIES = {
    "/api/v1/leads": "?contact_id={contact}&assignee=petrov",
    "/api/v1/reports/revenue": MONEY,
    "/api/v1/reports/receivables": "?manager=petrov&as_of=2027-06-01",
    "/api/v1/reports/documents-conversion": MONEY,
}
DUE = (utcnow() + timedelta(days=2)).isoformat()
PETROV_LINE = {"name": "Петровский: монтаж", "quantity": 1, "price": "1000", "vat_rate": "20"}


@dataclass
class World:
    """Petrov's records (lead → deal, contact, company, task, call, merges, a join of leads)
    and ivanova's."""

    ids: dict[str, int] = field(default_factory=dict)
    ivanova_id: int = 0
    serial: int = 0


async def request(
    running: Running, method: str, path: str, login: str, body: Any = None
) -> tuple[int, str]:
    """Call a route; the status and the body as text."""
    async with running.client.request(
        method.upper(), path, json=body, headers=running.auth(login)
    ) as response:
        return response.status, await response.text()


async def ok(running: Running, method: str, path: str, login: str, body: Any = None) -> Any:
    """Call a route that must succeed; its JSON."""
    status, text = await request(running, method, path, login, body)
    assert status in (200, 201), (method, path, status, text)
    return json.loads(text)


async def new_lead(running: Running, owner: str, **fields: str) -> int:
    """A form lead, given to `owner` and taken into work by them."""
    async with running.client.post("/api/v1/forms/site", json=fields) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    lead = await running.wait_for_lead(intake_id)
    if lead["assignee"] != owner:
        await ok(
            running, "post", f"/api/v1/leads/{lead['id']}/reassign", "head", {"manager": owner}
        )
    await ok(running, "post", f"/api/v1/leads/{lead['id']}/take", owner, {})
    return int(lead["id"])


async def ivanova_lead(running: Running, world: World) -> int:
    """A fresh lead of ivanova's own client, decided "new" by the detector."""
    world.serial += 1
    n = world.serial
    return await new_lead(
        running,
        "ivanova",
        name=f"Ирина Смирнова{n}",
        phone=f"+7 916 700-{n:02d}-{n:02d}",
        email=f"irina{n}@ivanova-client.ru",
    )


async def build_world(running: Running) -> World:
    """Petrov's converted lead with its deal, contact, company, task, activity, call and merges;
    ivanova's own lead and contact."""
    world = World()
    storage = running.services.storage
    async with storage.reader() as uow:
        petrov = await uow.managers.get_by_login("petrov")
        ivanova = await uow.managers.get_by_login("ivanova")
    assert petrov is not None and ivanova is not None
    world.ivanova_id = ivanova.id
    ids = world.ids
    ids["lead"] = await new_lead(
        running,
        "petrov",
        name="Гаврила Петровский",
        phone="+7 903 555-01-01",
        email="gavrila@petrovsky-client.ru",
        company="ООО Ромашка Петровского",
        comment="Петровский: нужен счёт",
    )
    converted = await ok(running, "post", f"/api/v1/leads/{ids['lead']}/convert", "petrov", {})
    ids.update(
        contact=converted["contact_id"], company=converted["company_id"], deal=converted["deal_id"]
    )
    assert None not in ids.values(), converted
    task = {"entity": "deal", "entity_id": ids["deal"], "title": "Петровский: счёт", "due_at": DUE}
    ids["task"] = (await ok(running, "post", "/api/v1/tasks", "petrov", task))["id"]
    quote = {"vat_mode": "per_line", "items": [PETROV_LINE]}
    path = f"/api/v1/deals/{ids['deal']}/quotes"
    ids["quote"] = (await ok(running, "post", path, "petrov", quote))["id"]
    ids["invoice"], ids["payment"] = await _petrov_invoice(running, petrov, ids["deal"])
    ids["shipment"], ids["act"] = await _petrov_closing(running, petrov, ids["invoice"])
    note = {"entity": "contact", "entity_id": ids["contact"], "kind": "note"}
    await ok(running, "post", "/api/v1/activities", "petrov", {**note, "text": "Петровский: VIP"})

    now = utcnow()
    async with storage.transaction() as uow:
        twins = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(name=f"Пётр Петровский{n}", phones=(f"+7903555020{n}",)),
                    "RU",
                    owner_id=petrov.id,
                )
                for n in (1, 2)
            ],
            now,
        )
        firms = await add_companies(
            uow,
            [
                prepare_company(
                    RawIdentity(company=f"Петровский и сыновья {n}"), "RU", owner_id=petrov.id
                )
                for n in (1, 2)
            ],
            now,
        )
        [ids["ivanova_contact"]] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(name="Инна Иванова-Клиент", phones=("+79167009999",)),
                    "RU",
                    owner_id=ivanova.id,
                )
            ],
            now,
        )
        [ids["ivanova_company"]] = await add_companies(
            uow,
            [prepare_company(RawIdentity(company="ИП Иванова-Клиент"), "RU", owner_id=ivanova.id)],
            now,
        )
        ids["call"] = await _petrov_call(uow, petrov.id, ids["deal"], now)
    ids["token"] = next(t.id for t in await list_tokens(storage) if t.login == "petrov")
    merge = {"survivor_id": twins[0], "merged_id": twins[1]}
    ids["contact_merge"] = (await ok(running, "post", "/api/v1/contacts/merge", "petrov", merge))[
        "merge_id"
    ]
    ids["twin"] = twins[0]
    merge = {"survivor_id": firms[0], "merged_id": firms[1]}
    ids["company_merge"] = (await ok(running, "post", "/api/v1/companies/merge", "petrov", merge))[
        "merge_id"
    ]
    ids["firm"] = firms[0]
    ids["join"] = await _petrov_join(running)
    await ivanova_lead(running, world)
    return world


async def _petrov_invoice(running: Running, petrov: Any, deal_id: int) -> tuple[int, int]:
    """An issued invoice on petrov's deal (the test config has no seller: the core is given
    one) and a payment settling part of it."""
    terms = InvoiceTerms("СЧ-", "Europe/Moscow", 5, Requisites("ООО Продавец"))
    lines = quote_request({"vat_mode": "per_line", "items": [PETROV_LINE]})
    async with running.services.storage.transaction() as uow:
        invoice = await create_invoice(uow, deal_id, petrov, lines, None, terms, utcnow())
    path = f"/api/v1/invoices/{invoice.id}/status"
    await ok(running, "post", path, "petrov", {"status": "issued"})
    payment = {"invoice_id": invoice.id, "amount": "100.00", "date": "2026-12-08"}
    paid = await ok(
        running, "post", "/api/v1/payments", "petrov", {**payment, "payer": "Петровский"}
    )
    return invoice.id, int(paid["payment"]["id"])


async def _petrov_closing(running: Running, petrov: Any, invoice_id: int) -> tuple[int, int]:
    """A cancelled shipment and a draft act of petrov's partly paid invoice (the core is given
    a pipeline that ships before payment)."""
    deal_pipeline = next(iter(running.services.sales.pipelines.values()))
    pipelines = {deal_pipeline.key: replace(deal_pipeline, ship_before_payment=True)}
    terms = ClosingTerms("ТН-", "АКТ-", "Europe/Moscow")
    async with running.services.storage.transaction() as uow:
        shipment = await create_closing_document(
            uow, invoice_id, ClosingKind.SHIPMENT, petrov, None, pipelines, terms, utcnow()
        )
        await change_closing_status(
            uow, shipment.id, ClosingKind.SHIPMENT, petrov, ClosingStatus.CANCELLED, utcnow()
        )
        act = await create_closing_document(
            uow, invoice_id, ClosingKind.ACT, petrov, None, pipelines, terms, utcnow()
        )
    return shipment.id, act.id


async def _petrov_join(running: Running) -> int:
    """Two of petrov's open leads of one person, joined (as a chain of channels joins them)."""
    first = await new_lead(running, "petrov", name="Фома Петровский", phone="+7 903 555-03-01")
    second = await new_lead(running, "petrov", email="foma@petrovsky-client.ru")
    async with running.services.storage.transaction() as uow:
        survivor = await uow.leads.lock(first)
        joined = await uow.leads.lock(second)
        assert survivor is not None and joined is not None
        return await join_lead(uow, survivor, joined, "один человек", None, "system", utcnow())


async def _petrov_call(uow: Any, petrov_id: int, deal_id: int, now: Any) -> int:
    fact = CallFact(
        provider="zadarma",
        call_id="petrov-1",
        event_key="NOTIFY_END",
        stage=CallStage.ENDED,
        at=now,
        direction=CallDirection.INBOUND,
        caller="+79035550101",
        callee="+74951234567",
        outcome=CallOutcome.ANSWERED,
        started_at=now - timedelta(minutes=3),
        answered_at=now - timedelta(minutes=2),
        ended_at=now,
    )
    row = await uow.calls.lock_or_create("zadarma", "petrov-1", now)
    call = StoredCall(
        id=row.id,
        facts=(fact,),
        summary=assemble([fact], summary_final=True),
        completed_at=now,
        entity="deal",
        entity_id=deal_id,
        manager_id=petrov_id,
    )
    await uow.calls.save(call, now)
    return int(row.id)


async def snapshot(running: Running, world: World) -> dict[str, Any]:
    """Every record of petrov's as the head sees it (times that tick removed)."""
    ids = world.ids
    paths = {
        "lead": f"/api/v1/leads/{ids['lead']}",
        "assignments": f"/api/v1/leads/{ids['lead']}/assignments",
        "deal": f"/api/v1/deals/{ids['deal']}",
        "contact": f"/api/v1/contacts/{ids['contact']}",
        "company": f"/api/v1/companies/{ids['company']}",
        "call": f"/api/v1/calls/{ids['call']}",
        "twin": f"/api/v1/contacts/{ids['twin']}",
        "firm": f"/api/v1/companies/{ids['firm']}",
        "quote": f"/api/v1/quotes/{ids['quote']}",
        "quotes": f"/api/v1/deals/{ids['deal']}/quotes",
        "invoice": f"/api/v1/invoices/{ids['invoice']}",
        "invoices": f"/api/v1/deals/{ids['deal']}/invoices",
        "payments": f"/api/v1/payments?invoice_id={ids['invoice']}",
        "shipments": f"/api/v1/deals/{ids['deal']}/shipments",
    }
    return {name: _stable(await ok(running, "get", path, "head")) for name, path in paths.items()}


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


async def assert_reports_cover_only_her_records(running: Running, world: World) -> None:
    """Ivanova's reports count her leads and deals only (petrov has one of each, converted)."""
    funnel = await ok(running, "get", "/api/v1/reports/funnel", "ivanova")
    assert funnel["scope"] == "own" and funnel["totals"]["deals"] == 0, funnel
    quality = await ok(running, "get", "/api/v1/reports/lead-quality", "ivanova")
    hers = await running.leads("head", "limit=500&assignee=ivanova")
    assert quality["total"]["leads"] == len(hers), (quality, len(hers))
    assert quality["total"]["converted"] == 0, quality


def fills(template: str, world: World) -> list[str]:
    """The path with every parameter set to petrov's record of that kind; a route naming its
    record's kind (`{entity}/{entity_id}`) once per kind it takes."""
    if "{entity}/{entity_id}" not in template:
        return [fill(template, world)]
    return [
        fill(template.replace("{entity}/{entity_id}", f"{kind}/{{{kind}_id}}"), world)
        for kind in ("lead", "deal", "contact")
    ]


def fill(template: str, world: World) -> str:
    """A path with every parameter set to petrov's record of that kind."""
    ids = world.ids
    merge = ids["company_merge"] if template.startswith("/api/v1/companies/") else None
    values = {
        "lead_id": ids["lead"],
        "deal_id": ids["deal"],
        "contact_id": ids["contact"],
        "company_id": ids["company"],
        "call_id": ids["call"],
        "task_id": ids["task"],
        "merge_id": merge or ids["contact_merge"],
        "token_id": ids["token"],
        "join_id": ids["join"],
        "quote_id": ids["quote"],
        "invoice_id": ids["invoice"],
        "payment_id": ids["payment"],
        "shipment_id": ids["shipment"],
        "act_id": ids["act"],
        # The first file of the lead's opening message: refused for the record, file or not.
        "attachment": "l.0",
        "login": "petrov",  # the team's settings: a manager may read or change nobody's
        "key": "main",  # the sales setup's queues, pipelines and forms: nobody's either
        "stage": "opening",
        # Webhook subscriptions are the head's setup: a manager is refused whatever the id.
        "webhook_id": 1,
        "delivery_id": 1,
        "connector_id": 1,
        "erasure_id": 1,  # a person's data on request is the head's business too
    }
    path = template
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", str(value))
    assert "{" not in path, f"no petrov record for a parameter of {template}"
    return path


def bodies(path: str, world: World) -> list[dict[str, Any]]:
    """Request bodies naming petrov's records wherever a body takes a record."""
    ids = world.ids
    attack: dict[str, Any] = {
        "contact_id": ids["contact"],
        "company_id": ids["company"],
        "survivor_id": ids["ivanova_contact"],
        "merged_id": ids["contact"],
        "stage": "won",
        "manager": "ivanova",
        "reason": "no_interest",
        "done": True,
        "title": "Чужая задача",
        "due_at": DUE,
        "kind": "note",
        "text": "Чужая заметка",
    }
    if path.startswith("/api/v1/companies/"):
        attack.update(survivor_id=ids["ivanova_company"], merged_id=ids["company"])
    if path.startswith("/api/v1/settings/"):
        # A well-formed change of any kind (a manager, a queue, a pipeline, a form, a junk
        # reason, a phone line, an extension), so the refusal is the permission's, not the
        # schema's.
        return [
            {
                "login": "chuzhoy",
                "key": "chuzhoy",
                "name": "Чужой",
                "role": "head",
                "managers": ["petrov"],
                "stages": [{"key": "won", "name": "Успех", "kind": "won"}],
                "version": 1,
                "to": "opening",
                "line": "+7 495 000-00-01",
                "extension": "199",
            }
        ]
    if path == "/api/v1/tokens":
        # A well-formed token for petrov: acting as him would be the worst of all.
        return [{"login": "petrov", "name": "чужой токен"}]
    if path in ("/api/v1/connectors", "/api/v1/connectors/{connector_id}"):
        return [
            {
                "kind": "bitrix24",
                "url": "https://example.bitrix24.ru/rest/1/",
                "secret_env": "PATH",
            }
        ]
    if path in ("/api/v1/webhooks", "/api/v1/webhooks/{webhook_id}"):
        # A well-formed subscription: petrov's leads sent out would leak them all.
        return [{"url": "https://example.org/hook", "events": ["lead.created"]}]
    if path in ("/api/v1/deals/{deal_id}/quotes", "/api/v1/quotes/{quote_id}"):
        return [{"vat_mode": "per_line", "items": [PETROV_LINE]}]
    if path == "/api/v1/quotes/{quote_id}/status":
        return [{"status": "sent"}, {"status": "rejected", "reason": "Чужой отказ"}]
    if path == "/api/v1/deals/{deal_id}/invoices":
        return [{"vat_mode": "per_line", "items": [PETROV_LINE]}]
    if path == "/api/v1/invoices/{invoice_id}/status":
        return [{"status": "cancelled"}, {"status": "rejected"}]
    if path.endswith(("/shipments", "/acts")) or "/status" in path:
        return [{"status": "done"}, {"status": "cancelled"}]
    if path in ("/api/v1/payments", "/api/v1/payments/{payment_id}/match"):
        return [{"invoice_id": ids["invoice"], "amount": "1.00", "date": "2026-12-08"}]
    if path in ("/api/v1/tasks", "/api/v1/activities"):
        return [
            {**attack, "entity": kind, "entity_id": ids[kind]}
            for kind in ("lead", "deal", "contact", "company")
        ]
    variants = [attack]
    if path.endswith("/merge"):
        # Petrov's record as the survivor too, and two of his merged with each other.
        variants.append({**attack, "survivor_id": attack["merged_id"], "merged_id": 0})
        twin = ids["twin"] if "contacts" in path else ids["firm"]
        variants[-1]["merged_id"] = twin
    return variants


async def operations(running: Running) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every route the walk covers."""
    async with running.client.get("/api/v1/openapi.json") as response:
        document = await response.json()
    paths = document["paths"]
    stale = [p for p in SKIPPED if p not in paths]
    assert not stale, f"skipped routes missing from the document: {stale}"
    return [
        (method, path, operation)
        for path, item in paths.items()
        if path not in SKIPPED and not path.startswith(SKIPPED_PREFIXES)
        for method, operation in item.items()
    ]


async def test_a_manager_sees_and_changes_nothing_of_another_managers_clients(
    any_db_service: Running,
) -> None:
    running = any_db_service
    world = await build_world(running)
    before = await snapshot(running, world)
    walked, wrong = [], []

    async def attempt(method: str, path: str, body: Any, *, must_refuse: bool) -> None:
        status, text = await request(running, method, path, "ivanova", body)
        walked.append(f"{method.upper()} {path}")
        where = f"{method.upper()} {path} {json.dumps(body, ensure_ascii=False)}: {status}"
        if status >= 500:
            wrong.append(f"{where} server error {text[:200]}")
        elif must_refuse and status not in REFUSALS:
            wrong.append(f"{where} did not refuse petrov's record: {text[:300]}")
        elif status < 300 and any(m in text for m in MARKERS):
            wrong.append(f"{where} shows petrov's data: {text[:300]}")

    for method, template, operation in await operations(running):
        with_body = "requestBody" in operation
        sent = bodies(template, world) if with_body else [None]
        query = QUERIES.get(template, "").format(**world.ids)
        for body in sent:
            # Petrov's ids in the path or the body: the route must refuse.
            must_refuse = "{" in template or with_body
            for path in fills(template, world):
                await attempt(method, path + query, body, must_refuse=must_refuse)
            if "{lead_id}" in template:
                # Her own lead in the path, petrov's records in the body: whatever it answers,
                # nothing of his may show or change.
                own = template.replace("{lead_id}", str(await ivanova_lead(running, world)))
                await attempt(method, own, body, must_refuse=False)

    assert len(walked) >= 40, walked
    after = await snapshot(running, world)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not wrong and not changed, "\n".join(wrong) + f"\nchanged: {changed}"
    await assert_reports_cover_only_her_records(running, world)
