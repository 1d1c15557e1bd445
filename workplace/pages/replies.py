"""«Написать клиенту» on the lead, deal and contact cards: the reply form and its sending.

The form offers the channels the client can be answered in (crm_core.replies.reply_choice),
the one they used last preselected; sending runs the API's `send_reply` with the same access
rules. Each rendered form carries its own idempotency key, so a resubmitted form (a double
click, a reload of the answer) queues the message once. The card's timeline shows outgoing
messages with their delivery state, read as the conversation API reads them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm_core.attachments import received_file_token, sent_file_token
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.replies import (
    Unavailable,
    conversation_page,
    reply_choice,
    send_reply,
)
from crm_core.replies_model import ConversationEntry, OutgoingState, ReplyTarget
from crm_core.sales import RecordKind
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.body import BadBody
from intake.http.downloads import attachment_response
from intake.http.keys import SERVICES
from intake.http.uploads import form_files
from intake.replies.wiring import unavailable_accounts
from workplace.pages.shared import CHANNELS, not_found, path_id, render
from workplace.pages.timeline import TimelineFile, size_label
from workplace.viewer import viewer

# How many of a record's newest messages the card looks up delivery states for.
CONVERSATION_LIMIT = 200
KEY_CHARS = 64
SENT_NOTICE = "Сообщение поставлено в очередь"
STATE_NAMES = {
    OutgoingState.QUEUED: "в очереди",
    OutgoingState.SENT: "отправлено",
    OutgoingState.FAILED: "не доставлено",
}
# send_reply's refusals as a manager reads them.
RULE_TEXTS = {
    "empty_text": "Напишите текст сообщения или приложите файл.",
    "unknown_channel": "Выберите канал из списка.",
    "no_channel": "Клиенту нельзя ответить в этом канале: он туда не писал.",
    "idempotency_conflict": "Эта форма уже использована для другого сообщения: обновите страницу.",
    "attachment_too_large": "Файл больше 20 МБ: приложите файл поменьше.",
    "too_many_attachments": "Можно приложить один файл к сообщению.",
    "empty_attachment": "Файл пустой: выберите другой.",
}


@dataclass(frozen=True, slots=True)
class ChannelOption:
    """One channel of the select: its value, what the manager sees, why it is off."""

    value: str
    label: str
    selected: bool
    disabled_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyPanel:
    """What the «Написать клиенту» panel shows: the form's target, channels and key."""

    action: str
    options: list[ChannelOption]
    key: str

    @property
    def card(self) -> str:
        """The card's own page (its timeline is looked at again while a message waits)."""
        return self.action.removesuffix("/messages")

    @property
    def can_send(self) -> bool:
        """Whether any channel can be used (otherwise the panel explains instead)."""
        return any(o.disabled_reason is None for o in self.options)


def action_path(entity: RecordKind, entity_id: int) -> str:
    """Where the form posts for a record."""
    prefix = {RecordKind.LEAD: "/leads", RecordKind.DEAL: "/deals"}.get(
        entity, "/clients/contacts"
    )
    return f"{prefix}/{entity_id}/messages"


def masked_address(channel: str, address: str) -> str:
    """The client's address with most of it hidden: `i***@mail.ru`, `…6789`."""
    if channel == "email" and "@" in address:
        local, domain = address.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"
    return f"…{address[-4:]}" if len(address) > 4 else address


def option_label(target: ReplyTarget) -> str:
    """`Telegram: чат …6789 (бот sales)` and the like."""
    name = CHANNELS.get(target.channel, target.channel)
    where = masked_address(target.channel, target.address)
    if target.channel == "email":
        return f"{name}: {where} (ящик {target.account})"
    if target.channel == "telegram":
        return f"{name}: чат {where} (бот {target.account})"
    return f"{name}: id {where} (сообщество {target.account})"


async def load_replies(
    uow: UnitOfWork,
    me: Manager,
    entity: RecordKind,
    entity_id: int,
    unavailable: Unavailable,
) -> dict[str, Any]:
    """The card's reply panel and its outgoing messages by activity id, in the card's read."""
    choice = await reply_choice(uow, entity, entity_id, unavailable)
    # The targets come the last used first: that one is preselected.
    options = [
        ChannelOption(t.channel, option_label(t), i == 0) for i, t in enumerate(choice.targets)
    ]
    options += [
        ChannelOption(channel, CHANNELS.get(channel, channel), False, blocked_reason(reason))
        for channel, reason in sorted(choice.blocked.items())
    ]
    panel = ReplyPanel(action_path(entity, entity_id), options, uuid.uuid4().hex)
    entries = await conversation_page(uow, me, entity, entity_id, CONVERSATION_LIMIT, None)
    outgoing = {e.activity_id: e.outgoing for e in entries if e.outgoing and e.activity_id}
    base = files_path(entity, entity_id)
    files = {e.activity_id: timeline_files(e, base) for e in entries if e.activity_id}
    opening = next((timeline_files(e, base) for e in entries if e.activity_id is None), ())
    return {"reply": panel, "outgoing": outgoing, "files": files, "opening_files": opening}


def files_path(entity: RecordKind, entity_id: int) -> str:
    """Where the workplace serves a record's conversation files from."""
    return f"/files/{entity.value}/{entity_id}"


def timeline_files(entry: ConversationEntry, base: str) -> tuple[TimelineFile, ...]:
    """A message's files (the manager's or the client's) with their download links."""
    if entry.outgoing is not None:
        return tuple(
            TimelineFile(
                a.name, size_label(a.size), f"{base}/{sent_file_token(entry.outgoing, i)}"
            )
            for i, a in enumerate(entry.outgoing.attachments)
        )
    return tuple(
        TimelineFile(
            f.name, size_label(f.size), f"{base}/{received_file_token(entry.activity_id, i)}"
        )
        for i, f in enumerate(entry.files)
    )


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What sending from a card came to: the notice, and what the form keeps on failure."""

    ok: bool
    message: str
    kept: dict[str, str]


async def send_from_card(
    request: web.Request, me: Manager, entity: RecordKind, entity_id: int
) -> ReplyOutcome | None:
    """Read the reply form and queue the message with the API's `send_reply`; None when
    the record does not exist for the manager (404, as in the API)."""
    form = await request.post()
    try:
        files = form_files(form)
    except BadBody:
        files = []
    text = str(form.get("text") or "")
    channel = str(form.get("channel") or "").strip() or None
    key = str(form.get("key") or "").strip()
    kept = {"reply_text": text, "reply_channel": channel or ""}
    if not key or len(key) > KEY_CHARS or not key.isalnum():
        # A form without its key is not one a card rendered: it gets a key of its own.
        key = uuid.uuid4().hex
    services = request.app[SERVICES]
    try:
        async with services.storage.transaction() as uow:
            await send_reply(
                uow,
                me,
                entity,
                entity_id,
                channel,
                text,
                utcnow(),
                idempotency_key=f"web:{me.id}:{key}",
                unavailable=unavailable_accounts(services.settings),
                attachments=files,
            )
    except DomainError as err:
        if err.status == 404:
            return None
        return ReplyOutcome(False, refusal_text(err), kept)
    services.outgoing_wakeup.set()
    return ReplyOutcome(True, SENT_NOTICE, {})


async def download(request: web.Request) -> web.StreamResponse:
    """A conversation file from a card's timeline, for a manager who may see the record."""
    me = await viewer(request)
    raw = request.match_info["entity"]
    entity_id = path_id(request, "entity_id")
    if raw not in ("lead", "deal", "contact") or entity_id is None:
        return not_found(request, me)
    return await attachment_response(
        request, me, RecordKind(raw), entity_id, request.match_info["attachment"], plain=True
    )


def refusal_text(err: DomainError) -> str:
    """A refusal of send_reply as a Russian sentence."""
    rule: str | None = getattr(err, "rule", None)
    if rule == "text_too_long":
        limit = re.search(r"at most (\d+)", err.message)
        most = f": не больше {limit.group(1)} символов" if limit else ""
        return f"Сообщение слишком длинное для этого канала{most}."
    if rule == "channel_unavailable":
        return "Этот канал сейчас недоступен: " + blocked_reason(err.message) + "."
    if rule is not None and rule in RULE_TEXTS:
        return RULE_TEXTS[rule]
    return "Сообщение не отправлено: проверьте текст и канал."


def blocked_reason(reason: str) -> str:
    """Why an account cannot send, in Russian (the senders name it in the settings' words)."""
    if "SMTP" in reason:
        return "у почтового ящика не настроена отправка писем (SMTP)"
    return "отправка из этого аккаунта не настроена"


async def lead_message(request: web.Request) -> web.StreamResponse:
    """«Отправить» on the lead card: the card's body comes back with the outcome."""
    # The card modules import this one for their panels, so it imports them when used.
    from workplace.pages.lead_notes import card_fragment

    me = await viewer(request)
    lead_id = path_id(request, "lead_id") or 0
    outcome = await send_from_card(request, me, RecordKind.LEAD, lead_id)
    if outcome is None:
        return not_found(request, me)
    if "HX-Request" not in request.headers:  # a plain form post (no JavaScript)
        raise web.HTTPSeeOther(f"/leads/{lead_id}")
    extra = {**outcome.kept, "reply_message": outcome.message, "reply_ok": outcome.ok}
    return await card_fragment(request, me, lead_id, "", outcome.ok, extra)


async def deal_message(request: web.Request) -> web.StreamResponse:
    """«Отправить» on the deal card: the card again with the outcome."""
    from workplace.pages.deal_card import load_card

    me = await viewer(request)
    deal_id = path_id(request, "deal_id") or 0
    outcome = await send_from_card(request, me, RecordKind.DEAL, deal_id)
    card = await load_card(request, me, deal_id) if outcome is not None else None
    if outcome is None or card is None:
        return not_found(request, me)
    context = {**card, **outcome.kept, "reply_message": outcome.message, "reply_ok": outcome.ok}
    return render(request, "deal_card.html", me, context, section="/deals")


async def contact_message(request: web.Request) -> web.StreamResponse:
    """«Отправить» on the contact card: the card again with the outcome."""
    from workplace.pages.contact_card import contact_context

    me = await viewer(request)
    contact_id = path_id(request, "contact_id") or 0
    outcome = await send_from_card(request, me, RecordKind.CONTACT, contact_id)
    card = await contact_context(request, me, contact_id) if outcome is not None else None
    if outcome is None or card is None:
        return not_found(request, me)
    context = {**card, **outcome.kept, "reply_message": outcome.message, "reply_ok": outcome.ok}
    return render(request, "contact_card.html", me, context, section="/clients")
