"""What a reply form offers (crm_core.replies.reply_choice): the client's channels, the last
used first, and those whose account cannot send, with the reason."""

from __future__ import annotations

from datetime import timedelta

from crm_core.replies import reply_choice
from crm_core.sales import RecordKind
from tests.integration.test_replies import (
    CHAT_ID,
    GROUP_ID,
    T0,
    VK_USER,
    World,
    client_message,
    world,  # noqa: F401  (the fixture)
)


async def test_the_choice_lists_the_clients_channels_last_used_first(
    world: World,  # noqa: F811
) -> None:
    phone = "+79161234567"
    lead = await world.client_lead(
        client_message("tg:1", "Пишу в Telegram", phone=phone),
        client_message("vk:1", "А теперь в VK", channel="vk", phone=phone, at=T0 + timedelta(1)),
    )

    async with world.storage.reader() as uow:
        choice = await reply_choice(uow, RecordKind.LEAD, lead.id)
        blocked = await reply_choice(
            uow, RecordKind.LEAD, lead.id, {("vk", str(GROUP_ID)): "no token"}
        )

    assert [(t.channel, t.address) for t in choice.targets] == [
        ("vk", str(VK_USER)),
        ("telegram", str(CHAT_ID)),
    ]
    assert choice.blocked == {}
    assert [t.channel for t in blocked.targets] == ["telegram"]
    assert blocked.blocked == {"vk": "no token"}


async def test_only_an_account_the_client_wrote_to_blocks_its_channel(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))

    async with world.storage.reader() as uow:
        choice = await reply_choice(uow, RecordKind.LEAD, lead.id, {("telegram", "other"): "x"})
        none = await reply_choice(uow, RecordKind.LEAD, lead.id, {("telegram", "sales"): "x"})

    assert [t.channel for t in choice.targets] == ["telegram"] and choice.blocked == {}
    assert none.targets == [] and none.blocked == {"telegram": "x"}
