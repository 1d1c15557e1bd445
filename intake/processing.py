"""Turn one stored inbound event into the IngestLead command (normalize, flag, route)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from channels.model import InboundEvent
from crm_core.followups import log_follow_up
from crm_core.ingest import ConsentDraft, IngestLead, ingest_leads
from crm_core.matching import lead_profile, match_lead
from crm_core.model import InboxItem, Lead, LeadContactDetails, LeadFlag, NewLead
from crm_core.storage import UnitOfWork
from dedupe.detector import Detector
from dedupe.emails import normalize_email
from dedupe.phones import normalize_phone
from dedupe.profile import Profile
from intake.worker import Handled, Outcome


@dataclass(frozen=True, slots=True)
class Route:
    """Which lead flow and deal pipeline a source feeds."""

    queue: str | None
    pipeline: str | None


RouteResolver = Callable[[str, str], Route]
# Assigns a freshly matched lead to a manager (and queues their notifications).
LeadRouter = Callable[[UnitOfWork, Lead, datetime], Awaitable[object]]


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


class LeadBatchHandler:
    """The worker's handler: decode stored events, normalize, ingest as leads, match."""

    def __init__(
        self,
        resolve_route: RouteResolver,
        region: str,
        detector: Detector | None = None,
        router: LeadRouter | None = None,
    ) -> None:
        self._resolve_route = resolve_route
        self._region = region
        self._detector = detector or Detector()
        self._router = router

    def prepare(self, items: Sequence[InboxItem]) -> list[PreparedLead | Exception]:
        """Build each row's command and profile; a row we cannot read becomes its exception."""
        return [self._prepare(item) for item in items]

    def _prepare(self, item: InboxItem) -> PreparedLead | Exception:
        try:
            event = InboundEvent.from_json(item.event)
            route = self._resolve_route(event.channel, event.source)
            command = build_command(item, event, route, self._region)
            return PreparedLead(command, lead_profile(command.lead, self._region))
        except Exception as err:  # a row we cannot read must not block the others
            return err

    async def apply(
        self,
        uow: UnitOfWork,
        items: Sequence[InboxItem],
        prepared: Sequence[PreparedLead | Exception],
        now: datetime,
    ) -> list[Outcome]:
        """Create the leads of the readable rows in one go, then match each new one."""
        outcomes: list[Outcome] = [p if isinstance(p, Exception) else NOT_YET for p in prepared]
        ready = [(n, p) for n, p in enumerate(prepared) if not isinstance(p, Exception)]
        results = await ingest_leads(uow, [p.command for _, p in ready], now)
        for (index, lead_prep), (lead, created) in zip(ready, results, strict=True):
            if created:
                match = await match_lead(uow, lead.id, lead_prep.profile, self._detector, now)
                matched = replace(
                    lead, match=match, contact_id=match.contact_id, company_id=match.company_id
                )
                await log_follow_up(uow, matched, now)
                if self._router is not None:
                    await self._router(uow, matched, now)
            outcomes[index] = Handled(lead_id=lead.id, lead_created=created)
        return outcomes


NOT_YET = Handled(lead_id=None, lead_created=False)


def make_batch_handler(
    resolve_route: RouteResolver,
    region: str,
    detector: Detector | None = None,
    router: LeadRouter | None = None,
) -> LeadBatchHandler:
    """The worker's handler for lead-producing channels."""
    return LeadBatchHandler(resolve_route, region, detector, router)


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _compose_name(*parts: str | None) -> str | None:
    words = [p.strip() for p in parts if p and p.strip()]
    return " ".join(words) or None
