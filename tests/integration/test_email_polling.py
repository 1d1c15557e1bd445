"""IMAP mailboxes into the inbox against a real Dovecot, on SQLite and PostgreSQL.

Mail is delivered with APPEND while the poller runs (IDLE wakes it) or before it starts.
The checks: one inbox row per lead-making message and none for auto-replies and bounces,
\\Seen only once a lead is stored, the checkpoint keeping the place across restarts, a
UIDVALIDITY change resynced without duplicates, and a server going away losing nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from channels.email.imap import SECURITY_NONE
from channels.email.parse import MailLead, parse_message
from config import load_settings
from config.channel_settings import EmailMailboxSettings
from crm_core.model import InboxItem
from crm_core.storage import Storage, StorageUnavailable
from intake.bootstrap import build_services
from intake.clock import utcnow
from intake.email_polling import (
    EmailPoller,
    FolderCheckpoint,
    checkpoint_key,
    running_email_pollers,
)
from intake.inbox import InboxWriter
from tests import mail_shapes
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.dovecot import (
    PASSWORD,
    Dovecot,
    DovecotFactory,
    dovecot,
    dovecot_factory,
    new_user,
)
from tests.e2e.conftest import run_service
from tests.integration.polling_support import running, sqlite_storage, wait_until

__all__ = ["dovecot", "dovecot_factory", "sqlite_storage"]  # shared fixtures, used by name
MAILBOX = "sales"


@pytest.fixture
def user() -> str:
    return new_user()


def mailbox_of(server: Dovecot, user: str, **changes: Any) -> EmailMailboxSettings:
    """Settings of the user's mailbox on this server (plain IMAP, quick polling)."""
    settings = EmailMailboxSettings(
        name=MAILBOX,
        host=server.host,
        port=server.port,
        security=SECURITY_NONE,
        login=user,
        password=PASSWORD,
        poll_seconds=0.05,
    )
    return EmailMailboxSettings(**{**_fields(settings), **changes})


def _fields(settings: EmailMailboxSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__slots__}


class Harness:
    """A storage, its inbox writer and the outcomes counted by the pollers built here."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.writer = InboxWriter(storage, max_batch=64)
        self.outcomes: Counter[str] = Counter()

    def poller(self, mailbox: EmailMailboxSettings, **options: Any) -> EmailPoller:
        """A poller of the mailbox that retries quickly."""
        options = {"backoff_min": 0.02, "backoff_max": 0.1, **options}
        return EmailPoller(mailbox, self.writer, self.storage, self.count, utcnow, **options)

    def count(self, outcome: str) -> None:
        """The metrics callback: outcomes counted here."""
        self.outcomes[outcome] += 1

    async def rows(self) -> list[InboxItem]:
        """Every inbox row (the worker does not run: all stay pending)."""
        async with self.storage.reader() as uow:
            return await uow.inbox.peek_pending(1000, utcnow() + timedelta(days=1))

    async def checkpoint(self, folder: str = "INBOX") -> FolderCheckpoint | None:
        """The stored checkpoint of the mailbox's folder."""
        async with self.storage.reader() as uow:
            text = await uow.checkpoints.get("email", checkpoint_key(MAILBOX, folder))
        return None if text is None else FolderCheckpoint.from_text(text)


@asynccontextmanager
async def started(storage: Storage) -> AsyncIterator[Harness]:
    """A harness with its inbox writer running."""
    h = Harness(storage)
    h.writer.start()
    try:
        yield h
    finally:
        await h.writer.stop()


@pytest.fixture
async def harness(storage: Storage) -> AsyncIterator[Harness]:
    """A harness on each kind of storage (the shared `storage` fixture)."""
    async with started(storage) as h:
        yield h


@pytest.fixture
async def sqlite_harness(sqlite_storage: Storage) -> AsyncIterator[Harness]:
    """A harness on SQLite only, for behaviour the database does not change."""
    async with started(sqlite_storage) as h:
        yield h


def message_ids(raws: list[bytes]) -> list[str]:
    """The external ids the parser gives these messages."""
    ids = []
    for raw in raws:
        parsed = parse_message(raw, mailbox=MAILBOX, received_at=utcnow())
        assert isinstance(parsed, MailLead)
        ids.append(parsed.event.external_id)
    return ids


async def test_each_message_becomes_one_inbox_row_and_not_leads_none(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    leads = mail_shapes.leads(5)
    dovecot.deliver(user, [*leads[:3], mail_shapes.auto_reply(), mail_shapes.bounce()])
    # Mail that is already there at the first start counts only if unseen: all of it is.
    poller = harness.poller(mailbox_of(dovecot, user))
    async with running(poller):
        await wait_until(lambda: poller.updates_stored == 3 and harness.outcomes["ignored"] == 2)
        # New mail while the poller idles: IDLE wakes it.
        dovecot.deliver(user, leads[3:])
        await wait_until(lambda: poller.updates_stored == 5)
        assert poller.connected and poller.last_error is None
        assert poller.last_event_at is not None

    rows = await harness.rows()
    assert sorted(r.external_id for r in rows) == sorted(message_ids(leads))
    assert {r.channel for r in rows} == {"email"} and {r.source for r in rows} == {MAILBOX}
    by_uid = {r.payload["mail"]["uid"]: r for r in rows}
    assert sorted(by_uid) == [1, 2, 3, 6, 7]
    checkpoint = await harness.checkpoint()
    assert checkpoint is not None and checkpoint.last_uid == 7
    for uid, raw in zip([1, 2, 3, 6, 7], leads, strict=True):
        mail = by_uid[uid].payload["mail"]
        assert base64.b64decode(mail["raw_base64"]) == raw  # kept to be parsed again
        assert (mail["mailbox"], mail["folder"]) == (MAILBOX, "INBOX")
        assert mail["uidvalidity"] == checkpoint.uidvalidity
    # Leads are marked seen once stored; the auto-reply and the bounce are left for a person.
    assert dovecot.seen(user) == {1, 2, 3, 6, 7}
    assert harness.outcomes == Counter(accepted=5, ignored=2)


async def test_first_start_takes_unseen_mail_and_everything_after(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    read_before = mail_shapes.leads(2)
    unread_before = mail_shapes.leads(2)
    dovecot.deliver(user, read_before[:1], flags=[b"\\Seen"])
    dovecot.deliver(user, unread_before[:1])
    dovecot.deliver(user, read_before[1:], flags=[b"\\Seen"])
    dovecot.deliver(user, unread_before[1:])
    poller = harness.poller(mailbox_of(dovecot, user))
    async with running(poller):
        await wait_until(lambda: poller.updates_stored == 2)
        # Arriving after the first start, read by a person before the poller got to it.
        read_after = mail_shapes.leads(1)
        dovecot.deliver(user, read_after, flags=[b"\\Seen"])
        await wait_until(lambda: poller.updates_stored == 3)
    rows = await harness.rows()
    assert sorted(r.external_id for r in rows) == sorted(message_ids(unread_before + read_after))
    checkpoint = await harness.checkpoint()
    assert checkpoint is not None
    assert (checkpoint.last_uid, checkpoint.unseen_through) == (5, 4)


async def test_the_whole_mail_corpus_goes_through_as_the_parser_decides(
    dovecot: Dovecot, user: str, sqlite_harness: Harness
) -> None:
    manifest = mail_shapes.CORPUS / "MANIFEST.json"
    if not manifest.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"mail corpus missing at {mail_shapes.CORPUS} (required when CI=true)")
        pytest.skip(f"mail corpus not found at {mail_shapes.CORPUS}")
    files = [mail_shapes.CORPUS / e["file"] for e in json.loads(manifest.read_text("utf-8"))]
    # An IMAP server stores lines ending in CRLF, as SMTP delivers them.
    raws = [re.sub(rb"\r?\n", b"\r\n", f.read_bytes()) for f in files]
    parsed = [parse_message(raw, mailbox=MAILBOX, received_at=utcnow()) for raw in raws]
    expected = sorted(p.event.external_id for p in parsed if isinstance(p, MailLead))
    not_leads = len(raws) - len(expected)
    assert expected and not_leads  # the corpus holds both kinds
    dovecot.deliver(user, raws)
    harness = sqlite_harness
    poller = harness.poller(mailbox_of(dovecot, user))
    async with running(poller):
        await wait_until(
            lambda: (
                poller.updates_stored == len(expected) and harness.outcomes["ignored"] == not_leads
            ),
            timeout=15,
        )
    assert sorted(r.external_id for r in await harness.rows()) == expected
    checkpoint = await harness.checkpoint()
    assert checkpoint is not None and checkpoint.last_uid == len(raws)


async def test_the_checkpoint_survives_a_restart_without_fetching_again(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    mailbox = mailbox_of(dovecot, user)
    first = harness.poller(mailbox)
    async with running(first):
        dovecot.deliver(user, mail_shapes.leads(3))
        await wait_until(lambda: first.updates_stored == 3)
    dovecot.deliver(user, mail_shapes.leads(2))
    # Mark-seen off: the restart must rely on the checkpoint, not on the flags.
    second = harness.poller(mailbox_of(dovecot, user, mark_seen=False))
    async with running(second):
        await wait_until(lambda: second.updates_stored == 2)
    assert first.messages_fetched == 3
    assert second.messages_fetched == 2
    assert harness.outcomes == Counter(accepted=5)
    assert len(await harness.rows()) == 5


async def test_a_changed_uidvalidity_resyncs_the_folder_without_duplicates(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    folder = "Заявки"
    client = dovecot.client(user)
    client.create_folder(folder)
    client.logout()
    kept = mail_shapes.leads(3)
    dovecot.deliver(user, kept, folder=folder)
    mailbox = mailbox_of(dovecot, user, folder=folder)
    first = harness.poller(mailbox)
    async with running(first):
        await wait_until(lambda: first.updates_stored == 3)
    before = await harness.checkpoint(folder)
    assert before is not None and before.last_uid == 3

    # The folder is recreated (a migration to another server does the same): new UIDVALIDITY,
    # the old messages under new UIDs, one new message among them, flags lost.
    client = dovecot.client(user)
    client.delete_folder(folder)
    client.create_folder(folder)
    client.logout()
    dovecot.deliver(user, [kept[0], mail_shapes.plain(), kept[1], kept[2]], folder=folder)
    second = harness.poller(mailbox)
    async with running(second):
        await wait_until(lambda: harness.outcomes["duplicate"] == 3 and second.updates_stored == 1)
    after = await harness.checkpoint(folder)
    assert after is not None and after.uidvalidity != before.uidvalidity
    assert (after.last_uid, after.unseen_through) == (4, 0)
    assert second.messages_fetched == 4  # the whole folder, once
    assert len(await harness.rows()) == 4
    assert harness.outcomes == Counter(accepted=4, duplicate=3)


async def test_a_server_going_away_mid_session_loses_nothing(
    dovecot_factory: DovecotFactory, user: str, harness: Harness
) -> None:
    server = dovecot_factory()
    poller = harness.poller(mailbox_of(server, user))
    sent = mail_shapes.leads(6)
    async with running(poller):
        server.deliver(user, sent[:3])
        await wait_until(lambda: poller.updates_stored == 3)
        server.stop()  # the poller sits in IDLE: its connection drops
        await wait_until(lambda: not poller.connected and poller.last_error is not None)
        assert "imap" in poller.last_error
        server.start()  # same port, same mail store
        server.deliver(user, sent[3:])
        # The error clears once the whole drain is done, a moment after the last store.
        await wait_until(
            lambda: poller.updates_stored == 6 and poller.last_error is None, timeout=10
        )
        assert poller.connected
    assert poller.sessions >= 2
    rows = await harness.rows()
    assert sorted(r.external_id for r in rows) == sorted(message_ids(sent))
    assert harness.outcomes == Counter(accepted=6)


async def test_messages_stay_unseen_until_they_are_stored(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    poller = harness.poller(mailbox_of(dovecot, user))
    async with running(poller):
        await wait_until(lambda: poller.sessions == 1 and poller.connected)
        await wait_until_checkpoint(harness)
        await harness.storage.close()  # the database goes away
        dovecot.deliver(user, mail_shapes.leads(2))
        await wait_until(lambda: (poller.last_error or "").startswith("storage unavailable"))
        assert poller.messages_fetched >= 2
        assert dovecot.seen(user) == set()
        await harness.storage.open()  # it comes back: the same messages are stored, once
        await wait_until(lambda: poller.updates_stored == 2, timeout=10)
        await wait_until(lambda: dovecot.seen(user) == {1, 2})
    assert len(await harness.rows()) == 2
    assert harness.outcomes == Counter(accepted=2)


class CheckpointFailsOnce(EmailPoller):
    """A poller whose first checkpoint after a stored batch fails, as in a crash just then."""

    failed = False

    async def _save(self, checkpoint: FolderCheckpoint) -> None:
        if checkpoint.last_uid > 0 and not self.failed:
            self.failed = True
            raise StorageUnavailable("the database went away after the inbox commit")
        await super()._save(checkpoint)


async def test_a_failure_between_storing_and_the_checkpoint_repeats_only_that_batch(
    dovecot: Dovecot, user: str, harness: Harness
) -> None:
    mailbox = mailbox_of(dovecot, user)
    poller = CheckpointFailsOnce(
        mailbox, harness.writer, harness.storage, harness.count, utcnow, backoff_min=0.02
    )
    async with running(poller):
        await wait_until_checkpoint(harness)
        sent = mail_shapes.leads(3)
        dovecot.deliver(user, sent)
        await wait_until(lambda: harness.outcomes["duplicate"] == 3)
        await wait_until(lambda: dovecot.seen(user) == {1, 2, 3})
    # Fetched twice, stored once: the inbox's unique Message-ID absorbed the repeat.
    assert poller.failed and poller.messages_fetched == 6
    assert harness.outcomes == Counter(accepted=3, duplicate=3)
    assert sorted(r.external_id for r in await harness.rows()) == sorted(message_ids(sent))
    checkpoint = await harness.checkpoint()
    assert checkpoint is not None and checkpoint.last_uid == 3


async def wait_until_checkpoint(harness: Harness, timeout: float = 5.0) -> None:
    """Wait until the first start has saved its checkpoint."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await harness.checkpoint() is None:
        assert asyncio.get_running_loop().time() < deadline, "no checkpoint saved"
        await asyncio.sleep(0.01)


async def test_without_idle_the_folder_is_polled_and_flags_can_stay_untouched(
    dovecot: Dovecot, user: str, sqlite_harness: Harness
) -> None:
    harness = sqlite_harness
    poller = harness.poller(mailbox_of(dovecot, user, idle=False, mark_seen=False))
    async with running(poller):
        await wait_until(lambda: poller.sessions == 1 and poller.connected)
        dovecot.deliver(user, mail_shapes.leads(2))
        await wait_until(lambda: poller.updates_stored == 2)
    assert dovecot.seen(user) == set()


async def test_a_refused_login_is_reported_without_credentials(
    dovecot_factory: DovecotFactory, user: str, sqlite_harness: Harness
) -> None:
    harness = sqlite_harness
    # A server of its own: Dovecot delays later logins from an address that failed one.
    server = dovecot_factory()
    poller = harness.poller(mailbox_of(server, user, password="wrong"))
    async with running(poller):
        await wait_until(lambda: poller.last_error is not None, timeout=10)
    assert poller.last_error is not None and "login refused" in poller.last_error
    assert user not in poller.last_error and "wrong" not in poller.last_error
    assert not poller.connected and poller.sessions == 0


async def test_the_service_turns_mail_into_leads_and_shows_the_mailbox_in_readyz(
    dovecot: Dovecot, user: str, tmp_path: Path
) -> None:
    path = tmp_path / "leadintake.toml"
    extra = (
        f'\n[[email.mailboxes]]\nname = "{MAILBOX}"\nhost = "{dovecot.host}"\n'
        f'port = {dovecot.port}\nsecurity = "none"\nlogin = "{user}"\nqueue = "main"\n'
    )
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    settings = load_settings(path, environ={"LEADINTAKE_EMAIL_SALES_PASSWORD": PASSWORD})
    dovecot.deliver(user, [mail_shapes.plain(), mail_shapes.auto_reply()])
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as service,
    ):
        [lead] = await service.wait_for_leads(1)
        assert lead["channel"] == "email" and lead["source"] == MAILBOX
        assert lead["email"] == "ivan.petrov@example.ru"
        async with service.client.get("/readyz", headers=service.auth()) as response:
            body = await response.json()
    state = body["checks"]["channels"][f"email:{MAILBOX}"]
    assert state["connected"] is True and state["last_error"] is None
    assert state["updates_stored"] == 1
    ignored = service.services.metrics.registry.get_sample_value(
        "leadintake_intake_requests_total", {"channel": "email", "outcome": "ignored"}
    )
    assert ignored == 1


async def test_running_email_pollers_polls_every_configured_mailbox(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    users = [new_user(), new_user()]
    path = tmp_path / "leadintake.toml"
    extra = "".join(
        f'\n[[email.mailboxes]]\nname = "{name}"\nhost = "{dovecot.host}"\n'
        f'port = {dovecot.port}\nsecurity = "none"\nlogin = "{login}"\n'
        for name, login in zip(["sales", "support"], users, strict=True)
    )
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    env = {
        "LEADINTAKE_EMAIL_SALES_PASSWORD": PASSWORD,
        "LEADINTAKE_EMAIL_SUPPORT_PASSWORD": PASSWORD,
    }
    settings = load_settings(path, environ=env)
    for login in users:
        dovecot.deliver(login, mail_shapes.leads(1))
    async with storage_of_kind("sqlite", tmp_path) as storage:
        await storage.open()
        await storage.migrate()
        services = build_services(settings, storage)
        services.writer.start()
        try:
            async with running_email_pollers(services) as pollers:
                assert sorted(pollers) == ["sales", "support"]
                await wait_until(lambda: all(p.updates_stored == 1 for p in pollers.values()))
            assert not any(p.running or p.connected for p in pollers.values())
        finally:
            await services.writer.stop()
            await storage.close()
