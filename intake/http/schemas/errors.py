"""The one error body every route answers a 4xx/5xx with."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from intake.http.schemas.base import Shape


class RowProblem(Shape):
    """A wrong row of an imported file: its number (1 is the header), column and problem."""

    row: int
    column: str
    message: str


class Error(Shape):
    """`{"error", "message", "field"?}`: a stable code, a readable message, what was wrong."""

    error: str = Field(description="A stable machine-readable code", examples=["invalid_field"])
    message: str = Field(description="What was wrong and what would be accepted")
    field: str | SkipJsonSchema[None] = Field(
        default=None, description="The field, header or parameter at fault"
    )
    expected: list[str] | SkipJsonSchema[None] = Field(
        default=None, description="Fields of which at least one is needed (forms: 422)"
    )
    intake_id: int | SkipJsonSchema[None] = Field(
        default=None, description="409 idempotency_conflict: the request that holds the key"
    )
    limit: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None, description="429 rate_limited: per_minute, burst and the key counted"
    )
    rows: list[RowProblem] | SkipJsonSchema[None] = Field(
        default=None, description="422 invalid_file: every wrong row of an imported file"
    )
