"""One person writes on Telegram, fills a VK lead form, then the website form: one lead in
work, one contact with every identity after conversion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import config_settings, storage_of_kind
from tests.e2e.conftest import Running, run_service

FIXTURES = Path(__file__).resolve().parents[1] / "channels"
CHANNELS = """
[[telegram.bots]]
name = "sales"

[[vk.groups]]
group_id = 218765432
confirmation = "c0nf1rm"
"""
HOOK_SECRET = "hook-secret"
VK_SECRET = "Zx8rT2vQ9mLk4pWe"  # the one the captured VK fixture carries


def settings_with_channels(tmp_path: Path) -> Settings:
    """The test config plus a Telegram bot and a VK community."""
    return config_settings(
        tmp_path,
        CHANNELS,
        {
            "LEADINTAKE_TELEGRAM_SALES_SECRET": HOOK_SECRET,
            "LEADINTAKE_VK_218765432_SECRET": VK_SECRET,
        },
    )


def fixture(channel: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (FIXTURES / channel / "fixtures" / name).read_text("utf-8")
    )
    return loaded


async def deliver(running: Running, path: str, body: Any, headers: dict[str, str]) -> None:
    async with running.client.post(path, json=body, headers=headers) as response:
        assert response.status in (200, 202), await response.text()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_telegram_then_vk_then_site_form_is_one_person(tmp_path: Path, kind: str) -> None:
    async with (
        storage_of_kind(kind, tmp_path) as storage,
        run_service(settings_with_channels(tmp_path), storage) as running,
    ):
        await deliver(
            running,
            "/hooks/telegram/sales",
            fixture("telegram", "contact_own.json"),  # shares his own phone +79161234567
            {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET},
        )
        [first] = await running.wait_for_leads(1)
        await deliver(
            running,
            "/hooks/vk/218765432",
            fixture("vk", "lead_forms_new.json"),  # same phone, and an e-mail
            {},
        )
        await running.wait_for_leads(2)
        await deliver(
            running,
            "/api/v1/forms/site",
            {"name": "Иван Петров", "email": "ivan.petrov@mail.ru", "message": "Когда замер?"},
            {},
        )
        leads = await running.wait_for_leads(3)
        later = [await running.wait_for_matched(x["intake_id"]) for x in leads[:2]]
        assert all(x["duplicate_of"] == first["id"] for x in later), later

        async with running.client.post(
            f"/api/v1/leads/{first['id']}/convert", headers=running.auth("head")
        ) as response:
            converted = await response.json()
            assert response.status == 201, converted
        async with running.client.get(
            f"/api/v1/contacts/{converted['contact_id']}", headers=running.auth("head")
        ) as response:
            contact = await response.json()
        first_lead = await running.lead(first["id"])

    assert contact["telegram_id"] == "482915736"
    assert contact["vk_id"] == "61234987"
    assert {"kind": "telegram_id", "value": "482915736"} in contact["identities"]
    assert contact["phones"] == ["+79161234567"]
    assert contact["emails"] == ["ivan.petrov@mail.ru"]
    kinds = [a["kind"] for a in first_lead["activities"]]
    assert kinds.count("note") + kinds.count("message") == 2  # the VK form and the site form
