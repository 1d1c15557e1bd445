"""Office numbers through crm_core matching on both databases: a colleague calling from the
office line is not linked to the contact who holds it; the holder is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.matching import lead_profile, match_lead
from crm_core.model import LeadContactDetails, LeadMatch, NewInboxItem, NewLead
from crm_core.storage import Storage
from dedupe.decision import Thresholds
from dedupe.detector import Detector
from dedupe.profile import RawIdentity

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
OFFICE = "+74952223344"


async def load_office(storage: Storage) -> tuple[int, int]:
    """ООО «Вектор» with its office line, held by one of its contacts."""
    async with storage.transaction() as uow:
        [vektor] = await add_companies(
            uow,
            [prepare_company(RawIdentity(company="ООО «Вектор»", phones=(OFFICE,)), "RU")],
            T0,
        )
        [ivan] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(
                        name="Петров Иван Сергеевич",
                        phones=("+7 (495) 222-33-44",),
                        company="ООО «Вектор»",
                    ),
                    "RU",
                    company_id=vektor,
                )
            ],
            T0,
        )
    return vektor, ivan


async def matched_lead(
    storage: Storage, contact: LeadContactDetails, channel: str, external_id: str
) -> tuple[int, LeadMatch]:
    """A lead from `channel` with `contact`, taken in at T0 and matched by the default
    detector (its identity keys indexed as the worker does): its id and the match."""
    lead = NewLead(
        inbox_id=0,
        channel=channel,
        source="test",
        contact=contact,
        comment=None,
        utm={},
        page_url=None,
        referrer=None,
        fields={},
        meta={},
        flags=(),
        queue="main",
        pipeline="main",
        received_at=T0,
    )
    async with storage.transaction() as uow:
        [receipt] = await uow.inbox.add_batch(
            [NewInboxItem(channel, "test", external_id, T0, {}, {}, {})]
        )
        lead = replace(lead, inbox_id=receipt.intake_id)
        [(stored, _)] = await ingest_leads(uow, [IngestLead(lead, None)], T0)
        profile = lead_profile(lead, "RU")
        found = await match_lead(uow, stored.id, profile, Detector(Thresholds()), T0)
    return stored.id, found


async def match(storage: Storage, n: int, name: str | None, channel: str = "call") -> LeadMatch:
    contact = LeadContactDetails(name=name, phone=OFFICE, phone_raw="8 495 222-33-44")
    _, found = await matched_lead(storage, contact, channel, f"shared-{n}")
    return found


def notes(m: LeadMatch) -> list[str]:
    return [e["note"] for c in m.explanation["candidates"] for e in c["evidence"]]


async def test_a_nameless_call_from_the_office_line_goes_to_the_company(storage: Storage) -> None:
    vektor, ivan = await load_office(storage)
    result = await match(storage, 1, None)
    assert result.decision == "review"
    assert result.contact_id is None  # not linked…
    assert [c["id"] for c in result.explanation["candidates"]] == [ivan]  # …but proposed
    assert result.company_id == vektor
    assert result.explanation["reason"].startswith("номер общий для офиса ООО «Вектор»")


async def test_a_colleague_on_the_office_line_is_not_linked_to_its_holder(
    storage: Storage,
) -> None:
    vektor, _ = await load_office(storage)
    result = await match(storage, 2, "Мария Сидорова", "webform")
    assert result.contact_id is None
    assert result.decision != "auto"
    assert result.company_id == vektor
    assert "номер общий для офиса ООО «Вектор»: у владельца другое имя" in notes(result)


async def test_the_holder_with_the_same_name_is_linked(storage: Storage) -> None:
    vektor, ivan = await load_office(storage)
    result = await match(storage, 3, "Иван Петров")
    assert result.decision == "auto"
    assert result.contact_id == ivan
    assert result.company_id == vektor
    assert "номер общий для офиса ООО «Вектор»: имя владельца совпало" in notes(result)
