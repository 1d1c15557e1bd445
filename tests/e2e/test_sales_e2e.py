"""A known client's form request reaches their manager (Telegram + SSE) and becomes a won deal."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from config import Settings, load_settings
from crm_core.contacts import add_contacts, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.integration.test_notifiers import TOKEN, BotApiStandIn, bot_api, read_event

CHAT = "5005"
__all__ = ["bot_api"]  # the Bot API stand-in fixture, shared with the notifier tests


def settings_with_bot(tmp_path: Path, api_base: str) -> Settings:
    """The test config, Petrov reachable in Telegram, the bot pointed at the stand-in."""
    text = TEST_CONFIG.format(db=tmp_path / "db.sqlite3").replace(
        'login = "petrov"\nname = "Пётр Петров"\n',
        f'login = "petrov"\nname = "Пётр Петров"\ntelegram_chat_id = "{CHAT}"\n',
    )
    path = tmp_path / "leadintake.toml"
    path.write_text(text, "utf-8")
    return load_settings(
        path,
        environ={"LEADINTAKE_TELEGRAM_BOT_TOKEN": TOKEN, "LEADINTAKE_TELEGRAM_API_BASE": api_base},
    )


async def submit_lead(running: Running, name: str, phone: str) -> dict[str, Any]:
    """Post the site form and wait for its lead."""
    async with running.client.post(
        "/api/v1/forms/site", json={"name": name, "phone": phone}
    ) as response:
        assert response.status == 202
        intake_id = (await response.json())["intake_id"]
    return await running.wait_for_lead(intake_id)


async def post(running: Running, path: str, login: str, body: dict[str, Any]) -> Any:
    async with running.client.post(path, json=body, headers=running.auth(login)) as response:
        payload = await response.json()
        assert response.status in (200, 201), payload
        return payload


async def test_known_clients_request_goes_to_their_manager_and_is_won(
    bot_api: tuple[BotApiStandIn, str], tmp_path: Path
) -> None:
    stand_in, api_base = bot_api
    settings = settings_with_bot(tmp_path, api_base)
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        async with storage.reader() as uow:
            petrov = await uow.managers.get_by_login("petrov")
        assert petrov is not None
        async with storage.transaction() as uow:
            [client] = await add_contacts(
                uow,
                [
                    prepare_contact(
                        RawIdentity(name="Иван Петров", phones=("+7 916 123-45-67",)),
                        "RU",
                        owner_id=petrov.id,
                    )
                ],
                utcnow(),
            )

        url = running.client.make_url("/api/v1/events")
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers=running.auth("petrov")) as stream,
        ):
            assert stream.status == 200
            async with running.client.post(
                "/api/v1/forms/site",
                json={"name": "Ваня Петров", "phone": "8 (916) 123-45-67", "message": "Счёт"},
            ) as response:
                assert response.status == 202
                intake_id = (await response.json())["intake_id"]

            event = await read_event(stream)
            lead = await running.wait_for_matched(intake_id)

        assert lead["assignee"] == "petrov" and lead["contact_id"] == client
        assert lead["is_repeat"] is True
        assert event["event"] in ("repeat_request", "lead_assigned")
        assert f'"lead_id": {lead["id"]}' in event["data"].replace('":', '": ')

        deadline = asyncio.get_running_loop().time() + 10
        while not stand_in.calls:
            assert asyncio.get_running_loop().time() < deadline, "no Telegram message"
            await asyncio.sleep(0.02)
        [message] = stand_in.calls
        assert message["chat_id"] == CHAT
        assert "Ваня Петров" in message["text"]

        async with running.client.get(
            f"/api/v1/leads/{lead['id']}/assignments", headers=running.auth("petrov")
        ) as response:
            [decision] = (await response.json())["items"]
        assert decision["kind"] == "owner" and f"контакта №{client}" in decision["reason"]

        taken = await post(running, f"/api/v1/leads/{lead['id']}/take", "petrov", {})
        assert taken["status"] == "in_work"
        converted = await post(running, f"/api/v1/leads/{lead['id']}/convert", "petrov", {})
        assert converted["contact_id"] == client and converted["created"] == ["deal"]
        again = await post(running, f"/api/v1/leads/{lead['id']}/convert", "petrov", {})
        assert again["deal_id"] == converted["deal_id"] and again["created"] == []

        deal_path = f"/api/v1/deals/{converted['deal_id']}"
        moved = await post(running, f"{deal_path}/stage", "petrov", {"stage": "won"})
        assert moved["outcome"] == "moved" and moved["deal"]["status"] == "won"
        async with running.client.get(deal_path, headers=running.auth("petrov")) as response:
            deal = await response.json()
        assert [v["stage"] for v in deal["stage_history"]] == ["opening", "won"]
        assert (await running.lead(lead["id"]))["status"] == "converted"
        await post(
            running,
            "/api/v1/activities",
            "petrov",
            {"entity": "contact", "entity_id": client, "kind": "note", "text": "Оплатил"},
        )
        async with running.client.get(
            f"/api/v1/contacts/{client}", headers=running.auth("petrov")
        ) as response:
            contact = await response.json()
        assert contact["health"] == "green" and contact["activities"][0]["text"] == "Оплатил"


async def test_rule_violations_name_the_rule(service: Running) -> None:
    lead = await submit_lead(service, "Анна", "+79031112233")
    path = f"/api/v1/leads/{lead['id']}/junk"
    async with service.client.post(path, json={}, headers=service.auth("head")) as response:
        body = await response.json()
    assert response.status == 422
    assert body["error"] == "junk_reason_required" and body["field"] == "reason"
    assert "spam" in body["message"]
    async with service.client.post(
        "/api/v1/leads/abc/take", headers=service.auth("head")
    ) as response:
        body = await response.json()
    assert response.status == 400 and body["field"] == "lead_id"


async def test_lead_tasks_and_activities_show_in_its_health(service: Running) -> None:
    lead = await submit_lead(service, "Олег", "+79035556677")
    owner = lead["assignee"]
    overdue = (utcnow() - timedelta(hours=1)).isoformat()
    task = await post(
        service,
        "/api/v1/tasks",
        owner,
        {"entity": "lead", "entity_id": lead["id"], "title": "Перезвонить", "due_at": overdue},
    )
    await post(
        service,
        "/api/v1/activities",
        owner,
        {"entity": "lead", "entity_id": lead["id"], "kind": "call", "text": "Не взял трубку"},
    )
    shown = await service.lead(lead["id"], owner)
    assert shown["health"] == "red" and shown["tasks"][0]["title"] == "Перезвонить"
    assert shown["activities"][0]["kind"] == "call"

    done = await post(service, f"/api/v1/tasks/{task['id']}/done", owner, {"done": True})
    assert done["done"] is True
    assert (await service.lead(lead["id"], owner))["health"] == "green"
    reopened = await post(service, f"/api/v1/tasks/{task['id']}/done", owner, {"done": False})
    assert reopened["done"] is False
    assert (await service.lead(lead["id"], owner))["health"] == "red"
    async with service.client.post(
        f"/api/v1/tasks/{task['id']}/done", headers=service.auth(owner)
    ) as response:
        assert response.status == 200 and (await response.json())["done"] is True

    async with service.client.post(
        "/api/v1/tasks",
        json={"entity": "lead", "entity_id": lead["id"], "title": "x", "due_at": "2026-11-25"},
        headers=service.auth(owner),
    ) as response:
        body = await response.json()
    assert response.status == 400 and body["field"] == "due_at"


async def test_a_reconnecting_stream_gets_what_it_missed(service: Running) -> None:
    lead = await submit_lead(service, "Вера", "+79037778899")
    owner = lead["assignee"]
    headers = {**service.auth(owner), "Last-Event-ID": "0"}
    url = service.client.make_url("/api/v1/events")
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as stream:
        assert stream.status == 200
        missed = await read_event(stream)
    assert missed["event"] == "lead_assigned"
    assert f'"lead_id":{lead["id"]}' in missed["data"]
    assert int(missed["id"]) > 0
