"""The bot's answer to a customer, in the Bot API's wire format.

Telegram lets a webhook answer carry one Bot API call ("making requests when getting
updates"): the auto-reply rides on the answer to the stored update, with no outbound call
that could fail or slow the acknowledgement.
"""

from __future__ import annotations

from typing import Any

from channels.model import InboundEvent

SHARE_PHONE_BUTTON = "📞 Поделиться номером телефона"


def auto_reply(event: InboundEvent, text: str, *, ask_phone: bool) -> dict[str, Any] | None:
    """A sendMessage call answering the sender, or None when the chat is unknown.

    A "share phone" button is offered unless the message itself shared the sender's phone.
    """
    # Only private chats become leads, and there the chat id is the sender's id.
    chat_id = event.person.messenger_ids.get("telegram_id")
    if not chat_id:
        return None
    call: dict[str, Any] = {"method": "sendMessage", "chat_id": int(chat_id), "text": text}
    if ask_phone and event.meta.get("phone_verified") != "true":
        call["reply_markup"] = {
            "keyboard": [[{"text": SHARE_PHONE_BUTTON, "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
    return call
