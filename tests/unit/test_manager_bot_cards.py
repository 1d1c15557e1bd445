"""The managers' bot cards without I/O: what an out-of-date card says, and "Звонит клиент"
going to Telegram only when the managers' bot delivers it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from config import load_settings
from crm_core.calls import CallDirection, CallSummary
from crm_core.conversation import Conversation, ringing_notifications
from crm_core.model import Manager, Role
from crm_core.notifications import NotificationChannel, NotificationKind, OutboxMessage
from crm_core.routing import Team
from crm_core.sales import RecordKind
from intake.notify.errors import DeliveryFailed
from intake.notify.telegram import TelegramNotifier
from intake.sales_context import SalesContext
from tests.conftest import TEST_CONFIG
from tests.e2e.test_manager_bot import TOKEN
from workplace.bot.notifier import card_outcome, closed_card_text

REASONS = {"spam": "Спам"}
ANNA = Manager(7, "ivanova", "Анна Иванова", Role.MANAGER, None, "1001", "Europe/Moscow", True)


def payload(**fields: Any) -> dict[str, Any]:
    return {"lead_id": 5, "message_id": 9, "card": "<b>Заявка №5</b>", **fields}


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"status": "in_work", "assignee": "Пётр", "actor": "Пётр"}, "Взята в работу: Пётр"),
        ({"status": "junk", "reason": "spam", "actor": "Анна"}, "Брак: Спам (Анна)"),
        ({"status": "junk", "reason": "other"}, "Брак: other"),
        ({"status": "converted", "actor": "Анна"}, "Конвертирована в сделку (Анна)"),
        ({"status": "new", "assignee": "Пётр", "actor": "Ольга"}, "Передана: Пётр (Ольга)"),
        ({"status": "new", "assignee": "Пётр"}, "Передана: Пётр"),
        ({"status": "new"}, "Снята с вас"),
    ],
)
def test_a_closed_card_says_what_happened_and_who_did_it(
    fields: dict[str, Any], said: str
) -> None:
    assert card_outcome(payload(**fields), REASONS) == said


def test_the_closed_card_keeps_its_text_and_escapes_the_names() -> None:
    text = closed_card_text(payload(status="in_work", assignee="<Пётр & Co>"), REASONS)
    assert text == "<b>Заявка №5</b>\n\n<b>Взята в работу: &lt;Пётр &amp; Co&gt;</b>"


def ringing(team: Team) -> set[NotificationChannel]:
    call = CallSummary(
        "mango", "c1", CallDirection.INBOUND, "+79161234567", "+74950000000", "main", None,
        None, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), None, None, None, None, None, False,
    )  # fmt: skip
    chat = Conversation(RecordKind.LEAD, 5, 5, ANNA.id, "open lead")
    found = ringing_notifications(team, chat, call)
    assert {n.kind for n in found} == {NotificationKind.INCOMING_CALL}
    return {n.channel for n in found}


def test_a_ringing_client_reaches_telegram_only_through_the_managers_bot() -> None:
    everything = frozenset(NotificationChannel)
    plain = Team({ANNA.id: ANNA}, {}, "http://crm", everything)
    assert ringing(plain) == {NotificationChannel.SSE}
    with_bot = Team(
        {ANNA.id: ANNA},
        {},
        "http://crm",
        everything,
        frozenset({NotificationChannel.SSE, NotificationChannel.TELEGRAM}),
    )
    assert ringing(with_bot) == {NotificationChannel.SSE, NotificationChannel.TELEGRAM}


def test_the_team_rings_through_telegram_once_the_managers_bot_is_configured(
    tmp_path: Path,
) -> None:
    for env, telegram in (({}, False), ({"LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN}, True)):
        path = tmp_path / "leadintake.toml"
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3"), "utf-8")
        sales = SalesContext.from_settings(load_settings(path, environ=env))
        sales.refresh(
            [replace(ANNA, id=n, login=m.login) for n, m in enumerate(sales.settings.managers)]
        )
        assert (NotificationChannel.TELEGRAM in sales.team.ringing) is telegram


async def test_the_plain_notification_bot_sends_no_card_edits() -> None:
    # Port 9 answers nothing: any call would fail with DeliveryFailed.
    notifier = TelegramNotifier(TOKEN, "http://127.0.0.1:9", timeout=1)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    edit = OutboxMessage(
        1, ANNA.id, NotificationChannel.TELEGRAM, NotificationKind.LEAD_CARD_CLOSED, "1001",
        payload(status="junk"), 0, now, now,
    )  # fmt: skip
    try:
        await notifier.send(edit)
        with pytest.raises(DeliveryFailed):
            await notifier.send(replace(edit, kind=NotificationKind.NEW_MESSAGE))
    finally:
        await notifier.close()
