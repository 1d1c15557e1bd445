"""Telegram long polling: the Bot API's getUpdates, its failures translated into ours.

For bots with `mode = "polling"` (a company without a public URL for a webhook). Plain aiohttp
rather than aiogram: aiogram takes ~2 s to import, and one method with a handful of fields is
all that is needed.

Confirmation is the caller's decision: Telegram forgets every update below the `offset` of a
call, so the caller passes an offset only once everything before it is stored.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.telegram.const import LEAD_UPDATE_KIND

DEFAULT_API_BASE = "https://api.telegram.org"
# Only messages can become leads; Telegram then does not even send the other kinds.
ALLOWED_UPDATES = (LEAD_UPDATE_KIND,)
# Telegram's own cap on updates per call.
MAX_LIMIT = 100
# On top of the long-poll timeout: time for the answer to travel before the call is abandoned.
NETWORK_MARGIN_SECONDS = 10.0
_DESCRIPTION_LIMIT = 200

Update = dict[str, Any]


class PollingConflict(ChannelError):
    """Telegram refused getUpdates (409): a webhook is set, or another process polls the bot."""


class UpdatesClient:
    """getUpdates for one bot token; the HTTP session opens on the first call."""

    def __init__(
        self,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        network_margin: float = NETWORK_MARGIN_SECONDS,
    ) -> None:
        self._token = token
        self._base = api_base.rstrip("/")
        self._margin = network_margin
        self._session: aiohttp.ClientSession | None = None

    async def get_updates(
        self, offset: int | None, wait_seconds: int, limit: int = MAX_LIMIT
    ) -> list[Update]:
        """Updates from `offset` on, held up to `wait_seconds`; confirms every one below it.

        Raises ChannelAuthFailed (token refused), PollingConflict (409), ChannelUnavailable
        (network, timeout, 5xx, flood control, unreadable answer) or ChannelError (any other
        refusal). Messages never contain the token.
        """
        body: dict[str, Any] = {
            "timeout": wait_seconds,
            "limit": limit,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if offset is not None:
            body["offset"] = offset
        return _updates(await self._call("getUpdates", body, wait_seconds + self._margin))

    async def webhook_info(self) -> dict[str, Any]:
        """The bot's getWebhookInfo: its webhook URL ("" when unset), pending updates and the
        last delivery error Telegram saw. Raises as `get_updates` does."""
        result = await self._call("getWebhookInfo", {}, self._margin)
        if not isinstance(result, dict):
            raise ChannelUnavailable("telegram: getWebhookInfo answered with a malformed result")
        return result

    async def set_webhook(self, url: str, secret: str | None) -> None:
        """Point the bot's updates at `url` (setWebhook), signed with `secret` in the
        X-Telegram-Bot-Api-Secret-Token header. Raises as `get_updates` does."""
        body: dict[str, Any] = {"url": url, "allowed_updates": list(ALLOWED_UPDATES)}
        if secret:
            body["secret_token"] = secret
        await self._call("setWebhook", body, self._margin)

    async def delete_webhook(self) -> None:
        """Remove the bot's webhook so getUpdates works (pending updates are kept)."""
        await self._call("deleteWebhook", {"drop_pending_updates": False}, self._margin)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Any Bot API method (sendMessage for auto-replies); its result. Raises as
        `get_updates` does."""
        return await self._call(method, params, self._margin)

    async def _call(self, method: str, body: dict[str, Any], seconds: float) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            async with self._session.post(
                url, json=body, timeout=aiohttp.ClientTimeout(total=seconds)
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError as err:
            raise ChannelUnavailable(f"telegram: {method} timed out") from err
        except aiohttp.ClientError as err:
            # Only the class name: some aiohttp errors quote the URL, which holds the token.
            raise ChannelUnavailable(f"telegram: network error ({type(err).__name__})") from err
        return self._answer(method, status, raw)

    async def close(self) -> None:
        """Close the HTTP session (safe when nothing was called)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _answer(self, method: str, status: int, raw: bytes) -> Any:
        data = _json_object(raw)
        if status == 200 and data is not None and data.get("ok") is True:
            return data.get("result")
        code = status
        description = f"HTTP {status}"
        retry_after: float | None = None
        if data is not None:
            if _is_int(data.get("error_code")):
                code = data["error_code"]
            if isinstance(data.get("description"), str):
                description = self._clean(data["description"])
            parameters = data.get("parameters")
            if isinstance(parameters, dict) and _is_number(parameters.get("retry_after")):
                retry_after = float(parameters["retry_after"])
        raise _failure(method, code, description, retry_after)

    def _clean(self, text: str) -> str:
        text = " ".join(text.replace(self._token, "***").split())
        return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"


def _failure(method: str, code: int, description: str, retry_after: float | None) -> ChannelError:
    if code in (401, 404):
        # 401: a well-formed token Telegram does not know; 404: a malformed one (or a wrong
        # api_base). Either way polling cannot work until someone changes the settings.
        return ChannelAuthFailed(
            f"telegram: the bot token was refused ({code} {description}); check the token"
            " and api_base"
        )
    if code == 409:
        return PollingConflict(
            f"telegram: getUpdates refused ({code} {description}); delete the bot's webhook"
            " (deleteWebhook) or stop the other process polling this bot"
        )
    if code == 429:
        wait = f"retry in {retry_after:g} s" if retry_after is not None else "retry later"
        return ChannelUnavailable(f"telegram: flood control, {wait}", retry_after)
    if code >= 500 or code < 400:
        # 5xx: their servers or a proxy in front; below 400: an answer we could not read.
        return ChannelUnavailable(f"telegram: {method} failed ({code} {description})")
    return ChannelError(f"telegram: {method} refused ({code} {description})")


def _updates(result: object) -> list[Update]:
    """The result array, each element an object with an integer update_id."""
    if not isinstance(result, list) or not all(
        isinstance(u, dict) and _is_int(u.get("update_id")) for u in result
    ):
        raise ChannelUnavailable("telegram: getUpdates answered with a malformed result")
    return result


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError alike
        return None
    return data if isinstance(data, dict) else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
