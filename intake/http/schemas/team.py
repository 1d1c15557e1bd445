"""The head's team panel: each active manager's load, speed and duty."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from intake.http.schemas.base import Shape


class TeamMember(Shape):
    """One active manager's line of the panel."""

    id: int
    login: str
    name: str
    role: Literal["manager", "head"]
    new_leads: int = Field(description="Leads given to them and not taken yet")
    leads_in_work: int
    overdue_tasks: int = Field(description="Open tasks due before now")
    median_seconds_to_take: float | None = Field(
        description="Over their newest (at most 100) leads created in the last 30 days and"
        " taken; null without any"
    )
    open_deals: int
    open_amount: dict[str, str] = Field(description="Per currency, a decimal string")
    on_duty: bool = Field(description="Within working hours and not absent, as routing sees it")
    absent: bool


class TeamPanel(Shape):
    """Every active manager, heads first, then by name."""

    at: datetime
    take_since: datetime
    unassigned_new_leads: int
    members: list[TeamMember]
