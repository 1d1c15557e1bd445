"""`leadintake` command line: serve, migrate, token create, config check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from config import ConfigError, Settings, load_settings
from crm_core.storage import StorageUnavailable
from intake.auth import UnknownManager, create_token
from intake.bootstrap import build_storage, prepare_storage
from intake.http.app import create_app
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
