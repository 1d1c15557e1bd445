"""Outgoing client messages as the domain and its storage port see them (see crm_core.replies)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from crm_core.sales import RecordKind


class OutgoingState(StrEnum):
    """Where an outgoing message is: waiting (or retrying), delivered, given up."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


# The largest file a manager may attach (Telegram bots send documents up to 50 MB, VK and
# most mail servers take about 20-25 MB: one limit for every channel).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Files per message: Telegram's sendDocument and one VK doc carry one file each.
MAX_ATTACHMENTS = 1
# The meta key under which a channel lists a message's files as JSON:
# [{"name", "size", "content_type", "ref"}], `ref` being what the channel fetches it by.
FILES_META_KEY = "files"


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """A file of an outgoing message as listed with it (its content stored apart)."""

    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A file the manager attaches, with its content."""

    name: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def info(self) -> AttachmentInfo:
        """The listing of the file (its digest identifies it for idempotency)."""
        digest = hashlib.sha256(self.content).hexdigest()
        return AttachmentInfo(self.name, self.content_type, len(self.content), digest)


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file the client sent, kept as the channel's reference (never stored up front):
    `ref` is a Telegram file_id, a VK URL, an IMAP message part."""

    name: str
    content_type: str
    size: int | None
    ref: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class IncomingFiles:
    """The files of one incoming message, with the channel and account that received it
    (the one to fetch them through)."""

    channel: str
    account: str
    files: tuple[FileRef, ...]


def files_of(meta: Mapping[str, str]) -> tuple[FileRef, ...]:
    """The files a channel listed in a message's meta (`FILES_META_KEY`); none if malformed."""
    raw = meta.get(FILES_META_KEY)
    if not raw:
        return ()
    try:
        listed = json.loads(raw)
    except (ValueError, RecursionError):
        return ()
    found = []
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("ref"), str):
            continue
        size = item.get("size")
        found.append(
            FileRef(
                str(item.get("name") or "файл"),
                str(item.get("content_type") or "application/octet-stream"),
                size if isinstance(size, int) and not isinstance(size, bool) else None,
                item["ref"],
            )
        )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Touch:
    """A time the client wrote: through which channel and account, with which ids; an
    e-mail also brings the sender's address, its headers (`meta`) and its text."""

    channel: str
    account: str
    messenger_ids: Mapping[str, str]
    at: datetime
    email: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict, repr=False)
    text: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply can go: the channel, the bot, community or mailbox, and the chat, peer
    or address there; `context` is what the reply refers to (an e-mail's thread headers and
    the quoted original)."""

    channel: str
    account: str
    address: str
    last_used_at: datetime
    context: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class NewOutgoingMessage:
    """An outgoing message about to be queued."""

    entity: RecordKind
    entity_id: int
    activity_id: int
    channel: str
    account: str
    address: str
    text: str
    idempotency_key: str
    created_by: int | None
    context: Mapping[str, str] = field(default_factory=dict, repr=False)
    attachments: tuple[NewAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A stored outgoing message with its delivery state."""

    id: int
    entity: RecordKind
    entity_id: int
    activity_id: int
    channel: str
    account: str
    address: str
    text: str
    idempotency_key: str
    state: OutgoingState
    attempts: int
    next_attempt_at: datetime
    platform_message_id: str | None
    last_error: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    context: Mapping[str, str] = field(default_factory=dict, repr=False)
    attachments: tuple[AttachmentInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ConversationEntry:
    """One message of a conversation: an incoming message activity (with the channel its
    inbox row came by), or an outgoing one with its delivery state. The message that opened
    a lead is the lead's own text, with no activity."""

    activity_id: int | None
    text: str | None
    at: datetime
    incoming: bool
    channel: str | None
    manager_id: int | None
    outgoing: OutgoingMessage | None
    # The files of an incoming message, as its channel listed them.
    files: tuple[FileRef, ...] = ()


class OutgoingMessagePort(Protocol):
    """Durable outgoing messages (implemented in crm_core.storage)."""

    async def add(self, message: NewOutgoingMessage, now: datetime) -> int | None:
        """Queue a message; None when its idempotency key is already stored."""
        ...

    async def get(self, message_id: int) -> OutgoingMessage | None:
        """One message by id."""
        ...

    async def by_key(self, idempotency_key: str) -> OutgoingMessage | None:
        """The message stored under an idempotency key."""
        ...

    async def attachment_content(self, message_id: int, position: int) -> bytes | None:
        """The content of an outgoing message's file (by its position in `attachments`)."""
        ...

    async def incoming_files(
        self, entity: RecordKind, entity_id: int, activity_id: int
    ) -> IncomingFiles | None:
        """The files of the incoming message logged as an activity on the record."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutgoingMessage]:
        """Queued messages due by `now`, leased until `lease_until` so no other worker sends;
        a message only once every earlier one to the same chat is sent or failed."""
        ...

    async def mark_sent(self, message_id: int, platform_message_id: str, now: datetime) -> None:
        """The platform accepted the message; it is never sent again."""
        ...

    async def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None:
        """`mark_sent` for each (message id, platform message id), in one round trip."""
        ...

    async def release(self, message_id: int, now: datetime) -> None:
        """Give the lease up without a try (another worker may claim the message at once)."""
        ...

    async def mark_retry(
        self, message_id: int, attempts: int, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Sending failed for a reason that may pass; try again at `next_attempt_at`."""
        ...

    async def mark_failed(self, message_id: int, attempts: int, error: str, now: datetime) -> None:
        """Sending failed for good (the platform's reason); stop trying."""
        ...

    async def touches(self, entity: RecordKind, entity_id: int, limit: int) -> list[Touch]:
        """The channels of the newest incoming messages logged on a record."""
        ...

    async def conversation(
        self, entity: RecordKind, entity_id: int, limit: int, before_activity_id: int | None
    ) -> list[ConversationEntry]:
        """A page of a record's messages (incoming and outgoing), newest first."""
        ...
