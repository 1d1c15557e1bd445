"""E-mail notifier: a plain-text UTF-8 letter over SMTP (aiosmtplib)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from crm_core.notifications import OutboxMessage
from intake.clock import utcnow
from intake.notify.errors import DeliveryFailed
from intake.notify.texts import render

_ENHANCED_STATUS = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


class EmailNotifier:
    """Sends notifications as e-mail through one SMTP server, one connection per letter."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = False,
        timeout: float = 10,
    ) -> None:
        # start_tls=None upgrades only when the server offers STARTTLS (aiosmtplib's default).
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._use_tls = use_tls
        self._start_tls = start_tls
        self._timeout = timeout

    def build(self, message: OutboxMessage) -> EmailMessage:
        """The letter for a notification (Russian subject and body, link at the end)."""
        address = message.address.strip()
        if not _ADDRESS.fullmatch(address):
            raise DeliveryFailed("email: the address is not an e-mail address", permanent=True)
        rendered = render(message.kind, message.payload)
        letter = EmailMessage()
        letter["From"] = self._sender
        letter["To"] = address
        letter["Subject"] = rendered.subject
        letter["Date"] = format_datetime(utcnow())
        letter["Message-ID"] = make_msgid(
            domain=parseaddr(self._sender)[1].rpartition("@")[2] or None
        )
        # RFC 3834: keeps vacation auto-replies from answering a robot.
        letter["Auto-Submitted"] = "auto-generated"
        body = rendered.text
        if rendered.link:
            body += f"\n\nОткрыть заявку: {rendered.link}"
        letter.set_content(body + "\n\n—\nLeadIntake\n", charset="utf-8")
        return letter

    async def send(self, message: OutboxMessage) -> None:
        """Send the notification to the address `message.address`."""
        letter = self.build(message)
        try:
            await aiosmtplib.send(
                letter,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._start_tls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as err:
            raise _translate(err) from err


def _translate(err: BaseException) -> DeliveryFailed:
    """Our error for an SMTP one; its text names codes only, never the addresses."""
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({refused.code for refused in err.recipients})
        # All recipients refused; a 4xx among them (mailbox busy, greylisting) may pass.
        permanent = all(code >= 500 for code in codes)
        details = ", ".join(str(code) for code in codes)
        return DeliveryFailed(f"email: recipient refused ({details})", permanent=permanent)
    if isinstance(err, aiosmtplib.SMTPResponseException):
        status = _ENHANCED_STATUS.search(err.message)
        details = f"{err.code} {status.group()}" if status else str(err.code)
        what = _WHAT.get(type(err), "server error")
        # Only a 5xx about this letter or its recipient is final. A refused sender, failed
        # login or refused greeting is our configuration or their server, not this letter:
        # the letter waits for the fix instead of every queued notification failing for good.
        about_letter = isinstance(err, aiosmtplib.SMTPDataError | aiosmtplib.SMTPRecipientRefused)
        return DeliveryFailed(
            f"email: {what} ({details})", permanent=about_letter and err.code >= 500
        )
    if isinstance(err, TimeoutError):
        return DeliveryFailed("email: timeout", permanent=False)
    if isinstance(err, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected):
        return DeliveryFailed(f"email: connection failed ({type(err).__name__})", permanent=False)
    if isinstance(err, OSError):
        return DeliveryFailed(f"email: connection failed ({type(err).__name__})", permanent=False)
    return DeliveryFailed(f"email: {type(err).__name__}", permanent=False)


_WHAT: dict[type[BaseException], str] = {
    aiosmtplib.SMTPDataError: "letter refused",
    aiosmtplib.SMTPRecipientRefused: "recipient refused",
    aiosmtplib.SMTPSenderRefused: "sender refused",
    aiosmtplib.SMTPAuthenticationError: "authentication failed",
    aiosmtplib.SMTPHeloError: "greeting refused",
    aiosmtplib.SMTPConnectResponseError: "connection refused by the server",
}
