"""The call log: calls assembled from the PBX's events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.calls import CallDirection, CallOutcome, CallStage
from intake.http.schemas.base import Shape, enum_schema

DirectionName = Annotated[str | None, WithJsonSchema(enum_schema(CallDirection, nullable=True))]
OutcomeName = Annotated[str | None, WithJsonSchema(enum_schema(CallOutcome, nullable=True))]
StageName = Annotated[str, WithJsonSchema(enum_schema(CallStage))]


class LoggedOn(Shape):
    """The record a call was logged on."""

    entity: Literal["lead", "deal"]
    id: int | None


class Call(Shape):
    """A call as the API shows it; summary fields are null until a provider reported them."""

    id: int
    provider: str | None = Field(examples=["zadarma"])
    call_id: str | None = Field(description="The provider's call id")
    direction: DirectionName
    caller: str | None
    callee: str | None
    line: str | None = Field(description="The company's number that was called")
    extension: str | None
    outcome: OutcomeName
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    talk_seconds: int | None
    recording: str | None = Field(description="The provider's recording reference")
    completed_at: datetime | None
    lead_id: int | None
    logged_on: LoggedOn | None
    manager_id: int | None


class CallEvent(Shape):
    """A provider event the call was assembled from."""

    key: str
    stage: StageName
    at: datetime


class CallDetail(Call):
    """A call with its provider events, oldest first."""

    events: list[CallEvent]


class CallPage(Shape):
    """Calls, newest first."""

    items: list[Call]
    next_before_id: int | None = Field(description="Pass as ?before_id= for the next page")
