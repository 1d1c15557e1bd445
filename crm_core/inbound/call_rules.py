"""The configured call rules as the call use case reads them: company lines and extensions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LineInfo:
    """What the configuration says about a company number: attribution and routing."""

    source: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    pipeline: str | None = None


def _no_line(_number: str | None) -> LineInfo | None:
    return None


def _no_manager(_extension: str | None) -> int | None:
    return None


@dataclass(frozen=True, slots=True)
class CallRules:
    """The call rules as plain lookups: line number → LineInfo, extension → manager id."""

    missed_callback_minutes: int = 15
    line: Callable[[str | None], LineInfo | None] = _no_line
    extension_manager: Callable[[str | None], int | None] = _no_manager
