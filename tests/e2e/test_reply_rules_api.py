"""Over the running service: a refused reply shows the platform's words in `error` and the
manager's, in Russian, in `error_ru` (VK's permission asked before sending, Telegram's block)."""

from __future__ import annotations

from tests.e2e.conftest import Running
from tests.e2e.test_replies_api import (
    VK_USER,
    client_writes_in_telegram,
    client_writes_in_vk,
    reply,
    service,  # noqa: F401  (the fixture)
    wait_for_state,
)
from tests.integration.replies_support import BLOCKED, PlatformStandIn, telegram_error


async def test_a_vk_user_without_permission_reads_in_russian_and_gets_no_send(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    stand_in.vk_not_allowed.add(str(VK_USER))
    lead = await client_writes_in_vk(running)
    owner = lead["assignee"]

    status, queued = await reply(running, lead["id"], {"text": "Добрый день!"}, owner)
    items = await wait_for_state(running, lead["id"], owner, "failed")

    assert (status, queued["error_ru"]) == (202, None)
    assert items[-1]["error_ru"] == "Клиент не разрешил сообщения от сообщества ВКонтакте"
    assert "isMessagesFromGroupAllowed" in items[-1]["error"]
    assert stand_in.vk_calls == [] and len(stand_in.vk_checks) == 1


async def test_a_blocked_bot_reads_in_russian_with_telegrams_words_kept(
    service: tuple[Running, PlatformStandIn],  # noqa: F811
) -> None:
    running, stand_in = service
    stand_in.telegram_faults.append(telegram_error(403, BLOCKED))
    lead = await client_writes_in_telegram(running)

    await reply(running, lead["id"], {"text": "Вы здесь?"}, lead["assignee"])
    items = await wait_for_state(running, lead["id"], lead["assignee"], "failed")

    assert (items[-1]["error"], items[-1]["error_ru"]) == (BLOCKED, "Клиент заблокировал бота")
    assert stand_in.telegram_delivered == []
