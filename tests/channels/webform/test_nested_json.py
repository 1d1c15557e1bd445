"""Nested JSON bodies: dotted names for field_map, the Yandex Forms preset, and the bounds."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from channels.errors import InvalidSubmission, MalformedBody
from channels.model import ConsentGiven, PersonDetails
from channels.webform.nested import MAX_DEPTH, MAX_FIELDS
from channels.webform.spec import FormSpec
from tests.channels.webform.test_adapter import JSON, SITE, accept, fixture, parse

YANDEX = FormSpec(key="yandex", name="Яндекс Формы", preset="yandex_forms")
ANNA = PersonDetails(
    name="Анна Смирнова", phone="+7 912 345-67-89", email="anna.smirnova@example.ru"
)


def test_nested_objects_become_dotted_names_for_field_map() -> None:
    spec = replace(SITE, field_map={"answers.phone": "phone", "answers.who": "name"})
    body = json.dumps({"answers": {"who": "Анна", "phone": "+79123456789"}}).encode()

    event = accept(body, JSON, spec=spec).event

    assert (event.person.name, event.person.phone) == ("Анна", "+79123456789")
    assert event.fields == {"answers.who": "Анна", "answers.phone": "+79123456789"}


def test_field_map_reaches_a_deep_value_path() -> None:
    spec = replace(SITE, field_map={"answer.data.phone.value": "phone"})
    body = json.dumps({"answer": {"data": {"phone": {"value": "+79123456789"}}}}).encode()

    assert accept(body, JSON, spec=spec).event.person.phone == "+79123456789"


def test_arrays_keep_every_value_under_the_parent_name() -> None:
    body = json.dumps(
        {"phone": "+79123456789", "items": [{"sku": "A-1"}, {"sku": "B-2"}], "tags": ["x", "y"]}
    ).encode()

    accepted = accept(body, JSON)

    assert accepted.payload["items.sku"] == ["A-1", "B-2"]
    assert accepted.payload["tags"] == ["x", "y"]
    assert accepted.event.fields["items.sku"] == "A-1, B-2"


def test_nested_names_are_not_guessed_without_a_preset_or_field_map() -> None:
    # Someone else's phone in a nested object (a manager's, a referrer's) is not the client's.
    with pytest.raises(InvalidSubmission):
        parse(fixture("yandex_forms_answers_object.json"), JSON)


def test_yandex_forms_jsonrpc_answer_maps_without_a_field_map() -> None:
    event = accept(fixture("yandex_forms_jsonrpc.json"), JSON, spec=YANDEX).event

    assert event.person == ANNA
    assert event.comment == "Перезвоните после 18:00, пожалуйста"
    assert event.consent == ConsentGiven(given=True, text_version=None, raw_value="true")
    assert event.external_id == "yandex:1283743918"
    assert event.fields["answer_choices_58123004"] == "Пластиковые окна, Остекление балкона"
    # Question metadata (labels, type ids) is not a field of the request.
    assert not any(".question." in name for name in event.fields)


def test_yandex_forms_plain_answer_json_gives_the_same_person() -> None:
    event = accept(fixture("yandex_forms_answer.json"), JSON, spec=YANDEX).event

    assert event.person == ANNA
    assert event.external_id == "yandex:1283743918"


def test_yandex_forms_answers_object_maps_by_last_name_segment() -> None:
    event = accept(fixture("yandex_forms_answers_object.json"), JSON, spec=YANDEX).event

    assert event.person == ANNA
    assert event.comment == "Перезвоните после 18:00, пожалуйста"


def test_a_resent_yandex_answer_has_the_same_external_id() -> None:
    first = accept(fixture("yandex_forms_jsonrpc.json"), JSON, spec=YANDEX).event
    retry = accept(fixture("yandex_forms_jsonrpc.json"), JSON, spec=YANDEX).event

    assert first.external_id == retry.external_id


def test_the_forms_own_field_map_wins_over_the_preset() -> None:
    spec = replace(YANDEX, field_map={"answer_long_text_58123005": "company"})

    event = accept(fixture("yandex_forms_jsonrpc.json"), JSON, spec=spec).event

    assert event.person.company == "Перезвоните после 18:00, пожалуйста"
    assert event.comment is None


def test_a_too_deep_body_is_malformed_naming_the_field() -> None:
    deep: object = "+79123456789"
    for _ in range(MAX_DEPTH + 5):
        deep = {"x": deep}
    body = json.dumps({"phone": "+79123456789", "nest": deep}).encode()

    with pytest.raises(MalformedBody) as caught:
        parse(body, JSON)

    assert caught.value.field.startswith("nest.x")
    assert "nested" in str(caught.value)


def test_a_body_with_too_many_fields_is_malformed_naming_the_field() -> None:
    body = json.dumps({"phone": "+79123456789", "spam": list(range(MAX_FIELDS + 1))}).encode()

    with pytest.raises(MalformedBody) as caught:
        parse(body, JSON)

    assert caught.value.field == "spam"


def test_a_too_deep_jsonrpc_answer_string_is_malformed() -> None:
    inner = "[" * 100_000 + "]" * 100_000
    body = json.dumps({"jsonrpc": "2.0", "params": {"answer": '{"a": ' + inner + "}"}})

    with pytest.raises(MalformedBody) as caught:
        parse(body.encode(), JSON, spec=YANDEX)

    assert caught.value.field.startswith("params.answer")


def test_a_number_beyond_the_digit_limit_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        parse(b'{"phone": ' + b"9" * 5000 + b"}", JSON)
