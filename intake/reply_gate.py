"""How often a chat gets the bot's auto-reply: once per conversation, not per message."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from config.channel_settings import TelegramBotSettings

# Chats remembered at most (the oldest are forgotten first): a bound on memory, not a rule.
MAX_CHATS = 100_000


class ReplyGate:
    """Lets an auto-reply through once per chat per window.

    In memory: after a restart a chat may be greeted once more, which is harmless; remembering
    it in the database would cost a write on every webhook request.
    """

    def __init__(self, clock: Callable[[], datetime], max_chats: int = MAX_CHATS) -> None:
        self._clock = clock
        self._max = max_chats
        self._last: OrderedDict[str, datetime] = OrderedDict()

    def allow(self, chat: str, window: timedelta) -> bool:
        """True (and remembered) when `chat` was not answered within `window`."""
        now = self._clock()
        last = self._last.get(chat)
        if last is not None and now - last < window:
            return False
        self._last[chat] = now
        self._last.move_to_end(chat)
        while len(self._last) > self._max:
            self._last.popitem(last=False)
        return True


def reply_window(bot: TelegramBotSettings) -> timedelta:
    """How long a chat the bot answered is left unanswered by its auto-reply."""
    return timedelta(hours=bot.auto_reply_every_hours)
