"""A Bot API stand-in on localhost for the managers' bot: getMe, getUpdates (long polling
with offsets), sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
setMyCommands; and a company bot's webhook: setWebhook, deleteWebhook, getWebhookInfo
(getUpdates is refused with Telegram's 409 while a webhook is set).

It speaks Telegram's wire format: calls arrive as form fields (aiogram's way; JSON works
too), nested objects such as reply_markup as JSON strings; answers are {"ok": true,
"result": ...} with real Message objects. People are simulated by queueing updates.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "LeadIntake", "username": "li_team_bot"}
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class ApiCall:
    """One Bot API call as the stand-in received it."""

    method: str
    fields: dict[str, Any]


class Refused(Exception):
    """A call Telegram refuses: its error_code and description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class BotApiStandIn:
    """The Bot API for one token; `calls` in arrival order, `messages` as currently shown."""

    token: str
    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # As Telegram does for URLs it deems private (127.0.0.1): BUTTON_URL_INVALID.
    refuse_button_urls: bool = False
    # The webhook as setWebhook left it ("" when none is set) and its secret_token.
    webhook_url: str = ""
    webhook_secret: str | None = None
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- what people do
    def user_writes(self, user_id: int, text: str) -> None:
        """A private message from a Telegram user to the bot."""
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = entities
        self._queue({"message": message})

    def user_replies(self, user_id: int, message_id: int, text: str) -> None:
        """A user answers one of the bot's messages with Telegram's «Ответить»."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"U{user_id}"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
            "reply_to_message": self.messages[message_id],
            "text": text,
        }
        self._queue({"message": message})

    def press(self, user_id: int, message_id: int, data: str) -> None:
        """A user presses an inline button with this callback data under a sent message."""
        query = {
            "id": str(next(self._update_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}"},
            "chat_instance": "-100500",
            "message": self.messages[message_id],
            "data": data,
        }
        self._queue({"callback_query": query})

    def _queue(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self.pending.append(update)
        self.arrived.set()

    # --- what the tests look at
    def calls_of(self, method: str) -> list[ApiCall]:
        """Every call of one method."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `condition()` is truthy (re-checked at every call); returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := condition()):
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"condition not met within {timeout}s")
            self.changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))
        return value

    # --- the API
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        fields = await _fields(request)
        self.calls.append(ApiCall(method, fields))
        self.changed.set()
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        if self.refuse_button_urls and _has_url_button(fields):
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_URL_INVALID"},
                status=400,
            )
        try:
            result = handler(fields)
            if asyncio.iscoroutine(result):
                result = await result
        except Refused as refusal:
            return web.json_response(
                {"ok": False, "error_code": refusal.code, "description": refusal.description},
                status=refusal.code,
            )
        return web.json_response({"ok": True, "result": result})

    def _getMe(self, fields: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return BOT_USER

    async def _getUpdates(self, fields: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: N802
        if self.webhook_url:
            raise Refused(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(fields.get("offset") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        timeout = float(fields.get("timeout") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.pending and loop.time() < deadline:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), deadline - loop.time())
            except TimeoutError:
                break
        return list(self.pending)

    def _sendMessage(self, fields: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = int(fields["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"U{chat_id}"},
            "from": BOT_USER,
            "text": _TAGS.sub("", fields["text"]),
        }
        if fields.get("reply_markup"):
            message["reply_markup"] = fields["reply_markup"]
        self.messages[message["message_id"]] = message
        return message

    def _editMessageText(self, fields: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = self.messages[int(fields["message_id"])]
        message["text"] = _TAGS.sub("", fields["text"])
        message["edit_date"] = int(time.time())
        if fields.get("reply_markup"):
            message["reply_markup"] = fields["reply_markup"]
        else:  # Telegram drops the inline keyboard an edit does not repeat
            message.pop("reply_markup", None)
        return message

    def _editMessageReplyMarkup(self, fields: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = self.messages[int(fields["message_id"])]
        if fields.get("reply_markup"):
            message["reply_markup"] = fields["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    def _answerCallbackQuery(self, fields: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _deleteWebhook(self, fields: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook_url, self.webhook_secret = "", None
        return True

    def _setWebhook(self, fields: dict[str, Any]) -> bool:  # noqa: N802
        if not str(fields.get("url", "")).startswith(("http://", "https://")):
            raise Refused(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook_url = fields["url"]
        self.webhook_secret = fields.get("secret_token")
        return True

    def _getWebhookInfo(self, fields: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending) if self.webhook_url else 0,
        }

    def _setMyCommands(self, fields: dict[str, Any]) -> bool:  # noqa: N802
        return True


def _has_url_button(fields: dict[str, Any]) -> bool:
    markup = fields.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any("url" in button for row in rows for button in row)


async def _fields(request: web.Request) -> dict[str, Any]:
    """A call's parameters, nested objects decoded from their JSON strings."""
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    else:
        raw = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            with suppress(ValueError):
                value = json.loads(value)
        decoded[key] = value
    return decoded


@asynccontextmanager
async def bot_api_standin(token: str) -> AsyncIterator[tuple[BotApiStandIn, str]]:
    """The stand-in served on a loopback port; yields it and its base URL."""
    stand_in = BotApiStandIn(token)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", stand_in.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield stand_in, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
