"""An invoice's PDF over HTTP: downloaded by whoever may see it (the «Счёт на оплату» with the
seller's bank requisites, the buyer, the lines, totals, VAT and the total in words), and
e-mailed to the client once, a draft becoming issued and the deal moving on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from crm_core.money import format_rub
from tests.dovecot import Dovecot, dovecot, dovecot_factory
from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_email_replies_api import client_emails, kind, started
from tests.e2e.test_invoices_api import OUR_ACCOUNT, SELLER_TOML, accepted_quote, money_service
from tests.e2e.test_quote_documents_api import deal_audit, wait_accepted
from tests.e2e.test_quotes_api import a_deal
from tests.integration.test_email_replies import CLIENT
from tests.unit.test_documents_pdf import text_of
from workplace.pages.timeline import Names, audit_text

__all__ = ["dovecot", "dovecot_factory", "kind", "money_service"]  # shared fixtures, used by name


async def download(running: Running, invoice_id: int, login: str) -> tuple[int, bytes, Any]:
    async with running.client.get(
        f"/api/v1/invoices/{invoice_id}/pdf", headers=running.auth(login)
    ) as response:
        return response.status, await response.read(), response.headers


async def send(
    running: Running, invoice_id: int, body: dict[str, Any], login: str, key: str
) -> tuple[int, dict[str, Any]]:
    headers = running.auth(login) | {"Idempotency-Key": key}
    async with running.client.post(
        f"/api/v1/invoices/{invoice_id}/send", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def an_invoice(running: Running, deal_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An accepted quote on the deal and the draft invoice made from it."""
    quote = await accepted_quote(running, deal_id)
    status, invoice = await call(running, "POST", f"/api/v1/quotes/{quote['id']}/invoice", {})
    assert status == 201, invoice
    return quote, dict(invoice)


def rub(amount: str) -> str:
    """An amount as the PDF's text reads (its narrow spaces made plain)."""
    return format_rub(Decimal(amount)).replace("\u202f", " ")


async def test_the_invoice_pdf_prints_requisites_lines_and_totals(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot, more_config=SELLER_TOML) as (running, _, user):
        lead = await client_emails(running, dovecot, user)
        status, converted = await call(running, "POST", f"/api/v1/leads/{lead['id']}/convert", {})
        assert status == 201, converted
        quote, invoice = await an_invoice(running, converted["deal_id"])
        status, pdf, headers = await download(running, invoice["id"], lead["assignee"])
        outsiders = [
            m.login
            for m in running.services.sales.team.managers.values()
            if not m.is_head and m.login != lead["assignee"]
        ]
        refused = [(await download(running, invoice["id"], login))[0] for login in outsiders]
        missing = await download(running, 999_999, "head")

    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    number = invoice["number"]
    assert headers["Content-Disposition"] == (
        f"attachment; filename=\"SCH-{number[3:]}.pdf\"; filename*=UTF-8''%D0%A1%D0%A7-"
        f"{number[3:]}.pdf"
    )
    text = text_of(pdf)
    assert f"Счёт на оплату № {number} от " in text
    # The bank block and both parties.
    for requisite in ("044525593", "30101810200000000593", OUR_ACCOUNT, 'АО "АЛЬФА-БАНК"'):
        assert requisite in text
    assert 'ООО "Ромашка", ИНН 7701234567, КПП 770101001' in text
    assert "Покупатель" in text
    assert f"Основание: Коммерческое предложение № {quote['number']} от " in text
    # The lines: name, quantity with unit, price; the totals with VAT per rate.
    assert "Кабель ВВГ 3 м 333,33" in text
    assert "Монтаж" in text and "Доставка" in text
    assert f"Итого: {rub(invoice['subtotal'])}" in text
    for group in invoice["vat_groups"]:
        assert f"НДС {group['vat_rate']}%: {rub(group['vat'])}" in text
    assert f"Всего к оплате: {rub(invoice['total'])}" in text
    assert f"Всего наименований 3, на сумму {rub(invoice['total'])} руб." in text
    assert invoice["amount_in_words"] in text
    assert "Оплатить не позднее" in text
    assert "Ковалёв И. С." in text and "Смирнова Е. А." in text
    assert outsiders and set(refused) == {404}
    assert missing[0] == 404


async def test_an_invoice_emailed_to_the_client_is_issued_and_sent_once(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot, more_config=SELLER_TOML) as (
        running,
        smtp,
        user,
    ):
        lead = await client_emails(running, dovecot, user)
        owner = lead["assignee"]
        status, converted = await call(running, "POST", f"/api/v1/leads/{lead['id']}/convert", {})
        assert status == 201, converted
        _, invoice = await an_invoice(running, converted["deal_id"])
        status, sent = await send(running, invoice["id"], {}, owner, "inv-1")
        await wait_accepted(smtp, 1)
        again = await send(running, invoice["id"], {}, owner, "inv-1")
        status_cancel, _ = await call(
            running, "POST", f"/api/v1/invoices/{invoice['id']}/status", {"status": "cancelled"}
        )
        withdrawn = await send(running, invoice["id"], {}, owner, "inv-2")
        audit = await deal_audit(running, invoice["deal_id"])

    assert status == 202, sent
    assert (sent["to"], sent["invoice"]["status"], sent["invoice"]["status_name"]) == (
        CLIENT,
        "issued",
        "Выставлен",
    )
    assert sent["message"]["attachments"][0]["content_type"] == "application/pdf"
    assert again[0] == 202 and again[1]["message"]["duplicate"] is True
    assert status_cancel == 200
    assert (withdrawn[0], withdrawn[1]["error"]) == (409, "invoice_withdrawn")
    assert len(smtp.tried) == 1
    [message] = smtp.messages()
    assert (message["To"], message["Subject"]) == (CLIENT, f"Счёт на оплату № {invoice['number']}")
    body = message.get_body(("plain",)).get_content()
    assert body.startswith(f"Добрый день!\n\nНаправляем счёт на оплату № {invoice['number']}")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice['number']}.pdf"
    assert f"Счёт на оплату № {invoice['number']}" in text_of(attachment.get_content())

    names = Names({}, {}, {}, {})
    timeline = [audit_text(e, names) for e in audit if e.action.startswith("invoice")]
    assert timeline[1:] == [
        f"Счёт {invoice['number']} отправлен на {CLIENT}",
        f"Счёт {invoice['number']}: Выставлен",
        f"Счёт {invoice['number']}: Отменён",
    ]


async def test_a_send_without_a_mailbox_or_body_names_the_field(money_service: Running) -> None:
    running = money_service
    deal = await a_deal(running)
    _, invoice = await an_invoice(running, deal["id"])
    status, answer = await call(running, "POST", f"/api/v1/invoices/{invoice['id']}/send", [])
    assert (status, answer["field"]) == (400, "body")
    status, answer = await call(
        running, "POST", f"/api/v1/invoices/{invoice['id']}/send", {"to": "not an address"}
    )
    assert (status, answer["field"]) == (422, "mailbox")  # no mailbox can send here
