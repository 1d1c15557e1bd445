"""Contacts and duplicate decisions: read a contact, confirm/reject a match, merge, undo."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.matching import confirm_match, reject_match
from crm_core.merging import merge_contacts, undo_merge
from crm_core.model import Contact, Manager
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import lead_json, require_manager
from intake.http.responses import json_response


class BadBody(Exception):
    """The JSON body is missing a field or has a wrong type; names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@require_manager
async def get_contact(request: web.Request) -> web.StreamResponse:
    """One contact with every identity it is known by."""
    contact_id = _path_id(request, "contact_id")
    if contact_id is None:
        return error_response(
            400, "invalid_path", "contact id must be a number", field="contact_id"
        )
    async with request.app[SERVICES].storage.reader() as uow:
        contact = await uow.identity.get_contact(contact_id)
    if contact is None:
        return error_response(404, "not_found", f"no contact {contact_id}", field="contact_id")
    return json_response(contact_json(contact))


@require_manager
async def confirm(request: web.Request) -> web.StreamResponse:
    """The lead is this contact: link it (the contact learns the lead's identifiers)."""
    return await _decide(request, confirm_match)


@require_manager
async def reject(request: web.Request) -> web.StreamResponse:
    """The lead is not this contact: never propose it again for this person."""
    return await _decide(request, reject_match)


async def _decide(request: web.Request, action: Any) -> web.StreamResponse:
    manager = current_manager(request)
    lead_id = _path_id(request, "lead_id")
    if lead_id is None:
        return error_response(400, "invalid_path", "lead id must be a number", field="lead_id")
    try:
        contact_id = _int_field(await _json_body(request), "contact_id")
    except BadBody as err:
        return error_response(400, "invalid_body", err.message, field=err.field)
    services = request.app[SERVICES]
    async with services.storage.reader() as uow:
        lead = await uow.leads.get(lead_id)
    if lead is None or not (manager.is_head or lead.assignee == manager.login):
        return error_response(404, "not_found", f"no lead {lead_id}", field="lead_id")
    try:
        async with services.storage.transaction() as uow:
            await action(
                uow,
                lead_id,
                contact_id,
                manager.login,
                services.settings.intake.default_region,
                utcnow(),
            )
    except DomainError as err:
        return error_response(err.status, "cannot_apply", err.message, field=err.field)
    async with services.storage.reader() as uow:
        updated = await uow.leads.get(lead_id)
    assert updated is not None
    return json_response(lead_json(updated))


@require_manager
async def merge(request: web.Request) -> web.StreamResponse:
    """Merge `merged_id` into `survivor_id`, choosing per field which value survives."""
    manager = current_manager(request)
    try:
        body = await _json_body(request)
        survivor_id = _int_field(body, "survivor_id")
        merged_id = _int_field(body, "merged_id")
        choices = body.get("fields") or {}
        if not isinstance(choices, dict):
            raise BadBody("fields", "fields must be an object {field: 'survivor'|'merged'}")
    except BadBody as err:
        return error_response(400, "invalid_body", err.message, field=err.field)
    storage = request.app[SERVICES].storage
    denied = await _may_merge(request, manager, (survivor_id, merged_id))
    if denied is not None:
        return denied
    try:
        async with storage.transaction() as uow:
            merge_id, contact = await merge_contacts(
                uow, survivor_id, merged_id, choices, manager.login, utcnow()
            )
    except DomainError as err:
        return error_response(err.status, "cannot_merge", err.message, field=err.field)
    return json_response({"merge_id": merge_id, "contact": contact_json(contact)}, status=201)


@require_manager
async def undo(request: web.Request) -> web.StreamResponse:
    """Undo a merge from its journal entry."""
    manager = current_manager(request)
    merge_id = _path_id(request, "merge_id")
    if merge_id is None:
        return error_response(400, "invalid_path", "merge id must be a number", field="merge_id")
    if not manager.is_head:
        return error_response(403, "forbidden", "only a head of sales can undo merges")
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            restored = await undo_merge(uow, merge_id, manager.login, utcnow())
    except DomainError as err:
        return error_response(err.status, "cannot_undo", err.message, field=err.field)
    return json_response({"merge_id": merge_id, "restored": contact_json(restored)})


async def _may_merge(
    request: web.Request, manager: Manager, contact_ids: tuple[int, ...]
) -> web.Response | None:
    if manager.is_head:
        return None
    async with request.app[SERVICES].storage.reader() as uow:
        owners = [await uow.identity.contact_owner(i) for i in contact_ids]
    if all(owner == manager.id for owner in owners):
        return None
    return error_response(
        403, "forbidden", "only a head of sales or the owner of both contacts can merge them"
    )


def contact_json(contact: Contact) -> dict[str, Any]:
    """The public JSON shape of a contact."""
    return {
        "id": contact.id,
        "name": contact.name,
        "phones": list(contact.phones),
        "emails": list(contact.emails),
        "telegram_id": contact.telegram_id,
        "telegram_username": contact.telegram_username,
        "vk_id": contact.vk_id,
        "company_id": contact.company_id,
        "company": contact.company_name,
        "owner_id": contact.owner_id,
        "merged_into_id": contact.merged_into_id,
    }


def _path_id(request: web.Request, name: str) -> int | None:
    raw = request.match_info[name]
    return int(raw) if raw.isdigit() else None


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadBody("body", "the body must be a JSON object") from err
    if not isinstance(body, dict):
        raise BadBody("body", "the body must be a JSON object")
    return body


def _int_field(body: dict[str, Any], field: str) -> int:
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadBody(field, f"{field} is required: a positive integer")
    return value
