"""Shipments and acts over HTTP: made from a paid (or, where the pipeline allows, an issued)
invoice, goods to a shipment and services to an act, marked done, printed as PDF; a pipeline
with won_requires_shipment wins a deal only once its paid invoices are shipped in full."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_invoices_api import SELLER_TOML
from tests.e2e.test_sales_e2e import submit_lead
from tests.unit.test_documents_pdf import text_of

PIPELINES_TOML = """
[[pipelines]]
key = "ship"
name = "С отгрузкой"
won_requires_shipment = true
require_next_activity = false
stages = [
  { key = "work", name = "В работе" },
  { key = "won", name = "Успешно", kind = "won" },
  { key = "lost", name = "Провалено", kind = "lost" },
]

[[pipelines]]
key = "early"
name = "Отгрузка до оплаты"
ship_before_payment = true
require_next_activity = false
stages = [
  { key = "work", name = "В работе" },
  { key = "won", name = "Успешно", kind = "won" },
  { key = "lost", name = "Провалено", kind = "lost" },
]
"""


@pytest.fixture(params=["sqlite", "postgres"])
async def service(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with the seller's requisites and the two pipelines, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(write_config(SELLER_TOML + PIPELINES_TOML), storage) as running,
    ):
        yield running


async def deal_in(running: Running, pipeline: str) -> int:
    lead = await submit_lead(running, "Иван Петров", "+7 916 555-10-20")
    status, converted = await call(
        running, "POST", f"/api/v1/leads/{lead['id']}/convert", {"pipeline": pipeline}
    )
    assert status == 201, converted
    return int(converted["deal_id"])


async def product(running: Running, name: str, kind: str, price: str) -> int:
    body = {"name": name, "kind": kind, "price": price, "vat_rate": "20"}
    status, made = await call(running, "POST", "/api/v1/products", body)
    assert status == 201, made
    return int(made["id"])


async def issued_invoice(running: Running, deal_id: int) -> dict[str, Any]:
    """An issued invoice: a product, a service, a free line and delivery, in that order."""
    cable = await product(running, "Кабель ВВГ", "product", "400.00")
    mounting = await product(running, "Монтаж кабеля", "service", "1500.00")
    lines = {
        "vat_mode": "per_line",
        "items": [
            {"product_id": cable, "name": "Кабель ВВГ", "quantity": 10, "price": "400.00",
             "vat_rate": "20", "unit": "м"},
            {"product_id": mounting, "name": "Монтаж кабеля", "quantity": 1, "price": "1500.00",
             "vat_rate": "20"},
            {"name": "Упаковка", "quantity": 2, "price": "50.00", "vat_rate": "20"},
            {"name": "Доставка", "quantity": 1, "price": "500.00", "vat_rate": "20",
             "delivery": True},
        ],
    }  # fmt: skip
    status, invoice = await call(running, "POST", f"/api/v1/deals/{deal_id}/invoices", lines)
    assert status == 201, invoice
    path = f"/api/v1/invoices/{invoice['id']}/status"
    status, issued = await call(running, "POST", path, {"status": "issued"})
    assert status == 200, issued
    return dict(issued)


async def pay(running: Running, invoice: dict[str, Any]) -> None:
    body = {"invoice_id": invoice["id"], "amount": invoice["total"], "date": "2026-12-08"}
    status, paid = await call(running, "POST", "/api/v1/payments", body)
    assert (status, paid["invoice"]["status"]) == (201, "paid"), paid


async def pdf_text(running: Running, path: str) -> tuple[str, str]:
    async with running.client.get(path, headers=running.auth("head")) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "application/pdf"
        return text_of(await response.read()), response.headers["Content-Disposition"]


async def test_goods_are_shipped_services_acted_and_then_the_deal_is_won(
    service: Running,
) -> None:
    running = service
    deal_id = await deal_in(running, "ship")
    invoice = await issued_invoice(running, deal_id)
    on_invoice = f"/api/v1/invoices/{invoice['id']}"
    status, early = await call(running, "POST", f"{on_invoice}/shipments")
    assert (status, early["error"], early["field"]) == (409, "invoice_not_paid", "invoice_id")
    await pay(running, invoice)

    status, shipment = await call(running, "POST", f"{on_invoice}/shipments", {})
    assert status == 201, shipment
    year = shipment["date"][:4]
    assert shipment["number"] == f"ТН-{year}-0001"
    assert (shipment["kind"], shipment["status"], shipment["status_name"]) == (
        "shipment",
        "draft",
        "Черновик",
    )
    # The goods and the free line (no catalogue product: it goes with the first document).
    assert [(i["position"], i["name"]) for i in shipment["items"]] == [
        (1, "Кабель ВВГ"),
        (3, "Упаковка"),
    ]
    assert (shipment["subtotal"], shipment["vat_total"], shipment["total"]) == (
        "4100.00",
        "820.00",
        "4920.00",
    )
    status, act = await call(running, "POST", f"{on_invoice}/acts", {"date": "2026-12-09"})
    assert status == 201, act
    assert (act["number"], act["date"], act["invoice_number"]) == (
        f"АКТ-{year}-0001",
        "2026-12-09",
        invoice["number"],
    )
    assert [i["name"] for i in act["items"]] == ["Монтаж кабеля", "Доставка"]
    status, none_left = await call(running, "POST", f"{on_invoice}/acts")
    assert (status, none_left["error"]) == (409, "nothing_to_close")

    won = f"/api/v1/deals/{deal_id}/stage"
    status, refused = await call(running, "POST", won, {"stage": "won"})
    assert (status, refused["error"], refused["field"]) == (422, "not_shipped", "stage")
    status, shipped = await call(
        running, "POST", f"/api/v1/shipments/{shipment['id']}/status", {"status": "done"}
    )
    assert (status, shipped["status_name"]) == (200, "Отгружено")
    status, refused = await call(running, "POST", won, {"stage": "won"})
    assert (status, refused["error"]) == (422, "not_shipped")  # the act is not signed yet
    status, signed = await call(
        running, "POST", f"/api/v1/acts/{act['id']}/status", {"status": "done"}
    )
    assert (status, signed["status_name"]) == (200, "Подписан")
    assert await call(running, "GET", f"/api/v1/acts/{act['id']}") == (200, signed)

    status, listed = await call(running, "GET", f"/api/v1/deals/{deal_id}/shipments")
    assert status == 200
    assert [(d["kind"], d["status"]) for d in listed["items"]] == [
        ("shipment", "done"),
        ("act", "done"),
    ]

    text, disposition = await pdf_text(running, f"/api/v1/acts/{act['id']}/pdf")
    assert f"Акт № АКТ-{year}-0001 от 9 декабря 2026 г." in text
    assert "Монтаж кабеля" in text and "Доставка" in text and "Кабель" not in text
    assert f"Счёт № {invoice['number']}" in text
    assert 'ООО "Ромашка"' in text and "Иван Петров" in text
    assert "Две тысячи четыреста рублей 00 копеек" in text
    assert f'filename="AKT-{year}-0001.pdf"' in disposition
    text, _ = await pdf_text(running, f"/api/v1/shipments/{shipment['id']}/pdf")
    assert f"Товарная накладная № ТН-{year}-0001" in text
    assert "Кабель ВВГ" in text and "Упаковка" in text and "Монтаж" not in text
    assert "4 920,00" in text

    status, moved = await call(running, "POST", won, {"stage": "won"})
    assert (status, moved["deal"]["status"]) == (200, "won"), moved


async def test_a_pipeline_may_ship_before_payment(service: Running) -> None:
    running = service
    deal_id = await deal_in(running, "early")
    invoice = await issued_invoice(running, deal_id)
    status, shipment = await call(running, "POST", f"/api/v1/invoices/{invoice['id']}/shipments")
    assert (status, shipment["status"]) == (201, "draft"), shipment
    status, cancelled = await call(
        running, "POST", f"/api/v1/shipments/{shipment['id']}/status", {"status": "cancelled"}
    )
    assert (status, cancelled["status_name"]) == (200, "Отменён")
    # A cancelled shipment frees its lines: the next one takes them again, numbered on.
    status, again = await call(running, "POST", f"/api/v1/invoices/{invoice['id']}/shipments")
    assert status == 201, again
    assert again["number"].endswith("-0002")
    assert [i["position"] for i in again["items"]] == [1, 3]
    # Without won_requires_shipment the deal is won once paid, shipped or not.
    await pay(running, invoice)
    status, moved = await call(running, "POST", f"/api/v1/deals/{deal_id}/stage", {"stage": "won"})
    assert (status, moved["deal"]["status"]) == (200, "won"), moved


async def test_refusals_name_the_field(service: Running) -> None:
    running = service
    deal_id = await deal_in(running, "ship")
    invoice = await issued_invoice(running, deal_id)
    await pay(running, invoice)
    status, act = await call(running, "POST", f"/api/v1/invoices/{invoice['id']}/acts")
    assert status == 201, act
    status, draft = await call(running, "POST", f"/api/v1/deals/{deal_id}/invoices", {
        "vat_mode": "per_line",
        "items": [{"name": "Работа", "quantity": 1, "price": "10", "vat_rate": "none"}],
    })  # fmt: skip
    assert status == 201, draft
    act_path = f"/api/v1/acts/{act['id']}"
    assert (await call(running, "POST", f"{act_path}/status", {"status": "done"}))[0] == 200
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", f"/api/v1/invoices/{invoice['id']}/shipments", {"date": "9.12"}, 400, "date"),
        ("POST", f"/api/v1/invoices/{draft['id']}/acts", {}, 409, "invoice_id"),
        ("POST", "/api/v1/invoices/999/acts", {}, 404, "invoice_id"),
        ("POST", f"{act_path}/status", {"status": "signed"}, 400, "status"),
        ("POST", f"{act_path}/status", {"status": "draft"}, 409, "status"),
        ("GET", f"/api/v1/shipments/{act['id']}", None, 404, "shipment_id"),
        ("GET", f"/api/v1/shipments/{act['id']}/pdf", None, 404, "shipment_id"),
        ("GET", "/api/v1/deals/999/shipments", None, 404, "deal_id"),
    ]
    for method, path, body, expected, field in cases:
        status, answer = await call(running, method, path, body)
        assert (status, answer.get("field")) == (expected, field), (path, body, answer)
    owner = (await call(running, "GET", f"/api/v1/deals/{deal_id}"))[1]["owner_id"]
    outsider = next(
        m.login
        for m in running.services.sales.team.managers.values()
        if not m.is_head and m.id != owner
    )
    assert (await call(running, "GET", act_path, login=outsider))[0] == 404
    assert (await call(running, "GET", f"{act_path}/pdf", login=outsider))[0] == 404
