"""Deals: the deal, its detail with stage history, and stage moves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from crm_core.pipelines import MoveOutcome
from crm_core.sales import DealStatus
from intake.http.schemas.base import AnyMap, Body, NonBlank, Shape, enum_schema
from intake.http.schemas.records import Work

DealStatusName = Annotated[str, WithJsonSchema(enum_schema(DealStatus))]
MoveOutcomeName = Annotated[str, WithJsonSchema(enum_schema(MoveOutcome))]


class PendingLost(Shape):
    """A manager's request to close the deal as lost, waiting for a head."""

    stage: str
    reason: str
    by: str = Field(description="Login of who asked")


class Deal(Shape):
    """A deal as the API shows it."""

    id: int
    title: str
    pipeline: str = Field(description="Pipeline key")
    stage: str = Field(description="Stage key")
    status: DealStatusName
    amount: str | None = Field(
        description="Decimal as a string, kopecks exact", examples=["150000.00"]
    )
    currency: str = Field(examples=["RUB"])
    products: list[Any]
    comment: str | None
    fields: AnyMap
    contact_id: int | None
    company_id: int | None
    lead_id: int | None
    owner_id: int | None
    lost_reason: str | None
    pending_lost: PendingLost | None
    stage_entered_at: datetime
    seconds_in_stage: int
    created_at: datetime
    closed_at: datetime | None


class StageVisit(Shape):
    """A stay of the deal in a stage."""

    stage: str
    entered_at: datetime
    left_at: datetime | None


class DealDetail(Deal, Work):
    """A deal with stage history, tasks, activities and health."""

    stage_history: list[StageVisit]


class DealPage(Shape):
    """Deals visible to the caller, newest first."""

    items: list[Deal]


class StageMoveRequest(Body):
    """Move a deal to a stage; a lost stage may need a reason."""

    stage: NonBlank = Field(description="Stage key")
    reason: str | None = Field(default=None, description="A lost reason, when the stage needs one")


class StageMoved(Shape):
    """The deal after a move, or a lost request waiting for a head's approval."""

    outcome: MoveOutcomeName
    deal: Deal
