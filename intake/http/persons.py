"""/api/v1/persons: a head finds, exports and erases one person's data (152-FZ)."""

from __future__ import annotations

import logging

from aiohttp import web

from crm_core.access import may_handle_person_requests
from crm_core.errors import DomainError
from crm_core.persons import Subject, erase_person, export_person, find_person, subject_of
from intake.clock import utcnow
from intake.http.body import json_body, required_path_id
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.person_documents import access_report, erasure_act

log = logging.getLogger("intake.persons")
HTML = "text/html"


@require_manager
async def find_route(request: web.Request) -> web.StreamResponse:
    """Ids of every record held on the person named by `?phone=` or `?email=`."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subject = _subject(request)
    if isinstance(subject, web.Response):
        return subject
    async with request.app[SERVICES].storage.reader() as uow:
        found = await find_person(uow, subject)
    tables = {t: sorted(ids) for t, ids in sorted(found.ids.items()) if ids}
    return json_response({"tables": tables, "total": sum(map(len, tables.values()))})


@require_manager
async def export_route(request: web.Request) -> web.StreamResponse:
    """Everything held on the person as JSON, or `?format=html` as a printable report."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subject = _subject(request)
    if isinstance(subject, web.Response):
        return subject
    wanted = request.query.get("format", "json")
    if wanted not in ("json", "html"):
        return error_response(400, "invalid_query", "json or html", field="format")
    async with request.app[SERVICES].storage.reader() as uow:
        tables = await export_person(uow, subject)
    now = utcnow()
    log.info("person_exported subject=%s tables=%d", subject.kind, len(tables))
    if wanted == "html":
        return web.Response(text=access_report(tables, now), content_type=HTML)
    return json_response(
        {"subject": subject.kind, "exported_at": now.isoformat(), "tables": tables}
    )


@require_manager
async def erase_route(request: web.Request) -> web.StreamResponse:
    """Anonymise everything held on the person and journal it."""
    if (denied := _heads_only(request)) is not None:
        return denied
    body = await json_body(request)  # validated by the documented model (PersonErasure)
    try:
        subject = subject_of(body.get("phone"), body.get("email"))
        async with request.app[SERVICES].storage.transaction() as uow:
            done = await erase_person(
                uow, current_manager(request), subject, str(body["reason"]), utcnow()
            )
    except DomainError as err:
        return error_response(err.status, "invalid_field", err.message, field=err.field)
    log.info("person_erased erasure_id=%s rows=%d", done.id, sum(done.counts.values()))
    return json_response({"id": done.id, "counts": done.counts})


@require_manager
async def act_route(request: web.Request) -> web.StreamResponse:
    """The printable act of one erasure."""
    if (denied := _heads_only(request)) is not None:
        return denied
    erasure_id = required_path_id(request, "erasure_id")
    async with request.app[SERVICES].storage.reader() as uow:
        erasure = await uow.persons.get_erasure(erasure_id)
    if erasure is None:
        return error_response(404, "not_found", "no such erasure", field="erasure_id")
    return web.Response(text=erasure_act(erasure), content_type=HTML)


def _subject(request: web.Request) -> Subject | web.Response:
    try:
        return subject_of(request.query.get("phone"), request.query.get("email"))
    except DomainError as err:
        return error_response(400, "invalid_query", err.message, field=err.field)


def _heads_only(request: web.Request) -> web.Response | None:
    if may_handle_person_requests(current_manager(request)):
        return None
    return error_response(
        403,
        "forbidden",
        "only a head of sales handles personal data requests",
        field="Authorization",
    )
