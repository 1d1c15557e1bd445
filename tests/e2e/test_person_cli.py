"""`leadintake person ...` as an operator runs it: erase asks to confirm (and a «no» erases
nothing), --yes does not ask; find prints ids only; retention --dry-run counts without
changing anything or printing personal data, then anonymises only stale leads that never
became business."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from config import Settings
from crm_core.storage.sqlite import SqliteStorage
from intake.cli import build_parser
from intake.person_commands import run_person_command
from intake.retention import RetentionJob
from tests.e2e.conftest import run_service
from tests.e2e.test_cli import run_cli

OLD = {"name": "Олег Старый", "phone": "+7 903 111-22-33", "tranid": "old-1"}
SOLD = {"name": "Пётр Купил", "phone": "+7 903 444-55-66", "tranid": "sold-1"}
FRESH = {"name": "Нина Новая", "phone": "+7 903 777-88-99", "tranid": "new-1"}


async def seed(settings: Settings) -> dict[str, int]:
    """Three form leads on the settings' database; SOLD converted to a deal; lead ids."""
    async with run_service(settings, SqliteStorage(settings.database.sqlite_path)) as running:
        ids = {}
        for key, form in (("old", OLD), ("sold", SOLD), ("fresh", FRESH)):
            async with running.client.post("/api/v1/forms/site", json=form) as r:
                assert r.status == 202
                ids[key] = (await running.wait_for_lead((await r.json())["intake_id"]))["id"]
        async with running.client.post(
            f"/api/v1/leads/{ids['sold']}/convert", json={}, headers=running.auth("head")
        ) as r:
            assert r.status == 201, await r.text()
    return ids


def age(settings: Settings, lead_ids: list[int], days: int) -> None:
    """Make leads look `days` old."""
    when = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    with sqlite3.connect(settings.database.sqlite_path) as conn:
        conn.executemany(
            "UPDATE leads SET received_at = ? WHERE id = ?", [(when, i) for i in lead_ids]
        )


def names(settings: Settings) -> dict[int, str]:
    with sqlite3.connect(settings.database.sqlite_path) as conn:
        return dict(conn.execute("SELECT id, name FROM leads").fetchall())


def erase_args(*extra: str) -> list[str]:
    return ["person", "erase", "--phone", "8 903 111 22 33", "--reason", "Заявление №1", *extra]


def test_erase_asks_first_and_a_no_erases_nothing(settings: Settings) -> None:
    ids = asyncio.run(seed(settings))
    asked: list[str] = []

    def answer(word: str) -> Callable[[str], str]:
        def ask(prompt: str) -> str:
            asked.append(prompt)
            return word

        return ask

    refused = run_person_command(build_parser().parse_args(erase_args()), settings, answer("нет"))
    kept = names(settings)[ids["old"]]
    agreed = run_person_command(build_parser().parse_args(erase_args()), settings, answer("да"))

    assert refused == 1 and kept == OLD["name"]
    assert agreed == 0 and names(settings)[ids["old"]] == "Клиент удалён по запросу"
    assert len(asked) == 2 and "cannot be undone" in asked[0]
    assert names(settings)[ids["fresh"]] == FRESH["name"]


def test_erase_with_yes_does_not_ask(settings: Settings) -> None:
    ids = asyncio.run(seed(settings))

    def never(prompt: str) -> str:
        raise AssertionError(f"asked: {prompt}")

    status = run_person_command(build_parser().parse_args(erase_args("--yes")), settings, never)

    assert status == 0 and names(settings)[ids["old"]] == "Клиент удалён по запросу"


def test_erase_requires_a_reason_and_one_identifier(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit) as no_reason:
        parser.parse_args(["person", "erase", "--phone", "89031112233"])
    reason_error = capsys.readouterr().err
    with pytest.raises(SystemExit) as both:
        parser.parse_args(["person", "find", "--phone", "1", "--email", "a@b.ru"])
    both_error = capsys.readouterr().err
    bad = run_person_command(parser.parse_args(["person", "find", "--phone", "12"]), settings)

    assert no_reason.value.code == 2 and "--reason" in reason_error
    assert both.value.code == 2 and "not allowed with" in both_error
    assert bad == 2 and "--phone" in capsys.readouterr().err


def test_find_prints_ids_and_a_no_on_stdin_erases_nothing(settings: Settings) -> None:
    ids = asyncio.run(seed(settings))
    found = run_cli("--config", settings.source, "person", "find", "--phone", "+79031112233")
    erase = subprocess_erase(settings, "no\n")

    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["leads"] == [ids["old"]]
    assert erase.returncode == 1 and "nothing erased" in erase.stderr
    assert names(settings)[ids["old"]] == OLD["name"]


def subprocess_erase(settings: Settings, stdin: str) -> subprocess.CompletedProcess[str]:
    """`person erase` without --yes, answering the question with `stdin`."""
    return subprocess.run(
        [sys.executable, "-m", "intake", "--config", settings.source, *erase_args()],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_retention_dry_run_counts_then_anonymises_only_stale_leads_without_deals(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(seed(settings))
    age(settings, [ids["old"], ids["sold"]], settings.privacy.retention_days + 5)

    def retention(*extra: str) -> str:
        args = build_parser().parse_args(["person", "retention", *extra])
        assert run_person_command(args, settings) == 0
        return capsys.readouterr().out

    dry = retention("--dry-run")
    untouched = names(settings)
    done = retention()
    again = retention()
    after = names(settings)

    assert "would anonymise" in dry and "leads=1" in dry
    assert not any(form["name"] in dry + done for form in (OLD, SOLD, FRESH))
    assert untouched[ids["old"]] == OLD["name"]
    assert "anonymised" in done and "leads=1" in done and "erasure=" in done
    assert "nothing" in again
    assert after[ids["old"]] == "Клиент удалён по запросу"
    assert after[ids["sold"]] == SOLD["name"] and after[ids["fresh"]] == FRESH["name"]


async def test_the_daily_job_anonymises_every_lead_past_the_period_but_the_sold_one(
    settings: Settings,
) -> None:
    ids = await seed(settings)
    later = datetime.now(UTC) + timedelta(days=settings.privacy.retention_days + 1)
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        done = await RetentionJob(
            storage, settings.privacy.retention_days, lambda: later
        ).run_once()
        async with storage.reader() as uow:
            erasure = await uow.persons.get_erasure(done.id or 0)
    finally:
        await storage.close()

    assert done.counts["leads"] == 2 and erasure is not None and erasure.kind == "retention"
    after = names(settings)
    assert after[ids["old"]] == after[ids["fresh"]] == "Клиент удалён по запросу"
    assert after[ids["sold"]] == SOLD["name"]
