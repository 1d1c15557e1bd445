"""A person's data on request (152-FZ) over the running service, on each database: Иван
Петров writes by the website form, Telegram (sharing his phone) and e-mail (Dovecot), and
calls (Zadarma, missed); his first lead becomes a won deal. A head finds and exports him,
then erases him: no text or JSON column of any table (the raw inbox included) holds any of
his identifiers afterwards, the funnel and lead-quality reports answer the same, the erasure
is journaled with a printable act, a second erasure finds nothing, nothing more can be sent
to him, and the logs never carried his data."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from config import load_settings
from crm_core.storage import Storage
from crm_core.storage.session import SqlSession
from intake.log_secrets import SecretMaskingFilter
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.dovecot import PASSWORD, Dovecot, dovecot, dovecot_factory, new_user
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_chain_of_channels import ZADARMA, missed_call
from tests.e2e.test_one_person_across_channels import HOOK_SECRET, fixture
from tests.e2e.test_telephony_hooks import ZADARMA_SECRET

__all__ = ["dovecot", "dovecot_factory"]  # shared fixtures, used by name

CHANNELS = """
[webhooks]
allow_private_targets = true

[[telegram.bots]]
name = "sales"

[telephony.zadarma]

[[email.mailboxes]]
name = "sales"
host = "{host}"
port = {port}
security = "none"
login = "{user}"
address = "sales@company.example"
"""
# Every spelling of him that may be stored anywhere (lowercase: the scan ignores case).
IDENTIFIERS = (
    "+79161234567",
    "79161234567",
    "9161234567",
    "916) 123-45-67",
    "ivan.petrov@mail.ru",
    "иван петров",
    "петров иван",
    "482915736",
    "ivan_petrov_spb",
)
STRANGER = {"name": "Мария Сидорова", "phone": "+7 903 765-43-21", "tranid": "s-1"}


@asynccontextmanager
async def started(kind: str, tmp_path: Path, server: Dovecot) -> AsyncIterator[Running]:
    """The service with a Telegram bot, Zadarma and a Dovecot mailbox."""
    user = new_user()
    path = tmp_path / "leadintake.toml"
    extra = CHANNELS.format(host=server.host, port=server.port, user=user)
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    settings = load_settings(
        path,
        environ={
            "LEADINTAKE_EMAIL_SALES_PASSWORD": PASSWORD,
            "LEADINTAKE_TELEGRAM_SALES_SECRET": HOOK_SECRET,
            "LEADINTAKE_ZADARMA_SECRET": ZADARMA_SECRET,
        },
    )
    async with storage_of_kind(kind, tmp_path) as storage, run_service(settings, storage) as run:
        run.mail_user = user  # type: ignore[attr-defined]
        yield run


def his_mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Иван Петров <Ivan.Petrov@Mail.ru>"
    message["To"] = "sales@company.example"
    message["Subject"] = "Замер окон"
    message["Message-ID"] = make_msgid(domain="mail.example.ru")
    message.set_content("Добрый день! Когда сможете приехать на замер?\nИван Петров")
    return message.as_bytes()


async def call(running: Running, method: str, path: str, login: str = "head", **kw: Any) -> Any:
    headers = running.auth(login) | kw.pop("headers", {})
    async with running.client.request(method, path, headers=headers, **kw) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body


async def wait_until(check: Any, timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return result


async def processed(running: Running, count: int) -> None:
    """Wait until the worker has turned `count` stored requests into leads or activities."""

    async def done() -> bool:
        async with running.services.storage.reader() as uow:
            session: SqlSession = uow.persons._s  # type: ignore[attr-defined]
            row = await session.fetchrow(
                "SELECT COUNT(*) AS n FROM inbox WHERE status = 'processed'"
            )
        return row is not None and int(row["n"]) >= count

    await wait_until(done)


async def reports(running: Running) -> tuple[Any, Any]:
    """The funnel (with won amounts) and the lead-quality report, as the head sees them."""
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=30)}&to={today + timedelta(days=1)}"
    _, funnel = await call(running, "GET", f"/api/v1/reports/funnel?{period}")
    _, quality = await call(running, "GET", f"/api/v1/reports/lead-quality?{period}")
    return funnel, quality


async def columns(session: SqlSession) -> list[tuple[str, str]]:
    """Every (table, column) of the schema."""
    if session.dialect == "sqlite":
        tables = await session.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        found = []
        for t in tables:
            for c in await session.fetch(f"PRAGMA table_info({t['name']})"):
                found.append((str(t["name"]), str(c["name"])))
        return found
    rows = await session.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    return [(str(r["table_name"]), str(r["column_name"])) for r in rows]


async def holding(storage: Storage, needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, identifier) of every column anywhere holding one of the needles."""
    async with storage.reader() as uow:
        session: SqlSession = uow.persons._s  # type: ignore[attr-defined]
        hits = []
        for table, column in await columns(session):
            for needle in needles:
                row = await session.fetchrow(
                    f'SELECT COUNT(*) AS n FROM "{table}"'
                    f' WHERE LOWER(CAST("{column}" AS TEXT)) LIKE $1',
                    f"%{needle}%",
                )
                if row is not None and int(row["n"]):
                    hits.append((table, column, needle))
        return hits


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_person_from_four_channels_is_found_exported_and_erased_everywhere(
    kind: str, tmp_path: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(SecretMaskingFilter())  # as the service's log handler has it
    async with started(kind, tmp_path, dovecot) as running:
        # A receiver that never answers: the deliveries about him stay in our log.
        status, _ = await call(
            running,
            "POST",
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["lead.created", "deal.won"]},
        )
        assert status == 201
        status, _ = await call(
            running,
            "POST",
            "/api/v1/forms/site",
            json={
                "name": "Иван Петров",
                "phone": "8 (916) 123-45-67",
                "email": "Ivan.Petrov@Mail.ru",
                "comment": "Нужен замер, Иван Петров",
                "consent": "on",
                "tranid": "p-1",
            },
        )
        assert status == 202
        [first] = await running.wait_for_leads(1)
        await call(running, "POST", "/api/v1/forms/site", json=STRANGER)
        await running.wait_for_leads(2)
        async with running.client.post(
            "/hooks/telegram/sales",
            json=fixture("telegram", "contact_own.json"),
            headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET},
        ) as r:
            assert r.status == 200
        await processed(running, 3)
        dovecot.deliver(running.mail_user, [his_mail()])  # type: ignore[attr-defined]
        await processed(running, 4)
        body, headers = missed_call("79161234567")
        async with running.client.post(ZADARMA, data=body, headers=headers) as r:
            assert r.status == 200
        await processed(running, 5)
        status, converted = await call(
            running, "POST", f"/api/v1/leads/{first['id']}/convert", json={"amount": "150000.00"}
        )
        assert status == 201, converted
        status, moved = await call(
            running, "POST", f"/api/v1/deals/{converted['deal_id']}/stage", json={"stage": "won"}
        )
        assert status == 200 and moved["deal"]["status"] == "won", moved
        before = await reports(running)
        assert before[0]["totals"]["won_amount"] == {"RUB": "150000.00"}, before
        assert await holding(running.services.storage, IDENTIFIERS)  # the scan sees him

        status, refused = await call(
            running, "GET", "/api/v1/persons?phone=89161234567", login="ivanova"
        )
        assert status == 403, refused
        status, found = await call(running, "GET", "/api/v1/persons?phone=%2B7 916 123 45 67")
        assert status == 200, found
        by_email = await call(running, "GET", "/api/v1/persons?email=IVAN.PETROV@mail.ru")
        assert by_email[1]["tables"]["contacts"] == found["tables"]["contacts"]
        status, exported = await call(
            running, "GET", "/api/v1/persons/export?email=ivan.petrov@mail.ru"
        )
        assert status == 200
        status, report = await call(
            running, "GET", "/api/v1/persons/export?phone=89161234567&format=html"
        )
        assert status == 200 and "Сведения о персональных данных" in report

        status, erased = await call(
            running,
            "POST",
            "/api/v1/persons/erase",
            json={"phone": "8-916-123-45-67", "reason": "Заявление от 07.12.2026 № 15"},
        )
        assert status == 200, erased
        hits = await holding(running.services.storage, IDENTIFIERS)
        after = await reports(running)
        again = await call(running, "GET", "/api/v1/persons?phone=89161234567")
        second = await call(
            running,
            "POST",
            "/api/v1/persons/erase",
            json={"email": "ivan.petrov@mail.ru", "reason": "Повторное заявление"},
        )
        status, act = await call(running, "GET", f"/api/v1/persons/erasures/{erased['id']}/act")
        assert status == 200
        stranger = await call(running, "GET", "/api/v1/persons?phone=89037654321")
        status, refused_reply = await call(
            running,
            "POST",
            f"/api/v1/conversations/lead/{first['id']}/messages",
            json={"text": "Добрый день!"},
            headers={"Idempotency-Key": "after-erasure"},
        )
        _, lead = await call(running, "GET", f"/api/v1/leads/{first['id']}")
        _, deal = await call(running, "GET", f"/api/v1/deals/{converted['deal_id']}")

    tables = found["tables"]
    # Telegram, the e-mail and the call came to his open lead as messages and a call.
    assert tables["leads"] == [first["id"]] and len(tables["inbox"]) == 4, tables
    assert {"contacts", "deals", "calls", "consents", "activities", "audit_log"} <= set(tables)
    assert "identities" in tables  # his Telegram account
    assert "ivan.petrov@mail.ru" in str(exported["tables"]["leads"])
    assert hits == []
    assert after == before
    assert erased["counts"]["leads"] == 1 and erased["counts"]["inbox"] == 4
    assert again == (200, {"tables": {}, "total": 0})
    assert second[0] == 200 and second[1]["counts"] == {} and second[1]["id"] != erased["id"]
    assert "Акт об уничтожении персональных данных" in act and "Заявление от 07.12.2026" in act
    assert stranger[1]["tables"]["leads"], stranger  # nobody else was touched
    assert (status, refused_reply["error"]) == (409, "consent_withdrawn"), refused_reply
    assert lead["name"] == "Клиент удалён по запросу" and lead["phone"] is None
    assert (deal["status"], deal["amount"]) == ("won", "150000.00")
    logged = caplog.text.lower()
    assert [n for n in IDENTIFIERS if n in logged] == []
