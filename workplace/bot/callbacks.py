"""Signed callback data of the card's buttons: `<action>:<lead id>:<argument>:<signature>`.

The signature is an HMAC-SHA256 (first 16 bytes, base64url) of the rest under a server-side
key, so a button whose data was forged or altered is recognised and does nothing. Telegram
allows 64 bytes of callback data; a reason key too long to fit gets no button.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64
_SIGNATURE_BYTES = 16


class CardAction(StrEnum):
    """What a card button asks for."""

    TAKE = "t"
    JUNK_MENU = "j"
    JUNK = "jr"
    LATER_MENU = "l"
    LATER = "lr"
    BACK = "b"


@dataclass(frozen=True, slots=True)
class CardCallback:
    """A verified button press: the action, the lead and the action's argument."""

    action: CardAction
    lead_id: int
    argument: str = ""


class CallbackSigner:
    """Signs and verifies card callback data with one secret key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the callback key must not be empty")
        self._key = key

    def sign(self, callback: CardCallback) -> str | None:
        """The callback data for a button; None when it would not fit in 64 bytes."""
        body = f"{callback.action.value}:{callback.lead_id}:{callback.argument}"
        data = f"{body}:{self._signature(body)}"
        return data if len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES else None

    def verify(self, data: str | None) -> CardCallback | None:
        """The callback the data carries, or None when it is malformed or its signature
        does not match."""
        if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            return None
        body, _, signature = data.rpartition(":")
        if not hmac.compare_digest(signature.encode(), self._signature(body).encode()):
            return None
        action, _, rest = body.partition(":")
        lead, _, argument = rest.partition(":")
        try:
            return CardCallback(CardAction(action), int(lead), argument)
        except ValueError:
            return None

    def sign_text(self, body: str) -> str | None:
        """Signed data of another feature's button (`body` must not parse as a card's);
        None when it would not fit in 64 bytes."""
        data = f"{body}:{self._signature(body)}"
        return data if len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES else None

    def verify_text(self, data: str | None) -> str | None:
        """The body of signed data, or None when it is malformed or its signature does not
        match."""
        if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            return None
        body, _, signature = data.rpartition(":")
        if not hmac.compare_digest(signature.encode(), self._signature(body).encode()):
            return None
        return body

    def _signature(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode().rstrip("=")
