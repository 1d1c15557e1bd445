"""Telegram's manifest: `[[telegram.bots]]`, the webhook route, the pollers, identity kinds."""

from __future__ import annotations

from channels.sending import SenderSpec
from channels.spec import ChannelSpec, PollerGroup, Route, SettingsSection, ShellRef
from channels.telegram.const import CHANNEL
from channels.telegram.sender import build_sender, explain
from channels.telegram.settings import telegram_bots

SPEC = ChannelSpec(
    name=CHANNEL,
    settings=(
        SettingsSection(
            "telegram_bots",
            telegram_bots,
            routed=True,
            where="telegram.bots",
        ),
    ),
    routes=(
        Route(
            "POST", "/hooks/telegram/{bot_name}", ShellRef("intake.http.telegram_hook:post_update")
        ),
    ),
    pollers=(
        # getUpdates for bots in polling mode; webhook registration watch for the others.
        PollerGroup(CHANNEL, ShellRef("intake.telegram_polling:running_pollers")),
        PollerGroup(CHANNEL, ShellRef("intake.telegram_webhook_watch:running_webhook_watches")),
    ),
    openapi=(ShellRef("intake.http.openapi_sales:TELEGRAM_OPERATIONS"),),
    identity_kinds=("telegram_id", "telegram_username"),
    sender=SenderSpec("telegram_bots", build_sender, explain=explain),
)
