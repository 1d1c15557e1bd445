"""Merging contacts or companies (journaled, undoable), undoing a join of leads, and reading
a company."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from crm_core.access import may_merge, may_see, may_undo_merge
from crm_core.chains import undo_lead_join
from crm_core.errors import DomainError
from crm_core.holders import company_holders, record_holders
from crm_core.merging import merge_companies, merge_contacts, undo_merge
from crm_core.model import Company, Contact, Manager
from crm_core.sales import RecordKind
from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity
from intake.clock import utcnow
from intake.http.body import BadBody, int_field, json_body, required_path_id
from intake.http.contacts import contact_json
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import lead_json, require_manager
from intake.http.records import work_json
from intake.http.responses import json_response

Merger = Callable[
    [UnitOfWork, int, int, Mapping[str, str], str, datetime], Awaitable[tuple[int, Any]]
]


@require_manager
async def merge_contacts_route(request: web.Request) -> web.StreamResponse:
    """Merge `merged_id` into `survivor_id`, choosing per field which value survives."""
    return await _merge(request, Entity.CONTACT, merge_contacts, contact_json)


@require_manager
async def merge_companies_route(request: web.Request) -> web.StreamResponse:
    """Merge two companies; the merged one's contacts and leads move to the survivor."""
    return await _merge(request, Entity.COMPANY, merge_companies, company_json)


@require_manager
async def undo_contact_merge(request: web.Request) -> web.StreamResponse:
    """Undo a contact merge from its journal entry."""
    return await _undo(request, Entity.CONTACT)


@require_manager
async def undo_company_merge(request: web.Request) -> web.StreamResponse:
    """Undo a company merge from its journal entry."""
    return await _undo(request, Entity.COMPANY)


@require_manager
async def undo_lead_join_route(request: web.Request) -> web.StreamResponse:
    """Undo a join of one person's open leads: the joined lead is open on its own again."""
    manager = current_manager(request)
    join_id = required_path_id(request, "join_id")
    # Undoing restores leads whoever holds them now, as undoing a merge does: heads only.
    if not may_undo_merge(manager):
        return error_response(403, "forbidden", "only a head of sales can undo joins of leads")
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            restored = await undo_lead_join(uow, join_id, manager.login, utcnow())
    except DomainError as err:
        return error_response(err.status, "cannot_undo", err.message, field=err.field)
    return json_response({"join_id": join_id, "restored": lead_json(restored)})


@require_manager
async def get_company(request: web.Request) -> web.StreamResponse:
    """One company with every identity it is known by."""
    company_id = required_path_id(request, "company_id")
    manager = current_manager(request)
    async with request.app[SERVICES].storage.reader() as uow:
        company = await uow.identity.get_company(company_id)
        if company is None or not may_see(manager, await company_holders(uow, company)):
            return error_response(404, "not_found", f"no company {company_id}", field="company_id")
        work = await work_json(uow, RecordKind.COMPANY, company_id, manager.timezone, utcnow())
    return json_response({**company_json(company), **work})


async def _merge(
    request: web.Request, entity: Entity, merger: Merger, to_json: Callable[[Any], Any]
) -> web.StreamResponse:
    manager = current_manager(request)
    body = await json_body(request)
    survivor_id = int_field(body, "survivor_id")
    merged_id = int_field(body, "merged_id")
    choices = body.get("fields") or {}
    if not isinstance(choices, dict):
        raise BadBody("fields", "fields must be an object {field: 'survivor'|'merged'}")
    denied = await _refuse_merge(request, manager, entity, survivor_id, merged_id)
    if denied is not None:
        return denied
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            merge_id, record = await merger(
                uow, survivor_id, merged_id, choices, manager.login, utcnow()
            )
    except DomainError as err:
        return error_response(err.status, "cannot_merge", err.message, field=err.field)
    return json_response({"merge_id": merge_id, entity.value: to_json(record)}, status=201)


async def _undo(request: web.Request, entity: Entity) -> web.StreamResponse:
    manager = current_manager(request)
    merge_id = required_path_id(request, "merge_id")
    if not may_undo_merge(manager):
        return error_response(403, "forbidden", "only a head of sales can undo merges")
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            restored = await undo_merge(uow, merge_id, entity, manager.login, utcnow())
    except DomainError as err:
        return error_response(err.status, "cannot_undo", err.message, field=err.field)
    shown = (
        contact_json(Contact.from_snapshot(restored))
        if entity is Entity.CONTACT
        else company_json(Company.from_snapshot(restored))
    )
    return json_response({"merge_id": merge_id, "restored": shown})


async def _refuse_merge(
    request: web.Request, manager: Manager, entity: Entity, survivor_id: int, merged_id: int
) -> web.Response | None:
    """404 for a record the manager may not see (as if absent), 403 unless they may merge."""
    holders = []
    async with request.app[SERVICES].storage.reader() as uow:
        for field, record_id in (("survivor_id", survivor_id), ("merged_id", merged_id)):
            found = await record_holders(uow, RecordKind(entity.value), record_id)
            if found is None or not may_see(manager, found):
                message = f"no {entity.value} {record_id}"
                return error_response(404, "not_found", message, field=field)
            holders.append(found)
    if may_merge(manager, holders):
        return None
    return error_response(
        403, "forbidden", f"only a head of sales or the owner of both can merge {entity.value}s"
    )


def company_json(company: Company) -> dict[str, Any]:
    """The public JSON shape of a company."""
    return {
        "id": company.id,
        "name": company.name,
        "inn": company.inn,
        "phones": list(company.phones),
        "emails": list(company.emails),
        "website": company.website,
        "owner_id": company.owner_id,
        "merged_into_id": company.merged_into_id,
    }
