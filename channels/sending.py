"""A reply to the client as a channel sends it, and the channel-neutral outcome of one try.

A channel's sender (its spec's `sender`) talks to the platform and translates every answer,
library error and network failure at its boundary into `Sent`, `Retry` or `Failed`; the
service's replies dispatcher decides what to store and when to try again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file sent with a message, as a document."""

    name: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A client's file as downloaded from the platform."""

    content: bytes = field(repr=False)
    content_type: str | None = None


class FileNotAvailable(Exception):
    """The platform did not give the file (gone, refused, unreachable); `reason` says why."""

    def __init__(self, reason: str, *, temporary: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


@dataclass(frozen=True, slots=True)
class OutgoingText:
    """One text message to one client: through which bot, community or mailbox (`account`),
    to which chat, peer or address (`address`); `idempotency_key` is stable across retries of
    the message; `context` is what it answers (an e-mail's Message-ID, References, subject,
    sender, date and text: "message_id", "references", "subject", "from", "date", "quote")."""

    account: str
    address: str
    text: str = field(repr=False)
    idempotency_key: str
    context: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Files sent with the text as documents (the text is then their caption).
    attachments: tuple[OutgoingFile, ...] = ()


@dataclass(frozen=True, slots=True)
class Sent:
    """The platform accepted the message under its own id."""

    platform_message_id: str


@dataclass(frozen=True, slots=True)
class Retry:
    """Not sent for a reason that may pass (network, 5xx, rate limit); `retry_after` is the
    platform's own wait in seconds when it named one."""

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """Not sent, and trying again cannot help; `reason` is the platform's own words (or,
    when a platform rule checked before sending refuses, that rule's)."""

    reason: str


SendResult = Sent | Retry | Failed


class Sender(Protocol):
    """Sends text messages through one channel's accounts."""

    async def send(self, message: OutgoingText) -> SendResult:
        """Try once; never raises for what the platform or the network did."""
        ...

    async def close(self) -> None:
        """Release HTTP sessions (safe when nothing was sent)."""
        ...


@runtime_checkable
class FileFetcher(Protocol):
    """A sender that can also download a file a client sent, by the reference its adapter
    listed (see crm_core.replies_model.FILES_META_KEY)."""

    async def fetch_file(self, account: str, ref: str, max_bytes: int) -> FetchedFile:
        """The file's content; FileNotAvailable when the platform does not give it."""
        ...


@dataclass(frozen=True, slots=True)
class SenderSpec:
    """How a channel answers clients: `build(settings)` makes its sender from the channel's
    parsed settings section named `settings` (`Settings.channel(settings)`)."""

    settings: str
    build: Callable[[Any], Sender]
    # The accounts that cannot send, from the same settings, with the reason in the words of
    # the settings file ({account: reason}); such accounts are not offered for replies.
    unavailable: Callable[[Any], Mapping[str, str]] | None = None
    # The manager's words (Russian) for an error this channel's sender recorded (a `Retry`
    # or `Failed` reason), or None for one it has no words for; the error itself stays as
    # the platform put it.
    explain: Callable[[str], str | None] | None = None
