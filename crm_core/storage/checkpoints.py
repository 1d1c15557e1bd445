"""Channel checkpoints: how far a channel that fetches its own events has got, per source.

One row per (channel, key); the value is the channel's own text (an IMAP folder's
UIDVALIDITY and last UID as JSON, a long-poll ts), so any fetching channel can keep its place
here without a migration of its own. Written in the same database as the inbox, after the
events up to it are committed there.
"""

from __future__ import annotations

from datetime import datetime

from crm_core.storage.session import SqlSession


class SqlCheckpointRepository:
    """Checkpoints in the `channel_checkpoints` table (the same SQL on both dialects)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def get(self, channel: str, key: str) -> str | None:
        """The value stored for this channel and key, or None if there is none yet."""
        row = await self._s.fetchrow(
            "SELECT value FROM channel_checkpoints WHERE channel = $1 AND key = $2", channel, key
        )
        return None if row is None else str(row["value"])

    async def put(self, channel: str, key: str, value: str, now: datetime) -> None:
        """Store the value for this channel and key, replacing any earlier one."""
        await self._s.execute(
            "INSERT INTO channel_checkpoints (channel, key, value, updated_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (channel, key) DO UPDATE SET"
            " value = excluded.value, updated_at = excluded.updated_at",
            channel,
            key,
            value,
            now,
        )

    async def delete(self, channel: str, key: str) -> None:
        """Forget the checkpoint (the channel starts over as on its first run)."""
        await self._s.execute(
            "DELETE FROM channel_checkpoints WHERE channel = $1 AND key = $2", channel, key
        )
