"""`leadintake` command line: serve, migrate, token create/list/revoke, inbox review, config
check, managers' web passwords and sessions, the duplicate index's re-index."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from aiohttp import web

from config import ConfigError, Settings, load_settings
from crm_core.reindexing import BATCH as REINDEX_BATCH
from crm_core.reindexing import ReindexReport, reindex_all
from crm_core.storage import MigrationChanged, StorageUnavailable
from crm_core.tokens import UnknownManager
from dedupe.keys import Entity
from intake import worker_process
from intake.auth import create_token
from intake.bootstrap import build_storage, prepare_storage
from intake.http.app import create_app
from intake.inbox_admin import add_inbox_commands, run_inbox_command
from intake.logs import configure_logging
from intake.person_commands import add_person_commands, run_person_command
from intake.settings_commands import add_settings_commands, run_settings_command
from intake.token_commands import render_tokens, token_list, token_revoke
from intake.user_commands import add_user_commands, demo_passwords, run_user_command
from offline.contact_import import (
    BATCH,
    ImportFileError,
    ImportOptions,
    UnknownOwner,
    run_import_command,
)
from offline.dedupe_eval import EvalInput, run_eval
from offline.jsonl_input import InputError

log = logging.getLogger("intake")
REINDEX_PROGRESS_EVERY = 100_000


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="leadintake", description=__doc__)
    parser.add_argument("--config", help="TOML file (default: LEADINTAKE_CONFIG or the demo)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations and serve HTTP")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="only take requests; run `leadintake worker` to turn them into leads",
    )
    commands.add_parser(
        "worker", help="turn stored requests into leads (beside serve --no-worker)"
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("check-config", help="validate the configuration and exit")
    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token; printed alone last")
    create.add_argument("--manager", required=True, metavar="LOGIN")
    token_commands.add_parser("list", help="every token: id, login, created, last used, expires")
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", type=int, metavar="TOKEN_ID")
    add_inbox_commands(commands)
    add_user_commands(commands)
    add_settings_commands(commands)
    add_person_commands(commands)
    evaluate = commands.add_parser(
        "dedupe-eval", help="decide every lead of a JSONL set against a JSONL base"
    )
    evaluate.add_argument("--contacts", required=True, type=Path)
    evaluate.add_argument("--companies", type=Path)
    evaluate.add_argument("--leads", required=True, type=Path)
    evaluate.add_argument("--out", required=True, type=Path)
    dedupe = commands.add_parser("dedupe", help="the duplicate detector's index")
    dedupe_commands = dedupe.add_subparsers(dest="dedupe_command", required=True)
    reindex = dedupe_commands.add_parser(
        "reindex",
        help="re-key every contact, company and open lead (after an upgrade that changed the"
        " detector's keys); batched, safe to interrupt and to run again",
    )
    reindex.add_argument("--batch-size", type=int, default=REINDEX_BATCH, metavar="N")
    imports = commands.add_parser(
        "import-contacts",
        help="import contacts from JSONL or a CSV export (Bitrix24, amoCRM), merging duplicates",
    )
    imports.add_argument("file", type=Path, metavar="FILE")
    imports.add_argument(
        "--format", choices=("jsonl", "csv"), help="default: from the file's extension"
    )
    imports.add_argument("--owner", metavar="LOGIN", help="manager responsible for new contacts")
    imports.add_argument(
        "--dry-run", action="store_true", help="decide every record, save nothing"
    )
    # Hidden: stop cleanly after N records (how tests interrupt an import deterministically).
    imports.add_argument("--stop-after", type=int, metavar="N", help=argparse.SUPPRESS)
    imports.add_argument("--batch-size", type=int, default=BATCH, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `leadintake` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return _dispatch(args, settings)
    except StorageUnavailable as err:
        print(f"database unavailable: {err}", file=sys.stderr)
        return 3
    except MigrationChanged as err:
        print(f"refusing to start: {err}", file=sys.stderr)
        return 3


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        _serve(settings, worker=not args.no_worker)
        return 0
    if args.command == "worker":
        worker_process.main(settings)
        return 0
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print("applied: " + (", ".join(applied) if applied else "nothing, up to date"))
        return 0
    if args.command == "dedupe-eval":
        return _dedupe_eval(args, settings)
    if args.command == "dedupe":
        report = asyncio.run(_reindex(settings, args.batch_size))
        print(report.render())
        return 0
    if args.command == "import-contacts":
        return _import_contacts(args, settings)
    if args.command == "inbox":
        print(asyncio.run(run_inbox_command(settings, args)))
        return 0
    if args.command == "user":
        return run_user_command(args, settings)
    if args.command == "person":
        return run_person_command(args, settings)
    if args.command == "settings":
        return run_settings_command(args, settings)
    if args.command == "demo-passwords":
        return demo_passwords(settings)
    if args.command == "check-config":
        print(f"configuration OK: {settings.source}")
        return 0
    if args.token_command in ("list", "revoke"):
        return _token_command(args, settings)
    try:
        token = asyncio.run(_create_token(settings, args.manager))
    except UnknownManager:
        print(f"no active manager with login {args.manager!r}", file=sys.stderr)
        return 1
    print(f"token for {args.manager} (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)
    return 0


def _token_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.token_command == "list":  # noqa: S105 - a subcommand name
        print(render_tokens(asyncio.run(token_list(settings))))
        return 0
    revoked = asyncio.run(token_revoke(settings, args.token_id))
    if revoked is None:
        print(f"no token with id {args.token_id}", file=sys.stderr)
        return 1
    print(f"token {revoked.id} of {revoked.login} revoked")
    return 0


def _dedupe_eval(args: argparse.Namespace, settings: Settings) -> int:
    files = EvalInput(args.contacts, args.companies, args.leads, args.out)
    for label, path in (("--contacts", files.contacts), ("--leads", files.leads)):
        if not path.is_file():
            print(f"{label}: no such file: {path}", file=sys.stderr)
            return 2
    if files.companies is not None and not files.companies.is_file():
        print(f"--companies: no such file: {files.companies}", file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(run_eval(files, settings.intake.default_region, settings.dedupe))
    except InputError as err:
        print(f"malformed input: {err}", file=sys.stderr)
        return 1
    counts = " ".join(f"{k}={v}" for k, v in summary.verdicts.items())
    print(
        f"dedupe-eval: contacts={summary.contacts} companies={summary.companies}"
        f" leads={summary.leads} {counts} seconds={summary.seconds:.1f} out={files.out}"
    )
    return 0


def _import_contacts(args: argparse.Namespace, settings: Settings) -> int:
    options = ImportOptions(
        args.file, args.format, args.owner, args.dry_run, args.stop_after, args.batch_size
    )
    try:
        report = asyncio.run(
            run_import_command(
                settings, options, build_storage(settings), partial(prepare_storage, settings)
            )
        )
    except ImportFileError as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    except UnknownOwner as err:
        print(f"--owner: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: committed batches are kept; run the same command again to continue",
            file=sys.stderr,
        )
        return 130
    print(report.render())
    return 0


def _serve(settings: Settings, *, worker: bool = True) -> None:
    http = settings.http
    log.info(
        "serving host=%s port=%d database=%s",
        http.host,
        http.port,
        settings.database.url.split(":", 1)[0],
    )
    web.run_app(
        create_app(settings, worker=worker),
        host=http.host,
        port=http.port,
        access_log=None,
        print=lambda _: None,
        shutdown_timeout=10,
    )


async def _migrate(settings: Settings) -> list[str]:
    storage = build_storage(settings)
    try:
        return await prepare_storage(settings, storage)
    finally:
        await storage.close()


async def _reindex(settings: Settings, batch: int) -> ReindexReport:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        batch = max(batch, 1)

        async def progress(entity: Entity, done: int) -> None:
            # A million contacts take minutes: a line now and then shows it is moving.
            if done % REINDEX_PROGRESS_EVERY < batch:
                print(f"reindex: {entity.value} records read: {done}", file=sys.stderr)

        return await reindex_all(storage.transaction, batch, progress)
    finally:
        await storage.close()


async def _create_token(settings: Settings, login: str) -> str:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        return await create_token(
            storage, login, expires_in=timedelta(days=settings.tokens.expiry_days)
        )
    finally:
        await storage.close()
