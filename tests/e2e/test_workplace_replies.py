"""«Написать клиенту» on the cards over HTTP: a client writes to the bot, the manager answers
from the lead card with a session and its CSRF token, the stand-in receives the message once,
and the card shows its delivery state."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from intake.clock import utcnow
from tests.dovecot import Dovecot, dovecot, dovecot_factory
from tests.e2e.conftest import Running
from tests.e2e.test_email_replies_api import client_emails
from tests.e2e.test_email_replies_api import started as email_started
from tests.e2e.test_replies_api import (
    CHAT_ID,
    client_writes_in_telegram,
    started,
)
from tests.integration.replies_support import BLOCKED, PlatformStandIn, telegram_error
from tests.integration.test_email_replies import CLIENT
from workplace.auth.cookies import SESSION_COOKIE
from workplace.auth.service import SignedIn, set_password, sign_in
from workplace.auth.session import session_policy

__all__ = ["dovecot", "dovecot_factory"]  # shared fixtures, used by name
PASSWORD = "пароль-для-ответов"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="key" value="([^"]+)"')
SELECTED = re.compile(r'<option value="(\w+)" selected>([^<]*)</option>')
Service = tuple[Running, PlatformStandIn]


@pytest.fixture(params=["sqlite", "postgres"])
async def service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """The service with a Telegram bot and a VK community sending to the stand-in."""
    async with started(request.param, tmp_path) as both:
        yield both


async def session(running: Running, login: str) -> str:
    """A signed-in session's secret for `login` (as the sign-in form would set it)."""
    storage = running.services.storage
    await set_password(storage, login, PASSWORD, utcnow())
    opened = await sign_in(
        storage, login, PASSWORD, utcnow(), session_policy(running.services.settings)
    )
    assert isinstance(opened, SignedIn)
    return opened.secret


async def card(running: Running, path: str, secret: str) -> tuple[int, str]:
    """A card as the session's manager sees it."""
    async with running.client.get(
        path, cookies={SESSION_COOKIE: secret}, allow_redirects=False
    ) as r:
        return r.status, await r.text()


async def send(running: Running, path: str, secret: str, form: dict[str, str]) -> tuple[int, str]:
    """POST the reply form the way htmx does."""
    async with running.client.post(
        path,
        data=form,
        cookies={SESSION_COOKIE: secret},
        headers={"HX-Request": "true"},
        allow_redirects=False,
    ) as r:
        return r.status, await r.text()


def preselected(page: str) -> tuple[str, str]:
    """The channel the reply form preselects: its value and label."""
    found = SELECTED.search(page, page.index('<select name="channel">'))
    assert found, page
    return found.group(1), html.unescape(found.group(2))


def form_of(page: str) -> dict[str, str]:
    """The reply form's hidden fields as the page rendered them."""
    token, key = TOKEN.search(page), KEY.search(page)
    assert token and key, page
    return {"csrf_token": token.group(1), "key": key.group(1)}


async def until_card_says(running: Running, path: str, secret: str, needle: str) -> str:
    """The card once it shows `needle` (the dispatcher sends in the background)."""
    deadline = asyncio.get_running_loop().time() + 10
    while needle not in (page := html.unescape((await card(running, path, secret))[1])):
        assert asyncio.get_running_loop().time() < deadline, f"never showed {needle!r}"
        await asyncio.sleep(0.05)
    return page


async def telegram_lead(running: Running) -> tuple[dict[str, Any], str, str]:
    """A lead opened by a Telegram message, its owner's session and the card's path."""
    lead = await client_writes_in_telegram(running)
    return lead, await session(running, lead["assignee"]), f"/leads/{lead['id']}"


async def test_the_card_answers_in_telegram_once_and_shows_it_sent(service: Service) -> None:
    running, stand_in = service
    _, secret, path = await telegram_lead(running)

    status, page = await card(running, path, secret)
    assert status == 200
    assert "Написать клиенту" in page
    channel, label = preselected(page)
    assert channel == "telegram"
    assert label.startswith("Telegram: чат …") and str(CHAT_ID) not in label

    form = {**form_of(page), "channel": "telegram", "text": "Добрый день! Замер бесплатный."}
    status, answer = await send(running, f"{path}/messages", secret, form)

    assert status == 200
    assert "Сообщение поставлено в очередь" in answer
    assert 'id="card"' in answer  # the card's body, for htmx to swap in
    page = await until_card_says(running, path, secret, "отправлено")
    assert stand_in.telegram_delivered == [
        {"chat_id": CHAT_ID, "text": "Добрый день! Замер бесплатный."}
    ]
    # One timeline item for the message, not one for the activity and one for the reply.
    assert page.count("Добрый день! Замер бесплатный.") == 1


async def test_the_same_form_sent_twice_queues_one_message(service: Service) -> None:
    running, stand_in = service
    _, secret, path = await telegram_lead(running)
    form = {**form_of((await card(running, path, secret))[1]), "text": "Уже считаем"}

    first, second = await asyncio.gather(
        send(running, f"{path}/messages", secret, form),
        send(running, f"{path}/messages", secret, form),
    )
    again = await send(running, f"{path}/messages", secret, form)

    assert first[0] == second[0] == again[0] == 200
    await until_card_says(running, path, secret, "отправлено")
    assert [m["text"] for m in stand_in.telegram_delivered] == ["Уже считаем"]
    page = (await card(running, path, secret))[1]
    assert page.count("Уже считаем") == 1


async def test_a_blocked_bot_shows_the_platforms_reason_on_the_card(service: Service) -> None:
    running, stand_in = service
    stand_in.telegram_faults.append(telegram_error(403, BLOCKED))
    _, secret, path = await telegram_lead(running)
    form = {**form_of((await card(running, path, secret))[1]), "text": "Вы здесь?"}

    status, _ = await send(running, f"{path}/messages", secret, form)

    assert status == 200
    page = await until_card_says(running, path, secret, "не доставлено")
    # The manager reads the platform's refusal in Russian.
    assert "не доставлено: Клиент заблокировал бота" in page
    assert 'class="reply-state reply-failed"' in page
    assert stand_in.telegram_delivered == []


async def test_refusals_are_russian_and_keep_the_text(service: Service) -> None:
    running, stand_in = service
    _, secret, path = await telegram_lead(running)
    form = form_of((await card(running, path, secret))[1])

    _, empty = await send(running, f"{path}/messages", secret, {**form, "text": "   "})
    _, long = await send(running, f"{path}/messages", secret, {**form, "text": "я" * 4097})
    _, vk = await send(
        running, f"{path}/messages", secret, {**form, "channel": "vk", "text": "Привет"}
    )

    assert "Напишите текст сообщения или приложите файл." in empty
    assert "Сообщение слишком длинное для этого канала: не больше 4096 символов." in long
    assert "я" * 4097 in long  # what the manager typed stays in the form
    assert "Клиенту нельзя ответить в этом канале: он туда не писал." in html.unescape(vk)
    assert stand_in.telegram_calls == []


async def test_only_the_owner_may_send_and_only_with_the_csrf_token(service: Service) -> None:
    running, stand_in = service
    lead, secret, path = await telegram_lead(running)
    form = {**form_of((await card(running, path, secret))[1]), "text": "Здравствуйте"}
    other = "petrov" if lead["assignee"] == "ivanova" else "ivanova"
    stranger = await session(running, other)

    # The stranger's own session and token: the record is what refuses them.
    assert (await card(running, path, stranger))[0] == 404
    own_token = TOKEN.search((await card(running, "/account", stranger))[1])
    assert own_token
    foreign = await send(
        running, f"{path}/messages", stranger, {**form, "csrf_token": own_token.group(1)}
    )
    no_token = await send(
        running, f"{path}/messages", secret, {k: v for k, v in form.items() if k != "csrf_token"}
    )

    assert foreign[0] == 404
    assert no_token[0] == 403
    async with running.client.get(
        f"/api/v1/conversations/lead/{lead['id']}/messages", headers=running.auth("head")
    ) as r:
        items = (await r.json())["items"]
    assert [i["direction"] for i in items] == ["in"]
    assert stand_in.telegram_calls == []


async def test_a_record_the_client_never_wrote_from_explains_instead_of_the_form(
    service: Service,
) -> None:
    running, _ = service
    async with running.client.post(
        "/api/v1/forms/site", json={"name": "Анна", "phone": "+79161234567", "consent": "on"}
    ) as r:
        assert r.status == 202, await r.text()
        intake_id = (await r.json())["intake_id"]
    lead = await running.wait_for_matched(intake_id)
    deadline = asyncio.get_running_loop().time() + 10
    while (lead := await running.lead(lead["id"]))["assignee"] is None:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    secret = await session(running, lead["assignee"])

    _, page = await card(running, f"/leads/{lead['id']}", secret)

    assert "Написать клиенту" in page
    assert "Клиент не писал в Telegram, ВКонтакте или на почту" in page
    assert 'name="key"' not in page


async def api_post(running: Running, path: str, login: str) -> dict[str, Any]:
    async with running.client.post(path, json={}, headers=running.auth(login)) as r:
        assert r.status in (200, 201), await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def test_the_deal_and_contact_cards_answer_in_the_clients_channel(
    service: Service,
) -> None:
    running, stand_in = service
    lead, secret, _ = await telegram_lead(running)
    owner = lead["assignee"]
    await api_post(running, f"/api/v1/leads/{lead['id']}/take", owner)
    converted = await api_post(running, f"/api/v1/leads/{lead['id']}/convert", owner)
    deal_path = f"/deals/{converted['deal_id']}"
    contact_path = f"/clients/contacts/{converted['contact_id']}"

    for path, text in ((deal_path, "Счёт отправил"), (contact_path, "Спасибо за заказ")):
        _, page = await card(running, path, secret)
        assert preselected(page)[0] == "telegram"
        status, answer = await send(
            running, f"{path}/messages", secret, {**form_of(page), "text": text}
        )
        assert status == 200
        assert "Сообщение поставлено в очередь" in answer and text in answer
        await until_card_says(running, path, secret, "отправлено")

    assert [m["text"] for m in stand_in.telegram_delivered] == [
        "Счёт отправил",
        "Спасибо за заказ",
    ]


async def test_an_emailing_client_is_offered_their_masked_address(
    tmp_path: Path,
    dovecot: Dovecot,
) -> None:
    async with email_started("sqlite", tmp_path, dovecot) as (running, _, user):
        lead = await client_emails(running, dovecot, user)
        secret = await session(running, lead["assignee"])
        _, page = await card(running, f"/leads/{lead['id']}", secret)

    channel, label = preselected(page)
    local, domain = CLIENT.split("@")
    assert (channel, label) == ("email", f"E-mail: {local[0]}***@{domain} (ящик sales)")
    assert CLIENT not in label


async def test_a_mailbox_without_smtp_explains_instead_of_the_form(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    async with email_started("sqlite", tmp_path, dovecot, smtp=False) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        secret = await session(running, lead["assignee"])
        path = f"/leads/{lead['id']}"
        _, page = await card(running, path, secret)
        token = TOKEN.search(page)
        assert token
        form = {"csrf_token": token.group(1), "key": "a1", "text": "Добрый день!"}
        _, answer = await send(running, f"{path}/messages", secret, form)

    page, answer = html.unescape(page), html.unescape(answer)
    assert 'name="key"' not in page
    assert (
        "Ответить клиенту отсюда сейчас нельзя: E-mail — у почтового ящика не настроена"
        " отправка писем (SMTP)." in page
    )
    assert (
        "Этот канал сейчас недоступен: у почтового ящика не настроена отправка писем (SMTP)."
        in answer
    )
    assert smtp.tried == []
