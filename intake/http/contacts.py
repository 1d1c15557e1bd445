"""Contacts and duplicate decisions: read a contact, confirm or reject a proposed match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from crm_core.access import may_see
from crm_core.errors import DomainError
from crm_core.holders import contact_holders
from crm_core.matching import confirm_match, reject_match
from crm_core.model import Contact, LeadMatch, Manager, PastCompany
from crm_core.sales import RecordKind
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.body import int_field, json_body, required_path_id
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import lead_json, require_manager
from intake.http.records import work_json
from intake.http.responses import json_response

# confirm_match / reject_match: (uow, lead id, contact id, actor, region, now).
MatchDecision = Callable[[UnitOfWork, int, int, Manager, str, datetime], Awaitable[LeadMatch]]


@require_manager
async def get_contact(request: web.Request) -> web.StreamResponse:
    """One contact with every identity it is known by."""
    contact_id = required_path_id(request, "contact_id")
    manager = current_manager(request)
    async with request.app[SERVICES].storage.reader() as uow:
        contact = await uow.identity.get_contact(contact_id)
        if contact is None or not may_see(manager, await contact_holders(uow, contact)):
            return error_response(404, "not_found", f"no contact {contact_id}", field="contact_id")
        work = await work_json(uow, RecordKind.CONTACT, contact_id, manager.timezone, utcnow())
        past = await uow.identity.past_companies(contact_id)
    return json_response(
        {**contact_json(contact), "previous_companies": past_companies_json(past), **work}
    )


@require_manager
async def confirm(request: web.Request) -> web.StreamResponse:
    """The lead is this contact: link it (the contact learns the lead's identifiers)."""
    return await _decide(request, confirm_match)


@require_manager
async def reject(request: web.Request) -> web.StreamResponse:
    """The lead is not this contact: never propose it again for this person."""
    return await _decide(request, reject_match)


async def _decide(request: web.Request, action: MatchDecision) -> web.StreamResponse:
    manager = current_manager(request)
    lead_id = required_path_id(request, "lead_id")
    contact_id = int_field(await json_body(request), "contact_id")
    services = request.app[SERVICES]
    region = services.settings.intake.default_region
    try:
        async with services.storage.transaction() as uow:
            await action(uow, lead_id, contact_id, manager, region, utcnow())
    except DomainError as err:
        return error_response(
            err.status, error_code(err, "cannot_apply"), err.message, field=err.field
        )
    async with services.storage.reader() as uow:
        updated = await uow.leads.get(lead_id)
    assert updated is not None
    return json_response(lead_json(updated))


def contact_json(contact: Contact) -> dict[str, Any]:
    """The public JSON shape of a contact."""
    return {
        "id": contact.id,
        "name": contact.name,
        "phones": list(contact.phones),
        "emails": list(contact.emails),
        "telegram_id": contact.identity("telegram_id"),
        "telegram_username": contact.identity("telegram_username"),
        "vk_id": contact.identity("vk_id"),
        "identities": [{"kind": i.kind, "value": i.value} for i in contact.identities],
        "company_id": contact.company_id,
        "company": contact.company_name,
        "owner_id": contact.owner_id,
        "merged_into_id": contact.merged_into_id,
    }


def past_companies_json(past: Sequence[PastCompany]) -> list[dict[str, Any]]:
    """The companies a contact left (a job change), the latest first."""
    return [{"id": p.company_id, "name": p.name, "until": p.until.isoformat()} for p in past]
