"""handle_message: a message from a person in work goes onto their open lead or deal; from
anyone else it makes a lead, one per person however many messages the batch holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crm_core.chains import PERSONAL_KINDS, join_chain
from crm_core.conversation import (
    Conversation,
    IncomingMessage,
    conversation_of_lead,
    conversation_of_person,
    learn_from_message,
    log_message,
)
from crm_core.inbound.model import Handled
from crm_core.inbound.prepare import PreparedLead
from crm_core.inbound.requests import create_leads
from crm_core.inbound.setup import InboundSetup
from crm_core.sales import RecordKind
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Decision
from dedupe.detector import Detector
from dedupe.keys import kind_of, person_keys


@dataclass(slots=True)
class SortedMessages:
    """A batch's messages by where they go (indexes into the batch): new leads (with the
    detector's decision), onto an open conversation, or after an earlier message of the
    same person in the batch (the index of that leader)."""

    new: list[int] = field(default_factory=list)
    decisions: list[Decision | None] = field(default_factory=list)
    attached: list[tuple[int, Conversation]] = field(default_factory=list)
    followers: list[tuple[int, int]] = field(default_factory=list)


async def handle_message(
    uow: UnitOfWork, messages: Sequence[PreparedLead], now: datetime, setup: InboundSetup
) -> list[Handled]:
    """Log each message on its sender's open conversation, or make its lead; one outcome each,
    in order."""
    rows = await sort_messages(uow, messages, setup.detector, now)
    outcomes: dict[int, Handled] = {}
    results = await create_leads(uow, [messages[n] for n in rows.new], rows.decisions, now, setup)
    lead_ids: dict[int, int] = {}
    for index, (lead, created) in zip(rows.new, results, strict=True):
        lead_ids[index] = lead.id
        outcomes[index] = Handled(lead_id=lead.id, lead_created=created)
    for index, leader in rows.followers:
        lead_id = lead_ids[leader]
        owner = await uow.leads.assignee_id(lead_id)
        conversation = Conversation(RecordKind.LEAD, lead_id, lead_id, owner, "same person")
        rows.attached.append((index, conversation))
    for index, conversation in rows.attached:
        outcomes[index] = await _log(uow, messages[index], conversation, now, setup)
    return [outcomes[n] for n in range(len(messages))]


async def sort_messages(
    uow: UnitOfWork, messages: Sequence[PreparedLead], detector: Detector, now: datetime
) -> SortedMessages:
    """Which messages make leads and which go onto a conversation (reads only, but for
    joining one sender's open leads: see crm_core.chains)."""
    rows = SortedMessages()
    # A person who writes several times before the worker runs gets one lead: the
    # batch's later messages sharing an identifier with an earlier one follow it.
    leader_by_key: dict[str, int] = {}
    for index, prep in enumerate(messages):
        conversation, decision = await _open_conversation(uow, prep, detector, now)
        if conversation is not None:
            rows.attached.append((index, conversation))
            continue
        keys = sorted(k for k in person_keys(prep.profile) if kind_of(k) in PERSONAL_KINDS)
        leader = next((leader_by_key[k] for k in keys if k in leader_by_key), None)
        if leader is not None:
            rows.followers.append((index, leader))
            continue
        leader_by_key.update(dict.fromkeys(keys, index))
        rows.new.append(index)
        # The decision made before the batch's leads existed still holds: a later message
        # of the batch sharing an identifier with this one follows it instead.
        rows.decisions.append(decision)
    return rows


async def _open_conversation(
    uow: UnitOfWork, prep: PreparedLead, detector: Detector, now: datetime
) -> tuple[Conversation | None, Decision | None]:
    """The thread a message answers, else the open lead or deal of its sender (with the
    detector's decision, reused when the message makes a lead after all)."""
    if prep.thread:
        lead_id = await uow.inbox.lead_of(prep.command.lead.channel, prep.thread)
        if lead_id is not None:
            found = await conversation_of_lead(
                uow, lead_id, f"reply in the thread of lead {lead_id}", same_person=False
            )
            if found is not None:
                return found, None
    decision = await detector.detect(prep.profile, uow.identity)
    # A message whose sender is two open leads at once (a phone on one, a VK id on the
    # other) joins them and goes onto the survivor.
    decision = await join_chain(uow, decision, now)
    return await conversation_of_person(uow, decision), decision


async def _log(
    uow: UnitOfWork,
    prep: PreparedLead,
    conversation: Conversation,
    now: datetime,
    setup: InboundSetup,
) -> Handled:
    lead = prep.command.lead
    message = IncomingMessage(
        channel=lead.channel,
        source=lead.source,
        text=lead.comment,
        received_at=lead.received_at,
        details=lead.contact,
        inbox_id=lead.inbox_id,
    )
    activity_id = await log_message(uow, conversation, message, now)
    if conversation.same_person:
        await learn_from_message(uow, conversation, prep.profile, now)
    if setup.hooks.notify_message is not None:
        await setup.hooks.notify_message(uow, conversation, message, activity_id, now)
    return Handled(lead_id=conversation.lead_id, lead_created=False, activity_id=activity_id)
