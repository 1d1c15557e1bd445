"""VK Callback API names: event types, lead-form question keys, reasons to ignore an event."""

from __future__ import annotations

CHANNEL = "vk"

# The handshake: VK posts it when a server is added or edited and expects the community's
# confirmation string back as the body (nothing is stored).
CONFIRMATION = "confirmation"
# Event types that become a lead.
MESSAGE_NEW = "message_new"
LEAD_FORMS_NEW = "lead_forms_new"
LEAD_EVENT_TYPES = frozenset({MESSAGE_NEW, LEAD_FORMS_NEW})

# Event types a community may send to the same server that are acknowledged with `ok` and
# not stored: outgoing and edited messages, typing, read marks, subscriptions, membership,
# content and moderation events. Any type not listed here (VK adds new ones) is acknowledged
# the same way, so a community subscribed to more than we need never sees errors.
ACKNOWLEDGED_TYPES = frozenset(
    {
        "message_reply",  # our own manager's outgoing message
        "message_edit",
        "message_allow",
        "message_deny",
        "message_typing_state",
        "message_event",
        "message_read",
        "message_reaction_event",
        "group_join",
        "group_leave",
        "user_block",
        "user_unblock",
        "wall_post_new",
        "wall_repost",
        "wall_reply_new",
        "photo_new",
        "video_new",
        "like_add",
        "like_remove",
        "poll_vote_new",
        "group_change_settings",
        "group_change_photo",
        "group_officers_edit",
    }
)

# Why an event was acknowledged without being stored (logged and counted, never stored).
IGNORED_NOT_A_LEAD = "not_a_lead_event"
IGNORED_UNKNOWN_TYPE = "unknown_type"
IGNORED_FROM_COMMUNITY = "from_community"  # from_id < 0: a community, not a person
IGNORED_GROUP_CHAT = "group_chat"  # peer_id ≥ 2e9: a multi-user chat the bot was added to

# peer_id of a multi-user chat is 2000000000 + the chat's local id.
CHAT_PEER_ID_BASE = 2_000_000_000

# Standard lead-form question types (leadForms.create) that describe the person. VK defines
# no standard company or job-title question; such custom questions stay in `fields`.
# The other standard types (age, birthday, location) are kept in `fields` as well.
PERSON_ANSWER_KEYS: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "patronymic_name": "patronymic",
    "phone_number": "phone",
    "email": "email",
}

RETRY_HEADER = "X-Retry-Counter"
