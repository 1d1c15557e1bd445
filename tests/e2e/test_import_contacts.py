"""`leadintake import-contacts` as an operator runs it, on a real SQLite database."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.storage import Storage
from crm_core.storage.sqlite import SqliteStorage
from dedupe.decision import Thresholds
from intake.bootstrap import prepare_storage
from offline.contact_import import ImportFile, ImportOptions, import_contacts, open_import_file
from offline.csv_input import ImportRow
from tests.e2e.test_cli import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "import"
JSONL = FIXTURES / "contacts.jsonl"
BITRIX_UTF8 = FIXTURES / "bitrix_utf8_bom.csv"
BITRIX_CP1251 = FIXTURES / "bitrix_cp1251.csv"
AMOCRM = FIXTURES / "amocrm.csv"


def run_import(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = run_cli("--config", settings.source, "import-contacts", *args)
    return result.returncode, result.stdout, result.stderr


def summary(stdout: str) -> dict[str, int]:
    """The counters of the summary: {"imported": 4, "rejected": 3, ...}."""
    counts = {
        label: int(value)
        for label, value in re.findall(r"^([a-z ,]+): (\d+)", stdout, flags=re.MULTILINE)
    }
    merged = re.search(r"within the file: (\d+), with existing contacts: (\d+)", stdout)
    if merged:
        counts["within"], counts["existing"] = int(merged[1]), int(merged[2])
    return counts


def contacts(settings: Settings) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.database.sqlite_path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM contacts ORDER BY id").fetchall()
        identities = db.execute(
            "SELECT entity_id, kind, value FROM identities WHERE entity = 'contact' ORDER BY id"
        ).fetchall()
    found = [dict(r) for r in rows]
    for contact in found:
        contact["phones"] = json.loads(contact["phones"])
        contact["emails"] = json.loads(contact["emails"])
        # The messenger columns became rows of `identities`: the first of each kind.
        for kind in ("telegram_id", "telegram_username", "vk_id"):
            contact[kind] = next(
                (
                    i["value"]
                    for i in identities
                    if i["entity_id"] == contact["id"] and i["kind"] == kind
                ),
                None,
            )
    return found


def companies(settings: Settings) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.database.sqlite_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM companies ORDER BY id")]


def by_name(found: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [contact] = [c for c in found if c["name"] == name]
    return contact


def test_jsonl_import_creates_merges_and_rejects_with_reasons(settings: Settings) -> None:
    code, out, err = run_import(settings, str(JSONL))

    assert code == 0, err
    counts = summary(out)
    assert counts["imported"] == 4
    assert counts["merged as duplicates"] == 1 and counts["within"] == 1
    assert counts["rejected"] == 3
    assert "line 4: not valid JSON" in out
    assert "line 5: no name and no phone, e-mail, Telegram or VK id" in out
    assert "phone given but not recognised" in out
    assert "line 6: field 'phones': must be a list of strings" in out
    assert "import-contacts: line" in err  # progress went to stderr

    found = contacts(settings)
    assert len(found) == 4
    ivanov = by_name(found, "Иванов Иван")
    # Line 3 ("Иван Иванов", same mobile in another format) merged, its new e-mail kept.
    assert ivanov["phones"] == ["+79161234567"]
    assert ivanov["emails"] == ["ivan@romashka.ru", "ivanov.ivan@gmail.com"]
    assert ivanov["external_ref"].endswith(":1")
    # "ООО «Ромашка»" and "Ромашка" are one company, created once within the import.
    [company] = companies(settings)
    assert ivanov["company_id"] == company["id"]
    assert by_name(found, "Анна Петрова")["company_id"] == company["id"]
    sidorov = by_name(found, "Пётр Сидоров")
    assert (sidorov["telegram_id"], sidorov["telegram_username"]) == ("123456789", "psidorov")
    assert by_name(found, "Ольга Смирнова")["vk_id"] == "5550001"


def test_bitrix_csv_in_utf8_with_bom_and_semicolons(settings: Settings) -> None:
    code, out, err = run_import(settings, str(BITRIX_UTF8))

    assert code == 0, err
    assert "(csv, utf-8-sig, ';')" in out
    counts = summary(out)
    assert counts["imported"] == 3
    assert counts["merged as duplicates"] == 1 and counts["within"] == 1
    assert counts["rejected"] == 1
    assert "line 5: no name and no phone" in out  # after a record spanning lines 3-4
    assert "unknown columns ignored: Обращение, Дата рождения, Источник, Комментарий" in out
    assert "recognised, not stored: Должность" in out

    found = contacts(settings)
    assert [c["name"] for c in found] == [
        "Иванов Иван Петрович",
        "Кузнецова Мария",
        "Сергеева Ёлка",
    ]
    ivanov = found[0]
    # Work and mobile columns, two numbers in one cell, plus line 6's e-mail after the merge.
    assert ivanov["phones"] == ["+79161234567", "+79031112233", "+79031112244"]
    assert ivanov["emails"] == ["ivanov@romashka.ru", "ivan.ivanov@yandex.ru"]
    assert ivanov["telegram_username"] == "ivanov_ivan"
    assert ivanov["vk_id"] == "12345"
    assert found[2]["phones"] == ["+78125550102", "+78125550103"]  # split on ";"
    romashka, ip = companies(settings)
    assert romashka["inn"] == "7707083893"
    assert found[1]["company_id"] == ivanov["company_id"] == romashka["id"]
    assert ip["name"] == "ИП Сергеева Е.В."


def test_bitrix_csv_in_windows_1251_matches_the_same_people(settings: Settings) -> None:
    code, out, err = run_import(settings, str(BITRIX_CP1251))
    assert code == 0, err
    assert "(csv, cp1251, ';')" in out
    assert summary(out)["imported"] == 3
    assert by_name(contacts(settings), "Сергеева Ёлка")["company_name"] == "ИП Сергеева Е.В."

    # The same export in UTF-8 is another file, but every person in it is already known.
    code, out, err = run_import(settings, str(BITRIX_UTF8))
    assert code == 0, err
    counts = summary(out)
    assert counts["imported"] == 0 and counts["possible duplicates, created"] == 0
    assert counts["existing"] == 4
    assert len(contacts(settings)) == 3


def test_amocrm_style_headers_with_commas(settings: Settings) -> None:
    code, out, err = run_import(settings, str(AMOCRM))

    assert code == 0, err
    assert "(csv, utf-8, ',')" in out
    counts = summary(out)
    assert counts["imported"] == 1 and counts["within"] == 1 and counts["rejected"] == 1
    [orlov] = contacts(settings)
    assert orlov["name"] == "Дмитрий Орлов"
    assert orlov["phones"] == ["+73432223344"]


def test_rerun_of_an_imported_file_changes_nothing(settings: Settings) -> None:
    assert run_import(settings, str(JSONL))[0] == 0
    before = contacts(settings)

    code, out, err = run_import(settings, str(JSONL))

    assert code == 0, err
    assert "already imported completely" in out
    assert contacts(settings) == before


def test_import_resumes_after_an_interruption(settings: Settings, tmp_path: Path) -> None:
    code, out, err = run_import(settings, str(JSONL), "--stop-after", "4", "--batch-size", "3")

    assert code == 0, err
    assert "stopped after line 4" in out  # a batch of 3 records, then one more
    assert [c["name"] for c in contacts(settings)] == ["Иванов Иван", "Анна Петрова"]

    code, out, err = run_import(settings, str(JSONL))

    assert code == 0, err
    assert "resumed: lines 1-4 were imported by an earlier run" in out
    counts = summary(out)
    assert counts["imported"] == 2 and counts["rejected"] == 2  # lines 5 and 6
    assert_same_as_one_run(settings, tmp_path)


async def test_crash_inside_a_batch_loses_only_that_batch(
    settings: Settings, tmp_path: Path
) -> None:
    class CrashingFile(ImportFile):
        def rows(self) -> Iterator[ImportRow]:
            for row in super().rows():
                if row.line == 9:
                    raise RuntimeError("killed")
                yield row

    plain = open_import_file(JSONL)
    crashing = CrashingFile(plain.path, plain.format, plain.encoding, plain.sha256, plain.lines)
    options = ImportOptions(JSONL, batch_size=2)
    storage = SqliteStorage(settings.database.sqlite_path)
    try:
        await prepare_storage(settings, storage)
        with pytest.raises(RuntimeError, match="killed"):
            await import_contacts(storage, crashing, options, "RU", settings.dedupe, io.StringIO())
        # Batches (1, 2), (3, 4), (5, 6) were committed; line 7's contact was rolled back.
        assert [c["name"] for c in contacts(settings)] == ["Иванов Иван", "Анна Петрова"]

        report = await import_contacts(
            storage, plain, options, "RU", settings.dedupe, io.StringIO()
        )
    finally:
        await storage.close()
    assert report.resumed_after == 6
    assert (report.done.created, report.done.rejected) == (2, 0)
    assert_same_as_one_run(settings, tmp_path)


def assert_same_as_one_run(settings: Settings, tmp_path: Path) -> None:
    """The interrupted-and-resumed database holds what a single run would have made."""
    once = tmp_path / "once"
    once.mkdir()
    config = Path(settings.source).read_text("utf-8")
    single = once / "leadintake.toml"
    single.write_text(config.replace(str(tmp_path / "db.sqlite3"), str(once / "db.sqlite3")))
    result = run_cli("--config", str(single), "import-contacts", str(JSONL))
    assert result.returncode == 0, result.stderr

    def shape(db: Path) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT name, phones, emails, company_id, external_ref FROM contacts ORDER BY id"
            ).fetchall()

    assert shape(settings.database.sqlite_path) == shape(once / "db.sqlite3")


def test_owner_is_assigned_to_new_contacts_and_companies(settings: Settings) -> None:
    code, _, err = run_import(settings, str(BITRIX_UTF8), "--owner", "petrov")

    assert code == 0, err
    with sqlite3.connect(settings.database.sqlite_path) as db:
        [(petrov,)] = db.execute("SELECT id FROM managers WHERE login = 'petrov'").fetchall()
    assert {c["owner_id"] for c in contacts(settings)} == {petrov}
    assert {c["owner_id"] for c in companies(settings)} == {petrov}


def test_unknown_owner_is_a_configuration_error(settings: Settings) -> None:
    code, _, err = run_import(settings, str(JSONL), "--owner", "ghost")

    assert code == 2
    assert "ghost" in err
    assert contacts(settings) == []


def test_dry_run_reports_the_same_outcome_and_saves_nothing(settings: Settings) -> None:
    assert run_import(settings, str(JSONL))[0] == 0
    before = contacts(settings)

    code, out, err = run_import(settings, str(BITRIX_UTF8), "--dry-run")

    assert code == 0, err
    assert "dry run: nothing was saved" in out
    counts = summary(out)
    assert counts["imported"] == 2 and counts["existing"] == 2
    assert contacts(settings) == before
    # Nothing was checkpointed either: the real run does the whole file.
    code, out, err = run_import(settings, str(BITRIX_UTF8))
    assert code == 0, err
    assert summary(out)["imported"] == 2 and "resumed" not in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.jsonl", '{"name": "Иван"}\n'.encode("cp1251"), "cannot decode: not UTF-8"),
        ("broken.csv", b"\xd0\x98\xd0\xbc\xd1\x8f\n\x98\x98\n", "not UTF-8 or Windows-1251"),
        ("export.csv", b"PK\x03\x04rest-of-zip", "Excel/zip file"),
        ("strange.csv", "Цвет;Размер\nкрасный;XL\n".encode(), "no known column"),
        ("empty.csv", b"", "the file is empty"),
        ("contacts.xml", b"<contacts/>", "pass --format"),
    ],
)
def test_unreadable_files_exit_1_naming_the_problem(
    settings: Settings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    code, out, err = run_import(settings, str(path))

    assert code == 1, out
    assert message in err
    assert not settings.database.sqlite_path.exists()  # checked before the database


def test_missing_file_exits_1(settings: Settings, tmp_path: Path) -> None:
    code, _, err = run_import(settings, str(tmp_path / "nope.csv"))
    assert code == 1
    assert "no such file" in err


def test_database_unavailable_exits_3(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").mkdir()  # a directory where the database file should be

    code, _, err = run_import(settings, str(JSONL))

    assert code == 3
    assert "database unavailable" in err


def test_possible_duplicates_are_created_with_their_candidates(settings: Settings) -> None:
    code, out, err = run_import(settings, str(FIXTURES / "possible_duplicates.jsonl"))

    assert code == 0, err
    counts = summary(out)
    assert counts["imported"] == 1 and counts["possible duplicates, created"] == 2
    first, second, third = contacts(settings)
    assert second["company_id"] == first["company_id"] is not None  # "Альфа Трейд" reused
    with sqlite3.connect(settings.database.sqlite_path) as db:
        entries = db.execute(
            "SELECT entity_id, after FROM audit_log"
            " WHERE entity = 'contact' AND action = 'imported' ORDER BY entity_id"
        ).fetchall()
    explained = {contact_id: json.loads(after).get("dedupe") for contact_id, after in entries}
    assert explained[first["id"]] is None
    for contact in (second, third):
        assert explained[contact["id"]]["decision"] == "review"
        assert explained[contact["id"]]["contact_id"] == first["id"]


async def test_import_and_resume_on_each_database(storage: Storage) -> None:
    file = open_import_file(JSONL)
    first = await import_contacts(
        storage, file, ImportOptions(JSONL, stop_after=3), "RU", Thresholds(), io.StringIO()
    )
    rest = await import_contacts(
        storage, file, ImportOptions(JSONL), "RU", Thresholds(), io.StringIO()
    )
    again = await import_contacts(
        storage, file, ImportOptions(JSONL), "RU", Thresholds(), io.StringIO()
    )

    assert first.stopped and (first.done.created, first.done.merged_within) == (2, 1)
    assert rest.resumed_after == 3
    assert (rest.done.created, rest.done.rejected) == (2, 3)
    assert again.already_complete is not None and again.done.rows == 0
