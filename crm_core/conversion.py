"""Converting a lead into contact + company (+ deal) in one transaction, once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_core.access import may_link_contact, may_see
from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from crm_core.errors import NotFound, RuleError
from crm_core.holders import company_holders, contact_holders
from crm_core.lifecycle import notify_triage_change, visible_lead
from crm_core.matching import lead_identity, lead_profile, learn_identifiers
from crm_core.model import AuditEntry, Contact, Lead, LeadStatus, Manager
from crm_core.pipelines import Pipeline
from crm_core.sales import NewDeal, NewTask, RecordKind
from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity
from dedupe.profile import RawIdentity

AMOUNT_FIELDS = ("amount", "sum", "price", "budget", "сумма", "бюджет")
PRODUCT_FIELDS = ("products", "product", "товар", "товары", "услуга")
# Fields the lead already holds as its contact details, consent or message.
PERSON_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "patronymic",
    "phone",
    "email",
    "company",
    "position",
    "consent",
    "comment",
    "message",
    "telegram",
    "vk",
    "whatsapp",
)
# Digits with thousands spaces and up to two decimals after "." or ",".
AMOUNT = re.compile(r"\d[\d\s\u00a0]*(?:[.,]\d{1,2})?")
FOLLOW_UP = "Связаться с клиентом"


@dataclass(frozen=True, slots=True)
class ConvertRequest:
    """What the manager asked for; ids left None reuse the detector's match or create anew."""

    create_deal: bool = True
    contact_id: int | None = None
    company_id: int | None = None
    pipeline: str | None = None
    title: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """The records a lead became, and which of them this conversion created."""

    lead_id: int
    contact_id: int
    company_id: int | None
    deal_id: int | None
    created: tuple[str, ...]


async def convert_lead(
    uow: UnitOfWork,
    lead_id: int,
    actor: Manager,
    request: ConvertRequest,
    pipelines: Mapping[str, Pipeline],
    region: str,
    now: datetime,
) -> Conversion:
    """Contact + company (+ deal) from a lead; converting it again returns the same records."""
    lead = await visible_lead(uow, lead_id, actor)
    if lead.status is LeadStatus.CONVERTED:
        return await _existing(uow, lead)
    if lead.status is LeadStatus.JUNK:
        raise RuleError("lead_closed", "status", f"lead {lead_id} is junk: it cannot be converted")
    pipeline = _pipeline(lead, request, pipelines) if request.create_deal else None
    owner = lead.assignee_id or actor.id
    created: list[str] = []

    contact_id = request.contact_id or lead.contact_id
    if contact_id is None:
        contact_id = await _new_contact(uow, lead, owner, region, now)
        created.append("contact")
    else:
        contact = await uow.identity.get_contact(contact_id)
        if (
            contact is None
            or contact.merged_into_id is not None
            or not await _may_use_contact(uow, actor, lead, contact)
        ):
            raise NotFound("contact_id", f"no contact {contact_id}")
        await learn_identifiers(uow, contact, lead_profile(lead.data, region), now)

    # The person's later requests attached to this lead (another channel, another spelling)
    # teach the contact their identifiers too: one person, one contact, every identity.
    attached = await uow.leads.attached_to(lead_id)
    for later in attached:
        known = await uow.identity.get_contact(contact_id)
        assert known is not None
        await learn_identifiers(uow, known, lead_profile(later.data, region), now)
    await uow.identity.set_leads_contact([a.id for a in attached], contact_id, now)

    company_id = request.company_id or lead.company_id
    contact = await uow.identity.get_contact(contact_id)
    assert contact is not None
    if company_id is None:
        company_id = contact.company_id
    if company_id is None and lead.data.contact.company:
        company_id = await _new_company(uow, lead, owner, region, now)
        created.append("company")
    elif company_id is not None and not await _may_use_company(uow, actor, lead, company_id):
        raise NotFound("company_id", f"no company {company_id}")
    # The converting manager becomes the client's manager unless the client already has one,
    # so the client's next request goes straight to them.
    linked = replace(
        contact,
        company_id=contact.company_id or company_id,
        owner_id=contact.owner_id or owner,
    )
    if linked != contact:
        await uow.identity.update_contact(linked, now)
    if company_id is not None:
        company = await uow.identity.get_company(company_id)
        if company is not None and company.owner_id is None:
            await uow.identity.update_company(replace(company, owner_id=owner), now)

    deal_id = None
    if pipeline is not None:
        deal_id = await _new_deal(uow, lead, request, pipeline, contact_id, company_id, owner, now)
        created.append("deal")
    await uow.leads.mark_converted(lead_id, contact_id, company_id, deal_id, now)
    # The lead is closed: new messages from the person go to the contact (and the deal).
    await uow.identity.unindex(Entity.LEAD, [lead_id])
    await uow.audit.add_many(
        [
            AuditEntry(
                actor.login,
                "lead",
                lead_id,
                "convert",
                now,
                before={"status": lead.status.value},
                after={
                    "status": "converted",
                    "contact_id": contact_id,
                    "company_id": company_id,
                    "deal_id": deal_id,
                    "created": created,
                },
            )
        ]
    )
    converted = await uow.leads.get(lead_id)
    assert converted is not None
    await notify_triage_change(uow, lead, converted, actor, "convert", now)
    return Conversion(lead_id, contact_id, company_id, deal_id, tuple(created))


def lead_amount(fields: Mapping[str, Any]) -> Decimal | None:
    """The amount a form sent (e.g. "150 000,50 руб."), if any field carries one."""
    for key, value in fields.items():
        if key.lower() not in AMOUNT_FIELDS or value is None:
            continue
        found = AMOUNT.search(str(value))
        if found:
            number = re.sub(r"[\s\u00a0]", "", found.group(0)).replace(",", ".")
            return Decimal(number).quantize(Decimal("0.01"))
    return None


def deal_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The form's extra fields worth keeping on the deal (not the person, amount or consent)."""
    return {
        k: v
        for k, v in fields.items()
        if k.lower() not in AMOUNT_FIELDS + PRODUCT_FIELDS + PERSON_FIELDS
    }


def lead_products(fields: Mapping[str, Any]) -> list[str]:
    """Products or services a form named."""
    return [
        str(v).strip() for k, v in fields.items() if k.lower() in PRODUCT_FIELDS and str(v).strip()
    ]


async def _may_use_contact(uow: UnitOfWork, actor: Manager, lead: Lead, contact: Contact) -> bool:
    """The lead's own or proposed contact, or one the actor may see (the client is theirs)."""
    if contact.id == lead.contact_id or may_link_contact(actor, lead.match, contact.id):
        return True
    return may_see(actor, await contact_holders(uow, contact))


async def _may_use_company(uow: UnitOfWork, actor: Manager, lead: Lead, company_id: int) -> bool:
    """An existing company the lead or its detector named, or one the actor may see."""
    company = await uow.identity.get_company(company_id)
    if company is None:
        return False
    named = {lead.company_id, lead.match.company_id if lead.match else None}
    return company_id in named or may_see(actor, await company_holders(uow, company))


async def _existing(uow: UnitOfWork, lead: Lead) -> Conversion:
    deal = await uow.sales.deal_for_lead(lead.id)
    assert lead.contact_id is not None
    return Conversion(lead.id, lead.contact_id, lead.company_id, deal.id if deal else None, ())


def _pipeline(lead: Lead, request: ConvertRequest, pipelines: Mapping[str, Pipeline]) -> Pipeline:
    key = request.pipeline or lead.data.pipeline or next(iter(pipelines), None)
    if key is None or key not in pipelines:
        raise RuleError(
            "unknown_pipeline",
            "pipeline",
            f"no pipeline {key!r}; configured: {', '.join(pipelines) or 'none'}",
            status=422,
        )
    return pipelines[key]


async def _new_contact(uow: UnitOfWork, lead: Lead, owner: int, region: str, now: datetime) -> int:
    identity = lead_identity(lead.data, region)
    identity = replace(identity, name=identity.name or _fallback_name(lead), text=None)
    [contact_id] = await add_contacts(
        uow, [prepare_contact(identity, region, owner_id=owner, external_ref=None)], now
    )
    return contact_id


async def _new_company(uow: UnitOfWork, lead: Lead, owner: int, region: str, now: datetime) -> int:
    identity = lead_identity(lead.data, region)
    company = RawIdentity(company=lead.data.contact.company, inn=identity.inn)
    [company_id] = await add_companies(
        uow, [prepare_company(company, region, owner_id=owner)], now
    )
    return company_id


async def _new_deal(
    uow: UnitOfWork,
    lead: Lead,
    request: ConvertRequest,
    pipeline: Pipeline,
    contact_id: int,
    company_id: int | None,
    owner: int,
    now: datetime,
) -> int:
    stage = pipeline.first_stage
    data = lead.data
    deal = await uow.sales.add_deal(
        NewDeal(
            title=request.title or _title(lead),
            pipeline=pipeline.key,
            stage=stage.key,
            amount=request.amount if request.amount is not None else lead_amount(data.fields),
            currency="RUB",
            products=list(lead_products(data.fields)),
            comment=data.comment,
            fields=deal_fields(data.fields),
            contact_id=contact_id,
            company_id=company_id,
            lead_id=lead.id,
            owner_id=owner,
        ),
        actor=f"lead:{lead.id}",
        now=now,
    )
    tasks = [
        NewTask(RecordKind.DEAL, deal.id, t.task_type, t.title, now + t.due_in, owner, "stage")
        for t in stage.tasks_on_enter
    ]
    if not tasks and pipeline.require_next_activity:
        # An open deal always has a planned next step; the manager can move or replace it.
        tasks = [
            NewTask(
                RecordKind.DEAL,
                deal.id,
                "call",
                FOLLOW_UP,
                now + timedelta(days=1),
                owner,
                "conversion",
            )
        ]
    await uow.sales.add_tasks(tasks, now)
    return deal.id


def _title(lead: Lead) -> str:
    who = lead.data.contact.company or lead.data.contact.name or _fallback_name(lead)
    return f"{who}: заявка №{lead.id}"


def _fallback_name(lead: Lead) -> str:
    c = lead.data.contact
    return c.phone or c.email or c.phone_raw or c.email_raw or f"Клиент из заявки №{lead.id}"
