"""Call events from the inbox: folded into one call record each, and when the call ends, a
lead for a new caller or an activity on the client's open lead or deal.

Rules (issue 6): an unknown caller becomes a lead on channel `call` with the line's source
and UTM tags; a missed call from one is flagged urgent with a call-back task for its
assignee; an answered call's lead goes to the manager whose extension answered; a call from
a client in work is logged on their open lead or deal and its owner is told (with a
call-back task when it was missed); outgoing calls are only ever activities.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from channels.model import InboundEvent
from channels.telephony.model import CallEvent
from crm_core.calls import (
    CallDirection,
    CallFact,
    CallOutcome,
    CallStage,
    CallSummary,
    StoredCall,
    assemble,
    call_text,
    missed_call_due,
)
from crm_core.conversation import (
    Conversation,
    IncomingMessage,
    conversation_of_person,
    log_message,
)
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.matching import lead_profile, match_lead
from crm_core.model import InboxItem, Lead, LeadContactDetails, LeadFlag, NewLead
from crm_core.sales import NewTask, RecordKind
from crm_core.storage import UnitOfWork
from dedupe.decision import Decision, Verdict
from dedupe.detector import Detector
from dedupe.phones import normalize_phone
from dedupe.profile import Profile, RawIdentity, build_profile

# Providers that report a hang-up per leg (IVR, queue, extension): only their summary event
# ends the whole call.
SUMMARY_FINAL_PROVIDERS = frozenset({"mango"})
CALL_CHANNEL = "call"
CALLBACK_TITLE = "Перезвонить клиенту: пропущенный звонок"


@dataclass(frozen=True, slots=True)
class LineInfo:
    """What the configuration says about a company number: attribution and routing."""

    source: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    pipeline: str | None = None


@dataclass(frozen=True, slots=True)
class CallRules:
    """The configured call rules, as plain lookups (filled from `[telephony]`)."""

    missed_callback_minutes: int = 15
    line: Callable[[str | None], LineInfo | None] = lambda _number: None
    extension_manager: Callable[[str | None], int | None] = lambda _extension: None


# (uow, lead, manager id, now): assign a new call's lead to who answered it.
AnsweredAssigner = Callable[[UnitOfWork, Lead, int, datetime], Awaitable[object]]
LeadRouter = Callable[[UnitOfWork, Lead, datetime], Awaitable[object]]
MessageNotifier = Callable[
    [UnitOfWork, Conversation, IncomingMessage, int, datetime], Awaitable[object]
]
RouteOf = Callable[[str, str], tuple[str | None, str | None]]
# Tells the owner of a client's open lead or deal that the client is calling right now.
RingNotifier = Callable[[UnitOfWork, Conversation, CallSummary, datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class CallOutcomeRecord:
    """What handling one call event produced (for the worker's bookkeeping)."""

    lead_id: int | None
    lead_created: bool
    activity_id: int | None
    notified: bool = False  # a notification was queued (the ringing card)


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


class CallHandler:
    """Folds call events into calls and applies the call rules when a call ends."""

    def __init__(
        self,
        region: str,
        detector: Detector,
        route_of: RouteOf,
        rules: CallRules,
        *,
        router: LeadRouter | None = None,
        assign_answered: AnsweredAssigner | None = None,
        notify: MessageNotifier | None = None,
        ring: RingNotifier | None = None,
    ) -> None:
        self._region = region
        self._detector = detector
        self._route_of = route_of
        self._rules = rules
        self._router = router
        self._assign_answered = assign_answered
        self._notify = notify
        self._ring = ring

    async def apply(
        self, uow: UnitOfWork, item: InboxItem, fact: CallFact, now: datetime
    ) -> CallOutcomeRecord:
        """Add the event to its call; at the call's end, make its lead or activity (once)."""
        stored = await uow.calls.lock_or_create(fact.provider, fact.call_id, now)
        updated = stored.with_fact(fact)
        if updated is None:  # the provider sent this event before
            return CallOutcomeRecord(stored.lead_id, False, None)
        summary = assemble(updated.facts, summary_final=fact.provider in SUMMARY_FINAL_PROVIDERS)
        updated = replace(updated, summary=summary)
        result = CallOutcomeRecord(updated.lead_id, False, None)
        if summary.finished and updated.completed_at is None:
            updated, result = await self._complete(uow, item, updated, summary, now)
        elif not stored.facts and summary.direction is CallDirection.INBOUND:
            rang = await self._ringing(uow, summary, now)
            result = replace(result, notified=rang)
        await uow.calls.save(updated, now)
        return result

    async def _ringing(self, uow: UnitOfWork, summary: CallSummary, now: datetime) -> bool:
        """A known client is calling: their manager sees who it is while the phone rings.
        True when somebody was told."""
        if self._ring is None or not summary.customer_number:
            return False
        phone = normalize_phone(summary.customer_number, self._region)
        if not phone.valid or phone.e164 is None:
            return False
        identity = RawIdentity(name=None, phones=(phone.e164,))
        profile = build_profile(identity, self._region, stored=True)
        conversation = await conversation_of_person(
            uow, await self._detector.detect(profile, uow.identity)
        )
        if conversation is None:
            return False
        await self._ring(uow, conversation, summary, now)
        return True

    async def _complete(
        self,
        uow: UnitOfWork,
        item: InboxItem,
        call: StoredCall,
        summary: CallSummary,
        now: datetime,
    ) -> tuple[StoredCall, CallOutcomeRecord]:
        call = replace(call, completed_at=now)
        number = summary.customer_number
        if summary.direction is CallDirection.INTERNAL or not number:
            return call, CallOutcomeRecord(None, False, None)
        lead = self._new_lead(item, summary)
        answered_by = self._rules.extension_manager(summary.extension)
        # The comment is our own account of the call: only the number identifies the caller.
        profile = lead_profile(replace(lead, comment=None), self._region)
        decision = await self._detector.detect(profile, uow.identity)
        conversation = await conversation_of_person(uow, decision)
        if conversation is not None:
            activity_id = await self._log(uow, item, conversation, lead, summary, answered_by, now)
            call = replace(
                call,
                lead_id=conversation.lead_id,
                entity=conversation.entity.value,
                entity_id=conversation.entity_id,
                manager_id=answered_by or conversation.owner_id,
            )
            return call, CallOutcomeRecord(conversation.lead_id, False, activity_id)
        if summary.direction is CallDirection.OUTBOUND:
            # Outgoing calls are never leads: logged on a known contact, else only kept here.
            call = replace(call, manager_id=answered_by)
            if decision.verdict is not Verdict.AUTO or decision.contact_id is None:
                return call, CallOutcomeRecord(None, False, None)
            contact = Conversation(
                RecordKind.CONTACT, decision.contact_id, None, None, "known contact"
            )
            activity_id = await self._log(uow, item, contact, lead, summary, answered_by, now)
            call = replace(call, entity=None, entity_id=None)
            return call, CallOutcomeRecord(None, False, activity_id)
        created, stored_lead = await self._create_lead(
            uow, lead, profile, decision, answered_by, summary, now
        )
        call = replace(
            call,
            lead_id=stored_lead.id,
            entity=RecordKind.LEAD.value,
            entity_id=stored_lead.id,
            manager_id=await uow.leads.assignee_id(stored_lead.id),
        )
        return call, CallOutcomeRecord(stored_lead.id, created, None)

    def _new_lead(self, item: InboxItem, summary: CallSummary) -> NewLead:
        line = self._rules.line(summary.line)
        source = (line.source if line else None) or summary.provider
        own_queue, own_pipeline = self._route_of(CALL_CHANNEL, source)
        number = summary.customer_number or ""
        phone = normalize_phone(number, self._region)
        flags: list[LeadFlag] = []
        if not phone.valid:
            flags.append(LeadFlag.PHONE_INVALID)
        missed = summary.outcome is not CallOutcome.ANSWERED
        if missed and summary.direction is not CallDirection.OUTBOUND:
            flags.append(LeadFlag.URGENT)
        meta = {
            "provider": summary.provider,
            "call_id": summary.call_id,
            "outcome": summary.outcome.value if summary.outcome else "",
            "line": summary.line or "",
            "extension": summary.extension or "",
            "recording_ref": summary.recording_ref or "",
        }
        return NewLead(
            inbox_id=item.id,
            channel=CALL_CHANNEL,
            source=source,
            contact=LeadContactDetails(
                phone=phone.e164, phone_raw=phone.raw, phone_extension=phone.extension
            ),
            comment=call_text(summary, number=phone.e164 or phone.raw),
            utm=dict(line.utm) if line else {},
            page_url=None,
            referrer=None,
            fields={},
            meta={k: v for k, v in meta.items() if v},
            flags=tuple(flags),
            queue=(line.queue if line else None) or own_queue,
            pipeline=(line.pipeline if line else None) or own_pipeline,
            received_at=summary.started_at or item.received_at,
        )

    async def _create_lead(
        self,
        uow: UnitOfWork,
        new: NewLead,
        profile: Profile,
        decision: Decision,
        answered_by: int | None,
        summary: CallSummary,
        now: datetime,
    ) -> tuple[bool, Lead]:
        [(lead, created)] = await ingest_leads(uow, [IngestLead(new, None)], now)
        if not created:
            return False, lead
        match = await match_lead(uow, lead.id, profile, self._detector, now, decision)
        lead = replace(lead, match=match, contact_id=match.contact_id, company_id=match.company_id)
        answered = summary.outcome is CallOutcome.ANSWERED
        if answered and answered_by is not None and self._assign_answered is not None:
            await self._assign_answered(uow, lead, answered_by, now)
        elif self._router is not None:
            await self._router(uow, lead, now)
        if not answered:
            assignee = await uow.leads.assignee_id(lead.id)
            await self._callback_task(uow, RecordKind.LEAD, lead.id, assignee, summary, now)
        return True, lead

    async def _log(
        self,
        uow: UnitOfWork,
        item: InboxItem,
        conversation: Conversation,
        lead: NewLead,
        summary: CallSummary,
        answered_by: int | None,
        now: datetime,
    ) -> int:
        message = IncomingMessage(
            channel=CALL_CHANNEL,
            source=lead.source,
            text=lead.comment,
            received_at=lead.received_at,
            details=lead.contact,
            inbox_id=item.id,
        )
        activity_id = await log_message(uow, conversation, message, now, answered_by)
        inbound = summary.direction is not CallDirection.OUTBOUND
        if inbound and summary.outcome is not CallOutcome.ANSWERED:
            await self._callback_task(
                uow,
                conversation.entity,
                conversation.entity_id,
                conversation.owner_id,
                summary,
                now,
            )
        if inbound and self._notify is not None and answered_by != conversation.owner_id:
            # The owner learns that their client called (unless they took the call).
            await self._notify(uow, conversation, message, activity_id, now)
        return activity_id

    async def _callback_task(
        self,
        uow: UnitOfWork,
        entity: RecordKind,
        entity_id: int,
        assignee: int | None,
        summary: CallSummary,
        now: datetime,
    ) -> None:
        due = missed_call_due(summary.ended_at, now, self._rules.missed_callback_minutes)
        await uow.sales.add_tasks(
            [
                NewTask(
                    entity=entity,
                    entity_id=entity_id,
                    task_type="call",
                    title=CALLBACK_TITLE,
                    due_at=due,
                    assignee_id=assignee,
                    created_by="system",
                )
            ],
            now,
        )
