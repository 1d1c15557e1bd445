"""A local stand-in of the Bot API's sendMessage, sendDocument, getFile and file downloads, and
of VK's messages.send (with messages.isMessagesFromGroupAllowed), docs.getMessagesUploadServer,
the upload server, docs.save and file URLs, for replies tests.

It answers as the platforms do (Telegram: JSON with `ok`, `error_code`, `description`; VK:
HTTP 200 with `response` or `error`), records every call it received, and applies the
queued faults one per call before answering normally.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TELEGRAM_TOKEN = "777000111:AAE-replies-token_for-the-stand-in"
VK_TOKEN = "vk1.a.replies-community-token"
BLOCKED = "Forbidden: bot was blocked by the user"
NO_PERMISSION = "Can't send messages for users without permission"
Fault = Callable[[], web.Response]


def telegram_error(code: int, description: str, retry_after: int | None = None) -> Fault:
    """A Bot API error answer, exactly as Telegram writes it."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return lambda: web.json_response(body, status=code)


def vk_error(code: int, message: str) -> Fault:
    """A VK API error: HTTP 200 with an `error` object."""
    return lambda: web.json_response({"error": {"error_code": code, "error_msg": message}})


def http_error(status: int) -> Fault:
    """A bare HTTP failure (a proxy in front of the platform)."""
    return lambda: web.Response(status=status, text="Bad Gateway")


@dataclass
class PlatformStandIn:
    """sendMessage and messages.send on one local server; `url` is set once it runs."""

    url: str = ""
    telegram_faults: list[Fault] = field(default_factory=list)
    vk_faults: list[Fault] = field(default_factory=list)
    # Every call received, faulted ones included: (chat_id, text) / form fields.
    telegram_calls: list[dict[str, Any]] = field(default_factory=list)
    vk_calls: list[dict[str, str]] = field(default_factory=list)
    # Only what the platform accepted (and so a client would see).
    telegram_delivered: list[dict[str, Any]] = field(default_factory=list)
    vk_delivered: list[dict[str, str]] = field(default_factory=list)
    wrong_tokens: int = 0
    # messages.isMessagesFromGroupAllowed: users (as peer_id strings) who did not allow the
    # community's messages; every other user did. The checks received, as form fields.
    vk_not_allowed: set[str] = field(default_factory=set)
    vk_checks: list[dict[str, str]] = field(default_factory=list)
    vk_check_faults: list[Fault] = field(default_factory=list)
    # Seconds each accepted call takes (to let concurrent dispatchers overlap).
    latency: float = 0.0
    # sendMessage to these chats (chat_id as sent) waits until the event is set.
    telegram_holds: dict[str, asyncio.Event] = field(default_factory=dict)
    # A seeded share of the sendMessage calls past the queued faults answers 500.
    telegram_fail_share: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(20261207))
    # sendDocument: every call (fields, and the document as (file name, type, bytes)).
    telegram_documents: list[dict[str, Any]] = field(default_factory=list)
    # Clients' files Telegram holds: file_id -> content (getFile and /file/bot<token>/...).
    telegram_files: dict[str, bytes] = field(default_factory=dict)
    # VK: files received by the upload server, docs saved, and the docs upload's faults.
    vk_uploads: list[tuple[str, str, bytes]] = field(default_factory=list)
    vk_saved: list[dict[str, str]] = field(default_factory=list)
    vk_upload_faults: list[Fault] = field(default_factory=list)
    # Clients' files VK serves at {url}/vkfiles/<name>.
    vk_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def telegram_api_base(self) -> str:
        """What a bot's `api_base` is set to."""
        return self.url

    @property
    def vk_api_base(self) -> str:
        """What a community's `api_base` is set to."""
        return f"{self.url}/method"

    async def telegram(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != TELEGRAM_TOKEN:
            self.wrong_tokens += 1
            return telegram_error(401, "Unauthorized")()
        method = request.match_info["method"]
        if method == "sendDocument":
            return await self._send_document(request)
        if method == "getFile":
            file_id = (await request.json())["file_id"]
            if file_id not in self.telegram_files:
                return telegram_error(400, "Bad Request: invalid file_id")()
            result = {"file_id": file_id, "file_path": f"documents/{file_id}.bin"}
            return web.json_response({"ok": True, "result": result})
        if method != "sendMessage":
            # The webhook watch asks the bot's webhook state: set, nothing pending.
            return web.json_response(
                {
                    "ok": True,
                    "result": {"url": "https://crm.example/hook", "pending_update_count": 0},
                }
            )
        body = await request.json()
        self.telegram_calls.append(body)
        hold = self.telegram_holds.get(str(body.get("chat_id")))
        if hold is not None:
            await hold.wait()
        if self.telegram_faults:
            return self.telegram_faults.pop(0)()
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.telegram_fail_share and self.rng.random() < self.telegram_fail_share:
            return telegram_error(500, "Internal Server Error")()
        self.telegram_delivered.append(body)
        result = {
            "message_id": 1000 + len(self.telegram_delivered),
            "chat": {"id": body["chat_id"]},
        }
        return web.json_response({"ok": True, "result": result})

    async def _send_document(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        document = form["document"]
        assert isinstance(document, web.FileField), "sendDocument takes the file as a part"
        call = {
            "chat_id": int(str(form["chat_id"])),
            "caption": form.get("caption"),
            "document": (document.filename, document.content_type, document.file.read()),
        }
        self.telegram_documents.append(call)
        self.telegram_calls.append(call)
        if self.telegram_faults:
            return self.telegram_faults.pop(0)()
        self.telegram_delivered.append(call)
        result = {"message_id": 1000 + len(self.telegram_delivered), "chat": {"id": 1}}
        return web.json_response({"ok": True, "result": result})

    async def telegram_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.Response(status=401)
        file_id = request.match_info["path"].removeprefix("documents/").removesuffix(".bin")
        if file_id not in self.telegram_files:
            return web.Response(status=404)
        return web.Response(body=self.telegram_files[file_id], content_type="application/pdf")

    async def vk_upload_server(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("access_token") != VK_TOKEN:
            return vk_error(5, "User authorization failed: invalid access_token (4).")()
        assert form["type"] == "doc" and form["peer_id"]
        return web.json_response({"response": {"upload_url": f"{self.url}/upload/doc"}})

    async def vk_upload(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        file = form["file"]
        assert isinstance(file, web.FileField), "the upload server takes the file as a part"
        if self.vk_upload_faults:
            return self.vk_upload_faults.pop(0)()
        self.vk_uploads.append((file.filename, file.content_type, file.file.read()))
        return web.json_response({"file": f"uploaded-{len(self.vk_uploads)}"})

    async def vk_docs_save(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("access_token") != VK_TOKEN:
            return vk_error(5, "User authorization failed: invalid access_token (4).")()
        self.vk_saved.append(form)
        doc = {"id": 9000 + len(self.vk_saved), "owner_id": 48392017, "title": form["title"]}
        return web.json_response({"response": {"type": "doc", "doc": doc}})

    async def vk_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.vk_files:
            return web.Response(status=404)
        return web.Response(body=self.vk_files[name], content_type="application/octet-stream")

    async def vk(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("access_token") != VK_TOKEN:
            self.wrong_tokens += 1
            return vk_error(5, "User authorization failed: invalid access_token (4).")()
        self.vk_calls.append(form)
        if self.vk_faults:
            return self.vk_faults.pop(0)()
        seen = [d for d in self.vk_delivered if d["random_id"] == form["random_id"]]
        if seen:
            # VK does not deliver a repeated random_id again; it answers the first message's id.
            return web.json_response({"response": 500 + self.vk_delivered.index(seen[0]) + 1})
        self.vk_delivered.append(form)
        return web.json_response({"response": 500 + len(self.vk_delivered)})

    async def vk_allowed(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("access_token") != VK_TOKEN:
            self.wrong_tokens += 1
            return vk_error(5, "User authorization failed: invalid access_token (4).")()
        self.vk_checks.append(form)
        if self.vk_check_faults:
            return self.vk_check_faults.pop(0)()
        allowed = 0 if form.get("user_id") in self.vk_not_allowed else 1
        return web.json_response({"response": {"is_allowed": allowed}})


@asynccontextmanager
async def platform_stand_in() -> AsyncIterator[PlatformStandIn]:
    """The stand-in running on a loopback port for the block."""
    stand_in = PlatformStandIn()
    # Telegram takes documents up to 50 MB, VK's upload server more: not aiohttp's 1 MiB.
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app.router.add_post("/bot{token}/{method}", stand_in.telegram)
    app.router.add_get("/file/bot{token}/{path:.+}", stand_in.telegram_file)
    app.router.add_post("/method/docs.getMessagesUploadServer", stand_in.vk_upload_server)
    app.router.add_post("/upload/doc", stand_in.vk_upload)
    app.router.add_post("/method/docs.save", stand_in.vk_docs_save)
    app.router.add_get("/vkfiles/{name}", stand_in.vk_file)
    app.router.add_post("/method/messages.send", stand_in.vk)
    app.router.add_post("/method/messages.isMessagesFromGroupAllowed", stand_in.vk_allowed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("")).rstrip("/")
    try:
        yield stand_in
    finally:
        await server.close()


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll `condition` (sync) until it holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)
