"""Names of the Telegram Bot API the adapter relies on, and which updates become leads."""

from __future__ import annotations

CHANNEL = "telegram"
# Telegram sends the `secret_token` given to setWebhook in this header on every update.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret

# The only update kind that can become a lead: a new message in a private chat.
LEAD_UPDATE_KIND = "message"

# Acknowledged (200) and never stored. Not a whitelist the adapter checks: any kind other
# than LEAD_UPDATE_KIND is acknowledged, so kinds Telegram adds later are too.
# `edited_message` is here on purpose: an edit arrives with a new update_id, so storing it
# would turn one request into a second lead; the original message already made the lead.
IGNORED_UPDATE_KINDS = (
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)

# Messages are leads only from a person in a private chat with the bot.
PRIVATE_CHAT = "private"
# Why an update was acknowledged without storing it.
IGNORED_KIND = "update_kind"  # not a `message` (see IGNORED_UPDATE_KINDS)
IGNORED_NOT_PRIVATE = "not_private"  # group, supergroup or channel
IGNORED_BOT_SENDER = "bot_sender"  # from.is_bot
IGNORED_NO_CONTENT = "no_content"  # no text, caption, contact or attachment (sticker, service…)

# Media noted by reference (file_id in meta), never downloaded; in this order in
# meta["attachments"]. Voice, audio and video are requests as much as photos are.
ATTACHMENT_KINDS = ("photo", "document", "video", "voice", "audio", "video_note")

START_COMMAND = "/start"
# The deep-link payload (t.me/<bot>?start=<payload>) names the ad or source.
START_PAYLOAD_UTM = "utm_content"
