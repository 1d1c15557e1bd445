"""Invoices and payments over HTTP: an accepted quote becomes an invoice, payments by hand
and from a 1C bank statement (larger than the usual body cap) settle it, the deal is won
only once it is paid; answers are checked against the OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_quotes_api import a_deal
from tests.e2e.test_settings_documents import put_body
from tests.e2e.test_settings_pipelines import page_form, post_form
from tests.e2e.test_workplace import page

OUR_ACCOUNT = "40702810900000012345"
SELLER_TOML = f"""
[documents]
invoice_prefix = "СЧ-"
invoice_due_days = 5

[documents.seller]
name = "ООО \\"Ромашка\\""
inn = "7701234567"
kpp = "770101001"
address = "125009, г. Москва, ул. Тверская, д. 7"
bank = "АО \\"АЛЬФА-БАНК\\""
bik = "044525593"
correspondent_account = "30101810200000000593"
account = "{OUR_ACCOUNT}"
director = "Ковалёв И. С."
accountant = "Смирнова Е. А."
"""
LINES = {
    "vat_mode": "per_line",
    "discount_percent": "5",
    "items": [
        {"name": "Кабель ВВГ", "quantity": 3, "price": "333.33", "vat_rate": "20", "unit": "м"},
        {"name": "Монтаж", "quantity": 1, "price": "1000.01", "vat_rate": "10"},
        {"name": "Доставка", "quantity": 1, "price": 500, "vat_rate": "20", "delivery": True},
    ],
}


@pytest.fixture(params=["sqlite", "postgres"])
async def money_service(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with the seller's requisites configured, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(write_config(SELLER_TOML), storage) as running,
    ):
        yield running


def statement(*documents: dict[str, str], padding: int = 0) -> bytes:
    """A bank statement in the 1C exchange format, cp1251 with CRLF as banks write it;
    `padding` outgoing documents (not ours to record) make it larger."""
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows"]
    outgoing = {
        "Номер": "1",
        "Дата": "01.12.2026",
        "Сумма": "100.00",
        "ПлательщикИНН": "7701234567",
        "ПлательщикСчет": OUR_ACCOUNT,
        "ПолучательСчет": "40702810500000000777",
        "НазначениеПлатежа": "Оплата аренды за декабрь 2026 г. В т.ч. НДС 20% - 16.67 руб.",
    }
    for document in [*documents, *([outgoing] * padding)]:
        lines.append("СекцияДокумент=Платежное поручение")
        lines.extend(f"{key}={value}" for key, value in document.items())
        lines.append("КонецДокумента")
    lines.append("КонецФайла")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def incoming(number: str, amount: str, inn: str, purpose: str) -> dict[str, str]:
    return {
        "Номер": number,
        "Дата": "08.12.2026",
        "Сумма": amount,
        "ПлательщикИНН": inn,
        "Плательщик1": "ООО Заказчик",
        "ПолучательСчет": OUR_ACCOUNT,
        "НазначениеПлатежа": purpose,
    }


async def post_statement(running: Running, data: bytes, login: str = "head") -> tuple[int, Any]:
    headers = {**running.auth(login), "Content-Type": "text/plain"}
    async with running.client.post("/api/v1/payments/import", data=data, headers=headers) as r:
        return r.status, await r.json()


async def accepted_quote(running: Running, deal_id: int) -> dict[str, Any]:
    status, quote = await call(running, "POST", f"/api/v1/deals/{deal_id}/quotes", LINES)
    assert status == 201, quote
    for step in ("sent", "accepted"):
        status, quote = await call(
            running, "POST", f"/api/v1/quotes/{quote['id']}/status", {"status": step}
        )
        assert status == 200, quote
    return dict(quote)


async def test_from_quote_to_paid_and_won(money_service: Running) -> None:
    running = money_service
    deal = await a_deal(running)
    quote = await accepted_quote(running, deal["id"])
    status, invoice = await call(running, "POST", f"/api/v1/quotes/{quote['id']}/invoice", {})
    assert status == 201, invoice
    assert invoice["number"].startswith("СЧ-") and invoice["number"].endswith("-0001")
    assert (invoice["status"], invoice["status_name"], invoice["quote_id"]) == (
        "draft",
        "Черновик",
        quote["id"],
    )
    for key in ("items", "subtotal", "vat_total", "total", "vat_groups", "discount_percent"):
        assert invoice[key] == quote[key], key
    assert (invoice["paid"], invoice["due"], invoice["overpaid"]) == (
        "0.00",
        quote["total"],
        False,
    )
    assert invoice["amount_in_words"] == quote["total_in_words"]
    assert invoice["seller"]["account"] == OUR_ACCOUNT
    assert invoice["seller"]["name"] == 'ООО "Ромашка"'
    assert invoice["buyer"]["name"] == "Иван Петров"
    status, again = await call(running, "POST", f"/api/v1/quotes/{quote['id']}/invoice")
    assert (status, again["error"]) == (409, "quote_invoiced")
    path = f"/api/v1/invoices/{invoice['id']}"
    assert await call(running, "GET", path) == (200, invoice)
    status, listed = await call(running, "GET", f"/api/v1/deals/{deal['id']}/invoices")
    assert (status, [i["id"] for i in listed["items"]]) == (200, [invoice["id"]])
    status, answer = await call(running, "POST", f"{path}/status", {"status": "paid"})
    assert (status, answer["error"], answer["field"]) == (422, "paid_by_payments", "status")
    status, issued = await call(running, "POST", f"{path}/status", {"status": "issued"})
    assert (status, issued["status_name"]) == (200, "Выставлен")

    status, refused = await call(
        running, "POST", f"/api/v1/deals/{deal['id']}/stage", {"stage": "won"}
    )
    assert (status, refused["error"], refused["field"]) == (422, "invoices_unpaid", "stage")
    total = Decimal(invoice["total"])
    payment = {"invoice_id": invoice["id"], "amount": "1000.00", "date": "2026-12-08"}
    status, partial = await call(running, "POST", "/api/v1/payments", payment)
    assert status == 201, partial
    assert (partial["outcome"], partial["invoice"]["status"]) == ("partial", "partially_paid")
    assert partial["invoice"]["due"] == str(total - 1000)
    assert (partial["payment"]["status"], partial["payment"]["source"]) == ("matched", "manual")
    rest = str(total - 1000 + 100)
    status, paid = await call(
        running,
        "POST",
        "/api/v1/payments",
        {**payment, "amount": rest, "payer": "Иван Петров", "purpose": "Доплата"},
    )
    assert (status, paid["outcome"]) == (201, "overpaid")
    assert (paid["invoice"]["status_name"], paid["invoice"]["due"]) == ("Оплачен", "0.00")
    assert (paid["invoice"]["overpaid"], paid["invoice"]["overpaid_amount"]) == (True, "100.00")
    status, won = await call(
        running, "POST", f"/api/v1/deals/{deal['id']}/stage", {"stage": "won"}
    )
    assert status == 200, won
    assert (won["deal"]["status"], Decimal(won["deal"]["amount"])) == ("won", total)


async def test_a_statement_is_imported_once_and_what_waits_is_matched(
    money_service: Running,
) -> None:
    running = money_service
    deal = await a_deal(running)
    status, invoice = await call(running, "POST", f"/api/v1/deals/{deal['id']}/invoices", LINES)
    assert status == 201, invoice
    path = f"/api/v1/invoices/{invoice['id']}/status"
    assert (await call(running, "POST", path, {"status": "issued"}))[0] == 200
    data = statement(
        incoming("77", invoice["total"], "7707083893", f"Оплата по счету {invoice['number']}"),
        incoming("78", "999.00", "7707083893", "Оплата за что-то"),
        padding=400,  # about 90 KiB: over the 64 KiB cap of other routes
    )
    assert len(data) > 64 * 1024
    status, answer = await post_statement(running, data, "ivanova")
    assert (status, answer["error"]) == (403, "forbidden")
    status, summary = await post_statement(running, data)
    assert status == 200, summary
    counts = {k: summary[k] for k in ("matched", "partial", "overpaid", "unmatched", "duplicates")}
    assert counts == {"matched": 1, "partial": 0, "overpaid": 0, "unmatched": 1, "duplicates": 0}
    assert summary["skipped"] == 400
    assert [i["outcome"] for i in summary["items"][:2]] == ["matched", "unmatched"]
    status, again = await post_statement(running, data)
    assert (again["matched"], again["unmatched"], again["duplicates"]) == (0, 0, 2)
    status, waiting = await call(running, "GET", "/api/v1/payments?status=unmatched")
    assert status == 200
    [one] = waiting["items"]
    assert (one["amount"], one["document_number"], one["payer_inn"], one["date"]) == (
        "999.00",
        "78",
        "7707083893",
        "2026-12-08",
    )
    status, paid = await call(running, "GET", f"/api/v1/invoices/{invoice['id']}")
    assert (paid["status"], paid["paid"]) == ("paid", invoice["total"])
    status, matched = await call(
        running,
        "POST",
        f"/api/v1/payments/{one['id']}/match",
        {"invoice_id": invoice["id"]},
    )
    assert (status, matched["outcome"], matched["invoice"]["overpaid_amount"]) == (
        200,
        "overpaid",
        "999.00",
    )
    status, waiting = await call(running, "GET", "/api/v1/payments?status=unmatched")
    assert waiting["items"] == []
    status, listed = await call(running, "GET", f"/api/v1/payments?invoice_id={invoice['id']}")
    assert [p["document_number"] for p in listed["items"]] == ["78", "77"]


async def test_refusals_name_the_field(money_service: Running) -> None:
    running = money_service
    deal = await a_deal(running)
    status, invoice = await call(running, "POST", f"/api/v1/deals/{deal['id']}/invoices", LINES)
    assert status == 201, invoice
    on_deal = f"/api/v1/deals/{deal['id']}/invoices"
    good = {"invoice_id": invoice["id"], "amount": "1", "date": "2026-12-08"}
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", on_deal, {**LINES, "due_date": "x"}, 400, "due_date"),
        ("POST", on_deal, {**LINES, "due_date": "2001-01-01"}, 422, "due_date"),
        ("POST", f"/api/v1/invoices/{invoice['id']}/status", {"status": "sent"}, 400, "status"),
        ("POST", "/api/v1/payments", good, 409, "invoice_id"),  # a draft
        ("POST", "/api/v1/payments", {**good, "amount": "0"}, 400, "amount"),
        ("POST", "/api/v1/payments", {**good, "amount": "1.001"}, 400, "amount"),
        ("POST", "/api/v1/payments", {**good, "date": "08.12.2026"}, 400, "date"),
        ("POST", "/api/v1/payments", {**good, "invoice_id": 999}, 404, "invoice_id"),
        ("POST", "/api/v1/payments/999/match", {"invoice_id": invoice["id"]}, 404, "payment_id"),
        ("GET", "/api/v1/payments?status=lost", None, 400, "status"),
        ("GET", "/api/v1/invoices/999", None, 404, "invoice_id"),
        ("POST", "/api/v1/quotes/999/invoice", {}, 404, "quote_id"),
    ]
    for method, path, body, expected, field in cases:
        status, answer = await call(running, method, path, body)
        assert (status, answer.get("field")) == (expected, field), (path, body, answer)
    outsiders = [
        m.login
        for m in running.services.sales.team.managers.values()
        if not m.is_head and m.id != deal["owner_id"]
    ]
    status, _ = await call(running, "GET", f"/api/v1/invoices/{invoice['id']}", login=outsiders[0])
    assert status == 404
    for data, field in (
        (b"not a statement", "body"),
        (statement({"Номер": "1"}), "documents.0.Дата"),
    ):
        status, answer = await post_statement(running, data)
        assert (status, answer["field"]) == (422, field)
    status, answer = await post_statement(running, statement(padding=10_000))
    assert (status, answer["error"]) == (413, "payload_too_large")


async def test_no_invoice_without_the_sellers_requisites(service: Running) -> None:
    deal = await a_deal(service)
    status, answer = await call(service, "POST", f"/api/v1/deals/{deal['id']}/invoices", LINES)
    assert (status, answer["error"], answer["field"]) == (409, "seller_not_configured", "seller")
    status, answer = await post_statement(service, statement())
    assert (status, answer["error"]) == (409, "seller_not_configured")


async def test_a_small_statement_read_before_the_route(money_service: Running) -> None:
    """A body the timeout middleware already read (it came after the headers) is taken as
    read: the fuzzer's one-byte statement was a 500 once."""
    url = money_service.client.make_url("/api/v1/payments/import")
    headers = {**money_service.auth(), "Content-Type": "text/plain"}

    async def slowly() -> AsyncIterator[bytes]:
        yield b"0"

    async with money_service.client.session.post(url, data=slowly(), headers=headers) as r:
        assert (r.status, (await r.json())["field"]) == (422, "body")
    data = statement()
    headers["Content-Length"] = str(len(data))

    async def in_two_parts() -> AsyncIterator[bytes]:
        yield data[:10]
        await asyncio.sleep(0.05)
        yield data[10:]

    async with money_service.client.session.post(url, data=in_two_parts(), headers=headers) as r:
        assert r.status == 200, await r.text()


async def test_the_money_flags_of_a_pipeline_survive_the_settings_page(service: Running) -> None:
    """Set over the API, `on_invoice` and `on_payment` stay when a head saves the pipeline
    on Настройки → Воронки (its checkboxes carry them); a second flag is refused."""
    main = "/api/v1/settings/pipelines/main"
    current = await read_main(service)
    stages = current["data"]["stages"]
    flagged = [
        {**stages[0], "on_invoice": True},
        {"key": "paid", "name": "Оплачено", "on_payment": True},
        *stages[1:],
    ]
    twice = [*flagged[:2], {"key": "x", "name": "X", "on_payment": True}, *flagged[2:]]
    status, answer = await call(service, "PUT", main, put_body(current, stages=twice))
    assert (status, answer["field"]) == (422, "stages")
    assert "only one stage may be marked on_payment" in answer["message"]
    status, answer = await call(service, "PUT", main, put_body(current, stages=flagged))
    assert status == 200, answer
    _, html = await page(service, "/settings/pipelines", "head")
    status, _ = await post_form(
        service, "/settings/pipelines/main", {**page_form(html), "action": "save"}
    )
    assert status == 303
    saved = (await read_main(service))["data"]["stages"]
    assert [(s["key"], s.get("on_invoice"), s.get("on_payment")) for s in saved] == [
        ("opening", True, None),
        ("paid", None, True),
        ("won", None, None),
        ("lost", None, None),
    ]
    assert service.services.sales.pipelines["main"].flagged_stage("on_payment") is not None


async def read_main(running: Running) -> dict[str, Any]:
    status, body = await call(running, "GET", "/api/v1/settings/pipelines/main")
    assert status == 200, body
    return dict(body)
