"""Stored inbox rows decoded into the inbound use cases' inputs (the channel boundary)."""

from __future__ import annotations

from typing import Any

from channels.model import InboundEvent
from channels.telephony.model import CallEvent
from crm_core.calls import CallDirection, CallFact, CallOutcome, CallStage
from crm_core.inbound import CallReport, Sender, Submission
from crm_core.ingest import ConsentDraft
from crm_core.model import InboxItem

# Providers that report a hang-up per leg (IVR, queue, extension): only their summary event
# ends the whole call.
SUMMARY_FINAL_PROVIDERS = frozenset({"mango"})


def submission(item: InboxItem, event: InboundEvent) -> Submission:
    """A request or message event as the domain reads it (received when the inbox stored it)."""
    person, attribution, consent = event.person, event.attribution, event.consent
    return Submission(
        inbox_id=item.id,
        channel=event.channel,
        source=event.source,
        received_at=item.received_at,
        sender=Sender(
            name=person.name,
            first_name=person.first_name,
            last_name=person.last_name,
            patronymic=person.patronymic,
            phone=person.phone,
            email=person.email,
            company=person.company,
            position=person.position,
            messenger_ids=person.messenger_ids,
        ),
        comment=event.comment,
        utm=attribution.utm,
        page_url=attribution.page_url,
        referrer=attribution.referrer,
        consent=ConsentDraft(consent.given, consent.text_version, consent.raw_value)
        if consent
        else None,
        fields=event.fields,
        meta=event.meta,
        thread=thread_ids(event),
    )


def thread_ids(event: InboundEvent) -> tuple[str, ...]:
    """The earlier messages an e-mail answers (In-Reply-To first, then References, newest
    first); none for other events."""
    meta = event.meta
    if "in_reply_to" not in meta and "references" not in meta:
        return ()
    ids = [meta.get("in_reply_to", "")]
    ids += reversed(meta.get("references", "").split())
    return tuple(dict.fromkeys(i for i in ids if i))


def call_report(item: InboxItem, event: InboundEvent) -> CallReport:
    """A call event as the domain reads it."""
    fact = call_fact(event)
    return CallReport(
        inbox_id=item.id,
        channel=event.channel,
        received_at=item.received_at,
        fact=fact,
        summary_final=fact.provider in SUMMARY_FINAL_PROVIDERS,
    )


def call_fact(event: InboundEvent) -> CallFact:
    """The domain's fact from a stored call event (its `meta` carries the call fields)."""
    call = CallEvent.from_meta(event.meta)
    values: dict[str, Any] = {}
    for name in CallFact.__slots__:
        value = getattr(call, name)
        values[name] = getattr(value, "value", value)
    values["stage"] = CallStage(values["stage"])
    values["direction"] = CallDirection(values["direction"]) if values["direction"] else None
    values["outcome"] = CallOutcome(values["outcome"]) if values["outcome"] else None
    return CallFact(**values)
