"""Replies to the client: a manager's message goes out through the channel the client wrote in.

The message is stored as an activity on the record and, in the same transaction, as an
outgoing row (the outbox the replies dispatcher drains): stored first, sent after, marked
sent only on the platform's answer. Where a client can be answered is learnt from what they
sent: each lead and each incoming message names its channel, the bot or community that
received it (`source`) and the sender's id there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_core.errors import DomainError, RuleError
from crm_core.holders import require_changeable, require_visible
from crm_core.model import Lead, LeadFilter, Manager
from crm_core.replies_model import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    ConversationEntry,
    NewAttachment,
    NewOutgoingMessage,
    OutgoingMessage,
    ReplyTarget,
    Touch,
    files_of,
)
from crm_core.sales import ActivityKind, NewActivity, RecordKind
from crm_core.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class ReplyChannel:
    """What the domain knows of a channel it can answer in: the sender's identity kind and
    the platform's limit on one message's text."""

    identity_kind: str
    max_text: int
    # The limit on the text sent with a file (Telegram's caption takes 1024 characters).
    max_caption: int


EMAIL = "email"
# Telegram's sendMessage and VK's messages.send both take up to 4096 characters. An e-mail is
# answered at the sender's address (not a messenger id); its limit only keeps a reply sane.
REPLY_CHANNELS: Mapping[str, ReplyChannel] = {
    "telegram": ReplyChannel("telegram_id", 4096, 1024),
    "vk": ReplyChannel("vk_id", 4096, 4096),
    EMAIL: ReplyChannel("email", 100_000, 100_000),
}
# What an e-mail reply keeps of the client's message (its meta keys, written by the e-mail
# channel) to thread under it and quote it; "quote" is the message's text.
EMAIL_CONTEXT_KEYS = ("message_id", "references", "subject", "from", "date")
# Accounts that cannot send, with the reason: {(channel, account): "why"} (for example a
# mailbox without SMTP settings). The service knows them from its settings.
Unavailable = Mapping[tuple[str, str], str]
# A file's name as kept: no path, no control characters, at most this long.
MAX_FILE_NAME = 200
ATTACHMENTS_FIELD = "attachments"
# The records a conversation can be held on.
CONVERSATION_RECORDS = (RecordKind.LEAD, RecordKind.DEAL, RecordKind.CONTACT)
# How many of a contact's leads and of a record's incoming messages are looked at for channels.
TOUCH_LIMIT = 50


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """What `send_reply` queued (or found queued under the same idempotency key)."""

    message: OutgoingMessage
    duplicate: bool


async def send_reply(
    uow: UnitOfWork,
    actor: Manager,
    entity: RecordKind,
    entity_id: int,
    channel: str | None,
    text: str,
    now: datetime,
    *,
    idempotency_key: str,
    unavailable: Unavailable | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> QueuedReply:
    """Log the manager's message on the record and queue it to the client, in the caller's
    transaction; the channel is the one asked for, or the one the client used last. A file
    attached is stored with the message and sent with it as a document; the text may then
    be empty.

    Raises NotFound for a record the actor may not change, RuleError `consent_withdrawn`
    for a client who took their consent back, DomainError naming `channel`,
    `text` or `attachments` for what cannot be sent, and RuleError `idempotency_conflict`
    for a key reused with another message.
    """
    _require_conversation_record(entity)
    await require_changeable(uow, actor, entity, entity_id, "entity_id")
    await require_consent(uow, entity, entity_id)
    text = text.strip()
    files = check_attachments(attachments)
    if not text and not files:
        raise RuleError("empty_text", "text", "the message is empty", 422)
    if channel is not None and channel not in REPLY_CHANNELS:
        raise RuleError(
            "unknown_channel",
            "channel",
            f"cannot answer in {channel!r}; one of: {', '.join(REPLY_CHANNELS)}",
            422,
        )
    existing = await uow.replies.by_key(idempotency_key)
    if existing is not None:
        same_files = [(a.name, a.sha256) for a in existing.attachments] == [
            (f.info.name, f.info.sha256) for f in files
        ]
        if (
            (existing.entity, existing.entity_id, existing.text) != (entity, entity_id, text)
            or (channel is not None and existing.channel != channel)
            or not same_files
        ):
            raise RuleError(
                "idempotency_conflict",
                "Idempotency-Key",
                "this key was used for another message",
                409,
            )
        return QueuedReply(existing, duplicate=True)
    touches = await _touches(uow, entity, entity_id)
    target = choose_target(
        targets_of(touches, unavailable), channel, blocked_channels(touches, unavailable)
    )
    known = REPLY_CHANNELS[target.channel]
    limit = known.max_caption if files else known.max_text
    if len(text) > limit:
        raise RuleError(
            "text_too_long",
            "text",
            f"{target.channel} takes at most {limit} characters, the message has {len(text)}",
            422,
        )
    stored = await queue_message(
        uow, actor, entity, entity_id, target, text, now, idempotency_key, files
    )
    return QueuedReply(stored, duplicate=False)


async def queue_message(
    uow: UnitOfWork,
    actor: Manager,
    entity: RecordKind,
    entity_id: int,
    target: ReplyTarget,
    text: str,
    now: datetime,
    idempotency_key: str,
    files: tuple[NewAttachment, ...] = (),
) -> OutgoingMessage:
    """Log the manager's message as an activity on the record and queue it to `target`, in
    the caller's transaction; RuleError `idempotency_conflict` when a concurrent request
    committed the same key meanwhile; RuleError `consent_withdrawn` when the client
    withdrew their consent (or had their data erased): nothing more is sent to them."""
    await require_consent(uow, entity, entity_id)
    activity_id = await uow.sales.add_activity(
        NewActivity(
            entity=entity,
            entity_id=entity_id,
            kind=ActivityKind.MESSAGE,
            text=text or None,
            at=now,
            actor=actor.login,
            manager_id=actor.id,
        ),
        now,
    )
    message_id = await uow.replies.add(
        NewOutgoingMessage(
            entity=entity,
            entity_id=entity_id,
            activity_id=activity_id,
            channel=target.channel,
            account=target.account,
            address=target.address,
            text=text,
            idempotency_key=idempotency_key,
            created_by=actor.id,
            context=target.context,
            attachments=files,
        ),
        now,
    )
    if message_id is None:
        raise RuleError("idempotency_conflict", "Idempotency-Key", "this key is in use", 409)
    stored = await uow.replies.get(message_id)
    assert stored is not None
    return stored


async def require_consent(uow: UnitOfWork, entity: RecordKind, entity_id: int) -> None:
    """Refuse an outbound message to a client whose last consent record is a withdrawal."""
    leads = await _related_leads(uow, entity, entity_id)
    if await uow.persons.withdrawn([lead.id for lead in leads]):
        raise RuleError(
            "consent_withdrawn",
            "entity_id",
            "the client withdrew consent to the processing of their personal data;"
            " no message may be sent to them",
            409,
        )


def check_attachments(attachments: Sequence[NewAttachment]) -> tuple[NewAttachment, ...]:
    """The files as stored (names without a path); RuleError naming `attachments` for too
    many, an empty one or one beyond MAX_ATTACHMENT_BYTES (413)."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise RuleError(
            "too_many_attachments",
            ATTACHMENTS_FIELD,
            f"at most {MAX_ATTACHMENTS} file per message",
            422,
        )
    files = []
    for attachment in attachments:
        size = len(attachment.content)
        if size > MAX_ATTACHMENT_BYTES:
            raise RuleError(
                "attachment_too_large",
                ATTACHMENTS_FIELD,
                f"a file may have at most {MAX_ATTACHMENT_BYTES} bytes (20 MB)",
                413,
            )
        if size == 0:
            raise RuleError("empty_attachment", ATTACHMENTS_FIELD, "the file is empty", 422)
        content_type = attachment.content_type.strip() or "application/octet-stream"
        files.append(NewAttachment(file_name(attachment.name), content_type, attachment.content))
    return tuple(files)


def file_name(raw: str) -> str:
    """A file's name without any path or control characters, cut to MAX_FILE_NAME."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > MAX_FILE_NAME:
        stem, dot, ext = name.rpartition(".")
        keep = MAX_FILE_NAME - len(ext) - 1
        name = stem[:keep] + dot + ext if dot and 0 < len(ext) < 10 else name[:MAX_FILE_NAME]
    return name or "файл"


async def conversation_page(
    uow: UnitOfWork,
    actor: Manager,
    entity: RecordKind,
    entity_id: int,
    limit: int,
    before_activity_id: int | None,
) -> list[ConversationEntry]:
    """A page of the record's messages both ways, newest last, for an actor who may see it.

    A lead a client opened by writing in a messenger starts with that message (it is the
    lead's own text, not an activity: its `activity_id` is None); it comes on the last page.
    """
    _require_conversation_record(entity)
    await require_visible(uow, actor, entity, entity_id, "entity_id")
    page = await uow.replies.conversation(entity, entity_id, limit, before_activity_id)
    if len(page) < limit and entity is RecordKind.LEAD:
        lead = await uow.leads.get(entity_id)
        if lead is not None and lead.data.channel in REPLY_CHANNELS:
            page.append(
                ConversationEntry(
                    activity_id=None,
                    text=lead.data.comment,
                    at=lead.data.received_at,
                    incoming=True,
                    channel=lead.data.channel,
                    manager_id=None,
                    outgoing=None,
                    files=files_of(lead.data.meta),
                )
            )
    return list(reversed(page))


def choose_target(
    targets: Sequence[ReplyTarget],
    channel: str | None,
    blocked: Mapping[str, str] | None = None,
) -> ReplyTarget:
    """The target of the asked channel, or the one used last; DomainError when none fits,
    naming why when the client wrote in a channel whose account cannot send (`blocked`:
    {channel: reason})."""
    reasons = [
        reason for name, reason in sorted((blocked or {}).items()) if channel in (None, name)
    ]
    if channel is not None:
        found = [t for t in targets if t.channel == channel]
        if not found:
            if reasons:
                raise RuleError("channel_unavailable", "channel", reasons[0], 422)
            raise RuleError(
                "no_channel", "channel", f"the client has not written in {channel}", 422
            )
        return found[0]
    if not targets:
        if reasons:
            raise RuleError("channel_unavailable", "channel", reasons[0], 422)
        raise RuleError(
            "no_channel",
            "channel",
            "the client has not written in a channel that can be answered"
            f" ({', '.join(REPLY_CHANNELS)})",
            422,
        )
    return targets[0]


async def reply_targets(
    uow: UnitOfWork, entity: RecordKind, entity_id: int, unavailable: Unavailable | None = None
) -> list[ReplyTarget]:
    """Where the client of a record can be answered: one target per channel, the one the
    client used last first; accounts in `unavailable` are left out."""
    return targets_of(await _touches(uow, entity, entity_id), unavailable)


async def _touches(uow: UnitOfWork, entity: RecordKind, entity_id: int) -> list[Touch]:
    """The times the client of a record wrote: its leads and the messages logged on them."""
    touches: list[Touch] = []
    leads = await _related_leads(uow, entity, entity_id)
    touches += [_lead_touch(lead) for lead in leads]
    touches += await uow.replies.touches(entity, entity_id, TOUCH_LIMIT)
    for lead in leads:
        if (RecordKind.LEAD, lead.id) != (entity, entity_id):
            touches += await uow.replies.touches(RecordKind.LEAD, lead.id, TOUCH_LIMIT)
    return touches


def targets_of(
    touches: Sequence[Touch], unavailable: Unavailable | None = None
) -> list[ReplyTarget]:
    """The newest usable touch per channel, newest first; of touches at the same time the
    one listed later counts as newer (a message logged on a lead came after the lead)."""
    best: dict[str, tuple[datetime, int, ReplyTarget]] = {}
    for order, touch in enumerate(touches):
        address = _address(touch)
        if not address or not touch.account:
            continue
        if unavailable and (touch.channel, touch.account) in unavailable:
            continue
        current = best.get(touch.channel)
        if current is None or touch.at >= current[0]:
            target = ReplyTarget(touch.channel, touch.account, address, touch.at, _context(touch))
            best[touch.channel] = (touch.at, order, target)
    ranked = sorted(best.values(), key=lambda b: (b[0], b[1]), reverse=True)
    return [target for _, _, target in ranked]


async def _related_leads(uow: UnitOfWork, entity: RecordKind, entity_id: int) -> list[Lead]:
    """The record's own lead (a deal's: the one it came from) and its contact's leads."""
    leads: dict[int, Lead] = {}
    contact_id: int | None = None
    if entity is RecordKind.LEAD:
        lead = await uow.leads.get(entity_id)
        if lead is not None:
            leads[lead.id] = lead
            contact_id = lead.contact_id
    elif entity is RecordKind.DEAL:
        deal = await uow.sales.get_deal(entity_id)
        if deal is not None:
            contact_id = deal.contact_id
            if deal.lead_id is not None and (lead := await uow.leads.get(deal.lead_id)):
                leads[lead.id] = lead
    else:
        contact_id = entity_id
    if contact_id is not None:
        for lead in await uow.leads.list(LeadFilter(contact_id=contact_id), TOUCH_LIMIT, None):
            leads.setdefault(lead.id, lead)
    return list(leads.values())


def _lead_touch(lead: Lead) -> Touch:
    data = lead.data
    return Touch(
        data.channel,
        data.source,
        data.contact.messenger_ids,
        data.received_at,
        email=data.contact.email,
        meta=data.meta,
        text=data.comment,
    )


def _address(touch: Touch) -> str | None:
    """Where the client who made the touch is answered: their e-mail address for an e-mail,
    their id on the platform for a messenger."""
    known = REPLY_CHANNELS.get(touch.channel)
    if known is None:
        return None
    if touch.channel == EMAIL:
        # An e-mail with no Message-ID of its own (an id we made up) cannot be threaded under;
        # it is still answered, as a new thread.
        return touch.email if touch.email and "@" in touch.email else None
    return touch.messenger_ids.get(known.identity_kind)


def _context(touch: Touch) -> Mapping[str, str]:
    """What a reply to the touch refers to: an e-mail's thread headers and its text."""
    if touch.channel != EMAIL:
        return {}
    context = {key: touch.meta[key] for key in EMAIL_CONTEXT_KEYS if touch.meta.get(key)}
    if touch.text:
        context["quote"] = touch.text
    return context


def blocked_channels(touches: Sequence[Touch], unavailable: Unavailable | None) -> dict[str, str]:
    """The client's channels that cannot be answered only because their account cannot send,
    with the reason: {channel: reason}."""
    blocked: dict[str, str] = {}
    for touch in touches:
        reason = (unavailable or {}).get((touch.channel, touch.account))
        if reason is not None and _address(touch):
            blocked.setdefault(touch.channel, reason)
    return blocked


def _require_conversation_record(entity: RecordKind) -> None:
    if entity not in CONVERSATION_RECORDS:
        raise DomainError(
            "entity",
            "conversations are held on a " + ", ".join(r.value for r in CONVERSATION_RECORDS),
        )


@dataclass(frozen=True, slots=True)
class ReplyChoice:
    """Where a record's client can be answered (the last used first) and the channels they
    wrote in that cannot be answered now, with the reason ({channel: reason})."""

    targets: list[ReplyTarget]
    blocked: dict[str, str]


async def reply_choice(
    uow: UnitOfWork, entity: RecordKind, entity_id: int, unavailable: Unavailable | None = None
) -> ReplyChoice:
    """The channels a reply form offers for a record: the usable ones, as `send_reply`
    chooses among them, and the ones blocked only because their account cannot send."""
    touches = await _touches(uow, entity, entity_id)
    targets = targets_of(touches, unavailable)
    usable = {t.channel for t in targets}
    blocked = {
        channel: reason
        for channel, reason in blocked_channels(touches, unavailable).items()
        if channel not in usable
    }
    return ReplyChoice(targets, blocked)
