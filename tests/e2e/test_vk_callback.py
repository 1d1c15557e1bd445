"""VK Callback API over HTTP: confirmation, messages and lead forms become leads, retries don't."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from config import Settings, load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

FIXTURES = Path(__file__).parents[1] / "channels" / "vk" / "fixtures"
GROUP_ID = 218765432
SECRET = "Zx8rT2vQ9mLk4pWe"
CONFIRMATION = "5f3c9a1e"
HOOK = f"/hooks/vk/{GROUP_ID}"
MESSAGE_EVENT_ID = "3f8a2c71d9e04b5a6c1e7f2b8d9a0c3e4f5b6a7d"
VK_CONFIG = f"""
[[vk.groups]]
group_id = {GROUP_ID}
confirmation = "{CONFIRMATION}"
"""


def vk_settings(tmp_path: Path) -> Settings:
    """The test config plus one VK community, its secret from the environment."""
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + VK_CONFIG, "utf-8")
    return load_settings(path, environ={f"LEADINTAKE_VK_{GROUP_ID}_SECRET": SECRET})


@pytest.fixture
async def vk_service(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with a VK community, on SQLite."""
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(vk_settings(tmp_path), storage) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def vk_any_db_service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with a VK community, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(vk_settings(tmp_path), storage) as running,
    ):
        yield running


@dataclass(frozen=True)
class Answer:
    """What the hook answered."""

    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        """The body as JSON (error answers)."""
        return json.loads(self.text)


def fixture(name: str) -> bytes:
    """A captured Callback API body, byte for byte."""
    return (FIXTURES / name).read_bytes()


async def post(
    running: Running, body: bytes, *, url: str = HOOK, headers: dict[str, str] | None = None
) -> Answer:
    """POST a body the way VK does (JSON, no auth header: the secret is in the body)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    async with running.client.post(url, data=body, headers=sent) as response:
        return Answer(response.status, response.content_type, await response.text())


async def wait_until_drained(running: Running, timeout: float = 10.0) -> None:
    """Poll the inbox until the worker has handled everything stored."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with running.services.storage.reader() as uow:
            stats = await uow.inbox.stats()
        if stats.pending == 0:
            assert stats.failed == 0
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{stats.pending} inbox rows still pending after {timeout}s")
        await asyncio.sleep(0.02)


async def metric(running: Running, outcome: str) -> str | None:
    """The vk intake counter line for an outcome, if it was ever incremented."""
    async with running.client.get("/metrics") as response:
        text = await response.text()
    prefix = f'leadintake_intake_requests_total{{channel="vk",outcome="{outcome}"}} '
    return next((line for line in text.splitlines() if line.startswith(prefix)), None)


async def test_confirmation_answers_the_string_as_plain_text(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("confirmation.json"))

    assert answer == Answer(200, "text/plain", CONFIRMATION)
    async with vk_service.services.storage.reader() as uow:
        assert await uow.inbox.get(1) is None


async def test_message_becomes_a_lead_reachable_in_vk(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("message_new.json"))

    assert answer == Answer(200, "text/plain", "ok")
    [lead] = await vk_service.wait_for_leads(1)
    assert lead["channel"] == "vk"
    assert lead["source"] == str(GROUP_ID)
    assert lead["messenger_ids"] == {"vk_id": "48392017"}
    assert lead["comment"] == (
        "Здравствуйте! Нужен расчёт на пластиковые окна, 3 шт., планировку прикладываю."
        " Мой телефон +7 916 123-45-67"
    )
    assert lead["meta"]["attachments"] == "photo, doc"
    assert lead["meta"]["peer_id"] == "48392017"
    assert lead["assignee"] in ("ivanova", "petrov")


async def test_resent_event_is_stored_once(vk_any_db_service: Running) -> None:
    running = vk_any_db_service
    first = await post(running, fixture("message_new.json"))
    again = await post(running, fixture("message_new.json"), headers={"X-Retry-Counter": "1"})

    assert first == again == Answer(200, "text/plain", "ok")
    [lead] = await running.wait_for_leads(1)
    await wait_until_drained(running)
    assert len(await running.leads()) == 1
    assert await metric(running, "accepted") is not None
    assert (await metric(running, "duplicate") or "").endswith(" 1.0")
    async with running.services.storage.reader() as uow:
        item = await uow.inbox.get(lead["intake_id"])
    assert item is not None
    assert item.external_id == f"{GROUP_ID}:{MESSAGE_EVENT_ID}"
    assert "secret" not in item.payload["update"]


async def test_lead_form_becomes_a_normalized_lead(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("lead_forms_new.json"))

    assert answer == Answer(200, "text/plain", "ok")
    [lead] = await vk_service.wait_for_leads(1)
    assert lead["channel"] == "vk"
    assert lead["name"] == "Петров Иван Сергеевич"
    assert lead["first_name"] == "Иван" and lead["last_name"] == "Петров"
    assert lead["patronymic"] == "Сергеевич"
    assert lead["phone"] == "+79161234567"
    assert lead["email"] == "ivan.petrov@mail.ru"
    assert lead["messenger_ids"] == {"vk_id": "61234987"}
    assert lead["fields"] == {
        "location": "Москва, Россия",
        "window_count": "3",
        "custom_1": "после 18:00",
    }
    assert lead["meta"]["form_name"] == "Замер окон — весна"
    assert lead["meta"]["lead_id"] == "6" and lead["meta"]["ad_id"] == "102938475"
    assert lead["flags"] == []


async def test_wrong_secret_is_403_and_nothing_is_stored(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("message_new_wrong_secret.json"))

    assert answer.status == 403
    assert answer.json()["field"] == "secret"
    assert await metric(vk_service, "rejected") is not None
    async with vk_service.services.storage.reader() as uow:
        assert await uow.inbox.get(1) is None
    assert await vk_service.leads() == []


@pytest.mark.parametrize(
    "url", ["/hooks/vk/111", "/hooks/vk/club218765432", "/hooks/vk/" + "9" * 40]
)
async def test_unknown_group_in_the_url_is_404(vk_service: Running, url: str) -> None:
    answer = await post(vk_service, fixture("message_new.json"), url=url)

    assert answer.status == 404
    assert answer.json()["field"] == "group_id"


async def test_body_for_another_group_is_404_naming_group_id(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("message_new_other_group.json"))

    assert answer.status == 404
    assert answer.json()["field"] == "group_id"
    async with vk_service.services.storage.reader() as uow:
        assert await uow.inbox.get(1) is None


@pytest.mark.parametrize(
    "name", ["message_reply.json", "group_join.json", "message_new_from_community.json"]
)
async def test_events_that_are_not_leads_are_acknowledged_and_not_stored(
    vk_service: Running, name: str
) -> None:
    answer = await post(vk_service, fixture(name))

    assert answer == Answer(200, "text/plain", "ok")
    assert await metric(vk_service, "ignored") is not None
    async with vk_service.services.storage.reader() as uow:
        assert await uow.inbox.get(1) is None


async def test_malformed_json_is_400_naming_the_body(vk_service: Running) -> None:
    answer = await post(vk_service, fixture("truncated.json"))

    assert answer.status == 400
    assert answer.json()["field"] == "body"


async def test_missing_event_id_is_400_naming_it(vk_service: Running) -> None:
    body = json.loads(fixture("message_new.json"))
    del body["event_id"]

    answer = await post(vk_service, json.dumps(body).encode())

    assert answer.status == 400
    assert answer.json()["field"] == "event_id"


async def test_oversized_body_is_413(vk_service: Running) -> None:
    body = json.loads(fixture("message_new.json"))
    body["object"]["message"]["text"] = "я" * vk_service.services.settings.http.max_body_bytes

    answer = await post(vk_service, json.dumps(body, ensure_ascii=False).encode())

    assert answer.status == 413
    assert answer.json()["field"] == "body"
