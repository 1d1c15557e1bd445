"""A quote's PDF over the running service: downloaded by whoever may see the deal, and e-mailed
to the client from the deal through the SMTP stand-in once, with the PDF attached, the send
in the deal's timeline and the quote marked sent."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from crm_core.model import AuditEntry
from tests.dovecot import Dovecot, dovecot, dovecot_factory
from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_email_replies_api import client_emails, kind, started
from tests.e2e.test_sales_e2e import submit_lead
from tests.integration.smtp_support import SmtpStandIn
from tests.integration.test_email_replies import CLIENT
from tests.unit.test_documents_pdf import text_of
from workplace.pages.timeline import Names, audit_text

__all__ = ["dovecot", "dovecot_factory", "kind"]  # shared fixtures, used by name
SELLER = """
[documents.seller]
name = "ООО «Ромашка»"
inn = "7701234567"
kpp = "770101001"
address = "г. Москва, ул. Ленина, д. 1"
bank = "ПАО СБЕРБАНК г. Москва"
bik = "044525225"
correspondent_account = "30101810400000000225"
account = "40702810938000012345"
director = "Иванов И. И."
"""
QUOTE = {
    "vat_mode": "per_line",
    "items": [
        {"name": "Кабель ВВГ", "quantity": "40", "price": "333.33", "vat_rate": "20", "unit": "м"},
        {"name": "Монтаж", "quantity": 1, "price": "1000.01", "vat_rate": "10"},
    ],
}


async def a_quote(running: Running, lead_id: int) -> dict[str, Any]:
    """The lead converted to a deal with one quote on it; returns the quote."""
    status, converted = await call(running, "POST", f"/api/v1/leads/{lead_id}/convert", {})
    assert status == 201, converted
    path = f"/api/v1/deals/{converted['deal_id']}/quotes"
    status, quote = await call(running, "POST", path, QUOTE)
    assert status == 201, quote
    return dict(quote)


async def download(running: Running, quote_id: int, login: str) -> tuple[int, bytes, Any]:
    async with running.client.get(
        f"/api/v1/quotes/{quote_id}/pdf", headers=running.auth(login)
    ) as response:
        return response.status, await response.read(), response.headers


async def send(
    running: Running, quote_id: int, body: dict[str, Any], login: str, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = running.auth(login) | ({"Idempotency-Key": key} if key else {})
    async with running.client.post(
        f"/api/v1/quotes/{quote_id}/send", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def wait_accepted(smtp: SmtpStandIn, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while len(smtp.accepted) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(smtp.accepted)} e-mails"
        await asyncio.sleep(0.02)


async def deal_audit(running: Running, deal_id: int) -> list[AuditEntry]:
    async with running.services.storage.reader() as uow:
        return await uow.audit.for_entity("deal", deal_id)


async def test_the_pdf_downloads_for_whoever_may_see_the_quote(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot, more_config=SELLER) as (running, _, user):
        lead = await client_emails(running, dovecot, user)
        quote = await a_quote(running, lead["id"])
        status, pdf, headers = await download(running, quote["id"], lead["assignee"])
        outsiders = [
            m.login
            for m in running.services.sales.team.managers.values()
            if not m.is_head and m.login != lead["assignee"]
        ]
        refused = [(await download(running, quote["id"], login))[0] for login in outsiders]
        missing = await download(running, 999_999, "head")

    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    number = quote["number"]
    assert headers["Content-Disposition"] == (
        f"attachment; filename=\"KP-{number[3:]}.pdf\"; filename*=UTF-8''%D0%9A%D0%9F-"
        f"{number[3:]}.pdf"
    )
    text = text_of(pdf)
    assert f"Коммерческое предложение № {number} от " in text
    assert "ООО «Ромашка»" in text and "ИНН 7701234567, КПП 770101001" in text
    assert "Клиент: Иван Петров" in text
    assert "1 Кабель ВВГ 40 м 333,33 20% 2 666,64 13 333,20" in text
    assert "Итого с НДС: 17 099,85" in text
    assert "Семнадцать тысяч девяносто девять рублей 85 копеек" in text
    assert outsiders and set(refused) == {404}
    assert missing[0] == 404


async def test_a_quote_emailed_from_the_deal_reaches_the_client_once_with_its_pdf(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot, more_config=SELLER) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        owner = lead["assignee"]
        quote = await a_quote(running, lead["id"])
        status, sent = await send(running, quote["id"], {}, owner, key="send-1")
        await wait_accepted(smtp, 1)
        again = await send(running, quote["id"], {}, owner, key="send-1")
        other = await send(
            running,
            quote["id"],
            {"to": "Buyer@Example.ru", "message": "Обновлённое КП"},
            owner,
        )
        await wait_accepted(smtp, 2)
        audit = await deal_audit(running, quote["deal_id"])

    assert status == 202, sent
    assert (sent["to"], sent["message"]["channel"], sent["message"]["duplicate"]) == (
        CLIENT,
        "email",
        False,
    )
    assert (sent["quote"]["status"], sent["quote"]["status_name"]) == ("sent", "Отправлено")
    assert sent["message"]["attachments"][0]["content_type"] == "application/pdf"
    # The same key again: the e-mail already queued, nothing new.
    assert again[0] == 202 and again[1]["message"]["duplicate"] is True
    assert again[1]["message"]["id"] == sent["message"]["id"]
    assert other[0] == 202 and other[1]["to"] == "buyer@example.ru"
    assert len(smtp.tried) == 2

    first, second = smtp.messages()
    assert (first["To"], first["Subject"]) == (
        CLIENT,
        f"Коммерческое предложение № {quote['number']}",
    )
    assert "In-Reply-To" not in first  # a new thread, not a reply
    assert (
        first.get_body(("plain",))
        .get_content()
        .startswith(f"Добрый день!\n\nНаправляем коммерческое предложение № {quote['number']}")
    )
    [attachment] = list(first.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{quote['number']}.pdf"
    content = attachment.get_content()
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    assert f"Коммерческое предложение № {quote['number']}" in text_of(content)
    assert "Итого с НДС: 17 099,85" in text_of(content)
    assert second["To"] == "buyer@example.ru"
    assert second.get_body(("plain",)).get_content().strip() == "Обновлённое КП"

    names = Names({}, {}, {}, {})
    timeline = [audit_text(e, names) for e in audit if e.action.startswith("quote")]
    assert timeline == [
        f"Создано коммерческое предложение {quote['number']} на 17\u202f099,85 ₽",
        f"Коммерческое предложение {quote['number']} отправлено на {CLIENT}",
        f"Коммерческое предложение {quote['number']}: Отправлено",
        f"Коммерческое предложение {quote['number']} отправлено на buyer@example.ru",
    ]


async def test_refusals_name_the_field(tmp_path: Path, dovecot: Dovecot) -> None:
    async with started("sqlite", tmp_path, dovecot) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        quote = await a_quote(running, lead["id"])
        phone_only = await submit_lead(running, "Пётр Сидоров", "+7 916 555-10-21")
        no_email = await a_quote(running, phone_only["id"])
        cases = [
            await send(running, quote["id"], {"to": "не адрес"}, "head"),
            await send(running, quote["id"], {"mailbox": "support"}, "head"),
            await send(running, no_email["id"], {}, "head"),
            await send(running, quote["id"], {"to": 7}, "head"),
            await send(running, 999_999, {}, "head"),
        ]
        after = await call(running, "GET", f"/api/v1/quotes/{quote['id']}")

    assert [(status, body["field"]) for status, body in cases] == [
        (422, "to"),
        (422, "mailbox"),
        (422, "to"),
        (400, "to"),
        (404, "quote_id"),
    ]
    assert cases[2][1]["error"] == "no_email"
    assert after[1]["status"] == "draft"
    assert smtp.tried == []


async def test_the_quote_page_downloads_and_sends_a_quote_once(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started("sqlite", tmp_path, dovecot, more_config=SELLER) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        owner = lead["assignee"]
        quote = await a_quote(running, lead["id"])
        quote_path = f"/quotes/{quote['id']}"
        async with running.client.get(f"{quote_path}/pdf", headers=running.auth(owner)) as r:
            download = (r.status, r.content_type, await r.read())
        before = await page(running, quote_path, owner)
        [send_key] = re.findall(r'name="send_key" value="([0-9a-f]+)"', before[1])
        posts = []
        for _ in range(2):  # a double click: the same form twice
            async with running.client.post(
                f"{quote_path}/send",
                data={"send_key": send_key, "to": "", "message": ""},
                headers=running.auth(owner),
                allow_redirects=False,
            ) as r:
                posts.append((r.status, r.headers.get("Location")))
        await wait_accepted(smtp, 1)
        await wait_sent(running, quote["deal_id"], owner)
        after = await page(running, quote_path, owner)
        card = await page(running, f"/deals/{quote['deal_id']}", owner)
        refused = await page_post(running, f"{quote_path}/send", owner, to="не адрес")

    assert download[:2] == (200, "application/pdf")
    assert f"Коммерческое предложение № {quote['number']}" in text_of(download[2])
    assert f'href="{quote_path}/pdf"' in before[1] and "Отправить клиенту" in before[1]
    assert posts == [(303, quote_path), (303, quote_path)]
    assert len(smtp.tried) == 1
    assert "Отправлено</span>" in after[1]
    assert f"Коммерческое предложение {quote['number']} отправлено на {CLIENT}" in card[1]
    assert "Это не адрес e-mail: проверьте получателя." in refused


async def page(running: Running, path: str, login: str) -> tuple[int, str]:
    async with running.client.get(path, headers=running.auth(login)) as r:
        return r.status, await r.text()


async def page_post(running: Running, path: str, login: str, **form: str) -> str:
    async with running.client.post(path, data=form, headers=running.auth(login)) as r:
        assert r.status == 422
        return await r.text()


async def wait_sent(running: Running, deal_id: int, login: str) -> None:
    """Until the deal's newest outgoing message is sent (its row recorded as such)."""
    deadline = asyncio.get_running_loop().time() + 10
    path = f"/api/v1/conversations/deal/{deal_id}/messages"
    while True:
        async with running.client.get(path, headers=running.auth(login)) as r:
            items = (await r.json())["items"]
        if items and items[-1]["state"] == "sent":
            return
        assert asyncio.get_running_loop().time() < deadline, items[-1:]
        await asyncio.sleep(0.02)
