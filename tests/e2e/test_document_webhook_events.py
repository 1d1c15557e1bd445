"""The sales documents' events reach a subscriber signed and in their deal's order: a quote
sent and accepted, its invoice issued, a part payment and the rest, then the deal won
once it is paid (the receiver re-checks every signature)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_invoices_api import SELLER_TOML, accepted_quote
from tests.e2e.test_quotes_api import a_deal
from tests.e2e.test_webhooks import WEBHOOKS, subscribe, until
from tests.webhook_receiver import Receiver, receiving

EVENTS = [
    "quote.status_changed",
    "invoice.status_changed",
    "payment.received",
    "deal.stage_changed",
]


@pytest.fixture(params=["sqlite", "postgres"])
async def money_service(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The seller configured and webhooks quick to retry, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(write_config(WEBHOOKS + SELLER_TOML), storage) as running,
    ):
        yield running


async def test_quote_invoice_and_payments_are_sent_in_the_deals_order(
    money_service: Running,
) -> None:
    running = money_service
    receiver = Receiver()
    async with receiving(receiver):
        receiver.secret = (await subscribe(running, receiver.url, EVENTS))["secret"]
        deal = await a_deal(running)
        quote = await accepted_quote(running, deal["id"])
        status, invoice = await call(running, "POST", f"/api/v1/quotes/{quote['id']}/invoice")
        assert status == 201, invoice
        path = f"/api/v1/invoices/{invoice['id']}/status"
        assert (await call(running, "POST", path, {"status": "issued"}))[0] == 200
        total = Decimal(invoice["total"])
        for amount in (Decimal("1000.00"), total - Decimal("1000.00")):
            body = {"invoice_id": invoice["id"], "amount": str(amount), "date": "2026-12-08"}
            assert (await call(running, "POST", "/api/v1/payments", body))[0] == 201
        # sent, accepted; issued (deal to the invoice stage); paid 1000 (partly paid);
        # paid the rest (paid; deal to the paid stage)
        won = await call(running, "POST", f"/api/v1/deals/{deal['id']}/stage", {"stage": "won"})
        assert won[0] == 200, won
        # sent, accepted; issued; 1000 received, partly paid; the rest received, paid; won
        await until(lambda: len(receiver.processed) >= 8, 10, "eight events")
    events = receiver.events()
    assert receiver.bad_signatures == 0
    kinds = [(e["type"], e["data"].get("status")) for e in events]
    assert kinds[:2] == [("quote.status_changed", "sent"), ("quote.status_changed", "accepted")]
    assert kinds[2] == ("invoice.status_changed", "issued")
    payments = [e["data"] for e in events if e["type"] == "payment.received"]
    assert [p["amount"] for p in payments] == ["1000.00", str(total - Decimal("1000.00"))]
    assert payments[-1]["invoice_paid"] == str(total) == payments[-1]["invoice_total"]
    statuses = [e["data"]["status"] for e in events if e["type"] == "invoice.status_changed"]
    assert statuses == ["issued", "partially_paid", "paid"]
    # One ordering per deal: the deal is won after the payment that allowed it.
    assert len(events) == 8
    assert (events[-1]["type"], events[-1]["data"]["stage"]) == ("deal.stage_changed", "won")
    assert all(e["data"]["deal_id"] == deal["id"] for e in events)
    accepted = events[1]["data"]
    assert (accepted["previous_status"], accepted["total"]) == ("sent", quote["total"])
