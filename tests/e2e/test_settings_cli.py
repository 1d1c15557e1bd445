"""`leadintake settings export | import`: the team as `[[managers]]` TOML, round-trip identical."""

from __future__ import annotations

from pathlib import Path

from config import Settings
from crm_core.storage.sqlite import SqliteStorage
from tests.e2e.test_cli import run_cli

ABSENCE = (
    "absences = [\n"
    '  { from = 2026-12-29T00:00:00+03:00, to = 2027-01-09T00:00:00+03:00, note = "отпуск" },\n'
    "]\n"
)


def settings_cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    done = run_cli("--config", settings.source, "settings", *args)
    return done.returncode, done.stdout, done.stderr


async def test_export_import_round_trip_is_identical(settings: Settings, tmp_path: Path) -> None:
    code, exported, err = settings_cli(settings, "export")
    assert code == 0, err
    assert exported.count("[[managers]]") == 3 and 'login = "petrov"' in exported
    team = tmp_path / "team.toml"
    team.write_text(exported, "utf-8")
    code, out, err = settings_cli(settings, "import", str(team))
    assert code == 0, err
    assert out.startswith("no changes")
    # Petrov goes on leave and a new manager joins, in the file.
    changed = (
        exported.replace('name = "Пётр Петров"\n', 'name = "Пётр Петров"\n' + ABSENCE)
        + '\n[[managers]]\nlogin = "sidorov"\nname = "Иван Сидоров"\n'
    )
    team.write_text(changed, "utf-8")
    code, out, err = settings_cli(settings, "import", str(team), "--dry-run")
    assert code == 0, err
    assert "+  { from = 2026-12-29T00:00:00+03:00" in out and '+login = "sidorov"' in out
    assert "dry run, nothing applied" in out
    assert settings_cli(settings, "export")[1] == exported
    code, out, err = settings_cli(settings, "import", str(team))
    assert code == 0, err
    assert "applied (managers: added sidorov, changed petrov," in out
    code, again, err = settings_cli(settings, "export")
    assert code == 0, err
    team.write_text(again, "utf-8")
    assert settings_cli(settings, "import", str(team))[1].startswith("no changes")
    assert settings_cli(settings, "export")[1] == again
    assert 'note = "отпуск"' in again and 'login = "sidorov"' in again
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        async with storage.reader() as uow:
            sidorov = await uow.managers.get_by_login("sidorov")
            assert sidorov is not None and sidorov.active
            petrov = await uow.managers.get_by_login("petrov")
            assert petrov is not None
            audit = await uow.audit.for_entity("manager", petrov.id)
    finally:
        await storage.close()
    assert [(a.actor, a.action) for a in audit] == [("cli", "update")]


def test_an_invalid_file_is_refused_and_changes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    code, exported, _ = settings_cli(settings, "export")
    assert code == 0
    team = tmp_path / "team.toml"
    petrov = 'name = "Пётр Петров"\nrole = "manager"\ntimezone = "Europe/Moscow"'
    assert petrov in exported
    team.write_text(exported.replace(petrov, petrov.replace("Europe/Moscow", "Mars")), "utf-8")
    code, _, err = settings_cli(settings, "import", str(team))
    assert code == 2
    assert "managers[1].timezone: unknown time zone 'Mars'" in err
    assert settings_cli(settings, "export")[1] == exported


def test_lines_extensions_and_junk_reasons_round_trip(settings: Settings, tmp_path: Path) -> None:
    code, exported, err = settings_cli(settings, "export")
    assert code == 0, err
    assert '[leads]\njunk_reasons = [\n  { key = "no_answer"' in exported
    team = tmp_path / "lines.toml"
    # A file with only lines and extensions: checked with the database's queues and team.
    team.write_text(
        '[telephony.lines."+7 (495) 123-45-67"]\nsource = "site"\nqueue = "main"\n\n'
        '[telephony.extensions]\n"101" = "ivanova"\n',
        "utf-8",
    )
    code, out, err = settings_cli(settings, "import", str(team))
    assert code == 0, err
    assert "lines: added 74951234567" in out and "extensions: added 101" in out
    code, again, err = settings_cli(settings, "export")
    assert code == 0, err
    assert '[telephony.lines."74951234567"]\nsource = "site"\nqueue = "main"\n' in again
    assert '[telephony.extensions]\n"101" = "ivanova"\n' in again
    team.write_text(again, "utf-8")
    code, out, err = settings_cli(settings, "import", str(team))
    assert code == 0 and out.startswith("no changes"), (out, err)
    assert settings_cli(settings, "export")[1] == again
    # A line naming a queue the database does not have: refused, nothing changed.
    team.write_text('[telephony.lines."74950000000"]\nqueue = "nope"\n', "utf-8")
    code, out, err = settings_cli(settings, "import", str(team))
    assert code == 1 and "unknown queue 'nope'" in err, (out, err)
    assert settings_cli(settings, "export")[1] == again
