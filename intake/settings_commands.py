"""`leadintake settings export | import FILE [--dry-run]`: the sales setup as TOML.

Export prints the managers, queues, pipelines, forms, junk reasons, channel declarations, phone
lines and extensions as the database holds them, as the config file's `[[managers]]`,
`[[queues]]`, `[[pipelines]]`, `[[forms]]`, `[leads] junk_reasons`, `[telegram]`, `[vk]`,
`[email]`, `[telephony]`, `[avito]` (names of environment variables, never secrets),
`[telephony.lines."<number>"]` and `[telephony.extensions]`;
import reads those tables of a file (other tables are not read, so a whole config file works),
checks the setup they make with the database's as the config checker does, prints the diff
against the database and applies it unless `--dry-run`. An object missing from the file is
kept as is.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from pathlib import Path

from config import Settings
from config.reader import ConfigError
from config.sales_documents import read_sales_toml, sales_toml
from config.settings import SalesSection
from crm_core.errors import DomainError
from intake.bootstrap import Services, build_services, load_team, prepare_storage
from intake.settings_changes import check_with, import_documents, plan_import
from intake.team_settings import stored_documents

CLI_ACTOR = "cli"


def add_settings_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`settings export` and `settings import`."""
    settings = commands.add_parser("settings", help="the sales setup as TOML: export and import")
    sub = settings.add_subparsers(dest="settings_command", required=True)
    sub.add_parser("export", help="print the sales setup (managers ... channels) as TOML")
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
        wanted, present = read_sales_toml(text, str(args.file))
    except OSError as err:
        print(f"cannot read {args.file}: {err}", file=sys.stderr)
        return 2
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_import(settings, wanted, present, args.file, dry_run=args.dry_run))
    except DomainError as err:
        print(f"refused, nothing changed: {err.field}: {err.message}", file=sys.stderr)
        return 1


async def export_text(settings: Settings) -> str:
    """The stored sales setup as TOML."""
    services = await _opened(settings)
    try:
        async with services.storage.reader() as uow:
            documents = await stored_documents(uow, services.settings)
        return sales_toml(documents)
    finally:
        await services.storage.close()


async def _import(
    settings: Settings,
    wanted: SalesSection,
    present: frozenset[str],
    source: Path,
    *,
    dry_run: bool,
) -> int:
    services = await _opened(settings)
    try:
        async with services.storage.reader() as uow:
            current = await stored_documents(uow, services.settings)
        plan = plan_import(current, wanted, present)
        check_with(plan.after, services.settings)
        diff = difflib.unified_diff(
            sales_toml(current).splitlines(keepends=True),
            sales_toml(plan.after).splitlines(keepends=True),
            "database",
            str(source),
        )
        sys.stdout.writelines(diff)
        if plan.empty:
            print(f"no changes ({plan.summary()})")
            return 0
        if dry_run:
            print(f"dry run, nothing applied ({plan.summary()})")
            return 0
        await load_team(services)
        await import_documents(services, CLI_ACTOR, plan)
        print(f"applied ({plan.summary()})")
        return 0
    finally:
        await services.storage.close()


async def _opened(settings: Settings) -> Services:
    services = build_services(settings)
    await prepare_storage(settings, services.storage)
    return services
