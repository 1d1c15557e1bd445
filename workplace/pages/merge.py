"""Объединить контакты: a head picks the other contact, chooses per field whose value
survives, merges, and may undo it from the survivor's card.

The merge and its undo are crm_core.merging's, as in the API (POST /api/v1/contacts/merge and
/api/v1/contacts/merges/{id}/undo); merging in the browser is a head's tool because only a head
may undo (crm_core.access.may_undo_merge), and a merge offered without its undo is a trap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm_core.access import may_merge, may_see, may_undo_merge
from crm_core.client_search import search_clients
from crm_core.errors import DomainError
from crm_core.holders import contact_holders
from crm_core.merging import IDENTITY_CHOICES, merge_contacts, undo_merge
from crm_core.model import Contact, Manager
from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.clients import search_query
from workplace.pages.shared import not_found, path_id, phone, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/clients"
RESULT_LIMIT = 20
HEADS_ONLY = "Объединять контакты и отменять объединение может только руководитель отдела продаж."
IDENTITY_NAMES = {
    "telegram_id": "Telegram ID",
    "telegram_username": "Telegram",
    "vk_id": "ВКонтакте",
    "avito_id": "Авито",
}
# A form's choice → the domain's fields it decides (company: the link and the name together).
CHOICE_FIELDS = {
    "name": ("name",),
    "company": ("company_id", "company_name"),
    "owner": ("owner_id",),
    "telegram_id": ("telegram_id",),
    "vk_id": ("vk_id",),
}


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One line of the comparison: what each contact has, and whether the head chooses."""

    key: str
    label: str
    ours: str
    theirs: str
    choice: bool
    united: str = ""


async def page(request: web.Request) -> web.StreamResponse:
    """Pick the other contact (search), then compare them field by field."""
    me = await viewer(request)
    if not may_undo_merge(me):
        return heads_only(request, me, HEADS_ONLY)
    query = (await search_query(request)).strip()[:200]
    other_id = _int(request.query.get("with", ""))
    async with request.app[SERVICES].storage.reader() as uow:
        survivor = await _visible(uow, me, path_id(request, "contact_id"))
        if survivor is None:
            return not_found(request, me)
        context = await _context(request, uow, me, survivor, other_id, query)
    return render(request, "merge.html", me, context, section=SECTION)


async def merge(request: web.Request) -> web.StreamResponse:
    """Объединить: the other contact goes into this one with the chosen values (CSRF-checked
    by the middleware like every form); then the survivor's card offers the undo."""
    me = await viewer(request)
    if not may_undo_merge(me):
        return heads_only(request, me, HEADS_ONLY)
    form = await request.post()
    survivor_id = path_id(request, "contact_id") or 0
    merged_id = _int(str(form.get("merged_id") or ""))
    choices = {
        field: "merged" if form.get(f"choice_{key}") == "merged" else "survivor"
        for key, fields in CHOICE_FIELDS.items()
        for field in fields
        if form.get(f"choice_{key}") in ("survivor", "merged")
    }
    storage = request.app[SERVICES].storage
    async with storage.reader() as uow:
        survivor = await _visible(uow, me, survivor_id)
        other = await _visible(uow, me, merged_id) if merged_id else None
        if survivor is None:
            return not_found(request, me)
        holders = [await contact_holders(uow, c) for c in (survivor, other) if c is not None]
    error = None
    if other is None:
        error = "Выберите контакт, который нужно объединить с этим."
    elif not may_merge(me, holders):
        error = HEADS_ONLY
    else:
        try:
            async with storage.transaction() as uow:
                merge_id, _ = await merge_contacts(
                    uow, survivor.id, other.id, choices, me.login, utcnow()
                )
        except DomainError as err:
            error = merge_error_text(err)
        else:
            raise web.HTTPSeeOther(f"/clients/contacts/{survivor.id}?merge={merge_id}")
    async with storage.reader() as uow:
        context = await _context(request, uow, me, survivor, merged_id, "")
    context["error"] = error
    return render(request, "merge.html", me, context, status=409, section=SECTION)


async def undo(request: web.Request) -> web.StreamResponse:
    """Отменить объединение: both contacts as they were, the leads back where they were."""
    me = await viewer(request)
    if not may_undo_merge(me):
        return heads_only(request, me, HEADS_ONLY)
    merge_id = path_id(request, "merge_id") or 0
    storage = request.app[SERVICES].storage
    async with storage.reader() as uow:
        entry = await uow.identity.get_merge(merge_id)
    if entry is None or entry.entity != Entity.CONTACT.value:
        return not_found(request, me)
    try:
        async with storage.transaction() as uow:
            await undo_merge(uow, merge_id, Entity.CONTACT, me.login, utcnow())
    except DomainError as err:
        context = {"message": undo_error_text(err), "survivor_id": entry.survivor_id}
        return render(request, "merge_refused.html", me, context, status=409, section=SECTION)
    raise web.HTTPSeeOther(f"/clients/contacts/{entry.survivor_id}?undone={merge_id}")


async def card_notice(
    uow: UnitOfWork, me: Manager, contact: Contact, query: dict[str, str]
) -> dict[str, Any]:
    """What the contact card shows about merging: the button for a head, and after a merge
    the notice with its undo (or after an undo, where the other contact went back to)."""
    if not may_undo_merge(me):
        return {}
    notice: dict[str, Any] = {"can_merge": contact.merged_into_id is None}
    for param, key in (("merge", "merge"), ("undone", "undone")):
        entry_id = _int(query.get(param, ""))
        entry = await uow.identity.get_merge(entry_id) if entry_id else None
        if (
            entry is not None
            and entry.entity == Entity.CONTACT.value
            and entry.survivor_id == contact.id
        ):
            notice[key] = entry
    return notice


def merge_error_text(err: DomainError) -> str:
    """A refused merge as a Russian sentence."""
    if err.status == 404:
        return "Контакт не найден: его могли удалить или объединить. Обновите страницу."
    if err.status == 409:
        return "Один из контактов уже объединён с другим: обновите страницу и выберите заново."
    if err.field == "merged_id":
        return "Контакт нельзя объединить с самим собой."
    return "Объединить не получилось: проверьте выбор и повторите."


def undo_error_text(err: DomainError) -> str:
    """A refused undo as a Russian sentence."""
    if err.status == 404:
        return "Такого объединения нет."
    if "already undone" in err.message:
        return "Это объединение уже отменено."
    if "merged later" in err.message:
        return (
            "Контакт после этого объединили ещё с одним: сначала отмените более позднее"
            " объединение."
        )
    return "Отменить объединение не получилось."


async def _visible(uow: UnitOfWork, me: Manager, contact_id: int | None) -> Contact | None:
    contact = await uow.identity.get_contact(contact_id) if contact_id else None
    if contact is None or not may_see(me, await contact_holders(uow, contact)):
        return None
    return contact


async def _context(
    request: web.Request,
    uow: UnitOfWork,
    me: Manager,
    survivor: Contact,
    other_id: int | None,
    query: str,
) -> dict[str, Any]:
    found: list[Contact] = []
    if query:
        region = request.app[SERVICES].settings.intake.default_region
        results = await search_clients(uow, me, query, region, RESULT_LIMIT)
        found = [c for c in results.contacts if c.id != survivor.id]
    other = await _visible(uow, me, other_id) if other_id and other_id != survivor.id else None
    names = {m.id: m.name for m in await uow.managers.list()}
    rows: list[FieldRow] = []
    if other is not None and other.merged_into_id is None:
        rows = await _compare(uow, survivor, other, names)
    return {
        "survivor": survivor,
        "other": other,
        "query": query,
        "found": found,
        "searched": bool(query),
        "rows": rows,
        "owners": names,
        "error": None,
    }


async def _compare(
    uow: UnitOfWork, ours: Contact, theirs: Contact, owners: dict[int, str]
) -> list[FieldRow]:
    """The fields the two contacts hold differently (the chosen ones and the united ones)."""

    async def company(c: Contact) -> str:
        if c.company_id:
            found = await uow.identity.get_company(c.company_id)
            if found is not None:
                return found.name
        return c.company_name or ""

    def owner(c: Contact) -> str:
        return owners.get(c.owner_id, str(c.owner_id)) if c.owner_id else ""

    rows = [
        FieldRow("name", "ФИО", ours.name or "", theirs.name or "", True),
        FieldRow("company", "Компания", await company(ours), await company(theirs), True),
        FieldRow("owner", "Ответственный", owner(ours), owner(theirs), True),
    ]
    for kind in IDENTITY_CHOICES:
        rows.append(
            FieldRow(
                kind,
                f"{IDENTITY_NAMES[kind]} (основной)",
                _identities(ours, kind),
                _identities(theirs, kind),
                True,
            )
        )
    chosen = [
        r
        for r in rows
        if r.ours != r.theirs
        and ((r.ours and r.theirs) or r.key not in IDENTITY_CHOICES)
        and (r.ours or r.theirs)
    ]
    united = [
        FieldRow(
            "phones",
            "Телефоны",
            ", ".join(phone(p) for p in ours.phones),
            ", ".join(phone(p) for p in theirs.phones),
            False,
            ", ".join(phone(p) for p in dict.fromkeys((*ours.phones, *theirs.phones))),
        ),
        FieldRow(
            "emails",
            "E-mail",
            ", ".join(ours.emails),
            ", ".join(theirs.emails),
            False,
            ", ".join(dict.fromkeys((*ours.emails, *theirs.emails))),
        ),
    ]
    kinds = dict.fromkeys(i.kind for i in (*ours.identities, *theirs.identities))
    for kind in kinds:
        if kind in IDENTITY_CHOICES and _identities(ours, kind) and _identities(theirs, kind):
            continue  # offered as a choice of which comes first above; both are kept
        united.append(
            FieldRow(
                kind,
                IDENTITY_NAMES.get(kind, kind),
                _identities(ours, kind),
                _identities(theirs, kind),
                False,
                ", ".join(
                    dict.fromkeys(
                        i.value for i in (*ours.identities, *theirs.identities) if i.kind == kind
                    )
                ),
            )
        )
    return chosen + [r for r in united if r.ours != r.theirs]


def _identities(contact: Contact, kind: str) -> str:
    return ", ".join(i.value for i in contact.identities if i.kind == kind)


def _int(text: str) -> int | None:
    return int(text) if text.isdecimal() and len(text) < 19 else None
