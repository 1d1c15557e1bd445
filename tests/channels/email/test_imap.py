"""The IMAP client against a real Dovecot: UIDs, PEEK, \\Seen, IDLE and errors at the boundary."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from channels.email.imap import (
    SECURITY_NONE,
    SECURITY_STARTTLS,
    SECURITY_TLS,
    FetchedMessage,
    ImapFolder,
)
from channels.email.parse import MailLead, parse_message
from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from tests import mail_shapes
from tests.dovecot import (
    PASSWORD,
    Dovecot,
    DovecotFactory,
    dovecot,
    dovecot_factory,
    free_port,
    new_user,
)

__all__ = ["dovecot", "dovecot_factory"]  # the shared fixtures, used by name


def folder_of(
    server: Dovecot, user: str, *, password: str = PASSWORD, folder: str = "INBOX"
) -> ImapFolder:
    """An unopened client for the user's folder on this server."""
    return ImapFolder(server.host, server.port, SECURITY_NONE, user, password, folder, timeout=5)


@pytest.fixture
def user() -> str:
    return new_user()


@pytest.fixture
def inbox(dovecot: Dovecot, user: str) -> Iterator[ImapFolder]:
    """The user's INBOX, opened (Dovecot creates the mailbox at the first login)."""
    folder = folder_of(dovecot, user)
    folder.open()
    try:
        yield folder
    finally:
        folder.close()


def test_open_reads_uidvalidity_uidnext_and_idle(dovecot: Dovecot, user: str) -> None:
    dovecot.deliver(user, [mail_shapes.plain(), mail_shapes.plain()])
    folder = folder_of(dovecot, user)
    try:
        state = folder.open()
        client = dovecot.client(user)
        expected = client.select_folder("INBOX", readonly=True)
        client.logout()
        assert state.uidvalidity == expected[b"UIDVALIDITY"] > 0
        assert (state.uidnext, state.exists, state.idle) == (3, 2, True)
        # Reopening the same folder keeps its UIDVALIDITY.
        assert folder.open().uidvalidity == state.uidvalidity
    finally:
        folder.close()


def test_uids_after_lists_only_newer_messages(
    dovecot: Dovecot, user: str, inbox: ImapFolder
) -> None:
    assert inbox.uids_after(0) == []
    uids = dovecot.deliver(user, [mail_shapes.plain() for _ in range(3)])
    assert uids == [1, 2, 3]
    assert inbox.uids_after(0) == [1, 2, 3]
    assert inbox.uids_after(1) == [2, 3]
    # "4:*" matches the highest UID (3) in IMAP; the client leaves it out.
    assert inbox.uids_after(3) == []
    assert inbox.highest_uid() == 3


def test_fetch_peeks_and_mark_seen_sets_the_flag(
    dovecot: Dovecot, user: str, inbox: ImapFolder
) -> None:
    sent = [mail_shapes.cp1251(), mail_shapes.alternative(), mail_shapes.bounce()]
    dovecot.deliver(user, sent)
    assert inbox.uids_after(0) == [1, 2, 3]
    fetched = inbox.fetch([3, 1, 2])
    assert [m.uid for m in fetched] == [1, 2, 3]
    assert [m.raw for m in fetched] == sent  # byte for byte, 8-bit cp1251 included
    assert dovecot.seen(user) == set()  # BODY.PEEK[]: reading set no flag
    inbox.mark_seen([1, 3])
    assert dovecot.seen(user) == {1, 3}
    assert inbox.unseen_between(1, 3) == [2]
    assert inbox.unseen_between(3, 3) == []
    assert inbox.unseen_between(3, 2) == []


def test_fetch_leaves_out_messages_expunged_meanwhile(
    dovecot: Dovecot, user: str, inbox: ImapFolder
) -> None:
    dovecot.deliver(user, [mail_shapes.plain(), mail_shapes.plain()])
    assert inbox.uids_after(0) == [1, 2]
    client = dovecot.client(user)
    client.select_folder("INBOX")
    client.delete_messages([1])
    client.expunge()
    client.logout()
    assert [m.uid for m in inbox.fetch([1, 2])] == [2]
    assert inbox.uids_after(0) == [2]


def test_idle_wakes_when_mail_is_appended(dovecot: Dovecot, user: str, inbox: ImapFolder) -> None:
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        woke = pool.submit(inbox.wait, 20.0)
        dovecot.deliver(user, [mail_shapes.plain()])
        assert woke.result(timeout=20) is True
    assert time.monotonic() - started < 10
    assert inbox.uids_after(0) == [1]


def test_idle_returns_false_after_its_timeout(inbox: ImapFolder) -> None:
    started = time.monotonic()
    assert inbox.wait(0.2) is False
    assert time.monotonic() - started < 5
    assert inbox.uids_after(0) == []  # the session is usable after IDLE


def test_mail_arriving_just_before_idle_wakes_it_at_once(
    dovecot: Dovecot, user: str, inbox: ImapFolder
) -> None:
    assert inbox.uids_after(0) == []
    dovecot.deliver(user, [mail_shapes.plain()])
    # The server announces it with its "+ idling" answer, often in the same packet.
    started = time.monotonic()
    assert inbox.wait(10.0) is True
    assert time.monotonic() - started < 5
    assert inbox.uids_after(0) == [1]


def test_news_announced_with_another_command_skips_idle(
    dovecot: Dovecot, user: str, inbox: ImapFolder
) -> None:
    inbox.uids_after(0)
    dovecot.deliver(user, [mail_shapes.plain()])
    inbox.uids_after(0)  # may already carry "* 1 EXISTS"
    assert inbox.wait(10.0) is True


def test_wait_without_idle_returns_at_once(inbox: ImapFolder) -> None:
    assert inbox.state is not None
    inbox.state = replace(inbox.state, idle=False)
    started = time.monotonic()
    assert inbox.wait(20.0) is False
    assert time.monotonic() - started < 1


def test_a_refused_login_raises_auth_failed_without_the_login(
    dovecot_factory: DovecotFactory, user: str
) -> None:
    # A server of its own: Dovecot delays later logins from an address that failed one.
    folder = folder_of(dovecot_factory(), user, password="wrong")
    with pytest.raises(ChannelAuthFailed, match="login refused") as err:
        folder.open()
    assert user not in str(err.value)
    assert "AUTHENTICATIONFAILED" in str(err.value)


def test_starttls_without_server_support_is_refused_not_retried_quickly(
    dovecot: Dovecot, user: str
) -> None:
    # The test server offers no TLS: a mailbox configured for STARTTLS must not fall back to
    # plain text (its password would cross the network in clear).
    folder = ImapFolder(dovecot.host, dovecot.port, SECURITY_STARTTLS, user, PASSWORD, timeout=5)
    with pytest.raises(ChannelError, match="lacks a needed capability") as err:
        folder.open()
    assert not isinstance(err.value, ChannelUnavailable)
    folder.close()


def test_tls_against_a_plain_port_raises_unavailable(dovecot: Dovecot, user: str) -> None:
    folder = ImapFolder(dovecot.host, dovecot.port, SECURITY_TLS, user, PASSWORD, timeout=5)
    with pytest.raises(ChannelUnavailable, match="connect failed"):
        folder.open()


def test_an_unreachable_server_raises_unavailable(dovecot: Dovecot, user: str) -> None:
    folder = ImapFolder("127.0.0.1", free_port(), SECURITY_NONE, user, PASSWORD, timeout=2)
    with pytest.raises(ChannelUnavailable, match="connect failed: ConnectionRefusedError"):
        folder.open()


def test_a_missing_folder_raises_unavailable(dovecot: Dovecot, user: str) -> None:
    folder = folder_of(dovecot, user, folder="Заявки")
    with pytest.raises(ChannelUnavailable, match="select failed") as err:
        folder.open()
    assert "Заявки" not in str(err.value)


def test_a_server_going_away_mid_session_raises_unavailable(
    dovecot_factory: DovecotFactory, user: str
) -> None:
    server = dovecot_factory()
    folder = folder_of(server, user)
    folder.open()
    server.stop()
    with pytest.raises(ChannelUnavailable):
        folder.uids_after(0)
    folder.close()  # quiet on a dead connection
    server.start()
    server.deliver(user, [mail_shapes.plain()])
    assert folder.open().exists == 1
    assert folder.uids_after(0) == [1]
    folder.close()


def test_a_server_going_away_during_idle_raises_unavailable(
    dovecot_factory: DovecotFactory, user: str
) -> None:
    server = dovecot_factory()
    folder = folder_of(server, user)
    folder.open()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(folder.wait, 20.0)
        server.stop()
        with pytest.raises(ChannelUnavailable):
            waiting.result(timeout=20)
    folder.close()


def huge_with_attachment(attachment_bytes: int) -> bytes:
    """A request with a large attachment, as a scanner or a price list makes it."""
    blob = base64.encodebytes(os.urandom(attachment_bytes)).replace(b"\n", b"\r\n")
    return (
        b"From: =?utf-8?b?0JjQstCw0L0=?= <big@client.ru>\r\n"
        b"To: sales@example.ru\r\nSubject: Price list\r\n"
        b"Message-ID: <huge-1@client.ru>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Прошу счёт на 40 штук, тел. +7 916 111-22-33\r\n".encode()
        + b'--b1\r\nContent-Type: application/pdf; name="scan.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"\r\n--b1--\r\n"
    )


def test_a_huge_message_is_fetched_as_its_headers_and_the_start_of_its_body(
    dovecot: Dovecot, user: str
) -> None:
    big = huge_with_attachment(300_000)
    dovecot.deliver(user, [mail_shapes.plain(), big])
    folder = ImapFolder(
        dovecot.host,
        dovecot.port,
        SECURITY_NONE,
        user,
        PASSWORD,
        timeout=5,
        max_message_bytes=64_000,
    )
    folder.open()
    try:
        small, cut = folder.fetch([1, 2])
    finally:
        folder.close()
    assert not small.truncated and small.size is None
    assert cut.truncated and cut.size is not None and cut.size > 300_000
    assert len(cut.raw) < 70_000 and cut.raw.startswith(b"From: ")
    lead = parse_message(cut.raw, mailbox="sales", received_at=datetime.now(UTC))
    assert isinstance(lead, MailLead)
    assert lead.event.comment is not None and "40 штук" in lead.event.comment
    assert dovecot.seen(user) == set()


def test_a_lead_from_a_cut_message_says_how_big_it_was() -> None:
    from intake.email_polling import _parsed

    raw = huge_with_attachment(1_000)
    whole = _parsed(FetchedMessage(1, raw), "sales", datetime.now(UTC))
    cut = _parsed(FetchedMessage(2, raw[:600], size=len(raw)), "sales", datetime.now(UTC))
    assert isinstance(whole, MailLead) and "truncated_size" not in whole.event.meta
    assert isinstance(cut, MailLead) and cut.event.meta["truncated_size"] == str(len(raw))
