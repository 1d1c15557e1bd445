"""The lead card: every field, the duplicate decision explained, assignments and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm_core.access import may_see
from crm_core.holders import lead_holders
from crm_core.matching import INN_FIELDS
from crm_core.model import Contact, Lead, Manager
from crm_core.sales import RecordKind
from intake.http.keys import SERVICES
from intake.replies.wiring import unavailable_accounts
from workplace.pages.replies import load_replies
from workplace.pages.shared import junk_reasons, not_found, path_id, render, source_names
from workplace.pages.timeline import Names, timeline
from workplace.viewer import viewer

FIELD_NAMES = {
    "phone": "Телефон",
    "email": "E-mail",
    "first_name": "Имя",
    "surname": "Фамилия",
    "patronymic": "Отчество",
    "gender": "Пол",
    "telegram_username": "Telegram",
    "inn": "ИНН",
    "company": "Компания",
}
ASSIGNMENT_KINDS = {
    "manual": "вручную",
    "owner": "за владельцем клиента",
    "round_robin": "по очереди",
    "fallback": "резервный менеджер",
    "waiting": "ждёт дежурного",
    "hand_over": "передача",
    "answered_call": "ответил на звонок",
}


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One line of the match explanation: a field compared, both values, weight, note."""

    field: str
    ours: str
    theirs: str
    weight: float
    note: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A contact (or an earlier lead) the detector proposed, with its evidence."""

    entity: str
    id: int
    name: str
    weight: float
    rows: list[EvidenceRow]


async def page(request: web.Request) -> web.StreamResponse:
    """The card of one lead (404 for a lead the viewer may not see, as in the API)."""
    me = await viewer(request)
    lead_id = path_id(request, "lead_id")
    card = await load_card(request, me, lead_id) if lead_id is not None else None
    if card is None:
        return not_found(request, me)
    return render(request, "lead_card.html", me, card, section="/")


async def load_card(request: web.Request, me: Manager, lead_id: int) -> dict[str, Any] | None:
    """Everything the card shows, in one read (a fixed number of queries)."""
    async with request.app[SERVICES].storage.reader() as uow:
        lead = await uow.leads.get(lead_id)
        if lead is None or not may_see(me, lead_holders(lead)):
            return None
        consents = await uow.consents.for_lead(lead_id)
        assignments = await uow.sales.assignments_of(lead_id)
        tasks = await uow.sales.tasks_of(RecordKind.LEAD, lead_id)
        activities = await uow.sales.activities_of(RecordKind.LEAD, lead_id)
        audit = await uow.audit.for_entity("lead", lead_id)
        joins = await uow.leads.joins_of(lead_id)
        managers = await uow.managers.list()
        replies = await load_replies(
            uow, me, RecordKind.LEAD, lead_id, unavailable_accounts(request.app[SERVICES].settings)
        )
        contacts: dict[int, Contact] = {}
        for contact_id in _candidate_contact_ids(lead):
            contact = await uow.identity.get_contact(contact_id)
            if contact is not None:
                contacts[contact_id] = contact
    names_by_id = {m.id: m.name for m in managers}
    reasons = junk_reasons(request)
    names = Names({m.login: m.name for m in managers}, names_by_id, {}, reasons)
    return {
        "lead": lead,
        "inn": next((lead.data.fields[k] for k in INN_FIELDS if lead.data.fields.get(k)), None),
        "consents": consents,
        "assignments": [
            {
                "record": r,
                "manager": names_by_id.get(r.manager_id or 0, "очередь"),
                "kind": ASSIGNMENT_KINDS.get(r.kind, r.kind),
            }
            for r in assignments
        ],
        "timeline": timeline(
            activities, tasks, audit, names, outgoing=replies["outgoing"], files=replies["files"]
        ),
        "opening_files": replies["opening_files"],
        "reply": replies["reply"],
        "candidates": candidates(lead, contacts),
        "joins": joins,
        "reasons": reasons,
        "team": sorted((m for m in managers if m.active), key=lambda m: m.name),
        "names": {m.login: m.name for m in managers},
        "sources": source_names(request),
        "pipelines": request.app[SERVICES].sales.pipelines,
    }


def _candidate_contact_ids(lead: Lead) -> list[int]:
    if lead.match is None:
        return []
    found = lead.match.explanation.get("candidates") or []
    ids = [c["id"] for c in found if c.get("entity") == "contact" and isinstance(c.get("id"), int)]
    return ids[:5]


def candidates(lead: Lead, contacts: dict[int, Contact]) -> list[Candidate]:
    """The detector's candidates, each with its evidence table."""
    if lead.match is None:
        return []
    result = []
    for c in lead.match.explanation.get("candidates") or []:
        if not isinstance(c, dict) or not isinstance(c.get("id"), int):
            continue
        contact = contacts.get(c["id"]) if c.get("entity") == "contact" else None
        rows = [
            EvidenceRow(
                FIELD_NAMES.get(e.get("field", ""), e.get("field", "")),
                _ours(lead, e.get("field", "")),
                _theirs(contact, e.get("field", "")),
                float(e.get("weight", 0)),
                str(e.get("note", "")),
            )
            for e in c.get("evidence") or []
        ]
        name = (contact.name if contact else None) or f"Заявка №{c['id']}"
        result.append(
            Candidate(c.get("entity", ""), c["id"], name, float(c.get("weight", 0)), rows)
        )
    return result


def _ours(lead: Lead, field: str) -> str:
    c = lead.data.contact
    values = {
        "phone": c.phone or c.phone_raw,
        "email": c.email or c.email_raw,
        "first_name": c.first_name or c.name,
        "surname": c.last_name or c.name,
        "patronymic": c.patronymic or c.name,
        "gender": c.name,
        "telegram_username": c.messenger_ids.get("telegram_username"),
        "inn": next((lead.data.fields[k] for k in INN_FIELDS if lead.data.fields.get(k)), None),
        "company": c.company,
    }
    return values.get(field) or "—"


def _theirs(contact: Contact | None, field: str) -> str:
    if contact is None:
        return "—"
    values = {
        "phone": ", ".join(contact.phones),
        "email": ", ".join(contact.emails),
        "telegram_username": contact.identity("telegram_username"),
        "company": contact.company_name,
    }
    return values.get(field, contact.name) or "—"
