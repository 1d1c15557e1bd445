"""Replies to clients by e-mail: SMTP from the mailbox's own address, threaded under the
client's message (In-Reply-To, References), with the original quoted below.

The reply's Message-ID comes from the outgoing message's idempotency key, so a retry after a
lost answer re-sends the same Message-ID and mail clients show one message. SMTP has no other
idempotency: a message is sent again only when the server's answer to the previous try was
lost. A 4xx answer or a network failure is retried; a 5xx answer is final, with the server's
reason (addresses in it masked). With `sent_folder` set, a copy of each sent reply is
filed there by IMAP APPEND in the background: the reply counts as sent whatever the copy does.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from channels.email.imap import ImapFolder
from channels.email.parse import attachment_of
from channels.email.settings import EmailMailboxSettings
from channels.errors import ChannelError
from channels.sending import (
    Failed,
    FetchedFile,
    FileNotAvailable,
    OutgoingText,
    Retry,
    SendResult,
    Sent,
)

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
# A message fetched for one of its files may be this much larger than the file (its text,
# headers, other parts, base64's third).
FETCH_OVERHEAD_BYTES = 40 * 1024 * 1024
# How long `close` waits for copies still being filed in Sent folders.
COPY_GRACE_SECONDS = 10.0
# A long thread's References are cut to the first id and the newest ones (RFC 5322 3.6.4).
MAX_REFERENCES = 20
_REASON_LIMIT = 300
# A message that starts a thread (a document sent from a deal) carries its own subject under
# this context key, used as is; a reply has "Re: " and the client's subject.
NEW_SUBJECT = "new_subject"
# "Re:", "RE :", "Re[2]:", "Ответ:", "AW:", "SV:", repeated: one "Re: " is put back.
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|ответ|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def no_smtp_reason(mailbox: str) -> str:
    """Why a mailbox cannot answer, in the settings file's words."""
    return (
        f"the mailbox {mailbox!r} has no SMTP settings to reply with"
        " (smtp_host and address in [[email.mailboxes]])"
    )


class EmailSender:
    """SMTP replies through the configured mailboxes; one connection per message."""

    def __init__(
        self,
        mailboxes: Sequence[EmailMailboxSettings],
        *,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._mailboxes = {m.name: m for m in mailboxes}
        self._timeout = timeout
        self._clock = clock
        self._copies: set[asyncio.Task[None]] = set()

    async def send(self, message: OutgoingText) -> SendResult:
        """Send the reply from the named mailbox to the client's address."""
        mailbox = self._mailboxes.get(message.account)
        if mailbox is None:
            return Failed(f"email: no mailbox {message.account!r} is configured")
        if not mailbox.can_reply or mailbox.smtp_host is None:
            return Failed(f"email: {no_smtp_reason(mailbox.name)}")
        try:
            reply = build_reply(mailbox, message, self._clock())
        except (ValueError, TypeError) as err:
            # A header the standard library refuses (an address it cannot encode): the same
            # next time, so not retried.
            return Failed(f"email: the reply could not be built ({type(err).__name__})")
        smtp = aiosmtplib.SMTP(
            hostname=mailbox.smtp_host,
            port=mailbox.smtp_port,
            use_tls=mailbox.smtp_security == "tls",
            start_tls=mailbox.smtp_security == "starttls",
            timeout=self._timeout,
        )
        try:
            async with smtp:
                if mailbox.smtp_login:
                    await smtp.login(mailbox.smtp_login, mailbox.smtp_password or "")
                await smtp.send_message(reply)
        except aiosmtplib.SMTPRecipientsRefused as err:
            return _verdict(err.recipients[0].code, err.recipients[0].message)
        except aiosmtplib.SMTPResponseException as err:
            return _verdict(err.code, err.message)
        except (aiosmtplib.SMTPException, OSError) as err:
            # Connection refused or dropped, a timeout, TLS trouble: may pass.
            return Retry(f"email: SMTP unreachable ({type(err).__name__})")
        if mailbox.sent_folder:
            copy = asyncio.create_task(self._file_copy(mailbox, reply), name="email-sent-copy")
            self._copies.add(copy)
            copy.add_done_callback(self._copies.discard)
        return Sent(_bare(str(reply["Message-ID"])))

    async def fetch_file(self, account: str, ref: str, max_bytes: int) -> FetchedFile:
        """A client's attachment: its message fetched again by IMAP (folder, UIDVALIDITY,
        UID from the reference), the file taken out of it."""
        mailbox = self._mailboxes.get(account)
        if mailbox is None or not mailbox.password:
            raise FileNotAvailable(f"email: no mailbox {account!r} with a password is configured")
        try:
            folder_name, uidvalidity, uid, index = json.loads(ref)
            if not (
                isinstance(folder_name, str)
                and all(isinstance(n, int) for n in (uidvalidity, uid, index))
            ):
                raise ValueError(ref)
        except (ValueError, TypeError) as err:
            raise FileNotAvailable("email: the file has no IMAP reference") from err
        folder = ImapFolder(
            mailbox.host,
            mailbox.port,
            mailbox.security,
            mailbox.login,
            mailbox.password,
            folder_name,
            timeout=self._timeout,
            # The whole message, file included (the poller cuts large ones short).
            max_message_bytes=max_bytes + FETCH_OVERHEAD_BYTES,
        )

        def fetch() -> bytes:
            try:
                state = folder.open(readonly=True)
                if state.uidvalidity != uidvalidity:
                    raise FileNotAvailable("email: the folder was rebuilt since (UIDVALIDITY)")
                found = folder.fetch([uid])
            finally:
                folder.close()
            if not found:
                raise FileNotAvailable("email: the message is no longer in the mailbox")
            if found[0].truncated:
                raise FileNotAvailable(f"email: the message is larger than {max_bytes} bytes")
            return found[0].raw

        try:
            raw = await asyncio.to_thread(fetch)
        except ChannelError as err:
            raise FileNotAvailable(
                f"email: IMAP failed ({type(err).__name__})", temporary=True
            ) from err
        taken = await asyncio.to_thread(attachment_of, raw, index)
        if taken is None:
            raise FileNotAvailable("email: the message has no such attachment")
        attachment, content = taken
        return FetchedFile(content, attachment.content_type)

    async def close(self) -> None:
        """Let copies still being filed finish (briefly); no connection is kept open."""
        if self._copies:
            await asyncio.wait(set(self._copies), timeout=COPY_GRACE_SECONDS)

    async def _file_copy(self, mailbox: EmailMailboxSettings, reply: EmailMessage) -> None:
        assert mailbox.sent_folder is not None
        raw = reply.as_bytes(policy=reply.policy.clone(linesep="\r\n"))
        folder = ImapFolder(
            mailbox.host,
            mailbox.port,
            mailbox.security,
            mailbox.login,
            mailbox.password or "",
            mailbox.sent_folder,
            timeout=self._timeout,
        )

        def append() -> None:
            try:
                folder.append(raw)
            finally:
                folder.close()

        try:
            await asyncio.to_thread(append)
        except ChannelError as err:
            # The client has the reply; only the mailbox's own record of it is missing.
            log.warning(
                "email_sent_copy_failed mailbox=%s error=%s", mailbox.name, type(err).__name__
            )


def build_sender(mailboxes: Sequence[EmailMailboxSettings]) -> EmailSender:
    """The channel's sender from `[[email.mailboxes]]` (the spec's `SenderSpec.build`)."""
    return EmailSender(mailboxes)


def unavailable(mailboxes: Sequence[EmailMailboxSettings]) -> Mapping[str, str]:
    """The mailboxes that cannot answer (no SMTP server or From), with the reason."""
    return {m.name: no_smtp_reason(m.name) for m in mailboxes if not m.can_reply}


def build_reply(
    mailbox: EmailMailboxSettings, message: OutgoingText, now: datetime
) -> EmailMessage:
    """The reply as sent: From the mailbox, To the client, threaded, the original quoted."""
    assert mailbox.address is not None
    context = message.context
    reply = EmailMessage(policy=policy.default)
    reply["From"] = mailbox.address
    reply["To"] = _recipient(message.address, context.get("from", ""))
    reply["Subject"] = context.get(NEW_SUBJECT) or reply_subject(context.get("subject", ""))
    reply["Date"] = format_datetime(now.astimezone(UTC))
    reply["Message-ID"] = reply_message_id(message.idempotency_key, mailbox.address)
    original = context.get("message_id", "")
    if original and not original.startswith("sha256:"):  # an id of ours, not the client's
        reply["In-Reply-To"] = f"<{original}>"
        reply["References"] = " ".join(
            f"<{i}>" for i in _references(context.get("references", "").split(), original)
        )
    reply.set_content(reply_body(message.text, context))
    for file in message.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        if not (maintype and subtype) or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        reply.add_attachment(file.content, maintype, subtype, filename=file.name)
    return reply


def reply_subject(original: str) -> str:
    """ "Re: " and the original subject, without stacking prefixes."""
    subject = _REPLY_PREFIX.sub("", " ".join(original.split()))
    return f"Re: {subject}" if subject else "Re:"


def reply_message_id(idempotency_key: str, address: str) -> str:
    """Our Message-ID for a reply: the same for every try of one outgoing message."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    domain = address.rpartition("@")[2] or "leadintake.invalid"
    return f"<{digest}.reply@{domain}>"


def reply_body(text: str, context: Mapping[str, str]) -> str:
    """The manager's text, then the attribution line and the client's message quoted."""
    body = text.rstrip() + "\n"
    quote = context.get("quote", "").strip("\n")
    if not quote:
        return body
    lines = [f"> {line}" if line.strip() else ">" for line in quote.splitlines()]
    return f"{body}\n{attribution(context)}\n" + "\n".join(lines) + "\n"


def attribution(context: Mapping[str, str]) -> str:
    """ "6 декабря 2026 г., Иван Петров <ivan@example.ru> написал(а):"."""
    who = " ".join(context.get("from", "").split()) or "Клиент"
    try:
        when = datetime.fromisoformat(context.get("date", ""))
    except ValueError:
        return f"{who} написал(а):"
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year} г., {who} написал(а):"


def _recipient(address: str, original_from: str) -> str:
    """The client's address, with the name they wrote under when it is the same address."""
    name, sender = parseaddr(original_from)
    if name and sender.lower() == address.lower():
        try:
            return str(Address(display_name=name, addr_spec=address))
        except (ValueError, IndexError):
            pass
    return address


def _references(earlier: list[str], original: str) -> list[str]:
    ids = list(dict.fromkeys([*earlier, original]))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def _bare(message_id: str) -> str:
    return message_id.strip().removeprefix("<").removesuffix(">")


def _verdict(code: int, text: str) -> SendResult:
    reason = f"SMTP {code} {_mask(text)}".strip()
    if 400 <= code < 500:
        return Retry(reason)
    # 5xx (mailbox unavailable, message refused, authentication failed): the server says the
    # same next time. Anything else is an answer we could not read: try again.
    return Failed(reason) if code >= 500 else Retry(reason)


def _mask(text: str) -> str:
    """The server's words, one line, with addresses (personal data) masked."""
    text = _ADDRESS.sub("***", " ".join(text.split()))
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"
