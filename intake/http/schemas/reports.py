"""Reports: the deal funnel of a pipeline and lead quality per channel and form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.pipelines import StageKind
from intake.http.schemas.base import Shape, enum_schema

Share = Annotated[float | None, Field(description="0..1, four digits; null with no leads")]
Scope = Literal["all", "own", "manager"]


class PeriodRange(Shape):
    """The period covered: `from` inclusive, `to` exclusive."""

    from_: datetime = Field(alias="from")
    to: datetime


class PipelineRef(Shape):
    """A pipeline's key and name."""

    key: str
    name: str


class FunnelStage(Shape):
    """One row of the funnel: an open stage (in pipeline order) or the won stage."""

    key: str
    name: str
    kind: Annotated[str, WithJsonSchema(enum_schema(StageKind))]
    reached: int = Field(description="Deals that ever entered this stage or a later one")
    now_in: int = Field(description="Deals in this stage now")
    conversion_from_previous: Share
    median_seconds_in_stage: float | None
    closed_visits: int


class FunnelTotals(Shape):
    """Deals of the period by status, won amounts per currency, lost per reason."""

    deals: int
    open: int
    won: int
    lost: int
    won_amount: dict[str, str] = Field(description="Per currency, a decimal string")
    lost_by_reason: dict[str, int]


class FunnelReport(Shape):
    """Deals of one pipeline created in a period."""

    pipeline: PipelineRef
    period: PeriodRange
    scope: Scope = Field(
        description="A head sees all deals (or one manager's with ?manager=), a manager their own"
    )
    stages: list[FunnelStage]
    totals: FunnelTotals


class LeadQuality(Shape):
    """Counts and shares of a set of leads."""

    leads: int
    new: int
    in_work: int
    converted: int
    junk: int
    qualified_share: Share
    junk_share: Share
    junk_by_reason: dict[str, int]
    taken: int
    median_seconds_to_take: float | None
    repeat_share: Share


class LeadQualityGroup(LeadQuality):
    """Lead quality of one channel and source (for web forms the source is the form key)."""

    channel: str
    source: str


class LeadQualityReport(Shape):
    """Leads created in a period per channel and form, and over all of them."""

    period: PeriodRange
    scope: Scope
    groups: list[LeadQualityGroup]
    total: LeadQuality
