"""Replies to clients through VK's messages.send, with the community's access token.

Plain aiohttp (vk-api is blocking and needs a thread; one POST does not). Each message carries
a `random_id` derived from its idempotency key: VK drops a second send with the same
random_id from the same community, so a retry after a lost answer is not delivered twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from channels.sending import Failed, OutgoingText, Retry, SendResult, Sent
from channels.vk.settings import VkGroupSettings

TIMEOUT_SECONDS = 15.0
# As the Long Poll client's (channels/vk/longpoll.py), not imported from it: that module
# loads vk-api and requests, which sending does not need.
API_VERSION = "5.199"
AUTH_ERROR_CODES = frozenset({5, 27, 28})  # user / group / application authorization failed
TEMPORARY_ERROR_CODES = frozenset({1, 6, 9, 10, 29})  # unknown, rate limits, internal error
# "Can't send messages for users without permission": the user has not allowed messages
# from the community (or has forbidden them).
NO_PERMISSION = 901
_DESCRIPTION_LIMIT = 200


def random_id(idempotency_key: str) -> int:
    """A positive 31-bit `random_id`, the same for every try of one message."""
    return int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:4], "big") >> 1


class VkSender:
    """messages.send for the configured communities; one HTTP session, opened on first use."""

    def __init__(
        self, groups: Sequence[VkGroupSettings], *, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._groups = {group.name: group for group in groups}
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: OutgoingText) -> SendResult:
        """Send the text to the peer from the named community."""
        group = self._groups.get(message.account)
        if group is None:
            return Failed(f"vk: no community {message.account!r} is configured")
        token = group.access_token
        if not token:
            return Failed(f"vk: the community {group.name} has no access token to send with")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        form = {
            "access_token": token,
            "v": API_VERSION,
            "peer_id": message.address,
            "message": message.text,
            "random_id": str(random_id(message.idempotency_key)),
        }
        try:
            async with self._session.post(
                f"{group.api_base}/messages.send",
                data=form,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError:
            return Retry("vk: messages.send timed out")
        except aiohttp.ClientError as err:
            return Retry(f"vk: network error ({type(err).__name__})")
        return _outcome(status, raw, token)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_sender(groups: Sequence[VkGroupSettings]) -> VkSender:
    """The channel's sender from `[[vk.groups]]` (the spec's `SenderSpec.build`)."""
    return VkSender(groups)


def _outcome(status: int, raw: bytes, token: str) -> SendResult:
    data = _json_object(raw)
    if status != 200 or data is None:
        return Retry(f"vk: messages.send failed (HTTP {status})")
    if "response" in data:
        answer = data["response"]
        # With peer_id VK answers the message id; with peer_ids, a list of per-peer results.
        if isinstance(answer, int) and not isinstance(answer, bool):
            return Sent(str(answer))
        return Retry("vk: messages.send answered without a message id")
    error = data.get("error")
    if not isinstance(error, dict):
        return Retry("vk: messages.send answered neither a response nor an error")
    code = error.get("error_code")
    text = error.get("error_msg")
    reason = _clean(f"{code} {text}" if isinstance(text, str) else f"error {code}", token)
    if code in TEMPORARY_ERROR_CODES:
        return Retry(f"vk: {reason}")
    if code in AUTH_ERROR_CODES:
        return Failed(f"vk: the community's access token was refused ({reason})")
    # 901 (no permission from the user), 900 (blacklisted), 7 (no rights), 100 (bad
    # parameter): another try says the same.
    return Failed(f"vk: {reason}")


def _clean(text: str, token: str) -> str:
    text = " ".join(text.replace(token, "***").split())
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
