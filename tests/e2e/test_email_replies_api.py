"""E-mail replies over the running service: a client e-mails the mailbox (Dovecot, read by the
service's IMAP poller), the manager answers through the conversations API, the SMTP stand-in
receives exactly one reply, and that reply threads under the client's message in Dovecot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from config import load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.dovecot import PASSWORD, Dovecot, dovecot, dovecot_factory, new_user
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_replies_api import reply, wait_assigned, wait_for_state
from tests.integration.smtp_support import MAILBOX_UNAVAILABLE, SmtpStandIn, parse, smtp_stand_in
from tests.integration.test_email_replies import CLIENT, ORIGINAL, ORIGINAL_ID, threads

__all__ = ["dovecot", "dovecot_factory"]  # shared fixtures, used by name
ADDRESS = "sales@company.example"


@asynccontextmanager
async def started(
    kind: str, tmp_path: Path, server: Dovecot, *, smtp: bool = True, more_config: str = ""
) -> AsyncIterator[tuple[Running, SmtpStandIn, str]]:
    """The service reading a fresh Dovecot mailbox, replying through the SMTP stand-in (or,
    with `smtp` false, a mailbox with no SMTP settings); `more_config` is TOML added."""
    user = new_user()
    async with smtp_stand_in() as stand_in:
        sending = (
            f'smtp_host = "{stand_in.host}"\nsmtp_port = {stand_in.port}\n'
            'smtp_security = "none"\nsmtp_login = ""\n'
            if smtp
            else ""
        )
        extra = (
            f'\n[[email.mailboxes]]\nname = "sales"\nhost = "{server.host}"\n'
            f'port = {server.port}\nsecurity = "none"\nlogin = "{user}"\n'
            f'address = "{ADDRESS}"\n{sending}{more_config}'
        )
        path = tmp_path / "leadintake.toml"
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
        settings = load_settings(path, environ={"LEADINTAKE_EMAIL_SALES_PASSWORD": PASSWORD})
        async with (
            storage_of_kind(kind, tmp_path) as storage,
            run_service(settings, storage) as running,
        ):
            yield running, stand_in, user


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def client_emails(running: Running, server: Dovecot, user: str) -> dict[str, Any]:
    """The client's mail lands in the mailbox; returns its lead once assigned."""
    server.deliver(user, [ORIGINAL])
    [lead] = await running.wait_for_leads(1)
    assert lead["channel"] == "email"
    return await wait_assigned(running, lead["id"])


async def test_a_client_who_emailed_gets_one_reply_threaded_under_their_message(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        owner = lead["assignee"]

        status, queued = await reply(
            running, lead["id"], {"text": "Иван, добрый день! Счёт пришлём завтра."}, owner
        )
        items = await wait_for_state(running, lead["id"], owner, "sent")

    assert status == 202, queued
    assert (queued["channel"], queued["state"]) == ("email", "queued")
    assert [(i["direction"], i["channel"], i["state"]) for i in items] == [
        ("in", "email", None),
        ("out", "email", "sent"),
    ]
    assert len(smtp.tried) == 1 and len(smtp.accepted) == 1
    envelope_from, recipients, raw = smtp.accepted[0]
    assert (envelope_from, recipients) == (ADDRESS, [CLIENT])
    sent = parse(raw)
    assert (sent["From"], sent["Subject"]) == (ADDRESS, "Re: Заявка на поставку")
    assert sent["In-Reply-To"] == sent["References"] == f"<{ORIGINAL_ID}>"
    body = sent.get_content().replace("\r\n", "\n")
    assert body.startswith("Иван, добрый день! Счёт пришлём завтра.\n\n6 декабря 2026 г.,")
    assert "> Нужно 40 штук к пятнице, пришлите счёт." in body

    client_box = new_user()
    uids = dovecot.deliver(client_box, [ORIGINAL, raw])
    assert threads(dovecot, client_box) == [uids]


async def test_a_refused_address_shows_the_reply_failed_with_the_servers_reason(
    kind: str, tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started(kind, tmp_path, dovecot) as (running, smtp, user):
        smtp.faults.append(MAILBOX_UNAVAILABLE)
        lead = await client_emails(running, dovecot, user)

        status, _ = await reply(running, lead["id"], {"text": "Вы здесь?"}, lead["assignee"])
        items = await wait_for_state(running, lead["id"], lead["assignee"], "failed")

    assert status == 202
    assert items[-1]["error"] == (
        "SMTP 550 5.1.1 <***>: Recipient address rejected: mailbox unavailable"
    )
    assert smtp.accepted == []


async def test_a_mailbox_without_smtp_settings_is_refused_naming_the_channel(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    async with started("sqlite", tmp_path, dovecot, smtp=False) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)

        status, body = await reply(running, lead["id"], {"text": "Добрый день!"}, "head")
        asked = await reply(
            running, lead["id"], {"text": "Добрый день!", "channel": "email"}, "head"
        )

    assert (status, body["error"], body["field"]) == (422, "channel_unavailable", "channel")
    assert "smtp_host" in body["message"]
    assert (asked[0], asked[1]["error"]) == (422, "channel_unavailable")
    assert smtp.tried == []
