"""A long-lived loop run as one asyncio task, started and stopped by the app's contexts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class BackgroundLoop:
    """Runs `body()` as a named task; `stop()` cancels it and waits for it to finish."""

    def __init__(self, name: str, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._body = body
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task."""
        self._task = asyncio.create_task(self._body(), name=self._name)

    async def stop(self) -> None:
        """Cancel the task and wait until it has unwound."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
