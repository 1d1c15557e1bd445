"""Files in conversations over the running service, on each database: a manager attaches a
file (multipart/form-data) and the platform stand-in receives it once as a document; a
client's Telegram or VK file is listed in the conversation and downloaded through
LeadIntake, fetched from the platform only then, and only by a manager who may see the lead."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import aiohttp

from crm_core.replies_model import MAX_ATTACHMENT_BYTES
from tests.e2e.conftest import Running
from tests.e2e.test_replies_api import (
    CHANNEL_FIXTURES,
    VK_GROUP,
    VK_SECRET,
    VK_USER,
    client_writes_in_telegram,
    conversation,
    reply,
    service,  # noqa: F401  (the fixture)
    wait_assigned,
    wait_for_state,
)
from tests.integration.replies_support import PlatformStandIn

DOC_ID = "BQACAgIAAxkBAAMYZ_Q1bWl0ZW4tZG9jdW1lbnQtcGRmAAKBtjEbxfPRSgABHgQ"
PDF = b"%PDF-1.4\n" + b"smeta " * 2000


async def send_with_file(
    running: Running,
    lead_id: int,
    login: str,
    fields: dict[str, str],
    files: list[tuple[str, str, bytes]],
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    for filename, content_type, content in files:
        form.add_field("attachments", content, filename=filename, content_type=content_type)
    async with running.client.post(
        f"/api/v1/conversations/lead/{lead_id}/messages",
        data=form,
        headers={**running.auth(login), **(headers or {})},
    ) as r:
        return r.status, await r.json()


async def download(running: Running, url: str, login: str) -> tuple[int, bytes, Any]:
    async with running.client.get(url, headers=running.auth(login)) as r:
        return r.status, await r.read(), r.headers


async def test_a_file_attached_through_the_api_reaches_telegram_once_as_a_document(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]
    key = {"Idempotency-Key": "file-7"}
    file = [("Смета.pdf", "application/pdf", PDF)]

    status, queued = await send_with_file(running, lead["id"], owner, {"text": "Смета"}, file, key)
    again = await send_with_file(running, lead["id"], owner, {"text": "Смета"}, file, key)

    assert status == 202, queued
    assert [(a["name"], a["size"]) for a in queued["attachments"]] == [("Смета.pdf", len(PDF))]
    assert again[0] == 202 and again[1]["duplicate"] is True and again[1]["id"] == queued["id"]
    items = await wait_for_state(running, lead["id"], owner, "sent")
    assert [(d["caption"], d["document"]) for d in stand_in.telegram_delivered] == [
        ("Смета", ("Смета.pdf", "application/pdf", PDF))
    ]
    [sent_file] = items[-1]["attachments"]
    got, content, headers = await download(running, sent_file["url"], owner)
    assert (got, content) == (200, PDF)
    assert headers["Content-Disposition"].endswith(
        "filename*=UTF-8''%D0%A1%D0%BC%D0%B5%D1%82%D0%B0.pdf"
    )


async def test_files_the_api_cannot_take_are_refused_naming_attachments(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]
    big = [("big.bin", "application/octet-stream", b"x" * (MAX_ATTACHMENT_BYTES + 1))]
    huge = [("huge.bin", "application/octet-stream", b"x" * (MAX_ATTACHMENT_BYTES + (2 << 20)))]
    two = [("a.txt", "text/plain", b"a"), ("b.txt", "text/plain", b"b")]

    over = await send_with_file(running, lead["id"], owner, {"text": "файл"}, big)
    far_over = await send_with_file(running, lead["id"], owner, {"text": "файл"}, huge)
    many = await send_with_file(running, lead["id"], owner, {"text": "файлы"}, two)
    as_json = await reply(running, lead["id"], {"text": "x", "attachments": [{"id": 1}]}, owner)
    nothing = await send_with_file(running, lead["id"], owner, {"text": " "}, [])

    assert (over[0], over[1]["field"], over[1]["error"]) == (
        413,
        "attachments",
        "attachment_too_large",
    )
    assert (far_over[0], far_over[1]["field"]) == (413, "attachments")
    assert (many[0], many[1]["field"]) == (422, "attachments")
    assert (as_json[0], as_json[1]["field"]) == (400, "attachments")
    assert (nothing[0], nothing[1]["field"]) == (422, "text")
    # A plain JSON message still goes as before.
    assert (await reply(running, lead["id"], {"text": "Без файла"}, owner))[0] == 202
    await wait_for_state(running, lead["id"], owner, "sent")
    assert stand_in.telegram_documents == []
    assert [m["text"] for m in stand_in.telegram_delivered] == ["Без файла"]


async def test_a_multipart_body_with_unreadable_part_headers_is_400_not_a_server_error(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, _ = service
    lead = await client_writes_in_telegram(running)
    boundary = "b0undary"
    # A control character inside a part's header (found by the API fuzzer).
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\x1a"\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    async with running.client.post(
        f"/api/v1/conversations/lead/{lead['id']}/messages",
        data=body,
        headers={
            **running.auth(lead["assignee"]),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    ) as r:
        answer = (r.status, await r.json())
    assert (answer[0], answer[1]["field"]) == (400, "body")


async def test_a_clients_telegram_document_is_fetched_only_when_a_manager_downloads_it(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    stand_in.telegram_files[DOC_ID] = PDF
    lead = await client_writes_in_telegram(running, "document.json")
    owner = lead["assignee"]
    stranger = "petrov" if owner == "ivanova" else "ivanova"

    [opening] = (await conversation(running, lead["id"], owner))["items"]
    [file] = opening["attachments"]
    assert (file["name"], file["content_type"], file["size"]) == (
        "Смета_окна.pdf",
        "application/pdf",
        48213,
    )
    assert not [c for c in stand_in.telegram_calls if "file_id" in c]
    hidden = await download(running, file["url"], stranger)
    got = await download(running, file["url"], owner)
    missing = await download(running, file["url"].replace("l.0", "l.1"), owner)

    assert hidden[0] == 404
    assert (got[0], got[1]) == (200, PDF)
    assert missing[0] == 404


async def test_a_clients_vk_doc_is_downloaded_from_its_url(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    stand_in.vk_files["plan.pdf"] = PDF
    update = json.loads((CHANNEL_FIXTURES / "vk" / "fixtures" / "message_new.json").read_text())
    update["secret"] = VK_SECRET
    update["object"]["message"]["attachments"] = [
        {
            "type": "doc",
            "doc": {
                "id": 1,
                "owner_id": VK_USER,
                "title": "План.pdf",
                "size": len(PDF),
                "ext": "pdf",
                "url": f"{stand_in.url}/vkfiles/plan.pdf",
            },
        },
        {
            "type": "doc",
            "doc": {"id": 2, "owner_id": VK_USER, "title": "evil", "url": "http://10.0.0.1/x"},
        },
    ]
    async with running.client.post(f"/hooks/vk/{VK_GROUP}", json=update) as r:
        assert r.status == 200, await r.text()
    [new] = await running.wait_for_leads(1)
    lead = await wait_assigned(running, new["id"])

    [opening] = (await conversation(running, lead["id"], lead["assignee"]))["items"]
    plan, evil = opening["attachments"]
    got = await download(running, plan["url"], lead["assignee"])
    refused = await download(running, evil["url"], lead["assignee"])

    assert (plan["name"], got[0], got[1]) == ("План.pdf", 200, PDF)
    assert refused[0] == 502  # never fetched from anywhere but VK's hosts


async def test_a_file_of_exactly_20_mb_is_taken_and_delivered_intact(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]
    content = hashlib.sha256(b"seed").digest() * (MAX_ATTACHMENT_BYTES // 32)
    assert len(content) == MAX_ATTACHMENT_BYTES

    status, queued = await send_with_file(
        running, lead["id"], owner, {"text": ""}, [("scan.tif", "image/tiff", content)]
    )

    assert status == 202, queued
    await wait_for_state(running, lead["id"], owner, "sent")
    [(caption, (name, _, delivered))] = [
        (d["caption"], d["document"]) for d in stand_in.telegram_delivered
    ]
    assert (caption, name) == (None, "scan.tif")
    assert hashlib.sha256(delivered).digest() == hashlib.sha256(content).digest()
