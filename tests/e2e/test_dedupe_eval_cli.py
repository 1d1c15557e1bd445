"""`leadintake dedupe-eval`: the evaluation contract outside checks rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.test_cli import run_cli


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def base(tmp_path: Path) -> tuple[Path, Path]:
    companies = write_jsonl(
        tmp_path / "companies.jsonl",
        [
            {
                "id": "co1",
                "name": "ООО «Ромашка»",
                "inn": "7707083893",
                "phones": ["+7 495 111-22-33"],
                "emails": ["info@romashka.ru"],
                "website": "romashka.ru",
            }
        ],
    )
    contacts = write_jsonl(
        tmp_path / "contacts.jsonl",
        [
            {
                "id": "c1",
                "name": "Петров Иван Сергеевич",
                "phones": ["8 (916) 123-45-67"],
                "emails": ["ivan.petrov@mail.ru"],
                "company_id": "co1",
                "company": "Ромашка",
                "telegram_id": None,
                "telegram_username": None,
                "vk_id": None,
            },
            {"id": 2, "name": "Ольга Щукина", "phones": [], "emails": ["olga@example.org"]},
        ],
    )
    return companies, contacts


def lead(lead_id: str | int, **fields: Any) -> dict[str, Any]:
    empty = dict.fromkeys(
        ("channel", "name", "phone", "email", "company", "inn", "telegram_id"), None
    )
    return {
        "id": lead_id,
        **empty,
        "telegram_username": None,
        "vk_id": None,
        "text": None,
    } | fields


def test_one_prediction_per_lead_with_the_input_ids(tmp_path: Path) -> None:
    companies, contacts = base(tmp_path)
    leads = write_jsonl(
        tmp_path / "leads.jsonl",
        [
            lead("l1", channel="call", phone="+79161234567", name="Ваня"),
            lead("l2", channel="email", name="Olga Shchukina", email="Olga@Example.org"),
            lead("l3", channel="webform", name="Пётр Сидоров", phone="+79990000000"),
            lead(4, channel="webform", name="Анна", company="Ромашка", inn="7707083893"),
        ],
    )
    out = tmp_path / "predictions.jsonl"
    result = run_cli(
        "dedupe-eval",
        "--contacts",
        str(contacts),
        "--companies",
        str(companies),
        "--leads",
        str(leads),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    by_lead = {p["lead_id"]: p for p in lines}
    assert list(by_lead) == ["l1", "l2", "l3", 4]
    assert set(lines[0]) == {"lead_id", "contact_id", "company_id", "score", "decision"}
    assert by_lead["l1"]["decision"] == "auto" and by_lead["l1"]["contact_id"] == "c1"
    assert by_lead["l1"]["company_id"] == "co1"
    assert by_lead["l2"]["decision"] == "auto" and by_lead["l2"]["contact_id"] == 2
    assert by_lead["l3"]["decision"] == "new" and by_lead["l3"]["contact_id"] is None
    assert by_lead[4]["contact_id"] is None and by_lead[4]["company_id"] == "co1"
    assert all(0.0 <= p["score"] <= 1.0 for p in lines)
    assert "leads=4" in result.stdout


def test_malformed_line_names_the_line_and_field(tmp_path: Path) -> None:
    _, contacts = base(tmp_path)
    leads = tmp_path / "leads.jsonl"
    leads.write_text(
        json.dumps(lead("l1", phone="+79161234567")) + "\n" + '{"id": "l2", "phone": 5.5}\n',
        "utf-8",
    )
    result = run_cli(
        "dedupe-eval",
        "--contacts",
        str(contacts),
        "--leads",
        str(leads),
        "--out",
        str(tmp_path / "out.jsonl"),
    )
    assert result.returncode != 0
    assert ":2" in result.stderr and "'phone'" in result.stderr
