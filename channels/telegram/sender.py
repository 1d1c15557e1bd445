"""Replies to clients through the Bot API's sendMessage, by the bot the client wrote to.

Plain aiohttp, as the poller: one method with two fields. The Bot API has no idempotency key
for sendMessage, so a message is sent again only when the answer to the previous try was
lost (a network failure after Telegram received it): at least once, as rarely twice as the
network allows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from channels.downloads import download, network_errors
from channels.sending import (
    Failed,
    FetchedFile,
    FileNotAvailable,
    OutgoingText,
    Retry,
    SendResult,
    Sent,
)
from channels.telegram.settings import TelegramBotSettings

TIMEOUT_SECONDS = 15.0
_DESCRIPTION_LIMIT = 200
# A bot may write to a user only after the user wrote to it (a client who wrote to the bot
# has), and until the user blocks it; Telegram has no time window on top of that, and no
# way to ask before sending: its refusals of sendMessage are the check. The known ones, in
# the manager's words (matched in the description Telegram gave, case aside).
EXPLANATIONS: tuple[tuple[str, str], ...] = (
    ("bot was blocked by the user", "Клиент заблокировал бота"),
    ("chat not found", "Чат не найден"),
    ("user is deactivated", "Аккаунт клиента в Telegram удалён"),
    (
        "bot can't initiate conversation",
        "Клиент не запускал бота: бот не может написать первым",
    ),
    ("bot was kicked", "Бота удалили из чата"),
    ("not enough rights", "У бота нет права писать в этот чат"),
    ("message is too long", "Сообщение длиннее, чем принимает Telegram"),
    ("too many requests", "Telegram ограничил частоту отправки: сообщение уйдёт позже"),
    ("unauthorized", "Telegram не принял токен бота: проверьте настройки бота"),
    ("no bot", "Бот не настроен в LeadIntake"),
    ("has no token", "У бота в LeadIntake нет токена для отправки"),
)


class TelegramSender:
    """sendMessage through the configured bots; one HTTP session, opened on the first send."""

    def __init__(
        self, bots: Sequence[TelegramBotSettings], *, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._bots = {bot.name: bot for bot in bots}
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: OutgoingText) -> SendResult:
        """Send the text to the chat through the named bot."""
        bot = self._bots.get(message.account)
        if bot is None:
            return Failed(f"telegram: no bot {message.account!r} is configured")
        if not bot.token:
            return Failed(f"telegram: the bot {bot.name!r} has no token to send with")
        try:
            chat_id: int | str = int(message.address)
        except ValueError:
            chat_id = message.address
        if self._session is None:
            self._session = aiohttp.ClientSession()
        method = "sendDocument" if message.attachments else "sendMessage"
        url = f"{bot.api_base}/bot{bot.token}/{method}"
        body: aiohttp.FormData | None = None
        if message.attachments:
            # One file per message (crm_core.replies.MAX_ATTACHMENTS); the text is its caption.
            file = message.attachments[0]
            body = aiohttp.FormData(quote_fields=False)  # UTF-8 names as browsers send them
            body.add_field("chat_id", str(chat_id))
            if message.text:
                body.add_field("caption", message.text)
            body.add_field(
                "document", file.content, filename=file.name, content_type=file.content_type
            )
        try:
            async with self._session.post(
                url,
                json=None if body else {"chat_id": chat_id, "text": message.text},
                data=body,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError:
            return Retry(f"telegram: {method} timed out")
        except aiohttp.ClientError as err:
            # Only the class name: some aiohttp errors quote the URL, which holds the token.
            return Retry(f"telegram: network error ({type(err).__name__})")
        return _outcome(status, raw, bot.token)

    async def fetch_file(self, account: str, ref: str, max_bytes: int) -> FetchedFile:
        """Download a client's file by its file_id: getFile, then the file's path."""
        bot = self._bots.get(account)
        if bot is None or not bot.token:
            raise FileNotAvailable(f"telegram: no bot {account!r} with a token is configured")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        with network_errors("telegram"):
            async with self._session.post(
                f"{bot.api_base}/bot{bot.token}/getFile",
                json={"file_id": ref},
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status, raw = response.status, await response.read()
        data = _json_object(raw)
        result = data.get("result") if data and data.get("ok") is True else None
        path = result.get("file_path") if isinstance(result, dict) else None
        if not isinstance(path, str) or not path:
            description = data.get("description") if data else None
            reason = description if isinstance(description, str) else f"HTTP {status}"
            raise FileNotAvailable(
                f"telegram: getFile: {_clean(reason, bot.token)}", temporary=status >= 500
            )
        return await download(
            self._session,
            f"{bot.api_base}/file/bot{bot.token}/{path}",
            "telegram",
            max_bytes,
            timeout_seconds=self._timeout,
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_sender(bots: Sequence[TelegramBotSettings]) -> TelegramSender:
    """The channel's sender from `[[telegram.bots]]` (the spec's `SenderSpec.build`)."""
    return TelegramSender(bots)


def explain(error: str) -> str | None:
    """The manager's words for an error this sender recorded; None for an unknown one."""
    lowered = error.lower()
    return next((words for part, words in EXPLANATIONS if part in lowered), None)


def _outcome(status: int, raw: bytes, token: str) -> SendResult:
    data = _json_object(raw)
    if status == 200 and data is not None and data.get("ok") is True:
        result = data.get("result")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None:
            return Retry("telegram: the answer has no message id")
        return Sent(str(message_id))
    code = status
    description = f"HTTP {status}"
    retry_after: float | None = None
    if data is not None:
        if isinstance(data.get("error_code"), int):
            code = data["error_code"]
        if isinstance(data.get("description"), str):
            description = _clean(data["description"], token)
        parameters = data.get("parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            retry_after = float(parameters["retry_after"])
    if code == 429:
        return Retry(description, retry_after)
    if code >= 500 or code < 400:
        # 5xx: Telegram or a proxy in front; below 400: an answer we could not read.
        return Retry(description)
    # 400 (chat not found, text refused), 403 (bot was blocked by the user, kicked),
    # 401/404 (token refused): another try says the same.
    return Failed(description)


def _clean(text: str, token: str) -> str:
    text = " ".join(text.replace(token, "***").split())
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
