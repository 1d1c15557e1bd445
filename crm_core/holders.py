"""Loading the facts `crm_core.access` decides on, and refusing records the actor may not see."""

from __future__ import annotations

from crm_core.access import Holders, Kind, may_change, may_see
from crm_core.calls import StoredCall
from crm_core.errors import NotFound
from crm_core.model import Company, Contact, Lead, Manager
from crm_core.sales import Deal, RecordKind, Task
from crm_core.storage.ports import UnitOfWork


def lead_holders(lead: Lead) -> Holders:
    """A lead is held by its assignee."""
    return Holders(Kind.LEAD, lead.assignee_id)


def deal_holders(deal: Deal) -> Holders:
    """A deal is held by its owner."""
    return Holders(Kind.DEAL, deal.owner_id)


def call_holders(call: StoredCall) -> Holders:
    """A call is held by the manager who answered or owns it."""
    return Holders(Kind.CALL, call.manager_id)


async def contact_holders(uow: UnitOfWork, contact: Contact) -> Holders:
    """A contact: its owner, and whoever holds a lead or deal linked to it."""
    linked = await uow.sales.linked_holder_ids(RecordKind.CONTACT, contact.id)
    return Holders(Kind.CONTACT, contact.owner_id, linked)


async def company_holders(uow: UnitOfWork, company: Company) -> Holders:
    """A company: its owner, and whoever holds a lead or deal linked to it."""
    linked = await uow.sales.linked_holder_ids(RecordKind.COMPANY, company.id)
    return Holders(Kind.COMPANY, company.owner_id, linked)


async def task_holders(uow: UnitOfWork, task: Task) -> Holders:
    """A task: its assignee, and the record it is on (for unassigned tasks)."""
    parent = await record_holders(uow, task.entity, task.entity_id)
    return Holders(Kind.TASK, task.assignee_id, parent=parent)


async def record_holders(uow: UnitOfWork, entity: RecordKind, entity_id: int) -> Holders | None:
    """The holders of a lead, deal, contact or company, or None when there is no such record."""
    if entity is RecordKind.LEAD:
        lead = await uow.leads.get(entity_id)
        return lead_holders(lead) if lead else None
    if entity is RecordKind.DEAL:
        deal = await uow.sales.get_deal(entity_id)
        return deal_holders(deal) if deal else None
    if entity is RecordKind.CONTACT:
        contact = await uow.identity.get_contact(entity_id)
        return await contact_holders(uow, contact) if contact else None
    company = await uow.identity.get_company(entity_id)
    return await company_holders(uow, company) if company else None


async def require_changeable(
    uow: UnitOfWork, actor: Manager, entity: RecordKind, entity_id: int, field: str
) -> Holders:
    """The record's holders if the actor may work on it; NotFound (as if absent) otherwise."""
    holders = await record_holders(uow, entity, entity_id)
    if holders is None or not may_change(actor, holders):
        raise NotFound(field, f"no {entity.value} {entity_id}")
    return holders


async def require_visible(
    uow: UnitOfWork, actor: Manager, entity: RecordKind, entity_id: int, field: str
) -> Holders:
    """The record's holders if the actor may see it; NotFound (as if absent) otherwise."""
    holders = await record_holders(uow, entity, entity_id)
    if holders is None or not may_see(actor, holders):
        raise NotFound(field, f"no {entity.value} {entity_id}")
    return holders
