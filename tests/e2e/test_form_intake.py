"""Website forms over HTTP: every content type, Tilda, retries and every error path."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp
import pytest

from channels.model import InboundEvent, PersonDetails
from config import Settings
from crm_core.model import NewInboxItem
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service

TILDA_BODY = (
    "Name=%D0%98%D0%B2%D0%B0%D0%BD+%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2"
    "&Phone=%2B7+%28916%29+123-45-67&Email=Ivan.Petrov%40Mail.ru"
    "&Textarea=%D0%9D%D1%83%D0%B6%D0%B5%D0%BD+%D1%81%D1%87%D1%91%D1%82"
    "&utm_source=yandex&utm_medium=cpc&utm_campaign=winter"
    "&tranid=3216545%3A5623498&formid=form123456789"
)
FORM_URL = "/api/v1/forms/site"


async def post_json(running: Running, body: object, url: str = FORM_URL) -> aiohttp.ClientResponse:
    async with running.client.post(url, json=body) as response:
        await response.read()
        return response


async def test_json_submission_becomes_a_normalized_lead(any_db_service: Running) -> None:
    running = any_db_service
    async with running.client.post(
        FORM_URL,
        json={
            "name": "Иван Петров",
            "phone": "8 (916) 123-45-67",
            "email": " Ivan.Petrov@Mail.RU ",
            "company": "ООО «Ромашка»",
            "message": "Нужен счёт",
            "utm_source": "yandex",
            "page_url": "https://example.ru/promo",
            "consent": "on",
        },
    ) as response:
        assert response.status == 202
        body = await response.json()
    assert body["status"] == "accepted" and body["duplicate"] is False
    lead = await running.wait_for_lead(body["intake_id"])
    assert lead["status"] == "new"
    assert lead["channel"] == "webform" and lead["form"] == "site"
    assert lead["name"] == "Иван Петров"
    assert lead["phone"] == "+79161234567"
    assert lead["email"] == "ivan.petrov@mail.ru"
    assert lead["company"] == "ООО «Ромашка»"
    assert lead["comment"] == "Нужен счёт"
    assert lead["utm"] == {"utm_source": "yandex"}
    assert lead["page_url"] == "https://example.ru/promo"
    assert lead["assignee"] in ("ivanova", "petrov")  # round-robin in the main queue
    assert lead["flags"] == []
    async with running.client.get(f"/api/v1/leads/{lead['id']}", headers=running.auth()) as r:
        detail = await r.json()
    assert detail["consents"][0]["given"] is True
    assert detail["consents"][0]["text_version"] == "2026-01"


async def test_tilda_urlencoded_submission(service: Running) -> None:
    async with service.client.post(
        FORM_URL,
        data=TILDA_BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 202
        intake_id = (await response.json())["intake_id"]
    lead = await service.wait_for_lead(intake_id)
    assert lead["name"] == "Иван Петров"
    assert lead["phone"] == "+79161234567"
    assert lead["email"] == "ivan.petrov@mail.ru"
    assert lead["comment"] == "Нужен счёт"
    assert lead["utm"] == {"utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "winter"}
    assert lead["meta"]["formid"] == "form123456789"
    assert lead["meta"]["tranid"] == "3216545:5623498"


def browser_multipart(boundary: str) -> bytes:
    """A multipart body as Chromium sends it: raw UTF-8 field names, a file part."""
    parts = [
        b'Content-Disposition: form-data; name="\xd0\xb8\xd0\xbc\xd1\x8f"\r\n\r\n'
        + "Мария".encode(),
        'Content-Disposition: form-data; name="телефон"\r\n\r\n+7 495 123-45-67 доб. 12'.encode(),
        b'Content-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 fake",
    ]
    sep = f"--{boundary}\r\n".encode()
    return sep + (b"\r\n" + sep).join(parts) + f"\r\n--{boundary}--\r\n".encode()


async def test_multipart_submission_with_a_file(service: Running) -> None:
    boundary = "----WebKitFormBoundaryX3bY6PBMcxB1vCan"
    async with service.client.post(
        FORM_URL,
        data=browser_multipart(boundary),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    ) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    lead = await service.wait_for_lead(intake_id)
    assert lead["name"] == "Мария"
    assert lead["phone"] == "+74951234567"
    assert lead["phone_extension"] == "12"
    assert lead["fields"]["cv"] == "<file cv.pdf, 13 bytes>"


async def test_multipart_from_aiohttp_client(service: Running) -> None:
    form = aiohttp.FormData()
    form.add_field("name", "Олег")
    form.add_field("email", "oleg@example.ru")
    async with service.client.post(FORM_URL, data=form) as response:
        assert response.status == 202
        intake_id = (await response.json())["intake_id"]
    lead = await service.wait_for_lead(intake_id)
    assert (lead["name"], lead["email"]) == ("Олег", "oleg@example.ru")


async def test_retry_with_same_tranid_returns_same_intake_id_and_one_lead(
    any_db_service: Running,
) -> None:
    running = any_db_service
    body = {"name": "Олег", "phone": "+79990001122", "tranid": "777:1"}
    first = await post_json(running, body)
    async with running.client.post(FORM_URL, json=body) as response:
        second_status = response.status
        second = await response.json()
    assert first.status == 202 and second_status == 200
    assert second["duplicate"] is True
    lead = await running.wait_for_lead(second["intake_id"])
    async with running.client.get("/api/v1/leads", headers=running.auth()) as r:
        items = (await r.json())["items"]
    assert [i["id"] for i in items] == [lead["id"]]


async def test_idempotency_key_header_deduplicates(service: Running) -> None:
    headers = {"Idempotency-Key": "abc-1"}
    ids = []
    for _ in range(3):
        async with service.client.post(
            FORM_URL, json={"email": "a@b.ru"}, headers=headers
        ) as response:
            ids.append((await response.json())["intake_id"])
    assert len(set(ids)) == 1


async def test_tilda_test_ping_creates_nothing(service: Running) -> None:
    async with service.client.post(
        FORM_URL, data="test=test", headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as response:
        assert response.status == 200
    async with service.services.storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0
    async with service.client.get("/api/v1/leads", headers=service.auth()) as r:
        assert (await r.json())["items"] == []


async def test_honeypot_is_answered_200_counted_and_dropped(service: Running) -> None:
    async with service.client.post(
        FORM_URL, json={"phone": "+79161234567", "_gotcha": "http://spam"}
    ) as response:
        assert response.status == 200
        assert "intake_id" not in await response.json()
    async with service.client.get("/metrics") as r:
        metrics = await r.text()
    assert 'leadintake_intake_requests_total{channel="webform",outcome="honeypot"} 1.0' in metrics
    async with service.client.get("/api/v1/leads", headers=service.auth()) as r:
        assert (await r.json())["items"] == []


async def test_malformed_phone_and_email_are_kept_with_flags(service: Running) -> None:
    body = await (
        await service.client.post(
            FORM_URL, json={"name": "Bot?", "phone": "12-ab", "email": "not-an-email"}
        )
    ).json()
    lead = await service.wait_for_lead(body["intake_id"])
    assert lead["phone"] is None and lead["phone_raw"] == "12-ab"
    assert lead["email"] is None and lead["email_raw"] == "not-an-email"
    assert sorted(lead["flags"]) == ["email_invalid", "phone_invalid"]


async def test_field_map_from_config(service: Running) -> None:
    async with service.client.post(
        "/api/v1/forms/mapped", json={"f_contact_phone": "9161234567", "f_who": "Пётр"}
    ) as response:
        intake_id = (await response.json())["intake_id"]
    lead = await service.wait_for_lead(intake_id)
    assert (lead["name"], lead["phone"]) == ("Пётр", "+79161234567")


@pytest.mark.parametrize(
    ("url", "content_type", "body", "status", "field"),
    [
        ("/api/v1/forms/nope", "application/json", b'{"phone": "1"}', 404, "form_key"),
        (FORM_URL, "application/json", b'{"phone": ', 400, "body"),
        (FORM_URL, "application/json", b"[1, 2]", 400, "body"),
        (FORM_URL, "text/plain", b"phone=1", 415, "Content-Type"),
        (FORM_URL, "application/json", b'{"name": "Nobody", "comment": "hi"}', 422, "phone"),
        (FORM_URL, "application/json", b'{"phone": "' + b"9" * 70000 + b'"}', 413, "body"),
        ("/api/v1/forms/secured", "application/json", b'{"phone": "+79161234567"}', 401, None),
    ],
)
async def test_error_paths_name_the_field(
    service: Running, url: str, content_type: str, body: bytes, status: int, field: str | None
) -> None:
    async with service.client.post(
        url, data=body, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == status
        error = await response.json()
    assert error["message"]
    if field is not None:
        assert error["field"] == field
    async with service.services.storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0


async def test_secured_form_accepts_the_key_and_redirects(service: Running) -> None:
    async with service.client.post(
        "/api/v1/forms/secured",
        json={"phone": "+79161234567"},
        headers={"X-Api-Key": "s3cret"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == "https://example.ru/thanks"
    leads = await service.wait_for_leads(1)
    assert leads[0]["form"] == "secured"


ODD_BODIES = [
    b"",
    b"\xff\xfe\x00garbage",
    b"null",
    b'"just a string"',
    b'{"phone": {"nested": [1, 2, {"x": null}]}}',
    b'{"phone": 79161234567}',
    b'{"phone": 1e308, "email": true}',
    b'{"phone": "' + "😀".encode() * 100 + b'"}',
    b'{"' + b"a" * 5000 + b'": "b"}',
]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "application/json; charset=koi8-r",
        "",
    ],
)
async def test_odd_input_never_gets_a_500(service: Running, content_type: str) -> None:
    for body in ODD_BODIES:
        headers = {"Content-Type": content_type} if content_type else {}
        async with service.client.post(FORM_URL, data=body, headers=headers) as response:
            assert response.status < 500, (content_type, body[:40], await response.text())


async def test_storage_outage_is_503_not_500(service: Running) -> None:
    await service.services.storage.close()
    async with service.client.post(FORM_URL, json={"phone": "+79161234567"}) as response:
        assert response.status == 503
        assert response.headers["Retry-After"]
        assert (await response.json())["error"] == "unavailable"


async def test_rows_stored_before_start_are_drained_on_start(
    settings: Settings, tmp_path: Path
) -> None:
    external_id = "site:" + uuid.uuid4().hex
    event = InboundEvent(
        channel="webform",
        source="site",
        external_id=external_id,
        received_at=utcnow(),
        person=PersonDetails(phone="+79161234567"),
    )
    item = NewInboxItem("webform", "site", external_id, utcnow(), {}, {}, event.to_json())
    async with storage_of_kind("sqlite", tmp_path) as storage:
        await storage.open()
        await storage.migrate()
        async with storage.transaction() as uow:
            [receipt] = await uow.inbox.add_batch([item])
        await storage.close()
        async with run_service(settings, storage) as running:
            lead = await running.wait_for_lead(receipt.intake_id)
    assert lead["phone"] == "+79161234567"


async def test_a_reused_key_with_other_fields_is_409_and_the_same_body_a_duplicate(
    any_db_service: Running,
) -> None:
    running = any_db_service
    headers = {"Idempotency-Key": "order-17"}
    body = {"name": "Олег", "phone": "+79990001122"}
    async with running.client.post(FORM_URL, json=body, headers=headers) as first:
        assert first.status == 202
        intake_id = (await first.json())["intake_id"]
    # The same submission again, urlencoded and with its fields in another order: a retry.
    retry = "phone=%2B79990001122&name=%D0%9E%D0%BB%D0%B5%D0%B3"
    urlencoded = {"Content-Type": "application/x-www-form-urlencoded"} | headers
    async with running.client.post(FORM_URL, data=retry, headers=urlencoded) as second:
        assert second.status == 200
        assert (await second.json())["duplicate"] is True
    other = {"name": "Ирина", "phone": "+79990003344"}
    async with running.client.post(FORM_URL, json=other, headers=headers) as third:
        assert third.status == 409
        answer = await third.json()
    assert answer["error"] == "idempotency_conflict"
    assert answer["field"] == "Idempotency-Key" and answer["intake_id"] == intake_id
    tilda = {"name": "Олег", "phone": "+79990001122", "tranid": "777:9"}
    await post_json(running, tilda)
    async with running.client.post(FORM_URL, json=tilda | {"name": "Пётр"}) as fourth:
        assert fourth.status == 409
        assert (await fourth.json())["field"] == "tranid"
    assert len(await running.wait_for_leads(2)) == 2
