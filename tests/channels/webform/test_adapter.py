"""Website-form adapter: captured Tilda, WordPress and custom-site payloads → InboundEvent."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest

from channels.errors import (
    ChannelAuthFailed,
    InvalidSubmission,
    MalformedBody,
    UnsupportedContentType,
)
from channels.model import Attribution, ConsentGiven, InboundEvent, PersonDetails
from channels.webform.adapter import parse_submission
from channels.webform.spec import (
    AcceptedSubmission,
    FormSpec,
    HoneypotTripped,
    SubmissionOutcome,
    TildaTestPing,
)

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
URLENCODED = "application/x-www-form-urlencoded"
JSON = "application/json"
SITE = FormSpec(key="site", name="Сайт")
TILDA_KEY = "tk_7f3c9a1e5b2d4c8f"
TILDA_WITH_KEY = FormSpec(key="tilda", name="Tilda: замер окон", secret=TILDA_KEY)
TILDA_COOKIES = (
    "_ym_uid=1711456789123456789; _ym_d=1711456789; tildauid=1711456790123.412345;"
    " tildasid=1711456790123.987654; TILDAUTM=utm_source%3Dyandex%7C%7C%7Cutm_medium%3Dcpc"
    "%7C%7C%7Cutm_campaign%3Dspring_sale%7C%7C%7C; previousUrl=okna-moskva.ru%2F"
)
TILDA_UTM_COOKIE = (
    "TILDAUTM=utm_source%3Dyandex%7C%7C%7Cutm_medium%3Dcpc%7C%7C%7Cutm_campaign%3Dspring_sale"
    "%7C%7C%7C"
)


def fixture(name: str) -> bytes:
    """The captured body, byte for byte."""
    return (FIXTURES / name).read_bytes()


def multipart_fixture(stem: str) -> tuple[str, bytes]:
    """A multipart body and the Content-Type (with its boundary) it was captured with."""
    content_type = (FIXTURES / f"{stem}.content-type.txt").read_text().strip()
    return content_type, fixture(f"{stem}.bin")


def generated_ids() -> Callable[[], str]:
    """Stands in for uuid4: a fresh id on every call, predictable in assertions."""
    numbers = count(1)
    return lambda: f"generated-{next(numbers)}"


def parse(
    body: bytes,
    content_type: str,
    *,
    spec: FormSpec = SITE,
    headers: Mapping[str, str] | None = None,
    new_id: Callable[[], str] | None = None,
) -> SubmissionOutcome:
    return parse_submission(
        spec,
        content_type=content_type,
        body=body,
        headers=headers or {},
        received_at=RECEIVED_AT,
        new_id=new_id or generated_ids(),
    )


def accept(
    body: bytes,
    content_type: str,
    *,
    spec: FormSpec = SITE,
    headers: Mapping[str, str] | None = None,
    new_id: Callable[[], str] | None = None,
) -> AcceptedSubmission:
    outcome = parse(body, content_type, spec=spec, headers=headers, new_id=new_id)
    assert isinstance(outcome, AcceptedSubmission), outcome
    return outcome


# --- Tilda ---------------------------------------------------------------------------------


def test_tilda_webhook_becomes_an_event() -> None:
    event = accept(fixture("tilda_webhook.txt"), URLENCODED).event

    assert event.channel == "webform"
    assert event.source == "site"
    assert event.external_id == "site:3216545:5623498"
    assert event.received_at == RECEIVED_AT
    assert event.person == PersonDetails(
        name="Иван Петров", phone="+7 (916) 123-45-67", email="ivan.petrov@example.ru"
    )
    assert event.comment == "Нужен замер на пластиковые окна, 3 шт."
    assert event.meta == {
        "content_type": URLENCODED,
        "formid": "form123456789",
        "tranid": "3216545:5623498",
    }


def test_tilda_utm_fields_land_in_attribution() -> None:
    event = accept(fixture("tilda_webhook.txt"), URLENCODED).event

    assert event.attribution == Attribution(
        utm={
            "utm_source": "yandex",
            "utm_medium": "cpc",
            "utm_campaign": "spring_sale",
            "utm_content": "banner_1",
            "utm_term": "окна пвх москва",
        }
    )


def test_tilda_service_fields_are_kept_raw_and_cookies_only_as_their_utm() -> None:
    accepted = accept(fixture("tilda_webhook.txt"), URLENCODED)

    # Tracking ids (_ym_uid, tildauid, ...) are never stored; TILDAUTM is the attribution.
    assert accepted.event.fields["COOKIES"] == TILDA_UTM_COOKIE
    assert accepted.payload["COOKIES"] == [TILDA_UTM_COOKIE]
    assert accepted.event.fields["formid"] == "form123456789"
    assert accepted.event.fields["Name"] == "Иван Петров"
    assert list(accepted.payload) == list(accepted.event.fields)
    assert accepted.payload["tranid"] == ["3216545:5623498"]


def test_tilda_json_variant_gives_the_same_event() -> None:
    from_form = accept(fixture("tilda_webhook.txt"), URLENCODED).event
    from_json = accept(fixture("tilda_webhook.json"), JSON).event

    assert from_json.meta["content_type"] == JSON
    assert replace(from_json, meta=from_form.meta) == from_form


def test_tilda_test_request_creates_nothing() -> None:
    assert parse(fixture("tilda_test_request.txt"), URLENCODED) == TildaTestPing()


def test_tilda_test_request_with_api_key_is_a_ping_on_a_protected_form() -> None:
    outcome = parse(fixture("tilda_test_request_api_key.txt"), URLENCODED, spec=TILDA_WITH_KEY)

    assert outcome == TildaTestPing()


def test_tilda_test_request_without_api_key_is_rejected_on_a_protected_form() -> None:
    with pytest.raises(ChannelAuthFailed):
        parse(fixture("tilda_test_request.txt"), URLENCODED, spec=TILDA_WITH_KEY)


# --- Secret / API key ----------------------------------------------------------------------


def test_api_key_in_a_field_is_accepted_and_not_stored() -> None:
    accepted = accept(fixture("tilda_api_key.txt"), URLENCODED, spec=TILDA_WITH_KEY)

    assert accepted.event.person.name == "Мария Соколова"
    assert accepted.event.external_id == "tilda:3216545:5623611"
    assert "api_key" not in accepted.event.fields
    assert "api_key" not in accepted.payload
    assert TILDA_KEY not in json.dumps(accepted.event.to_json(), ensure_ascii=False)


def test_api_key_in_the_header_is_accepted() -> None:
    spec = replace(SITE, secret=TILDA_KEY)

    # aiohttp keeps header names as sent; proxies often lowercase them.
    accepted = accept(
        fixture("custom_site_ru.json"), JSON, spec=spec, headers={"x-api-key": TILDA_KEY}
    )

    assert accepted.event.person.phone == "8 (495) 765-43-21"


def test_api_key_under_configured_header_and_field_names() -> None:
    spec = replace(
        SITE, secret="s3cr3t-value", secret_header="X-Tilda-Token", secret_field="token"
    )
    body = b"name=%D0%9F%D1%91%D1%82%D1%80&phone=89161234567&token=s3cr3t-value"

    in_field = accept(body, URLENCODED, spec=spec)
    in_header = accept(
        fixture("custom_site_ru.json"),
        JSON,
        spec=spec,
        headers={"X-Tilda-Token": "s3cr3t-value"},
    )

    assert "token" not in in_field.event.fields
    assert in_header.event.person.name == "Ольга Кузнецова"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(fixture("custom_site_ru.json"), {}, id="missing"),
        pytest.param(fixture("custom_site_ru.json"), {"X-Api-Key": "tk_wrong"}, id="wrong-header"),
        pytest.param(
            fixture("tilda_api_key.txt").replace(TILDA_KEY.encode(), b"tk_0000000000000000"),
            {},
            id="wrong-field",
        ),
        pytest.param(fixture("custom_site_ru.json"), {"X-Api-Key": ""}, id="empty-header"),
    ],
)
def test_missing_or_wrong_api_key_is_rejected(body: bytes, headers: dict[str, str]) -> None:
    content_type = JSON if body.startswith(b"{") else URLENCODED

    with pytest.raises(ChannelAuthFailed):
        parse(body, content_type, spec=TILDA_WITH_KEY, headers=headers)


# --- WordPress Contact Form 7 (multipart) --------------------------------------------------


def test_wordpress_cf7_multipart_maps_person_and_message() -> None:
    content_type, body = multipart_fixture("wpcf7_multipart")

    event = accept(body, content_type).event

    assert event.person == PersonDetails(
        name="Алексей Смирнов",
        phone="8 (812) 309-44-10",
        email="a.smirnov@stroy-komplekt.ru",
    )
    assert event.comment == (
        "Прошу выставить счёт на 40 мешков цемента М500, реквизиты во вложении."
    )
    assert event.meta == {"content_type": "multipart/form-data"}


def test_wordpress_cf7_file_part_is_described_not_inlined() -> None:
    content_type, body = multipart_fixture("wpcf7_multipart")

    event = accept(body, content_type).event

    assert event.fields["your-file"] == "<file rekvizity.pdf, 148 bytes>"
    assert event.fields["_wpcf7"] == "142"
    assert event.fields["_wpcf7_unit_tag"] == "wpcf7-f142-p17-o1"
    assert event.fields["_wpcf7_posted_data_hash"] == ""


def test_wordpress_cf7_acceptance_checkbox_via_field_map_is_consent() -> None:
    content_type, body = multipart_fixture("wpcf7_multipart")
    spec = replace(
        SITE, field_map={"acceptance-consent": "consent"}, consent_text_version="wp-2025-09"
    )

    event = accept(body, content_type, spec=spec).event

    assert event.consent == ConsentGiven(given=True, text_version="wp-2025-09", raw_value="1")


def test_wordpress_cf7_acceptance_checkbox_is_not_guessed_without_field_map() -> None:
    content_type, body = multipart_fixture("wpcf7_multipart")

    event = accept(body, content_type).event

    assert event.consent is None
    assert event.fields["acceptance-consent"] == "1"


def test_multipart_without_boundary_is_malformed() -> None:
    _, body = multipart_fixture("wpcf7_multipart")

    with pytest.raises(MalformedBody, match="boundary"):
        parse(body, "multipart/form-data")


# --- Custom sites (JSON) -------------------------------------------------------------------


def test_custom_site_russian_keys() -> None:
    event = accept(fixture("custom_site_ru.json"), JSON).event

    assert event.person == PersonDetails(name="Ольга Кузнецова", phone="8 (495) 765-43-21")
    assert event.comment == "Нужен счёт для юрлица, оплата по безналу"
    assert event.consent is None


def test_custom_site_page_url_referrer_and_utm_land_in_attribution() -> None:
    event = accept(fixture("custom_site_ru.json"), JSON).event

    assert event.attribution == Attribution(
        utm={"utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "kassy_54fz"},
        page_url="https://shop.example.ru/catalog/kassy/atol-30f",
        referrer="https://yandex.ru/",
    )


def test_custom_site_unknown_fields_are_kept() -> None:
    event = accept(fixture("custom_site_ru.json"), JSON).event

    assert event.fields["Город"] == "Москва"
    assert event.fields["Имя"] == "Ольга Кузнецова"


def test_consent_checkbox_with_its_text_version() -> None:
    spec = replace(SITE, consent_text_version="form-default")

    event = accept(fixture("custom_site_consent.json"), JSON, spec=spec).event

    assert event.consent == ConsentGiven(
        given=True, text_version="politika-pd-2024-03", raw_value="true"
    )


def test_unchecked_consent_is_recorded_as_not_given() -> None:
    spec = replace(SITE, consent_text_version="politika-pd-2024-03")

    event = accept(fixture("custom_site_consent_unchecked.json"), JSON, spec=spec).event

    assert event.consent == ConsentGiven(
        given=False, text_version="politika-pd-2024-03", raw_value="off"
    )


def test_unparseable_phone_is_accepted_raw() -> None:
    event = accept(fixture("custom_site_phone_words.json"), JSON).event

    assert event.person.phone == "позвоните мне"
    assert event.person.email == "sergey@example.ru"


def test_unparseable_phone_alone_still_counts_as_a_way_to_reach() -> None:
    body = json.dumps({"Имя": "Сергей", "Телефон": "позвоните мне"}).encode()

    event = accept(body, JSON).event

    assert event.person.phone == "позвоните мне"


# --- Charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        f"{URLENCODED}; charset=windows-1251",
        f'{URLENCODED}; charset="Windows-1251"',
        f"{URLENCODED};charset=cp1251",
    ],
)
def test_windows_1251_urlencoded_decodes_cyrillic(content_type: str) -> None:
    event = accept(fixture("windows1251.txt"), content_type).event

    assert event.person.name == "Иван Петров"
    assert event.person.phone == "+7 (916) 123-45-67"
    assert event.comment == "Перезвоните после 18:00"
    assert event.meta["content_type"] == URLENCODED


def test_windows_1251_body_declared_as_utf8_is_malformed_not_mojibake() -> None:
    with pytest.raises(MalformedBody, match="utf-8"):
        parse(fixture("windows1251.txt"), URLENCODED)


# --- Honeypot ------------------------------------------------------------------------------


def test_filled_honeypot_is_tripped() -> None:
    outcome = parse(fixture("honeypot_filled.txt"), URLENCODED)

    assert outcome == HoneypotTripped(field="_gotcha")


def test_configured_honeypot_field_is_tripped() -> None:
    spec = replace(SITE, honeypot_fields=("website",))
    body = json.dumps(
        {"name": "Bot", "phone": "+1 202 555 0100", "website": "http://spam.example"}
    ).encode()

    assert parse(body, JSON, spec=spec) == HoneypotTripped(field="website")


def test_empty_honeypot_is_accepted_and_not_stored() -> None:
    accepted = accept(fixture("honeypot_empty.txt"), URLENCODED)

    assert accepted.event.person.name == "Татьяна"
    assert "_gotcha" not in accepted.event.fields


# --- Rejected bodies -----------------------------------------------------------------------


def test_truncated_json_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="malformed JSON"):
        parse(fixture("custom_site_truncated.json"), JSON)


def test_json_array_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="object"):
        parse(fixture("custom_site_array.json"), JSON)


@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=utf-8", "application/xml", "", "application/jsonp"]
)
def test_unsupported_content_type_is_rejected(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType) as caught:
        parse(fixture("custom_site_ru.json"), content_type)

    assert caught.value.content_type == content_type


def test_no_way_to_reach_is_invalid_naming_the_expected_fields() -> None:
    with pytest.raises(InvalidSubmission) as caught:
        parse(fixture("custom_site_unreachable.json"), JSON)

    assert caught.value.field == "phone"
    assert "phone" in caught.value.message
    assert "email" in caught.value.message


def test_blank_phone_and_email_do_not_count_as_a_way_to_reach() -> None:
    body = json.dumps({"name": "Иван", "phone": "   ", "email": ""}).encode()

    with pytest.raises(InvalidSubmission):
        parse(body, JSON)


# --- Idempotency ---------------------------------------------------------------------------


def test_external_id_comes_from_tilda_tranid_even_with_a_header() -> None:
    event = accept(
        fixture("tilda_webhook.txt"), URLENCODED, headers={"Idempotency-Key": "other"}
    ).event

    assert event.external_id == "site:3216545:5623498"


def test_same_tilda_body_twice_gives_the_same_external_id() -> None:
    first = accept(fixture("tilda_webhook.txt"), URLENCODED).event
    retry = accept(fixture("tilda_webhook.txt"), URLENCODED).event

    assert first.external_id == retry.external_id


def test_external_id_comes_from_the_idempotency_key_header() -> None:
    headers = {"Idempotency-Key": "7c0e4a52-1d9b-4f0c-9a57-3b1e2d8f6a10"}

    first = accept(fixture("custom_site_no_id.json"), JSON, headers=headers).event
    retry = accept(fixture("custom_site_no_id.json"), JSON, headers=headers).event

    assert first.external_id == "site:7c0e4a52-1d9b-4f0c-9a57-3b1e2d8f6a10"
    assert retry.external_id == first.external_id


def test_external_id_comes_from_a_submission_id_field() -> None:
    event = accept(fixture("custom_site_submission_id.json"), JSON).event

    assert event.external_id == "site:b7e2c1d4-6f0a-4e9b-8c3d-2a1f5e7d9c01"


def test_without_an_idempotency_key_each_parse_gets_a_new_external_id() -> None:
    new_id = generated_ids()

    first = accept(fixture("custom_site_no_id.json"), JSON, new_id=new_id).event
    second = accept(fixture("custom_site_no_id.json"), JSON, new_id=new_id).event

    assert first.external_id == "site:generated-1"
    assert second.external_id == "site:generated-2"


# --- Redirect and storage ------------------------------------------------------------------


def test_redirect_field_is_followed_only_to_an_allowed_host() -> None:
    allowed = replace(SITE, allowed_redirect_hosts=("okna-moskva.ru",))

    assert accept(fixture("redirect.txt"), URLENCODED).redirect_url is None
    assert (
        accept(fixture("redirect.txt"), URLENCODED, spec=allowed).redirect_url
        == "https://okna-moskva.ru/spasibo"
    )


def test_event_from_every_sender_survives_its_json_round_trip() -> None:
    content_type, body = multipart_fixture("wpcf7_multipart")
    events = [
        accept(fixture("tilda_webhook.txt"), URLENCODED).event,
        accept(fixture("tilda_webhook.json"), JSON).event,
        accept(body, content_type).event,
        accept(fixture("custom_site_consent.json"), JSON).event,
        accept(fixture("windows1251.txt"), f"{URLENCODED}; charset=windows-1251").event,
    ]

    for event in events:
        stored = json.loads(json.dumps(event.to_json(), ensure_ascii=False))
        assert InboundEvent.from_json(stored) == event


# --- Messengers and odd encodings ----------------------------------------------------------


def test_messenger_fields_are_a_way_to_reach() -> None:
    body = json.dumps({"Имя": "Иван", "Telegram": "@ivan_petrov", "VK": "vk.com/id42"}).encode()

    event = accept(body, JSON).event

    assert event.person.messenger_ids == {"telegram_username": "@ivan_petrov", "vk": "vk.com/id42"}
    assert event.person.reachable()


def test_json_with_a_byte_order_mark_is_accepted() -> None:
    body = "\ufeff".encode() + json.dumps({"name": "Иван", "phone": "+79161234567"}).encode()

    event = accept(body, JSON).event

    assert event.person.phone == "+79161234567"
