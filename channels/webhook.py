"""A webhook channel's side of the generic webhook route: verify and parse, nothing else.

The shell's one handler (intake/http/webhook.py) reads the body, calls the channel's
`receive`, stores an accepted event durably in the inbox and only then answers the sender
with the channel's acknowledgement. `receive` is pure: no I/O, no clock.

`receive` raises, and the shell answers:
- `UnknownSource` → 404 naming the path parameter (no such account configured);
- `channels.errors.ChannelAuthFailed` → 403 naming `Webhook.auth_field`;
- `channels.errors.MalformedBody` → 400 `malformed_body`;
- `channels.errors.InvalidSubmission` → 400 `invalid_field` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.errors import ChannelError
from channels.model import InboundEvent


class UnknownSource(ChannelError):
    """The URL names an account, bot or community that is not configured."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What the sender sent, as the channel sees it."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    """An event to store; `payload` is what the inbox keeps as the raw wire data."""

    event: InboundEvent
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ignored:
    """Acknowledged and dropped (our own message, a system notice, another event type)."""

    reason: str
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookDoc:
    """What the OpenAPI document says about the route."""

    operation_id: str
    summary: str
    request_description: str
    # Path parameters: name → description; query parameters likewise.
    path_params: Mapping[str, str] = field(default_factory=dict)
    query_params: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[int, str] = field(default_factory=dict)


Receive = Callable[[WebhookRequest, Any], "Accepted | Ignored"]


@dataclass(frozen=True, slots=True)
class Webhook:
    """A webhook the shell serves: `receive(request, settings)` with the channel's parsed
    settings (`Settings.channel(settings_attribute)`), answered with `answer` as JSON."""

    channel: str
    settings_attribute: str
    receive: Receive
    doc: WebhookDoc
    # Request headers kept with the stored event for support (never a secret).
    safe_headers: tuple[str, ...] = ("User-Agent", "Content-Type", "Content-Length")
    auth_field: str = "token"
    answer: Mapping[str, Any] = field(default_factory=lambda: {"ok": True})
