"""Files in conversations, on a real database against the platform stand-ins: a manager's
file is stored with the message and sent once as a document (Telegram sendDocument, VK's
docs upload then messages.send with the doc); a client's files are kept as references and
fetched from the platform only when a manager who may see the record downloads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.telegram.adapter import AcceptedUpdate, parse_update
from channels.telegram.sender import TelegramSender
from channels.telegram.settings import TelegramBotSettings
from channels.vk.sender import random_id
from crm_core.attachments import RemoteFile, StoredFile, find_file
from crm_core.errors import NotFound, RuleError
from crm_core.replies import conversation_page, send_reply
from crm_core.replies_model import (
    MAX_ATTACHMENT_BYTES,
    NewAttachment,
    OutgoingMessage,
    OutgoingState,
)
from crm_core.sales import RecordKind
from crm_core.storage.session import SqlSession
from tests.integration.replies_support import TELEGRAM_TOKEN, http_error, telegram_error
from tests.integration.test_followups import drain, leads
from tests.integration.test_replies import (
    CHAT_ID,
    PAST_FIRST_BACKOFF,
    VK_USER,
    World,
    add,
    client_message,
    world,  # noqa: F401  (the fixture)
)

FIXTURES = Path(__file__).parents[1] / "channels" / "telegram" / "fixtures"
PDF = b"%PDF-1.4 smeta \x00\xff"
DOC_SENDER = 738201946  # the document fixture's sender


async def reply_with_file(
    w: World,
    lead_id: int,
    text: str,
    file: NewAttachment,
    *,
    key: str = "file-1",
    channel: str | None = None,
) -> OutgoingMessage:
    async with w.storage.transaction() as uow:
        queued = await send_reply(
            uow,
            w.staff["ivanova"],
            RecordKind.LEAD,
            lead_id,
            channel,
            text,
            w.clock(),
            idempotency_key=key,
            attachments=[file],
        )
    return queued.message


async def test_a_file_goes_to_telegram_once_as_a_document_with_the_text_as_its_caption(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Пришлите смету"))
    queued = await reply_with_file(
        world,
        lead.id,
        "Смета во вложении",
        NewAttachment("C:\\docs\\Смета.pdf", "application/pdf", PDF),
    )
    assert [(a.name, a.size) for a in queued.attachments] == [("Смета.pdf", len(PDF))]
    world.stand_in.telegram_faults.append(telegram_error(502, "Bad Gateway"))
    dispatcher = world.dispatcher()

    await dispatcher.run_once()
    world.clock.advance(PAST_FIRST_BACKOFF)
    await dispatcher.run_once()

    assert world.stand_in.telegram_delivered == [
        {
            "chat_id": CHAT_ID,
            "caption": "Смета во вложении",
            "document": ("Смета.pdf", "application/pdf", PDF),
        }
    ]
    assert len(world.stand_in.telegram_documents) == 2  # the failed try and the delivery
    sent = await world.message(queued.id)
    assert (sent.state, sent.attempts) == (OutgoingState.SENT, 2)


async def test_a_vk_file_is_uploaded_saved_and_sent_as_the_messages_doc_once(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("vk:1", "Есть прайс?", channel="vk"))
    queued = await reply_with_file(
        world, lead.id, "Прайс", NewAttachment("price.xlsx", "application/vnd.ms-excel", PDF)
    )
    world.stand_in.vk_upload_faults.append(http_error(502))
    dispatcher = world.dispatcher()

    await dispatcher.run_once()
    failed = await world.message(queued.id)
    assert failed.state is OutgoingState.QUEUED and "upload" in (failed.last_error or "")
    assert world.stand_in.vk_delivered == []
    world.clock.advance(PAST_FIRST_BACKOFF)
    await dispatcher.run_once()

    assert world.stand_in.vk_uploads == [("price.xlsx", "application/vnd.ms-excel", PDF)]
    assert [s["title"] for s in world.stand_in.vk_saved] == ["price.xlsx"]
    [delivered] = world.stand_in.vk_delivered
    assert (delivered["peer_id"], delivered["message"], delivered["attachment"]) == (
        str(VK_USER),
        "Прайс",
        "doc48392017_9001",
    )
    assert delivered["random_id"] == str(random_id("file-1"))
    assert (await world.message(queued.id)).state is OutgoingState.SENT


async def test_a_stored_file_survives_and_is_sent_only_with_its_message(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Жду файл"))
    queued = await reply_with_file(world, lead.id, "", NewAttachment("a.pdf", "", PDF))

    async with world.storage.reader() as uow:
        stored = await uow.replies.get(queued.id)
        content = await uow.replies.attachment_content(queued.id, 0)
        found = await find_file(
            uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, f"o{queued.id}.0"
        )
    assert stored is not None and stored.text == ""
    assert [(a.content_type, a.size) for a in stored.attachments] == [
        ("application/octet-stream", len(PDF))
    ]
    assert content == PDF
    assert found == StoredFile("a.pdf", "application/octet-stream", PDF)
    await world.dispatcher().run_once()
    [delivered] = world.stand_in.telegram_delivered
    assert delivered["caption"] is None and delivered["document"][2] == PDF


async def test_files_that_cannot_be_sent_are_refused_naming_attachments(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    too_big = NewAttachment(
        "big.bin", "application/octet-stream", b"x" * (MAX_ATTACHMENT_BYTES + 1)
    )
    with pytest.raises(RuleError) as big:
        await reply_with_file(world, lead.id, "вот", too_big)
    assert (big.value.field, big.value.status, big.value.rule) == (
        "attachments",
        413,
        "attachment_too_large",
    )
    with pytest.raises(RuleError) as empty:
        await reply_with_file(world, lead.id, "вот", NewAttachment("e.txt", "text/plain", b""))
    assert (empty.value.field, empty.value.status) == ("attachments", 422)
    with pytest.raises(RuleError) as caption:
        await reply_with_file(world, lead.id, "я" * 1025, NewAttachment("a.pdf", "", PDF))
    assert (caption.value.field, caption.value.rule) == ("text", "text_too_long")
    async with world.storage.reader() as uow:
        assert await uow.replies.by_key("file-1") is None  # nothing was stored


async def test_a_repeated_key_with_the_same_file_queues_nothing_new_and_another_file_conflicts(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    first = await reply_with_file(world, lead.id, "Файл", NewAttachment("a.pdf", "", PDF))
    again = await reply_with_file(world, lead.id, "Файл", NewAttachment("a.pdf", "", PDF))
    assert again.id == first.id
    with pytest.raises(RuleError) as conflict:
        await reply_with_file(world, lead.id, "Файл", NewAttachment("a.pdf", "", PDF + b"!"))
    assert (conflict.value.rule, conflict.value.status) == ("idempotency_conflict", 409)


def telegram_update(name: str, **changes: Any) -> dict[str, Any]:
    """A captured update for the `sales` bot as the adapter maps it, stored-event JSON."""
    update = json.loads((FIXTURES / name).read_text("utf-8"))
    update.update(changes)
    outcome = parse_update("sales", update, received_at=datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert isinstance(outcome, AcceptedUpdate)
    return outcome.event.to_json()


async def test_a_clients_telegram_files_are_listed_and_fetched_only_when_downloaded(
    world: World,  # noqa: F811
) -> None:
    opening = telegram_update("document.json")
    photo = telegram_update("photo_caption.json")
    photo["person"]["messenger_ids"]["telegram_id"] = str(DOC_SENDER)  # the same client
    photo["received_at"] = "2026-12-01T10:05:00+00:00"
    for event in (opening, photo):
        await add(world.storage, event)
        await drain(world.storage)
    [lead] = await leads(world.storage)
    async with world.storage.transaction() as uow:
        await uow.leads.set_assignee(lead.id, world.staff["ivanova"].id, None, world.clock())
    doc_id = "BQACAgIAAxkBAAMYZ_Q1bWl0ZW4tZG9jdW1lbnQtcGRmAAKBtjEbxfPRSgABHgQ"
    world.stand_in.telegram_files[doc_id] = PDF

    async with world.storage.reader() as uow:
        page = await conversation_page(
            uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, 50, None
        )
        opened = await find_file(uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, "l.0")
        later = page[-1]
        assert later.activity_id is not None
        photo_file = await find_file(
            uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, f"a{later.activity_id}.0"
        )
        with pytest.raises(NotFound):  # another manager's lead is not theirs to download
            await find_file(uow, world.staff["petrov"], RecordKind.LEAD, lead.id, "l.0")
        with pytest.raises(NotFound):
            await find_file(uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, "l.7")
    assert [(f.name, f.content_type, f.size) for f in page[0].files] == [
        ("Смета_окна.pdf", "application/pdf", 48213)
    ]
    assert [f.name for f in later.files] == ["photo.jpg"]
    assert isinstance(opened, RemoteFile) and isinstance(photo_file, RemoteFile)
    assert (opened.channel, opened.account, opened.file.ref) == ("telegram", "sales", doc_id)
    assert world.stand_in.telegram_calls == []  # nothing fetched up front

    sender = TelegramSender(
        (TelegramBotSettings("sales", token=TELEGRAM_TOKEN, api_base=world.stand_in.url),)
    )
    try:
        fetched = await sender.fetch_file("sales", doc_id, 10 * 1024 * 1024)
    finally:
        await sender.close()
    assert fetched.content == PDF


async def test_a_message_whose_stored_file_is_gone_fails_without_reaching_the_platform(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Жду файл"))
    queued = await reply_with_file(world, lead.id, "Файл", NewAttachment("a.pdf", "", PDF))
    async with world.storage.transaction() as uow:
        session: SqlSession = uow.replies._s  # type: ignore[attr-defined]
        await session.execute("DELETE FROM outgoing_attachments WHERE message_id = $1", queued.id)

    await world.dispatcher().run_once()

    failed = await world.message(queued.id)
    assert failed.state is OutgoingState.FAILED
    assert "file is missing" in (failed.last_error or "")
    assert world.stand_in.telegram_calls == []
