"""A channel's manifest: everything the service shell needs to know to run it.

Each channel package exposes one `ChannelSpec` (like a Home Assistant integration's
manifest) and `channels/registry.py` lists them. The application factory (routes), the config
reader (settings sections), the OpenAPI document and the background loop (pollers) iterate
that list, so a channel is added in its own package plus one line there.

channels/ never imports config/ or intake/. Each channel parses its own settings section
through the `ConfigTable` protocol (the config reader's tables satisfy it). A new webhook
channel declares a `Webhook` (`channels/webhook.py`): pure verify-and-parse code the shell
serves with its one generic handler. The older channels' HTTP handlers, pollers and OpenAPI
tables still live in the shell (they use its services, metrics and schemas); their specs name
them with `ShellRef` ("module:attribute") and the shell imports them when it builds the app
(`tests/channels/test_registry.py` resolves every name).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from channels.sending import SenderSpec
from channels.webhook import Webhook


class ConfigTable(Protocol):
    """One TOML table as the config reader hands it to a channel's settings parser.

    Every getter validates and raises the reader's own error naming the key; `error` builds
    one for checks of the channel's own.
    """

    @property
    def data(self) -> dict[str, Any]:
        """The raw table."""
        ...

    def error(self, key: str, problem: str) -> Exception:
        """An error naming this table's key."""
        ...

    def table(self, key: str) -> ConfigTable:
        """A sub-table (empty when absent)."""
        ...

    def array(self, key: str) -> Sequence[ConfigTable]:
        """An array of tables (empty when absent)."""
        ...

    def string(self, key: str, default: Any = ...) -> str:
        """A non-empty string."""
        ...

    def optional_string(self, key: str) -> str | None:
        """A non-empty string or None when absent."""
        ...

    def identifier(self, key: str) -> str:
        """A lowercase identifier."""
        ...

    def integer(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer within bounds."""
        ...

    def number(self, key: str, default: float, *, minimum: float) -> float:
        """A number not below the minimum."""
        ...

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean."""
        ...

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """One of the allowed strings."""
        ...

    def string_list(self, key: str, default: list[str]) -> list[str]:
        """A list of strings."""
        ...


@dataclass(frozen=True, slots=True)
class SettingsContext:
    """What a settings parser may check references against: the configured names."""

    logins: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()
    pipelines: frozenset[str] = frozenset()


# parse(root, environment) → the section's value; with `needs_context`, also the context.
SettingsParser = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class ShellRef:
    """A shell-side object named by its import path, "package.module:attribute"."""

    target: str

    @property
    def module(self) -> str:
        """The module to import."""
        return self.target.partition(":")[0]

    @property
    def attribute(self) -> str:
        """The attribute of that module."""
        return self.target.partition(":")[2]

    def load(self) -> Any:
        """The named object; only the shell calls this, when it builds the app or settings."""
        return getattr(importlib.import_module(self.module), self.attribute)


@dataclass(frozen=True, slots=True)
class SettingsSection:
    """Where a channel's settings go: `Settings.channel(attribute)`, parsed from the root
    table by `parse(root, environment)`.

    `routed`: the parsed value is a tuple of sources with `name` (their events' `source`),
    `queue` and `pipeline`; the reader checks those against the configured queues and
    pipelines (`where` names the section in errors) and leads from a source follow them.
    """

    attribute: str
    parse: SettingsParser
    routed: bool = False
    where: str = ""
    needs_context: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """One HTTP route: a shell handler, or a `Webhook` served by the generic handler."""

    method: str
    path: str
    handler: ShellRef | Webhook


@dataclass(frozen=True, slots=True)
class PollerGroup:
    """Background tasks of a channel: `start(services)` is an async context manager
    yielding `{name: ChannelPoller}`; each is shown as "<prefix>:<name>" in /readyz."""

    prefix: str
    start: ShellRef


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """What one channel contributes to the service."""

    name: str
    settings: tuple[SettingsSection, ...] = ()
    routes: tuple[Route, ...] = ()
    pollers: tuple[PollerGroup, ...] = ()
    # Operation tables of the shell routes (a Webhook's operation is built from its doc).
    openapi: tuple[ShellRef, ...] = ()
    # The PersonDetails.messenger_ids keys the channel's events carry (for dedupe).
    identity_kinds: tuple[str, ...] = ()
    # How a reply to the client goes out through this channel (None: it cannot answer).
    sender: SenderSpec | None = None
