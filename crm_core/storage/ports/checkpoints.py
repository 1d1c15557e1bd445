"""Checkpoints of channels that fetch their own events."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CheckpointRepository(Protocol):
    """How far each channel that fetches its own events has got, per source key."""

    async def get(self, channel: str, key: str) -> str | None:
        """The value stored for this channel and key, or None if there is none yet."""

    async def put(self, channel: str, key: str, value: str, now: datetime) -> None:
        """Store the value for this channel and key, replacing any earlier one."""

    async def delete(self, channel: str, key: str) -> None:
        """Forget the checkpoint (the channel starts over as on its first run)."""
