"""Quotes over HTTP: made on a deal from the catalogue, amounts as decimal strings, statuses
in the deal's timeline, refusals naming the field."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_sales_e2e import submit_lead


async def a_deal(running: Running) -> dict[str, Any]:
    lead = await submit_lead(running, "Иван Петров", "+7 916 555-10-20")
    status, converted = await call(running, "POST", f"/api/v1/leads/{lead['id']}/convert", {})
    assert status == 201, converted
    status, deal = await call(running, "GET", f"/api/v1/deals/{converted['deal_id']}")
    assert status == 200
    return dict(deal)


async def test_a_quote_from_the_catalogue_with_a_discount(any_db_service: Running) -> None:
    running = any_db_service
    deal = await a_deal(running)
    status, dealers = await call(running, "POST", "/api/v1/price-lists", {"name": "Дилеры"})
    status, cable = await call(
        running,
        "POST",
        "/api/v1/products",
        {
            "name": "Кабель ВВГ",
            "price": "400.00",
            "vat_rate": "20",
            "unit": "м",
            "prices": [{"price_list_id": dealers["id"], "price": "333.33"}],
        },
    )
    assert status == 201, cable
    body = {
        "vat_mode": "per_line",
        "discount_percent": 5,
        "price_list_id": dealers["id"],
        "valid_until": "2099-12-31",
        "items": [
            {"product_id": cable["id"], "quantity": 3},
            {
                "name": "Клемма",
                "quantity": 7,
                "price": 14.29,
                "vat_rate": "20",
                "discount_percent": 10,
            },
            {"name": "Монтаж", "quantity": 1, "price": "1000.01", "vat_rate": "10"},
            {"name": "Доставка", "quantity": 1, "price": 500, "vat_rate": "20", "delivery": True},
        ],
    }
    path = f"/api/v1/deals/{deal['id']}/quotes"
    status, quote = await call(running, "POST", path, body)
    assert status == 201, quote
    assert quote["number"].endswith("-0001") and quote["number"].startswith("КП-")
    assert (quote["status"], quote["status_name"]) == ("draft", "Черновик")
    assert (quote["subtotal"], quote["vat_total"], quote["total"]) == (
        "2485.53",
        "402.11",
        "2887.64",
    )
    assert quote["total_in_words"] == "Две тысячи восемьсот восемьдесят семь рублей 64 копейки"
    assert [i["price"] for i in quote["items"]] == ["333.33", "14.29", "1000.01", "500.00"]
    assert [i["vat"] for i in quote["items"]] == ["190.00", "17.11", "95.00", "100.00"]
    assert quote["items"][0]["unit"] == "м"
    assert quote["vat_groups"] == [
        {"vat_rate": "10", "base": "950.01", "vat": "95.00"},
        {"vat_rate": "20", "base": "1535.52", "vat": "307.11"},
    ]
    assert quote["valid_until"] == "2099-12-31"
    assert quote["contact_id"] == deal["contact_id"]
    status, on_total = await call(running, "POST", path, {**body, "vat_mode": "on_total"})
    assert (on_total["total"], on_total["items"][0]["vat"]) == ("2887.63", None)
    # In `included` mode a catalogue price without VAT gets it: 333,33 × 1,2 = 400,00.
    status, included = await call(running, "POST", path, {**body, "vat_mode": "included"})
    assert included["items"][0]["price"] == "400.00"
    as_given = [{**body["items"][0], "price": "333.33"}, *body["items"][1:]]
    status, included = await call(
        running, "POST", path, {**body, "vat_mode": "included", "items": as_given}
    )
    assert (included["subtotal"], included["vat_total"], included["total"]) == (
        "2143.25",
        "342.28",
        "2485.53",
    )
    status, listed = await call(running, "GET", path)
    assert [q["id"] for q in listed["items"]][:2] == [quote["id"], on_total["id"]]
    assert [q["number"][-4:] for q in listed["items"]] == ["0001", "0002", "0003", "0004"]
    status, one = await call(running, "GET", f"/api/v1/quotes/{quote['id']}")
    assert (status, one) == (200, quote)


async def test_statuses_and_who_may_see(service: Running) -> None:
    deal = await a_deal(service)
    body = {
        "vat_mode": "included",
        "items": [{"name": "Аудит", "quantity": "1", "price": "12000", "vat_rate": "none"}],
    }
    status, quote = await call(service, "POST", f"/api/v1/deals/{deal['id']}/quotes", body)
    assert status == 201, quote
    assert quote["total"] == "12000.00" and quote["vat_total"] == "0.00"
    status_path = f"/api/v1/quotes/{quote['id']}/status"
    status, answer = await call(service, "POST", status_path, {"status": "accepted"})
    assert (status, answer["error"], answer["field"]) == (409, "quote_status", "status")
    status, answer = await call(service, "POST", status_path, {"status": "sent"})
    assert (status, answer["status_name"]) == (200, "Отправлено")
    status, answer = await call(service, "POST", status_path, {"status": "rejected"})
    assert (status, answer["field"]) == (422, "reason")
    status, answer = await call(
        service, "POST", status_path, {"status": "rejected", "reason": "Дорого"}
    )
    assert (answer["status"], answer["rejection_reason"]) == ("rejected", "Дорого")
    status, answer = await call(service, "POST", status_path, {"status": "maybe"})
    assert (status, answer["field"]) == (400, "status")
    # A manager who does not own the deal sees no quote on it and makes none.
    managers = service.services.sales.team.managers.values()
    outsiders = [m.login for m in managers if not m.is_head and m.id != deal["owner_id"]]
    assert outsiders
    for login in outsiders:
        status, _ = await call(service, "GET", f"/api/v1/quotes/{quote['id']}", login=login)
        assert status == 404
        status, _ = await call(
            service, "POST", f"/api/v1/deals/{deal['id']}/quotes", body, login=login
        )
        assert status == 404


async def test_refusals_name_the_field(service: Running) -> None:
    deal = await a_deal(service)
    path = f"/api/v1/deals/{deal['id']}/quotes"
    line = {"name": "Монтаж", "quantity": 1, "price": "100", "vat_rate": "20"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"items": [line]}, 400, "vat_mode"),
        ({"vat_mode": "per_line", "items": []}, 422, "items"),
        ({"vat_mode": "per_line", "items": [{**line, "quantity": 0}]}, 400, "items.0.quantity"),
        ({"vat_mode": "per_line", "items": [{**line, "price": "1.001"}]}, 400, "items.0.price"),
        ({"vat_mode": "per_line", "items": [{**line, "vat_rate": "18"}]}, 400, "items.0.vat_rate"),
        (
            {"vat_mode": "per_line", "items": [line], "discount_percent": 120},
            400,
            "discount_percent",
        ),
        ({"vat_mode": "per_line", "items": [{**line, "price": None}]}, 422, "items.0.price"),
        (
            {"vat_mode": "per_line", "items": [{"quantity": 1, "product_id": 999}]},
            422,
            "items.0.product_id",
        ),
        ({"vat_mode": "per_line", "items": [line], "price_list_id": 999}, 422, "price_list_id"),
        (
            {"vat_mode": "per_line", "items": [line], "valid_until": "2000-01-01"},
            422,
            "valid_until",
        ),
    ]
    for body, expected, field in cases:
        status, answer = await call(service, "POST", path, body)
        assert (status, answer.get("field")) == (expected, field), (body, answer)
    status, answer = await call(
        service, "POST", "/api/v1/deals/999/quotes", {"vat_mode": "per_line", "items": [line]}
    )
    assert (status, answer["field"]) == (404, "deal_id")
    assert (await call(service, "GET", "/api/v1/quotes/999"))[0] == 404
