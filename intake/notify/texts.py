"""Russian notification texts, rendered from a notification kind and its payload.

Lead payload keys: lead_id (or deal_id for a message on a deal), name, phone, email, channel,
source, message, reason, link, repeat, client; a task reminder may also carry `task` and
`due`, and a hand-over or a lost approval request `manager` (who handed over / who asks).
Every key is optional: what is missing is left out of the text.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crm_core.notifications import NotificationKind

MESSAGE_LIMIT = 500
FIELD_LIMIT = 200
SUBJECT_NAME_LIMIT = 80

_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Control characters other than the line feed would garble a chat message or an e-mail body.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")

_CHANNEL_DOWN = "Канал приёма заявок не работает"
_CHANNEL_UP = "Канал приёма заявок снова работает"
_CONNECTOR_DOWN = "Заявки не передаются во внешнюю CRM"
_CONNECTOR_UP = "Передача заявок во внешнюю CRM восстановлена"
_INTAKE_PARKED = "Обращение не удалось превратить в заявку"
# (without a lead number, with one)
_TITLES: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.LEAD_ASSIGNED: ("Вам назначена новая заявка", "Вам назначена заявка №{}"),
    NotificationKind.LEAD_HANDED_OVER: ("Вам передана заявка", "Вам передана заявка №{}"),
    NotificationKind.REPEAT_REQUEST: (
        "Повторное обращение клиента",
        "Повторное обращение по заявке №{}",
    ),
    NotificationKind.LOST_APPROVAL_REQUESTED: (
        "Нужно согласовать отказ от заявки",
        "Нужно согласовать отказ по заявке №{}",
    ),
    NotificationKind.TASK_DUE: ("Подошёл срок задачи", "Подошёл срок задачи по заявке №{}"),
    NotificationKind.NEW_MESSAGE: ("Новое сообщение клиента", "Новое сообщение по заявке №{}"),
    NotificationKind.CLIENT_CALLED: ("Звонок клиента", "Звонок клиента по заявке №{}"),
    NotificationKind.INCOMING_CALL: ("Звонит клиент", "Звонит клиент по заявке №{}"),
    NotificationKind.CHANNEL_FAILING: (_CHANNEL_DOWN, _CHANNEL_DOWN),
    NotificationKind.CHANNEL_RECOVERED: (_CHANNEL_UP, _CHANNEL_UP),
    NotificationKind.INTAKE_PARKED: (_INTAKE_PARKED, _INTAKE_PARKED),
    NotificationKind.CONNECTOR_FAILING: (_CONNECTOR_DOWN, _CONNECTOR_DOWN),
    NotificationKind.CONNECTOR_RECOVERED: (_CONNECTOR_UP, _CONNECTOR_UP),
    NotificationKind.LEAD_UPDATED: ("Заявка изменилась", "Заявка №{} изменилась"),
    NotificationKind.LEAD_CARD_CLOSED: ("Карточка заявки закрыта", "Карточка заявки №{} закрыта"),
}
# Titles of notifications about a deal rather than a lead (payload key `deal_id`).
_DEAL_TITLES: dict[NotificationKind, str] = {
    NotificationKind.NEW_MESSAGE: "Новое сообщение по сделке №{}",
    NotificationKind.CLIENT_CALLED: "Звонок клиента по сделке №{}",
    NotificationKind.INCOMING_CALL: "Звонит клиент по сделке №{}",
}
_REASON_LABELS: dict[NotificationKind, str] = {
    NotificationKind.LEAD_ASSIGNED: "Причина назначения",
    NotificationKind.LEAD_HANDED_OVER: "Причина передачи",
    NotificationKind.REPEAT_REQUEST: "Причина назначения",
    NotificationKind.LOST_APPROVAL_REQUESTED: "Причина отказа",
    NotificationKind.TASK_DUE: "Комментарий",
}
_MANAGER_LABELS: dict[NotificationKind, str] = {
    NotificationKind.LEAD_HANDED_OVER: "Передал",
    NotificationKind.LOST_APPROVAL_REQUESTED: "Запросил",
}
_CHANNELS = {
    "webform": "форма на сайте",
    "email": "электронная почта",
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "vk": "ВКонтакте",
    "phone": "телефон",
    "call": "звонок",
    "import": "импорт",
    "csv": "импорт",
    "api": "API",
}
GENERIC_TITLE = "Уведомление LeadIntake"


@dataclass(frozen=True, slots=True)
class RenderedText:
    """A rendered notification: one-line subject, body text and the lead link if any."""

    subject: str
    text: str
    link: str | None


def render(
    kind: NotificationKind, payload: Mapping[str, Any], *, html: bool = False
) -> RenderedText:
    """Render the Russian text of a notification; `html=True` escapes it for Telegram's HTML.

    The subject is always plain text; the link is not in the text (each channel places it).
    """
    lead_id = _line(payload.get("lead_id"))
    deal_id = _line(payload.get("deal_id"))
    plain, numbered = _TITLES.get(kind, (GENERIC_TITLE, GENERIC_TITLE))
    title = numbered.format(lead_id) if lead_id else plain
    if deal_id and kind in _DEAL_TITLES:
        title = _DEAL_TITLES[kind].format(deal_id)
    who = _line(payload.get("name")) or _line(payload.get("client"))
    subject = f"{title} — {_shorten(who, SUBJECT_NAME_LIMIT)}" if who else title

    fields: list[tuple[str, str]] = [
        ("Имя", _line(payload.get("name"))),
        ("Клиент", _line(payload.get("client"))),
        ("Телефон", _line(payload.get("phone"))),
        ("Почта", _line(payload.get("email"))),
        ("Канал", _channel_label(_line(payload.get("channel")))),
        ("Источник", _line(payload.get("source"))),
        ("Задача", _line(payload.get("task"))),
        ("Срок", _line(payload.get("due"))),
        (_MANAGER_LABELS.get(kind, "Менеджер"), _line(payload.get("manager"))),
        (_REASON_LABELS.get(kind, "Причина"), _line(payload.get("reason"))),
        ("Сбой с", _line(payload.get("since"))),
    ]
    esc: Callable[[str], str] = _escape if html else _same
    lines = [f"<b>{esc(title)}</b>" if html else title, ""]
    lines += [f"{label}: {esc(value)}" for label, value in fields if value]
    if payload.get("repeat") is True and kind is not NotificationKind.REPEAT_REQUEST:
        lines.append("Клиент уже обращался раньше.")
    message = _paragraph(payload.get("message"))
    if message:
        lines += ["", "Сообщение:", esc(message)]
    return RenderedText(subject=subject, text="\n".join(lines).rstrip(), link=_link(payload))


def is_http_url(value: str | None) -> bool:
    """True for an absolute http(s) URL (the only kind a Telegram button accepts)."""
    if not value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _same(value: str) -> str:
    return value


def _escape(value: str) -> str:
    # Telegram's HTML mode needs only <, > and & escaped; quotes stay readable.
    return html_lib.escape(value, quote=False)


def _line(value: Any) -> str:
    """A payload value as one trimmed line ('' when absent), at most FIELD_LIMIT chars."""
    if value is None or isinstance(value, bool):
        return ""
    return _shorten(_SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip(), FIELD_LIMIT)


def _paragraph(value: Any) -> str:
    """A free-text payload value with its line breaks kept, at most MESSAGE_LIMIT chars."""
    if value is None or isinstance(value, bool):
        return ""
    text = _CONTROL.sub(" ", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _shorten(_BLANK_LINES.sub("\n\n", text).strip(), MESSAGE_LIMIT)


def _shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _channel_label(channel: str) -> str:
    return _CHANNELS.get(channel.lower(), channel) if channel else ""


def _link(payload: Mapping[str, Any]) -> str | None:
    link = payload.get("link")
    if not isinstance(link, str) or not link.strip():
        return None
    return link.strip()
