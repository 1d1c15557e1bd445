"""`leadintake user set-password | sessions | revoke-sessions` and `leadintake demo-passwords`:
managers' web sign-in from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from config import Settings
from config.manager_bot_settings import ManagerBotSettings
from config.settings import DEFAULT_CONFIG_PATH, PACKAGED_DEFAULT
from crm_core.errors import NotFound
from crm_core.sign_in import PasswordRefused, SessionPolicy
from crm_core.storage import Storage
from intake.bootstrap import build_storage, prepare_storage
from intake.clock import utcnow
from workplace.auth.passwords import verify_password_async
from workplace.auth.service import (
    UnknownLogin,
    revoke_sessions,
    sessions_of,
    set_password,
)
from workplace.auth.session import session_policy

T = TypeVar("T")
SESSION_COLUMNS = ("id", "created", "last_seen", "expires", "state", "user_agent")


class PasswordInputError(Exception):
    """The password could not be read (the message says why)."""


def add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`user ...` and `demo-passwords` subcommands."""
    user = commands.add_parser("user", help="managers' sign-in to the web workplace")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    setpw = user_commands.add_parser(
        "set-password",
        help="set a manager's password (read from standard input when it is not a terminal)",
    )
    setpw.add_argument("login", metavar="LOGIN")
    sessions = user_commands.add_parser("sessions", help="a manager's web sessions")
    sessions.add_argument("login", metavar="LOGIN")
    revoke = user_commands.add_parser(
        "revoke-sessions", help="sign a manager out everywhere (every web session ends)"
    )
    revoke.add_argument("login", metavar="LOGIN")
    link = user_commands.add_parser(
        "telegram-link",
        help="print a one-time link binding Telegram to the managers' bot",
    )
    link.add_argument("login", metavar="LOGIN")
    unlink = user_commands.add_parser(
        "telegram-unlink", help="unbind a manager's Telegram account from the managers' bot"
    )
    unlink.add_argument("login", metavar="LOGIN")
    commands.add_parser(
        "demo-passwords",
        help="demo configuration only: set the demo logins' passwords and print them",
    )


def read_password(stdin: TextIO | None = None) -> str:
    """One line of standard input when it is not a terminal (its line break dropped), else
    asked twice without echo."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        return stream.readline().removesuffix("\n").removesuffix("\r")
    first = getpass.getpass("Новый пароль: ")
    if getpass.getpass("Повторите пароль: ") != first:
        raise PasswordInputError("пароли не совпадают")
    return first


def run_user_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run a `user ...` subcommand; returns the exit code."""
    try:
        if args.user_command == "set-password":
            password = read_password()
            asyncio.run(_with_storage(settings, _set_password, args.login, password))
            print(f"password set for {args.login}; their web sessions were ended")
        elif args.user_command in ("telegram-link", "telegram-unlink"):
            return _telegram_command(args, settings)
        elif args.user_command == "sessions":
            print(asyncio.run(_with_storage(settings, _sessions, args.login)))
        else:
            ended = asyncio.run(_with_storage(settings, _revoke, args.login))
            print(f"{ended} session(s) of {args.login} ended")
    except PasswordInputError as err:
        print(f"password not set: {err}", file=sys.stderr)
        return 1
    except PasswordRefused as err:
        print(f"password not set: {err}", file=sys.stderr)
        return 1
    except UnknownLogin:
        print(f"no manager with login {args.login!r}", file=sys.stderr)
        return 1
    return 0


def _telegram_command(args: argparse.Namespace, settings: Settings) -> int:
    from workplace.bot.account import BotNotConfigured, BotUnavailable

    try:
        if args.user_command == "telegram-link":
            link = asyncio.run(
                _with_storage(settings, _bot_link, args.login, bot=settings.manager_bot)
            )
            print(f"one-time link for {args.login} (valid 24 h, opens the managers' bot):")
            print(link)
        else:
            unlinked = asyncio.run(_with_storage(settings, _bot_unlink, args.login))
            print(f"{args.login}: " + ("Telegram unlinked" if unlinked else "nothing was linked"))
    except BotNotConfigured:
        print(
            "the managers' bot is not configured: set LEADINTAKE_MANAGER_BOT_TOKEN",
            file=sys.stderr,
        )
        return 1
    except BotUnavailable:
        print(
            "the Bot API did not tell the bot's username (getMe failed):"
            " check the token, or set [manager_bot] username",
            file=sys.stderr,
        )
        return 1
    except NotFound:
        print(f"no active manager with login {args.login!r}", file=sys.stderr)
        return 1
    return 0


async def _bot_link(
    storage: Storage, login: str, bot: ManagerBotSettings, policy: SessionPolicy
) -> str:
    from workplace.bot.account import telegram_link

    return await telegram_link(storage, bot, login)


async def _bot_unlink(storage: Storage, login: str, policy: SessionPolicy) -> bool:
    from workplace.bot.account import telegram_unlink

    return await telegram_unlink(storage, login)


def demo_passwords(settings: Settings) -> int:
    """Give every demo manager a known password (unless one was set), and print them; only
    under the demo configuration, never a real one."""
    if not is_demo_config(settings):
        print(
            f"demo-passwords: {settings.source} is not the demo configuration; set passwords"
            " with `leadintake user set-password LOGIN`",
            file=sys.stderr,
        )
        return 1
    lines = asyncio.run(_with_storage(settings, _demo_passwords))
    print("demo passwords (demo configuration only):")
    print("\n".join(lines))
    return 0


def demo_password(login: str) -> str:
    """The demo password of a demo login."""
    return f"demo-{login}"


def is_demo_config(settings: Settings) -> bool:
    """Whether the settings come from the demo configuration shipped with the project."""
    source = Path(settings.source).resolve()
    return source in {DEFAULT_CONFIG_PATH.resolve(), PACKAGED_DEFAULT.resolve()}


async def _with_storage(
    settings: Settings, action: Callable[..., Awaitable[T]], *args: str, **kwargs: Any
) -> T:
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        return await action(storage, *args, **kwargs, policy=session_policy(settings))
    finally:
        await storage.close()


async def _set_password(
    storage: Storage, login: str, password: str, policy: SessionPolicy
) -> None:
    await set_password(storage, login, password, utcnow())


async def _sessions(storage: Storage, login: str, policy: SessionPolicy) -> str:
    _, sessions = await sessions_of(storage, login)
    now = utcnow()
    lines = ["\t".join(SESSION_COLUMNS)]
    for s in sessions:
        state = "revoked" if s.revoked_at else ("active" if s.is_live(now, policy) else "expired")
        lines.append(
            "\t".join(
                (
                    str(s.id),
                    s.created_at.isoformat(timespec="seconds"),
                    s.last_seen_at.isoformat(timespec="seconds"),
                    s.expires_at.isoformat(timespec="seconds"),
                    state,
                    s.user_agent or "-",
                )
            )
        )
    return "\n".join(lines)


async def _revoke(storage: Storage, login: str, policy: SessionPolicy) -> int:
    return await revoke_sessions(storage, login, utcnow())


async def _demo_passwords(storage: Storage, policy: SessionPolicy) -> list[str]:
    async with storage.reader() as uow:
        managers = [m for m in await uow.managers.list() if m.active]
    lines = []
    for manager in managers:
        password = demo_password(manager.login)
        async with storage.reader() as uow:
            found = await uow.credentials.for_login(manager.login)
        stored = found[1] if found else None
        if stored is None:
            await set_password(storage, manager.login, password, utcnow())
        elif not await verify_password_async(stored, password):
            lines.append(f"  {manager.login}\t(changed with user set-password: kept)")
            continue
        role = "руководитель" if manager.is_head else "менеджер"
        lines.append(f"  {manager.login}\t{password}\t{role}")
    return lines
