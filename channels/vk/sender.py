"""Replies to clients through VK's messages.send, with the community's access token.

Plain aiohttp (vk-api is blocking and needs a thread; one POST does not). Each message carries
a `random_id` derived from its idempotency key: VK drops a second send with the same
random_id from the same community, so a retry after a lost answer is not delivered twice.

A community may write only to users who allowed its messages (writing to it first counts,
and the user may forbid them again at any time). Before sending to a user the sender asks
messages.isMessagesFromGroupAllowed, and a user who has not allowed them fails the message
with that reason and no messages.send; an allowed user is not asked again for a while.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from channels.downloads import download
from channels.sending import (
    Failed,
    FetchedFile,
    FileNotAvailable,
    OutgoingFile,
    OutgoingText,
    Retry,
    SendResult,
    Sent,
)
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
# How long a user's permission, once confirmed, is trusted without asking again: if they
# forbid messages meanwhile, messages.send answers 901, which fails the message the same way.
ALLOWED_TTL_SECONDS = 600.0
# Peer ids from 2e9 are conversations (chats), below zero communities: the permission is a
# user's, so only users are asked.
_CHAT_PEER_FROM = 2_000_000_000
# Past this many remembered users the expired ones are forgotten (a long-running process).
_ALLOWED_CACHE_LIMIT = 10_000
NOT_ALLOWED = (
    "vk: the user has not allowed messages from the community"
    " (messages.isMessagesFromGroupAllowed: is_allowed=0)"
)
# The manager's words for what this sender records: VK's error codes, then its own reasons.
CODE_EXPLANATIONS: dict[int, str] = {
    NO_PERMISSION: "Клиент не разрешил сообщения от сообщества ВКонтакте",
    900: "Клиент добавил сообщество в чёрный список ВКонтакте",
    902: "Клиент запретил сообщения настройками приватности ВКонтакте",
    914: "Сообщение длиннее, чем принимает ВКонтакте",
    6: "ВКонтакте ограничил частоту отправки: сообщение уйдёт позже",
    9: "ВКонтакте ограничил частоту отправки: сообщение уйдёт позже",
    29: "ВКонтакте ограничил частоту отправки: сообщение уйдёт позже",
}
EXPLANATIONS: tuple[tuple[str, str], ...] = (
    ("has not allowed messages", CODE_EXPLANATIONS[NO_PERMISSION]),
    (
        "access token was refused",
        "ВКонтакте не принял ключ доступа сообщества: проверьте настройки",
    ),
    ("no community", "Сообщество ВКонтакте не настроено в LeadIntake"),
    ("has no access token", "У сообщества ВКонтакте в LeadIntake нет ключа доступа для отправки"),
)


# Where VK serves a client's files from (a doc's or photo's URL in the message).
FILE_HOST_SUFFIXES = (".vk.com", ".userapi.com", ".vk.me", ".vkuserphoto.ru")


def random_id(idempotency_key: str) -> int:
    """A positive 31-bit `random_id`, the same for every try of one message."""
    return int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:4], "big") >> 1


class VkSender:
    """messages.send for the configured communities; one HTTP session, opened on first use."""

    def __init__(
        self,
        groups: Sequence[VkGroupSettings],
        *,
        timeout: float = TIMEOUT_SECONDS,
        allowed_ttl: float = ALLOWED_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._groups = {group.name: group for group in groups}
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._allowed_ttl = allowed_ttl
        self._monotonic = monotonic
        # (community, user) -> until when their confirmed permission is trusted.
        self._allowed_until: dict[tuple[str, str], float] = {}

    async def send(self, message: OutgoingText) -> SendResult:
        """Send the text to the peer from the named community."""
        group = self._groups.get(message.account)
        if group is None:
            return Failed(f"vk: no community {message.account!r} is configured")
        token = group.access_token
        if not token:
            return Failed(f"vk: the community {group.name} has no access token to send with")
        if await self._allowed(group, token, message.address) is False:
            return Failed(NOT_ALLOWED)
        form = {
            "access_token": token,
            "v": API_VERSION,
            "peer_id": message.address,
            "message": message.text,
            "random_id": str(random_id(message.idempotency_key)),
        }
        if message.attachments:
            # Uploaded again on a retry (an unsent upload is only an unused doc); the message
            # itself still goes once, by its random_id.
            doc = await self._upload(group, token, message.address, message.attachments[0])
            if not isinstance(doc, str):
                return doc
            form["attachment"] = doc
        try:
            status, raw = await self._post(f"{group.api_base}/messages.send", form)
        except TimeoutError:
            return Retry("vk: messages.send timed out")
        except aiohttp.ClientError as err:
            return Retry(f"vk: network error ({type(err).__name__})")
        return _outcome(status, raw, token)

    async def _allowed(self, group: VkGroupSettings, token: str, peer: str) -> bool | None:
        """Whether the user allowed the community's messages; None when not a user or VK did
        not say (then messages.send decides: it refuses such a user with error 901)."""
        try:
            user_id = int(peer)
        except ValueError:
            return None
        if not 0 < user_id < _CHAT_PEER_FROM:
            return None
        key = (group.name, peer)
        now = self._monotonic()
        if self._allowed_until.get(key, 0.0) > now:
            return True
        form = {
            "access_token": token,
            "v": API_VERSION,
            "group_id": str(group.group_id),
            "user_id": peer,
        }
        try:
            status, raw = await self._post(
                f"{group.api_base}/messages.isMessagesFromGroupAllowed", form
            )
        except (TimeoutError, aiohttp.ClientError):
            return None
        data = _json_object(raw)
        answer = data.get("response") if status == 200 and data is not None else None
        allowed = answer.get("is_allowed") if isinstance(answer, dict) else None
        if allowed not in (0, 1) or isinstance(allowed, bool):
            return None
        if allowed == 1:
            if len(self._allowed_until) >= _ALLOWED_CACHE_LIMIT:
                self._allowed_until = {k: t for k, t in self._allowed_until.items() if t > now}
            self._allowed_until[key] = now + self._allowed_ttl
            return True
        self._allowed_until.pop(key, None)
        return False

    async def _upload(
        self, group: VkGroupSettings, token: str, peer: str, file: OutgoingFile
    ) -> str | SendResult:
        """The file as a doc of the conversation ("doc<owner>_<id>"), or why not:
        docs.getMessagesUploadServer, the upload itself, docs.save."""
        base = {"access_token": token, "v": API_VERSION}
        try:
            status, raw = await self._post(
                f"{group.api_base}/docs.getMessagesUploadServer",
                {**base, "type": "doc", "peer_id": peer},
            )
            server, failed = _response(status, raw, token, "docs.getMessagesUploadServer")
            if failed is not None:
                return failed
            if not isinstance(server, dict) or not isinstance(server.get("upload_url"), str):
                return Retry("vk: docs.getMessagesUploadServer answered without upload_url")
            upload = aiohttp.FormData(quote_fields=False)  # UTF-8 names as browsers send them
            upload.add_field(
                "file", file.content, filename=file.name, content_type=file.content_type
            )
            assert self._session is not None
            async with self._session.post(
                server["upload_url"],
                data=upload,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                uploaded = _json_object(await response.read())
                upload_status = response.status
            if upload_status != 200 or uploaded is None or not uploaded.get("file"):
                error = (uploaded or {}).get("error") or f"HTTP {upload_status}"
                return Retry(f"vk: the file upload failed ({_clean(str(error), token)})")
            status, raw = await self._post(
                f"{group.api_base}/docs.save",
                {**base, "file": str(uploaded["file"]), "title": file.name},
            )
        except TimeoutError:
            return Retry("vk: the file upload timed out")
        except aiohttp.ClientError as err:
            return Retry(f"vk: network error ({type(err).__name__})")
        saved, failed = _response(status, raw, token, "docs.save")
        if failed is not None:
            return failed
        doc = saved.get("doc") if isinstance(saved, dict) else None
        if not isinstance(doc, dict) or "id" not in doc or "owner_id" not in doc:
            return Retry("vk: docs.save answered without a doc")
        return f"doc{doc['owner_id']}_{doc['id']}"

    async def fetch_file(self, account: str, ref: str, max_bytes: int) -> FetchedFile:
        """Download a client's file by the URL VK gave in the message."""
        group = self._groups.get(account)
        if group is None:
            raise FileNotAvailable(f"vk: no community {account!r} is configured")
        if not _vk_file_url(ref, group.api_base):
            raise FileNotAvailable("vk: the file's address is not VK's")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return await download(self._session, ref, "vk", max_bytes, timeout_seconds=self._timeout)

    async def _post(self, url: str, form: dict[str, str]) -> tuple[int, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            url, data=form, timeout=aiohttp.ClientTimeout(total=self._timeout)
        ) as response:
            return response.status, await response.read()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_sender(groups: Sequence[VkGroupSettings]) -> VkSender:
    """The channel's sender from `[[vk.groups]]` (the spec's `SenderSpec.build`)."""
    return VkSender(groups)


def explain(error: str) -> str | None:
    """The manager's words for an error this sender recorded; None for an unknown one."""
    code = error.removeprefix("vk: ").split(" ", 1)[0]
    if code.isdigit() and int(code) in CODE_EXPLANATIONS:
        return CODE_EXPLANATIONS[int(code)]
    return next((words for part, words in EXPLANATIONS if part in error), None)


def _vk_file_url(url: str, api_base: str) -> bool:
    """Whether a file URL is VK's own (https on VK's hosts) or the API's host (a stand-in
    or proxy set as `api_base`), so a download never goes elsewhere."""
    parts, api = urlsplit(url), urlsplit(api_base)
    if (
        parts.scheme == "https"
        and parts.hostname
        and (parts.hostname == "vk.com" or parts.hostname.endswith(FILE_HOST_SUFFIXES))
    ):
        return True
    return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)


def _response(status: int, raw: bytes, token: str, method: str) -> tuple[Any, SendResult | None]:
    """A VK method's `response`, or (None, the outcome its failure makes)."""
    data = _json_object(raw)
    if status != 200 or data is None:
        return None, Retry(f"vk: {method} failed (HTTP {status})")
    if "response" in data:
        return data["response"], None
    outcome = _outcome(status, raw, token)
    return None, outcome if not isinstance(outcome, Sent) else Retry(f"vk: {method} failed")


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
