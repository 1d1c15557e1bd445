"""CPU work done before the write transaction: a submission's details normalized into the
IngestLead command, and the identity the duplicate detector will look up."""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.inbound.model import Submission
from crm_core.inbound.setup import InboundSetup, Route
from crm_core.ingest import IngestLead
from crm_core.matching import lead_profile
from crm_core.model import LeadContactDetails, LeadFlag, NewLead
from dedupe.emails import normalize_email
from dedupe.phones import normalize_phone
from dedupe.profile import Profile


@dataclass(frozen=True, slots=True)
class PreparedLead:
    """A submission's command and the identity the detector will look up."""

    command: IngestLead
    profile: Profile
    thread: tuple[str, ...] = ()


def prepare(submission: Submission, setup: InboundSetup) -> PreparedLead:
    """Route and normalize a submission (pure; no storage)."""
    route = setup.resolve_route(submission.channel, submission.source)
    command = build_command(submission, route, setup.region)
    return PreparedLead(command, lead_profile(command.lead, setup.region), submission.thread)


def build_command(submission: Submission, route: Route, region: str) -> IngestLead:
    """Normalize the person's details; keep malformed values raw with a flag, never drop them."""
    person = submission.sender
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
        inbox_id=submission.inbox_id,
        channel=submission.channel,
        source=submission.source,
        contact=contact,
        comment=_clean(submission.comment),
        utm=dict(submission.utm),
        page_url=submission.page_url,
        referrer=submission.referrer,
        fields=dict(submission.fields),
        meta=dict(submission.meta),
        flags=tuple(flags),
        queue=route.queue,
        pipeline=route.pipeline,
        received_at=submission.received_at,
    )
    return IngestLead(lead=lead, consent=submission.consent)


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _compose_name(*parts: str | None) -> str | None:
    words = [p.strip() for p in parts if p and p.strip()]
    return " ".join(words) or None
