"""API token bodies: what a head sees of a token (never its secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from intake.http.schemas.base import Body, NonBlank, Shape, _not_blank

NAME_MAX = 100
TokenName = Annotated[
    str,
    StringConstraints(max_length=NAME_MAX),
    AfterValidator(_not_blank),
    WithJsonSchema({"type": "string", "pattern": "\\S", "maxLength": NAME_MAX}),
]


class ApiToken(Shape):
    """A token's id, owner and lifetime."""

    id: int
    login: str
    name: str | None = Field(description="What the head who issued it called it")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class ApiTokenPage(Shape):
    """Every token, newest first."""

    items: list[ApiToken]


class NewApiToken(Body):
    """POST: a token for a manager, named by the head (its use, «интеграция с 1С»)."""

    login: NonBlank = Field(description="The active manager the token acts as")
    name: TokenName = Field(description="What the token is for, up to 100 characters")


class IssuedApiToken(ApiToken):
    """A token just issued: its secret is in `token`, shown this once and never again."""

    token: str = Field(description="The bearer token; send it as 'Authorization: Bearer …'")
