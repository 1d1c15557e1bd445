"""Registering our Callback API server with a VK community, as the community's settings page
would: groups.getCallbackServers (is our URL there already?), groups.addCallbackServer or
groups.editCallbackServer (URL, title, secret key), groups.setCallbackSettings (the API
version and the events we take: message_new), then groups.getCallbackConfirmationCode (the
string VK expects our endpoint to answer, compared with the configured `confirmation`).

Plain aiohttp with the community's access token, as the sender; errors become ours
(`ChannelAuthFailed`, `ChannelUnavailable`, `ChannelError`), never quoting the token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.vk.sender import API_VERSION
from channels.vk.settings import VkGroupSettings

TIMEOUT_SECONDS = 15.0
# The server's name in the community's «Работа с API» list (VK allows up to 14 characters).
SERVER_TITLE = "LeadIntake"
# The events a lead is made of (channels/vk/adapter.py); VK sends no others then.
EVENTS = ("message_new",)
AUTH_ERROR_CODES = frozenset({5, 27, 28})
TEMPORARY_ERROR_CODES = frozenset({1, 6, 9, 10, 29})
_DESCRIPTION_LIMIT = 200


@dataclass(frozen=True, slots=True)
class CallbackRegistration:
    """What registering did: the server's id at VK, whether it was new, and the
    confirmation string VK expects (to compare with the configured one)."""

    server_id: int
    added: bool
    confirmation: str


async def register_callback(group: VkGroupSettings, url: str) -> CallbackRegistration:
    """Make VK post the community's new messages to `url`, signed with its secret key."""
    if not group.access_token:
        raise ChannelAuthFailed(f"vk: the community {group.name} has no access token")
    async with aiohttp.ClientSession() as session:
        api = _Api(session, group, TIMEOUT_SECONDS)
        servers = await api.call("groups.getCallbackServers", {})
        items = servers.get("items") if isinstance(servers, dict) else None
        existing = next(
            (
                s["id"]
                for s in items or ()
                if isinstance(s, dict) and s.get("url") == url and isinstance(s.get("id"), int)
            ),
            None,
        )
        fields = {"url": url, "title": SERVER_TITLE, "secret_key": group.secret or ""}
        if existing is None:
            answer = await api.call("groups.addCallbackServer", fields)
            server_id = answer.get("server_id") if isinstance(answer, dict) else None
            if not isinstance(server_id, int):
                raise ChannelUnavailable("vk: groups.addCallbackServer answered without an id")
        else:
            server_id = existing
            await api.call("groups.editCallbackServer", {"server_id": str(server_id), **fields})
        await api.call(
            "groups.setCallbackSettings",
            {"server_id": str(server_id), "api_version": API_VERSION} | dict.fromkeys(EVENTS, "1"),
        )
        code = await api.call("groups.getCallbackConfirmationCode", {})
    confirmation = code.get("code") if isinstance(code, dict) else None
    return CallbackRegistration(server_id, existing is None, str(confirmation or ""))


class _Api:
    def __init__(self, session: aiohttp.ClientSession, group: VkGroupSettings, timeout: float):
        self._session = session
        self._group = group
        self._timeout = timeout

    async def call(self, method: str, fields: dict[str, str]) -> Any:
        token = self._group.access_token or ""
        form = {"access_token": token, "v": API_VERSION, "group_id": self._group.name, **fields}
        try:
            async with self._session.post(
                f"{self._group.api_base}/{method}",
                data=form,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status, raw = response.status, await response.read()
        except TimeoutError as err:
            raise ChannelUnavailable(f"vk: {method} timed out") from err
        except aiohttp.ClientError as err:
            raise ChannelUnavailable(f"vk: network error ({type(err).__name__})") from err
        data = _json_object(raw)
        if status != 200 or data is None:
            raise ChannelUnavailable(f"vk: {method} failed (HTTP {status})")
        if "response" in data:
            return data["response"]
        error = data.get("error")
        code = error.get("error_code") if isinstance(error, dict) else None
        text = error.get("error_msg") if isinstance(error, dict) else None
        reason = _clean(f"{code} {text}" if isinstance(text, str) else f"error {code}", token)
        if code in AUTH_ERROR_CODES:
            raise ChannelAuthFailed(f"vk: the access token was refused ({reason})")
        if code in TEMPORARY_ERROR_CODES:
            raise ChannelUnavailable(f"vk: {method} failed ({reason})")
        raise ChannelError(f"vk: {method} refused ({reason})")


def in_russian(err: ChannelError) -> str:
    """The head's words for a failed registration."""
    if isinstance(err, ChannelAuthFailed):
        return (
            "ВКонтакте не принял ключ доступа сообщества: проверьте токен "
            "(нужно право «управление сообществом»)"
        )
    if isinstance(err, ChannelUnavailable):
        return f"ВКонтакте недоступен, попробуйте позже ({err})"
    return f"ВКонтакте отказал в регистрации сервера ({err})"


def _clean(text: str, token: str) -> str:
    if token:
        text = text.replace(token, "***")
    text = " ".join(text.split())
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
