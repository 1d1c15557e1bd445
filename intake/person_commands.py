"""`leadintake person find|export|erase|retention`: a person's data on request (152-FZ) and
the retention job, from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable

from config import Settings
from crm_core.errors import DomainError
from crm_core.model import Manager, Role
from crm_core.persons import (
    ErasureResult,
    Subject,
    apply_retention,
    erase_person,
    export_person,
    find_person,
    subject_of,
)
from intake.bootstrap import build_storage, prepare_storage
from intake.clock import utcnow

CLI_ACTOR = Manager(
    id=0,
    login="cli",
    name="командная строка",
    role=Role.HEAD,
    email=None,
    telegram_chat_id=None,
    timezone="UTC",
    active=True,
)


def add_person_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`person find|export|erase|retention`."""
    person = commands.add_parser("person", help="a person's data on request (152-FZ)")
    actions = person.add_subparsers(dest="person_command", required=True)
    for name, text in (
        ("find", "every record held on a person: ids by table"),
        ("export", "everything held on a person, as JSON"),
        ("erase", "erase a person's data everywhere (asks to confirm unless --yes)"),
    ):
        action = actions.add_parser(name, help=text)
        who = action.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", metavar="P")
        who.add_argument("--email", metavar="E")
        if name == "erase":
            action.add_argument("--reason", required=True, metavar="TEXT")
            action.add_argument("--yes", action="store_true", help="do not ask to confirm")
    retention = actions.add_parser(
        "retention", help="anonymise junk and unconverted leads past [privacy] retention_days"
    )
    retention.add_argument("--dry-run", action="store_true", help="only count, change nothing")


def run_person_command(
    args: argparse.Namespace, settings: Settings, ask: Callable[[str], str] = input
) -> int:
    """Run one `person` subcommand; the exit status."""
    if args.person_command == "retention":
        done = asyncio.run(_retention(settings, args.dry_run))
        verb = "would anonymise" if args.dry_run else "anonymised"
        print(f"retention: {verb} {_counts(done)}" + (f" erasure={done.id}" if done.id else ""))
        return 0
    try:
        subject = subject_of(args.phone, args.email, settings.intake.default_region)
    except DomainError as err:
        print(f"--{err.field}: {err.message}", file=sys.stderr)
        return 2
    if args.person_command == "erase" and not args.yes:
        answer = ask("Erase this person's data everywhere? This cannot be undone. Type yes: ")
        if answer.strip().lower() not in ("yes", "y", "да"):
            print("nothing erased", file=sys.stderr)
            return 1
    return asyncio.run(_run(settings, args, subject))


async def _run(settings: Settings, args: argparse.Namespace, subject: Subject) -> int:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        if args.person_command == "erase":
            async with storage.transaction() as uow:
                done = await erase_person(uow, CLI_ACTOR, subject, args.reason, utcnow())
            print(f"erasure {done.id}: {_counts(done)}")
            return 0
        async with storage.reader() as uow:
            if args.person_command == "find":
                found = await find_person(uow, subject)
                tables = {t: sorted(ids) for t, ids in sorted(found.ids.items()) if ids}
                print(json.dumps(tables, ensure_ascii=False, indent=2))
            else:
                rows = await export_person(uow, subject)
                print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    finally:
        await storage.close()


async def _retention(settings: Settings, dry_run: bool) -> ErasureResult:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        async with storage.transaction() as uow:
            return await apply_retention(
                uow, settings.privacy.retention_days, utcnow(), dry_run=dry_run
            )
    finally:
        await storage.close()


def _counts(done: ErasureResult) -> str:
    return " ".join(f"{t}={n}" for t, n in done.counts.items()) or "nothing"
