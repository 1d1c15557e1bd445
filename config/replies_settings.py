"""`[replies]`: how the dispatcher of the messages to clients claims them."""

from __future__ import annotations

from dataclasses import dataclass

from config.reader import Section


@dataclass(frozen=True, slots=True)
class RepliesSettings:
    """A claimed message is the dispatcher's for `lease_seconds`; a process killed holding it
    leaves it to be sent by another (or the restarted one) once the lease runs out."""

    lease_seconds: float = 60.0


def replies_settings(s: Section) -> RepliesSettings:
    """`[replies]`: the dispatcher's lease, more than 0 seconds."""
    for key in s.data:  # a typo would silently keep the default
        if key != "lease_seconds":
            raise s.error(key, "unknown key; expected lease_seconds")
    lease = s.number("lease_seconds", 60.0, minimum=float("-inf"))
    if lease <= 0:
        raise s.error("lease_seconds", f"must be more than 0, got {lease:g}")
    return RepliesSettings(lease_seconds=lease)
