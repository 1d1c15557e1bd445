"""`leadintake user telegram-link LOGIN` and `telegram-unlink LOGIN`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config import Settings
from crm_core.bot_links import linked_manager, redeem_link_token
from crm_core.storage.sqlite import SqliteStorage
from intake.clock import utcnow

TOKEN = "7000001:AAH-managers-bot-token_for-the-cli"


def _cli(
    settings: Settings, *args: str, token: str | None = TOKEN
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADINTAKE_")}
    if token:
        env["LEADINTAKE_MANAGER_BOT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "intake", "--config", settings.source, "user", *args],
        capture_output=True,
        text=True,
        timeout=240,  # a loaded machine: the interpreter and aiogram take a while
        check=False,
        env=env,
    )


def _with_bot(settings: Settings) -> Settings:
    path = Path(settings.source)
    path.write_text(path.read_text("utf-8") + '\n[manager_bot]\nusername = "li_team_bot"\n')
    return settings


async def test_telegram_link_prints_a_one_time_deep_link(settings: Settings) -> None:
    _with_bot(settings)
    result = _cli(settings, "telegram-link", "petrov")
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith("https://t.me/li_team_bot?start=")
    token = link.rsplit("=", 1)[1]
    assert 20 <= len(token) <= 64
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        async with storage.transaction() as uow:
            # Only the token's hash is stored: the token itself matches no row.
            assert await uow.bot_links.redeem(token, utcnow()) is None
            first = await redeem_link_token(uow, token, 4242, "4242", utcnow())
            again = await redeem_link_token(uow, token, 4343, "4343", utcnow())
        assert first is not None and first.login == "petrov"
        assert again is None  # single use
        unlinked = _cli(settings, "telegram-unlink", "petrov")
        assert unlinked.returncode == 0 and "Telegram unlinked" in unlinked.stdout
        async with storage.reader() as uow:
            assert await linked_manager(uow, 4242) is None
    finally:
        await storage.close()


def test_telegram_link_without_a_bot_or_for_a_stranger_fails(settings: Settings) -> None:
    _with_bot(settings)
    result = _cli(settings, "telegram-link", "petrov", token=None)
    assert result.returncode == 1
    assert "LEADINTAKE_MANAGER_BOT_TOKEN" in result.stderr
    result = _cli(settings, "telegram-link", "ghost")
    assert result.returncode == 1
    assert "ghost" in result.stderr
