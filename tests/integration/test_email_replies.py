"""E-mail replies on a real database, sent to a local SMTP server and threaded in Dovecot.

The client's mail is parsed by the e-mail channel and stored as the poller stores it; the
manager's reply is queued with the domain's own `send_reply` and sent by the replies
dispatcher on a clock the test moves. What the SMTP stand-in accepted is then delivered into
a Dovecot mailbox next to the client's message, and Dovecot's THREAD=REFS (threading by
Message-ID, In-Reply-To and References alone, with no merging by subject) must put it under
that message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from channels.email.parse import MailLead, parse_message
from channels.email.sender import EmailSender, no_smtp_reason
from channels.email.settings import EmailMailboxSettings
from crm_core.errors import RuleError
from crm_core.model import Lead, Manager
from crm_core.replies import conversation_page, send_reply
from crm_core.replies_model import OutgoingMessage, OutgoingMessagePort, OutgoingState
from crm_core.sales import RecordKind
from crm_core.storage import Storage
from intake.replies.dispatcher import ReplyDispatcher
from tests.dovecot import PASSWORD, Dovecot, dovecot, dovecot_factory, free_port, new_user
from tests.integration.smtp_support import (
    MAILBOX_UNAVAILABLE,
    TRY_LATER,
    SmtpStandIn,
    parse,
    smtp_stand_in,
)
from tests.integration.test_followups import drain, leads
from tests.integration.test_replies import (
    LEASE,
    PAST_FIRST_BACKOFF,
    PAST_SECOND_BACKOFF,
    T0,
    Clock,
    add,
)
from tests.integration.test_sales_flow import team

__all__ = ["dovecot", "dovecot_factory"]  # shared fixtures, used by name
MAILBOX = "sales"
CLIENT = "ivan.petrov@example.ru"
ORIGINAL_ID = "CAF3x9-q1Lk@mail.example.ru"
ORIGINAL = (
    "From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan.petrov@example.ru>\r\n"
    "To: sales@company.example\r\n"
    "Subject: =?UTF-8?B?0JfQsNGP0LLQutCwINC90LAg0L/QvtGB0YLQsNCy0LrRgw==?=\r\n"
    "Date: Sun, 06 Dec 2026 18:42:00 +0300\r\n"
    f"Message-ID: <{ORIGINAL_ID}>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Добрый день!\r\n"
    "\r\n"
    "Нужно 40 штук к пятнице, пришлите счёт.\r\n"
    "Иван\r\n"
).encode()


@dataclass
class MailWorld:
    """A stored team, the SMTP stand-in, and the dispatcher sending through it."""

    storage: Storage
    smtp: SmtpStandIn
    staff: dict[str, Manager]
    clock: Clock

    def mailbox(self, **changes: Any) -> EmailMailboxSettings:
        """The mailbox the client wrote to, replying through the stand-in."""
        fields: dict[str, Any] = {
            "name": MAILBOX,
            "host": "127.0.0.1",
            "login": "sales@company.example",
            "password": "imap-secret",
            "address": "sales@company.example",
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "smtp_security": "none",
            "smtp_login": "",
        }
        return EmailMailboxSettings(**{**fields, **changes})

    def dispatcher(self, sender: EmailSender | None = None) -> ReplyDispatcher:
        """The replies dispatcher with the e-mail sender only."""

        @asynccontextmanager
        async def replies() -> AsyncIterator[OutgoingMessagePort]:
            async with self.storage.transaction() as uow:
                yield uow.replies

        sender = sender or EmailSender([self.mailbox()], timeout=5)
        return ReplyDispatcher(replies, {"email": sender}, self.clock, lease=LEASE)

    async def client_writes(self, raw: bytes = ORIGINAL) -> Lead:
        """The client's mail arrives in the mailbox and becomes a lead given to ivanova."""
        await self.mail_arrives(raw)
        [lead] = await leads(self.storage)
        async with self.storage.transaction() as uow:
            await uow.leads.set_assignee(lead.id, self.staff["ivanova"].id, None, T0)
        return lead

    async def mail_arrives(self, raw: bytes) -> None:
        """A message stored as the mailbox's poller stores it, and the inbox drained."""
        parsed = parse_message(raw, mailbox=MAILBOX, received_at=self.clock())
        assert isinstance(parsed, MailLead)
        await add(self.storage, parsed.event.to_json())
        await drain(self.storage)

    async def reply(self, lead_id: int, text: str, **options: Any) -> OutgoingMessage:
        """The manager answers from the lead."""
        async with self.storage.transaction() as uow:
            queued = await send_reply(
                uow,
                self.staff["ivanova"],
                RecordKind.LEAD,
                lead_id,
                options.pop("channel", None),
                text,
                self.clock(),
                idempotency_key=f"test:{text}",
                **options,
            )
        return queued.message

    async def message(self, message_id: int) -> OutgoingMessage:
        """The stored message now."""
        async with self.storage.reader() as uow:
            found = await uow.replies.get(message_id)
        assert found is not None
        return found


@pytest.fixture
async def world(storage: Storage) -> AsyncIterator[MailWorld]:
    async with smtp_stand_in() as smtp:
        yield MailWorld(storage, smtp, await team(storage), Clock())


@pytest.fixture
def client_box(dovecot: Dovecot) -> str:
    """The client's own mailbox on the Dovecot server (which the fixture starts)."""
    return new_user()


def threads(server: Dovecot, user: str) -> list[Any]:
    """Dovecot's THREAD=REFS of the user's INBOX, by UID: threads by the headers only."""
    client = server.client(user)
    try:
        assert b"THREAD=REFS" in client.capabilities()
        client.select_folder("INBOX", readonly=True)
        return sorted(list(_flat(t)) for t in client.thread("REFS", "ALL"))
    finally:
        client.logout()


def _flat(thread: Any) -> Iterator[int]:
    for item in thread:
        if isinstance(item, tuple | list):
            yield from _flat(item)
        else:
            yield item


async def test_the_reply_reaches_the_client_once_and_threads_under_their_message(
    world: MailWorld, dovecot: Dovecot, client_box: str
) -> None:
    lead = await world.client_writes()

    queued = await world.reply(lead.id, "Иван, добрый день! Счёт во вложении завтра.")
    assert (queued.channel, queued.account, queued.address) == ("email", MAILBOX, CLIENT)
    await world.dispatcher().run_once()
    world.clock.advance(timedelta(minutes=5))
    await world.dispatcher().run_once()  # nothing left to send

    assert len(world.smtp.accepted) == 1
    envelope_from, recipients, raw = world.smtp.accepted[0]
    assert (envelope_from, recipients) == ("sales@company.example", [CLIENT])
    reply = parse(raw)
    assert reply["From"] == "sales@company.example"
    assert reply["To"].addresses[0].addr_spec == CLIENT
    assert reply["Subject"] == "Re: Заявка на поставку"
    assert reply["In-Reply-To"] == f"<{ORIGINAL_ID}>"
    assert reply["References"] == f"<{ORIGINAL_ID}>"
    body = reply.get_content().replace("\r\n", "\n")
    assert body.startswith("Иван, добрый день! Счёт во вложении завтра.\n\n")
    assert "6 декабря 2026 г., Иван Петров <ivan.petrov@example.ru> написал(а):\n" in body
    assert "> Нужно 40 штук к пятнице, пришлите счёт.\n" in body
    stored = await world.message(queued.id)
    assert stored.state is OutgoingState.SENT
    assert f"<{stored.platform_message_id}>" == reply["Message-ID"]

    # The client's mail program files both: the reply threads under the question, while a
    # message with the same subject but no thread headers stays on its own.
    decoy = (
        raw.replace(b"In-Reply-To:", b"X-In-Reply-To:")
        .replace(b"References:", b"X-Ref:")
        .replace(reply["Message-ID"].encode(), b"<decoy@company.example>")
    )
    [question_uid, reply_uid, decoy_uid] = dovecot.deliver(client_box, [ORIGINAL, raw, decoy])
    assert threads(dovecot, client_box) == [[question_uid, reply_uid], [decoy_uid]]


async def test_the_clients_answer_in_the_thread_is_the_one_the_next_reply_threads_under(
    world: MailWorld, dovecot: Dovecot, client_box: str
) -> None:
    lead = await world.client_writes()
    await world.reply(lead.id, "Сколько штук нужно?")
    await world.dispatcher().run_once()
    [(_, _, first_raw)] = world.smtp.accepted
    first = parse(first_raw)
    answer = (
        f"From: Ivan Petrov <{CLIENT}>\r\nTo: sales@company.example\r\n"
        "Subject: Re: Заявка на поставку\r\nDate: Mon, 07 Dec 2026 09:10:00 +0300\r\n"
        "Message-ID: <answer-2@mail.example.ru>\r\n"
        f"In-Reply-To: {first['Message-ID']}\r\n"
        f"References: <{ORIGINAL_ID}> {first['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n40 штук.\r\n"
    ).encode()
    world.clock.advance(timedelta(hours=1))
    await world.mail_arrives(answer)
    assert len(await leads(world.storage)) == 1  # the answer joined the lead

    await world.reply(lead.id, "Принято, выставляем счёт.")
    await world.dispatcher().run_once()

    second = world.smtp.messages()[1]
    assert second["Subject"] == "Re: Заявка на поставку"
    assert second["In-Reply-To"] == "<answer-2@mail.example.ru>"
    assert second["References"] == (
        f"<{ORIGINAL_ID}> {first['Message-ID']} <answer-2@mail.example.ru>"
    )
    assert "> 40 штук." in second.get_content()
    uids = dovecot.deliver(client_box, [ORIGINAL, first_raw, answer, world.smtp.accepted[1][2]])
    assert threads(dovecot, client_box) == [uids]


async def test_a_server_saying_try_later_twice_gets_one_delivery_with_one_message_id(
    world: MailWorld,
) -> None:
    lead = await world.client_writes()
    world.smtp.faults += [TRY_LATER, TRY_LATER]
    queued = await world.reply(lead.id, "Добрый день!")

    await world.dispatcher().run_once()
    after_one = await world.message(queued.id)
    world.clock.advance(PAST_FIRST_BACKOFF)
    await world.dispatcher().run_once()
    world.clock.advance(PAST_SECOND_BACKOFF)
    await world.dispatcher().run_once()
    world.clock.advance(timedelta(hours=1))
    await world.dispatcher().run_once()

    assert (after_one.state, after_one.last_error) == (OutgoingState.QUEUED, f"SMTP {TRY_LATER}")
    assert len(world.smtp.tried) == 3
    assert len(world.smtp.accepted) == 1
    assert len({parse(raw)["Message-ID"] for raw in world.smtp.tried}) == 1
    stored = await world.message(queued.id)
    assert (stored.state, stored.attempts) == (OutgoingState.SENT, 3)


async def test_a_refused_mailbox_fails_the_message_with_the_servers_reason(
    world: MailWorld,
) -> None:
    lead = await world.client_writes()
    world.smtp.faults.append(MAILBOX_UNAVAILABLE)
    queued = await world.reply(lead.id, "Добрый день!")

    await world.dispatcher().run_once()
    world.clock.advance(timedelta(hours=2))
    await world.dispatcher().run_once()

    assert len(world.smtp.tried) == 1  # never tried again
    stored = await world.message(queued.id)
    assert stored.state is OutgoingState.FAILED
    assert stored.last_error == (
        "SMTP 550 5.1.1 <***>: Recipient address rejected: mailbox unavailable"
    )
    async with world.storage.reader() as uow:
        page = await conversation_page(
            uow, world.staff["ivanova"], RecordKind.LEAD, lead.id, 10, None
        )
    assert [(e.incoming, e.outgoing.state if e.outgoing else None) for e in page] == [
        (True, None),
        (False, OutgoingState.FAILED),
    ]


async def test_a_mailbox_without_smtp_is_not_offered_and_nothing_is_stored(
    world: MailWorld,
) -> None:
    lead = await world.client_writes()
    unavailable = {("email", MAILBOX): no_smtp_reason(MAILBOX)}

    with pytest.raises(RuleError) as refused:
        await world.reply(lead.id, "Добрый день!", unavailable=unavailable)

    assert (refused.value.rule, refused.value.field, refused.value.status) == (
        "channel_unavailable",
        "channel",
        422,
    )
    assert "smtp_host" in refused.value.message
    async with world.storage.reader() as uow:
        assert await uow.replies.by_key("test:Добрый день!") is None


async def test_a_copy_of_the_reply_is_filed_in_the_mailboxs_sent_folder(
    world: MailWorld, dovecot: Dovecot
) -> None:
    user = new_user()
    sender = EmailSender(
        [
            world.mailbox(
                host=dovecot.host,
                port=dovecot.port,
                security="none",
                login=user,
                password=PASSWORD,
                sent_folder="Sent",
            )
        ],
        timeout=5,
    )
    lead = await world.client_writes()
    queued = await world.reply(lead.id, "Добрый день!")

    await world.dispatcher(sender).run_once()
    await sender.close()  # waits for the copy

    [(_, _, raw)] = world.smtp.accepted
    client = dovecot.client(user)
    try:
        client.select_folder("Sent", readonly=True)
        filed = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
    finally:
        client.logout()
    [(flags, copy)] = [(f[b"FLAGS"], f[b"BODY[]"]) for f in filed.values()]
    assert b"\\Seen" in flags
    assert parse(copy)["Message-ID"] == parse(raw)["Message-ID"]
    assert (await world.message(queued.id)).state is OutgoingState.SENT


async def test_a_sent_folder_out_of_reach_does_not_unsend_the_reply(world: MailWorld) -> None:
    sender = EmailSender([world.mailbox(port=free_port(), sent_folder="Sent")], timeout=5)
    lead = await world.client_writes()
    queued = await world.reply(lead.id, "Добрый день!")

    await world.dispatcher(sender).run_once()
    await sender.close()

    assert len(world.smtp.accepted) == 1
    stored = await world.message(queued.id)
    assert (stored.state, stored.attempts) == (OutgoingState.SENT, 1)
