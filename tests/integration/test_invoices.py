"""Invoices and payments on both databases: made from an accepted quote or directly,
numbered per year without gaps under concurrency, statuses in the deal's timeline, payments
by hand and from a 1C bank statement, and the deal following the money."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crm_core.deals import move_deal
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.invoices import (
    InvoiceTerms,
    change_invoice_status,
    create_invoice,
    deal_invoices,
    invoice_from_quote,
    visible_invoice,
)
from crm_core.invoices_model import Invoice, InvoiceStatus
from crm_core.model import Manager, StoredCompany
from crm_core.payments import (
    ManualPayment,
    Outcome,
    import_statement,
    match_payment,
    matchable_invoices,
    record_payment,
    visible_payments,
)
from crm_core.pipelines import (
    Pipeline,
    Stage,
    StageKind,
    StageOrder,
    StageRuleViolation,
    StageTask,
)
from crm_core.quotes import QuoteStatus, change_quote_status, quote_request
from crm_core.requisites import Requisites
from crm_core.sales import DealStatus, NewDeal, RecordKind
from crm_core.storage import Storage
from tests.integration.test_quotes import T0, THREE_LINES, TZ, quote, team

D = Decimal
STATEMENT = Path(__file__).parent / "fixtures" / "statement_1c.txt"
SELLER = Requisites(
    name='ООО "Ромашка"',
    inn="7701234567",
    kpp="770101001",
    ogrn="1027700132195",
    address="125009, г. Москва, ул. Тверская, д. 7, офис 12",
    bank='АО "АЛЬФА-БАНК", г. Москва',
    bik="044525593",
    correspondent_account="30101810200000000593",
    account="40702810900000012345",
    director="Ковалёв И. С.",
    accountant="Смирнова Е. А.",
)
TERMS = InvoiceTerms("СЧ-", TZ, 5, SELLER)
PIPELINES = {
    "main": Pipeline(
        key="main",
        name="Продажи",
        stage_order=StageOrder.FREE,
        stages=(
            Stage("opening", "Первичный контакт"),
            Stage("offer", "КП отправлено"),
            Stage("invoice", "Счёт выставлен", on_invoice=True),
            Stage(
                "payment",
                "Оплачено",
                on_payment=True,
                tasks_on_enter=(StageTask("Оформить реализацию", timedelta(days=1), "task"),),
            ),
            Stage("won", "Успешно", StageKind.WON),
            Stage("lost", "Провалена", StageKind.LOST),
        ),
        require_next_activity=False,
    )
}
AUDIT = (
    "Бухгалтерский аудит за 2026 год",
    "12000",
    "none",
)


async def deal_with_company(
    storage: Storage, owner: Manager, company: str, inn: str, title: str = "Поставка"
) -> int:
    async with storage.transaction() as uow:
        [company_id] = await uow.identity.add_companies([StoredCompany(company, inn, (), ())], T0)
        deal = await uow.sales.add_deal(
            NewDeal(
                title,
                "main",
                "opening",
                None,
                "RUB",
                [],
                None,
                {},
                None,
                company_id,
                None,
                owner.id,
            ),
            owner.login,
            T0,
        )
    return deal.id


async def direct_invoice(
    storage: Storage, deal_id: int, actor: Manager, body: dict[str, Any], now: datetime = T0
) -> Invoice:
    async with storage.transaction() as uow:
        return await create_invoice(uow, deal_id, actor, quote_request(body), None, TERMS, now)


async def status(
    storage: Storage, invoice_id: int, actor: Manager, to: InvoiceStatus, now: datetime = T0
) -> Invoice:
    async with storage.transaction() as uow:
        return await change_invoice_status(uow, invoice_id, actor, to, PIPELINES, now)


def one_line(name: str, price: str, vat_rate: str = "20") -> dict[str, Any]:
    return {
        "vat_mode": "included",
        "items": [{"name": name, "quantity": 1, "price": price, "vat_rate": vat_rate}],
    }


async def test_an_accepted_quote_becomes_an_invoice_line_for_line(storage: Storage) -> None:
    people = await team(storage)
    ivanova = people["ivanova"]
    deal_id = await deal_with_company(storage, ivanova, 'ООО "Электромонтаж"', "7707083893")
    made = await quote(storage, deal_id, ivanova, {**THREE_LINES, "vat_mode": "on_total"})
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await invoice_from_quote(uow, made.id, ivanova, None, TERMS, T0)
    assert (err.value.rule, err.value.field) == ("quote_not_accepted", "quote_id")
    for step in (QuoteStatus.SENT, QuoteStatus.ACCEPTED):
        async with storage.transaction() as uow:
            await change_quote_status(uow, made.id, ivanova, step, None, T0)
    async with storage.transaction() as uow:
        invoice = await invoice_from_quote(uow, made.id, ivanova, None, TERMS, T0)
    assert (invoice.number, invoice.status, invoice.quote_id) == (
        "СЧ-2026-0001",
        InvoiceStatus.DRAFT,
        made.id,
    )
    assert (invoice.lines, invoice.vat_mode, invoice.discount_percent) == (
        made.lines,
        made.vat_mode,
        D("5.00"),
    )
    assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
        D("2485.53"),
        D("402.10"),
        D("2887.63"),
    )
    assert (invoice.paid, invoice.due, invoice.overpaid_by) == (D("0.00"), D("2887.63"), D(0))
    # 7 December 12:00 in Moscow, due in 5 calendar days.
    assert (invoice.invoice_date, invoice.due_date) == (date(2026, 12, 7), date(2026, 12, 12))
    assert invoice.seller == SELLER
    assert invoice.buyer == Requisites(name='ООО "Электромонтаж"', inn="7707083893")
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await invoice_from_quote(uow, made.id, ivanova, None, TERMS, T0)
    assert (err.value.rule, err.value.message) == (
        "quote_invoiced",
        f"по КП {made.number} уже есть счёт СЧ-2026-0001",
    )
    # Cancelled, the quote may be invoiced again, with a due date of its own.
    await status(storage, invoice.id, ivanova, InvoiceStatus.CANCELLED)
    async with storage.transaction() as uow:
        again = await invoice_from_quote(uow, made.id, ivanova, date(2026, 12, 31), TERMS, T0)
    assert (again.number, again.due_date) == ("СЧ-2026-0002", date(2026, 12, 31))
    async with storage.reader() as uow:
        listed = await deal_invoices(uow, deal_id, ivanova)
        with pytest.raises(NotFound):
            await visible_invoice(uow, invoice.id, people["petrov"])
        with pytest.raises(NotFound):
            await deal_invoices(uow, deal_id, people["petrov"])
    assert [(i.number, i.status) for i in listed] == [
        ("СЧ-2026-0001", InvoiceStatus.CANCELLED),
        ("СЧ-2026-0002", InvoiceStatus.DRAFT),
    ]


async def test_a_direct_invoice_and_what_it_refuses(storage: Storage) -> None:
    people = await team(storage)
    ivanova = people["ivanova"]
    deal_id = await deal_with_company(storage, ivanova, "ИП Соколов", "771400000001")
    invoice = await direct_invoice(storage, deal_id, ivanova, one_line(*AUDIT))
    assert (invoice.total, invoice.vat_total, invoice.quote_id) == (D("12000.00"), D(0), None)
    assert invoice.buyer.inn == "771400000001"
    with pytest.raises(NotFound):
        await direct_invoice(storage, deal_id, people["petrov"], one_line(*AUDIT))
    async with storage.transaction() as uow:
        with pytest.raises(DomainError) as err:
            await create_invoice(
                uow, deal_id, ivanova, quote_request(one_line(*AUDIT)), date(2026, 1, 1), TERMS, T0
            )
    assert err.value.field == "due_date"
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await create_invoice(
                uow,
                deal_id,
                ivanova,
                quote_request(one_line(*AUDIT)),
                None,
                InvoiceTerms("СЧ-", TZ, 5, None),
                T0,
            )
    assert (err.value.rule, err.value.field) == ("seller_not_configured", "seller")
    with pytest.raises(RuleError) as err:
        await status(storage, invoice.id, ivanova, InvoiceStatus.PAID)
    assert (err.value.rule, err.value.status) == ("paid_by_payments", 422)
    with pytest.raises(RuleError) as err:
        await status(storage, invoice.id, ivanova, InvoiceStatus.REJECTED)
    assert err.value.rule == "invoice_status" and "Черновик" in err.value.message
    # A payment only for an issued invoice.
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await record_payment(
                uow,
                ivanova,
                ManualPayment(invoice.id, D(100), date(2026, 12, 8)),
                PIPELINES,
                T0,
            )
    assert err.value.rule == "invoice_not_payable"


async def test_issuing_and_paying_move_the_deal_and_winning_waits_for_the_money(
    storage: Storage,
) -> None:
    people = await team(storage)
    ivanova = people["ivanova"]
    deal_id = await deal_with_company(storage, ivanova, "АО Сибирский завод", "5408123456")
    first = await direct_invoice(storage, deal_id, ivanova, one_line("Станок", "10000.00"))
    second = await direct_invoice(storage, deal_id, ivanova, one_line("Наладка", "2000.00"))
    issued = await status(storage, first.id, ivanova, InvoiceStatus.ISSUED)
    assert issued.status is InvoiceStatus.ISSUED
    async with storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id)
        assert deal is not None and deal.stage == "invoice"

    async def win() -> Any:
        async with storage.transaction() as uow:
            return await move_deal(uow, deal_id, "won", ivanova, None, PIPELINES, T0)

    with pytest.raises(StageRuleViolation) as err:
        await win()
    assert (err.value.rule, err.value.status, err.value.field) == ("invoices_unpaid", 422, "stage")
    assert "2 not paid" in err.value.message

    async def pay(invoice_id: int, amount: str) -> Any:
        async with storage.transaction() as uow:
            return await record_payment(
                uow,
                ivanova,
                ManualPayment(invoice_id, D(amount), date(2026, 12, 8), "Сибирский завод"),
                PIPELINES,
                T0 + timedelta(days=1),
            )

    partial = await pay(first.id, "6000.00")
    assert partial.outcome == Outcome.PARTIAL
    assert partial.invoice is not None
    assert (partial.invoice.status, partial.invoice.paid, partial.invoice.due) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("6000.00"),
        D("4000.00"),
    )
    full = await pay(first.id, "4000.00")
    assert (full.outcome, full.invoice.status, full.invoice.due) == (
        Outcome.MATCHED,
        InvoiceStatus.PAID,
        D(0),
    )
    async with storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id)
        tasks = await uow.sales.open_tasks_of_many(RecordKind.DEAL, [deal_id])
        audit = await uow.audit.for_entity("deal", deal_id)
    assert deal is not None and deal.stage == "payment"
    assert [(t.title, t.due_at) for t in tasks] == [
        ("Оформить реализацию", T0 + timedelta(days=2))
    ]
    # The second invoice, a draft, still stands in the way; cancelled, it no longer does.
    with pytest.raises(StageRuleViolation):
        await win()
    await status(storage, second.id, ivanova, InvoiceStatus.CANCELLED)
    won, _ = await win()
    assert (won.status, won.amount) == (DealStatus.WON, D("10000.00"))
    actions = [(e.action, (e.after or {}).get("status")) for e in audit]
    assert actions == [
        ("invoice_created", None),
        ("invoice_created", None),
        ("invoice_status", "issued"),
        ("move", "open"),
        ("payment_received", None),
        ("invoice_status", "partially_paid"),
        ("payment_received", None),
        ("invoice_status", "paid"),
        ("move", "open"),
    ]
    received = [e.after for e in audit if e.action == "payment_received" and e.after]
    assert [(e["amount"], e["paid"], e["overpaid_by"]) for e in received] == [
        ("6000.00", "6000.00", "0.00"),
        ("4000.00", "10000.00", "0.00"),
    ]


async def test_concurrent_invoices_get_consecutive_numbers_without_gaps(
    storage: Storage,
) -> None:
    """Invoices on different deals at the same moment (PostgreSQL: in parallel on pooled
    connections), some failing after taking their number: the rest are numbered 1..n."""
    people = await team(storage)
    ivanova = people["ivanova"]
    deals = [
        await deal_with_company(storage, ivanova, f"Клиент {n}", f"77070838{n:02d}")
        for n in range(10)
    ]
    started = asyncio.Event()

    async def one(n: int, deal_id: int) -> str | None:
        try:
            async with storage.transaction() as uow:
                made = await create_invoice(
                    uow, deal_id, ivanova, quote_request(one_line("Товар", "10")), None, TERMS, T0
                )
                started.set()
                await asyncio.sleep(0.01)  # hold the counter row while others queue behind it
                if n % 3 == 2:
                    raise RuntimeError("fails after numbering")
                return made.number
        except RuntimeError:
            return None

    numbers = [n for n in await asyncio.gather(*(one(n, d) for n, d in enumerate(deals))) if n]
    assert started.is_set()
    assert sorted(numbers) == [f"СЧ-2026-{i:04d}" for i in range(1, 8)]


async def test_a_bank_statement_is_matched_and_imported_once(storage: Storage) -> None:
    people = await team(storage)
    ivanova, head = people["ivanova"], people["head"]
    deals = [
        await deal_with_company(storage, ivanova, 'ООО "Электромонтаж"', "7707083893"),
        await deal_with_company(storage, ivanova, 'АО "Сибирский завод"', "5408123456"),
        await deal_with_company(storage, ivanova, 'ООО "Невские окна"', "7812014560"),
        # The invoice is to Sokolova's business; her husband pays it from his own.
        await deal_with_company(storage, ivanova, "ИП Соколова", "771400000099"),
    ]
    bodies = [
        {**THREE_LINES, "vat_mode": "per_line"},
        one_line(*AUDIT),
        one_line("Окна ПВХ", "6000.00"),
        one_line("Консультация", "1500.00", "none"),
    ]
    invoices = []
    for deal_id, body in zip(deals, bodies, strict=True):
        made = await direct_invoice(storage, deal_id, ivanova, body)
        invoices.append(await status(storage, made.id, ivanova, InvoiceStatus.ISSUED))
    assert [i.total for i in invoices] == [D("2887.64"), D("12000.00"), D("6000.00"), D(1500)]
    data = STATEMENT.read_bytes()

    async def run(actor: Manager = head) -> Any:
        async with storage.transaction() as uow:
            return await import_statement(uow, actor, data, SELLER, "СЧ-", PIPELINES, T0)

    with pytest.raises(RuleError) as err:
        await run(ivanova)
    assert err.value.status == 403
    summary = await run()
    assert [(d.number, outcome) for d, _, outcome in summary.items] == [
        ("101", Outcome.MATCHED),  # by the number in the purpose
        ("57", Outcome.PARTIAL),  # "сч. 2026-0002": 5 000 of 12 000
        ("58", Outcome.MATCHED),  # no number: payer INN and the 7 000 still due
        ("9", Outcome.UNMATCHED),  # another INN, no number: for a person to match
        ("101", Outcome.DUPLICATE),  # the bank listed it twice
        ("312", Outcome.SKIPPED),  # outgoing: our rent
        ("640", Outcome.OVERPAID),  # 6 500 for 6 000
    ]
    async with storage.reader() as uow:
        after = [await uow.invoices.get_invoice(i.id) for i in invoices]
    assert [(i.status, i.paid, i.overpaid_by) for i in after if i] == [
        (InvoiceStatus.PAID, D("2887.64"), D(0)),
        (InvoiceStatus.PAID, D("12000.00"), D(0)),
        (InvoiceStatus.PAID, D("6500.00"), D("500.00")),
        (InvoiceStatus.ISSUED, D(0), D(0)),
    ]
    again = await run()
    assert [outcome for _, _, outcome in again.items] == [
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.SKIPPED,
        Outcome.DUPLICATE,
    ]
    async with storage.reader() as uow:
        waiting = await visible_payments(uow, ivanova, False, None, 50, 0)
        every = await visible_payments(uow, head, None, None, 50, 0)
        others = await visible_payments(uow, people["petrov"], None, None, 50, 0)
    assert len(every) == 5
    assert [(p.document_number, p.amount, p.payer_inn) for p in waiting] == [
        ("9", D("1500.00"), "771400000001")
    ]
    assert [p.document_number for p in others] == ["9"]  # not the deals of ivanova
    async with storage.transaction() as uow:
        matched = await match_payment(uow, waiting[0].id, invoices[3].id, ivanova, PIPELINES, T0)
    assert matched.invoice is not None and matched.invoice.status is InvoiceStatus.PAID
    assert matched.payment.matched_by == "ivanova"
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await match_payment(uow, waiting[0].id, invoices[3].id, ivanova, PIPELINES, T0)
    assert err.value.rule == "payment_matched"
    async with storage.reader() as uow:
        assert await visible_payments(uow, head, False, None, 50, 0) == []
        deal = await uow.sales.get_deal(deals[3])
    assert deal is not None and deal.stage == "payment"


async def test_a_waiting_payment_is_offered_the_open_invoices_of_who_matches_it(
    storage: Storage,
) -> None:
    """Issued invoices, the soonest due first; not drafts or withdrawn ones, and a manager's
    list has only the invoices of deals they work on."""
    people = await team(storage)
    ivanova, petrov, head = people["ivanova"], people["petrov"], people["head"]
    hers = await deal_with_company(storage, ivanova, "ООО Альфа", "7707083893")
    his = await deal_with_company(storage, petrov, "ООО Бета", "5408123456")
    body = one_line("Монтаж", "1000.00")
    issued = await direct_invoice(storage, hers, ivanova, body)
    issued = await status(storage, issued.id, ivanova, InvoiceStatus.ISSUED)
    await direct_invoice(storage, hers, ivanova, body)  # a draft asks for no money yet
    cancelled = await direct_invoice(storage, hers, ivanova, body)
    await status(storage, cancelled.id, ivanova, InvoiceStatus.ISSUED)
    await status(storage, cancelled.id, ivanova, InvoiceStatus.CANCELLED)
    earlier = T0 - timedelta(days=3)
    older = await direct_invoice(storage, his, petrov, body, earlier)
    older = await status(storage, older.id, petrov, InvoiceStatus.ISSUED, earlier)
    assert older.due_date < issued.due_date
    async with storage.reader() as uow:
        every = await matchable_invoices(uow, head, 50)
        her_list = await matchable_invoices(uow, ivanova, 50)
        his_list = await matchable_invoices(uow, petrov, 50)
        first = await matchable_invoices(uow, head, 1)
    assert [i.id for i in every] == [older.id, issued.id]
    assert [i.id for i in her_list] == [issued.id]
    assert [i.id for i in his_list] == [older.id]
    assert len(first) == 1


async def test_one_statement_imported_twice_at_once_is_recorded_once(storage: Storage) -> None:
    """Two heads import the same statement at the same moment (PostgreSQL: in parallel):
    the unique identity makes the second wait for the first and record nothing."""
    people = await team(storage)
    ivanova, head = people["ivanova"], people["head"]
    deal_id = await deal_with_company(storage, ivanova, 'ООО "Электромонтаж"', "7707083893")
    made = await direct_invoice(storage, deal_id, ivanova, {**THREE_LINES, "vat_mode": "per_line"})
    await status(storage, made.id, ivanova, InvoiceStatus.ISSUED)
    data = STATEMENT.read_bytes()

    async def run() -> Any:
        async with storage.transaction() as uow:
            return await import_statement(uow, head, data, SELLER, "СЧ-", PIPELINES, T0)

    first, second = await asyncio.gather(run(), run())
    stored = [p for p in (first, second) for _, p, _ in p.items if p is not None]
    assert len(stored) == 5  # five distinct incoming payments, each once
    assert sorted([first.counts[Outcome.DUPLICATE], second.counts[Outcome.DUPLICATE]]) == [1, 6]
    async with storage.reader() as uow:
        invoice = await uow.invoices.get_invoice(made.id)
    assert invoice is not None
    assert (invoice.status, invoice.paid) == (InvoiceStatus.PAID, D("2887.64"))
