"""Pollers following the settings: a source appearing gets a poller, one leaving loses it, a
change is retuned in place when the poller can take it, else the poller is restarted."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from intake.channel_polling import ChannelPoller, PrefixedPollers, following_settings
from intake.clock import utcnow


class Idle(ChannelPoller):
    """A poller that only waits; `value` is its source's settings."""

    def __init__(self, value: tuple[str, str]) -> None:
        super().__init__("idle", f"name={value[0]}", _NoStore(), lambda _outcome: None, utcnow)
        self.value = value

    async def poll_once(self) -> float:
        return 3600.0

    async def _close_client(self) -> None:
        return None

    def retune(self, settings: Any) -> bool:
        # The account (first item) must stay; the text (second item) may change in place.
        if settings[0] != self.value[0]:
            return False
        self.value = settings
        return True


class _NoStore:
    async def store(self, item: Any) -> Any:
        raise AssertionError("nothing is stored")


async def wait_until(condition: Any, timeout: float = 2.0) -> None:
    """Poll a condition with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline
        await asyncio.sleep(0.01)


async def test_pollers_follow_the_reloaded_settings() -> None:
    wanted: dict[str, tuple[str, str]] = {"a": ("acc-a", "hello")}
    services: Any = SimpleNamespace(settings_version=1, follow_settings=[])
    async with following_settings(services, lambda _s: dict(wanted), Idle, every=0.01) as live:
        first = live["a"]
        assert first.running and services.follow_settings
        view = PrefixedPollers()
        view.add("idle", live)
        assert list(view) == ["idle:a"]

        wanted["a"] = ("acc-a", "new text")
        wanted["b"] = ("acc-b", "hi")
        services.settings_version = 2
        await wait_until(lambda: "b" in live)
        assert live["a"] is first and first.value == ("acc-a", "new text")  # retuned
        assert sorted(view) == ["idle:a", "idle:b"]  # the view is live

        del wanted["b"]
        wanted["a"] = ("acc-other", "new text")
        await services.follow_settings[0]()  # a process that changed them catches up at once
        assert "b" not in live and live["a"] is not first  # restarted
        assert not first.running
        last = live["a"]
    assert not last.running and not services.follow_settings
