"""Base classes of the API's bodies and small typing helpers shared by every area.

The request field types below accept exactly what the handlers' own parsing in
`intake.http.body` accepts (they call the same functions), so a body the documented model
refuses is one the handler would refuse too.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from intake.http.body import AMOUNT_MAX, ID_MAX, parse_amount, parse_aware_datetime


class Shape(BaseModel):
    """A response body: exactly the fields the handler writes, no others."""

    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    """A request body: the fields a handler reads (others are ignored, so allowed)."""

    model_config = ConfigDict(extra="allow")


def enum_schema(
    *enums: type[Enum], extra: tuple[str, ...] = (), nullable: bool = False
) -> dict[str, Any]:
    """A string restricted to domain enums' wire values, for `WithJsonSchema`.

    The domain's enums stay the single source of the values (a new status reaches the
    document by itself); inlining them keeps crm_core names such as `Health` out of the
    components, where `Health` already names the liveness body.
    """
    values = [str(member.value) for enum in enums for member in enum] + list(extra)
    schema: dict[str, Any] = {"type": "string", "enum": values}
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


StringMap = dict[str, str]
AnyMap = dict[str, Any]


def member_of(*enums: type[Enum]) -> Callable[[str], str]:
    """A validator: the string (surrounding spaces ignored, as the handlers do) is one of the
    enums' wire values."""
    values = [str(member.value) for enum in enums for member in enum]

    def check(value: str) -> str:
        if value.strip() not in values:
            raise PydanticCustomError(
                "enum", "must be one of: {values}", {"values": ", ".join(values)}
            )
        return value

    return check


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "required, a non-empty string")
    return value


def _aware_datetime(value: str) -> str:
    try:
        parse_aware_datetime(value)
    except ValueError as err:
        raise PydanticCustomError("date_time", str(err)) from err
    return value


def _amount(value: object) -> Decimal:
    try:
        return parse_amount(value)
    except ValueError as err:
        raise PydanticCustomError("amount", str(err)) from err


# A record id in a request body: a JSON integer (not a string, float or boolean), 64-bit positive.
Id = Annotated[int, Strict(), Field(ge=1, le=ID_MAX, json_schema_extra={"format": "int64"})]
# A JSON boolean, nothing that merely looks like one.
Flag = Annotated[bool, Strict()]
# A string with something besides spaces in it.
NonBlank = Annotated[
    str, AfterValidator(_not_blank), WithJsonSchema({"type": "string", "pattern": "\\S"})
]
# An ISO 8601 date-time with a UTC offset, kept as the text the handler parses itself.
AwareDateTime = Annotated[
    str,
    AfterValidator(_aware_datetime),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# Money: a JSON number or a numeric string, 0..AMOUNT_MAX, rounded to kopecks.
Amount = Annotated[
    Decimal,
    PlainValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(AMOUNT_MAX)},
                {"type": "string", "pattern": "^[0-9]{1,14}(\\.[0-9]{1,2})?$"},
            ]
        }
    ),
]
