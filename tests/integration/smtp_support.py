"""A local SMTP server (aiosmtpd on the test's own event loop) standing in for the mailbox
provider's submission server: it records every message it accepted and answers DATA with the
queued faults first ("451 ...", "550 ..."), one per message, as a real server would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

TRY_LATER = "451 4.3.0 Temporary local problem, please try again later"
MAILBOX_UNAVAILABLE = (
    "550 5.1.1 <ivan.petrov@example.ru>: Recipient address rejected: mailbox unavailable"
)


@dataclass
class SmtpStandIn:
    """What the server saw: every DATA attempt, and the messages it accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    faults: list[str] = field(default_factory=list)
    # The raw message of every DATA attempt, refused ones included.
    tried: list[bytes] = field(default_factory=list)
    # (envelope sender, recipients, raw message) of each accepted message.
    accepted: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Accept the message unless a fault is queued."""
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.tried.append(content)
        if self.faults:
            return self.faults.pop(0)
        self.accepted.append((str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 2.0.0 Ok: queued"

    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed."""
        return [parse(raw) for _, _, raw in self.accepted]


def parse(raw: bytes) -> EmailMessage:
    """A raw message as the standard library reads it."""
    parsed: Any = BytesParser(policy=policy.default).parsebytes(raw)
    return parsed


@asynccontextmanager
async def smtp_stand_in() -> AsyncIterator[SmtpStandIn]:
    """The SMTP stand-in listening on a loopback port for the block."""
    stand_in = SmtpStandIn()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(stand_in, hostname="smtp.test", enable_SMTPUTF8=True),
        stand_in.host,
        0,
    )
    stand_in.port = server.sockets[0].getsockname()[1]
    try:
        yield stand_in
    finally:
        server.close()
        await server.wait_closed()
