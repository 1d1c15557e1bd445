"""Who may see and change which record: the rules of crm_core.access, as values."""

from __future__ import annotations

import pytest

from crm_core.access import (
    Holders,
    Kind,
    listing_scope,
    may_change,
    may_link_contact,
    may_merge,
    may_see,
    may_undo_merge,
    proposed_contact_ids,
)
from crm_core.model import LeadMatch, Manager, Role

IVANOVA, PETROV, HEAD = 1, 2, 3


def staff(manager_id: int) -> Manager:
    """A manager (the head has id HEAD)."""
    role = Role.HEAD if manager_id == HEAD else Role.MANAGER
    return Manager(manager_id, f"m{manager_id}", "Имя", role, None, None, "Europe/Moscow", True)


ivanova, petrov, head = staff(IVANOVA), staff(PETROV), staff(HEAD)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_head_sees_and_changes_everything(kind: Kind) -> None:
    record = Holders(kind, PETROV)
    assert may_see(head, record) and may_change(head, record)


@pytest.mark.parametrize("kind", [Kind.LEAD, Kind.DEAL, Kind.CALL, Kind.TASK])
def test_a_record_is_its_holders_alone(kind: Kind) -> None:
    record = Holders(kind, PETROV, frozenset({IVANOVA}))
    assert may_see(petrov, record) and may_change(petrov, record)
    assert not may_see(ivanova, record) and not may_change(ivanova, record)


def test_an_unassigned_lead_may_be_taken_but_is_not_shown() -> None:
    lead = Holders(Kind.LEAD, None)
    assert may_change(ivanova, lead) and not may_see(ivanova, lead)


@pytest.mark.parametrize("kind", [Kind.CONTACT, Kind.COMPANY])
def test_a_client_is_seen_by_its_owner_and_by_who_holds_its_leads_and_deals(kind: Kind) -> None:
    owned = Holders(kind, PETROV)
    assert may_see(petrov, owned) and not may_see(ivanova, owned)
    linked = Holders(kind, PETROV, frozenset({IVANOVA}))
    assert may_see(ivanova, linked) and may_change(ivanova, linked)
    nobodys = Holders(kind, None)
    assert not may_see(ivanova, nobodys) and not may_change(ivanova, nobodys)


def test_an_unassigned_task_belongs_to_whoever_may_change_its_record() -> None:
    on_petrovs_deal = Holders(Kind.TASK, None, parent=Holders(Kind.DEAL, PETROV))
    assert may_change(petrov, on_petrovs_deal)
    assert not may_see(ivanova, on_petrovs_deal) and not may_change(ivanova, on_petrovs_deal)
    orphan = Holders(Kind.TASK, None)
    assert not may_change(ivanova, orphan) and may_change(head, orphan)


def test_only_the_owner_of_both_or_a_head_merges() -> None:
    his, hers = Holders(Kind.CONTACT, PETROV), Holders(Kind.CONTACT, IVANOVA)
    linked = Holders(Kind.CONTACT, PETROV, frozenset({IVANOVA}))
    assert may_merge(petrov, [his, his]) and may_merge(head, [his, hers])
    assert not may_merge(ivanova, [hers, his]) and not may_merge(ivanova, [hers, linked])
    assert may_undo_merge(head) and not may_undo_merge(petrov)


def _match(candidates: list[dict[str, object]], contact_id: int | None = None) -> LeadMatch:
    return LeadMatch("review", 0.7, contact_id, None, False, {"candidates": candidates})


def test_a_manager_links_only_a_contact_the_detector_proposed() -> None:
    match = _match(
        [
            {"entity": "contact", "id": 7},
            {"entity": "lead", "id": 8},
            {"entity": "contact", "id": "9"},
            "garbage",
        ],
        contact_id=5,
    )
    assert proposed_contact_ids(match) == {5, 7}
    assert may_link_contact(ivanova, match, 7) and may_link_contact(ivanova, match, 5)
    assert not may_link_contact(ivanova, match, 8)
    assert not may_link_contact(ivanova, None, 7)
    assert may_link_contact(head, None, 8)


def test_listings_show_a_manager_their_own_and_a_head_everything() -> None:
    assert listing_scope(ivanova) == ivanova and listing_scope(head) is None
