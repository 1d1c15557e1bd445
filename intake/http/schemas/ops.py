"""Operations bodies: liveness and readiness."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from intake.http.schemas.base import Shape


class Health(Shape):
    """The process is up."""

    status: Literal["ok"]


class ReadinessWarning(Shape):
    """Something to fix that does not make the service not ready (a PBX clock off ours)."""

    check: str
    source: str
    state: str
    offset_seconds: int
    message: str = Field(description="What to do, in Russian")


class Readiness(Shape):
    """Ready or not, with the state of each check (database, worker, inbox, channels, CRM
    connectors)."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, Any] = Field(
        description="Per check name, its `state`; error texts only for a head's token"
    )
    warnings: list[ReadinessWarning] = Field(default_factory=list)
