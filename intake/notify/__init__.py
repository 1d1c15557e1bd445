"""Manager notifications: the outbox dispatcher and its Telegram, e-mail and in-app adapters.

The adapters import their client libraries, so they are imported from their own modules
(`intake.notify.telegram`, `.email`, `.sse`); this package re-exports only the core.
"""

from intake.notify.backoff import MAX_ATTEMPTS, retry_delay
from intake.notify.dispatcher import Dispatcher, Notifier
from intake.notify.errors import DeliveryFailed
from intake.notify.texts import RenderedText, render

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryFailed",
    "Dispatcher",
    "Notifier",
    "RenderedText",
    "render",
    "retry_delay",
]
