"""A message from a person already in work goes onto their open lead or deal, not a new lead.

Messengers and e-mail are conversations: a customer writes "hello", then "I need 20 units",
then shares their phone. One request, one lead; the later messages are activities on it
(or on the deal it became), its owner is told, and details the lead lacked are filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.calls import CallSummary
from crm_core.links import record_link
from crm_core.matching import learn_identifiers
from crm_core.model import LeadContactDetails, LeadStatus
from crm_core.notifications import (
    NewNotification,
    NotificationKind,
    notifications_for,
)
from crm_core.routing import Team
from crm_core.sales import KIND_BY_CHANNEL, ActivityKind, DealStatus, NewActivity, RecordKind
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import EventType, WebhookEvent, record_key
from dedupe.decision import Decision, Verdict
from dedupe.keys import Entity, person_keys
from dedupe.profile import Profile

OPEN_LEAD = (LeadStatus.NEW, LeadStatus.IN_WORK)


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where a person's new message belongs: their open lead, or their open deal."""

    entity: RecordKind
    entity_id: int
    lead_id: int | None  # the lead the message is counted towards, when there is one
    owner_id: int | None
    reason: str
    # False when found by an e-mail thread: the sender may be a colleague of the client,
    # whose details must not be written onto the client's records.
    same_person: bool = True


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message to log on a conversation, with what it says about its sender."""

    channel: str
    source: str
    text: str | None
    received_at: datetime
    details: LeadContactDetails
    inbox_id: int


async def conversation_of_lead(
    uow: UnitOfWork, lead_id: int, reason: str, *, same_person: bool = True
) -> Conversation | None:
    """The lead if it is still open, else the open deal it was converted into."""
    lead = await uow.leads.get(lead_id)
    if lead is None:
        return None
    if lead.status in OPEN_LEAD:
        return Conversation(
            RecordKind.LEAD, lead.id, lead.id, lead.assignee_id, reason, same_person
        )
    if lead.deal_id is not None:
        deal = await uow.sales.get_deal(lead.deal_id)
        if deal is not None and deal.status is DealStatus.OPEN:
            return Conversation(
                RecordKind.DEAL, deal.id, lead.id, deal.owner_id, reason, same_person
            )
    return None


async def conversation_of_person(uow: UnitOfWork, decision: Decision) -> Conversation | None:
    """The open lead or deal of the person the detector recognised for sure, if any.

    Only a certain (automatic) match counts: a message attached to the wrong person's
    conversation would be hidden from the manager who should answer it.
    """
    if decision.verdict is not Verdict.AUTO:
        return None
    if decision.duplicate_lead_id is not None:
        found = await conversation_of_lead(
            uow, decision.duplicate_lead_id, f"open lead {decision.duplicate_lead_id}"
        )
        if found is not None:
            return found
    if decision.matched_entity is not Entity.CONTACT or decision.contact_id is None:
        return None
    contact_id = decision.contact_id
    # The fresher context first: a request still being qualified, then the deal in progress.
    lead = await uow.leads.open_lead_of_contact(contact_id)
    if lead is not None:
        return Conversation(
            RecordKind.LEAD,
            lead.id,
            lead.id,
            lead.assignee_id,
            f"open lead of contact {contact_id}",
        )
    deal = await uow.sales.open_deal(contact_id, None)
    if deal is not None:
        return Conversation(
            RecordKind.DEAL,
            deal.id,
            deal.lead_id,
            deal.owner_id,
            f"open deal of contact {contact_id}",
        )
    return None


async def log_message(
    uow: UnitOfWork,
    conversation: Conversation,
    message: IncomingMessage,
    now: datetime,
    manager_id: int | None = None,
) -> int:
    """Log the message on the conversation and fill details its lead lacked; returns the
    activity id. `manager_id` is the manager who took part (who answered a call)."""
    filled: list[str] = []
    lead_id = conversation.lead_id
    if conversation.same_person and lead_id is not None and conversation.entity is RecordKind.LEAD:
        filled = await uow.leads.fill_contact(lead_id, message.details, now)
    text = message.text or "Новое сообщение без текста"
    if "phone" in filled:
        text = f"{text}\nКлиент сообщил телефон: {message.details.phone}"
    kind = KIND_BY_CHANNEL.get(message.channel, ActivityKind.MESSAGE)
    activity_id = await uow.sales.add_activity(
        NewActivity(
            entity=conversation.entity,
            entity_id=conversation.entity_id,
            kind=kind,
            text=text,
            at=message.received_at,
            actor=f"inbox:{message.inbox_id}",
            manager_id=manager_id,
        ),
        now,
    )
    if kind is not ActivityKind.CALL:  # a call is reported as call.missed, if at all
        uow.webhooks.record(_message_event(conversation, message, activity_id, now))
    return activity_id


def _message_event(
    conversation: Conversation, message: IncomingMessage, activity_id: int, now: datetime
) -> WebhookEvent:
    entity = conversation.entity.value
    data = {
        "activity_id": activity_id,
        "entity": entity,
        "entity_id": conversation.entity_id,
        "lead_id": conversation.lead_id,
        "channel": message.channel,
        "source": message.source,
        "text": message.text,
        "received_at": message.received_at.isoformat(),
    }
    return WebhookEvent(
        EventType.MESSAGE_RECEIVED, record_key(entity, conversation.entity_id), now, data
    )


async def learn_from_message(
    uow: UnitOfWork, conversation: Conversation, profile: Profile, now: datetime
) -> None:
    """The sender's new identifiers (a phone shared in Telegram) now lead to the same place:
    the client's contact learns them, or an open lead with no contact yet is indexed under
    them."""
    contact_id: int | None = None
    if conversation.entity is RecordKind.DEAL:
        deal = await uow.sales.get_deal(conversation.entity_id)
        contact_id = deal.contact_id if deal else None
    elif conversation.entity is RecordKind.LEAD:
        lead = await uow.leads.get(conversation.entity_id)
        contact_id = lead.contact_id if lead else None
        if lead is not None and contact_id is None:
            await uow.identity.index(Entity.LEAD, [(lead.id, person_keys(profile))])
            return
    contact = await uow.identity.get_contact(contact_id) if contact_id is not None else None
    if contact is not None and contact.merged_into_id is None:
        await learn_identifiers(uow, contact, profile, now)


def message_notifications(
    team: Team,
    conversation: Conversation,
    message: IncomingMessage,
    activity_id: int,
) -> list[NewNotification]:
    """Tell the conversation's owner about the new message (by every way they are reached)."""
    if conversation.owner_id is None:
        return []
    manager = team.managers.get(conversation.owner_id)
    if manager is None or not manager.active:
        return []
    details = message.details
    record = "leads" if conversation.entity is RecordKind.LEAD else "deals"
    link = record_link(team.link_base, record, conversation.entity_id)
    payload = {
        "lead_id": conversation.lead_id if conversation.entity is RecordKind.LEAD else None,
        "deal_id": conversation.entity_id if conversation.entity is RecordKind.DEAL else None,
        "name": details.name,
        "phone": details.phone or details.phone_raw,
        "email": details.email or details.email_raw,
        "channel": message.channel,
        "source": message.source,
        "message": message.text,
        "link": link,
    }
    kind = (
        NotificationKind.CLIENT_CALLED
        if message.channel == "call"
        else NotificationKind.NEW_MESSAGE
    )
    return notifications_for(manager, kind, payload, f"message:{activity_id}", team.channels)


def ringing_notifications(
    team: Team, conversation: Conversation, summary: CallSummary
) -> list[NewNotification]:
    """The "client is calling" notice for the owner of the client's lead or deal: in-app,
    and through the managers' bot when it is configured (`team.ringing`); not by e-mail nor
    the plain notification bot (by the time those are read the phone has stopped)."""
    if conversation.owner_id is None:
        return []
    owner = team.managers.get(conversation.owner_id)
    if owner is None or not owner.active:
        return []
    lead = conversation.entity is RecordKind.LEAD
    record = "leads" if lead else "deals"
    payload: dict[str, Any] = {
        "lead_id": conversation.entity_id if lead else None,
        "deal_id": None if lead else conversation.entity_id,
        "phone": summary.customer_number,
        "channel": "call",
        "source": summary.line,
        "link": record_link(team.link_base, record, conversation.entity_id),
    }
    return notifications_for(
        owner,
        NotificationKind.INCOMING_CALL,
        payload,
        f"ringing:{summary.provider}:{summary.call_id}",
        team.ringing & team.channels,
    )
