"""One person across a chain of channels (issue 16): Telegram (then the phone by the contact
button), a VK message, a VK lead-ads form with the same phone, then a missed call from that
phone. The form ties the Telegram lead (by phone) and the VK lead (by VK id) together: they
are joined into one open lead, and the call is an activity on it with the call-back task."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from config import Settings
from crm_core.sales import RecordKind
from tests.conftest import config_settings, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_one_person_across_channels import HOOK_SECRET, VK_SECRET, fixture
from tests.e2e.test_telephony_hooks import FORM, ZADARMA_FIXTURES, ZADARMA_SECRET, php_signature
from tests.e2e.test_workplace import act, page

PHONE = "+79161234567"
VK_USER = 61234987  # the lead form's user_id
CHANNELS = """
[[telegram.bots]]
name = "sales"

[[vk.groups]]
group_id = 218765432
confirmation = "c0nf1rm"

[telephony.zadarma]
"""
TELEGRAM = ("/hooks/telegram/sales", {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET})
VK = ("/hooks/vk/218765432", {})
ZADARMA = "/hooks/telephony/zadarma"


def chain_settings(tmp_path: Path) -> Settings:
    """The test config plus a Telegram bot, a VK community and Zadarma."""
    return config_settings(
        tmp_path,
        CHANNELS,
        {
            "LEADINTAKE_TELEGRAM_SALES_SECRET": HOOK_SECRET,
            "LEADINTAKE_VK_218765432_SECRET": VK_SECRET,
            "LEADINTAKE_ZADARMA_SECRET": ZADARMA_SECRET,
        },
    )


def vk_message(event_id: str, message_id: int, text: str) -> dict[str, Any]:
    """The captured `message_new`, written by the lead form's user (no phone in the text)."""
    body = copy.deepcopy(fixture("vk", "message_new.json"))
    body["event_id"] = event_id
    message = body["object"]["message"]
    message.update(from_id=VK_USER, peer_id=VK_USER, id=message_id, text=text, attachments=[])
    message["conversation_message_id"] = message_id
    return body


def missed_call(caller: str) -> tuple[bytes, dict[str, str]]:
    """The captured Zadarma NOTIFY_END of a missed call, from `caller`, signed."""
    raw = (ZADARMA_FIXTURES / "notify_end_no_answer.form").read_bytes().decode()
    form = dict(parse_qsl(raw, keep_blank_values=True))
    form["caller_id"] = caller
    signature = php_signature(form["caller_id"] + form["called_did"] + form["call_start"])
    return urlencode(form).encode(), FORM | {"Signature": signature}


async def deliver(running: Running, hook: tuple[str, dict[str, str]], body: Any) -> None:
    path, headers = hook
    async with running.client.post(path, json=body, headers=headers) as response:
        assert response.status in (200, 202), await response.text()


async def open_leads(running: Running) -> list[dict[str, Any]]:
    """Leads in qualification that are not attached to another lead."""
    return [
        lead
        for lead in await running.leads()
        if lead["status"] in ("new", "in_work") and lead["duplicate_of"] is None
    ]


async def wait_for(running: Running, lead_id: int, kind: str, count: int) -> list[str]:
    """Poll the lead until it has `count` activities of a kind; returns their texts."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        lead = await running.lead(lead_id)
        texts = [a["text"] for a in lead["activities"] if a["kind"] == kind]
        if len(texts) >= count:
            return texts
        assert asyncio.get_running_loop().time() < deadline, (kind, lead["activities"])
        await asyncio.sleep(0.02)


async def chain(running: Running) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Telegram, the phone by the contact button, VK, then the VK lead form: the Telegram
    lead's id, the VK lead as it was made, and the form's lead once matched."""
    await deliver(running, TELEGRAM, fixture("telegram", "text_message.json"))
    [telegram] = await running.wait_for_leads(1)
    await deliver(running, TELEGRAM, fixture("telegram", "contact_own.json"))
    await wait_for(running, telegram["id"], "message", 1)
    shared = await running.lead(telegram["id"])
    assert shared["phone"] == PHONE  # the contact button gave the lead its phone

    await deliver(running, VK, vk_message("e1" * 20, 1523, "Здравствуйте! Нужны окна"))
    vk = await running.wait_for_lead(3)  # intake 2: the contact share
    assert vk["duplicate_of"] is None  # nothing ties a VK id to the Telegram lead yet
    assert vk["assignee"] != telegram["assignee"]  # the queue's next manager
    await deliver(running, VK, fixture("vk", "lead_forms_new.json"))
    form = await running.wait_for_matched(4)
    return telegram["id"], vk, form


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_telegram_vk_form_and_call_are_one_open_lead(tmp_path: Path, kind: str) -> None:
    async with (
        storage_of_kind(kind, tmp_path) as storage,
        run_service(chain_settings(tmp_path), storage) as running,
    ):
        first, vk, form = await chain(running)
        vk_id = vk["id"]
        body, headers = missed_call(PHONE[1:])
        async with running.client.post(ZADARMA, data=body, headers=headers) as response:
            assert response.status == 200
        [call] = await wait_for(running, first, "call", 1)
        await deliver(running, VK, vk_message("e2" * 20, 1524, "Во сколько замер?"))
        later = await wait_for(running, first, "message", 2)

        leads = await running.leads()
        survivor = await running.lead(first)
        joined = await running.lead(vk_id)
        still_open = await open_leads(running)
        async with running.services.storage.reader() as uow:
            tasks = await uow.sales.tasks_of(RecordKind.LEAD, first)
        async with running.client.get("/api/v1/calls", headers=running.auth("head")) as r:
            [logged] = (await r.json())["items"]

    assert [lead["id"] for lead in still_open] == [first]
    assert len(leads) == 3  # the call and the last message made no lead
    assert form["duplicate_of"] == first
    assert form["duplicate_check"]["decision"] == "auto"
    assert joined["duplicate_of"] == first
    # Whoever works on the survivor works on the person; the joined lead's clock stopped.
    assert joined["assignee"] == survivor["assignee"] and joined["accept_by"] is None
    assert survivor["phone"] == PHONE and survivor["email"] == "ivan.petrov@mail.ru"
    assert survivor["messenger_ids"]["telegram_id"] == "482915736"
    assert survivor["messenger_ids"]["vk_id"] == str(VK_USER)
    assert call.startswith("Пропущенный звонок")
    assert logged["logged_on"] == {"entity": "lead", "id": first}
    assert [t.title for t in tasks] == ["Перезвонить клиенту: пропущенный звонок"]
    assert "Во сколько замер?" in later
    texts = [a["text"] or "" for a in survivor["activities"]]
    assert any("Здравствуйте! Нужны окна" in t for t in texts)  # the VK lead, joined
    [join] = survivor["joins"]
    assert (join["survivor_id"], join["joined_id"]) == (first, vk_id)
    assert join["by_lead_id"] == form["id"] and join["undone_at"] is None
    assert "объединены" in join["reason"]


async def test_a_head_undoes_the_join(tmp_path: Path) -> None:
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(chain_settings(tmp_path), storage) as running,
    ):
        first, vk, _form = await chain(running)
        vk_id = vk["id"]
        [join] = (await running.lead(first))["joins"]
        url = f"/api/v1/leads/joins/{join['id']}/undo"
        async with running.client.post(url, headers=running.auth("ivanova")) as response:
            manager = response.status
        async with running.client.post(url, headers=running.auth("head")) as response:
            undone = await response.json()
            assert response.status == 200, undone
        async with running.client.post(url, headers=running.auth("head")) as response:
            again = response.status
        async with running.client.post(
            "/api/v1/leads/joins/999/undo", headers=running.auth("head")
        ) as response:
            missing = response.status
        await deliver(running, VK, vk_message("e3" * 20, 1525, "Алло?"))
        back = await wait_for(running, vk_id, "message", 1)
        survivor = await running.lead(first)

    assert (manager, again, missing) == (403, 409, 404)
    restored = undone["restored"]
    assert restored["id"] == vk_id and restored["duplicate_of"] is None
    assert (restored["assignee"], restored["accept_by"]) == (vk["assignee"], vk["accept_by"])
    assert "vk_id" not in survivor["messenger_ids"]
    assert survivor["joins"][0]["undone_at"] is not None
    assert back == ["Алло?"]  # the VK id leads to the VK lead again


async def test_the_lead_card_shows_the_join_and_a_head_undoes_it(tmp_path: Path) -> None:
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(chain_settings(tmp_path), storage) as running,
    ):
        first, vk, _form = await chain(running)
        owner = (await running.lead(first))["assignee"]
        _, head_card = await page(running, f"/leads/{first}", "head")
        _, owner_card = await page(running, f"/leads/{first}", owner)
        [join] = (await running.lead(first))["joins"]
        undo = f"/leads/{first}/joins/{join['id']}/undo"
        refused = await act(running, undo, owner, view="card")
        done = await act(running, undo, "head", view="card")
        restored = await running.lead(vk["id"])

    assert "Объединённые заявки" in head_card and f"Заявка №{vk['id']}</a> объединена" in head_card
    assert f'action="{undo}"' in head_card
    assert "Объединённые заявки" in owner_card and f'action="{undo}"' not in owner_card
    assert f"С этой заявкой объединена заявка №{vk['id']} (тот же человек)" in head_card
    assert "Недостаточно прав" in refused
    assert f"Объединение отменено: заявка №{vk['id']} снова отдельная." in done
    assert "отменено" in done and f'action="{undo}"' not in done
    assert f"Объединение с заявкой №{vk['id']} отменено" in done
    assert restored["duplicate_of"] is None
