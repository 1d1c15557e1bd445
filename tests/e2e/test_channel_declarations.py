"""Channel declarations in the database: seeded once from the file's `[telegram]`, `[vk]`...
tables (names of environment variables, never secrets), ruling afterwards (the file's channel
tables ignored with a log line), changed by `settings import` without a restart on every
instance, and exported and imported round-trip identical; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from config.reader import ConfigError
from config.sales_documents import read_sales_toml, sales_toml
from crm_core.errors import DomainError
from crm_core.storage import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from intake.settings_changes import check_with, import_documents, plan_import
from intake.team_settings import stored_documents
from tests.conftest import config_settings, pg_schema, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import page
from tests.e2e.test_workplace_channels import (
    GROUP,
    SECRET,
    TOKEN,
    VK_SECRET,
    VK_TOKEN,
    World,
    wait,
    world,  # noqa: F401 - a fixture
)

KIND = "channel_declarations"


@asynccontextmanager
async def two_storages(kind: str, tmp_path: Path) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two unopened storages on one fresh database (two instances, or a restart)."""
    if kind == "sqlite":
        async with storage_of_kind(kind, tmp_path) as first:
            yield first, SqliteStorage(tmp_path / "test.sqlite3")
        return
    async with pg_schema() as (url, schema):
        yield (
            PostgresStorage(url, min_size=1, max_size=4, schema=schema),
            PostgresStorage(url, min_size=1, max_size=4, schema=schema),
        )


async def exported(running: Running) -> str:
    """What `leadintake settings export` prints for this database."""
    async with running.services.storage.reader() as uow:
        return sales_toml(await stored_documents(uow, running.services.settings))


async def imported(running: Running, text: str) -> str:
    """`leadintake settings import` of a text: the plan's summary (applied unless empty)."""
    wanted, present = read_sales_toml(text, "team.toml")
    async with running.services.storage.reader() as uow:
        current = await stored_documents(uow, running.services.settings)
    plan = plan_import(current, wanted, present)
    check_with(plan.after, running.services.settings)
    if not plan.empty:
        await import_documents(running.services, "cli", plan)
    return ("no changes " if plan.empty else "applied ") + plan.summary()


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
async def test_declarations_are_seeded_once_then_the_database_rules_on_every_instance(
    db: str,
    world: World,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with two_storages(db, tmp_path) as (first, second):
        async with run_service(world.settings, first) as a:
            telegram_base = world.settings.telegram_bots[0].api_base
            vk_base = world.settings.vk_groups[0].api_base
            async with a.services.storage.reader() as uow:
                stored = {s.key: dict(s.data) for s in await uow.settings.list(KIND)}
            assert stored == {
                "telegram": {
                    "channel": "telegram",
                    "bots": [{"name": "sales", "api_base": telegram_base}],
                },
                "vk": {
                    "channel": "vk",
                    "groups": [
                        {"group_id": GROUP, "confirmation": "c0nf1rm", "api_base": vk_base}
                    ],
                },
            }
            text = await exported(a)
            assert '[telegram]\nbots = [\n  { name = "sales", api_base = ' in text
            assert f"[vk]\ngroups = [\n  {{ group_id = {GROUP}," in text
            for secret in (TOKEN, SECRET, VK_TOKEN, VK_SECRET):
                assert secret not in text and secret not in str(stored)
            # Exported and imported again: nothing to change, the same text.
            assert (await imported(a, text)).startswith("no changes")
            assert await exported(a) == text

            async with run_service(world.settings, second) as b:
                changed = text.replace('{ name = "sales",', '{ name = "sales", ask_phone = false,')
                summary = await imported(a, changed)
                assert "channel_declarations: added -, changed telegram, kept" in summary
                # Applied here at once, with the secrets from the environment as before...
                bot = a.services.settings.telegram_bots[0]
                assert bot.ask_phone is False and bot.token == TOKEN
                # ...and on the other instance within 2 s, no restart.
                await wait(
                    lambda: not b.services.settings.telegram_bots[0].ask_phone,
                    2.5,
                    "the second instance's bot",
                )
                assert b.services.settings.telegram_bots[0].webhook_secret == SECRET
            again = await exported(a)
            assert "ask_phone = false" in again
            assert (await imported(a, again)).startswith("no changes")
            assert await exported(a) == again
            # A declaration naming a queue nobody has: refused, nothing changed.
            with pytest.raises(DomainError) as refused:
                await imported(a, again.replace("ask_phone = false", 'queue = "nope"'))
            assert "unknown queue 'nope'" in refused.value.message
            assert await exported(a) == again
            # A community switched to Long Poll: its poller starts with the process only, and
            # the channels page says so rather than pretend.
            _, html = await page(a, "/settings/channels", "head")
            assert 'id="after-restart"' not in html and "после перезапуска сервиса" in html
            longpoll = 'confirmation = "c0nf1rm", mode = "longpoll",'
            await imported(a, again.replace('confirmation = "c0nf1rm",', longpoll))
            _, html = await page(a, "/settings/channels", "head")
            assert "сообщества VK в режиме Long Poll — вступит в силу после перезапуска" in html
            await imported(a, again)
            _, html = await page(a, "/settings/channels", "head")
            assert 'id="after-restart"' not in html

        # A restart with a file declaring another bot: the database rules, the log says so.
        (tmp_path / "other").mkdir()
        other = config_settings(
            tmp_path / "other",
            '\n[[telegram.bots]]\nname = "other"\n',
            {"LEADINTAKE_TELEGRAM_OTHER_TOKEN": "1:other"},
        )
        restarted = SqliteStorage(tmp_path / "test.sqlite3") if db == "sqlite" else second
        caplog.set_level(logging.INFO, "intake.team_settings")
        async with run_service(other, restarted) as c:
            assert [b.name for b in c.services.settings.telegram_bots] == ["sales"]
            assert c.services.settings.telegram_bots[0].ask_phone is False
        ruled = [
            r.getMessage() for r in caplog.records if "sales_settings_from_database" in r.message
        ]
        assert ruled and "channel_declarations" in ruled[-1]
        assert "[telegram] [vk] [email] [telephony] [avito] channel declarations" in ruled[-1]


def test_a_secret_written_into_a_declaration_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        read_sales_toml('[[telegram.bots]]\nname = "x"\ntoken = "123:abc"\n', "team.toml")
    assert "telegram.bots[0].token: secrets are not stored" in str(refused.value)
    assert refused.value.field == "telegram.bots[0].token"
