"""Choosing e-mail as a reply channel: the client's address and mailbox, what the reply refers
to, and a mailbox that cannot send left out with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.errors import RuleError
from crm_core.replies import blocked_channels, choose_target, targets_of
from crm_core.replies_model import Touch

T0 = datetime(2026, 12, 6, 15, 42, tzinfo=UTC)
META = {
    "message_id": "CAF3x9-q1@mail.example.ru",
    "from": "Иван Петров <ivan.petrov@example.ru>",
    "subject": "Заявка на поставку",
    "date": "2026-12-06T18:42:00+03:00",
    "attachments": "price.xlsx (application/vnd.ms-excel)",
}


def mail(at: datetime, account: str = "sales", **meta: str) -> Touch:
    return Touch(
        "email",
        account,
        {},
        at,
        email="ivan.petrov@example.ru",
        meta={**META, **meta},
        text="Нужно 40 штук.",
    )


def test_a_client_who_wrote_by_email_is_answered_at_their_address_from_that_mailbox() -> None:
    [target] = targets_of([mail(T0)])

    assert (target.channel, target.account, target.address) == (
        "email",
        "sales",
        "ivan.petrov@example.ru",
    )
    assert dict(target.context) == {
        "message_id": "CAF3x9-q1@mail.example.ru",
        "from": "Иван Петров <ivan.petrov@example.ru>",
        "subject": "Заявка на поставку",
        "date": "2026-12-06T18:42:00+03:00",
        "quote": "Нужно 40 штук.",
    }


def test_the_newest_email_is_the_one_answered_and_the_last_channel_used_comes_first() -> None:
    touches = [
        mail(T0),
        Touch("telegram", "bot", {"telegram_id": "1"}, T0 + timedelta(hours=1)),
        mail(T0 + timedelta(hours=2), message_id="second@mail.example.ru", references="x@y"),
    ]

    email, telegram = targets_of(touches)

    assert (email.channel, telegram.channel) == ("email", "telegram")
    assert email.context["message_id"] == "second@mail.example.ru"
    assert email.context["references"] == "x@y"


def test_an_email_touch_without_an_address_cannot_be_answered() -> None:
    touch = Touch("email", "sales", {}, T0, email=None, meta=META)

    assert targets_of([touch]) == []


def test_a_mailbox_that_cannot_send_is_not_offered_and_says_why() -> None:
    unavailable = {("email", "sales"): "the mailbox 'sales' has no SMTP settings (smtp_host)"}
    touches = [mail(T0), Touch("telegram", "bot", {"telegram_id": "1"}, T0 - timedelta(days=1))]

    targets = targets_of(touches, unavailable)
    blocked = blocked_channels(touches, unavailable)

    assert [t.channel for t in targets] == ["telegram"]
    assert choose_target(targets, None, blocked).channel == "telegram"
    with pytest.raises(RuleError) as refused:
        choose_target(targets, "email", blocked)
    assert (refused.value.rule, refused.value.field) == ("channel_unavailable", "channel")
    assert "smtp_host" in refused.value.message


def test_only_the_blocked_mailbox_the_client_wrote_to_is_named() -> None:
    unavailable = {("email", "support"): "the mailbox 'support' has no SMTP settings"}

    assert blocked_channels([mail(T0, account="sales")], unavailable) == {}
    with pytest.raises(RuleError) as refused:
        choose_target([], None, blocked_channels([mail(T0, "support")], unavailable))
    assert refused.value.rule == "channel_unavailable"
