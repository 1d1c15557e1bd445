"""The sales team as documents: checked by the config checker, written back as `[[managers]]`.

A manager's document has the keys of a `[[managers]]` table, absences' `from` and `to` as ISO
8601 text (JSON has no date-time). The same checker as the file's validates a document from
the API, from the database and from `leadintake settings import`, so the three accept and
refuse the same things with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from config.reader import Section
from config.settings import ManagerSettings, _manager, _only

MANAGER_KEYS = (
    "login",
    "name",
    "role",
    "email",
    "telegram_chat_id",
    "timezone",
    "active",
    "working_hours",
    "absences",
)


def parse_manager(doc: Mapping[str, Any], source: str, path: str = "") -> ManagerSettings:
    """A manager from a document (ConfigError naming the key when it breaks a rule)."""
    section = Section(source, path, with_datetimes(dict(doc), source, path))
    _only(section, MANAGER_KEYS)
    return _manager(section)


def manager_document(manager: ManagerSettings) -> dict[str, Any]:
    """The canonical document of a manager (keys in `[[managers]]` order, JSON-ready)."""
    doc: dict[str, Any] = {"login": manager.login, "name": manager.name, "role": manager.role}
    if manager.email is not None:
        doc["email"] = manager.email
    if manager.telegram_chat_id is not None:
        doc["telegram_chat_id"] = manager.telegram_chat_id
    doc["timezone"] = manager.timezone
    doc["active"] = manager.active
    if manager.working_hours is not None:
        doc["working_hours"] = dict(manager.working_hours)
    if manager.absences:
        doc["absences"] = [
            {"from": a.start.isoformat(), "to": a.end.isoformat()}
            | ({"note": a.note} if a.note else {})
            for a in manager.absences
        ]
    return doc


def with_datetimes(doc: dict[str, Any], source: str, path: str) -> dict[str, Any]:
    """Absences' ISO text turned into date-times, as TOML gives them."""
    absences = doc.get("absences")
    if not isinstance(absences, list):
        return doc
    converted = []
    for i, absence in enumerate(absences):
        if isinstance(absence, dict):
            absence = dict(absence)
            for key in ("from", "to"):
                value = absence.get(key)
                if isinstance(value, str):
                    try:
                        absence[key] = datetime.fromisoformat(value)
                    except ValueError as err:
                        where = Section(
                            source, f"{path}.absences[{i}]" if path else f"absences[{i}]", {}
                        )
                        raise where.error(
                            key,
                            f"must be a date-time like 2026-12-29T00:00:00+03:00, got {value!r}",
                        ) from err
        converted.append(absence)
    return doc | {"absences": converted}
