"""The reply panel's pure parts: masked addresses, Russian refusals, the delivery state of
an outgoing message on the timeline (one item per message, whichever way it went)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.errors import RuleError
from crm_core.replies_model import OutgoingMessage, OutgoingState
from crm_core.sales import Activity, ActivityKind, RecordKind
from tests.unit.test_workplace_timeline import NAMES
from workplace.pages.replies import masked_address, refusal_text
from workplace.pages.timeline import timeline

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def outgoing(activity_id: int, state: OutgoingState, error: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        id=40, entity=RecordKind.LEAD, entity_id=7, activity_id=activity_id, channel="telegram",
        account="sales", address="482915736", text="Да", idempotency_key="web:2:k",
        state=state, attempts=1, next_attempt_at=T0, platform_message_id=None,
        last_error=error, created_by=2, created_at=T0, updated_at=T0, sent_at=None,
    )  # fmt: skip


def test_addresses_are_shown_masked() -> None:
    assert masked_address("email", "ivan.petrov@example.ru") == "i***@example.ru"
    assert masked_address("telegram", "482915736") == "…5736"
    assert masked_address("vk", "123") == "123"


def test_refusals_read_in_russian() -> None:
    too_long = RuleError("text_too_long", "text", "telegram takes at most 4096 characters", 422)
    assert refusal_text(too_long) == (
        "Сообщение слишком длинное для этого канала: не больше 4096 символов."
    )
    assert refusal_text(RuleError("empty_text", "text", "empty", 422)) == (
        "Напишите текст сообщения или приложите файл."
    )
    smtp = RuleError("channel_unavailable", "channel", "the mailbox has no SMTP settings", 422)
    assert refusal_text(smtp) == (
        "Этот канал сейчас недоступен: у почтового ящика не настроена отправка писем (SMTP)."
    )


def test_an_outgoing_message_is_one_item_with_its_state() -> None:
    incoming = Activity(1, RecordKind.LEAD, 7, ActivityKind.MESSAGE, "Есть?", T0, "inbox:3", None)
    answer = Activity(
        2, RecordKind.LEAD, 7, ActivityKind.MESSAGE, "Да", T0 + timedelta(minutes=1), "ivanova", 2
    )
    failed = Activity(
        3, RecordKind.LEAD, 7, ActivityKind.MESSAGE, "Ау", T0 + timedelta(minutes=2), "ivanova", 2
    )
    states = {
        2: outgoing(2, OutgoingState.SENT),
        3: outgoing(3, OutgoingState.FAILED, "Forbidden: bot was blocked by the user"),
    }

    items = timeline([incoming, answer, failed], [], [], NAMES, outgoing=states)

    assert [(i.text, i.actor, i.state, i.error) for i in items] == [
        ("Ау", "Анна Иванова", "failed", "Клиент заблокировал бота"),
        ("Да", "Анна Иванова", "sent", None),
        ("Есть?", "", None, None),
    ]
    assert {i.kind for i in items} == {"message"}
