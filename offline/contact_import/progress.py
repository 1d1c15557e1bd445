"""The progress line `import-contacts` keeps redrawing on stderr."""

from __future__ import annotations

import time
from typing import TextIO

from offline.contact_import.const import PROGRESS_EVERY_SECONDS


class Meter:
    """`\\r` progress on stderr: line reached, percent, records per second."""

    def __init__(self, stream: TextIO, total_lines: int) -> None:
        self._stream = stream
        self._total = max(total_lines, 1)
        self._started = self._shown = time.monotonic()
        self._rows = 0
        self._line = 0
        self._drawn = False

    def update(self, line: int) -> None:
        """Count one record; redraw a few times a second."""
        self._rows += 1
        self._line = line
        now = time.monotonic()
        if now - self._shown >= PROGRESS_EVERY_SECONDS:
            self._shown = now
            self._draw(now)

    def close(self) -> None:
        """The final state, then a newline."""
        if self._rows:
            self._draw(time.monotonic())
        if self._drawn:
            print(file=self._stream, flush=True)

    def _draw(self, now: float) -> None:
        rate = self._rows / max(now - self._started, 1e-6)
        percent = min(100, self._line * 100 // self._total)
        print(
            f"\rimport-contacts: line {self._line}/{self._total} ({percent}%),"
            f" {self._rows} records, {rate:.0f}/s",
            end="",
            file=self._stream,
            flush=True,
        )
        self._drawn = True
