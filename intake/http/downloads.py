"""Downloads of a conversation's files, shared by the API and the workplace.

A file the manager sent comes from storage; a file the client sent is fetched from its
platform now, through the sender of the channel that received it (Telegram getFile and the
file's path, VK's URL), and passed on without being stored.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from channels.sending import FileFetcher, FileNotAvailable
from crm_core.attachments import RemoteFile, StoredFile, find_file
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.sales import RecordKind
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES
from intake.replies.wiring import build_senders

log = logging.getLogger(__name__)
# A client's file larger than this is not passed on (Telegram bots may download up to 20 MB).
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
NOT_FOUND_RU = "Файл не найден или недоступен вам."
UNAVAILABLE_RU = "Платформа не отдала файл: {reason}. Попробуйте позже."


async def attachment_response(
    request: web.Request,
    manager: Manager,
    entity: RecordKind,
    entity_id: int,
    token: str,
    *,
    plain: bool = False,
) -> web.StreamResponse:
    """The file named by `token` on the record, as a download; 404 when the manager may not
    see the record or there is no such file, 502 when the platform does not give it.
    `plain`: errors as Russian text (the workplace), not JSON."""
    services = request.app[SERVICES]
    try:
        async with services.storage.reader() as uow:
            found = await find_file(uow, manager, entity, entity_id, token)
    except DomainError as err:
        if plain:
            return web.Response(status=err.status, text=NOT_FOUND_RU, content_type="text/plain")
        return error_response(err.status, error_code(err), err.message, field=err.field)
    if isinstance(found, StoredFile):
        return _file(found.name, found.content_type, found.content)
    try:
        content, content_type = await _fetch(request, found)
    except FileNotAvailable as err:
        log.warning("attachment_unavailable channel=%s temporary=%s", found.channel, err.temporary)
        if plain:
            text = UNAVAILABLE_RU.format(reason=err.reason)
            return web.Response(status=502, text=text, content_type="text/plain")
        return error_response(502, "file_unavailable", err.reason, field="attachment")
    return _file(found.file.name, found.file.content_type or content_type, content)


async def _fetch(request: web.Request, found: RemoteFile) -> tuple[bytes, str]:
    senders = build_senders(request.app[SERVICES].settings)
    try:
        sender = senders.get(found.channel)
        if not isinstance(sender, FileFetcher):
            raise FileNotAvailable(f"{found.channel}: files cannot be downloaded from it")
        fetched = await sender.fetch_file(found.account, found.file.ref, MAX_DOWNLOAD_BYTES)
    finally:
        for sender in senders.values():
            await sender.close()
    return fetched.content, fetched.content_type or "application/octet-stream"


def _file(name: str, content_type: str, content: bytes) -> web.Response:
    """The file as an attachment, always application/octet-stream: its type is only the
    sender's word, so the browser saves it rather than rendering it (`X-File-Type` keeps
    that word for API clients)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return web.Response(
        body=content,
        headers={
            "Content-Type": "application/octet-stream",
            "X-File-Type": content_type,
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
