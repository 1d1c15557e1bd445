"""Telegram notifier: a Bot API message to the manager's chat with a button to the lead."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)

from crm_core.notifications import NotificationKind, OutboxMessage
from intake.logs import mask_personal_data
from intake.notify.errors import DeliveryFailed
from intake.notify.texts import is_http_url, render

OPEN_BUTTON = "Открыть заявку"
_CHAT_ID = re.compile(r"-?\d+")
_DESCRIPTION_LIMIT = 200
# Bad requests of an edit that mean there is nothing left to do.
_UNEDITABLE = re.compile(r"message is not modified|message to edit not found", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message Telegram accepted: its id in the chat, its text (HTML), whether it has
    buttons of its own (a card)."""

    message_id: int
    text: str
    card: bool


class TelegramNotifier:
    """Sends notifications through the Telegram Bot API (or a compatible local server).

    Nothing connects on construction; the HTTP session opens on the first send.
    """

    def __init__(
        self,
        token: str,
        api_base: str | None = None,
        timeout: float = 10,
        card: Callable[[OutboxMessage], InlineKeyboardMarkup | None] | None = None,
    ) -> None:
        """`card` gives a message its own keyboard (the managers' bot's lead card), if any."""
        api = TelegramAPIServer.from_base(api_base) if api_base else PRODUCTION
        self._token = token
        self._card = card
        self._bot = Bot(token, session=AiohttpSession(api=api, timeout=timeout))

    async def send(self, message: OutboxMessage) -> None:
        """Send the rendered notification to the chat `message.address`."""
        if message.kind is NotificationKind.LEAD_CARD_CLOSED:
            return  # a card of the managers' bot, edited by its own notifier; none here
        await self.deliver(message)

    async def deliver(self, message: OutboxMessage, reply_to: int | None = None) -> Delivered:
        """Send the notification (as a reply to message `reply_to` of that chat, when given,
        and still when that message is gone); what Telegram shows."""
        chat_id = _chat_id(message.address)
        rendered = render(message.kind, message.payload, html=True)
        text = rendered.text
        # A card carries its own Открыть button.
        markup = self._card(message) if self._card else None
        card = markup is not None
        if markup is None and is_http_url(rendered.link):
            markup = InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text=OPEN_BUTTON, url=rendered.link)]]
            )
        elif markup is None and rendered.link:  # a relative path: only the text can carry it
            text += f"\n\n{OPEN_BUTTON}: {html.escape(rendered.link, quote=False)}"
        reply = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            sent = await self._bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=reply,
            )
        except (AiogramError, TimeoutError) as err:
            raise _translate(err, self._token) from err
        return Delivered(sent.message_id, text, card)

    async def edit(self, address: str, message_id: int, text: str) -> None:
        """Replace a sent message's text (HTML) and drop its buttons; a message already
        showing this text, or deleted meanwhile, counts as done."""
        try:
            await self._bot.edit_message_text(
                chat_id=_chat_id(address),
                message_id=message_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramBadRequest as err:
            if _UNEDITABLE.search(err.message):
                return
            raise _translate(err, self._token) from err
        except (AiogramError, TimeoutError) as err:
            raise _translate(err, self._token) from err

    async def close(self) -> None:
        """Close the HTTP session (safe to call when nothing was sent)."""
        await self._bot.session.close()


def _chat_id(address: str) -> int | str:
    address = address.strip()
    if _CHAT_ID.fullmatch(address):
        return int(address)
    if address.startswith("@") and len(address) > 1:
        return address  # a public channel's username
    raise DeliveryFailed("telegram: the address is not a chat id", permanent=True)


def _translate(err: BaseException, token: str) -> DeliveryFailed:
    """Our error for an aiogram one; its text carries no chat id, token or personal data."""
    name = type(err).__name__
    # Order matters: TelegramEntityTooLarge is a TelegramNetworkError, yet retrying is futile.
    if isinstance(err, TelegramRetryAfter):
        return DeliveryFailed(
            f"telegram: flood control, retry in {err.retry_after} s",
            permanent=False,
            retry_after=float(err.retry_after),
        )
    if isinstance(err, TelegramMigrateToChat):
        return DeliveryFailed("telegram: the group became a supergroup", permanent=True)
    if isinstance(err, TelegramEntityTooLarge):
        return DeliveryFailed("telegram: message too large", permanent=True)
    if isinstance(err, TelegramNetworkError):
        cause = err.__cause__
        reason = "timeout" if isinstance(cause, TimeoutError) else type(cause or err).__name__
        return DeliveryFailed(f"telegram: network error ({reason})", permanent=False)
    if isinstance(err, TimeoutError):
        return DeliveryFailed("telegram: network error (timeout)", permanent=False)
    if isinstance(err, ClientDecodeError):  # e.g. an HTML error page from a proxy
        return DeliveryFailed("telegram: unreadable response from the server", permanent=False)
    if isinstance(err, TelegramAPIError):
        # Bad request (chat not found, bad markup) and forbidden (bot blocked or kicked) are
        # about this chat or this message. Everything else (401 bad token, 404 wrong API URL,
        # 5xx) is about our setup or their servers and may pass, so the message waits.
        permanent = isinstance(err, TelegramBadRequest | TelegramForbiddenError)
        return DeliveryFailed(
            f"telegram: {name}: {_description(err.message, token)}", permanent=permanent
        )
    return DeliveryFailed(f"telegram: {name}", permanent=False)


def _description(text: str, token: str) -> str:
    text = mask_personal_data(text.replace(token, "***"))
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"
