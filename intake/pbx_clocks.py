"""How far each PBX's clock (or its configured time zone) is from ours.

Every call event dated by the PBX (Zadarma's call_start, Mango's timestamp, an AMI
Timestamp or Cdr time) is sent as it happens, so its time minus the moment we received it is
the PBX's clock offset. A re-sent or delayed event looks late once in a while, so the offset
shown is the smallest of a source's last few samples: only a clock that is off for every one
of them is reported.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

SAMPLES = 5
# Past this, a PBX's times (and the calls dated by them) are worth a look: /readyz warns.
WARN_SECONDS = 300.0


class PbxClocks:
    """Recent clock offsets per call source ("call:zadarma", "call:asterisk:office")."""

    def __init__(self, samples: int = SAMPLES) -> None:
        self._samples = samples
        self._offsets: dict[str, deque[float]] = {}

    def observe(self, source: str, provider_at: datetime, received_at: datetime) -> None:
        """Record one event's time as the PBX stated it against when we received it."""
        if provider_at == received_at:
            return  # the adapter dated the event with our clock: nothing to compare
        offset = (provider_at - received_at).total_seconds()
        self._offsets.setdefault(source, deque(maxlen=self._samples)).append(offset)

    def offsets(self) -> dict[str, float]:
        """Each source's offset in seconds (positive: the PBX is ahead), smallest of recent."""
        return {source: min(samples, key=abs) for source, samples in sorted(self._offsets.items())}

    def skewed(self, threshold: float = WARN_SECONDS) -> dict[str, float]:
        """The sources whose clock is more than `threshold` seconds off ours."""
        return {s: o for s, o in self.offsets().items() if abs(o) > threshold}
