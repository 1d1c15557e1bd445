"""Files on the cards over HTTP, with no JavaScript: the reply form posts a file as
multipart/form-data with its CSRF token, the stand-in receives it once as a document, and the
timeline links the file; a client's file on the card downloads through the session."""

from __future__ import annotations

import html
import re

import aiohttp

from tests.e2e.conftest import Running
from tests.e2e.test_replies_api import client_writes_in_telegram
from tests.e2e.test_reply_attachments_api import DOC_ID, PDF
from tests.e2e.test_workplace_replies import (
    Service,
    card,
    form_of,
    service,  # noqa: F401  (the fixture)
    session,
    telegram_lead,
    until_card_says,
)
from workplace.auth.cookies import SESSION_COOKIE

LINK = re.compile(r'<a href="(/files/[^"]+)" download>([^<]+)</a>')


async def post_form(
    running: Running, path: str, secret: str, fields: dict[str, str], file: bytes | None
) -> tuple[int, str, str]:
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    if file is not None:
        form.add_field("attachments", file, filename="Смета.pdf", content_type="application/pdf")
    async with running.client.post(
        path, data=form, cookies={SESSION_COOKIE: secret}, allow_redirects=False
    ) as r:
        return r.status, r.headers.get("Location", ""), await r.text()


async def get(running: Running, path: str, secret: str) -> tuple[int, bytes]:
    async with running.client.get(path, cookies={SESSION_COOKIE: secret}) as r:
        return r.status, await r.read()


async def test_a_file_sent_from_the_card_without_javascript_reaches_telegram_and_links_back(
    service: Service,  # noqa: F811
) -> None:
    running, stand_in = service
    lead, secret, path = await telegram_lead(running)
    _, page = await card(running, path, secret)
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="attachments"' in page
    fields = {**form_of(page), "channel": "telegram", "text": "Смета во вложении"}

    forged = await post_form(
        running, f"{path}/messages", secret, {**fields, "csrf_token": "x"}, PDF
    )
    status, location, _ = await post_form(running, f"{path}/messages", secret, fields, PDF)
    again = await post_form(running, f"{path}/messages", secret, fields, PDF)

    assert forged[0] == 403
    assert (status, location) == (303, path)
    assert again[0] == 303  # the same rendered form: queued once
    shown = await until_card_says(running, path, secret, "отправлено")
    [(url, name)] = LINK.findall(shown)
    assert name == "Смета.pdf"
    assert [(d["caption"], d["document"][2]) for d in stand_in.telegram_delivered] == [
        ("Смета во вложении", PDF)
    ]
    assert await get(running, html.unescape(url), secret) == (200, PDF)
    stranger = "petrov" if lead["assignee"] == "ivanova" else "ivanova"
    assert (await get(running, html.unescape(url), await session(running, stranger)))[0] == 404


async def test_a_clients_file_on_the_lead_card_downloads_from_the_platform(
    service: Service,  # noqa: F811
) -> None:
    running, stand_in = service
    stand_in.telegram_files[DOC_ID] = PDF
    lead = await client_writes_in_telegram(running, "document.json")
    secret = await session(running, lead["assignee"])

    _, page = await card(running, f"/leads/{lead['id']}", secret)
    [(url, name)] = LINK.findall(page)

    assert (name, "47 КБ" in page) == ("Смета_окна.pdf", True)
    assert await get(running, html.unescape(url), secret) == (200, PDF)
