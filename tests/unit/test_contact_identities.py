"""A contact's messenger identities: snapshots (old and new) and merges keep every one."""

from __future__ import annotations

from crm_core.merging import merged_contact
from crm_core.model import Contact, Identity


def contact(cid: int, *identities: Identity) -> Contact:
    return Contact(
        id=cid,
        name="Иван",
        phones=(),
        emails=(),
        company_id=None,
        company_name=None,
        owner_id=None,
        identities=identities,
    )


def test_snapshot_round_trip() -> None:
    ivan = contact(1, Identity("telegram_id", "42"), Identity("avito_id", "98765"))
    assert Contact.from_snapshot(ivan.to_snapshot()) == ivan


def test_a_journal_entry_written_before_identities_still_restores() -> None:
    old = {
        "id": 1,
        "name": "Иван",
        "phones": ["+79161234567"],
        "emails": [],
        "telegram_id": "42",
        "telegram_username": "ivan_petrov",
        "vk_id": None,
        "company_id": None,
        "company_name": None,
        "owner_id": 3,
        "merged_into_id": None,
    }
    restored = Contact.from_snapshot(old)
    assert restored.identities == (
        Identity("telegram_id", "42"),
        Identity("telegram_username", "ivan_petrov"),
    )
    assert restored.phones == ("+79161234567",) and restored.owner_id == 3


def test_a_merge_keeps_both_accounts_the_chosen_one_first() -> None:
    survivor = contact(1, Identity("telegram_id", "42"), Identity("vk_id", "7"))
    merged = contact(2, Identity("telegram_id", "43"), Identity("avito_id", "98765"))
    kept = merged_contact(survivor, merged, {})
    assert kept.identity("telegram_id") == "42"
    assert set(kept.identities) == set(survivor.identities) | set(merged.identities)
    chosen = merged_contact(survivor, merged, {"telegram_id": "merged"})
    assert chosen.identity("telegram_id") == "43" and chosen.identity("vk_id") == "7"
    assert len(chosen.identities) == 4
