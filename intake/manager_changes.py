"""A head changes the team: add, edit or deactivate a manager, in one transaction each.

Every change is checked by the config checker (a failed one changes nothing), stored with an
optimistic version, mirrored into the managers table, written to the audit log (who, when,
before → after) and bumps the settings version, which every process polls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.reader import ConfigError
from config.settings import ManagerSettings
from config.team_documents import manager_document, parse_manager
from crm_core.errors import NotFound, RuleError
from crm_core.handover import HandedOver, ensure_no_open_work, hand_over_work
from crm_core.model import AuditEntry, Manager
from crm_core.storage.ports import StoredSetting, UnitOfWork
from intake.bootstrap import Services, load_team
from intake.clock import utcnow
from intake.sales_context import SalesContext
from intake.settings_changes import STALE, check_with
from intake.team_settings import (
    MANAGERS,
    new_manager,
    stored_documents,
    stored_managers,
    with_managers,
)

SOURCE = "settings"


@dataclass(frozen=True, slots=True)
class Deactivated:
    """The manager as now stored and where their open work went."""

    manager: StoredSetting
    handed_over: HandedOver


async def list_managers(services: Services) -> list[StoredSetting]:
    """Every stored manager, by login."""
    async with services.storage.reader() as uow:
        return sorted(await uow.settings.list(MANAGERS), key=lambda s: s.key)


async def get_manager(services: Services, login: str) -> StoredSetting:
    """One stored manager (NotFound when there is none)."""
    async with services.storage.reader() as uow:
        found = await uow.settings.get(MANAGERS, login)
    if found is None:
        raise NotFound("login", f"no manager {login!r}")
    return found


async def create_manager(
    services: Services, actor: Manager, doc: Mapping[str, Any]
) -> StoredSetting:
    """Add a manager (409 when the login is taken)."""
    manager = checked(doc)
    now = utcnow()
    async with services.storage.transaction() as uow:
        await _team_with(uow, services, [manager])
        stored = await uow.settings.add(
            MANAGERS, manager.login, manager_document(manager), actor.login, now
        )
        if stored is None:
            raise RuleError("login_taken", "login", f"manager {manager.login!r} already exists")
        row = await uow.managers.upsert(new_manager(manager), now)
        await _audit(uow, actor.login, row.id, "create", None, stored.data, now)
        await uow.settings.bump()
    await load_team(services)
    return stored


async def update_manager(
    services: Services, actor: Manager, login: str, doc: Mapping[str, Any], version: int
) -> StoredSetting:
    """Replace a manager's document if nobody changed it since `version` (409 otherwise).

    Setting `active` to false here hands nothing over: use `deactivate_manager` for that
    (the API's DELETE), so an edit never moves leads as a side effect; it is refused while
    the manager still holds open work.
    """
    manager = checked({"login": login, **doc})
    if manager.login != login:
        raise RuleError("invalid_field", "login", "a manager's login cannot change", 422)
    _not_self(actor, manager)
    now = utcnow()
    async with services.storage.transaction() as uow:
        before = await uow.settings.get(MANAGERS, login, for_update=True)
        if before is None:
            raise NotFound("login", f"no manager {login!r}")
        if before.version != version:
            raise RuleError("version_conflict", "version", STALE)
        row = await uow.managers.get_by_login(login)
        assert row is not None
        if not manager.active and row.active:
            await ensure_no_open_work(uow, row.id)
        await _team_with(uow, services, [manager])
        stored = await uow.settings.replace(
            MANAGERS, login, manager_document(manager), version, actor.login, now
        )
        if stored is None:
            raise RuleError("version_conflict", "version", STALE)
        await uow.managers.upsert(new_manager(manager), now)
        await _audit(uow, actor.login, row.id, "update", before.data, stored.data, now)
        await uow.settings.bump()
    await load_team(services)
    return stored


async def deactivate_manager(
    services: Services, actor: Manager, login: str, hand_over_to: str | None
) -> Deactivated:
    """Deactivate a manager; their open leads and deals go to `hand_over_to` or by the queues."""
    if login == actor.login:
        raise RuleError("self_change", "login", "a head cannot deactivate themselves", 422)
    now = utcnow()
    async with services.storage.transaction() as uow:
        before = await uow.settings.get(MANAGERS, login, for_update=True)
        if before is None:
            raise NotFound("login", f"no manager {login!r}")
        manager = checked({**before.data, "active": False})
        sales = await _team_with(uow, services, [manager])
        row = await uow.managers.upsert(new_manager(manager), now)
        heir = None
        if hand_over_to is not None:
            heir = await uow.managers.get_by_login(hand_over_to)
            if heir is None:
                raise NotFound("hand_over_to", f"no manager {hand_over_to!r}")
        sales.refresh(await uow.managers.list())
        handed = await hand_over_work(uow, row, heir, sales.queues, sales.team, actor.login, now)
        stored = before
        if before.data.get("active", True):
            replaced = await uow.settings.replace(
                MANAGERS, login, manager_document(manager), before.version, actor.login, now
            )
            if replaced is None:
                raise RuleError("version_conflict", "version", STALE)
            stored = replaced
        after = {
            **stored.data,
            "handed_over": {"leads": len(handed.leads), "deals": len(handed.deals)},
        }
        await _audit(uow, actor.login, row.id, "deactivate", before.data, after, now)
        await uow.settings.bump()
    await load_team(services)
    return Deactivated(stored, handed)


def checked(doc: Mapping[str, Any]) -> ManagerSettings:
    """A manager document through the config checker; 422 naming the field when refused."""
    given = {k: v for k, v in doc.items() if v is not None}  # null: the key's default
    try:
        return parse_manager(given, SOURCE)
    except ConfigError as err:
        message = str(err).removeprefix(f"{SOURCE}: ")
        raise RuleError("invalid_field", err.field or "body", message, 422) from err


async def _team_with(
    uow: UnitOfWork, services: Services, changed: Sequence[ManagerSettings]
) -> SalesContext:
    """The sales context with `changed` in place: every queue must still be buildable and keep
    someone who can take its leads (an active member or an active fallback manager)."""
    stored = await stored_managers(uow) or services.settings.managers
    logins = {m.login for m in changed}
    managers = tuple(m for m in stored if m.login not in logins) + tuple(changed)
    documents = await stored_documents(uow, services.settings)
    documents[MANAGERS] = [manager_document(m) for m in managers]
    check_with(documents, services.settings)
    settings = with_managers(services.sales.settings, managers)
    by_login = {m.login: m for m in managers}
    for queue in settings.queues:
        members = [by_login.get(m.login) for m in queue.members]
        fallback = by_login.get(queue.fallback or "")
        if not any(m is not None and m.active for m in (*members, fallback)):
            raise RuleError(
                "invalid_field",
                "active",
                f"queue {queue.key!r} would be left with nobody active to take its leads",
                422,
            )
    for manager in changed:
        await uow.managers.upsert(new_manager(manager), utcnow())
    sales = SalesContext.from_settings(settings)
    try:
        sales.refresh(await uow.managers.list())
    except ValueError as err:
        raise RuleError("invalid_field", "login", str(err), 422) from err
    return sales


def _not_self(actor: Manager, manager: ManagerSettings) -> None:
    if actor.login != manager.login:
        return
    if not manager.active:
        raise RuleError("self_change", "active", "a head cannot deactivate themselves", 422)
    if manager.role != "head":
        raise RuleError("self_change", "role", "a head cannot take their own head role", 422)


async def _audit(
    uow: UnitOfWork,
    actor: str,
    manager_id: int,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    await uow.audit.add_many(
        [
            AuditEntry(
                actor,
                "manager",
                manager_id,
                action,
                now,
                before=None if before is None else dict(before),
                after=None if after is None else dict(after),
            )
        ]
    )
