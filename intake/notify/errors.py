"""Errors the notifier adapters raise at their boundary."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """A notification could not be delivered.

    `permanent` means trying again cannot help (the chat does not exist, the bot is blocked,
    the mailbox is refused); otherwise the dispatcher retries with backoff. `retry_after` is
    the earliest useful retry in seconds when the server said so (Telegram flood control).
    The message never contains personal data: it is stored in the outbox and logged.
    """

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryFailed({self.message!r}, permanent={self.permanent})"
