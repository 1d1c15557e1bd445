"""Wire formats over HTTP: Yandex Forms' nested JSON, Tilda's COOKIES, bounded bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service

FIXTURES = Path(__file__).parents[1] / "channels" / "webform" / "fixtures"
WIRE_FORMS = """
[[forms]]
key = "yandex"
name = "Яндекс Формы"
preset = "yandex_forms"

[[forms]]
key = "nested"
name = "Свой JSON"

[forms.field_map]
answers.phone = "phone"
answers.who = "name"
"""
TILDA_COOKIES = (
    "_ym_uid=1711456789123456789; tildauid=1711456790123.412345; TILDAUTM=utm_source%3Dyandex"
    "%7C%7C%7Cutm_medium%3Dcpc%7C%7C%7Cutm_campaign%3Dspring_sale%7C%7C%7C"
)


@pytest.fixture(params=["sqlite", "postgres"])
async def wired(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with a Yandex Forms form and a nested-JSON form, on each database."""
    settings = write_config(WIRE_FORMS)
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        yield running


async def test_a_yandex_forms_jsonrpc_answer_becomes_a_lead(wired: Running) -> None:
    body = (FIXTURES / "yandex_forms_jsonrpc.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    async with wired.client.post("/api/v1/forms/yandex", data=body, headers=headers) as r:
        assert r.status == 202, await r.text()
        intake_id = (await r.json())["intake_id"]
    async with wired.client.post("/api/v1/forms/yandex", data=body, headers=headers) as r:
        assert r.status == 200 and (await r.json())["duplicate"] is True

    lead = await wired.wait_for_lead(intake_id)

    assert lead["name"] == "Анна Смирнова"
    assert lead["phone"] == "+79123456789"
    assert lead["email"] == "anna.smirnova@example.ru"
    assert lead["comment"] == "Перезвоните после 18:00, пожалуйста"


async def test_nested_json_maps_through_a_dotted_field_map(wired: Running) -> None:
    body = {"answers": {"who": "Пётр", "phone": "8 916 123-45-67"}}
    async with wired.client.post("/api/v1/forms/nested", json=body) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]

    lead = await wired.wait_for_lead(intake_id)

    assert (lead["name"], lead["phone"]) == ("Пётр", "+79161234567")


async def test_tilda_cookie_utm_lands_on_the_lead_and_tracking_ids_nowhere(
    wired: Running,
) -> None:
    form = {"Name": "Иван", "Phone": "+79161234567", "utm_source": "google", "tranid": "t:1"}
    body = urlencode({**form, "COOKIES": TILDA_COOKIES})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with wired.client.post("/api/v1/forms/site", data=body, headers=headers) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]

    lead = await wired.wait_for_lead(intake_id)
    async with wired.services.storage.reader() as uow:
        item = await uow.inbox.get(intake_id)
    assert item is not None

    assert lead["utm"] == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring_sale",
    }
    stored = json.dumps([lead, item.payload, item.event], ensure_ascii=False, default=str)
    assert "_ym_uid" not in stored and "tildauid" not in stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            {
                "phone": "1",
                "deep": {
                    "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": "x"}}}}}}}}}}
                },
            },
            "deep.a.b.c.d.e.f.g.h.i",
            id="deep",
        ),
        pytest.param({"phone": "1", "many": list(range(5000))}, "many", id="many"),
    ],
)
async def test_a_hostile_nested_body_is_400_naming_the_field(
    wired: Running, body: object, field: str
) -> None:
    async with wired.client.post("/api/v1/forms/nested", json=body) as response:
        assert response.status == 400
        answer = await response.json()

    assert answer["error"] == "malformed_body"
    assert answer["field"] == field
