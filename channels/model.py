"""The channel-neutral inbound event every adapter yields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What an inbound event is, set by the channel that parsed it."""

    REQUEST = "request"  # a new request by nature: a form, a VK lead-ads form
    MESSAGE = "message"  # a message that continues the person's conversation if one is open
    CALL = "call"  # a telephony call event


# Channels whose events were stored before events carried their kind, and what they were then.
_LEGACY_MESSAGE_CHANNELS = frozenset({"telegram", "vk", "email"})
_LEGACY_REQUEST_EVENTS = frozenset({"lead_forms_new"})


def _legacy_kind(data: dict[str, Any]) -> EventKind:
    """The kind of an event stored before `kind` existed (rows still pending after upgrade)."""
    if data["channel"] == "call":
        return EventKind.CALL
    event_type = data.get("meta", {}).get("event_type")
    if data["channel"] in _LEGACY_MESSAGE_CHANNELS and event_type not in _LEGACY_REQUEST_EVENTS:
        return EventKind.MESSAGE
    return EventKind.REQUEST


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """How the sender describes the person, raw as received (normalization happens later)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    patronymic: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    position: str | None = None
    messenger_ids: dict[str, str] = field(default_factory=dict)

    def reachable(self) -> bool:
        """True when there is at least one way to reach the person."""
        return bool((self.phone or "").strip() or (self.email or "").strip() or self.messenger_ids)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Where the request came from: UTM tags, page and referrer."""

    utm: dict[str, str] = field(default_factory=dict)
    page_url: str | None = None
    referrer: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentGiven:
    """A personal-data consent as the sender reported it."""

    given: bool
    text_version: str | None
    raw_value: str | None


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One inbound request, independent of the channel it came through."""

    channel: str
    source: str
    external_id: str
    received_at: datetime
    person: PersonDetails
    comment: str | None = None
    attribution: Attribution = field(default_factory=Attribution)
    consent: ConsentGiven | None = None
    fields: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    kind: EventKind = EventKind.REQUEST

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` turns back into the same event."""
        # Built by hand: dataclasses.asdict deep-copies and costs more than the whole parse.
        p, a, c = self.person, self.attribution, self.consent
        return {
            "channel": self.channel,
            "source": self.source,
            "external_id": self.external_id,
            "received_at": self.received_at.isoformat(),
            "person": {
                "name": p.name,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "patronymic": p.patronymic,
                "phone": p.phone,
                "email": p.email,
                "company": p.company,
                "position": p.position,
                "messenger_ids": dict(p.messenger_ids),
            },
            "comment": self.comment,
            "attribution": {"utm": dict(a.utm), "page_url": a.page_url, "referrer": a.referrer},
            "consent": None
            if c is None
            else {"given": c.given, "text_version": c.text_version, "raw_value": c.raw_value},
            "fields": dict(self.fields),
            "meta": dict(self.meta),
            "kind": self.kind.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboundEvent:
        """Rebuild an event stored with `to_json`."""
        consent = data.get("consent")
        return cls(
            channel=data["channel"],
            source=data["source"],
            external_id=data["external_id"],
            received_at=datetime.fromisoformat(data["received_at"]),
            person=PersonDetails(**data["person"]),
            comment=data.get("comment"),
            attribution=Attribution(**data.get("attribution", {})),
            consent=ConsentGiven(**consent) if consent else None,
            fields=dict(data.get("fields", {})),
            meta=dict(data.get("meta", {})),
            kind=EventKind(data["kind"]) if "kind" in data else _legacy_kind(data),
        )
