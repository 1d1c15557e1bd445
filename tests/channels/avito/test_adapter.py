"""Avito Messenger adapter: webhook v3 bodies → a message event, an ignore, or a named refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.avito.adapter import AvitoAccount, receive
from channels.avito.const import IGNORED_EVENT_TYPE, IGNORED_OWN_MESSAGE, IGNORED_SYSTEM
from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.model import EventKind, InboundEvent, PersonDetails
from channels.webhook import Accepted, Ignored, UnknownSource, WebhookRequest

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED_AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
SECRET = "q7Wm2Rk9Tz4Lp8Xv"
ACCOUNT = AvitoAccount(name="shop", user_id=123456789, webhook_secret=SECRET)
ACCOUNTS = (ACCOUNT, AvitoAccount(name="second", user_id=111111111, webhook_secret="other"))


def fixture(name: str) -> bytes:
    """The recorded body, byte for byte."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """The recorded body as a dict, to vary one field of it."""
    data: dict[str, Any] = json.loads(fixture(name))
    return data


def request(body: bytes, *, account: str = "shop", token: str | None = SECRET) -> WebhookRequest:
    query = {} if token is None else {"token": token}
    return WebhookRequest({"account": account}, query, {}, body, RECEIVED_AT)


def accept(body: bytes) -> Accepted:
    outcome = receive(request(body), ACCOUNTS)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def test_a_message_from_a_person_becomes_a_message_event() -> None:
    outcome = accept(fixture("message_text.json"))

    assert outcome.event == InboundEvent(
        channel="avito",
        source="shop",
        external_id="shop:9a3b7c1d2e4f5a6b7c8d9e0f1a2b3c4d",
        received_at=RECEIVED_AT,
        person=PersonDetails(messenger_ids={"avito_id": "987654321"}),
        comment="Здравствуйте! Диван ещё продаётся? Можно посмотреть в субботу?",
        meta={
            "chat_id": "u2i-Ab12Cd34Ef56Gh78Ij90Kl",
            "message_id": "9a3b7c1d2e4f5a6b7c8d9e0f1a2b3c4d",
            "message_type": "text",
            "chat_type": "u2i",
            "item_id": "4123456789",
            "sent_at": "2025-12-05T15:59:59+00:00",
            "event_id": "c2a1f3f4-8a52-4c3e-9d2b-6f0e1a7b9c01",
        },
        kind=EventKind.MESSAGE,
    )
    assert outcome.payload == {"update": fixture_json("message_text.json")}


def test_a_retry_of_the_same_message_has_the_same_external_id() -> None:
    first = accept(fixture("message_text.json")).event
    retry = fixture_json("message_text.json")
    retry["timestamp"] += 30

    assert accept(json.dumps(retry).encode()).event.external_id == first.external_id


def test_each_message_of_a_chat_is_its_own_event_of_the_same_person() -> None:
    first = accept(fixture("message_text.json")).event
    second = accept(fixture("message_followup.json")).event

    assert first.external_id != second.external_id
    assert first.person.messenger_ids == second.person.messenger_ids
    assert first.meta["chat_id"] == second.meta["chat_id"]


def test_a_message_without_text_names_its_type_and_has_no_item() -> None:
    event = accept(fixture("message_image.json")).event

    assert event.comment == "[image]"
    assert event.meta["chat_type"] == "u2u"
    assert "item_id" not in event.meta
    assert event.person.messenger_ids == {"avito_id": "555000111"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [("own_message.json", IGNORED_OWN_MESSAGE), ("system_message.json", IGNORED_SYSTEM)],
)
def test_our_own_and_system_messages_are_acknowledged_and_ignored(name: str, reason: str) -> None:
    outcome = receive(request(fixture(name)), ACCOUNTS)

    assert isinstance(outcome, Ignored)
    assert outcome.reason == reason


def test_another_event_type_is_ignored() -> None:
    body = fixture_json("message_text.json")
    body["payload"]["type"] = "message_read"

    outcome = receive(request(json.dumps(body).encode()), ACCOUNTS)

    assert outcome == Ignored(IGNORED_EVENT_TYPE, {"type": "message_read"})


@pytest.mark.parametrize("token", [None, "", "wrong", SECRET + "x"])
def test_a_missing_or_wrong_token_is_refused(token: str | None) -> None:
    with pytest.raises(ChannelAuthFailed):
        receive(request(fixture("message_text.json"), token=token), ACCOUNTS)


def test_the_token_of_another_account_is_refused() -> None:
    with pytest.raises(ChannelAuthFailed):
        receive(request(fixture("message_text.json"), account="second", token=SECRET), ACCOUNTS)


def test_an_unknown_account_names_the_path_parameter() -> None:
    with pytest.raises(UnknownSource) as err:
        receive(request(fixture("message_text.json"), account="nope"), ACCOUNTS)

    assert err.value.field == "account"


def test_a_message_for_another_avito_user_names_the_field() -> None:
    with pytest.raises(InvalidSubmission) as err:
        receive(request(fixture("other_account.json")), ACCOUNTS)

    assert err.value.field == "payload.value.user_id"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("payload"), "payload"),
        (lambda b: b["payload"].pop("type"), "payload.type"),
        (lambda b: b["payload"].update(value=[]), "payload.value"),
        (lambda b: b["payload"]["value"].pop("id"), "payload.value.id"),
        (lambda b: b["payload"]["value"].update(user_id="me"), "payload.value.user_id"),
        (lambda b: b["payload"]["value"].update(author_id=True), "payload.value.author_id"),
        (lambda b: b["payload"]["value"].update(author_id=2**70), "payload.value.author_id"),
        (lambda b: b["payload"]["value"].pop("chat_id"), "payload.value.chat_id"),
        (lambda b: b["payload"]["value"].pop("type"), "payload.value.type"),
    ],
)
def test_a_missing_or_mistyped_field_is_named(change: Any, field: str) -> None:
    body = fixture_json("message_text.json")
    change(body)

    with pytest.raises(InvalidSubmission) as err:
        receive(request(json.dumps(body).encode()), ACCOUNTS)

    assert err.value.field == field


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"\xff\xfe", b"[" * 100_000])
def test_a_body_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        receive(request(body), ACCOUNTS)


def test_numeric_string_ids_are_taken() -> None:
    body = fixture_json("message_text.json")
    body["payload"]["value"].update(user_id="123456789", author_id="987654321")

    event = accept(json.dumps(body).encode()).event

    assert event.person.messenger_ids == {"avito_id": "987654321"}
