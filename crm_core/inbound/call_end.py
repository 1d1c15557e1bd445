"""What a finished call makes (issue 6): an unknown caller becomes a lead with the line's
source and UTM tags, flagged urgent with a call-back task when the call was missed, and given
to the manager whose extension answered; a client in work gets an activity on their open lead
or deal and its owner is told; outgoing calls are only ever activities."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_core.calls import (
    CallDirection,
    CallOutcome,
    CallSummary,
    StoredCall,
    call_text,
    missed_call_due,
)
from crm_core.conversation import (
    Conversation,
    IncomingMessage,
    conversation_of_person,
    log_message,
)
from crm_core.inbound.model import CallReport, Handled
from crm_core.inbound.setup import InboundSetup
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.matching import lead_profile, match_lead
from crm_core.model import Lead, LeadContactDetails, LeadFlag, NewLead
from crm_core.sales import NewTask, RecordKind
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import EventType, WebhookEvent, record_key
from dedupe.decision import Decision, Verdict
from dedupe.phones import normalize_phone
from dedupe.profile import Profile

CALLBACK_TITLE = "Перезвонить клиенту: пропущенный звонок"


async def complete_call(
    uow: UnitOfWork,
    report: CallReport,
    call: StoredCall,
    summary: CallSummary,
    now: datetime,
    setup: InboundSetup,
) -> tuple[StoredCall, Handled]:
    """Apply the call rules to a call that just ended; returns the call as it is to be saved."""
    call = replace(call, completed_at=now)
    number = summary.customer_number
    if summary.direction is CallDirection.INTERNAL or not number:
        return call, Handled(None, False)
    lead = new_call_lead(report, summary, setup)
    answered_by = setup.call_rules.extension_manager(summary.extension)
    # The comment is our own account of the call: only the number identifies the caller.
    profile = lead_profile(replace(lead, comment=None), setup.region)
    decision = await setup.detector.detect(profile, uow.identity)
    conversation = await conversation_of_person(uow, decision)
    if conversation is not None:
        activity_id = await _log(uow, conversation, lead, summary, answered_by, now, setup)
        call = replace(
            call,
            lead_id=conversation.lead_id,
            entity=conversation.entity.value,
            entity_id=conversation.entity_id,
            manager_id=answered_by or conversation.owner_id,
        )
        return call, Handled(conversation.lead_id, False, activity_id)
    if summary.direction is CallDirection.OUTBOUND:
        # Outgoing calls are never leads: logged on a known contact, else only kept here.
        call = replace(call, manager_id=answered_by)
        if decision.verdict is not Verdict.AUTO or decision.contact_id is None:
            return call, Handled(None, False)
        contact = Conversation(
            RecordKind.CONTACT, decision.contact_id, None, None, "known contact"
        )
        activity_id = await _log(uow, contact, lead, summary, answered_by, now, setup)
        call = replace(call, entity=None, entity_id=None)
        return call, Handled(None, False, activity_id)
    created, stored_lead = await _create_lead(
        uow, lead, profile, decision, answered_by, summary, now, setup
    )
    call = replace(
        call,
        lead_id=stored_lead.id,
        entity=RecordKind.LEAD.value,
        entity_id=stored_lead.id,
        manager_id=await uow.leads.assignee_id(stored_lead.id),
    )
    return call, Handled(stored_lead.id, created)


def new_call_lead(report: CallReport, summary: CallSummary, setup: InboundSetup) -> NewLead:
    """The lead a call would make: the line's attribution and routing, the caller's number,
    urgent when an inbound call was missed."""
    line = setup.call_rules.line(summary.line)
    source = (line.source if line else None) or summary.provider
    own = setup.resolve_route(report.channel, source)
    number = summary.customer_number or ""
    phone = normalize_phone(number, setup.region)
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
        inbox_id=report.inbox_id,
        channel=report.channel,
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
        queue=(line.queue if line else None) or own.queue,
        pipeline=(line.pipeline if line else None) or own.pipeline,
        received_at=summary.started_at or report.received_at,
    )


async def _create_lead(
    uow: UnitOfWork,
    new: NewLead,
    profile: Profile,
    decision: Decision,
    answered_by: int | None,
    summary: CallSummary,
    now: datetime,
    setup: InboundSetup,
) -> tuple[bool, Lead]:
    [(lead, created)] = await ingest_leads(uow, [IngestLead(new, None)], now)
    if not created:
        return False, lead
    match = await match_lead(uow, lead.id, profile, setup.detector, now, decision)
    lead = replace(lead, match=match, contact_id=match.contact_id, company_id=match.company_id)
    hooks = setup.hooks
    answered = summary.outcome is CallOutcome.ANSWERED
    if answered and answered_by is not None and hooks.assign_answered is not None:
        await hooks.assign_answered(uow, lead, answered_by, now)
    elif hooks.route is not None:
        await hooks.route(uow, lead, now)
    if not answered:
        assignee = await uow.leads.assignee_id(lead.id)
        await _callback_task(uow, RecordKind.LEAD, lead.id, assignee, summary, now, setup)
    return True, lead


async def _log(
    uow: UnitOfWork,
    conversation: Conversation,
    lead: NewLead,
    summary: CallSummary,
    answered_by: int | None,
    now: datetime,
    setup: InboundSetup,
) -> int:
    message = IncomingMessage(
        channel=lead.channel,
        source=lead.source,
        text=lead.comment,
        received_at=lead.received_at,
        details=lead.contact,
        inbox_id=lead.inbox_id,
    )
    activity_id = await log_message(uow, conversation, message, now, answered_by)
    inbound = summary.direction is not CallDirection.OUTBOUND
    if inbound and summary.outcome is not CallOutcome.ANSWERED:
        await _callback_task(
            uow,
            conversation.entity,
            conversation.entity_id,
            conversation.owner_id,
            summary,
            now,
            setup,
        )
    notify = setup.hooks.notify_message
    if inbound and notify is not None and answered_by != conversation.owner_id:
        # The owner learns that their client called (unless they took the call).
        await notify(uow, conversation, message, activity_id, now)
    return activity_id


async def _callback_task(
    uow: UnitOfWork,
    entity: RecordKind,
    entity_id: int,
    assignee: int | None,
    summary: CallSummary,
    now: datetime,
    setup: InboundSetup,
) -> None:
    due = missed_call_due(summary.ended_at, now, setup.call_rules.missed_callback_minutes)
    task = NewTask(
        entity=entity,
        entity_id=entity_id,
        task_type="call",
        title=CALLBACK_TITLE,
        due_at=due,
        assignee_id=assignee,
        created_by="system",
    )
    await uow.sales.add_tasks([task], now)
    if summary.direction is not CallDirection.OUTBOUND:
        number = summary.customer_number or ""
        phone = normalize_phone(number, setup.region).e164 or number or None
        uow.webhooks.record(missed_call_event(entity, entity_id, summary, phone, now))


def missed_call_event(
    entity: RecordKind, entity_id: int, summary: CallSummary, phone: str | None, now: datetime
) -> WebhookEvent:
    """call.missed: a client's call nobody answered, on the record it was logged on."""
    data = {
        "call_id": summary.call_id,
        "provider": summary.provider,
        "entity": entity.value,
        "entity_id": entity_id,
        "phone": phone,
        "line": summary.line,
        "started_at": summary.started_at.isoformat() if summary.started_at else None,
        "ended_at": summary.ended_at.isoformat() if summary.ended_at else None,
    }
    return WebhookEvent(EventType.CALL_MISSED, record_key(entity.value, entity_id), now, data)
