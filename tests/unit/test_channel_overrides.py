"""A head's channel overrides over the file's channel settings."""

from __future__ import annotations

from channels.telegram.settings import TelegramBotSettings
from intake.channel_overrides import telegram_key, with_overrides


def test_overrides_set_the_mode_and_auto_reply_of_the_bots_they_name() -> None:
    sales = TelegramBotSettings("sales", token="1:t")
    support = TelegramBotSettings("support")
    sections = {"telegram_bots": (sales, support), "vk_groups": ()}
    overrides = {
        telegram_key("sales"): {"mode": "polling", "auto_reply": "Ответим"},
        # Without a token the bot cannot poll: the file's mode stays.
        telegram_key("support"): {"mode": "polling", "auto_reply": ""},
        telegram_key("gone"): {"mode": "polling"},
    }
    result = with_overrides(sections, overrides)
    new_sales, new_support = result["telegram_bots"]
    assert (new_sales.mode, new_sales.auto_reply) == ("polling", "Ответим")
    assert (new_support.mode, new_support.auto_reply) == ("webhook", "")
    assert result["vk_groups"] == ()
    assert sections["telegram_bots"] == (sales, support)  # the file's are kept as they were
