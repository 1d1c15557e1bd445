"""A head changes the sales setup: queues, pipelines and forms (and a whole file's import).

Each change is one transaction: the setup with the change in place is checked as a whole by
the config checker (a queue naming a manager, a form naming a queue...), so a change that
breaks a rule anywhere changes nothing; it is stored with an optimistic version, written to
the audit log (who, when, before → after) and bumps the settings version every process polls
(`intake.bootstrap.load_team`). Managers have their own module (`intake.manager_changes`),
because a manager is also a row the leads point at.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import Settings
from config.reader import ConfigError
from config.sales_documents import (
    EXTENSIONS,
    JUNK_REASONS,
    KEY_FIELDS,
    KINDS,
    LINES,
    check_documents,
    documents_of,
    sales_environ,
)
from config.settings import SalesSection
from config.telephony_settings import normalize_line
from crm_core.errors import NotFound, RuleError
from crm_core.handover import ensure_no_open_work
from crm_core.model import AuditEntry, Manager
from crm_core.storage.ports import StoredSetting, UnitOfWork
from intake.bootstrap import Services, load_team
from intake.clock import utcnow
from intake.pipeline_changes import stages_keep_their_deals
from intake.team_settings import MANAGERS, new_manager, stored_documents

STALE = "изменено другим пользователем"
SOURCE = "settings"
EDITABLE = ("queues", "pipelines", "forms", JUNK_REASONS, LINES, EXTENSIONS)
# A kind whose key is written many ways: a phone line "+7 (495) 123-45-67" is 74951234567.
KEY_SPELLINGS: dict[str, Callable[[str], str]] = {LINES: normalize_line}

Guard = Callable[[UnitOfWork, Mapping[str, Any] | None, Mapping[str, Any] | None], Awaitable[None]]
"""A kind's own check of a change (before, after; None for a new or deleted object), run in
the change's transaction: e.g. a stage holding deals cannot be removed."""

GUARDS: dict[str, list[Guard]] = {kind: [] for kind in KINDS}
GUARDS["pipelines"].append(stages_keep_their_deals)
# /api/v1/settings/queues/preview is the routing preview, not a queue's.
RESERVED_QUEUE_KEYS = frozenset({"preview"})


async def _reserved_queue_key(
    uow: UnitOfWork, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    if before is None and after is not None and after.get("key") in RESERVED_QUEUE_KEYS:
        raise RuleError("invalid_field", "key", f"{after['key']!r} is a reserved word", 422)


GUARDS["queues"].append(_reserved_queue_key)


async def list_documents(services: Services, kind: str) -> list[StoredSetting]:
    """Every stored object of a kind, in order."""
    async with services.storage.reader() as uow:
        return await uow.settings.list(kind)


async def get_document(services: Services, kind: str, key: str) -> StoredSetting:
    """One stored object (NotFound naming the key when there is none)."""
    key = key_of_path(kind, key)
    async with services.storage.reader() as uow:
        found = await uow.settings.get(kind, key)
    if found is None:
        raise NotFound("key", f"no {_noun(kind)} {key!r}")
    return found


async def create_document(
    services: Services, actor: Manager, kind: str, doc: Mapping[str, Any]
) -> StoredSetting:
    """Add a queue, pipeline or form (409 when the key is taken, 422 when a rule breaks)."""
    now = utcnow()
    doc = _spelled(kind, doc)
    key = _key_of(kind, doc)
    async with services.storage.transaction() as uow:
        documents = await stored_documents(uow, services.settings)
        if any(d.get(KEY_FIELDS[kind]) == key for d in documents[kind]):
            raise RuleError("key_taken", "key", f"{_noun(kind)} {key!r} already exists")
        documents[kind].append(_given(doc))
        canonical = _checked_one(documents, kind, len(documents[kind]) - 1, services.settings)
        await _guard(uow, kind, None, canonical)
        stored = await uow.settings.add(kind, key, canonical, actor.login, now)
        if stored is None:
            raise RuleError("key_taken", "key", f"{_noun(kind)} {key!r} already exists")
        await _audit(uow, actor.login, kind, "create", None, stored.data, now)
        await uow.settings.bump()
    await load_team(services)
    return stored


async def update_document(
    services: Services,
    actor: Manager,
    kind: str,
    key: str,
    doc: Mapping[str, Any],
    version: int,
) -> StoredSetting:
    """Replace an object if nobody changed it since `version` (409 «изменено другим
    пользователем» otherwise); its key cannot change."""
    key = key_of_path(kind, key)
    given = _spelled(kind, _given({**doc, KEY_FIELDS[kind]: doc.get(KEY_FIELDS[kind], key)}))
    if given[KEY_FIELDS[kind]] != key:
        raise RuleError("invalid_field", "key", f"a {_noun(kind)}'s key cannot change", 422)
    now = utcnow()
    async with services.storage.transaction() as uow:
        before = await _current(uow, kind, key, version)
        documents = await stored_documents(uow, services.settings)
        index = _index(documents[kind], kind, key)
        documents[kind][index] = given
        canonical = _checked_one(documents, kind, index, services.settings)
        await _guard(uow, kind, before.data, canonical)
        stored = await uow.settings.replace(kind, key, canonical, version, actor.login, now)
        if stored is None:
            raise RuleError("version_conflict", "version", STALE)
        await _audit(uow, actor.login, kind, "update", before.data, stored.data, now)
        await uow.settings.bump()
    await load_team(services)
    return stored


async def delete_document(
    services: Services, actor: Manager, kind: str, key: str, version: int | None = None
) -> StoredSetting:
    """Delete an object (refused while anything still names it: a form its queue, a channel
    its pipeline...); with `version`, only if nobody changed it since."""
    now = utcnow()
    key = key_of_path(kind, key)
    async with services.storage.transaction() as uow:
        before = await _current(uow, kind, key, version)
        documents = await stored_documents(uow, services.settings)
        del documents[kind][_index(documents[kind], kind, key)]
        _still_named(services, kind, key, documents)
        _checked(documents, services.settings)
        await _guard(uow, kind, before.data, None)
        if not await uow.settings.remove(kind, key, before.version):
            raise RuleError("version_conflict", "version", STALE)
        await _audit(uow, actor.login, kind, "delete", before.data, None, now)
        await uow.settings.bump()
    await load_team(services)
    return before


@dataclass(frozen=True, slots=True)
class KindPlan:
    """What an import would do to one kind: keys added, changed, and kept (not in the file)."""

    kind: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """An import's effect per kind the file has, and the documents after it."""

    kinds: tuple[KindPlan, ...]
    after: dict[str, list[dict[str, Any]]]

    @property
    def empty(self) -> bool:
        """Nothing to add or change."""
        return all(not k.added and not k.changed for k in self.kinds)

    def summary(self) -> str:
        """One line per kind: added, changed, kept."""
        return "; ".join(
            f"{k.kind}: added {', '.join(k.added) or '-'}, changed {', '.join(k.changed) or '-'},"
            f" kept (not in the file) {', '.join(k.kept) or '-'}"
            for k in self.kinds
        )


def plan_import(
    current: Mapping[str, Sequence[Mapping[str, Any]]],
    wanted: SalesSection,
    present: frozenset[str],
) -> ImportPlan:
    """The file's objects replace or join the stored ones of the kinds it has; an object
    missing from the file is kept."""
    wanted_docs = documents_of(wanted)
    after = {kind: [dict(d) for d in current.get(kind, ())] for kind in KINDS}
    plans = []
    for kind in KINDS:
        if kind not in present:
            continue
        field = KEY_FIELDS[kind]
        by_key = {d[field]: d for d in wanted_docs[kind]}
        old = {d[field]: d for d in after[kind]}
        plans.append(
            KindPlan(
                kind,
                added=tuple(k for k in by_key if k not in old),
                changed=tuple(k for k in by_key if k in old and old[k] != by_key[k]),
                kept=tuple(k for k in old if k not in by_key),
            )
        )
        after[kind] = [by_key.pop(d[field], d) for d in after[kind]] + list(by_key.values())
    return ImportPlan(tuple(plans), after)


async def import_documents(services: Services, actor: str, plan: ImportPlan) -> None:
    """Apply an import plan in one transaction (all or nothing), audited as `actor`.

    A manager made inactive by the file must hold no open work (deactivate them through the
    API or the page, which hands it over, first).
    """
    now = utcnow()
    sales = _checked(plan.after, services.settings)
    canonical = documents_of(sales)
    async with services.storage.transaction() as uow:
        for kind_plan in plan.kinds:
            kind = kind_plan.kind
            docs = {d[KEY_FIELDS[kind]]: d for d in canonical[kind]}
            for key in (*kind_plan.added, *kind_plan.changed):
                doc = docs[key]
                old = await uow.settings.get(kind, key, for_update=True)
                await _guard(uow, kind, None if old is None else old.data, doc)
                if kind == MANAGERS:
                    row = await uow.managers.get_by_login(key)
                    if row is not None and row.active and not doc.get("active", True):
                        await ensure_no_open_work(uow, row.id)
                if old is None:
                    stored = await uow.settings.add(kind, key, doc, actor, now)
                else:
                    stored = await uow.settings.replace(kind, key, doc, old.version, actor, now)
                if stored is None:
                    raise RuleError("version_conflict", "version", STALE)
                entity, entity_id = f"settings.{kind}", 0
                if kind == MANAGERS:
                    manager = next(m for m in sales.managers if m.login == key)
                    entity, entity_id = (
                        "manager",
                        (await uow.managers.upsert(new_manager(manager), now)).id,
                    )
                await uow.audit.add_many(
                    [
                        AuditEntry(
                            actor,
                            entity,
                            entity_id,
                            "create" if old is None else "update",
                            now,
                            before=None if old is None else dict(old.data),
                            after=dict(stored.data),
                        )
                    ]
                )
        await uow.settings.bump()
    await load_team(services)


def check_with(
    documents: Mapping[str, Sequence[Mapping[str, Any]]], settings: Settings
) -> SalesSection:
    """The whole setup checked as the config checker does; 422 naming the field."""
    return _checked(documents, settings)


def _checked(
    documents: Mapping[str, Sequence[Mapping[str, Any]]], settings: Settings
) -> SalesSection:
    try:
        return check_documents(documents, SOURCE, sales_environ(settings))
    except ConfigError as err:
        raise _refusal(err) from err


def _checked_one(
    documents: dict[str, list[dict[str, Any]]], kind: str, index: int, settings: Settings
) -> dict[str, Any]:
    """The changed object's canonical document, the whole setup checked; an error in the
    changed object names its own field (`fallback`), others their place (`forms[1].queue`)."""
    try:
        sales = check_documents(documents, SOURCE, sales_environ(settings))
    except ConfigError as err:
        raise _refusal(err, f"{kind}[{index}].") from err
    return documents_of(sales)[kind][index]


def _refusal(err: ConfigError, own_prefix: str = "") -> RuleError:
    field = err.field or "body"
    message = str(err).removeprefix(f"{SOURCE}: ")
    if own_prefix and field.startswith(own_prefix):
        field = field.removeprefix(own_prefix)
        message = message.removeprefix(own_prefix)
    return RuleError("invalid_field", field, message, 422)


def key_of_path(kind: str, key: str) -> str:
    """An object's key as stored, however the path spells it (a phone line's digits)."""
    spelling = KEY_SPELLINGS.get(kind)
    return key if spelling is None else spelling(key)


def _spelled(kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    field = KEY_FIELDS[kind]
    spelling = KEY_SPELLINGS.get(kind)
    if spelling is None or not isinstance(doc.get(field), str):
        return dict(doc)
    return {**doc, field: spelling(doc[field])}


def _still_named(
    services: Services,
    kind: str,
    key: str,
    documents: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> None:
    """A channel source (a Telegram bot, VK community, mailbox...) or a phone line naming the
    object."""
    attribute = {"queues": "queue", "pipelines": "pipeline"}.get(kind)
    if attribute is None:
        return
    for line in (documents or {}).get(LINES, ()):
        if line.get(attribute) == key:
            raise RuleError(
                "still_used",
                "key",
                f"{_noun(kind)} {key!r} is named by the phone line {line.get('line')!r}:"
                " change that first",
                409,
            )
    for section in services.settings.channel_sections.values():
        for source in section if isinstance(section, tuple) else ():
            if getattr(source, attribute, None) == key:
                raise RuleError(
                    "still_used",
                    "key",
                    f"{_noun(kind)} {key!r} is named by the channel source"
                    f" {getattr(source, 'name', '?')!r}: change that first",
                    409,
                )


async def _current(uow: UnitOfWork, kind: str, key: str, version: int | None) -> StoredSetting:
    before = await uow.settings.get(kind, key, for_update=True)
    if before is None:
        raise NotFound("key", f"no {_noun(kind)} {key!r}")
    if version is not None and before.version != version:
        raise RuleError("version_conflict", "version", STALE)
    return before


async def _guard(
    uow: UnitOfWork, kind: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    for guard in GUARDS.get(kind, ()):
        await guard(uow, before, after)


def _index(documents: list[dict[str, Any]], kind: str, key: str) -> int:
    field = KEY_FIELDS[kind]
    for i, doc in enumerate(documents):
        if doc.get(field) == key:
            return i
    raise NotFound("key", f"no {_noun(kind)} {key!r}")


def _key_of(kind: str, doc: Mapping[str, Any]) -> str:
    key = doc.get(KEY_FIELDS[kind])
    if not isinstance(key, str) or not _URL_SAFE.fullmatch(key):
        raise RuleError(
            "invalid_field",
            KEY_FIELDS[kind],
            "must be URL-safe: lowercase letters, digits, '_' or '-', up to 64",
            422,
        )
    return key


_URL_SAFE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _given(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The body's keys; null means the key's default."""
    return {k: v for k, v in doc.items() if v is not None}


def _noun(kind: str) -> str:
    return kind.removesuffix("s")


async def _audit(
    uow: UnitOfWork,
    actor: str,
    kind: str,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    await uow.audit.add_many(
        [
            AuditEntry(
                actor,
                f"settings.{kind}",
                0,
                action,
                now,
                before=None if before is None else dict(before),
                after=None if after is None else dict(after),
            )
        ]
    )
