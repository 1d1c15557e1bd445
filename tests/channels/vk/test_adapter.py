"""VK Callback API adapter: captured Callback API requests → confirmation, event or ignore."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.model import Attribution, InboundEvent, PersonDetails
from channels.vk.adapter import (
    AcceptedEvent,
    CallbackOutcome,
    ConfirmationRequested,
    IgnoredEvent,
    VkGroupSpec,
    WrongGroup,
    parse_callback,
)
from channels.vk.const import (
    ACKNOWLEDGED_TYPES,
    IGNORED_FROM_COMMUNITY,
    IGNORED_GROUP_CHAT,
    IGNORED_NOT_A_LEAD,
    IGNORED_UNKNOWN_TYPE,
)

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
GROUP_ID = 218765432
SECRET = "Zx8rT2vQ9mLk4pWe"
GROUP = VkGroupSpec(group_id=GROUP_ID, confirmation="5f3c9a1e", secret=SECRET)
OPEN_GROUP = VkGroupSpec(group_id=GROUP_ID, confirmation="5f3c9a1e")
MESSAGE_EVENT_ID = "3f8a2c71d9e04b5a6c1e7f2b8d9a0c3e4f5b6a7d"
FORM_EVENT_ID = "d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3"


def fixture(name: str) -> bytes:
    """The captured body, byte for byte."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """The captured body as a dict, to vary one field of it."""
    data: dict[str, Any] = json.loads(fixture(name))
    return data


def parse(body: bytes, group: VkGroupSpec = GROUP) -> CallbackOutcome:
    return parse_callback(group, body, received_at=RECEIVED_AT)


def accept(body: bytes, group: VkGroupSpec = GROUP) -> AcceptedEvent:
    outcome = parse(body, group)
    assert isinstance(outcome, AcceptedEvent), outcome
    return outcome


def ignored(body: bytes) -> IgnoredEvent:
    outcome = parse(body)
    assert isinstance(outcome, IgnoredEvent), outcome
    return outcome


def encoded(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# --- confirmation ----------------------------------------------------------------------------


def test_confirmation_answers_the_configured_string() -> None:
    assert parse(fixture("confirmation.json")) == ConfirmationRequested(code="5f3c9a1e")


def test_confirmation_with_a_wrong_secret_is_rejected() -> None:
    body = fixture_json("confirmation.json") | {"secret": "guess"}

    with pytest.raises(ChannelAuthFailed):
        parse(encoded(body))


def test_confirmation_without_a_secret_passes_when_none_is_configured() -> None:
    body = fixture_json("confirmation.json")
    del body["secret"]

    assert parse(encoded(body), OPEN_GROUP) == ConfirmationRequested(code="5f3c9a1e")


# --- message_new -----------------------------------------------------------------------------


def test_message_new_becomes_an_event() -> None:
    event = accept(fixture("message_new.json")).event

    assert event.channel == "vk"
    assert event.source == str(GROUP_ID)
    assert event.external_id == f"{GROUP_ID}:{MESSAGE_EVENT_ID}"
    assert event.received_at == RECEIVED_AT
    assert event.person == PersonDetails(messenger_ids={"vk_id": "48392017"})
    assert event.comment == (
        "Здравствуйте! Нужен расчёт на пластиковые окна, 3 шт., планировку прикладываю."
        " Мой телефон +7 916 123-45-67"
    )
    assert event.fields == {}
    assert event.attribution == Attribution()
    assert event.consent is None


def test_message_new_phone_in_the_text_is_left_to_the_duplicate_detector() -> None:
    person = accept(fixture("message_new.json")).event.person

    assert person.phone is None and person.email is None


def test_message_new_meta_keeps_ids_date_attachment_types_and_file_references() -> None:
    event = accept(fixture("message_new.json")).event
    files = json.loads(event.meta.pop("files"))

    assert files == [
        {
            "name": "photo.jpg",
            "content_type": "image/jpeg",
            "size": None,
            "ref": "https://sun9-21.userapi.com/impg/c857/z.jpg?size=960x1280&quality=96&sign=3c4d",
        },
        {
            "name": "Планировка.pdf",
            "content_type": "application/octet-stream",
            "size": 482133,
            "ref": "https://vk.com/doc48392017_672345112?hash=Qx7yZ2&dl=1710408600:abc&api=1",
        },
    ]
    assert event.meta == {
        "event_type": "message_new",
        "event_id": MESSAGE_EVENT_ID,
        "api_version": "5.199",
        "message_id": "1523",
        "conversation_message_id": "1498",
        "peer_id": "48392017",
        "date": "2024-03-14T09:30:00+00:00",
        "attachments": "photo, doc",
    }
    assert all(isinstance(v, str) for v in event.meta.values())


def test_message_new_link_ref_is_kept_in_meta() -> None:
    event = accept(fixture("message_new_ref.json")).event

    assert event.meta["ref"] == "spring_sale"
    assert event.meta["ref_source"] == "vk_ads"
    assert "attachments" not in event.meta


def test_stored_payload_is_the_update_without_its_secret() -> None:
    accepted = accept(fixture("message_new.json"))

    expected = fixture_json("message_new.json")
    del expected["secret"]
    assert accepted.payload == expected
    assert SECRET not in json.dumps(accepted.payload)
    assert SECRET not in json.dumps(accepted.event.to_json())


def test_message_from_a_community_is_acknowledged_not_stored() -> None:
    outcome = ignored(fixture("message_new_from_community.json"))

    assert outcome.reason == IGNORED_FROM_COMMUNITY
    assert outcome.event_type == "message_new"


def test_message_in_a_group_chat_is_acknowledged_not_stored() -> None:
    assert ignored(fixture("message_new_group_chat.json")).reason == IGNORED_GROUP_CHAT


def test_message_without_text_is_still_a_lead_reachable_in_vk() -> None:
    body = fixture_json("message_new.json")
    body["object"]["message"]["text"] = ""

    event = accept(encoded(body)).event

    assert event.comment is None
    assert event.person.reachable()
    assert event.meta["attachments"] == "photo, doc"


def test_message_new_in_the_pre_5_103_shape_names_the_setting_to_change() -> None:
    with pytest.raises(InvalidSubmission) as caught:
        parse(fixture("message_new_v5_92.json"))

    assert caught.value.field == "object.message"
    assert "5.103" in caught.value.message


def test_message_without_a_sender_is_invalid() -> None:
    body = fixture_json("message_new.json")
    del body["object"]["message"]["from_id"]

    with pytest.raises(InvalidSubmission) as caught:
        parse(encoded(body))

    assert caught.value.field == "object.message.from_id"


# --- lead_forms_new --------------------------------------------------------------------------


def test_lead_form_standard_answers_describe_the_person() -> None:
    event = accept(fixture("lead_forms_new.json")).event

    assert event.channel == "vk"
    assert event.source == str(GROUP_ID)
    assert event.external_id == f"{GROUP_ID}:{FORM_EVENT_ID}"
    assert event.person == PersonDetails(
        first_name="Иван",
        last_name="Петров",
        patronymic="Сергеевич",
        phone="+7 (916) 123-45-67",
        email="Ivan.Petrov@Mail.RU",
        messenger_ids={"vk_id": "61234987"},
    )
    assert event.comment is None


def test_lead_form_other_answers_are_kept_in_fields_by_key() -> None:
    event = accept(fixture("lead_forms_new.json")).event

    assert event.fields == {
        "location": "Москва, Россия",
        "window_count": "3",
        "custom_1": "после 18:00",
    }


def test_lead_form_ids_and_questions_are_kept_in_meta() -> None:
    event = accept(fixture("lead_forms_new.json")).event

    assert event.meta == {
        "event_type": "lead_forms_new",
        "event_id": FORM_EVENT_ID,
        "api_version": "5.199",
        "lead_id": "6",
        "form_id": "3",
        "ad_id": "102938475",
        "form_name": "Замер окон — весна",
        "question:location": "Город и страна",
        "question:window_count": "Сколько окон нужно?",
        "question:custom_1": "Удобное время для звонка",
    }


def test_lead_form_checkbox_answer_lists_every_chosen_option() -> None:
    body = fixture_json("lead_forms_new.json")
    body["object"]["answers"].append(
        {
            "key": "window_type",
            "question": "Какие окна?",
            "answer": [{"key": "pvc", "value": "ПВХ"}, {"key": "wood", "value": "Деревянные"}],
        }
    )

    assert accept(encoded(body)).event.fields["window_type"] == "ПВХ, Деревянные"


def test_lead_form_without_ad_has_no_ad_id() -> None:
    body = fixture_json("lead_forms_new.json")
    del body["object"]["ad_id"]

    assert "ad_id" not in accept(encoded(body)).event.meta


def test_lead_form_blank_answers_are_dropped() -> None:
    body = fixture_json("lead_forms_new.json")
    for answer in body["object"]["answers"]:
        if answer["key"] in ("email", "custom_1"):
            answer["answer"] = "  "

    event = accept(encoded(body)).event

    assert event.person.email is None
    assert "custom_1" not in event.fields


def test_lead_form_with_no_way_to_reach_is_invalid() -> None:
    body = fixture_json("lead_forms_new.json")
    del body["object"]["user_id"]
    body["object"]["answers"] = [{"key": "first_name", "question": "Имя", "answer": "Иван"}]

    with pytest.raises(InvalidSubmission) as caught:
        parse(encoded(body))

    assert caught.value.field == "object.user_id"


def test_lead_form_answer_without_a_key_is_invalid_naming_it() -> None:
    body = fixture_json("lead_forms_new.json")
    del body["object"]["answers"][2]["key"]

    with pytest.raises(InvalidSubmission) as caught:
        parse(encoded(body))

    assert caught.value.field == "object.answers[2].key"


# --- events that are not leads ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["message_reply.json", "group_join.json", "message_typing_state.json"]
)
def test_other_event_types_are_acknowledged_not_stored(name: str) -> None:
    outcome = ignored(fixture(name))

    assert outcome.reason == IGNORED_NOT_A_LEAD
    assert outcome.event_type in ACKNOWLEDGED_TYPES
    assert outcome.event_id == fixture_json(name)["event_id"]


def test_an_unknown_event_type_is_acknowledged_not_stored() -> None:
    body = fixture_json("group_join.json") | {"type": "wall_schedule_post_new"}

    outcome = ignored(encoded(body))

    assert outcome.reason == IGNORED_UNKNOWN_TYPE
    assert outcome.event_type == "wall_schedule_post_new"


# --- authenticity and malformed requests -----------------------------------------------------


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed):
        parse(fixture("message_new_wrong_secret.json"))


def test_missing_secret_is_rejected_when_one_is_configured() -> None:
    body = fixture_json("message_new.json")
    del body["secret"]

    with pytest.raises(ChannelAuthFailed):
        parse(encoded(body))


def test_any_secret_passes_when_none_is_configured() -> None:
    assert isinstance(parse(fixture("message_new_wrong_secret.json"), OPEN_GROUP), AcceptedEvent)


def test_body_for_another_community_is_rejected_naming_group_id() -> None:
    with pytest.raises(WrongGroup) as caught:
        parse(fixture("message_new_other_group.json"))

    assert caught.value.field == "group_id"
    assert "199887766" in caught.value.message


def test_group_mismatch_is_reported_before_the_secret_is_checked() -> None:
    body = fixture_json("message_new_other_group.json") | {"secret": "guess"}

    with pytest.raises(WrongGroup):
        parse(encoded(body))


def test_truncated_json_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="malformed JSON"):
        parse(fixture("truncated.json"))


@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"\xff\xfe{}"])
def test_non_object_or_non_utf8_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"group_id": None}, "group_id"),
        ({"group_id": "218765432"}, "group_id"),
        ({"type": None}, "type"),
        ({"event_id": ""}, "event_id"),
        ({"object": "message"}, "object"),
    ],
)
def test_missing_or_mistyped_envelope_field_is_named(change: dict[str, Any], field: str) -> None:
    body = fixture_json("message_new.json") | change

    with pytest.raises(InvalidSubmission) as caught:
        parse(encoded(body))

    assert caught.value.field == field


def test_a_resent_event_maps_to_the_same_external_id() -> None:
    first = accept(fixture("message_new.json")).event
    again = parse_callback(GROUP, fixture("message_new.json"), received_at=datetime.now(UTC))

    assert isinstance(again, AcceptedEvent)
    assert again.event.external_id == first.external_id


@pytest.mark.parametrize("name", ["message_new.json", "lead_forms_new.json"])
def test_event_survives_its_json_round_trip(name: str) -> None:
    event = accept(fixture(name)).event

    assert InboundEvent.from_json(json.loads(json.dumps(event.to_json()))) == event
