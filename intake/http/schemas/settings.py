"""The head's sales-settings bodies: a manager as stored, with its version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, Strict

from intake.http.schemas.base import Body, Flag, NonBlank, Shape


class Absence(Shape):
    """A vacation or sick leave: [from, to), date-times with a UTC offset."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="ISO 8601 with offset, 2026-12-29T00:00:00+03:00")
    to: str = Field(description="ISO 8601 with offset, after `from`")
    note: str | None = Field(default=None, description="Отпуск, больничный...")


class ManagerFields(Body):
    """A manager's settings as `[[managers]]` holds them (unknown keys are refused, 422)."""

    name: NonBlank = Field(description="Shown to managers and clients")
    role: Literal["manager", "head"] = "manager"
    email: str | None = None
    telegram_chat_id: str | None = None
    timezone: str = Field(default="Europe/Moscow", description="IANA time zone")
    active: Flag = True
    working_hours: dict[str, str] | None = Field(
        default=None,
        description='{"mon-fri": "09:00-18:00"} in the manager\'s time zone; null: always on duty',
    )
    absences: list[Absence] = Field(default_factory=list)


class NewManager(ManagerFields):
    """POST: a new manager."""

    login: NonBlank = Field(description="Lowercase letters, digits, '_' or '-'")


class ManagerEdit(ManagerFields):
    """PUT: the whole manager, with the version it edits."""

    version: Annotated[int, Strict()] = Field(
        ge=1, description="The version read; a stale one is 409"
    )


class StoredManager(Shape):
    """A manager as stored, with its version for the next PUT."""

    login: str
    name: str
    role: Literal["manager", "head"]
    email: str | None
    telegram_chat_id: str | None
    timezone: str
    active: bool
    working_hours: dict[str, str] | None
    absences: list[Absence]
    version: int
    updated_at: datetime
    updated_by: str = Field(description="Login of who changed it last; `seed` for the file")


class ManagerPage(Shape):
    """Every manager, by login."""

    items: list[StoredManager]


class HandedOver(Shape):
    """Where a deactivated manager's open work went: id → login of the new owner."""

    leads: dict[str, str]
    deals: dict[str, str]


class DeactivatedManager(Shape):
    """The manager, now inactive, and their open work re-owned."""

    manager: StoredManager
    handed_over: HandedOver
