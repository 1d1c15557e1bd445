"""E-mail files over the running service, on each database, against Dovecot: a client's
attachment is listed in the conversation and downloaded through LeadIntake by fetching its
message again over IMAP (nothing stored up front); a manager's file leaves as a MIME part."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiohttp

from tests.dovecot import Dovecot, dovecot, dovecot_factory
from tests.e2e.conftest import Running
from tests.e2e.test_email_replies_api import kind, started
from tests.e2e.test_replies_api import conversation, wait_assigned, wait_for_state
from tests.e2e.test_reply_attachments_api import PDF
from tests.integration.smtp_support import parse

__all__ = ["dovecot", "dovecot_factory", "kind"]  # shared fixtures, used by name


def mail_with_file() -> bytes:
    message = EmailMessage()
    message["From"] = "Иван Петров <ivan.petrov@example.ru>"
    message["To"] = "sales@company.example"
    message["Subject"] = "Заявка с планировкой"
    message["Message-ID"] = make_msgid(domain="mail.example.ru")
    message.set_content("Добрый день! Планировка во вложении, нужен расчёт.\nИван")
    message.add_attachment(PDF, "application", "pdf", filename="Планировка.pdf")
    return message.as_bytes()


async def test_a_clients_email_attachment_downloads_from_the_mailbox_and_a_reply_carries_one(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot) as (running, smtp, user):
        dovecot.deliver(user, [mail_with_file()])
        [new] = await running.wait_for_leads(1)
        lead = await wait_assigned(running, new["id"])
        owner = lead["assignee"]
        stranger = "petrov" if owner == "ivanova" else "ivanova"

        [opening] = (await conversation(running, lead["id"], owner))["items"]
        [file] = opening["attachments"]
        got = await download(running, file["url"], owner)
        hidden = await download(running, file["url"], stranger)

        form = aiohttp.FormData(quote_fields=False)
        form.add_field("text", "Расчёт во вложении")
        form.add_field("attachments", b"raschet", filename="Расчёт.txt", content_type="text/plain")
        async with running.client.post(
            f"/api/v1/conversations/lead/{lead['id']}/messages",
            data=form,
            headers=running.auth(owner),
        ) as r:
            assert r.status == 202, await r.text()
        await wait_for_state(running, lead["id"], owner, "sent")

    assert (file["name"], file["content_type"], file["size"]) == (
        "Планировка.pdf",
        "application/pdf",
        len(PDF),
    )
    assert got == (200, PDF)
    assert hidden[0] == 404
    [(_, _, raw)] = smtp.accepted
    [attached] = list(parse(raw).iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("Расчёт.txt", "raschet")


async def download(running: Running, url: str, login: str) -> tuple[int, bytes]:
    async with running.client.get(url, headers=running.auth(login)) as r:
        return r.status, await r.read()
