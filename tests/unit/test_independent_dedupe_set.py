"""The independent dedupe data set (bench/dedupe/independent.py): seeded and consistent."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "bench" / "dedupe" / "independent.py"
    spec = importlib.util.spec_from_file_location("independent_dedupe_set", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


FILES = ("companies.jsonl", "contacts.jsonl", "leads.jsonl", "truth.jsonl")


def test_same_seed_same_bytes_other_seed_other_set(tmp_path: Path) -> None:
    gen = _generator()
    gen.generate(tmp_path / "a", 5, 1500, 400)
    gen.generate(tmp_path / "b", 5, 1500, 400)
    gen.generate(tmp_path / "c", 6, 1500, 400)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "leads.jsonl").read_bytes() != (
        tmp_path / "c" / "leads.jsonl"
    ).read_bytes()


def test_labels_point_at_records_and_every_kind_is_present(tmp_path: Path) -> None:
    gen = _generator()
    counts = gen.generate(tmp_path, 3, 2000, 600)
    companies = {r["id"]: r for r in _rows(tmp_path / "companies.jsonl")}
    contacts = {r["id"]: r for r in _rows(tmp_path / "contacts.jsonl")}
    leads = _rows(tmp_path / "leads.jsonl")
    truth = _rows(tmp_path / "truth.jsonl")
    assert counts == {"companies": len(companies), "contacts": 2000, "leads": 600}
    assert len(contacts) == 2000
    assert [t["lead_id"] for t in truth] == [lead["id"] for lead in leads]
    assert all(c.get("company_id") in (None, *companies) for c in contacts.values())
    kinds = {kind for kind, _ in gen.KIND_SHARES}
    seen = set()
    for item in truth:
        (kind,) = item["kinds"]
        seen.add(kind)
        assert kind in kinds
        assert item["company_id"] is None or item["company_id"] in companies
        if kind in gen.KNOWN_KINDS:
            assert item["contact_id"] in contacts, item
            assert item["hard_negative"] is None
        else:
            assert item["contact_id"] is None
            assert item["hard_negative"] == kind
    assert seen == kinds


def test_hard_cases_hold_what_their_kind_says(tmp_path: Path) -> None:
    gen = _generator()
    gen.generate(tmp_path, 4, 2000, 800)
    contacts = {r["id"]: r for r in _rows(tmp_path / "contacts.jsonl")}
    companies = {r["id"]: r for r in _rows(tmp_path / "companies.jsonl")}
    leads = {r["id"]: r for r in _rows(tmp_path / "leads.jsonl")}

    def digits(phone: str) -> str:
        return "".join(
            ch for ch in phone.split("доб")[0].split("вн")[0].split("ext")[0] if ch.isdigit()
        )[-10:]

    phone_holders: dict[str, set[str]] = {}
    for c in contacts.values():
        for phone in c.get("phones", []):
            phone_holders.setdefault(digits(phone), set()).add(c["id"])
    for item in _rows(tmp_path / "truth.jsonl"):
        lead = leads[item["lead_id"]]
        kind = item["kinds"][0]
        if kind == "family_member":
            # A relative's phone, another first name than everyone holding it.
            holders = phone_holders[digits(lead["phone"])]
            assert len(holders) >= 2
            first = lead["name"].split()[0 if len(lead["name"].split()) < 3 else 1]
            assert all(first not in contacts[h]["name"].split() for h in holders), lead
        if kind == "inn_name":
            # The INN the lead gives is the one on the company's record.
            inn = companies[item["company_id"]]["inn"]
            assert lead.get("inn") == inn or f"ИНН {inn}" in lead["text"], lead
        if kind == "identifier_typo" and "phone" in lead:
            true = {digits(p) for p in contacts[item["contact_id"]].get("phones", [])}
            got = digits(lead["phone"])
            assert got not in true
            assert any(sum(a != b for a, b in zip(got, t, strict=True)) <= 2 for t in true)
        if kind == "identifier_typo" and "phone" not in lead:
            # One slip, and not an address that reaches the same mailbox (Gmail dots).
            known = contacts[item["contact_id"]]["emails"]
            assert all(not gen.same_mailbox(lead["email"], e) for e in known), lead
            assert any(e.split("@")[1] == lead["email"].split("@")[1] for e in known)
        if kind == "namesake_other_company":
            # Somebody in the base has this very name, but none of the lead's identifiers.
            words = set(lead["name"].split())
            assert any(
                set(c["name"].split()) <= words or words <= set(c["name"].split())
                for c in contacts.values()
            ), lead
            assert digits(lead.get("phone", "")) not in phone_holders
            assert all(lead.get("email") not in c.get("emails", []) for c in contacts.values())
        if kind == "office_colleague":
            # The company's own line as the base knows it; no holder has the lead's first name.
            line = digits(lead["phone"])
            company = companies[item["company_id"]]
            holders = phone_holders.get(line, set())
            assert holders or line in {digits(p) for p in company.get("phones", [])}
            if "name" in lead:
                first = lead["name"].split()[0 if len(lead["name"].split()) < 3 else 1]
                assert all(first not in contacts[h]["name"].split() for h in holders), lead
