"""Outgoing client messages: what `send_reply` queues, the dispatcher drains and the API reads."""

from __future__ import annotations

from typing import Protocol

from crm_core.replies_model import OutgoingMessagePort


class OutgoingMessageRepository(OutgoingMessagePort, Protocol):
    """The outgoing-message port as the unit of work offers it."""
