"""The inbound use cases' inputs (a stored request, message or call event, as the domain
reads it, whatever channel it came through) and their outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crm_core.calls import CallFact
from crm_core.ingest import ConsentDraft


# Sender and Submission are built for every inbox row on the worker's path: not frozen, as a
# frozen dataclass costs over twice as much to build; nothing changes them once built.
@dataclass(slots=True)
class Sender:
    """How the sender describes the person, raw as received (the use cases normalize it)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    patronymic: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    position: str | None = None
    messenger_ids: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Submission:
    """A stored request or message: who sent it, what it says and where it came from."""

    inbox_id: int
    channel: str
    source: str
    received_at: datetime
    sender: Sender
    comment: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    page_url: str | None = None
    referrer: str | None = None
    consent: ConsentDraft | None = None
    fields: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    # The external ids of the earlier messages this one answers, nearest first (e-mail).
    thread: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CallReport:
    """A stored call event: the fact to fold into its call."""

    inbox_id: int
    channel: str
    received_at: datetime
    fact: CallFact
    # The provider reports a hang-up per leg (IVR, queue, extension): only its summary
    # event ends the whole call.
    summary_final: bool = False


@dataclass(frozen=True, slots=True)
class Handled:
    """What handling one inbound record produced."""

    lead_id: int | None
    lead_created: bool
    activity_id: int | None = None  # a message logged on an open lead or deal instead
    notified: bool = False  # notifications were queued without a lead or activity
