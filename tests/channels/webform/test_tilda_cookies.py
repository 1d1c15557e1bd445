"""Tilda's COOKIES field: UTM tags from TILDAUTM, the other cookies never stored."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from channels.webform.tilda import parse_tildautm
from tests.channels.webform.test_adapter import (
    JSON,
    TILDA_COOKIES,
    URLENCODED,
    accept,
)


def tilda_body(**fields: str) -> bytes:
    """A Tilda urlencoded webhook with the given fields besides name and phone."""
    base = {"Name": "Иван", "Phone": "+7 (916) 123-45-67", "tranid": "3216545:1", "formid": "f1"}
    return urlencode({**base, **fields}).encode()


def test_tildautm_fills_the_utm_tags_the_form_did_not_send() -> None:
    event = accept(tilda_body(COOKIES=TILDA_COOKIES), URLENCODED).event

    assert event.attribution.utm == {
        "utm_source": "yandex",
        "utm_medium": "cpc",
        "utm_campaign": "spring_sale",
    }


def test_explicit_utm_fields_win_over_the_cookie() -> None:
    body = tilda_body(COOKIES=TILDA_COOKIES, utm_source="google", utm_term="окна")

    event = accept(body, URLENCODED).event

    assert event.attribution.utm == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring_sale",
        "utm_term": "окна",
    }


def test_other_cookies_are_never_stored() -> None:
    accepted = accept(tilda_body(COOKIES=TILDA_COOKIES), URLENCODED)

    stored = json.dumps([accepted.event.to_json(), accepted.payload], ensure_ascii=False)
    for tracking in ("_ym_uid", "1711456789123456789", "tildauid", "tildasid", "previousUrl"):
        assert tracking not in stored


def test_cookies_without_tildautm_are_dropped_entirely() -> None:
    accepted = accept(
        tilda_body(COOKIES="_ym_uid=1711456789123456789; _ym_d=1711456789"), URLENCODED
    )

    assert "COOKIES" not in accepted.event.fields
    assert "COOKIES" not in accepted.payload
    assert accepted.event.attribution.utm == {}


def test_tilda_json_variant_reads_the_cookie_too() -> None:
    body = json.dumps({"Name": "Иван", "Phone": "+79161234567", "COOKIES": TILDA_COOKIES})

    event = accept(body.encode(), JSON).event

    assert event.attribution.utm["utm_medium"] == "cpc"


def test_tildautm_values_are_url_decoded_once_more() -> None:
    # The page's query string was URL-encoded; Tilda encodes the whole cookie on top of it.
    raw = quote("utm_source=yandex|||utm_term=%D0%BE%D0%BA%D0%BD%D0%B0+%D0%BF%D0%B2%D1%85|||")

    assert parse_tildautm(raw) == {"utm_source": "yandex", "utm_term": "окна пвх"}


def test_tildautm_ignores_non_utm_and_empty_parts() -> None:
    raw = quote("utm_source=vk|||yclid=123|||utm_medium=|||amp;utm_campaign=autumn#top|||")

    assert parse_tildautm(raw) == {"utm_source": "vk", "utm_campaign": "autumn"}
