"""Files sent with a manager's message: multipart/form-data on the routes that take them.

The service's bodies are small (`[http] max_body_bytes`, 64 KiB by default); a message with a
file is up to 20 MB. For a multipart POST to one of UPLOAD_PATHS this middleware, placed
before the body timeout, raises the request's own size cap to MAX_UPLOAD_BYTES and reads the
form (aiohttp spools file parts to temporary files) within UPLOAD_TIMEOUT_SECONDS, so the
layers after it (CSRF, the handler) find it parsed. Any other request keeps the small cap.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from crm_core.replies import ATTACHMENTS_FIELD
from crm_core.replies_model import MAX_ATTACHMENT_BYTES, NewAttachment
from intake.http.body import BadBody
from intake.http.errors import Handler, error_response

MULTIPART = "multipart/form-data"
# The form's own fields (text, channel, keys) on top of the file.
FORM_OVERHEAD_BYTES = 1024 * 1024
MAX_UPLOAD_BYTES = MAX_ATTACHMENT_BYTES + FORM_OVERHEAD_BYTES
# 20 MB over a slow mobile uplink (about 1 Mbit/s) takes under three minutes.
UPLOAD_TIMEOUT_SECONDS = 300.0
API_UPLOAD_PATH = "/api/v1/conversations/{entity}/{entity_id}/messages"
UPLOAD_PATHS = frozenset(
    {
        API_UPLOAD_PATH,
        "/leads/{lead_id}/messages",
        "/deals/{deal_id}/messages",
        "/clients/contacts/{contact_id}/messages",
        # A bank statement (up to 2 MiB, the page's own cap) is larger than a usual form.
        "/payments/import",
    }
)
TOO_LARGE_RU = "Файл больше 20 МБ: приложите файл поменьше. Сообщение не отправлено."


def is_upload(request: web.Request) -> bool:
    """A multipart POST to a route that takes files."""
    if request.method != "POST" or request.content_type != MULTIPART:
        return False
    resource = request.match_info.route.resource
    return resource is not None and resource.canonical in UPLOAD_PATHS


@web.middleware
async def upload_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read an upload's form under the larger cap and its own timeout."""
    if not is_upload(request):
        return await handler(request)
    api = request.path.startswith("/api/")
    if ("Authorization" not in request.headers) if api else not request.cookies:
        # Nobody signed in: the handler refuses (401, or the sign-in page) without the
        # 20 MB being read for it.
        return await handler(request)
    upload = request.clone(client_max_size=MAX_UPLOAD_BYTES)
    try:
        async with asyncio.timeout(UPLOAD_TIMEOUT_SECONDS):
            await upload.post()
    except TimeoutError:
        response = error_response(
            408,
            "request_timeout",
            f"the upload did not arrive within {UPLOAD_TIMEOUT_SECONDS:g} s",
            field="body",
        )
        response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        message = f"a file may have at most {MAX_ATTACHMENT_BYTES} bytes (20 MB)"
        if not api:
            return web.Response(status=413, text=TOO_LARGE_RU, content_type="text/plain")
        response = error_response(413, "attachment_too_large", message, field=ATTACHMENTS_FIELD)
        # The rest of the body is not read: close rather than drain up to 20 MB more.
        response.force_close()
        return response
    except (ValueError, HttpProcessingError):  # a part's headers unreadable, for example
        if not api:
            return web.Response(status=400, text="Форма повреждена", content_type="text/plain")
        return error_response(400, "invalid_body", "malformed multipart body", field="body")
    return await handler(upload)


def form_files(
    form: MultiDictProxy[str | bytes | bytearray | web.FileField],
) -> list[NewAttachment]:
    """The files of a parsed form's `attachments` parts (an empty file input sends a part
    with no name and no bytes: not a file); BadBody for a text value there."""
    files = []
    for part in form.getall(ATTACHMENTS_FIELD, []):
        if not isinstance(part, web.FileField):
            raise BadBody(ATTACHMENTS_FIELD, "must be a file part (multipart/form-data)")
        content = part.file.read()
        if not part.filename and not content:
            continue
        files.append(NewAttachment(part.filename or "", part.content_type or "", content))
    return files
