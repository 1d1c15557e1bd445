"""Raw RFC 822 message → a lead (InboundEvent) or the reason it is not one.

Built on the standard library's `email` package (policy.default) for the MIME structure, but
headers are decoded here from their raw bytes: real mail carries raw 8-bit headers in
cp1251/koi8-r/latin-1, encoded words split inside a character and other damage that the
stdlib header objects either reject or turn into replacement characters.

Never raises. A message that could be parsed at all becomes a lead with whatever was
readable, or a NotALead with a reason (const.NOT_A_LEAD_*); "unreadable" is kept for input
where no sender, subject or Message-ID could be found (bytes that are not a message).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from channels.email.body import Attachment, Collected, collect_parts, part_content
from channels.email.const import (
    AUTO_SUBJECT,
    BOUNCE_LOCALS,
    BOUNCE_SUBJECT,
    CHANNEL,
    MAX_COMMENT_CHARS,
    NO_REPLY_LOCALS,
    NOT_A_LEAD_AUTO_REPLY,
    NOT_A_LEAD_BOUNCE,
    NOT_A_LEAD_BULK,
    NOT_A_LEAD_MAILING_LIST,
    NOT_A_LEAD_NO_REPLY,
    NOT_A_LEAD_NO_SENDER,
    NOT_A_LEAD_SERVICE,
    NOT_A_LEAD_SPAM,
    NOT_A_LEAD_UNREADABLE,
    RISKY_ATTACHMENT,
    ROLE_LOCALS,
)
from channels.email.headers import (
    Address,
    charset_hint,
    decode_subject,
    first_address,
    first_id,
    format_address,
    header_date,
    header_text,
    message_ids,
    raw_headers,
    strip_leading_junk,
)
from channels.email.history import strip_history
from channels.email.signature import signature_facts
from channels.files import FILES_META_KEY, ListedFile, files_meta
from channels.model import EventKind, InboundEvent, PersonDetails

# ---------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class MailContent:
    """Everything read from one message, before deciding whether it is a lead."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: Address | None
    reply_to: Address | None
    subject: str | None
    date: datetime | None
    text: str
    phones: tuple[str, ...]
    signature_phones: tuple[str, ...]
    company: str | None
    attachments: tuple[Attachment, ...]
    not_a_lead: str | None = None

    @property
    def thread_reply(self) -> bool:
        """True when the message names an earlier one (In-Reply-To or References)."""
        return bool(self.in_reply_to or self.references)


@dataclass(frozen=True, slots=True)
class MailLead:
    """A message that becomes a lead, with its thread ids for attaching replies later."""

    event: InboundEvent
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotALead:
    """A message skipped without a lead, and why (const.NOT_A_LEAD_*)."""

    reason: str
    message_id: str | None


ParsedMail = MailLead | NotALead


def parse_message(raw: bytes, *, mailbox: str, received_at: datetime) -> ParsedMail:
    """Turn one raw message from `mailbox` into a lead or a reason to skip it; never raises."""
    message_id: str | None = None
    try:
        content = read_mail(raw)
        message_id = content.message_id
        if content.not_a_lead is not None:
            return NotALead(content.not_a_lead, message_id)
        return _lead(raw, content, mailbox, received_at)
    except Exception:  # the contract is "never raises": any parser bug is an unreadable mail
        return NotALead(NOT_A_LEAD_UNREADABLE, message_id)


def locate_files(event: InboundEvent, folder: str, uidvalidity: int, uid: int) -> InboundEvent:
    """The event with its files' references naming the IMAP message they are in:
    `[folder, uidvalidity, uid, index]` as JSON."""
    listed = event.meta.get(FILES_META_KEY)
    if not listed:
        return event
    files = [
        {**f, "ref": json.dumps([folder, uidvalidity, uid, int(f["ref"])])}
        for f in json.loads(listed)
    ]
    return replace(
        event, meta={**event.meta, FILES_META_KEY: json.dumps(files, ensure_ascii=False)}
    )


def attachment_of(raw: bytes, index: int) -> tuple[Attachment, bytes] | None:
    """The message's `index`-th attachment (as `read_mail` lists them) and its bytes."""
    msg = BytesParser(policy=policy.default).parsebytes(strip_leading_junk(raw))
    collected = Collected()
    collect_parts(msg, collected, depth=0, in_report=False)
    if not 0 <= index < len(collected.attachments):
        return None
    return collected.attachments[index], part_content(collected.parts[index])


def read_mail(raw: bytes) -> MailContent:
    """Read headers, text, phones and attachments of a raw message, and classify it."""
    msg = BytesParser(policy=policy.default).parsebytes(strip_leading_junk(raw))
    headers = raw_headers(msg)
    hint = charset_hint(msg)
    sender = first_address(headers.get("from", []), hint)
    reply_to = first_address(headers.get("reply-to", []), hint)
    subject = decode_subject(headers.get("subject", []), hint)
    collected = Collected()
    collect_parts(msg, collected, depth=0, in_report=False)
    text = strip_history("\n\n".join(t for t in collected.texts if t.strip()))
    phones, signature_phones, company = signature_facts(text)
    content = MailContent(
        message_id=first_id(headers.get("message-id", [])),
        in_reply_to=first_id(headers.get("in-reply-to", [])),
        references=tuple(
            message_ids(" ".join(header_text(v) for v in headers.get("references", [])))
        ),
        sender=sender,
        reply_to=reply_to,
        subject=subject,
        date=header_date(headers.get("date", [])),
        text=text,
        phones=phones,
        signature_phones=signature_phones,
        company=company,
        attachments=tuple(collected.attachments),
    )
    reason = _classify(msg, headers, content, collected)
    if reason is None:
        return content
    return replace(content, not_a_lead=reason)


# ---------------------------------------------------------------------------- the lead


def _lead(raw: bytes, content: MailContent, mailbox: str, received_at: datetime) -> MailLead:
    sender = content.sender
    assert sender is not None  # _classify refuses mail without a sender
    person_address = sender
    reply_to = content.reply_to
    if reply_to is not None and not _is_no_reply(reply_to.address):
        person_address = reply_to
    name = person_address.name or sender.name
    message_id = content.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    meta = {"message_id": message_id, "from": format_address(sender)}
    if reply_to is not None:
        meta["reply_to"] = format_address(reply_to)
    if content.subject is not None:
        meta["subject"] = content.subject
    if content.date is not None:
        meta["date"] = content.date.isoformat()
    if content.attachments:
        meta["attachments"] = "; ".join(
            f"{a.filename or '(unnamed)'} ({a.content_type})" for a in content.attachments
        )
        # Each file by its place among the attachments; `locate_files` adds where the message
        # lies (folder, UIDVALIDITY, UID), so a download fetches it again by IMAP.
        meta.update(
            files_meta(
                [
                    ListedFile(a.filename or "файл", a.content_type, a.size, str(i))
                    for i, a in enumerate(content.attachments)
                ]
            )
        )
    if content.thread_reply:
        meta["thread_reply"] = "true"
        if content.in_reply_to:
            meta["in_reply_to"] = content.in_reply_to
        if content.references:
            meta["references"] = " ".join(content.references)
    fields: dict[str, str] = {}
    if content.signature_phones:
        fields["signature_phones"] = ", ".join(content.signature_phones)
    comment = content.text[:MAX_COMMENT_CHARS].rstrip() or None
    event = InboundEvent(
        channel=CHANNEL,
        source=mailbox,
        external_id=message_id,
        received_at=received_at,
        person=PersonDetails(name=name, email=person_address.address, company=content.company),
        comment=comment,
        fields=fields,
        meta=meta,
        kind=EventKind.MESSAGE,
    )
    return MailLead(
        event=event,
        message_id=message_id,
        in_reply_to=content.in_reply_to,
        references=content.references,
    )


# ---------------------------------------------------------------------------- classification


def _classify(
    msg: Message, headers: dict[str, list[bytes]], content: MailContent, collected: Collected
) -> str | None:
    """Why the message is not a lead, or None when it is one."""
    sender = content.sender
    if sender is None and not content.subject and not content.message_id:
        return NOT_A_LEAD_UNREADABLE
    local = _local_part(sender.address) if sender else ""
    subject = content.subject or ""
    content_type = msg.get_content_type() if _safe_bool(msg) else ""

    def value(name: str) -> str:
        return " ".join(header_text(v) for v in headers.get(name, [])).strip().lower()

    null_sender = value("return-path") in {"<>", ""} and "return-path" in headers
    if (
        local in BOUNCE_LOCALS
        or content_type == "multipart/report"
        or "x-failed-recipients" in headers
        or (null_sender and BOUNCE_SUBJECT.search(subject))
    ):
        return NOT_A_LEAD_BOUNCE
    auto_submitted = value("auto-submitted")
    if (
        (auto_submitted and auto_submitted.split(";")[0].strip() != "no")
        or "x-autoreply" in headers
        or "x-autorespond" in headers
        or "x-autoresponder" in headers
        or value("x-apple-action") == "vacation"
        or value("precedence") == "auto_reply"
        or AUTO_SUBJECT.search(subject)
    ):
        return NOT_A_LEAD_AUTO_REPLY
    precedence = value("precedence")
    if "list-id" in headers or precedence == "list":
        return NOT_A_LEAD_MAILING_LIST
    if precedence in {"bulk", "junk"} or "list-unsubscribe" in headers:
        return NOT_A_LEAD_BULK
    if value("x-spam-flag").startswith("yes") or value("x-spam-status").startswith("yes"):
        return NOT_A_LEAD_SPAM
    if not collected.has_plain and any(
        a.filename and RISKY_ATTACHMENT.search(a.filename) for a in content.attachments
    ):
        return NOT_A_LEAD_SPAM
    if local in ROLE_LOCALS and collected.marketing_html:
        return NOT_A_LEAD_SERVICE
    if sender is None:
        return NOT_A_LEAD_NO_SENDER
    usable_reply_to = content.reply_to is not None and not _is_no_reply(content.reply_to.address)
    if _is_no_reply(sender.address) and not usable_reply_to:
        return NOT_A_LEAD_NO_REPLY
    return None


def _local_part(address: str) -> str:
    return re.sub(r"[._-]", "", address.rpartition("@")[0].lower())


def _is_no_reply(address: str) -> bool:
    local = _local_part(address)
    return local in NO_REPLY_LOCALS or local in BOUNCE_LOCALS


def _safe_bool(msg: Message) -> bool:
    try:
        msg.get_content_type()
    except Exception:
        return False
    return True
