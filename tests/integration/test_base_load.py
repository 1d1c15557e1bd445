"""The bulk base loader: file order, company links, index, errors from worker processes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from crm_core.storage import Storage
from dedupe.decision import Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.profile import RawIdentity, build_profile
from offline.base_load import load_base
from offline.jsonl_input import InputError


def write_jsonl(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    """Rows as a JSONL file (with a blank line, which readers must skip)."""
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join([*lines[:1], "", *lines[1:]]) + "\n", encoding="utf-8")
    return path


def base(tmp_path: Path, contacts: int) -> tuple[Path, Path]:
    """Two companies and `contacts` people, every third one working at a company."""
    companies = write_jsonl(
        tmp_path / "companies.jsonl",
        [
            {"id": "c1", "name": "ООО «Ромашка»", "inn": "7707083893"},
            {"id": "c2", "name": "АО Вектор", "phones": ["+7 495 111-22-33"]},
        ],
    )
    people = write_jsonl(
        tmp_path / "contacts.jsonl",
        [
            {
                "id": f"p{n}",
                "name": f"Иванов Пётр {n}",
                "phones": [f"8 (916) {n // 10000:03d}-{n % 10000 // 100:02d}-{n % 100:02d}"],
                "company_id": ("c1", "c2", None)[n % 3],
            }
            for n in range(contacts)
        ],
    )
    return people, companies


@pytest.mark.parametrize("workers", [0, 1])
async def test_base_is_stored_in_file_order_with_company_links(
    storage: Storage, tmp_path: Path, workers: int
) -> None:
    people, companies = base(tmp_path, 50)
    heard: list[tuple[str | int, int]] = []

    def stored(refs: Sequence[str | int], ids: Sequence[int]) -> None:
        heard.extend(zip(refs, ids, strict=True))

    loaded = await load_base(
        storage, people, companies, "RU", workers=workers, transaction_rows=7, on_contacts=stored
    )

    assert loaded.contacts == 50
    assert sorted(loaded.company_ids) == ["c1", "c2"]
    assert [ref for ref, _ in heard] == [f"p{n}" for n in range(50)]
    assert [i for _, i in heard] == sorted(i for _, i in heard)
    ids = dict(heard)
    async with storage.transaction() as uow:
        third = await uow.identity.get_contact(ids["p3"])
        fourth = await uow.identity.get_contact(ids["p4"])
        fifth = await uow.identity.get_contact(ids["p5"])
    assert third is not None and third.company_id == loaded.company_ids["c1"]
    assert fourth is not None and fourth.company_id == loaded.company_ids["c2"]
    assert fifth is not None and fifth.company_id is None
    assert third.phones == ("+79160000003",)


async def test_loaded_contacts_are_found_by_the_detector(storage: Storage, tmp_path: Path) -> None:
    people, companies = base(tmp_path, 20)
    refs: dict[int, str | int] = {}
    await load_base(
        storage,
        people,
        companies,
        "RU",
        workers=1,
        on_contacts=lambda r, i: refs.update(zip(i, r, strict=True)),
    )

    lead = build_profile(RawIdentity(name="Пётр Иванов", phones=("+7 916 000-00-12",)), "RU")
    async with storage.transaction() as uow:
        decision = await Detector(Thresholds()).detect(lead, uow.identity)
    assert decision.verdict is Verdict.AUTO
    assert decision.contact_id is not None and refs[decision.contact_id] == "p12"


@pytest.mark.parametrize("workers", [0, 1])
async def test_a_bad_line_in_a_worker_names_its_line_and_field(
    storage: Storage, tmp_path: Path, workers: int
) -> None:
    people = tmp_path / "contacts.jsonl"
    people.write_text(
        '{"id": 1, "name": "Анна"}\n{"id": 2, "phones": {"x": 1}}\n', encoding="utf-8"
    )

    with pytest.raises(InputError) as caught:
        await load_base(storage, people, None, "RU", workers=workers)

    assert caught.value.line == 2
    assert caught.value.field == "phones"
    assert "contacts.jsonl:2 field 'phones'" in str(caught.value)
