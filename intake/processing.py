"""Turn one stored inbound event into the IngestLead command (normalize, flag, route)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from channels.model import EventKind, InboundEvent
from crm_core.calls import CallFact
from crm_core.conversation import (
    Conversation,
    IncomingMessage,
    conversation_of_lead,
    conversation_of_person,
    learn_from_message,
    log_message,
)
from crm_core.followups import log_follow_up
from crm_core.ingest import ConsentDraft, IngestLead, ingest_leads
from crm_core.matching import lead_profile, match_lead
from crm_core.model import InboxItem, Lead, LeadContactDetails, LeadFlag, NewLead
from crm_core.sales import RecordKind
from crm_core.storage import UnitOfWork
from dedupe.decision import Decision
from dedupe.detector import Detector
from dedupe.emails import normalize_email
from dedupe.keys import KeyKind, kind_of, person_keys
from dedupe.phones import normalize_phone
from dedupe.profile import Profile
from intake.call_processing import CallHandler, CallRules, call_fact
from intake.worker import Handled, Outcome


@dataclass(frozen=True, slots=True)
class Route:
    """Which lead flow and deal pipeline a source feeds."""

    queue: str | None
    pipeline: str | None


RouteResolver = Callable[[str, str], Route]
# Assigns a freshly matched lead to a manager (and queues their notifications).
LeadRouter = Callable[[UnitOfWork, Lead, datetime], Awaitable[object]]
# Tells a conversation's owner about a message logged on it (activity id given).
MessageNotifier = Callable[
    [UnitOfWork, Conversation, IncomingMessage, int, datetime], Awaitable[object]
]


# Keys that name one person for sure (not a name block shared by namesakes).
PERSONAL_IDENTIFIERS = frozenset(
    {
        KeyKind.PHONE,
        KeyKind.EMAIL,
        KeyKind.EMAIL_CANONICAL,
        KeyKind.TELEGRAM_ID,
        KeyKind.TELEGRAM_USER,
        KeyKind.VK_ID,
        KeyKind.MESSENGER,
    }
)


def is_conversation(event: InboundEvent) -> bool:
    """True for a message that continues a person's conversation if they have one open."""
    return event.kind is EventKind.MESSAGE


def thread_ids(event: InboundEvent) -> tuple[str, ...]:
    """The earlier messages an e-mail answers (In-Reply-To first, then References, newest
    first)."""
    ids = [event.meta.get("in_reply_to", "")]
    ids += reversed(event.meta.get("references", "").split())
    return tuple(dict.fromkeys(i for i in ids if i))


def build_command(item: InboxItem, event: InboundEvent, route: Route, region: str) -> IngestLead:
    """Normalize the person's details; keep malformed values raw with a flag, never drop them."""
    person = event.person
    flags: list[LeadFlag] = []
    phone = (
        normalize_phone(person.phone, region) if person.phone and person.phone.strip() else None
    )
    if phone is not None and not phone.valid:
        flags.append(LeadFlag.PHONE_INVALID)
    email = normalize_email(person.email) if person.email and person.email.strip() else None
    if email is not None and not email.valid:
        flags.append(LeadFlag.EMAIL_INVALID)
    contact = LeadContactDetails(
        name=_clean(person.name)
        or _compose_name(person.last_name, person.first_name, person.patronymic),
        first_name=_clean(person.first_name),
        last_name=_clean(person.last_name),
        patronymic=_clean(person.patronymic),
        phone=phone.e164 if phone else None,
        phone_raw=phone.raw if phone else None,
        phone_extension=phone.extension if phone else None,
        email=email.address if email else None,
        email_raw=email.raw if email else None,
        company=_clean(person.company),
        position=_clean(person.position),
        messenger_ids=dict(person.messenger_ids),
    )
    lead = NewLead(
        inbox_id=item.id,
        channel=event.channel,
        source=event.source,
        contact=contact,
        comment=_clean(event.comment),
        utm=dict(event.attribution.utm),
        page_url=event.attribution.page_url,
        referrer=event.attribution.referrer,
        fields=dict(event.fields),
        meta=dict(event.meta),
        flags=tuple(flags),
        queue=route.queue,
        pipeline=route.pipeline,
        received_at=item.received_at,
    )
    consent = (
        ConsentDraft(
            given=event.consent.given,
            text_version=event.consent.text_version,
            raw_value=event.consent.raw_value,
        )
        if event.consent
        else None
    )
    return IngestLead(lead=lead, consent=consent)


@dataclass(frozen=True, slots=True)
class PreparedLead:
    """A row's command and the identity the detector will look up."""

    command: IngestLead
    profile: Profile
    conversation: bool = False
    thread: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A call event row: the fact to fold into its call."""

    fact: CallFact


Prepared = PreparedLead | PreparedCall | Exception


@dataclass(slots=True)
class SortedRows:
    """A batch's lead rows sorted: new leads, messages onto a conversation, and messages
    following another row of the same batch (row index of their leader)."""

    new: list[tuple[int, PreparedLead]] = field(default_factory=list)
    attached: list[tuple[int, PreparedLead, Conversation]] = field(default_factory=list)
    followers: list[tuple[int, PreparedLead, int]] = field(default_factory=list)
    decisions: dict[int, Decision] = field(default_factory=dict)


class LeadBatchHandler:
    """The worker's handler: decode stored events, normalize, ingest as leads, match."""

    def __init__(
        self,
        resolve_route: RouteResolver,
        region: str,
        detector: Detector | None = None,
        router: LeadRouter | None = None,
        notify_message: MessageNotifier | None = None,
        calls: CallHandler | None = None,
    ) -> None:
        self._resolve_route = resolve_route
        self._region = region
        self._detector = detector or Detector()
        self._router = router
        self._notify_message = notify_message
        self._calls = calls or CallHandler(
            region,
            self._detector,
            lambda channel, source: _queue_and_pipeline(resolve_route(channel, source)),
            CallRules(),
            router=router,
            notify=notify_message,
        )

    def prepare(self, items: Sequence[InboxItem]) -> list[Prepared]:
        """Build each row's command and profile; a row we cannot read becomes its exception."""
        return [self._prepare(item) for item in items]

    def _prepare(self, item: InboxItem) -> Prepared:
        try:
            event = InboundEvent.from_json(item.event)
            if event.kind is EventKind.CALL:
                return PreparedCall(call_fact(event))
            route = self._resolve_route(event.channel, event.source)
            command = build_command(item, event, route, self._region)
            return PreparedLead(
                command,
                lead_profile(command.lead, self._region),
                conversation=is_conversation(event),
                thread=thread_ids(event) if event.channel == "email" else (),
            )
        except Exception as err:  # a row we cannot read must not block the others
            return err

    async def apply(
        self,
        uow: UnitOfWork,
        items: Sequence[InboxItem],
        prepared: Sequence[Prepared],
        now: datetime,
    ) -> list[Outcome]:
        """Log messages of people in work on their conversations; create the other rows'
        leads in one go, then match each new one; fold call events into their calls."""
        outcomes: list[Outcome] = [p if isinstance(p, Exception) else NOT_YET for p in prepared]
        ready = [(n, p) for n, p in enumerate(prepared) if isinstance(p, PreparedLead)]
        rows = await self._sort(uow, ready)
        results = await ingest_leads(uow, [p.command for _, p in rows.new], now)
        lead_ids: dict[int, int] = {}
        for (index, lead_prep), (lead, created) in zip(rows.new, results, strict=True):
            if created:
                # The decision made before the batch's leads existed still holds: a later
                # row of the batch sharing an identifier with this one followed it instead.
                match = await match_lead(
                    uow, lead.id, lead_prep.profile, self._detector, now, rows.decisions.get(index)
                )
                matched = replace(
                    lead, match=match, contact_id=match.contact_id, company_id=match.company_id
                )
                await log_follow_up(uow, matched, now)
                if self._router is not None:
                    await self._router(uow, matched, now)
            lead_ids[index] = lead.id
            outcomes[index] = Handled(lead_id=lead.id, lead_created=created)
        for index, prep, leader in rows.followers:
            lead_id = lead_ids[leader]
            owner = await uow.leads.assignee_id(lead_id)
            conversation = Conversation(RecordKind.LEAD, lead_id, lead_id, owner, "same person")
            rows.attached.append((index, prep, conversation))
        for index, prep, conversation in rows.attached:
            outcomes[index] = await self._log(uow, items[index], prep, conversation, now)
        for index, call in enumerate(prepared):
            if isinstance(call, PreparedCall):
                done = await self._calls.apply(uow, items[index], call.fact, now)
                outcomes[index] = Handled(
                    done.lead_id, done.lead_created, done.activity_id, done.notified
                )
        return outcomes

    async def _sort(self, uow: UnitOfWork, ready: list[tuple[int, PreparedLead]]) -> SortedRows:
        """Which rows make leads and which go onto a conversation."""
        rows = SortedRows()
        # A person who writes several times before the worker runs gets one lead: the
        # batch's later messages sharing an identifier with an earlier one follow it.
        leader_by_key: dict[str, int] = {}
        for index, prep in ready:
            if prep.conversation:
                conversation, decision = await self._open_conversation(uow, prep)
                if decision is not None:
                    rows.decisions[index] = decision
                if conversation is not None:
                    rows.attached.append((index, prep, conversation))
                    continue
                keys = sorted(
                    k for k in person_keys(prep.profile) if kind_of(k) in PERSONAL_IDENTIFIERS
                )
                leader = next((leader_by_key[k] for k in keys if k in leader_by_key), None)
                if leader is not None:
                    rows.followers.append((index, prep, leader))
                    continue
                leader_by_key.update(dict.fromkeys(keys, index))
            rows.new.append((index, prep))
        return rows

    async def _open_conversation(
        self, uow: UnitOfWork, prep: PreparedLead
    ) -> tuple[Conversation | None, Decision | None]:
        """The thread an e-mail answers, else the open lead or deal of its sender (with the
        detector's decision, reused when the message makes a lead after all)."""
        if prep.thread:
            lead_id = await uow.inbox.lead_of("email", prep.thread)
            if lead_id is not None:
                found = await conversation_of_lead(
                    uow, lead_id, f"reply in the thread of lead {lead_id}", same_person=False
                )
                if found is not None:
                    return found, None
        decision = await self._detector.detect(prep.profile, uow.identity)
        return await conversation_of_person(uow, decision), decision

    async def _log(
        self,
        uow: UnitOfWork,
        item: InboxItem,
        prep: PreparedLead,
        conversation: Conversation,
        now: datetime,
    ) -> Handled:
        lead = prep.command.lead
        message = IncomingMessage(
            channel=lead.channel,
            source=lead.source,
            text=lead.comment,
            received_at=lead.received_at,
            details=lead.contact,
            inbox_id=item.id,
        )
        activity_id = await log_message(uow, conversation, message, now)
        if conversation.same_person:
            await learn_from_message(uow, conversation, prep.profile, now)
        if self._notify_message is not None:
            await self._notify_message(uow, conversation, message, activity_id, now)
        return Handled(lead_id=conversation.lead_id, lead_created=False, activity_id=activity_id)


NOT_YET = Handled(lead_id=None, lead_created=False)


def make_batch_handler(
    resolve_route: RouteResolver,
    region: str,
    detector: Detector | None = None,
    router: LeadRouter | None = None,
    notify_message: MessageNotifier | None = None,
    calls: CallHandler | None = None,
) -> LeadBatchHandler:
    """The worker's handler: leads, messages and calls."""
    return LeadBatchHandler(resolve_route, region, detector, router, notify_message, calls)


def _queue_and_pipeline(route: Route) -> tuple[str | None, str | None]:
    return route.queue, route.pipeline


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _compose_name(*parts: str | None) -> str | None:
    words = [p.strip() for p in parts if p and p.strip()]
    return " ".join(words) or None
