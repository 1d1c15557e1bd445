"""`[workplace]`: how long the managers' web sessions live."""

from __future__ import annotations

from dataclasses import dataclass

from config.reader import Section


@dataclass(frozen=True, slots=True)
class WorkplaceSettings:
    """Web sessions end when unused for `session_idle_hours` and `session_days` after sign-in."""

    session_idle_hours: float = 12.0
    session_days: float = 30.0


def workplace_settings(s: Section) -> WorkplaceSettings:
    """`[workplace]`: session idle timeout and absolute lifetime."""
    days = s.number("session_days", 30.0, minimum=0.01)
    idle = s.number("session_idle_hours", 12.0, minimum=0.01)
    if idle > days * 24:
        raise s.error("session_idle_hours", "must not exceed session_days")
    return WorkplaceSettings(session_idle_hours=idle, session_days=days)
