"""The money reports over HTTP on both databases: one invoice paid in part shows in revenue,
receivables and conversion for its owner and the head, not for another manager; bad
parameters are 4xx naming them. Answers are checked against the OpenAPI document."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_invoices_api import accepted_quote, money_service
from tests.e2e.test_quotes_api import a_deal

__all__ = ["money_service"]


async def report(running: Running, path: str, login: str = "head") -> dict[str, Any]:
    status, body = await call(running, "GET", f"/api/v1/reports/{path}", login=login)
    assert status == 200, body
    return dict(body)


async def test_a_part_paid_invoice_in_the_three_reports(money_service: Running) -> None:
    running = money_service
    deal = await a_deal(running)
    quote = await accepted_quote(running, deal["id"])
    status, invoice = await call(running, "POST", f"/api/v1/quotes/{quote['id']}/invoice", {})
    assert status == 201, invoice
    path = f"/api/v1/invoices/{invoice['id']}/status"
    status, issued = await call(running, "POST", path, {"status": "issued"})
    assert status == 200, issued
    day = date.fromisoformat(invoice["invoice_date"])
    payment = {"invoice_id": invoice["id"], "amount": "1000.00", "date": day.isoformat()}
    status, paid = await call(running, "POST", "/api/v1/payments", payment)
    assert status == 201, paid
    due = str(Decimal(invoice["total"]) - 1000)

    span = f"from={day}&to={day + timedelta(days=1)}"
    revenue = await report(running, f"revenue?{span}&group=day")
    assert (revenue["total"], revenue["payments"], revenue["scope"]) == ("1000.00", 1, "all")
    assert revenue["periods"] == [
        {
            "start": day.isoformat(),
            "end": (day + timedelta(days=1)).isoformat(),
            "amount": "1000.00",
            "payments": 1,
        }
    ]
    [owner] = [m["manager"] for m in revenue["managers"] if m["amount"] == "1000.00"]
    assert owner in ("ivanova", "petrov", "head"), revenue["managers"]
    assert revenue["timezone"] == "Europe/Moscow"

    as_of = date.fromisoformat(invoice["due_date"]) + timedelta(days=31)
    owed = await report(running, f"receivables?as_of={as_of}")
    assert (owed["due"], owed["invoices"]) == (due, 1)
    assert {b["bucket"]: b["due"] for b in owed["buckets"]}["31_60"] == due
    [late] = owed["most_overdue"]
    assert (late["invoice_id"], late["manager"], late["days_overdue"], late["due"]) == (
        invoice["id"],
        owner,
        31,
        due,
    )

    funnel = await report(running, f"documents-conversion?{span}")
    assert funnel["quotes"] == {
        "created": 1,
        "sent": 1,
        "accepted": 1,
        "rejected": 0,
        "invoiced": 1,
        "quote_to_invoice_rate": 1.0,
    }
    assert (funnel["invoices"]["issued"], funnel["invoices"]["partially_paid"]) == (1, 1)
    assert funnel["invoices"]["invoice_to_payment_rate"] == 0.0

    other = "petrov" if owner != "petrov" else "ivanova"
    theirs = await report(running, f"revenue?{span}&manager={owner}", login=other)
    assert (theirs["scope"], theirs["total"], theirs["managers"]) == ("own", "0.00", [])
    assert (await report(running, f"receivables?as_of={as_of}", login=other))["invoices"] == 0


async def test_bad_parameters_are_named(money_service: Running) -> None:
    cases = {
        "revenue?group=year": (400, "group"),
        "revenue?from=31.12.2026": (400, "from"),
        "revenue?from=2026-12-02&to=2026-12-01": (422, "to"),
        "revenue?manager=nobody": (422, "manager"),
        "receivables?as_of=2026-13-01": (400, "as_of"),
        "receivables?limit=0": (400, "limit"),
        "receivables?limit=abc": (400, "limit"),
        "documents-conversion?to=tomorrow": (400, "to"),
        "documents-conversion?from=2025-01-01&to=2026-12-01": (422, "to"),
    }
    for query, expected in cases.items():
        status, body = await call(money_service, "GET", f"/api/v1/reports/{query}")
        assert (status, body.get("field")) == expected, (query, body)
    async with money_service.client.get("/api/v1/reports/receivables") as response:
        assert response.status == 401, await response.text()
