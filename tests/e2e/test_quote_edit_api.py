"""Editing a draft quote over HTTP (`PUT /api/v1/quotes/{id}`), on SQLite and PostgreSQL: its
lines and terms are replaced, its number and client stay, the deal's timeline says so; a sent
quote is refused with 409, a bad body names the field, an outsider finds no quote."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_quotes_api import a_deal

FIRST = {
    "vat_mode": "per_line",
    "items": [{"name": "Монтаж", "quantity": 1, "price": "1000.00", "vat_rate": "20"}],
}


async def a_draft(running: Running) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deal and a draft quote of one line on it."""
    deal = await a_deal(running)
    status, quote = await call(running, "POST", f"/api/v1/deals/{deal['id']}/quotes", FIRST)
    assert status == 201, quote
    return deal, dict(quote)


async def test_a_draft_is_edited_and_a_sent_quote_is_not(any_db_service: Running) -> None:
    running = any_db_service
    deal, quote = await a_draft(running)
    path = f"/api/v1/quotes/{quote['id']}"
    edited_body = {
        "vat_mode": "included",
        "discount_percent": "10",
        "valid_until": "2099-06-30",
        "items": [
            {"name": "Монтаж кабеля", "quantity": 2, "price": "1200.00", "vat_rate": "20"},
            {
                "name": "Доставка",
                "quantity": 1,
                "price": "600",
                "vat_rate": "20",
                "delivery": True,
            },
        ],
    }
    status, edited = await call(running, "PUT", path, edited_body)
    assert status == 200, edited
    assert (edited["id"], edited["number"], edited["status"]) == (
        quote["id"],
        quote["number"],
        "draft",
    )
    assert [i["name"] for i in edited["items"]] == ["Монтаж кабеля", "Доставка"]
    # 2 × 1200 − 10 % = 2160,00, delivery (not discounted) 600,00: 2760,00 with VAT 20 %
    # included, 2760 / 6 = 460,00.
    assert (edited["total"], edited["vat_total"], edited["discount_percent"]) == (
        "2760.00",
        "460.00",
        "10.00",
    )
    assert (edited["vat_mode"], edited["valid_until"]) == ("included", "2099-06-30")
    assert edited["contact_id"] == quote["contact_id"]
    status, read = await call(running, "GET", path)
    assert (status, read["items"], read["total"]) == (200, edited["items"], "2760.00")
    async with running.services.storage.reader() as uow:
        entries = await uow.audit.for_entity("deal", deal["id"])
    edits = [e for e in entries if e.action == "quote_edited"]
    assert [(e.before, e.after) for e in edits] == [
        (
            {"quote_id": quote["id"], "number": quote["number"], "total": "1200.00"},
            {"quote_id": quote["id"], "number": quote["number"], "total": "2760.00"},
        )
    ]

    # Without valid_until it holds for the configured days again, as at creation.
    status, again = await call(running, "PUT", path, FIRST)
    assert (status, again["total"], len(again["items"])) == (200, "1200.00", 1)
    assert again["valid_until"] is not None and again["valid_until"] != "2099-06-30"

    status, _ = await call(running, "POST", f"{path}/status", {"status": "sent"})
    assert status == 200
    status, answer = await call(running, "PUT", path, edited_body)
    assert (status, answer["error"], answer["field"]) == (409, "quote_not_draft", "quote_id")
    assert "только черновик" in answer["message"]
    status, read = await call(running, "GET", path)
    assert read["total"] == "1200.00"  # nothing changed


async def test_edit_refusals_name_the_field(service: Running) -> None:
    deal, quote = await a_draft(service)
    path = f"/api/v1/quotes/{quote['id']}"
    line = FIRST["items"][0]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"items": [line]}, 400, "vat_mode"),
        ({"vat_mode": "per_line", "items": []}, 422, "items"),
        ({"vat_mode": "per_line", "items": [{**line, "price": "1.001"}]}, 400, "items.0.price"),
        (
            {"vat_mode": "per_line", "items": [{"quantity": 1, "product_id": 999}]},
            422,
            "items.0.product_id",
        ),
        (
            {"vat_mode": "per_line", "items": [line], "valid_until": "2000-01-01"},
            422,
            "valid_until",
        ),
    ]
    for body, expected, field in cases:
        status, answer = await call(service, "PUT", path, body)
        assert (status, answer.get("field")) == (expected, field), (body, answer)
    status, answer = await call(service, "PUT", "/api/v1/quotes/999", FIRST)
    assert (status, answer["field"]) == (404, "quote_id")
    managers = service.services.sales.team.managers.values()
    outsiders = [m.login for m in managers if not m.is_head and m.id != deal["owner_id"]]
    assert outsiders
    for login in outsiders:
        status, _ = await call(service, "PUT", path, FIRST, login=login)
        assert status == 404
    status, read = await call(service, "GET", path)
    assert read["items"][0]["name"] == "Монтаж"
