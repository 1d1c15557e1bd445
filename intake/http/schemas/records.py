"""Tasks and activities of a lead, contact, company or deal, and the record's health colour."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from crm_core.sales import ActivityKind, Health, RecordKind
from intake.http.schemas.base import (
    AwareDateTime,
    Body,
    Flag,
    Id,
    NonBlank,
    Shape,
    enum_schema,
    member_of,
)

RecordKindName = Annotated[str, WithJsonSchema(enum_schema(RecordKind))]
HealthColour = Annotated[str, WithJsonSchema(enum_schema(Health))]
ActivityKindName = Annotated[str, WithJsonSchema(enum_schema(ActivityKind))]
# What a request may name: the same values, checked (the handlers take them space-trimmed).
RecordKindChoice = Annotated[
    str, AfterValidator(member_of(RecordKind)), WithJsonSchema(enum_schema(RecordKind))
]
ActivityKindChoice = Annotated[
    str, AfterValidator(member_of(ActivityKind)), WithJsonSchema(enum_schema(ActivityKind))
]


class Task(Shape):
    """A planned task on a record."""

    id: int
    entity: RecordKindName
    entity_id: int
    type: str = Field(examples=["call"])
    title: str
    due_at: datetime
    assignee_id: int | None
    done: bool
    done_at: datetime | None
    health: Annotated[str | None, WithJsonSchema(enum_schema(Health, nullable=True))] = Field(
        description="Red: overdue; yellow: due later today; null once done"
    )


class Activity(Shape):
    """A logged call, e-mail, message or note."""

    id: int
    kind: ActivityKindName
    text: str | None
    at: datetime
    actor: str = Field(description="Login of who logged it")


class Work(Shape):
    """What a record's detail view adds: its health, tasks and activities."""

    health: HealthColour = Field(description="Red when a task is overdue, yellow when due today")
    tasks: list[Task]
    activities: list[Activity]


class NewTaskRequest(Body):
    """Plan a task on a record."""

    entity: RecordKindChoice
    entity_id: Id
    title: NonBlank
    due_at: AwareDateTime = Field(description="ISO 8601 with a UTC offset")
    type: str | None = Field(default=None, description="Default: call")
    assignee_id: Id | None = Field(default=None, description="Default: the caller")


class TaskDoneRequest(Body):
    """Mark a task done (`false` reopens it); an empty body means done."""

    done: Flag = True


class NewActivityRequest(Body):
    """Log an activity on a record."""

    entity: RecordKindChoice
    entity_id: Id
    kind: ActivityKindChoice
    text: str | None = None
    at: AwareDateTime | None = Field(
        default=None, description="ISO 8601 with a UTC offset; default: now"
    )


class ActivityCreated(Shape):
    """The id of the logged activity."""

    id: int
