"""`leadintake` command line: serve, migrate, token create, config check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from config import ConfigError, Settings, load_settings
from crm_core.storage import StorageUnavailable
from intake.auth import UnknownManager, create_token
from intake.bootstrap import build_storage, prepare_storage
from intake.dedupe_eval import EvalInput, run_eval
from intake.http.app import create_app
from intake.jsonl_input import InputError
from intake.logs import configure_logging

log = logging.getLogger("intake")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="leadintake", description=__doc__)
    parser.add_argument("--config", help="TOML file (default: LEADINTAKE_CONFIG or the demo)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="apply migrations and serve HTTP")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("check-config", help="validate the configuration and exit")
    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token; printed alone last")
    create.add_argument("--manager", required=True, metavar="LOGIN")
    evaluate = commands.add_parser(
        "dedupe-eval", help="decide every lead of a JSONL set against a JSONL base"
    )
    evaluate.add_argument("--contacts", required=True, type=Path)
    evaluate.add_argument("--companies", type=Path)
    evaluate.add_argument("--leads", required=True, type=Path)
    evaluate.add_argument("--out", required=True, type=Path)
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


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        _serve(settings)
        return 0
    if args.command == "migrate":
        applied = asyncio.run(_migrate(settings))
        print("applied: " + (", ".join(applied) if applied else "nothing, up to date"))
        return 0
    if args.command == "dedupe-eval":
        return _dedupe_eval(args, settings)
    if args.command == "check-config":
        print(f"configuration OK: {settings.source}")
        return 0
    try:
        token = asyncio.run(_create_token(settings, args.manager))
    except UnknownManager:
        print(f"no active manager with login {args.manager!r}", file=sys.stderr)
        return 1
    print(f"token for {args.manager} (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)
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


def _serve(settings: Settings) -> None:
    http = settings.http
    log.info(
        "serving host=%s port=%d database=%s",
        http.host,
        http.port,
        settings.database.url.split(":", 1)[0],
    )
    web.run_app(
        create_app(settings),
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


async def _create_token(settings: Settings, login: str) -> str:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        return await create_token(storage, login)
    finally:
        await storage.close()
