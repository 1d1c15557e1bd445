"""Telegram adapter: captured Bot API updates → InboundEvent, or acknowledged and ignored."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.model import Attribution, InboundEvent, PersonDetails
from channels.telegram.adapter import (
    AcceptedUpdate,
    IgnoredUpdate,
    UpdateOutcome,
    check_secret,
    decode_update,
    parse_update,
)
from channels.telegram.const import IGNORED_UPDATE_KINDS

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
BOT = "sales"
IVAN = PersonDetails(
    name="Иван Петров",
    first_name="Иван",
    last_name="Петров",
    messenger_ids={"telegram_id": "482915736", "telegram_username": "ivan_petrov_spb"},
)


def fixture(name: str) -> dict[str, Any]:
    """The captured update, decoded as the webhook decodes it."""
    return decode_update((FIXTURES / f"{name}.json").read_bytes())


def parse(update: dict[str, Any]) -> UpdateOutcome:
    return parse_update(BOT, update, received_at=RECEIVED_AT)


def accept(name: str) -> InboundEvent:
    outcome = parse(fixture(name))
    assert isinstance(outcome, AcceptedUpdate), outcome
    return outcome.event


# --- updates that become leads -------------------------------------------------------------


def test_text_message_becomes_an_event() -> None:
    event = accept("text_message")

    assert event.channel == "telegram"
    assert event.source == BOT
    assert event.external_id == "sales:815372941"
    assert event.received_at == RECEIVED_AT
    assert event.person == IVAN
    assert event.comment == "Здравствуйте! Сколько стоит установка трёх пластиковых окон?"
    assert event.attribution == Attribution()
    assert event.fields == {}
    assert event.meta == {
        "update_id": "815372941",
        "message_id": "17",
        "message_date": "2026-03-14T09:29:57+00:00",
        "language_code": "ru",
    }


def test_event_survives_the_inbox_round_trip() -> None:
    event = accept("contact_other")

    assert InboundEvent.from_json(json.loads(json.dumps(event.to_json()))) == event


def test_start_payload_is_kept_as_attribution() -> None:
    event = accept("start_payload")

    assert event.external_id == "sales:815372942"
    assert event.person == PersonDetails(
        name="Мария",
        first_name="Мария",
        messenger_ids={"telegram_id": "591037264", "telegram_username": "masha_k"},
    )
    assert event.attribution == Attribution(utm={"utm_content": "yd_okna_spring2026"})
    assert event.meta["start_payload"] == "yd_okna_spring2026"
    assert event.meta["command"] == "start"
    assert event.comment is None  # the command line is not the person's words


def test_bare_start_is_still_a_lead() -> None:
    event = accept("start_bare")

    assert event.person.messenger_ids == {"telegram_id": "603748125"}
    assert event.person.name == "Олег"
    assert event.attribution == Attribution()
    assert event.meta["command"] == "start"
    assert "start_payload" not in event.meta
    assert event.comment is None


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start@okna_spb_bot vk_ads_7", "vk_ads_7"),
        ("/start  spaced ", "spaced"),
        ("/starter pack", None),
        ("/help", None),
        ("start abc", None),
    ],
)
def test_only_the_start_command_carries_a_payload(text: str, payload: str | None) -> None:
    update = fixture("text_message")
    update["message"]["text"] = text

    event = accept_update(update)

    assert event.meta.get("start_payload") == payload
    assert event.attribution.utm == ({"utm_content": payload} if payload else {})
    assert event.comment == (None if payload else text)


def accept_update(update: dict[str, Any]) -> InboundEvent:
    outcome = parse(update)
    assert isinstance(outcome, AcceptedUpdate), outcome
    return outcome.event


def test_own_contact_is_the_persons_verified_phone() -> None:
    event = accept("contact_own")

    assert event.person == PersonDetails(
        name="Иван Петров",
        first_name="Иван",
        last_name="Петров",
        # Telegram omits the plus; its numbers are always international.
        phone="+79161234567",
        messenger_ids=IVAN.messenger_ids,
    )
    assert event.meta["phone_verified"] == "true"
    assert event.fields == {}
    assert event.comment is None


def test_own_contact_with_a_plus_is_kept_as_sent() -> None:
    update = fixture("contact_own")
    update["message"]["contact"]["phone_number"] = "+79161234567"

    assert accept_update(update).person.phone == "+79161234567"


def test_someone_elses_contact_is_a_field_not_the_senders_phone() -> None:
    event = accept("contact_other")

    assert event.person == IVAN
    assert "phone_verified" not in event.meta
    assert event.fields == {
        "contact_phone": "+79037654321",
        "contact_first_name": "Ольга",
        "contact_last_name": "Смирнова",
        "contact_user_id": "710394825",
    }


def test_contact_not_on_telegram_is_someone_elses() -> None:
    update = fixture("contact_own")
    del update["message"]["contact"]["user_id"]

    event = accept_update(update)

    assert event.person.phone is None
    assert event.fields["contact_phone"] == "79161234567"
    assert "contact_user_id" not in event.fields
    assert "phone_verified" not in event.meta


def test_photo_is_noted_by_reference_with_its_caption() -> None:
    event = accept("photo_caption")

    assert event.person == PersonDetails(
        name="Светлана Кузнецова",
        first_name="Светлана",
        last_name="Кузнецова",
        messenger_ids={"telegram_id": "738201946"},  # no username
    )
    assert event.comment == "Вот такое окно на балконе, нужен замер"
    assert event.meta["attachments"] == "photo"
    # the largest of the sizes Telegram sends, smallest first
    assert event.meta["photo_file_id"] == (
        "AgACAgIAAxkBAAMXZ_Q1bWl0ZW4tbGFyZ2Utc2l6ZQACgbYxG8Xz0UoAAQ"
    )


def test_document_is_noted_by_reference() -> None:
    event = accept("document")

    assert event.comment is None
    assert event.meta["attachments"] == "document"
    assert event.meta["document_file_id"] == (
        "BQACAgIAAxkBAAMYZ_Q1bWl0ZW4tZG9jdW1lbnQtcGRmAAKBtjEbxfPRSgABHgQ"
    )
    assert event.meta["document_file_name"] == "Смета_окна.pdf"
    assert event.meta["document_mime_type"] == "application/pdf"


def test_every_meta_and_field_value_is_a_string() -> None:
    for name in ("text_message", "start_payload", "contact_own", "contact_other", "document"):
        event = accept(name)
        values = [*event.meta.items(), *event.fields.items(), *event.attribution.utm.items()]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in values), name


def test_forwarded_message_is_marked() -> None:
    update = fixture("text_message")
    update["message"]["forward_origin"] = {
        "type": "hidden_user",
        "date": 1,
        "sender_user_name": "X",
    }

    assert accept_update(update).meta["forwarded"] == "true"


# --- updates acknowledged and not stored ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("group_message", "message", "not_private"),
        ("bot_sender", "message", "bot_sender"),
        ("sticker", "message", "no_content"),
        ("callback_query", "callback_query", "update_kind"),
        ("edited_message", "edited_message", "update_kind"),
        ("my_chat_member", "my_chat_member", "update_kind"),
    ],
)
def test_update_is_acknowledged_without_a_lead(name: str, kind: str, reason: str) -> None:
    outcome = parse(fixture(name))

    assert isinstance(outcome, IgnoredUpdate)
    assert (outcome.kind, outcome.reason) == (kind, reason)
    assert outcome.update_id == fixture(name)["update_id"]


def test_channel_post_and_kinds_telegram_adds_later_are_ignored() -> None:
    post = {"message_id": 5, "date": 1, "chat": {"id": -100123, "type": "channel"}, "text": "x"}
    for update in ({"update_id": 9, "channel_post": post}, {"update_id": 9, "future": {}}):
        outcome = parse(update)
        assert isinstance(outcome, IgnoredUpdate) and outcome.reason == "update_kind"
    assert "channel_post" in IGNORED_UPDATE_KINDS


# --- malformed bodies name what was wrong --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"update_id": 1',
        b"[1, 2]",
        b'"text"',
        b"\xff\xfe{}",
        b"[" * 100_000,
    ],
)
def test_undecodable_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        decode_update(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda u: u.pop("update_id"), "update_id"),
        (lambda u: u.update(update_id="815372941"), "update_id"),
        (lambda u: u.update(update_id=True), "update_id"),
        (lambda u: u.update(message=None), "message"),
        (lambda u: u.update(message=[]), "message"),
        (lambda u: u["message"].pop("chat"), "message.chat"),
        (lambda u: u["message"]["chat"].pop("type"), "message.chat.type"),
        (lambda u: u["message"].pop("date"), "message.date"),
        (lambda u: u["message"].update(date=10**20), "message.date"),
        (lambda u: u["message"].pop("from"), "message.from"),
        (lambda u: u["message"]["from"].update(id="482915736"), "message.from.id"),
        (lambda u: u["message"]["from"].update(is_bot="no"), "message.from.is_bot"),
        (lambda u: u["message"]["from"].update(first_name=""), "message.from.first_name"),
        (lambda u: u["message"].update(text=42), "message.text"),
        (
            lambda u: u["message"].update(contact={"first_name": "A"}),
            "message.contact.phone_number",
        ),
        (lambda u: u["message"].update(photo=[]), "message.photo"),
        (
            lambda u: u["message"].update(document={"file_name": "a.pdf"}),
            "message.document.file_id",
        ),
    ],
)
def test_body_that_is_not_an_update_names_the_field(
    change: Callable[[dict[str, Any]], object], field: str
) -> None:
    update = fixture("text_message")
    change(update)

    with pytest.raises(InvalidSubmission) as caught:
        parse(update)

    assert caught.value.field == field
    assert field in caught.value.message


# --- the secret token ----------------------------------------------------------------------


def test_secret_token_must_match_when_configured() -> None:
    check_secret(None, None)
    check_secret(None, "anything")
    check_secret("s3cret-Token_1", "s3cret-Token_1")
    for offered in (None, "", "s3cret-token_1", "s3cret-Token_1 ", "секрет"):
        with pytest.raises(ChannelAuthFailed):
            check_secret("s3cret-Token_1", offered)


# --- the fixtures are real Bot API updates -------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_fixture_is_a_bot_api_update(path: Path) -> None:
    """aiogram's models (the Bot API schema) accept every fixture with no unknown field."""
    from aiogram.types import Update  # slow to import: only this test pays for it
    from pydantic import BaseModel

    def unknown(value: object, where: str) -> list[str]:
        if isinstance(value, list):
            return [f for n, item in enumerate(value) for f in unknown(item, f"{where}[{n}]")]
        if not isinstance(value, BaseModel):
            return []
        found = [f"{where}.{key}" for key in value.model_extra or {}]
        for name in type(value).model_fields:
            found += unknown(getattr(value, name), f"{where}.{name}")
        return found

    update = Update.model_validate_json(path.read_text("utf-8"), context={})
    assert unknown(update, "update") == []
