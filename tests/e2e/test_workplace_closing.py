"""Shipments and acts on the invoice page over HTTP, on SQLite and PostgreSQL: the buttons
appear only when crm_core's rule would make the document, a refused action comes back as a
Russian sentence with 422 (never a 500, nothing made), an outsider finds nothing, and a
draft quote's edit form refuses once the quote is sent."""

from __future__ import annotations

from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_closing_api import deal_in, issued_invoice, pay, service
from tests.e2e.test_workplace import page
from tests.e2e.test_workplace_quotes import post

__all__ = ["service"]  # the fixture: the seller and the «ship» and «early» pipelines


def outsiders(running: Running, owner_id: int) -> list[str]:
    """Managers who neither head the team nor own the deal."""
    managers = running.services.sales.team.managers.values()
    found = [m.login for m in managers if not m.is_head and m.id != owner_id]
    assert found
    return found


async def test_the_invoice_page_makes_and_moves_closing_documents(service: Running) -> None:
    deal_id = await deal_in(service, "ship")
    invoice = await issued_invoice(service, deal_id)
    path = f"/invoices/{invoice['id']}"
    status, html = await page(service, path, "head")
    assert status == 200 and "Создать накладную" not in html and "Создать акт" not in html
    assert "оформляют по оплаченному счёту" in html
    status, html = await post(service, f"{path}/shipments", "head", {})
    assert status == 422 and "оформляют по оплаченному счёту" in html

    await pay(service, invoice)
    status, html = await page(service, path, "head")
    assert "Создать накладную" in html and "Создать акт" in html
    status, _ = await post(service, f"{path}/shipments", "head", {})
    assert status == 303
    status, _ = await post(service, f"{path}/acts", "head", {})
    assert status == 303
    status, html = await page(service, path, "head")
    assert "Создать накладную" not in html and "Создать акт" not in html
    status, html = await post(service, f"{path}/acts", "head", {})
    assert status == 422 and "не осталось услуг для акта" in html
    status, listed = await call(service, "GET", f"/api/v1/deals/{deal_id}/shipments")
    assert [(d["kind"], d["status"]) for d in listed["items"]] == [
        ("shipment", "draft"),
        ("act", "draft"),
    ]
    shipment, act = (d["id"] for d in listed["items"])

    status, html = await post(service, f"/shipments/{shipment}/status", "head", {"status": "x"})
    assert status == 422 and "выберите новый статус" in html
    status, _ = await post(service, f"/shipments/{shipment}/status", "head", {"status": "done"})
    assert status == 303
    status, _ = await post(service, f"/acts/{act}/status", "head", {"status": "cancelled"})
    assert status == 303
    status, html = await post(service, f"/acts/{act}/status", "head", {"status": "done"})
    assert status == 422 and "не может стать «Подписан»" in html
    status, html = await page(service, path, "head")
    assert "Создать акт" in html  # the cancelled act freed its lines
    status, listed = await call(service, "GET", f"/api/v1/deals/{deal_id}/shipments")
    assert [d["status"] for d in listed["items"]] == ["done", "cancelled"]
    # The act is routed as an act: its id on the shipments' path finds nothing.
    status, _ = await post(service, f"/shipments/{act}/status", "head", {"status": "done"})
    assert status == 404

    _, deal = await call(service, "GET", f"/api/v1/deals/{deal_id}")
    for login in outsiders(service, deal["owner_id"]):
        assert (await page(service, path, login))[0] == 404
        assert (await post(service, f"{path}/acts", login, {}))[0] == 404
        form = {"status": "cancelled"}
        assert (await post(service, f"/shipments/{shipment}/status", login, form))[0] == 404
    status, listed = await call(service, "GET", f"/api/v1/deals/{deal_id}/shipments")
    assert [d["status"] for d in listed["items"]] == ["done", "cancelled"]


async def test_an_issued_invoice_is_shipped_where_the_pipeline_allows(service: Running) -> None:
    deal_id = await deal_in(service, "early")
    invoice = await issued_invoice(service, deal_id)
    status, html = await page(service, f"/invoices/{invoice['id']}", "head")
    assert status == 200 and "Создать накладную" in html and "Создать акт" in html


async def test_the_edit_form_refuses_a_sent_quote(service: Running) -> None:
    deal_id = await deal_in(service, "ship")
    body = {
        "vat_mode": "per_line",
        "items": [{"name": "Монтаж", "quantity": 1, "price": "100.00", "vat_rate": "20"}],
    }
    status, quote = await call(service, "POST", f"/api/v1/deals/{deal_id}/quotes", body)
    assert status == 201, quote
    edit = f"/quotes/{quote['id']}/edit"
    form = {
        "vat_mode": "per_line",
        "line_name": "Монтаж кабеля",
        "line_quantity": "2",
        "line_price": "100",
        "line_vat_rate": "20",
    }
    _, deal = await call(service, "GET", f"/api/v1/deals/{deal_id}")
    for login in outsiders(service, deal["owner_id"]):
        assert (await page(service, edit, login))[0] == 404
        assert (await post(service, edit, login, form))[0] == 404
    status, _ = await call(
        service, "POST", f"/api/v1/quotes/{quote['id']}/status", {"status": "sent"}
    )
    assert status == 200
    status, html = await post(service, edit, "head", form)
    assert status == 422 and "изменяют только черновик" in html
    _, after = await call(service, "GET", f"/api/v1/quotes/{quote['id']}")
    assert [i["name"] for i in after["items"]] == ["Монтаж"]
