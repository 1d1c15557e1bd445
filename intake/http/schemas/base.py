"""Base classes of the API's bodies and small typing helpers shared by every area."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict


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
