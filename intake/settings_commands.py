"""`leadintake settings export | import FILE [--dry-run]`: the team as `[[managers]]` TOML.

Export prints the managers as the database holds them; import reads a file's `[[managers]]`
(other tables are not read, so a whole config file works), checks them as the config checker
does, prints the diff against the database and applies it unless `--dry-run`. A manager
missing from the file is kept as is.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from pathlib import Path

from config import Settings
from config.reader import ConfigError
from config.settings import ManagerSettings
from config.team_documents import managers_toml, read_managers
from crm_core.errors import DomainError
from intake.bootstrap import Services, build_services, load_team, prepare_storage
from intake.manager_changes import import_managers, plan_import
from intake.team_settings import stored_managers

CLI_ACTOR = "cli"


def add_settings_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`settings export` and `settings import`."""
    settings = commands.add_parser("settings", help="the sales team as TOML: export and import")
    sub = settings.add_subparsers(dest="settings_command", required=True)
    sub.add_parser("export", help="print the managers as [[managers]] TOML")
    imports = sub.add_parser("import", help="show the diff with a TOML file, then apply it")
    imports.add_argument("file", metavar="FILE", type=Path)
    imports.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")


def run_settings_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run `settings export|import`; the exit status."""
    if args.settings_command == "export":
        sys.stdout.write(asyncio.run(export_text(settings)))
        return 0
    try:
        text = args.file.read_text(encoding="utf-8")
        wanted = read_managers(text, str(args.file))
    except OSError as err:
        print(f"cannot read {args.file}: {err}", file=sys.stderr)
        return 2
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_import(settings, wanted, args.file, dry_run=args.dry_run))
    except DomainError as err:
        print(f"refused, nothing changed: {err.field}: {err.message}", file=sys.stderr)
        return 1


async def export_text(settings: Settings) -> str:
    """The stored managers as TOML."""
    services = await _opened(settings)
    try:
        async with services.storage.reader() as uow:
            managers = await stored_managers(uow) or ()
        return managers_toml(managers)
    finally:
        await services.storage.close()


async def _import(
    settings: Settings, wanted: tuple[ManagerSettings, ...], source: Path, *, dry_run: bool
) -> int:
    services = await _opened(settings)
    try:
        async with services.storage.reader() as uow:
            current = await stored_managers(uow) or ()
        by_login = {m.login: m for m in wanted}
        # The database after the import: its managers, replaced or joined by the file's.
        after = [by_login.pop(m.login, m) for m in current] + list(by_login.values())
        diff = difflib.unified_diff(
            managers_toml(current).splitlines(keepends=True),
            managers_toml(after).splitlines(keepends=True),
            "database",
            str(source),
        )
        sys.stdout.writelines(diff)
        plan = plan_import(current, wanted)
        summary = (
            f"added: {', '.join(plan.added) or '-'}; changed: {', '.join(plan.changed) or '-'};"
            f" kept (not in the file): {', '.join(plan.kept) or '-'}"
        )
        if plan.empty:
            print(f"no changes ({summary})")
            return 0
        if dry_run:
            print(f"dry run, nothing applied ({summary})")
            return 0
        await load_team(services)
        await import_managers(services, CLI_ACTOR, wanted)
        print(f"applied ({summary})")
        return 0
    finally:
        await services.storage.close()


async def _opened(settings: Settings) -> Services:
    services = build_services(settings)
    await prepare_storage(settings, services.storage)
    return services
