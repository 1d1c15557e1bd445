"""Quotes on both databases: lines from the catalogue, numbering without gaps or duplicates
under concurrency, statuses in the deal's timeline."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crm_core.catalogue import (
    PriceListFields,
    ProductFields,
    create_price_list,
    create_product,
    delete_price_list,
    delete_product,
)
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.model import Manager, NewManager, Role
from crm_core.money import VatRate
from crm_core.quotes import (
    QuoteStatus,
    change_quote_status,
    create_quote,
    deal_quotes,
    quote_request,
    visible_quote,
)
from crm_core.sales import DealStatus, NewDeal
from crm_core.storage import Storage

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
D = Decimal
PREFIX, TZ = "КП-", "Europe/Moscow"


async def team(storage: Storage) -> dict[str, Manager]:
    async with storage.transaction() as uow:
        people = [
            NewManager("ivanova", "Анна", Role.MANAGER, None, None, TZ, True),
            NewManager("petrov", "Пётр", Role.MANAGER, None, None, TZ, True),
            NewManager("head", "Ольга", Role.HEAD, None, None, TZ, True),
        ]
        return {m.login: await uow.managers.upsert(m, T0) for m in people}


async def new_deal(storage: Storage, owner: Manager, title: str = "Поставка") -> int:
    async with storage.transaction() as uow:
        deal = await uow.sales.add_deal(
            NewDeal(
                title, "main", "opening", None, "RUB", [], None, {}, None, None, None, owner.id
            ),
            owner.login,
            T0,
        )
    return deal.id


async def quote(
    storage: Storage, deal_id: int, actor: Manager, body: dict[str, Any], now: datetime = T0
) -> Any:
    async with storage.transaction() as uow:
        return await create_quote(uow, deal_id, actor, quote_request(body), PREFIX, TZ, 14, now)


THREE_LINES: dict[str, Any] = {
    "vat_mode": "per_line",
    "discount_percent": "5",
    "items": [
        {"name": "Кабель ВВГ", "quantity": 3, "price": "333.33", "vat_rate": "20"},
        {
            "name": "Клемма",
            "quantity": "7",
            "price": "14.29",
            "vat_rate": "20",
            "discount_percent": 10,
        },
        {"name": "Монтаж", "quantity": 1, "price": "1000.01", "vat_rate": "10", "unit": "усл"},
        {"name": "Доставка", "quantity": 1, "price": 500, "vat_rate": "20", "delivery": True},
    ],
}


async def test_a_quote_is_numbered_priced_and_stored_exactly(storage: Storage) -> None:
    people = await team(storage)
    deal_id = await new_deal(storage, people["ivanova"])
    made = await quote(storage, deal_id, people["ivanova"], THREE_LINES)
    assert (made.number, made.status, made.year, made.sequence) == (
        "КП-2026-0001",
        QuoteStatus.DRAFT,
        2026,
        1,
    )
    assert (made.subtotal, made.vat_total, made.total) == (
        D("2485.53"),
        D("402.11"),
        D("2887.64"),
    )
    assert made.totals.total == made.total
    assert made.valid_until == date(2026, 12, 21)
    assert [line.quantity for line in made.lines] == [D(3), D(7), D(1), D(1)]
    assert made.lines[3].delivery and made.lines[2].unit == "усл"
    second = await quote(
        storage, deal_id, people["ivanova"], {**THREE_LINES, "vat_mode": "on_total"}
    )
    assert (second.number, second.total) == ("КП-2026-0002", D("2887.63"))
    # The year is the company's: 31 December 21:30 UTC is already 2027 in Moscow.
    new_year = await quote(
        storage,
        deal_id,
        people["ivanova"],
        {**THREE_LINES, "vat_mode": "included"},
        datetime(2026, 12, 31, 21, 30, tzinfo=UTC),
    )
    assert (new_year.number, new_year.total) == ("КП-2027-0001", D("2485.53"))
    async with storage.reader() as uow:
        listed = await deal_quotes(uow, deal_id, people["ivanova"])
        audit = await uow.audit.for_entity("deal", deal_id)
    assert [q.number for q in listed] == ["КП-2026-0001", "КП-2026-0002", "КП-2027-0001"]
    assert listed[0] == made
    assert [(e.action, e.after and e.after["number"]) for e in audit] == [
        ("quote_created", "КП-2026-0001"),
        ("quote_created", "КП-2026-0002"),
        ("quote_created", "КП-2027-0001"),
    ]


async def test_catalogue_lines_take_the_price_list_and_convert_vat(storage: Storage) -> None:
    people = await team(storage)
    deal_id = await new_deal(storage, people["ivanova"])
    head = people["head"]
    async with storage.transaction() as uow:
        dealers = await create_price_list(uow, head, PriceListFields("Дилеры"), {}, T0)
        cable = await create_product(
            uow,
            head,
            ProductFields("Кабель", D("120.00"), VatRate.TWENTY, unit="м", sku="C-1"),
            {dealers.id: D("100.00")},
            T0,
        )
        gross = await create_product(
            uow,
            head,
            ProductFields("Щит", D("1200.00"), VatRate.TWENTY, vat_included=True),
            {},
            T0,
        )
        retired = await create_product(
            uow, head, ProductFields("Старый", D(1), VatRate.NONE, active=False), {}, T0
        )
    made = await quote(
        storage,
        deal_id,
        people["ivanova"],
        {
            "vat_mode": "per_line",
            "price_list_id": dealers.id,
            "items": [
                {"product_id": cable.id, "quantity": "2.5"},
                {"product_id": gross.id, "quantity": 1},
                {"product_id": cable.id, "quantity": 1, "price": "90", "name": "Кабель уценка"},
            ],
        },
    )
    first, shield, sale = made.lines
    assert (first.name, first.sku, first.unit, first.price, first.product_id) == (
        "Кабель",
        "C-1",
        "м",
        D("100.00"),
        cable.id,
    )
    # 1200 with VAT included, on a quote adding VAT on top: 1200 × 100 / 120 = 1000.
    assert shield.price == D("1000.00")
    assert (sale.name, sale.price) == ("Кабель уценка", D("90.00"))
    included = await quote(
        storage,
        deal_id,
        people["ivanova"],
        {"vat_mode": "included", "items": [{"product_id": cable.id, "quantity": 1}]},
    )
    # Its own price (no list) 120 without VAT, on a VAT-included quote: 144.
    assert included.lines[0].price == D("144.00")
    for item, field in (
        ({"product_id": retired.id, "quantity": 1}, "items.0.product_id"),
        ({"product_id": 99999, "quantity": 1}, "items.0.product_id"),
        ({"name": "Без цены", "quantity": 1, "vat_rate": "20"}, "items.0.price"),
        ({"name": "Без НДС", "quantity": 1, "price": 1}, "items.0.vat_rate"),
        ({"product_id": cable.id, "quantity": 0}, "items.0.quantity"),
        (
            {
                "name": "Много",
                "quantity": "999999999",
                "price": "99999999999999",
                "vat_rate": "20",
            },
            "items",
        ),
        (
            {"product_id": cable.id, "quantity": 1, "discount_percent": 101},
            "items.0.discount_percent",
        ),
    ):
        with pytest.raises(DomainError) as err:
            await quote(
                storage, deal_id, people["ivanova"], {"vat_mode": "per_line", "items": [item]}
            )
        assert err.value.field == field, item
    with pytest.raises(DomainError) as err:
        await quote(
            storage,
            deal_id,
            people["ivanova"],
            {
                "vat_mode": "per_line",
                "price_list_id": 4242,
                "items": [{"product_id": cable.id, "quantity": 1}],
            },
        )
    assert err.value.field == "price_list_id"


def test_a_request_names_what_is_wrong() -> None:
    for body, field in (
        ({"items": [{}]}, "vat_mode"),
        ({"vat_mode": ["per_line"], "items": [{}]}, "vat_mode"),
        ({"vat_mode": "per_line", "items": []}, "items"),
        ({"vat_mode": "per_line", "items": ["x"]}, "items.0"),
        ({"vat_mode": "per_line", "items": [{}], "valid_until": "завтра"}, "valid_until"),
        ({"vat_mode": "per_line", "items": [{}], "discount_percent": "-1"}, "discount_percent"),
        ({"vat_mode": "per_line", "items": [{}], "price_list_id": True}, "price_list_id"),
    ):
        with pytest.raises(DomainError) as err:
            quote_request(body)
        assert err.value.field == field, body


async def test_statuses_move_forward_only_and_reach_the_timeline(storage: Storage) -> None:
    people = await team(storage)
    ivanova = people["ivanova"]
    deal_id = await new_deal(storage, ivanova)
    made = await quote(storage, deal_id, ivanova, THREE_LINES)

    async def change(
        status: QuoteStatus, reason: str | None = None, who: Manager = ivanova
    ) -> Any:
        async with storage.transaction() as uow:
            return await change_quote_status(uow, made.id, who, status, reason, T0)

    with pytest.raises(RuleError) as err:
        await change(QuoteStatus.ACCEPTED)
    assert (err.value.rule, err.value.status) == ("quote_status", 409)
    assert "Черновик" in err.value.message
    assert (await change(QuoteStatus.SENT)).status is QuoteStatus.SENT
    assert (await change(QuoteStatus.SENT)).status is QuoteStatus.SENT  # a repeat: no-op
    with pytest.raises(DomainError) as err:
        await change(QuoteStatus.REJECTED, "  ")
    assert err.value.field == "reason"
    with pytest.raises(NotFound):
        await change(QuoteStatus.REJECTED, "Дорого", people["petrov"])
    rejected = await change(QuoteStatus.REJECTED, "Дорого", people["head"])
    assert (rejected.status, rejected.rejection_reason) == (QuoteStatus.REJECTED, "Дорого")
    with pytest.raises(RuleError):
        await change(QuoteStatus.SENT)
    async with storage.reader() as uow:
        audit = await uow.audit.for_entity("deal", deal_id)
        with pytest.raises(NotFound):
            await visible_quote(uow, made.id, people["petrov"])
        assert (await visible_quote(uow, made.id, people["head"])).id == made.id
    changes = [(e.before, e.after) for e in audit if e.action == "quote_status"]
    assert changes == [
        ({"status": "draft"}, {"quote_id": made.id, "number": made.number, "status": "sent"}),
        (
            {"status": "sent"},
            {"quote_id": made.id, "number": made.number, "status": "rejected", "reason": "Дорого"},
        ),
    ]


async def test_no_quote_on_someone_elses_or_a_closed_deal(storage: Storage) -> None:
    people = await team(storage)
    deal_id = await new_deal(storage, people["ivanova"])
    with pytest.raises(NotFound):
        await quote(storage, deal_id, people["petrov"], THREE_LINES)
    async with storage.transaction() as uow:
        await uow.sales.move_deal(deal_id, "won", DealStatus.WON, "head", T0)
    with pytest.raises(RuleError) as err:
        await quote(storage, deal_id, people["head"], THREE_LINES)
    assert err.value.rule == "deal_closed"


async def test_a_failed_quote_gives_its_number_back(storage: Storage) -> None:
    people = await team(storage)
    deal_id = await new_deal(storage, people["ivanova"])
    with pytest.raises(RuntimeError):
        async with storage.transaction() as uow:
            await create_quote(
                uow, deal_id, people["ivanova"], quote_request(THREE_LINES), PREFIX, TZ, 14, T0
            )
            raise RuntimeError("the e-mail could not be queued")
    made = await quote(storage, deal_id, people["ivanova"], THREE_LINES)
    assert made.number == "КП-2026-0001"


async def test_concurrent_quotes_get_consecutive_numbers_without_gaps(storage: Storage) -> None:
    """Quotes on different deals at the same moment (PostgreSQL: on pooled connections in
    parallel), some failing after taking their number: the rest are numbered 1..n."""
    people = await team(storage)
    deals = [await new_deal(storage, people["ivanova"], f"Сделка {n}") for n in range(12)]

    async def one(n: int, deal_id: int) -> str | None:
        try:
            async with storage.transaction() as uow:
                made = await create_quote(
                    uow, deal_id, people["ivanova"], quote_request(THREE_LINES), PREFIX, TZ, 14, T0
                )
                await asyncio.sleep(0.01)  # hold the counter row while others queue behind it
                if n % 4 == 3:
                    raise RuntimeError("fails after numbering")
                return made.number
        except RuntimeError:
            return None

    numbers = [n for n in await asyncio.gather(*(one(n, d) for n, d in enumerate(deals))) if n]
    assert sorted(numbers) == [f"КП-2026-{i:04d}" for i in range(1, 10)]


async def test_a_waiting_transaction_takes_the_number_a_rolled_back_one_gave_back(
    storage: Storage,
) -> None:
    """The counter row holds the second transaction until the first ends (PostgreSQL)."""
    if storage.dialect != "postgres":
        pytest.skip("SQLite has one writer: transactions never overlap")
    first_took = asyncio.Event()
    first_may_end = asyncio.Event()

    async def first() -> None:
        with pytest.raises(RuntimeError):
            async with storage.transaction() as uow:
                assert await uow.sales_documents.next_number("quote", 2026) == 1
                first_took.set()
                await first_may_end.wait()
                raise RuntimeError("rolled back")

    async def second() -> int:
        await first_took.wait()
        async with storage.transaction() as uow:
            return await uow.sales_documents.next_number("quote", 2026)

    task_first = asyncio.create_task(first())
    task_second = asyncio.create_task(second())
    await first_took.wait()
    await asyncio.sleep(0.2)
    assert not task_second.done()  # waiting on the counter row
    first_may_end.set()
    await task_first
    assert await asyncio.wait_for(task_second, 10) == 1


async def test_a_quote_outlives_its_price_list_and_products(storage: Storage) -> None:
    people = await team(storage)
    head = people["head"]
    deal_id = await new_deal(storage, people["ivanova"])
    async with storage.transaction() as uow:
        dealers = await create_price_list(uow, head, PriceListFields("Дилеры"), {}, T0)
        cable = await create_product(
            uow,
            head,
            ProductFields("Кабель", D("120.00"), VatRate.TWENTY),
            {dealers.id: D(100)},
            T0,
        )
    made = await quote(
        storage,
        deal_id,
        people["ivanova"],
        {
            "vat_mode": "on_total",
            "price_list_id": dealers.id,
            "items": [{"product_id": cable.id, "quantity": 10}],
        },
    )
    async with storage.transaction() as uow:
        await delete_price_list(uow, head, dealers.id, T0)
        await delete_product(uow, head, cable.id, T0)
    async with storage.reader() as uow:
        kept = await visible_quote(uow, made.id, people["ivanova"])
    assert kept.price_list_id is None
    assert (kept.lines, kept.total) == (made.lines, D("1200.00"))
    assert kept.lines[0].product_id == cable.id


async def test_random_lines_come_back_exactly(storage: Storage) -> None:
    """Quantities in thousandths, prices in kopecks and discounts in hundredths of a percent
    survive storage exactly, and the stored totals are the ones the lines give."""
    people = await team(storage)
    deal_id = await new_deal(storage, people["ivanova"])
    rng = random.Random(20261207)
    for mode in ("per_line", "on_total", "included"):
        items = [
            {
                "name": f"Товар {n}",
                "quantity": str(D(rng.randint(1, 10**7)) / 1000),
                "price": str(D(rng.randint(0, 10**9)) / 100),
                "vat_rate": rng.choice(["none", "0", "10", "20"]),
                "discount_percent": str(D(rng.randint(0, 10000)) / 100),
                "delivery": rng.random() < 0.1,
            }
            for n in range(40)
        ]
        body = {"vat_mode": mode, "discount_percent": "3.33", "items": items}
        made = await quote(storage, deal_id, people["ivanova"], body)
        async with storage.reader() as uow:
            [stored] = [
                q for q in await deal_quotes(uow, deal_id, people["ivanova"]) if q.id == made.id
            ]
        assert stored.lines == made.lines
        assert [line.quantity for line in stored.lines] == [D(i["quantity"]) for i in items]
        assert [line.price for line in stored.lines] == [D(i["price"]) for i in items]
        totals = stored.totals
        assert (stored.subtotal, stored.vat_total, stored.total) == (
            totals.subtotal,
            totals.vat_total,
            totals.total,
        )
