"""VK Bots Long Poll: groups.getLongPollServer and a_check, their failures translated into ours.

For communities with `mode = "longpoll"` (no public URL for the Callback API). The `vk-api`
package makes the API call (groups.getLongPollServer); the a_check request goes through the
same requests session, but is our own: vk-api's `VkBotLongPoll.check` moves `ts` forward
before returning the events, and here `ts` is the caller's to move once the events are stored.

vk-api is blocking (requests), so every call runs in one worker thread per client, bridged
into asyncio with `run_in_executor`. One thread rather than `asyncio.to_thread`: the calls of
one community are sequential anyway, vk-api's session is not meant for concurrent use, and a
long poll left running when the client closes does not hold up the loop's default executor.

vk-api posts to a fixed `https://api.vk.ru/method/…`; `api_base` is honoured through the
requests session vk-api accepts (`session=`), which rewrites that prefix.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import requests
import vk_api
from jconfig.memory import MemoryConfig
from vk_api.exceptions import TOO_MANY_RPS_CODE

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.vk.adapter import CallbackOutcome, VkGroupSpec, parse_callback

DEFAULT_API_BASE = "https://api.vk.com/method"
# message_new carries {"message", "client_info"} from 5.103 on; the adapter needs that shape.
API_VERSION = "5.199"
# VK holds an a_check call this long (at most 90) when there is nothing to send.
WAIT_SECONDS = 25
# On top of the wait: time for the answer to travel before the call is abandoned.
NETWORK_MARGIN_SECONDS = 10.0
# VK API error codes (https://dev.vk.com/ru/reference/errors).
AUTH_ERROR_CODES = frozenset({5, 27, 28})  # user / group / application authorization failed
TEMPORARY_ERROR_CODES = frozenset({1, 6, 9, 10, 29})  # unknown, rate limits, internal error
# a_check `failed` values.
FAILED_HISTORY_LOST = 1  # events were lost from VK's history: go on from the new ts
FAILED_KEY_EXPIRED = 2  # get a new key, keep ts
FAILED_INFORMATION_LOST = 3  # get a new key and ts
_VK_METHOD_URL = re.compile(r"^https://api\.vk\.(?:com|ru)/method/")
_DESCRIPTION_LIMIT = 200

Update = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LongPollServer:
    """What groups.getLongPollServer answers: where to poll, with which key, from which ts."""

    server: str
    key: str = field(repr=False)
    ts: str


@dataclass(frozen=True, slots=True)
class Updates:
    """An a_check answer with events; `ts` is where the next call goes on from."""

    ts: str
    updates: list[Update]


@dataclass(frozen=True, slots=True)
class PollFailed:
    """An a_check answer `{"failed": N}`; `ts` is VK's new ts (given with failed 1 only)."""

    failed: int
    ts: str | None = None


CheckResult = Updates | PollFailed


class _ApiBaseSession(requests.Session):
    """A requests session sending vk-api's method calls to `api_base` instead of VK's host."""

    def __init__(self, api_base: str) -> None:
        super().__init__()
        self._api_base = api_base.rstrip("/") + "/"

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send the request, `https://api.vk.*/method/` rewritten to `api_base`."""
        if isinstance(url, str):
            url = _VK_METHOD_URL.sub(lambda _m: self._api_base, url)
        return super().request(method, url, *args, **kwargs)


class BotsLongPollClient:
    """groups.getLongPollServer and a_check for one community; the thread opens on first use."""

    def __init__(
        self,
        group_id: int,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        api_version: str = API_VERSION,
        network_margin: float = NETWORK_MARGIN_SECONDS,
    ) -> None:
        self.group_id = group_id
        self._token = token
        self._api_base = api_base
        self._api_version = api_version
        self._margin = network_margin
        self._executor: ThreadPoolExecutor | None = None
        self._vk: vk_api.VkApiGroup | None = None

    async def get_server(self) -> LongPollServer:
        """A new server, key and ts (groups.getLongPollServer).

        Raises ChannelAuthFailed (token refused), ChannelUnavailable (network, 5xx, rate
        limits, VK's internal errors, an unreadable answer) or ChannelError (any other
        refusal, such as Long Poll being off in the community's settings). Messages never
        contain the token or the key.
        """
        return await self._in_thread(self._get_server)

    async def check(
        self, server: LongPollServer, ts: str, wait: int = WAIT_SECONDS
    ) -> CheckResult:
        """Events after `ts`, held up to `wait` seconds, or VK's `failed` answer."""
        return await self._in_thread(lambda: self._check(server, ts, wait))

    async def close(self) -> None:
        """Drop the thread and the HTTP session (safe when nothing was called).

        A long poll still running in the thread is abandoned: it ends by its own timeout,
        and its answer (with its ts) is never used.
        """
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._vk is not None:
            self._vk.http.close()
            self._vk = None

    async def _in_thread(self, call: Callable[[], _T]) -> _T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, f"vk-longpoll-{self.group_id}")
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _api(self) -> vk_api.VkApiGroup:
        if self._vk is None:
            vk = vk_api.VkApiGroup(
                token=self._token,
                api_version=self._api_version,
                session=_ApiBaseSession(self._api_base),
                config=MemoryConfig,  # the default reads vk_config.v2.json from the cwd
            )
            # vk-api would sleep and retry rate limits itself, out of our backoff's sight.
            vk.error_handlers.pop(TOO_MANY_RPS_CODE, None)
            self._vk = vk
        return self._vk

    def _get_server(self) -> LongPollServer:
        method = "groups.getLongPollServer"
        try:
            answer = self._api().method(method, {"group_id": self.group_id})
        except vk_api.ApiError as err:
            raise self._api_failure(method, err.code, str(err.error.get("error_msg"))) from err
        except vk_api.ApiHttpError as err:
            status = err.response.status_code
            raise ChannelUnavailable(f"vk: {method} failed (HTTP {status})") from err
        except vk_api.VkApiError as err:  # captcha and the like: a refusal we cannot answer
            raise ChannelError(f"vk: {method} refused ({type(err).__name__})") from err
        except requests.Timeout as err:
            raise ChannelUnavailable(f"vk: {method} timed out") from err
        except (requests.RequestException, ValueError) as err:
            # Only the class name: requests' messages quote the URL, which holds the token.
            raise ChannelUnavailable(f"vk: {method} network error ({type(err).__name__})") from err
        if not isinstance(answer, dict) or not all(
            isinstance(answer.get(k), str) and answer[k] for k in ("server", "key")
        ):
            raise ChannelUnavailable(f"vk: {method} answered without a server and key")
        ts = _ts(answer.get("ts"))
        if ts is None:
            raise ChannelUnavailable(f"vk: {method} answered without a ts")
        return LongPollServer(server=answer["server"], key=answer["key"], ts=ts)

    def _check(self, server: LongPollServer, ts: str, wait: int) -> CheckResult:
        params = {"act": "a_check", "key": server.key, "ts": ts, "wait": wait}
        try:
            response = self._api().http.get(
                server.server, params=params, timeout=wait + self._margin
            )
            status = response.status_code
            raw = response.content
        except requests.Timeout as err:
            raise ChannelUnavailable("vk: long poll timed out") from err
        except requests.RequestException as err:
            # Only the class name: requests' messages quote the URL, which holds the key.
            raise ChannelUnavailable(
                f"vk: long poll network error ({type(err).__name__})"
            ) from err
        data = _json_object(raw)
        if status != 200 or data is None:
            raise ChannelUnavailable(f"vk: long poll failed (HTTP {status})")
        return _check_answer(data)

    def _api_failure(self, method: str, code: object, message: str) -> ChannelError:
        text = " ".join(message.replace(self._token, "***").split())
        if len(text) > _DESCRIPTION_LIMIT:
            text = text[: _DESCRIPTION_LIMIT - 1] + "…"
        if code in AUTH_ERROR_CODES:
            return ChannelAuthFailed(
                f"vk: the access token was refused ({code} {text}); check the community's"
                " token and api_base"
            )
        if code in TEMPORARY_ERROR_CODES:
            return ChannelUnavailable(f"vk: {method} failed ({code} {text})")
        return ChannelError(f"vk: {method} refused ({code} {text})")


def parse_update(
    group_id: int, update: Mapping[str, Any], *, received_at: datetime
) -> CallbackOutcome:
    """One Long Poll event through the Callback API adapter: the objects are the same.

    No secret check (Long Poll events carry none: the token authenticated the call), and the
    external_id is the callback mode's "{group_id}:{event_id}", so a community switching
    modes never stores an event twice.
    """
    body = json.dumps(update, ensure_ascii=False).encode()
    return parse_callback(VkGroupSpec(group_id, confirmation=""), body, received_at=received_at)


def _check_answer(data: Mapping[str, Any]) -> CheckResult:
    failed = data.get("failed")
    if failed is not None:
        if failed not in (FAILED_HISTORY_LOST, FAILED_KEY_EXPIRED, FAILED_INFORMATION_LOST):
            raise ChannelUnavailable(f"vk: long poll answered an unknown failed={failed!r}")
        ts = _ts(data.get("ts"))
        if failed == FAILED_HISTORY_LOST and ts is None:
            raise ChannelUnavailable("vk: long poll answered failed=1 without a ts")
        return PollFailed(int(failed), ts)
    ts = _ts(data.get("ts"))
    updates = data.get("updates")
    if (
        ts is None
        or not isinstance(updates, list)
        or not all(isinstance(u, dict) for u in updates)
    ):
        raise ChannelUnavailable("vk: long poll answered with malformed updates")
    return Updates(ts=ts, updates=updates)


def _ts(value: object) -> str | None:
    """VK writes ts as a string in some answers and a number in others; kept as text."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
